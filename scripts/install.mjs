/**
 * descent-nn's install step. It never fails the install: the wasm and js backends need nothing compiled, so a
 * missing native addon costs speed, not the package.
 * 1. A prebuilt addon (prebuilds/<platform>-<arch>/) or an earlier build (build/Release/) that loads here: done.
 * 2. Otherwise compile native/ with node-gyp (npm puts its own node-gyp on PATH and in npm_config_node_gyp for
 *    install scripts, so node-gyp is not a dependency); it needs Python 3, make and a C++17 compiler.
 * 3. If that fails too, write native-install.json (what failed, what to do, the end of the build log). The native
 *    loader (dist/src/backends/native.js) reads it and reports it through availableBackends().
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const RECORD = join(root, 'native-install.json');
const tag = `${process.platform}-${process.arch}`;

/** The addon's path when one loads in this process, else the reason it does not. */
function tryLoad() {
  try {
    const file = require('node-gyp-build').path(root);
    require(file);
    return { file };
  } catch (error) {
    return { error: String(error instanceof Error ? error.message : error).split('\n')[0] };
  }
}

/** How to run node-gyp: npm's own (install scripts get npm_config_node_gyp), a local one, else whatever is on PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    return [process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp'];
  }
}

/** The first line of the build output that says what went wrong (node-gyp prints many). */
function firstError(log) {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const wanted = [/gyp ERR! (?:stack|find Python) ?Error: (.*)/, /(?:error|Error): (.*)/, /gyp ERR! (.*)/, /(.*not found.*)/i];
  for (const pattern of wanted) {
    for (const line of lines) {
      const m = pattern.exec(line);
      if (m) return m[1].trim();
    }
  }
  return lines.at(-1) ?? 'no output';
}

rmSync(RECORD, { force: true });
const before = tryLoad();
if (before.file) {
  console.log(`descent-nn: native addon ready (${before.file.slice(root.length)})`);
  process.exit(0);
}

const [command, ...args] = nodeGyp();
const build = spawnSync(command, [...args, 'rebuild'], { cwd: root, encoding: 'utf8', shell: command.endsWith('.cmd'), env: { JOBS: 'max', ...process.env } });
const log = `${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `\n${build.error.message}` : ''}`;
const after = build.status === 0 ? tryLoad() : { error: build.error ? `cannot run node-gyp: ${build.error.message}` : firstError(log) };
if (after.file) {
  console.log(`descent-nn: compiled the native addon for ${tag} (${after.file.slice(root.length)})`);
  process.exit(0);
}

const reason =
  `descent-nn has no prebuilt native addon for ${tag} (Node ${process.versions.node}) and compiling one during install failed ` +
  `(${after.error}). descent-nn works without it: loadBackend() uses the wasm backend (several times slower than native on large layers). ` +
  'To get the native backend, install Python 3, make and a C++17 compiler (Debian/Ubuntu: `apt-get install python3 make g++`; ' +
  'macOS: `xcode-select --install`; Windows: Visual Studio Build Tools with the ClangCL toolset), then run `npm rebuild descent-nn`.';
writeFileSync(RECORD, `${JSON.stringify({ platform: tag, node: process.versions.node, prebuild: before.error, reason, log: log.split('\n').slice(-40) }, null, 2)}\n`);
console.warn(`descent-nn: ${reason} (details: ${RECORD})`);
