/**
 * Winograd F(2×2, 3×3) for the 3×3, stride-1, dilation-1, ungrouped convolutions of conv.ts (forward, and the input
 * gradient as the 3×3 convolution of dY with the flipped, transposed weights at padding 2 − p): each 2×2 output
 * tile is Aᵀ[Σ_i U_i ⊙ V_i]A with U = G g Gᵀ (per filter pair, once per task) and V = Bᵀ d B (per 4×4 input patch),
 * so the 36 multiply-adds of a tile and channel become 16, in 16 GEMMs M[ξ] = U[ξ]·V[ξ] (ξ the 16 transformed
 * positions, K = input channels) on gemm.ts's 4×8 micro-kernel. With the tile padding of the GEMM (tile rows
 * padded to 4 tiles) CNN-S's conv2 (14×14) does 1.97× fewer multiply-adds than the direct product.
 * - U[ξ] is written straight into pack_a's pre-broadcast layout (rows: output channels, k: input channels).
 * - V[ξ] is written straight into pack_b's NR-wide panels (k: input channels, columns: tiles): the transform runs over
 *   4 horizontally adjacent tiles in the four lanes of a v128, reading each input channel from a zero-padded copy of
 *   the block's rows (even/odd columns split by shuffles), so the edges and any padding (negative too: the input
 *   gradient of p > 2) need no branches.
 * - M[ξ] [output channels × tiles] goes to the workspace; the output transform reads the 16 of them 4 tiles at a time
 *   and adds the bias after the sum. Tiles past the output's odd edge are computed and dropped.
 * Images are processed in blocks of tile rows sized to the workspace (CNN-S: the whole image in one block).
 * Tiles are numbered by rows of tWp = ⌈tW/4⌉·4 tiles; tile t of a block sits in panel t/8, lane t%8.
 * Accuracy: the transforms add at most 4 (V), 9/4·|g| (U) and 9 (output) terms; the sum over channels is float32
 * in channel order (see test/kernels/conv.test.ts for the bound). Every sample's arithmetic depends only on the
 * sizes, so any split of samples between threads gives the same bits.
 */
import { gemm_block, GEMM_MR, GEMM_NR } from './gemm';
import { copy_f32, store_partial_f32x4, zero_f32 } from './simd';

/** Transformed positions per tile (4×4). */
// @ts-ignore: decorator
@inline const XI: i32 = 16;

/**
 * Input and output channels from which the Winograd path pays. Measured on one thread against the products
 * (CPU time, batch 128, forward / input gradient, effective rates; 18:46–18:50 UTC, load 5): 4→8 on 14×14 1.08× /
 * 1.32×, 8→4 1.53× / 1.79×, 4→4 1.21× / 1.52×, 8→8 1.87× / 2.14× (8×8), 16→32 1.47× / 1.54×; but 2→16 on 28×28
 * 0.75× / 0.49×: with 2 channels the transforms cost more than the multiply-adds they save.
 */
// @ts-ignore: decorator
@inline export const WINO_MIN_CHANNELS: i32 = 4;

// @ts-ignore: decorator
@inline function round_up(v: i32, m: i32): i32 {
  return (v + m - 1) / m * m;
}

/** Tiles per row of tiles, padded to whole vectors of 4 tiles. */
// @ts-ignore: decorator
@inline function tiles_per_row(ow: i32): i32 {
  return round_up((ow + 1) >> 1, 4);
}

/** Floats of one padded input row of a block (4 tiles read 10 columns from 8·k; the last vector reads 12). */
// @ts-ignore: decorator
@inline function padded_width(ow: i32): i32 {
  return 2 * tiles_per_row(ow) + 4;
}

/**
 * Rows of tiles per block for cin → cout channels and an ow-wide output, given the workspace: packed U in
 * aFloats·4 floats (pre-broadcast), V panels in bFloats, M plus the padded rows in restFloats. 0: does not fit.
 */
export function wino_block_rows(cin: i32, cout: i32, oh: i32, ow: i32, aValues: i64, bFloats: i64, restFloats: i64): i32 {
  if (<i64>XI * <i64>round_up(cout, GEMM_MR) * <i64>cin > aValues) return 0;
  const tWp = <i64>tiles_per_row(ow), wp = <i64>padded_width(ow), tH = <i64>((oh + 1) >> 1);
  let rows = tH;
  // Largest block that fits: V = 16·cin·⌈T/8⌉·8 floats, M = 16·cout·T floats plus (2·rows + 2)·wp padded floats.
  while (rows > 0) {
    const t = rows * tWp;
    const v = <i64>XI * <i64>cin * ((t + GEMM_NR - 1) / GEMM_NR * GEMM_NR);
    const m = <i64>XI * <i64>cout * t + (2 * rows + 2) * wp;
    if (v <= bFloats && m <= restFloats) break;
    rows--;
  }
  return <i32>rows;
}

/**
 * U = G g Gᵀ of every (output, input) channel pair, into pack_a's layout for 16 products of rows × cols (rows the
 * products' output channels, cols their input channels): element (o, i) of U[ξ] at value
 * ξ·⌈rows⌉₄·cols + (o/4)·cols·4 + i·4 + o%4, each value a splat (16 bytes). g is weight[o, i] (layout [rows, cols,
 * 3, 3]) or, with `flip` (the input gradient), weight[i, o] rotated by 180° (layout [cols, rows, 3, 3]). Rows past
 * `rows` in the last panel are zeros.
 */
export function wino_weights(weight: usize, rows: i32, cols: i32, flip: bool, dst: usize): void {
  const rowsPad = round_up(rows, GEMM_MR);
  const xiBytes = <usize>rowsPad * <usize>cols << 4;
  for (let o = 0; o < rowsPad; o++)
    for (let i = 0; i < cols; i++) {
      const d = dst + ((<usize>((o >> 2) * cols * 4 + i * 4 + (o & 3))) << 4);
      if (o >= rows) {
        for (let xi = 0; xi < XI; xi++) v128.store(d + <usize>xi * xiBytes, f32x4.splat(0));
        continue;
      }
      const g = weight + ((flip ? <usize>i * <usize>rows + <usize>o : <usize>o * <usize>cols + <usize>i) * 9 << 2);
      // Tap (ky, kx) of g; flipped, it is stored at (2 − ky, 2 − kx).
      const k0 = tap(g, 0, flip), k1 = tap(g, 1, flip), k2 = tap(g, 2, flip);
      const k3 = tap(g, 3, flip), k4 = tap(g, 4, flip), k5 = tap(g, 5, flip);
      const k6 = tap(g, 6, flip), k7 = tap(g, 7, flip), k8 = tap(g, 8, flip);
      // G g, column by column: g0, ½(g0 + g2 + g1), ½(g0 + g2 − g1), g2 of the column's taps g0, g1, g2.
      const a1 = (k0 + k6 + k3) * 0.5, b1 = (k1 + k7 + k4) * 0.5, c1 = (k2 + k8 + k5) * 0.5;
      const a2 = (k0 + k6 - k3) * 0.5, b2 = (k1 + k7 - k4) * 0.5, c2 = (k2 + k8 - k5) * 0.5;
      weight_row(k0, k1, k2, d, xiBytes, 0);
      weight_row(a1, b1, c1, d, xiBytes, 4);
      weight_row(a2, b2, c2, d, xiBytes, 8);
      weight_row(k6, k7, k8, d, xiBytes, 12);
    }
}

/** Tap t = 3·ky + kx of the 3×3 filter at g, or with `flip` of the filter rotated by 180° (tap 8 − t). */
// @ts-ignore: decorator
@inline function tap(g: usize, t: i32, flip: bool): f32 {
  return load<f32>(g + (<usize>(flip ? 8 - t : t) << 2));
}

/** Row (a, b, c) of G g times Gᵀ: a, ½(a + c + b), ½(a + c − b), c, as splats at ξ = xi0 … xi0 + 3. */
// @ts-ignore: decorator
@inline function weight_row(a: f32, b: f32, c: f32, d: usize, xiBytes: usize, xi0: i32): void {
  const p = d + <usize>xi0 * xiBytes;
  v128.store(p, f32x4.splat(a));
  v128.store(p + xiBytes, f32x4.splat((a + c + b) * 0.5));
  v128.store(p + 2 * xiBytes, f32x4.splat((a + c - b) * 0.5));
  v128.store(p + 3 * xiBytes, f32x4.splat(c));
}

/**
 * One image's convolution by Winograd: cin planes of h×w at x → cout planes of oh×ow at y, output (oy, ox) reading
 * input (oy − ph + ky, ox − pw + kx) (zero outside), bias (0: none) added after the sum. u: wino_weights' packed U;
 * vPanels, scratch: the workspace (wino_block_rows' bFloats and restFloats); blockRows from wino_block_rows.
 */
export function wino_image(
  cin: i32, h: i32, w: i32, cout: i32, oh: i32, ow: i32, ph: i32, pw: i32, x: usize, u: usize, bias: usize, y: usize,
  blockRows: i32, vPanels: usize, scratch: usize,
): void {
  const tH = (oh + 1) >> 1, tWp = tiles_per_row(ow), wp = padded_width(ow);
  const coutPad = round_up(cout, GEMM_MR);
  for (let ty0 = 0; ty0 < tH; ty0 += blockRows) {
    const rows = min(blockRows, tH - ty0), t = rows * tWp;
    const vXi = <usize>round_up(t, GEMM_NR) * <usize>cin << 2, mXi = <usize>cout * <usize>t << 2;
    const plane = scratch, m = scratch + ((<usize>(2 * rows + 2) * <usize>wp) << 2);
    for (let i = 0; i < cin; i++) {
      pad_rows(x + ((<usize>i * <usize>h * <usize>w) << 2), h, w, 2 * ty0 - ph, 2 * rows + 2, pw, wp, plane);
      input_transform(plane, wp, rows, tWp, cin, i, vPanels, vXi);
    }
    for (let xi = 0; xi < XI; xi++)
      gemm_block(cout, t, 0, t, cin, u + ((<usize>xi * <usize>coutPad * <usize>cin) << 4), vPanels + <usize>xi * vXi, m + <usize>xi * mXi, <usize>t << 2, 1, 0, false, 0, 0, 0, 0, 0, 0, 0);
    output_transform(m, mXi, cout, t, tWp, ty0, rows, oh, ow, bias, y);
  }
}

/**
 * Rows [r0, r0 + count) of a plane (h×w at src; rows outside it are zeros) into count rows of wp floats at dst,
 * column c holding the plane's column c − pw (zero outside).
 */
function pad_rows(src: usize, h: i32, w: i32, r0: i32, count: i32, pw: i32, wp: i32, dst: usize): void {
  zero_f32(dst, <i64>count * <i64>wp);
  // Columns [c0, c1) of the padded row hold image columns [c0 − pw, c1 − pw).
  const c0 = max(pw, 0), c1 = min(wp, w + pw);
  if (c1 <= c0) return;
  const ra = max(0, -r0), rb = min(count, h - r0);
  for (let r = ra; r < rb; r++)
    copy_f32(dst + ((<usize>(r * wp + c0)) << 2), src + ((<usize>((r0 + r) * w + c0 - pw)) << 2), c1 - c0);
}

/**
 * V = Bᵀ d B of input channel i for every tile of a block (rows of tWp tiles over the padded rows at plane, wp floats
 * each), into V[ξ]'s panels (k = i, column = tile), 4 tiles per v128: tile lane l's patch starts at column 2l, so
 * its columns 0 and 1 are the even and odd floats of a row's first 8, columns 2 and 3 the same shifted by one pair.
 */
function input_transform(plane: usize, wp: i32, rows: i32, tWp: i32, cin: i32, i: i32, v: usize, vXi: usize): void {
  const rowBytes = <usize>wp << 2;
  for (let ty = 0; ty < rows; ty++)
    for (let tx = 0; tx < tWp; tx += 4) {
      const p = plane + ((<usize>(2 * ty * wp + 2 * tx)) << 2);
      const tile = ty * tWp + tx;
      // Where lane 0 of tile `tile` sits in V[0]'s panels.
      const at = v + ((<usize>((tile >> 3) * 8 * cin + i * 8 + (tile & 7))) << 2);
      // Bᵀ over the patch rows: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3, per column.
      let a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32);
      let e = f32x4.shuffle(a, b, 0, 2, 4, 6), o = f32x4.shuffle(a, b, 1, 3, 5, 7);
      const d00 = e, d01 = o, d02 = f32x4.shuffle(e, c, 1, 2, 3, 4), d03 = f32x4.shuffle(o, c, 1, 2, 3, 5);
      a = v128.load(p + rowBytes); b = v128.load(p + rowBytes, 16); c = v128.load(p + rowBytes, 32);
      e = f32x4.shuffle(a, b, 0, 2, 4, 6); o = f32x4.shuffle(a, b, 1, 3, 5, 7);
      const d10 = e, d11 = o, d12 = f32x4.shuffle(e, c, 1, 2, 3, 4), d13 = f32x4.shuffle(o, c, 1, 2, 3, 5);
      a = v128.load(p + 2 * rowBytes); b = v128.load(p + 2 * rowBytes, 16); c = v128.load(p + 2 * rowBytes, 32);
      e = f32x4.shuffle(a, b, 0, 2, 4, 6); o = f32x4.shuffle(a, b, 1, 3, 5, 7);
      const d20 = e, d21 = o, d22 = f32x4.shuffle(e, c, 1, 2, 3, 4), d23 = f32x4.shuffle(o, c, 1, 2, 3, 5);
      a = v128.load(p + 3 * rowBytes); b = v128.load(p + 3 * rowBytes, 16); c = v128.load(p + 3 * rowBytes, 32);
      e = f32x4.shuffle(a, b, 0, 2, 4, 6); o = f32x4.shuffle(a, b, 1, 3, 5, 7);
      const d30 = e, d31 = o, d32 = f32x4.shuffle(e, c, 1, 2, 3, 4), d33 = f32x4.shuffle(o, c, 1, 2, 3, 5);
      const vRow = vXi << 2;
      input_row(f32x4.sub(d00, d20), f32x4.sub(d01, d21), f32x4.sub(d02, d22), f32x4.sub(d03, d23), at, vXi);
      input_row(f32x4.add(d10, d20), f32x4.add(d11, d21), f32x4.add(d12, d22), f32x4.add(d13, d23), at + vRow, vXi);
      input_row(f32x4.sub(d20, d10), f32x4.sub(d21, d11), f32x4.sub(d22, d12), f32x4.sub(d23, d13), at + 2 * vRow, vXi);
      input_row(f32x4.sub(d10, d30), f32x4.sub(d11, d31), f32x4.sub(d12, d32), f32x4.sub(d13, d33), at + 3 * vRow, vXi);
    }
}

/** B over one row (t0..t3) of Bᵀ d: t0 − t2, t1 + t2, t2 − t1, t1 − t3 into the four V[ξ] from `at` on, vXi apart. */
// @ts-ignore: decorator
@inline function input_row(t0: v128, t1: v128, t2: v128, t3: v128, at: usize, vXi: usize): void {
  let p = at;
  v128.store(p, f32x4.sub(t0, t2));
  v128.store(p += vXi, f32x4.add(t1, t2));
  v128.store(p += vXi, f32x4.sub(t2, t1));
  v128.store(p += vXi, f32x4.sub(t1, t3));
}

/**
 * Y = Aᵀ M A (+ bias) for every output channel and tile of a block, 4 tiles per v128, M[ξ] at m + ξ·mXi
 * ([cout, t] row-major). Aᵀ rows: m0 + m1 + m2 and m1 − m2 − m3. Whole vectors of 4 tiles inside the output are
 * stored as two interleaved rows of 8 floats; the others element by element, dropping what lies past oh × ow.
 */
function output_transform(m: usize, mXi: usize, cout: i32, t: i32, tWp: i32, ty0: i32, rows: i32, oh: i32, ow: i32, bias: usize, y: usize): void {
  const ohw = <usize>oh * <usize>ow;
  for (let o = 0; o < cout; o++) {
    const b = f32x4.splat(bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0);
    const yo = y + ((<usize>o * ohw) << 2);
    for (let ty = 0; ty < rows; ty++) {
      const oy = 2 * (ty0 + ty);
      for (let tx = 0; tx < tWp; tx += 4) {
        const p = m + ((<usize>(o * t + ty * tWp + tx)) << 2);
        // Aᵀ over the rows of M (ξ = 4r + c), per column c.
        // One pointer stepped by mXi: V8 would multiply for every p + k·mXi.
        let q = p;
        const m00 = v128.load(q), m01 = v128.load(q += mXi), m02 = v128.load(q += mXi), m03 = v128.load(q += mXi);
        const m10 = v128.load(q += mXi), m11 = v128.load(q += mXi), m12 = v128.load(q += mXi), m13 = v128.load(q += mXi);
        const m20 = v128.load(q += mXi), m21 = v128.load(q += mXi), m22 = v128.load(q += mXi), m23 = v128.load(q += mXi);
        const m30 = v128.load(q += mXi), m31 = v128.load(q += mXi), m32 = v128.load(q += mXi), m33 = v128.load(q += mXi);
        const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
        const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
        const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
        const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
        // A over the columns, then the bias.
        const y00 = f32x4.add(b, f32x4.add(f32x4.add(s00, s01), s02)), y01 = f32x4.add(b, f32x4.sub(f32x4.sub(s01, s02), s03));
        const y10 = f32x4.add(b, f32x4.add(f32x4.add(s10, s11), s12)), y11 = f32x4.add(b, f32x4.sub(f32x4.sub(s11, s12), s13));
        const r0a = f32x4.shuffle(y00, y01, 0, 4, 1, 5), r0b = f32x4.shuffle(y00, y01, 2, 6, 3, 7);
        const r1a = f32x4.shuffle(y10, y11, 0, 4, 1, 5), r1b = f32x4.shuffle(y10, y11, 2, 6, 3, 7);
        const ox = 2 * tx;
        const out = yo + ((<usize>(oy * ow + ox)) << 2);
        if (ox + 8 <= ow && oy + 2 <= oh) {
          v128.store(out, r0a);
          v128.store(out, r0b, 16);
          v128.store(out + (<usize>ow << 2), r1a);
          v128.store(out + (<usize>ow << 2), r1b, 16);
          continue;
        }
        const cols = min(8, ow - ox);
        store_part(out, r0a, r0b, cols);
        if (oy + 1 < oh) store_part(out + (<usize>ow << 2), r1a, r1b, cols);
      }
    }
  }
}

/** The first `cols` (≤ 8, may be ≤ 0) floats of the 8 in (lo, hi), at q. */
function store_part(q: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols < 4) {
    if (cols > 0) store_partial_f32x4(q, lo, cols);
    return;
  }
  v128.store(q, lo);
  if (cols == 8) v128.store(q, hi, 16);
  else if (cols > 4) store_partial_f32x4(q + 16, hi, cols - 4);
}
