/* Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (one group, no dilation, any padding), used by conv.cc's
 * forward, fused conv + pool forward and flipped input gradient. See winograd.cc. */
#pragma once

#include <cstddef>
#include <cstdint>

#include "../kernels.h"

namespace descent {

/* One call's geometry and buffers. ξ = 4·i + j numbers the 16 points of a tile's 4×4 transform. */
struct WinogradPlan {
  const isa_table* T;
  int64_t c, h, w, oc, oh, ow, ph, pw;
  int64_t th, tw;                // rows and columns of 2×2 output tiles
  int64_t tw1;                   // tiles per row with one spare column (see winograd.cc)
  int64_t stile, group;          // a sample's th·tw1 tiles; samples sharing the GEMMs' columns (1 unless rows16)
  int64_t tiles;                 // group·stile
  int64_t panels, tstride;       // NR-wide panels over the tiles; panels·NR
  int64_t vxi, mxi;              // floats from one ξ's block of V (c × tstride) or M (MR × tstride) to the next
  int64_t pcols, block;          // a zero-padded input plane: rows 2·tw1 floats wide, its even rows then its odd
                                 // rows, th + 1 of each plus 2 floats: block floats per parity
  bool rows16;                   // AVX-512 active and rows of at most 16 tiles: the AVX-512 transforms
  int64_t kc_step, m_pad;        // k blocks over the input channels; oc rounded up to MR
  const float* u;                // the transformed filters U = G g Gᵀ: per ξ, MR-tall panels of m_pad × c per k block
};

/* max_group: at most that many samples share the GEMMs' columns (1: one sample at a time). */
WinogradPlan winograd_plan(const isa_table& T, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t oh, int64_t ow,
                           int64_t ph, int64_t pw, int64_t kc_step, int64_t max_group);

/* Floats of the transformed filters (u), of winograd_filters' temporary, and of one thread's per-sample scratch. */
size_t winograd_u_floats(const WinogradPlan& W);
size_t winograd_filter_tmp_floats(const WinogradPlan& W);
size_t winograd_scratch_floats(const WinogradPlan& W);

/* u = the packed U of weight [oc, c, 3, 3], through tmp (winograd_filter_tmp_floats). */
void winograd_filters(const WinogradPlan& W, const float* weight, float* tmp, float* u);

/* A 2×2 stride-2 max pool (then, with relu, a ReLU) applied to each 2×2 output tile as the output transform makes
 * it: the sample's pooled planes y [oc, oh/2, ow/2] and the winners' positions in the oh×ow plane (idx). */
struct WinogradPool {
  float* y;
  int32_t* idx;
  bool relu;
};

/* Whether winograd_sample can pool (even output sizes, so each tile is one window; the AVX-512 transforms). */
bool winograd_pools(const WinogradPlan& W);

/* A group of count ≤ W.group consecutive samples: first winograd_input for each (sample g of the group, x [c, h, w])
 * into scratch (winograd_scratch_floats, 64-byte aligned), then winograd_output: y [count, oc, oh, ow] (+ bias per
 * channel after the sum when bias is not nullptr); with pool (winograd_pools), the pooled planes of the count samples
 * instead of y (then nullptr): max_pool2d_fwd's and relu_fwd's bits on the same outputs, which are never stored.
 * Each output's bits do not depend on the group. */
void winograd_input(const WinogradPlan& W, int64_t g, const float* x, float* scratch);
void winograd_output(const WinogradPlan& W, int64_t count, const float* bias, float* scratch, float* y,
                     const WinogradPool* pool = nullptr);

}  // namespace descent
