#!/usr/bin/env node
/**
 * Generates the kernel doors from the one kernel table (KERNEL_SIGNATURES in src/kernels.ts):
 *   native/kernels.gen.inc        the addon's unwrap per kernel (argument count and types, sizes, flags, length
 *                                 rules in double so products cannot overflow, optional/when → nullptr, int32
 *                                 value ranges) and its export list; addon.cc includes it
 *   src/backends/kernels.gen.ts   the wasm adapter's checked door per kernel and the native adapter's wrappers
 * Straight-line code per kernel keeps every call site monomorphic: a generic door interpreting the table at run
 * time measured 35% slower on a tiny network's training step. Both files are committed (node-gyp compiles the
 * addon before TypeScript is built), so the table is read by transpiling src/kernels.ts in memory: this runs from
 * a clean clone. `npm run gen:kernels` writes the files; `--check` only reports whether they are up to date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HEADER = 'Auto-generated file. Do not edit! Run `npm run gen:kernels` (native/gen-kernels.mjs) after changing KERNEL_SIGNATURES in src/kernels.ts.';

/** Names that cannot be C++ or TypeScript identifiers; the generated code uses upper-case names of its own. */
const RESERVED = new Set(
  ('alignas alignof and asm auto bool break case catch char class const constexpr continue default delete do double ' +
    'else enum explicit export extern false float for friend goto if import in inline instanceof int let long ' +
    'mutable namespace new noexcept not nullptr operator or private protected public register return short signed ' +
    'sizeof static struct switch template this throw true try typedef typeof union unsigned using var virtual void ' +
    'volatile while with xor yield await arguments eval function interface package implements').split(' '),
);

async function loadTable() {
  const source = readFileSync(join(root, 'src/kernels.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
}

/** An expression tree rendered for C++ (in double: products of int32 sizes cannot overflow) or TypeScript. */
function render(node, lang) {
  if (node.op === 'arg') return lang === 'cc' ? `(double)${node.name}` : node.name;
  if (node.op === 'int') return lang === 'cc' ? `${node.value}.0` : `${node.value}`;
  const l = render(node.left, lang), r = render(node.right, lang);
  if (node.op === '/') return lang === 'cc' ? `std::floor(${l} / ${r})` : `Math.floor(${l} / ${r})`;
  return `(${l} ${node.op} ${r})`;
}

/** Strips the outer parentheses render() puts around a top-level sum or product. */
const bare = (s) => (s.startsWith('(') && s.endsWith(')') && balanced(s.slice(1, -1)) ? s.slice(1, -1) : s);
function balanced(s) {
  let depth = 0;
  for (const c of s) if ((depth += c === '(' ? 1 : c === ')' ? -1 : 0) < 0) return false;
  return depth === 0;
}

function condition(cond, lang) {
  const v = cond.name;
  if (cond.test === 'positive') return lang === 'cc' ? `(double)${v} > 0.0` : `${v} > 0`;
  return `${v} ${lang === 'cc' ? '==' : '==='} ${cond.test === 'set' ? 1 : 0}`;
}

/** `what` of a length message: `m·k`, or `n (mu > 0)` for a conditional array. */
const what = (a) => a.lenExpr.text + (a.whenCond ? ` (${a.whenCond.text})` : '');
const quote = (s) => JSON.stringify(s);

function check(name, spec) {
  for (const a of spec.args) {
    if (RESERVED.has(a.name) || /^[A-Z]/.test(a.name)) throw new Error(`kernel table: ${name}.${a.name}: the name is reserved in C++ or TypeScript`);
  }
}

function unwrapCc(name, spec) {
  const lines = [`napi_value js_${name}(napi_env env, napi_callback_info info) {`, `  Args A(env, info, ${quote(name)}, ${spec.args.length});`];
  for (const a of spec.args) {
    const n = quote(a.name);
    if (a.kind === 'size') lines.push(`  const int64_t ${a.name} = A.size(${n}, ${a.min ?? 0});`);
    else if (a.kind === 'flag') lines.push(`  const int ${a.name} = A.flag(${n});`);
    else if (a.kind === 'scalar') lines.push(`  const double ${a.name} = A.scalar(${n});`);
    else lines.push(`  int64_t L_${a.name};`, `  ${a.kind === 'f32' ? 'float' : 'int32_t'}* ${a.name} = A.${a.kind}(${n}, &L_${a.name});`);
  }
  for (const a of spec.args.filter((x) => x.lenExpr)) {
    const fits = `A.fits(${quote(what(a))}, ${bare(render(a.lenExpr.node, 'cc'))}, ${quote(a.name)}, L_${a.name})`;
    const on = [a.whenCond && condition(a.whenCond, 'cc'), a.optional && `L_${a.name} != 0`].filter(Boolean);
    if (on.length === 0) lines.push(`  ${fits};`);
    else lines.push(`  if (${on.join(' && ')}) ${fits};`, `  else ${a.name} = nullptr;`);
  }
  for (const a of spec.args.filter((x) => x.valuesExpr)) {
    lines.push(`  A.values(${quote(a.name)}, ${a.name}, ${bare(render(a.lenExpr.node, 'cc'))}, ${bare(render(a.valuesExpr.node, 'cc'))});`);
  }
  lines.push(`  if (A.ok) ${name}(${spec.args.map((a) => a.name).join(', ')});`, '  return nullptr;', '}');
  return lines.join('\n');
}

function generateCc(table) {
  const names = Object.keys(table);
  return [
    `/* ${HEADER}`,
    ' * One unwrap per kernel (see the Args helper in addon.cc): argument count and types in order, then every length',
    ' * rule, then int32 value ranges; an absent optional or conditional array becomes nullptr. Then the export list. */',
    '',
    `static_assert(MAX_ARGS >= ${Math.max(...names.map((n) => table[n].args.length))}, "Args holds fewer arguments than the longest kernel takes");`,
    '',
    ...names.map((n) => unwrapCc(n, table[n]) + '\n'),
    'const napi_property_descriptor KERNEL_EXPORTS[] = {',
    ...names.map((n) => `    {${quote(n)}, nullptr, js_${n}, nullptr, nullptr, nullptr, napi_enumerable, nullptr},`),
    '};',
    '',
  ].join('\n');
}

function tsType(a) {
  return a.kind === 'f32' ? 'F32Buf' : a.kind === 'i32' ? 'I32Buf' : 'number';
}

/**
 * A wasm door. Fast path first: when every array is a live buffer of this module and every number is in range (one
 * inline test each, no calls but `D.own`), the length rules hold and the int32 values are in range, the kernel runs
 * at once. Anything else takes the ordered path below it (the addon's order and messages, staging of other
 * backends' arrays), which reports the same first error the addon would.
 */
function wasmDoor(name, spec) {
  const quote = (s) => `'${s}'`;
  const params = spec.args.map((a) => a.name).join(', ');
  const arrays = spec.args.filter((a) => a.lenExpr);
  const lines = [`    ${name}(${params}) {`];
  for (const a of arrays) lines.push(`      const P_${a.name} = D.own(${a.name}, ${a.kind === 'i32'});`);
  const fast = [];
  for (const a of spec.args) {
    if (a.kind === 'size') fast.push(`typeof ${a.name} === 'number' && (${a.name} | 0) === ${a.name} && ${a.name} >= ${a.min ?? 0}`);
    else if (a.kind === 'flag') fast.push(`(${a.name} === 0 || ${a.name} === 1)`);
    else if (a.kind === 'scalar') fast.push(`typeof ${a.name} === 'number'`);
    else fast.push(`P_${a.name} >= 0`);
  }
  const on = (a, lang, len) => [a.whenCond && condition(a.whenCond, lang), a.optional && `${len} !== 0`].filter(Boolean);
  for (const a of arrays) {
    const need = `${bare(render(a.lenExpr.node, 'ts'))} <= ${a.name}.length`;
    const when = on(a, 'ts', `${a.name}.length`);
    fast.push(when.length ? `(!(${when.join(' && ')}) || ${need})` : need);
  }
  lines.push(`      if (${fast.join(' &&\n          ')}) {`);
  for (const a of arrays.filter((x) => x.valuesExpr)) {
    const when = on(a, 'ts', `${a.name}.length`);
    lines.push(`        ${when.length ? `if (${when.join(' && ')}) ` : ''}D.values('${name}', ${quote(a.name)}, ${a.name}, ${bare(render(a.lenExpr.node, 'ts'))}, ${bare(render(a.valuesExpr.node, 'ts'))});`);
  }
  const fastArg = (a) => {
    if (!a.lenExpr) return a.name;
    const when = on(a, 'ts', `${a.name}.length`);
    return when.length ? `${when.join(' && ')} ? P_${a.name} : 0` : `P_${a.name}`;
  };
  lines.push(`        EX.${name}(${spec.args.map(fastArg).join(', ')});`, '        return;', '      }');
  for (const a of spec.args) {
    const n = quote(a.name);
    if (a.kind === 'size') lines.push(`      D.size('${name}', ${n}, ${a.name}, ${a.min ?? 0});`);
    else if (a.kind === 'flag') lines.push(`      D.flag('${name}', ${n}, ${a.name});`);
    else if (a.kind === 'scalar') lines.push(`      D.scalar('${name}', ${n}, ${a.name});`);
    else lines.push(`      const L_${a.name} = D.${a.kind}('${name}', ${n}, ${a.name});`);
  }
  const arg = (a) => {
    if (!a.lenExpr) return a.name;
    return on(a, 'ts', `L_${a.name}`).length ? `ON_${a.name} ? D.ptr(${a.name}) : 0` : `D.ptr(${a.name})`;
  };
  for (const a of arrays) {
    const fits = `D.fits('${name}', ${quote(what(a))}, ${bare(render(a.lenExpr.node, 'ts'))}, ${quote(a.name)}, L_${a.name})`;
    const when = on(a, 'ts', `L_${a.name}`);
    if (when.length === 0) lines.push(`      ${fits};`);
    else lines.push(`      const ON_${a.name} = ${when.join(' && ')};`, `      if (ON_${a.name}) ${fits};`);
  }
  for (const a of arrays.filter((x) => x.valuesExpr)) {
    const absentable = a.whenCond !== undefined || a.optional === true;
    lines.push(`      ${absentable ? `if (ON_${a.name}) ` : ''}D.values('${name}', ${quote(a.name)}, ${a.name}, ${bare(render(a.lenExpr.node, 'ts'))}, ${bare(render(a.valuesExpr.node, 'ts'))});`);
  }
  lines.push('      try {', `        EX.${name}(${spec.args.map(arg).join(', ')});`, '      } finally {', '        D.unstage();', '      }', '    },');
  return lines.join('\n');
}

function nativeWrapper(name, spec) {
  const params = spec.args.map((a) => a.name).join(', ');
  const args = spec.args.map((a) => (a.lenExpr ? `${a.name}?.data` : a.name)).join(', ');
  return `    ${name}: (${params}) => F.${name}(${args}),`;
}

function generateTs(table) {
  const names = Object.keys(table);
  return [
    `/* ${HEADER} */`,
    '/* eslint-disable */',
    "import type { F32Buf, I32Buf } from '../buffers.js';",
    "import type { KernelName, Kernels } from '../kernels.js';",
    '',
    '/** The checks a wasm door makes, in the order of the addon (types in argument order, then lengths, then values). */',
    'export interface WasmDoorChecks {',
    '  size(call: string, name: string, x: number, min: number): void;',
    '  flag(call: string, name: string, x: number): void;',
    '  scalar(call: string, name: string, x: number): void;',
    '  /** Checks the type (and that it is not freed); returns the length. */',
    '  f32(call: string, name: string, buf: F32Buf): number;',
    '  i32(call: string, name: string, buf: I32Buf): number;',
    '  fits(call: string, what: string, need: number, name: string, have: number): void;',
    '  values(call: string, name: string, buf: I32Buf, count: number, bound: number): void;',
    '  /** The byte pointer of a checked buffer (a foreign one is staged for this call). */',
    '  ptr(buf: F32Buf | I32Buf): number;',
    '  unstage(): void;',
    '  /** The byte pointer of a live buffer of this module of the given type, else −1 (the door then takes its ordered path). */',
    '  own(buf: F32Buf | I32Buf, i32: boolean): number;',
    '}',
    '',
    'type Exports = Record<KernelName, (...args: number[]) => void>;',
    'type Addon = Record<KernelName, (...args: unknown[]) => void>;',
    '',
    '/** The wasm adapter: every kernel behind its checked door (sizes, flags, types, lengths, values; pointers). */',
    'export function wasmKernels(D: WasmDoorChecks, EX: Exports): Kernels {',
    '  return {',
    ...names.map((n) => wasmDoor(n, table[n])),
    '  };',
    '}',
    '',
    '/** The native adapter: numbers pass through, buffers as their typed arrays; the addon checks everything. */',
    'export function nativeKernels(F: Addon): Kernels {',
    '  return {',
    ...names.map((n) => nativeWrapper(n, table[n])),
    '  };',
    '}',
    '',
  ].join('\n');
}

const { KERNELS } = await loadTable();
for (const [name, spec] of Object.entries(KERNELS)) check(name, spec);
const outputs = [
  ['native/kernels.gen.inc', generateCc(KERNELS)],
  ['src/backends/kernels.gen.ts', generateTs(KERNELS)],
];
const checkOnly = process.argv.includes('--check');
let stale = 0;
for (const [path, text] of outputs) {
  const file = join(root, path);
  let old = null;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    // missing: written below, or reported as stale
  }
  if (old === text) continue;
  if (checkOnly) {
    console.error(`${path} is out of date with KERNEL_SIGNATURES: run \`npm run gen:kernels\``);
    stale++;
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale ? 1 : 0;
