/**
 * Moves the active data segments of a threaded module into a custom section `descent.data`, in place:
 *   node scripts/wasm-data.mjs dist/wasm/descent-threads.wasm …
 * Every instance of a module re-copies its active data segments into memory when it is instantiated, so a worker
 * instance attaching to the shared memory would overwrite static data the owning thread has since written (the
 * batch-norm scratch in assembly/norm.ts lives there). Without a data section, instantiating writes nothing; the
 * owning thread copies the segments from the custom section once, before it runs the start function
 * (src/backends/wasm.ts, WebAssembly.Module.customSections). Section payload: per segment a little-endian u32
 * address, u32 length, then the bytes. Refuses passive segments and offsets that are not i32 constants.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const DATA = 11, DATA_COUNT = 12, CUSTOM = 0;

function readU32(bytes, pos) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, pos];
}

function readI32(bytes, pos) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[pos++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  if (shift < 32 && byte & 0x40) value |= -1 << shift;
  return [value, pos];
}

function u32Leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function segmentsOf(payload, file) {
  let [count, pos] = readU32(payload, 0);
  const segments = [];
  for (; count > 0; count--) {
    let flags;
    [flags, pos] = readU32(payload, pos);
    if (flags === 2) [, pos] = readU32(payload, pos); // memory index
    else if (flags !== 0) throw new Error(`${file}: passive data segment (flags ${flags}); expected active segments only`);
    if (payload[pos++] !== 0x41) throw new Error(`${file}: a data segment's offset is not an i32.const`);
    let address;
    [address, pos] = readI32(payload, pos);
    if (payload[pos++] !== 0x0b) throw new Error(`${file}: a data segment's offset expression is not a single constant`);
    let length;
    [length, pos] = readU32(payload, pos);
    segments.push({ address: address >>> 0, bytes: payload.subarray(pos, pos + length) });
    pos += length;
  }
  return segments;
}

function relocate(file) {
  const wasm = readFileSync(file);
  const kept = [wasm.subarray(0, 8)];
  let segments = [];
  for (let pos = 8; pos < wasm.length; ) {
    const start = pos, id = wasm[pos++];
    let size;
    [size, pos] = readU32(wasm, pos);
    const payload = wasm.subarray(pos, pos + size);
    pos += size;
    if (id === CUSTOM && payload.includes(Buffer.from('descent.data'))) throw new Error(`${file}: already relocated`);
    // The data count section goes too: the module stays valid only if no code refers to segments (memory.init,
    // data.drop), which the validation below checks.
    if (id === DATA) segments = segmentsOf(payload, file);
    else if (id !== DATA_COUNT) kept.push(wasm.subarray(start, pos));
  }
  const name = Buffer.from('descent.data');
  const body = [];
  for (const { address, bytes } of segments) {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(address, 0);
    head.writeUInt32LE(bytes.length, 4);
    body.push(head, bytes);
  }
  const content = Buffer.concat([Buffer.from(u32Leb(name.length)), name, ...body]);
  kept.push(Buffer.from([CUSTOM, ...u32Leb(content.length)]), content);
  const out = Buffer.concat(kept);
  // (Only where this engine validates the input: Node 20 lacks relaxed SIMD without a flag.)
  if (WebAssembly.validate(wasm) && !WebAssembly.validate(out)) throw new Error(`${file}: invalid once its data section is removed (does code use memory.init?)`);
  writeFileSync(file, out);
  const total = segments.reduce((s, x) => s + x.bytes.length, 0);
  console.log(`${file}: ${segments.length} data segments (${total} bytes) moved to custom section descent.data`);
}

for (const file of process.argv.slice(2)) relocate(file);
