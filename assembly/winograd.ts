/**
 * Winograd F(2×2, 3×3) for the 3×3, stride-1, dilation-1, ungrouped convolutions of conv.ts (forward, the input
 * gradient as the 3×3 convolution of dY with the flipped, transposed weights at padding 2 − p, and the weight
 * gradient: see wino_grad_image below): each 2×2 output
 * tile is Aᵀ[Σ_i U_i ⊙ V_i]A with U = G g Gᵀ (per filter pair, once per task) and V = Bᵀ d B (per 4×4 input patch),
 * so the 36 multiply-adds of a tile and channel become 16, in 16 GEMMs M[ξ] = U[ξ]·V[ξ] (ξ the 16 transformed
 * positions, K = input channels) on a 4×8 register tile like gemm.ts's (splat_product). CNN-S's conv2 (14×14: 7×7
 * tiles) does 2.25× fewer multiply-adds than the direct product (1.97× when its tile rows were padded to 8 tiles).
 * - U[ξ] is written in MR-tall panels of plain floats (rows: output channels, k: input channels), which the tile
 *   splats as it reads them: 4× smaller than gemm.ts's pre-broadcast panels, so all 16 fit packed A's 512 KiB up to
 *   8,192 channel pairs (64→128), as fast on CNN-S's conv2 (measured 1.01× forward, 1.05× input gradient).
 * - V[ξ] is written straight into pack_b's NR-wide panels (k: input channels, columns: tiles): the transform runs over
 *   4 horizontally adjacent tiles in the four lanes of a v128, reading each input channel from a zero-padded copy of
 *   the block's rows (even/odd columns split by shuffles), so the edges and any padding (negative too: the input
 *   gradient of p > 2, which conv.ts leaves to the products) need no branches.
 * - M[ξ] [output channels × tiles] goes to the workspace; the output transform reads the 16 of them 4 tiles at a time
 *   and adds the bias after the sum. Tiles past the output's odd edge are computed and dropped.
 * Tiles are numbered densely, tW = ⌈ow/2⌉ to a row and a task's images one after another, so the products have no
 * padded columns (CNN-S's conv2, 4 images: 196 tiles in 25 panels; padded to rows of 8 tiles each image took 7 for
 * 49 tiles). The transforms still run on vectors of 4 tiles: a row's last vector writes up to 3 tiles past the row,
 * where the next row's tiles (written after) or spare room go, and crosses into the next panel at lanes 5–7
 * (store_lanes). The forward and input gradient process a task's images in blocks of tile rows sized to the
 * workspace (CNN-S: its 4 images in one block); each tile's arithmetic does not depend on its block or column.
 * The weight gradient takes one image at a time (its tiles are the products' k, so blocks would change the sums),
 * and reads dY's planes as they are when its tiles cover them exactly (even sizes, at least 8 wide: CNN-S's 14×14)
 * rather than from padded copies.
 * Tile t of a block sits in panel t/8, lane t%8 (forward) or in k step t (weight gradient).
 * Accuracy: the transforms add at most 4 (V), 9/4·|g| (U) and 9 (output) terms; the sum over channels is float32
 * in channel order (bounds: test/winograd.ts). Every sample's arithmetic depends only on the
 * sizes, so any split of samples between threads gives the same bits.
 */
import { GEMM_MR, GEMM_NR, store_transposed_4x4 } from './gemm';
import { pool_window } from './pool';
import { copy_f32, load_partial_f32x4, madd, store_partial_f32x4, zero_f32 } from './simd';

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
 * Rows of tiles per block for cin → cout channels and an ow-wide output over up to `images` images (their rows of
 * tiles one after another), given the workspace: U in aValues·4 floats (packed A's 16-byte values), V panels in
 * bFloats, M, every input channel's padded rows (of one image at a time) and an edge tile in restFloats. 0: does not
 * fit.
 */
export function wino_block_rows(cin: i32, cout: i32, oh: i32, ow: i32, images: i32, aValues: i64, bFloats: i64, restFloats: i64): i32 {
  if (<i64>XI * <i64>round_up(cout, GEMM_MR) * <i64>cin > aValues * 4) return 0;
  const tW = <i64>((ow + 1) >> 1), wp = <i64>padded_width(ow), tH = <i64>((oh + 1) >> 1);
  let rows = tH * <i64>max(images, 1);
  // Largest block that fits: V = 16·cin·⌈T + 3⌉₈ floats, M = 16·cout·T floats plus cin·(2·rows + 2)·wp padded floats
  // (rows of one image at a time) and an edge tile.
  while (rows > 0) {
    const t = rows * tW, planeRows = rows < tH ? rows : tH;
    const v = <i64>XI * <i64>cin * ((t + 3 + GEMM_NR - 1) / GEMM_NR * GEMM_NR);
    const m = <i64>XI * <i64>cout * t + <i64>cin * (2 * planeRows + 2) * wp + GEMM_MR * GEMM_NR;
    if (v <= bFloats && m <= restFloats) break;
    rows--;
  }
  return <i32>rows;
}

/**
 * U = G g Gᵀ of every (output, input) channel pair, as MR-tall panels for 16 products of rows × cols (rows the
 * products' output channels, cols their input channels): element (o, i) of U[ξ] at float
 * ξ·⌈rows⌉₄·cols + (o/4)·cols·4 + i·4 + o%4. g is weight[o, i] (layout [rows, cols,
 * 3, 3]) or, with `flip` (the input gradient), weight[i, o] rotated by 180° (layout [cols, rows, 3, 3]). Rows past
 * `rows` in the last panel are zeros.
 */
export function wino_weights(weight: usize, rows: i32, cols: i32, flip: bool, dst: usize): void {
  const rowsPad = round_up(rows, GEMM_MR);
  const xiBytes = <usize>rowsPad * <usize>cols << 2;
  for (let o = 0; o < rowsPad; o++)
    for (let i = 0; i < cols; i++) {
      const d = dst + ((<usize>((o >> 2) * cols * 4 + i * 4 + (o & 3))) << 2);
      if (o >= rows) {
        for (let xi = 0; xi < XI; xi++) store<f32>(d + <usize>xi * xiBytes, 0);
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

/** Row (a, b, c) of G g times Gᵀ: a, ½(a + c + b), ½(a + c − b), c, at ξ = xi0 … xi0 + 3. */
// @ts-ignore: decorator
@inline function weight_row(a: f32, b: f32, c: f32, d: usize, xiBytes: usize, xi0: i32): void {
  const p = d + <usize>xi0 * xiBytes;
  store<f32>(p, a);
  store<f32>(p + xiBytes, (a + c + b) * 0.5);
  store<f32>(p + 2 * xiBytes, (a + c - b) * 0.5);
  store<f32>(p + 3 * xiBytes, c);
}

/**
 * `count` images' convolution by Winograd: cin planes of h×w at x (images xBytes apart) → cout planes of oh×ow at y
 * (yBytes apart), output (oy, ox) reading input (oy − ph + ky, ox − pw + kx) (zero outside), bias (0: none) added
 * after the sum. The images' rows of tiles follow one another, so a block of blockRows rows (wino_block_rows) may
 * hold several images, and the products' columns are full. u: wino_weights' packed U; vPanels, scratch: the
 * workspace (wino_block_rows' bFloats and restFloats). Pooled (`pool`): y holds the pooled values and idx (yBytes
 * apart too) their indices.
 */
export function wino_images(
  count: i32, cin: i32, h: i32, w: i32, cout: i32, oh: i32, ow: i32, ph: i32, pw: i32, x: usize, xBytes: usize, u: usize, bias: usize,
  y: usize, yBytes: usize, blockRows: i32, vPanels: usize, scratch: usize, pool: bool = false, idx: usize = 0, relu: bool = false,
): void {
  const tH = (oh + 1) >> 1, tW = (ow + 1) >> 1, wp = padded_width(ow), total = count * tH;
  const coutPad = round_up(cout, GEMM_MR), planeBytes = (<usize>h * <usize>w) << 2;
  for (let r0 = 0; r0 < total; r0 += blockRows) {
    const rows = min(blockRows, total - r0), t = rows * tW;
    // V[ξ] has room for the 3 tiles a row's last vector may write past the block's last tile (input_transform).
    const vXi = <usize>round_up(t + 3, GEMM_NR) * <usize>cin << 2, mXi = <usize>cout * <usize>t << 2;
    // Every input channel's padded rows of a segment, padBytes apart, then V channel by channel within each panel.
    const padBytes = (<usize>(2 * min(rows, tH) + 2) * <usize>wp) << 2;
    const planes = scratch, m = scratch + <usize>cin * padBytes, tile = m + <usize>XI * mXi;
    for (let r = r0; r < r0 + rows;) {
      // The block's rows of image r / tH: tile rows [ty0, ty0 + seg) from column (r − r0)·tW of the products on.
      const image = r / tH, ty0 = r % tH, seg = min(tH - ty0, r0 + rows - r);
      for (let i = 0; i < cin; i++)
        pad_rows(x + <usize>image * xBytes + <usize>i * planeBytes, h, w, 2 * ty0 - ph, 2 * seg + 2, pw, wp, planes + <usize>i * padBytes);
      input_transform(planes, padBytes, wp, seg, tW, (r - r0) * tW, cin, vPanels, vXi);
      r += seg;
    }
    for (let xi = 0; xi < XI; xi++)
      splat_product(cout, t, cin, u + ((<usize>xi * <usize>coutPad * <usize>cin) << 2), vPanels + <usize>xi * vXi, m + <usize>xi * mXi, false, tile);
    for (let r = r0; r < r0 + rows;) {
      const image = r / tH, ty0 = r % tH, seg = min(tH - ty0, r0 + rows - r);
      output_transform(m, mXi, cout, t, tW, (r - r0) * tW, ty0, seg, oh, ow, bias, y + <usize>image * yBytes, pool, idx + <usize>image * yBytes, relu);
      r += seg;
    }
  }
}

/**
 * Rows [r0, r0 + count) of a plane (h×w at src; rows outside it are zeros) into count rows of wp floats at dst,
 * column c holding the plane's column c − pw (zero outside). Each padded row is written once: rows outside the
 * plane as zeros, the others as their zero margins around the copied row, in vector stores (the copy's last vector
 * overlaps the one before rather than leaving a scalar tail); a call per row to copy_f32 / zero_f32 cost about 6 %
 * of a CNN-S training step.
 */
export function pad_rows(src: usize, h: i32, w: i32, r0: i32, count: i32, pw: i32, wp: i32, dst: usize): void {
  if (pw < 0 || w < 4 || pw + w > wp) {
    // Negative padding (a crop) or rows narrower than a vector: the general copy.
    zero_f32(dst, <i64>count * <i64>wp);
    const c0 = max(pw, 0), c1 = min(wp, w + pw);
    if (c1 <= c0) return;
    const ra = max(0, -r0), rb = min(count, h - r0);
    for (let r = ra; r < rb; r++)
      copy_f32(dst + ((<usize>(r * wp + c0)) << 2), src + ((<usize>((r0 + r) * w + c0 - pw)) << 2), c1 - c0);
    return;
  }
  const zero = f32x4.splat(0), rowBytes = <usize>wp << 2, body = <usize>(w & ~3) << 2, last = <usize>(w - 4) << 2;
  const end = pw + w;
  let d = dst;
  for (let r = 0; r < count; r++, d += rowBytes) {
    const iy = r0 + r;
    if (iy < 0 || iy >= h) {
      let c = 0;
      for (; c + 4 <= wp; c += 4) v128.store(d + (<usize>c << 2), zero);
      for (; c < wp; c++) store<f32>(d + (<usize>c << 2), 0);
      continue;
    }
    // The left margin first (its vector reaches into the row, which the copy then overwrites), then the row, then
    // the right margin from the row's end on.
    for (let c = 0; c < pw; c += 4) v128.store(d + (<usize>c << 2), zero);
    const from = src + ((<usize>iy * <usize>w) << 2), to = d + (<usize>pw << 2);
    for (let o: usize = 0; o < body; o += 16) v128.store(to + o, v128.load(from + o));
    v128.store(to + last, v128.load(from + last));
    let c = end;
    for (; c + 4 <= wp; c += 4) v128.store(d + (<usize>c << 2), zero);
    for (; c < wp; c++) store<f32>(d + (<usize>c << 2), 0);
  }
}

/**
 * V = Bᵀ d B of every input channel (padded rows at planes, padBytes apart, wp floats each) for `rows` rows of tW
 * tiles, tile (ty, tx) at column tile0 + ty·tW + tx of V[ξ]'s panels (k = channel), 4 tiles per v128 (input_patch),
 * the channels of 4 tiles one after another: each panel's rows are written while its lines are in cache (channel by
 * channel over the whole block, a 64-byte line's two rows were written one block apart). A row's last vector may
 * hold tiles past tW: they land on the next row's first columns, which that row then overwrites, or past the block's
 * last column (V has room for 3), so every column the products read holds its tile.
 */
function input_transform(planes: usize, padBytes: usize, wp: i32, rows: i32, tW: i32, tile0: i32, cin: i32, v: usize, vXi: usize): void {
  const panelBytes = <usize>cin << 5, rowBytes = <usize>wp << 2;
  for (let ty = 0; ty < rows; ty++)
    for (let tx = 0; tx < tW; tx += 4) {
      const tile = tile0 + ty * tW + tx, lane = tile & 7;
      // Lane 0 of tile `tile` in V[0]'s panels, channel 0; past lane 4 its 4 tiles straddle two panels (the other
      // loop, so this one stores whole vectors without a test).
      let p = planes + ((<usize>(2 * ty * wp + 2 * tx)) << 2);
      let at = v + ((<usize>((tile >> 3) * 8 * cin + lane)) << 2);
      const end = at + panelBytes;
      if (lane <= 4) for (; at < end; at += 32, p += padBytes) input_patch(p, rowBytes, at, vXi, 0, panelBytes);
      else for (; at < end; at += 32, p += padBytes) input_patch(p, rowBytes, at, vXi, lane, panelBytes);
    }
}

/**
 * Vᵀ for the weight gradient: V of input channels i … i + 3 (i a multiple of 4; padded rows at planes, planeBytes
 * apart) into Vᵀ[ξ]'s panels (k = tile ty·tW + tx, column = channel): per 4 tiles, each channel's 16 vectors go to
 * `stage`, then a 4×4 transpose per ξ stores 4 tiles' rows of 4 channels. A row's last 4 may reach past tW: those
 * rows land on the next row's first tiles (written after them) or, past the block's t tiles, on the next panel's
 * first rows (its channels come later) or the 3 spare rows after the last panel (wino_grad_image's bXi).
 */
function input_transform_t(planes: usize, planeBytes: usize, wp: i32, rows: i32, tW: i32, i: i32, v: usize, vXi: usize, stage: usize): void {
  const t = rows * tW;
  for (let ty = 0; ty < rows; ty++)
    for (let tx = 0; tx < tW; tx += 4) {
      const tile = ty * tW + tx, offset = (<usize>(2 * ty * wp + 2 * tx)) << 2;
      for (let c = 0; c < 4; c++) input_patch(planes + <usize>c * planeBytes + offset, <usize>wp << 2, stage + (<usize>c << 8), 16, 0, 0);
      const at = v + ((<usize>((i >> 3) * t * 8 + tile * 8 + (i & 7))) << 2);
      for (let xi = 0; xi < XI; xi++) {
        const q = stage + (<usize>xi << 4);
        store_transposed_4x4(at + <usize>xi * vXi, 32, v128.load(q), v128.load(q, 256), v128.load(q, 512), v128.load(q, 768));
      }
    }
}

/**
 * Bᵀ d B of 4 horizontally adjacent tiles (lanes) whose patches start at p, 2 floats apart (rows rowBytes apart):
 * lane l's patch starts at column 2l, so its columns 0 and 1 are the even and odd floats of a row's first 8, columns
 * 2 and 3 the same shifted by one pair. V[ξ] is stored at at + ξ·xiStride, at lane `lane` of an 8-float panel row
 * (store_lanes: past lane 4 the vector continues in the next panel, panelBytes on).
 */
// @ts-ignore: decorator
@inline function input_patch(p: usize, rowBytes: usize, at: usize, xiStride: usize, lane: i32, panelBytes: usize): void {
  // Bᵀ over the patch rows, t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3, on the rows' 12 floats as loaded
  // (3 vectors a row, where the 4 columns would take 4): the columns are then shuffled out of each tᵢ, the same
  // values as the differences of the shuffled columns.
  const a1 = v128.load(p + rowBytes), b1 = v128.load(p + rowBytes, 16), c1 = v128.load(p + rowBytes, 32);
  const a2 = v128.load(p + 2 * rowBytes), b2 = v128.load(p + 2 * rowBytes, 16), c2 = v128.load(p + 2 * rowBytes, 32);
  let a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32);
  const row = xiStride << 2;
  input_cols(f32x4.sub(a, a2), f32x4.sub(b, b2), f32x4.sub(c, c2), at, xiStride, lane, panelBytes);
  input_cols(f32x4.add(a1, a2), f32x4.add(b1, b2), f32x4.add(c1, c2), at + row, xiStride, lane, panelBytes);
  input_cols(f32x4.sub(a2, a1), f32x4.sub(b2, b1), f32x4.sub(c2, c1), at + 2 * row, xiStride, lane, panelBytes);
  a = v128.load(p + 3 * rowBytes); b = v128.load(p + 3 * rowBytes, 16); c = v128.load(p + 3 * rowBytes, 32);
  input_cols(f32x4.sub(a1, a), f32x4.sub(b1, b), f32x4.sub(c1, c), at + 3 * row, xiStride, lane, panelBytes);
}

/**
 * Columns 0–3 of 4 tiles (lanes) from one row of Bᵀ d, its 12 floats in (a, b, c): column 0 the even floats of the
 * first 8, column 1 the odd ones, columns 2 and 3 the same one pair on; then input_row.
 */
// @ts-ignore: decorator
@inline function input_cols(a: v128, b: v128, c: v128, at: usize, xiStride: usize, lane: i32, panelBytes: usize): void {
  const e = f32x4.shuffle(a, b, 0, 2, 4, 6), o = f32x4.shuffle(a, b, 1, 3, 5, 7);
  input_row(e, o, f32x4.shuffle(e, c, 1, 2, 3, 4), f32x4.shuffle(o, c, 1, 2, 3, 5), at, xiStride, lane, panelBytes);
}

/** B over one row (t0..t3) of Bᵀ d: t0 − t2, t1 + t2, t2 − t1, t1 − t3 into the four V[ξ] from `at` on, xiStride apart. */
// @ts-ignore: decorator
@inline function input_row(t0: v128, t1: v128, t2: v128, t3: v128, at: usize, xiStride: usize, lane: i32, panelBytes: usize): void {
  let p = at;
  store_lanes(p, f32x4.sub(t0, t2), lane, panelBytes);
  store_lanes(p += xiStride, f32x4.add(t1, t2), lane, panelBytes);
  store_lanes(p += xiStride, f32x4.sub(t2, t1), lane, panelBytes);
  store_lanes(p += xiStride, f32x4.sub(t1, t3), lane, panelBytes);
}

/**
 * The 4 lanes of v as lanes `lane` … `lane` + 3 of a panel row of 8 floats at p − 4·lane: one store up to lane 4;
 * beyond, the lanes past 7 go to the start of the same row of the next panel (panelBytes on).
 */
// @ts-ignore: decorator
@inline function store_lanes(p: usize, v: v128, lane: i32, panelBytes: usize): void {
  if (lane <= 4) {
    v128.store(p, v);
    return;
  }
  const next = p + panelBytes - (<usize>lane << 2);
  if (lane == 5) {
    v128.store64_lane(p, v, 0);
    v128.store32_lane(p, v, 2, 8);
    v128.store32_lane(next, v, 3);
  } else if (lane == 6) {
    v128.store64_lane(p, v, 0);
    v128.store64_lane(next, v, 1);
  } else {
    v128.store32_lane(p, v, 0);
    v128.store32_lane(next, v, 1);
    v128.store64_lane(next, f32x4.shuffle(v, v, 2, 3, 2, 3), 0, 4);
  }
}

/**
 * Y = Aᵀ M A (+ bias) for every output channel and `rows` rows of tW tiles from tile row ty0 of an image on, tile
 * (ty, tx) at column tile0 + ty·tW + tx of the block's t, 4 tiles per v128 (a row's last vector reads up to 3
 * columns past it: the next row's, or the edge tile's after M), M[ξ] at m + ξ·mXi
 * ([cout, t] row-major). Aᵀ rows: m0 + m1 + m2 and m1 − m2 − m3. Whole vectors of 4 tiles inside the output are
 * stored as two interleaved rows of 8 floats; the others element by element, dropping what lies past oh × ow.
 */
function output_transform(m: usize, mXi: usize, cout: i32, t: i32, tW: i32, tile0: i32, ty0: i32, rows: i32, oh: i32, ow: i32, bias: usize, y: usize, pool: bool, idx: usize, relu: bool): void {
  // Pooled, the (oh/2)×(ow/2) planes of a 2×2 stride-2 max pool: each tile is one window.
  const ohw = pool ? <usize>(oh >> 1) * <usize>(ow >> 1) : <usize>oh * <usize>ow;
  for (let o = 0; o < cout; o++) {
    const b = f32x4.splat(bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0);
    const yo = y + ((<usize>o * ohw) << 2);
    for (let ty = 0; ty < rows; ty++) {
      const oy = 2 * (ty0 + ty);
      for (let tx = 0; tx < tW; tx += 4) {
        const p = m + ((<usize>(o * t + tile0 + ty * tW + tx)) << 2);
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
        if (pool) {
          // Windows of 4 tiles: row oy / 2 of the pooled planes, columns tx … tx + 3 (those inside it).
          const qw = ow >> 1, count = min(4, qw - tx);
          if (oy + 2 > oh || count <= 0) continue;
          const at = (<usize>o * ohw + <usize>(oy >> 1) * <usize>qw + <usize>tx) << 2;
          pool_window(y00, y01, y10, y11, i32x4.add(i32x4.splat(oy * ow + 2 * tx), i32x4(0, 2, 4, 6)), ow, y + at, idx + at, count, relu);
          continue;
        }
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
// @ts-ignore: decorator
@inline export function store_part(q: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols < 4) {
    if (cols > 0) store_partial_f32x4(q, lo, cols);
    return;
  }
  v128.store(q, lo);
  if (cols == 8) v128.store(q, hi, 16);
  else if (cols > 4) store_partial_f32x4(q + 16, hi, cols - 4);
}

// The weight gradient: dW[o, i] = Σ_s Gᵀ dU_s G with dU_s[ξ](o, i) = Σ_tiles (A dY_tile Aᵀ)[ξ] · V[ξ](i, tile), the
// transpose of the forward (Y = Aᵀ(U ⊙ V)A, U = G g Gᵀ). Per image: dM = A dY Aᵀ of each tile of a block of output
// channels, in MR-tall panels as the products' A (rows: output channels, k: tiles), Vᵀ as their B (k: tiles, columns:
// input channels), 16 products into dU (the blocks of tile rows accumulate), then Gᵀ dU G added into dW image by
// image in image order, so a batch split into calls (beta 1 after the first) gives the bits of one call.

/**
 * Input and output channels from which the weight gradient's Winograd pays (one thread, CPU time, batch 128, against
 * the products; 19:00 UTC, load 4): 16→32 on 14×14 1.29×, 8→8 1.49×, 32→32 on 7×7 1.08×, but 4→8 0.92× (a 4-wide
 * B panel wastes half of each tile).
 */
// @ts-ignore: decorator
@inline export const WINO_GRAD_MIN_CHANNELS: i32 = 8;

/**
 * Output channels per block of the weight gradient's rows (a task owns one or more blocks of rows of dW and walks
 * every image; conv.ts groups blocks into tasks).
 */
// @ts-ignore: decorator
@inline export const WINO_GRAD_OUTS: i32 = 16;

/**
 * Rows of tiles per block of the weight gradient of cin input channels into tasks of `taskOuts` output channels (ow
 * wide), given the workspace as in wino_block_rows: dM in aValues·4 floats, Vᵀ in bFloats, dU, the padded input rows
 * and the padded dY rows in restFloats (4 channels' padded rows of each, an edge tile and a stage of 64 vectors).
 * 0: does not fit.
 */
export function wino_grad_block_rows(cin: i32, taskOuts: i32, oh: i32, ow: i32, aValues: i64, bFloats: i64, restFloats: i64): i32 {
  const outs = <i64>round_up(taskOuts, GEMM_MR);
  const tW = <i64>((ow + 1) >> 1), tWp = <i64>tiles_per_row(ow), wp = <i64>padded_width(ow), tH = <i64>((oh + 1) >> 1);
  let rows = tH;
  while (rows > 0) {
    // dM and Vᵀ with 3 spare tiles (k steps) after their last panels (grad_transform, input_transform_t). The blocks
    // also fit rows padded to tWp tiles, as they did before the tiles were packed, since the blocks split each
    // weight's sums: so every shape keeps its bits.
    const t = rows * tW, tPadded = rows * tWp;
    const a = <i64>XI * (outs * t + 12) / 4, b = <i64>XI * (<i64>round_up(cin, GEMM_NR) * t + 24);
    const aPadded = <i64>XI * outs * tPadded / 4, bPadded = <i64>XI * <i64>round_up(cin, GEMM_NR) * tPadded;
    const rest = <i64>XI * outs * <i64>cin + 4 * (2 * rows + 2) * wp + GEMM_MR * 2 * rows * 2 * tWp + GEMM_MR * GEMM_NR + GEMM_MR * XI * 4;
    if (a <= aValues && b <= bFloats && aPadded <= aValues && bPadded <= bFloats && rest <= restFloats) break;
    rows--;
  }
  return <i32>rows;
}

/**
 * dW rows [o0, o1) (layout [cout, cin, 3, 3]) = b·dW + the gradient of one image: x (cin planes of h×w), dy (cout
 * planes of oh×ow), padding ph, pw; b = 0 never reads dW. a, bPanels, scratch: the workspace as in
 * wino_grad_block_rows; blockRows from it.
 */
export function wino_grad_image(
  cin: i32, h: i32, w: i32, cout: i32, oh: i32, ow: i32, ph: i32, pw: i32, x: usize, dy: usize, o0: i32, o1: i32, gw: usize, b: f32,
  blockRows: i32, a: usize, bPanels: usize, scratch: usize,
): void {
  const tH = (oh + 1) >> 1, tW = (ow + 1) >> 1, tWp = tiles_per_row(ow), wp = padded_width(ow), outs = o1 - o0, outsPad = round_up(outs, GEMM_MR);
  const du = scratch, uXi = <usize>outs * <usize>cin << 2;
  for (let ty0 = 0; ty0 < tH; ty0 += blockRows) {
    // Tiles numbered ty·tW + tx (no padding of the products' k); dM and Vᵀ keep 3 spare tiles after their last panel.
    const rows = min(blockRows, tH - ty0), t = rows * tW;
    const aXi = <usize>(outsPad * t + 12) << 2, bXi = <usize>(round_up(cin, GEMM_NR) * t + 24) << 2;
    const planeBytes = (<usize>(2 * rows + 2) * <usize>wp) << 2;
    const plane = du + <usize>XI * uXi, dyPlane = plane + 4 * planeBytes;
    const dyPlaneBytes = <usize>(2 * rows * 2 * tWp) << 2;
    const tile = dyPlane + <usize>GEMM_MR * dyPlaneBytes, stage = tile + ((GEMM_MR * GEMM_NR) << 2);
    for (let i = 0; i < cin; i += 4) {
      // 4 channels' padded rows (zeros past cin: those columns of the products are dropped).
      for (let c = 0; c < 4; c++) {
        const p = plane + <usize>c * planeBytes;
        if (i + c < cin) pad_rows(x + ((<usize>(i + c) * <usize>h * <usize>w) << 2), h, w, 2 * ty0 - ph, 2 * rows + 2, pw, wp, p);
        else zero_f32(p, <i64>(planeBytes >> 2));
      }
      input_transform_t(plane, planeBytes, wp, rows, tW, i, bPanels, bXi, stage);
    }
    // dY's planes as they are when every tile lies inside them (no padded copy; the last row's reads stop at the
    // plane's end), else MR channels' padded rows at a time.
    const direct = (oh & 1) == 0 && (ow & 1) == 0 && ow >= 8 && (outs & (GEMM_MR - 1)) == 0;
    const ohwBytes = (<usize>oh * <usize>ow) << 2;
    for (let o = 0; o < outs; o += GEMM_MR) {
      if (direct) {
        const first = dy + <usize>(o0 + o) * ohwBytes + ((<usize>(2 * ty0) * <usize>ow) << 2);
        grad_transform(first, ohwBytes, <usize>ow << 2, ty0 + rows == tH ? ow : 0, rows, tW, o, a, aXi, stage);
        continue;
      }
      // Zeros for channels past outs: their rows of the products are dropped.
      for (let c = 0; c < GEMM_MR; c++) {
        const p = dyPlane + <usize>c * dyPlaneBytes;
        if (o + c < outs) pad_rows(dy + <usize>(o0 + o + c) * ohwBytes, oh, ow, 2 * ty0, 2 * rows, 0, 2 * tWp, p);
        else zero_f32(p, <i64>(dyPlaneBytes >> 2));
      }
      grad_transform(dyPlane, dyPlaneBytes, <usize>(2 * tWp) << 2, 0, rows, tW, o, a, aXi, stage);
    }
    for (let xi = 0; xi < XI; xi++)
      splat_product(outs, cin, t, a + <usize>xi * aXi, bPanels + <usize>xi * bXi, du + <usize>xi * uXi, ty0 > 0, tile);
  }
  filter_transform(du, uXi, outs, cin, gw + ((<usize>o0 * <usize>cin * 9) << 2), b);
}

/**
 * dM = A dY Aᵀ (A = [1 0; 1 1; 1 −1; 0 −1]) of every tile of a block for output channels o … o + 3 (o a multiple of
 * MR; their rows rowBytes apart from planes on, planes planeBytes apart: padded rows of 2·tWp floats, zeros past the
 * output, or dY's own rows when the tiles cover them exactly; a vector of 4 tiles then reads up to 6 floats past a
 * row, into the next, and with lastCols > 0 (the block's last row is the plane's) its last row reads only its
 * lastCols floats), into the products' A:
 * element (o, tile) of dM[ξ] at a + ξ·aXi, float (o/4)·T·4 + tile·4 + o%4 (MR-tall panels, not pre-broadcast:
 * splat_product splats them), tile = ty·tW + tx. Each channel's transform runs over 4 tiles per v128 into `stage`
 * (16 vectors a channel); a 4×4 transpose per ξ then turns 4 channels × 4 tiles into the panel's 4 k steps of 4
 * channels. A row's last 4 tiles may reach past tW: as in input_transform_t, those k steps are written over later
 * (the next row, the next panel) or land in the 3 spare ones after the last panel.
 */
function grad_transform(planes: usize, planeBytes: usize, rowBytes: usize, lastCols: i32, rows: i32, tW: i32, o: i32, a: usize, aXi: usize, stage: usize): void {
  const t = rows * tW;
  for (let ty = 0; ty < rows; ty++)
    for (let tx = 0; tx < tW; tx += 4) {
      const tile = ty * tW + tx;
      // Floats of the tiles' second row that may be read (8: all).
      const cols = lastCols > 0 && ty == rows - 1 ? min(8, lastCols - 2 * tx) : 8;
      for (let c = 0; c < GEMM_MR; c++) {
        const p = planes + <usize>c * planeBytes + <usize>(2 * ty) * rowBytes + (<usize>(2 * tx) << 2);
        let u = v128.load(p), v = v128.load(p, 16);
        const e0 = f32x4.shuffle(u, v, 0, 2, 4, 6), o0 = f32x4.shuffle(u, v, 1, 3, 5, 7);
        const q = p + rowBytes;
        if (cols == 8) {
          u = v128.load(q);
          v = v128.load(q, 16);
        } else {
          // The plane's last row: the floats past it belong to the tile past tW, whose k step is written over.
          u = cols >= 4 ? v128.load(q) : load_partial_f32x4(q, cols);
          v = cols >= 8 ? v128.load(q, 16) : cols > 4 ? load_partial_f32x4(q + 16, cols - 4) : f32x4.splat(0);
        }
        const e1 = f32x4.shuffle(u, v, 0, 2, 4, 6), o1 = f32x4.shuffle(u, v, 1, 3, 5, 7);
        // A over the tile's rows (d0, d1): d0, d0 + d1, d0 − d1, −d1; then over the columns of each.
        const s = stage + (<usize>c << 8);
        grad_row(e0, o0, s);
        grad_row(f32x4.add(e0, e1), f32x4.add(o0, o1), s + 64);
        grad_row(f32x4.sub(e0, e1), f32x4.sub(o0, o1), s + 128);
        grad_row(f32x4.neg(e1), f32x4.neg(o1), s + 192);
      }
      const at = a + ((<usize>((o >> 2) * t * 4 + tile * 4)) << 2);
      for (let xi = 0; xi < XI; xi++) {
        const s = stage + (<usize>xi << 4);
        store_transposed_4x4(at + <usize>xi * aXi, 16, v128.load(s), v128.load(s, 256), v128.load(s, 512), v128.load(s, 768));
      }
    }
}

/** A over one row (l, r) of A dY: l, l + r, l − r, −r, as the stage's vectors ξ0 … ξ0 + 3 (16 bytes apart at s). */
// @ts-ignore: decorator
@inline function grad_row(l: v128, r: v128, s: usize): void {
  v128.store(s, l);
  v128.store(s, f32x4.add(l, r), 16);
  v128.store(s, f32x4.sub(l, r), 32);
  v128.store(s, f32x4.neg(r), 48);
}

/**
 * C (m×n, row-major, n floats a row) = (readC ? C : 0) + A·B over k, A in MR-tall panels of plain floats (MR a k),
 * B in gemm.ts's NR-wide panels. The 4×8 register tile of gemm.ts's micro-kernel, but A splatted as it is read
 * (load32_splat): writing dM pre-broadcast (16 bytes a value) cost more than the splats save, and plain U fits 4×
 * more channels. Edge tiles via `tile`.
 */
function splat_product(m: i32, n: i32, k: i32, a: usize, b: usize, c: usize, readC: bool, tile: usize): void {
  const ldc = <usize>n << 2;
  for (let jr = 0; jr < n; jr += GEMM_NR) {
    const nr = min(GEMM_NR, n - jr);
    for (let ir = 0; ir < m; ir += GEMM_MR) {
      const mr = min(GEMM_MR, m - ir);
      const full = mr == GEMM_MR && nr == GEMM_NR;
      const cp = c + <usize>ir * ldc + (<usize>jr << 2);
      splat_ukernel_4x8(k, a + (<usize>(ir * k) << 2), b + (<usize>(jr * k) << 2), full ? cp : tile, full ? ldc : GEMM_NR << 2, full && readC);
      if (full) continue;
      for (let r = 0; r < mr; r++)
        for (let j = 0; j < nr; j++) {
          const v = load<f32>(tile + (<usize>(r * GEMM_NR + j) << 2)), at = cp + <usize>r * ldc + (<usize>j << 2);
          store<f32>(at, readC ? load<f32>(at) + v : v);
        }
    }
  }
}

/** One 4×8 tile of splat_product: C = (readC ? C : 0) + Σ_k A[·, k]·B[k, ·]. */
function splat_ukernel_4x8(k: i32, pa: usize, pb: usize, c: usize, ldc: usize, readC: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pa + (<usize>k << 4);
  while (pa < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    pa += 16;
    pb += 32;
  }
  if (readC) {
    c00 = f32x4.add(v128.load(c), c00); c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c + ldc), c10); c11 = f32x4.add(v128.load(c + ldc, 16), c11);
    c20 = f32x4.add(v128.load(c + 2 * ldc), c20); c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
    c30 = f32x4.add(v128.load(c + 3 * ldc), c30); c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/**
 * dW[o, i] = b·dW[o, i] + Gᵀ dU(o, i) G (Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]) for outs × cin pairs, dU[ξ] at du + ξ·uXi
 * ([outs, cin] row-major), 4 input channels per v128 (lanes past cin are dropped), gw at row o0.
 */
function filter_transform(du: usize, uXi: usize, outs: i32, cin: i32, gw: usize, b: f32): void {
  const half = f32x4.splat(0.5);
  for (let o = 0; o < outs; o++)
    for (let i = 0; i < cin; i += 4) {
      let q = du + ((<usize>(o * cin + i)) << 2);
      const u00 = v128.load(q), u01 = v128.load(q += uXi), u02 = v128.load(q += uXi), u03 = v128.load(q += uXi);
      const u10 = v128.load(q += uXi), u11 = v128.load(q += uXi), u12 = v128.load(q += uXi), u13 = v128.load(q += uXi);
      const u20 = v128.load(q += uXi), u21 = v128.load(q += uXi), u22 = v128.load(q += uXi), u23 = v128.load(q += uXi);
      const u30 = v128.load(q += uXi), u31 = v128.load(q += uXi), u32 = v128.load(q += uXi), u33 = v128.load(q += uXi);
      // Gᵀ over the rows, per column c: r0 = u0 + ½(u1 + u2), r1 = ½(u1 − u2), r2 = ½(u1 + u2) + u3.
      const s0 = f32x4.mul(f32x4.add(u10, u20), half), s1 = f32x4.mul(f32x4.add(u11, u21), half);
      const s2 = f32x4.mul(f32x4.add(u12, u22), half), s3 = f32x4.mul(f32x4.add(u13, u23), half);
      // G over the columns of each row of Gᵀ dU: taps 3r, 3r + 1, 3r + 2 of the 4 filters (lanes).
      const c0 = f32x4.add(u00, s0), c1 = f32x4.add(u01, s1), c2 = f32x4.add(u02, s2), c3 = f32x4.add(u03, s3);
      const d0 = f32x4.mul(f32x4.sub(u10, u20), half), d1 = f32x4.mul(f32x4.sub(u11, u21), half);
      const d2 = f32x4.mul(f32x4.sub(u12, u22), half), d3 = f32x4.mul(f32x4.sub(u13, u23), half);
      const e0 = f32x4.add(s0, u30), e1 = f32x4.add(s1, u31), e2 = f32x4.add(s2, u32), e3 = f32x4.add(s3, u33);
      const cs = f32x4.mul(f32x4.add(c1, c2), half), ds = f32x4.mul(f32x4.add(d1, d2), half), es = f32x4.mul(f32x4.add(e1, e2), half);
      const t0 = f32x4.add(c0, cs), t1 = f32x4.mul(f32x4.sub(c1, c2), half), t2 = f32x4.add(cs, c3);
      const t3 = f32x4.add(d0, ds), t4 = f32x4.mul(f32x4.sub(d1, d2), half), t5 = f32x4.add(ds, d3);
      const t6 = f32x4.add(e0, es), t7 = f32x4.mul(f32x4.sub(e1, e2), half), t8 = f32x4.add(es, e3);
      // Each filter's 9 taps are contiguous: two 4×4 transposes give filter l's taps 0–3 and 4–7 as vectors.
      const at = gw + ((<usize>(o * cin + i) * 9) << 2), lanes = min(4, cin - i);
      let x0 = f32x4.shuffle(t0, t1, 0, 4, 1, 5), x1 = f32x4.shuffle(t0, t1, 2, 6, 3, 7);
      let x2 = f32x4.shuffle(t2, t3, 0, 4, 1, 5), x3 = f32x4.shuffle(t2, t3, 2, 6, 3, 7);
      const a0 = f32x4.shuffle(x0, x2, 0, 1, 4, 5), a1 = f32x4.shuffle(x0, x2, 2, 3, 6, 7);
      const a2 = f32x4.shuffle(x1, x3, 0, 1, 4, 5), a3 = f32x4.shuffle(x1, x3, 2, 3, 6, 7);
      x0 = f32x4.shuffle(t4, t5, 0, 4, 1, 5); x1 = f32x4.shuffle(t4, t5, 2, 6, 3, 7);
      x2 = f32x4.shuffle(t6, t7, 0, 4, 1, 5); x3 = f32x4.shuffle(t6, t7, 2, 6, 3, 7);
      const b0 = f32x4.shuffle(x0, x2, 0, 1, 4, 5), b1 = f32x4.shuffle(x0, x2, 2, 3, 6, 7);
      const b2 = f32x4.shuffle(x1, x3, 0, 1, 4, 5), b3 = f32x4.shuffle(x1, x3, 2, 3, 6, 7);
      filter_store(at, a0, b0, f32x4.extract_lane(t8, 0), b);
      if (lanes > 1) filter_store(at + 36, a1, b1, f32x4.extract_lane(t8, 1), b);
      if (lanes > 2) filter_store(at + 72, a2, b2, f32x4.extract_lane(t8, 2), b);
      if (lanes > 3) filter_store(at + 108, a3, b3, f32x4.extract_lane(t8, 3), b);
    }
}

/** One filter's 9 taps at p (taps 0–3, 4–7, 8) = b·dW + the new values; b = 0 never reads dW. */
// @ts-ignore: decorator
@inline function filter_store(p: usize, lo: v128, hi: v128, last: f32, b: f32): void {
  if (b != 0) {
    const vb = f32x4.splat(b);
    lo = f32x4.add(f32x4.mul(vb, v128.load(p)), lo);
    hi = f32x4.add(f32x4.mul(vb, v128.load(p, 16)), hi);
    last = b * load<f32>(p, 32) + last;
  }
  v128.store(p, lo);
  v128.store(p, hi, 16);
  store<f32>(p, last, 32);
}
