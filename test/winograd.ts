/**
 * The error bound of a Winograd F(2×2, 3×3) convolution, shared by the kernel tests of every backend.
 *
 * Winograd computes each 2×2 output tile as Y = Aᵀ[Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)]A + bias, with g_c the 3×3 filter
 * of input channel c and d_c the 4×4 input patch (zero outside the image), and
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1].
 * Every operation is a sum, a product or a multiplication by ½ (exact), so each computed output is the exact
 * expansion of that formula, Σ_terms coef·g·d, with each term carried through at most N roundings:
 * U = G g Gᵀ sums ≤ 3 terms twice (4 roundings), V = Bᵀ d B sums 2 terms twice (2), the K-deep FMA chain over
 * the channels (K), Aᵀ M A sums ≤ 3 terms twice (4), the bias (1): N = K + 11. Standard error analysis (Higham,
 * §3.1) then bounds |computed − exact| by γ_N·Ŷ, γ_N = N·u/(1 − N·u), u = 2⁻²⁴, where Ŷ is the same formula
 * evaluated with |Aᵀ|, |G|, |Bᵀ|, |g| and |d| (no cancellation) plus |bias|. We use 2·(N + 1)·u·Ŷ, the same
 * factor-of-two slack the GEMM bound 2·(K + 2)·u·Σ|terms| has. Ŷ counts terms that cancel exactly (a filter tap
 * against a pixel it never meets), so it exceeds the direct form's Σ|terms| by a small factor (≈ 3-6 on random
 * data); a wrong tap or tile still errs by O(|g|·|d|), orders of magnitude above 2⁻²⁰·Ŷ.
 */

/** The geometry of one convolution: batch, channels, image, filters, output size, padding (3×3, stride 1). */
export interface WinogradGeometry {
  n: number; c: number; h: number; w: number; oc: number; oh: number; ow: number; ph: number; pw: number;
}

const BT_ABS = [
  [1, 0, 1, 0],
  [0, 1, 1, 0],
  [0, 1, 1, 0],
  [0, 1, 0, 1],
];
const G_ABS = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, 0.5, 0.5],
  [0, 0, 1],
];
const AT_ABS = [
  [1, 1, 1, 0],
  [0, 1, 1, 1],
];

/** Whether a convolution is one a backend may run through Winograd F(2×2, 3×3): one group, 3×3, stride 1, no dilation. */
export function winogradShape(s: { groups: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number }): boolean {
  return s.groups === 1 && s.kh === 3 && s.kw === 3 && s.sh === 1 && s.sw === 1 && s.dh === 1 && s.dw === 1;
}

/** |Bᵀ||d||B| of tile (ty, tx) of image n for every input channel, into v [c, 16]. */
function patchesAbs(g: WinogradGeometry, x: Float32Array, n: number, ty: number, tx: number, v: Float64Array): void {
  const d = new Float64Array(16), bd = new Float64Array(16);
  v.fill(0);
  for (let ci = 0; ci < g.c; ci++) {
    for (let r = 0; r < 4; r++)
      for (let q = 0; q < 4; q++) {
        const iy = 2 * ty - g.ph + r, ix = 2 * tx - g.pw + q;
        d[r * 4 + q] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? Math.abs(x[((n * g.c + ci) * g.h + iy) * g.w + ix]) : 0;
      }
    bd.fill(0);
    for (let i = 0; i < 4; i++) for (let q = 0; q < 4; q++) for (let r = 0; r < 4; r++) bd[i * 4 + q] += BT_ABS[i][r] * d[r * 4 + q];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let q = 0; q < 4; q++) v[ci * 16 + i * 4 + j] += bd[i * 4 + q] * BT_ABS[j][q];
  }
}

/**
 * Ŷ per output element, [n, oc, oh, ow], float64: the Winograd formula on |x| [n, c, h, w], |wt| [oc, c, 3, 3] and
 * |bias| (empty: none), with the absolute transform matrices.
 */
export function winogradAbs(g: WinogradGeometry, x: Float32Array, wt: Float32Array, bias: Float32Array): Float64Array {
  const th = Math.ceil(g.oh / 2), tw = Math.ceil(g.ow / 2);
  // |G||w||G|ᵀ per (o, ci): 16 values.
  const u = new Float64Array(g.oc * g.c * 16);
  for (let p = 0; p < g.oc * g.c; p++) {
    const gg = new Float64Array(12); // |G||w|: 4×3
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) gg[i * 3 + j] += G_ABS[i][k] * Math.abs(wt[p * 9 + k * 3 + j]);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) u[p * 16 + i * 4 + j] += gg[i * 3 + k] * G_ABS[j][k];
  }
  const out = new Float64Array(g.n * g.oc * g.oh * g.ow);
  const v = new Float64Array(g.c * 16), m = new Float64Array(16);
  for (let n = 0; n < g.n; n++)
    for (let ty = 0; ty < th; ty++)
      for (let tx = 0; tx < tw; tx++) {
        patchesAbs(g, x, n, ty, tx, v);
        for (let o = 0; o < g.oc; o++) {
          m.fill(0);
          for (let ci = 0; ci < g.c; ci++) for (let e = 0; e < 16; e++) m[e] += u[(o * g.c + ci) * 16 + e] * v[ci * 16 + e];
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++) {
              const oy = 2 * ty + a, ox = 2 * tx + b;
              if (oy >= g.oh || ox >= g.ow) continue;
              let sum = bias.length > 0 ? Math.abs(bias[o]) : 0;
              for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += AT_ABS[a][i] * AT_ABS[b][j] * m[i * 4 + j];
              out[((n * g.oc + o) * g.oh + oy) * g.ow + ox] = sum;
            }
        }
      }
  return out;
}

/** The bound 2·(K + 12)·2⁻²⁴·Ŷ of a Winograd output whose channel sums are K deep (see the module comment). */
export function winogradBound(k: number, yAbs: number): number {
  return 2 * (k + 12) * 2 ** -24 * yAbs;
}

/**
 * The input gradient of a 3×3 stride-1 convolution is the forward convolution of dY with the flipped, transposed
 * filters and padding 2 − p (how backends run it through Winograd): its geometry and filters, or null when the
 * padding exceeds 2 (no such forward).
 */
export function flippedGeometry(g: WinogradGeometry, wt: Float32Array): { geometry: WinogradGeometry; wt: Float32Array } | null {
  if (g.ph > 2 || g.pw > 2) return null;
  const flipped = new Float32Array(wt.length);
  for (let o = 0; o < g.oc; o++)
    for (let ci = 0; ci < g.c; ci++) for (let t = 0; t < 9; t++) flipped[(ci * g.oc + o) * 9 + t] = wt[(o * g.c + ci) * 9 + 8 - t];
  return {
    geometry: { n: g.n, c: g.oc, h: g.oh, w: g.ow, oc: g.c, oh: g.h, ow: g.w, ph: 2 - g.ph, pw: 2 - g.pw },
    wt: flipped,
  };
}

/**
 * The weight gradient by Winograd (wasm): per image dU = Σ_tiles (A dY Aᵀ) ⊙ (Bᵀ d B) with A = Aᵀᵀ, then dW += Gᵀ dU G,
 * image by image. Ŷ per weight element [oc, c, 3, 3], float64: that formula on |x| and |dy| with the absolute
 * matrices, summed over the images. Each term passes ≤ 2 roundings in A dY Aᵀ, 2 in Bᵀ d B, 1 product, the sum over
 * a image's th·tw tiles, 4 in Gᵀ dU G and ≤ n + 1 in the sum over images and beta: N = th·tw + n + 10.
 */
export function winogradFilterAbs(g: WinogradGeometry, x: Float32Array, dy: Float32Array): Float64Array {
  const th = Math.ceil(g.oh / 2), tw = Math.ceil(g.ow / 2);
  const du = new Float64Array(g.oc * g.c * 16), v = new Float64Array(g.c * 16), m = new Float64Array(g.oc * 16);
  for (let n = 0; n < g.n; n++)
    for (let ty = 0; ty < th; ty++)
      for (let tx = 0; tx < tw; tx++) {
        patchesAbs(g, x, n, ty, tx, v);
        // |A| |dY tile| |Aᵀ|: element (i, j) sums |dY[a, b]| over AT_ABS[a][i]·AT_ABS[b][j].
        m.fill(0);
        for (let o = 0; o < g.oc; o++)
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++) {
              const oy = 2 * ty + a, ox = 2 * tx + b;
              if (oy >= g.oh || ox >= g.ow) continue;
              const e = Math.abs(dy[((n * g.oc + o) * g.oh + oy) * g.ow + ox]);
              for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) m[o * 16 + i * 4 + j] += AT_ABS[a][i] * AT_ABS[b][j] * e;
            }
        for (let o = 0; o < g.oc; o++)
          for (let ci = 0; ci < g.c; ci++) for (let e = 0; e < 16; e++) du[(o * g.c + ci) * 16 + e] += m[o * 16 + e] * v[ci * 16 + e];
      }
  // |Gᵀ| dU |G| per (o, ci); a sum of per-image terms equals the transform of their sum (all non-negative, linear).
  const out = new Float64Array(g.oc * g.c * 9);
  for (let p = 0; p < g.oc * g.c; p++)
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++) {
        let sum = 0;
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += G_ABS[i][ky] * du[p * 16 + i * 4 + j] * G_ABS[j][kx];
        out[p * 9 + ky * 3 + kx] = sum;
      }
  return out;
}

/** The bound 2·(N + 1)·2⁻²⁴·(Ŷ + |beta·old|) of a Winograd weight gradient, N = th·tw + n + 10 (winogradFilterAbs). */
export function winogradFilterBound(g: WinogradGeometry, yAbs: number): number {
  return 2 * (Math.ceil(g.oh / 2) * Math.ceil(g.ow / 2) + g.n + 11) * 2 ** -24 * yAbs;
}
