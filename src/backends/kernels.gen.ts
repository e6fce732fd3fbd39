/* Auto-generated file. Do not edit! Run `npm run gen:kernels` (native/gen-kernels.mjs) after changing KERNEL_SIGNATURES in src/kernels.ts. */
/* eslint-disable */
import type { F32Buf, I32Buf } from '../buffers.js';
import type { KernelName, Kernels } from '../kernels.js';

/** The checks a wasm door makes, in the order of the addon (types in argument order, then lengths, then values). */
export interface WasmDoorChecks {
  size(call: string, name: string, x: number, min: number): void;
  flag(call: string, name: string, x: number): void;
  scalar(call: string, name: string, x: number): void;
  /** Checks the type (and that it is not freed); returns the length. */
  f32(call: string, name: string, buf: F32Buf): number;
  i32(call: string, name: string, buf: I32Buf): number;
  fits(call: string, what: string, need: number, name: string, have: number): void;
  values(call: string, name: string, buf: I32Buf, count: number, bound: number): void;
  /** The byte pointer of a checked buffer (a foreign one is staged for this call). */
  ptr(buf: F32Buf | I32Buf): number;
  unstage(): void;
  /** The byte pointer of a live buffer of this module of the given type, else −1 (the door then takes its ordered path). */
  own(buf: F32Buf | I32Buf, i32: boolean): number;
}

type Exports = Record<KernelName, (...args: number[]) => void>;
type Addon = Record<KernelName, (...args: unknown[]) => void>;

/** The wasm adapter: every kernel behind its checked door (sizes, flags, types, lengths, values; pointers). */
export function wasmKernels(D: WasmDoorChecks, EX: Exports): Kernels {
  return {
    gemm_f32(ta, tb, m, n, k, alpha, a, b, beta, c) {
      const P_a = D.own(a, false);
      const P_b = D.own(b, false);
      const P_c = D.own(c, false);
      if ((ta === 0 || ta === 1) &&
          (tb === 0 || tb === 1) &&
          typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof k === 'number' && (k | 0) === k && k >= 0 &&
          typeof alpha === 'number' &&
          P_a >= 0 &&
          P_b >= 0 &&
          typeof beta === 'number' &&
          P_c >= 0 &&
          m * k <= a.length &&
          k * n <= b.length &&
          m * n <= c.length) {
        EX.gemm_f32(ta, tb, m, n, k, alpha, P_a, P_b, beta, P_c);
        return;
      }
      D.flag('gemm_f32', 'ta', ta);
      D.flag('gemm_f32', 'tb', tb);
      D.size('gemm_f32', 'm', m, 0);
      D.size('gemm_f32', 'n', n, 0);
      D.size('gemm_f32', 'k', k, 0);
      D.scalar('gemm_f32', 'alpha', alpha);
      const L_a = D.f32('gemm_f32', 'a', a);
      const L_b = D.f32('gemm_f32', 'b', b);
      D.scalar('gemm_f32', 'beta', beta);
      const L_c = D.f32('gemm_f32', 'c', c);
      D.fits('gemm_f32', 'm·k', m * k, 'a', L_a);
      D.fits('gemm_f32', 'k·n', k * n, 'b', L_b);
      D.fits('gemm_f32', 'm·n', m * n, 'c', L_c);
      try {
        EX.gemm_f32(ta, tb, m, n, k, alpha, D.ptr(a), D.ptr(b), beta, D.ptr(c));
      } finally {
        D.unstage();
      }
    },
    gemm_bias_act_f32(m, n, k, act, slope, a, b, bias, c) {
      const P_a = D.own(a, false);
      const P_b = D.own(b, false);
      const P_bias = D.own(bias, false);
      const P_c = D.own(c, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof k === 'number' && (k | 0) === k && k >= 0 &&
          (act === 0 || act === 1) &&
          typeof slope === 'number' &&
          P_a >= 0 &&
          P_b >= 0 &&
          P_bias >= 0 &&
          P_c >= 0 &&
          m * k <= a.length &&
          n * k <= b.length &&
          (!(bias.length !== 0) || n <= bias.length) &&
          m * n <= c.length) {
        EX.gemm_bias_act_f32(m, n, k, act, slope, P_a, P_b, bias.length !== 0 ? P_bias : 0, P_c);
        return;
      }
      D.size('gemm_bias_act_f32', 'm', m, 0);
      D.size('gemm_bias_act_f32', 'n', n, 0);
      D.size('gemm_bias_act_f32', 'k', k, 0);
      D.flag('gemm_bias_act_f32', 'act', act);
      D.scalar('gemm_bias_act_f32', 'slope', slope);
      const L_a = D.f32('gemm_bias_act_f32', 'a', a);
      const L_b = D.f32('gemm_bias_act_f32', 'b', b);
      const L_bias = D.f32('gemm_bias_act_f32', 'bias', bias);
      const L_c = D.f32('gemm_bias_act_f32', 'c', c);
      D.fits('gemm_bias_act_f32', 'm·k', m * k, 'a', L_a);
      D.fits('gemm_bias_act_f32', 'n·k', n * k, 'b', L_b);
      const ON_bias = L_bias !== 0;
      if (ON_bias) D.fits('gemm_bias_act_f32', 'n', n, 'bias', L_bias);
      D.fits('gemm_bias_act_f32', 'm·n', m * n, 'c', L_c);
      try {
        EX.gemm_bias_act_f32(m, n, k, act, slope, D.ptr(a), D.ptr(b), ON_bias ? D.ptr(bias) : 0, D.ptr(c));
      } finally {
        D.unstage();
      }
    },
    gemm_act_bwd_f32(m, n, k, slope, a, b, y, c) {
      const P_a = D.own(a, false);
      const P_b = D.own(b, false);
      const P_y = D.own(y, false);
      const P_c = D.own(c, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof k === 'number' && (k | 0) === k && k >= 0 &&
          typeof slope === 'number' &&
          P_a >= 0 &&
          P_b >= 0 &&
          P_y >= 0 &&
          P_c >= 0 &&
          m * k <= a.length &&
          k * n <= b.length &&
          m * n <= y.length &&
          m * n <= c.length) {
        EX.gemm_act_bwd_f32(m, n, k, slope, P_a, P_b, P_y, P_c);
        return;
      }
      D.size('gemm_act_bwd_f32', 'm', m, 0);
      D.size('gemm_act_bwd_f32', 'n', n, 0);
      D.size('gemm_act_bwd_f32', 'k', k, 0);
      D.scalar('gemm_act_bwd_f32', 'slope', slope);
      const L_a = D.f32('gemm_act_bwd_f32', 'a', a);
      const L_b = D.f32('gemm_act_bwd_f32', 'b', b);
      const L_y = D.f32('gemm_act_bwd_f32', 'y', y);
      const L_c = D.f32('gemm_act_bwd_f32', 'c', c);
      D.fits('gemm_act_bwd_f32', 'm·k', m * k, 'a', L_a);
      D.fits('gemm_act_bwd_f32', 'k·n', k * n, 'b', L_b);
      D.fits('gemm_act_bwd_f32', 'm·n', m * n, 'y', L_y);
      D.fits('gemm_act_bwd_f32', 'm·n', m * n, 'c', L_c);
      try {
        EX.gemm_act_bwd_f32(m, n, k, slope, D.ptr(a), D.ptr(b), D.ptr(y), D.ptr(c));
      } finally {
        D.unstage();
      }
    },
    bias_add_f32(m, n, bias, c) {
      const P_bias = D.own(bias, false);
      const P_c = D.own(c, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_bias >= 0 &&
          P_c >= 0 &&
          n <= bias.length &&
          m * n <= c.length) {
        EX.bias_add_f32(m, n, P_bias, P_c);
        return;
      }
      D.size('bias_add_f32', 'm', m, 0);
      D.size('bias_add_f32', 'n', n, 0);
      const L_bias = D.f32('bias_add_f32', 'bias', bias);
      const L_c = D.f32('bias_add_f32', 'c', c);
      D.fits('bias_add_f32', 'n', n, 'bias', L_bias);
      D.fits('bias_add_f32', 'm·n', m * n, 'c', L_c);
      try {
        EX.bias_add_f32(m, n, D.ptr(bias), D.ptr(c));
      } finally {
        D.unstage();
      }
    },
    col_sum_f32(m, n, beta, a, out) {
      const P_a = D.own(a, false);
      const P_out = D.own(out, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof beta === 'number' &&
          P_a >= 0 &&
          P_out >= 0 &&
          m * n <= a.length &&
          n <= out.length) {
        EX.col_sum_f32(m, n, beta, P_a, P_out);
        return;
      }
      D.size('col_sum_f32', 'm', m, 0);
      D.size('col_sum_f32', 'n', n, 0);
      D.scalar('col_sum_f32', 'beta', beta);
      const L_a = D.f32('col_sum_f32', 'a', a);
      const L_out = D.f32('col_sum_f32', 'out', out);
      D.fits('col_sum_f32', 'm·n', m * n, 'a', L_a);
      D.fits('col_sum_f32', 'n', n, 'out', L_out);
      try {
        EX.col_sum_f32(m, n, beta, D.ptr(a), D.ptr(out));
      } finally {
        D.unstage();
      }
    },
    linear_bwd_f32(m, out_f, in_f, beta, act, slope, dy, x, w, y, dw, db, dx) {
      const P_dy = D.own(dy, false);
      const P_x = D.own(x, false);
      const P_w = D.own(w, false);
      const P_y = D.own(y, false);
      const P_dw = D.own(dw, false);
      const P_db = D.own(db, false);
      const P_dx = D.own(dx, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof out_f === 'number' && (out_f | 0) === out_f && out_f >= 0 &&
          typeof in_f === 'number' && (in_f | 0) === in_f && in_f >= 0 &&
          typeof beta === 'number' &&
          (act === 0 || act === 1) &&
          typeof slope === 'number' &&
          P_dy >= 0 &&
          P_x >= 0 &&
          P_w >= 0 &&
          P_y >= 0 &&
          P_dw >= 0 &&
          P_db >= 0 &&
          P_dx >= 0 &&
          m * out_f <= dy.length &&
          m * in_f <= x.length &&
          out_f * in_f <= w.length &&
          (!(act === 1) || m * in_f <= y.length) &&
          out_f * in_f <= dw.length &&
          (!(db.length !== 0) || out_f <= db.length) &&
          (!(dx.length !== 0) || m * in_f <= dx.length)) {
        EX.linear_bwd_f32(m, out_f, in_f, beta, act, slope, P_dy, P_x, P_w, act === 1 ? P_y : 0, P_dw, db.length !== 0 ? P_db : 0, dx.length !== 0 ? P_dx : 0);
        return;
      }
      D.size('linear_bwd_f32', 'm', m, 0);
      D.size('linear_bwd_f32', 'out_f', out_f, 0);
      D.size('linear_bwd_f32', 'in_f', in_f, 0);
      D.scalar('linear_bwd_f32', 'beta', beta);
      D.flag('linear_bwd_f32', 'act', act);
      D.scalar('linear_bwd_f32', 'slope', slope);
      const L_dy = D.f32('linear_bwd_f32', 'dy', dy);
      const L_x = D.f32('linear_bwd_f32', 'x', x);
      const L_w = D.f32('linear_bwd_f32', 'w', w);
      const L_y = D.f32('linear_bwd_f32', 'y', y);
      const L_dw = D.f32('linear_bwd_f32', 'dw', dw);
      const L_db = D.f32('linear_bwd_f32', 'db', db);
      const L_dx = D.f32('linear_bwd_f32', 'dx', dx);
      D.fits('linear_bwd_f32', 'm·out_f', m * out_f, 'dy', L_dy);
      D.fits('linear_bwd_f32', 'm·in_f', m * in_f, 'x', L_x);
      D.fits('linear_bwd_f32', 'out_f·in_f', out_f * in_f, 'w', L_w);
      const ON_y = act === 1;
      if (ON_y) D.fits('linear_bwd_f32', 'm·in_f (act)', m * in_f, 'y', L_y);
      D.fits('linear_bwd_f32', 'out_f·in_f', out_f * in_f, 'dw', L_dw);
      const ON_db = L_db !== 0;
      if (ON_db) D.fits('linear_bwd_f32', 'out_f', out_f, 'db', L_db);
      const ON_dx = L_dx !== 0;
      if (ON_dx) D.fits('linear_bwd_f32', 'm·in_f', m * in_f, 'dx', L_dx);
      try {
        EX.linear_bwd_f32(m, out_f, in_f, beta, act, slope, D.ptr(dy), D.ptr(x), D.ptr(w), ON_y ? D.ptr(y) : 0, D.ptr(dw), ON_db ? D.ptr(db) : 0, ON_dx ? D.ptr(dx) : 0);
      } finally {
        D.unstage();
      }
    },
    sigmoid_fwd_f32(n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.sigmoid_fwd_f32(n, P_x, P_y);
        return;
      }
      D.size('sigmoid_fwd_f32', 'n', n, 0);
      const L_x = D.f32('sigmoid_fwd_f32', 'x', x);
      const L_y = D.f32('sigmoid_fwd_f32', 'y', y);
      D.fits('sigmoid_fwd_f32', 'n', n, 'x', L_x);
      D.fits('sigmoid_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.sigmoid_fwd_f32(n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    tanh_fwd_f32(n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.tanh_fwd_f32(n, P_x, P_y);
        return;
      }
      D.size('tanh_fwd_f32', 'n', n, 0);
      const L_x = D.f32('tanh_fwd_f32', 'x', x);
      const L_y = D.f32('tanh_fwd_f32', 'y', y);
      D.fits('tanh_fwd_f32', 'n', n, 'x', L_x);
      D.fits('tanh_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.tanh_fwd_f32(n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    relu_fwd_f32(n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.relu_fwd_f32(n, P_x, P_y);
        return;
      }
      D.size('relu_fwd_f32', 'n', n, 0);
      const L_x = D.f32('relu_fwd_f32', 'x', x);
      const L_y = D.f32('relu_fwd_f32', 'y', y);
      D.fits('relu_fwd_f32', 'n', n, 'x', L_x);
      D.fits('relu_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.relu_fwd_f32(n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    leaky_relu_fwd_f32(n, slope, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof slope === 'number' &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.leaky_relu_fwd_f32(n, slope, P_x, P_y);
        return;
      }
      D.size('leaky_relu_fwd_f32', 'n', n, 0);
      D.scalar('leaky_relu_fwd_f32', 'slope', slope);
      const L_x = D.f32('leaky_relu_fwd_f32', 'x', x);
      const L_y = D.f32('leaky_relu_fwd_f32', 'y', y);
      D.fits('leaky_relu_fwd_f32', 'n', n, 'x', L_x);
      D.fits('leaky_relu_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.leaky_relu_fwd_f32(n, slope, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    sigmoid_bwd_f32(n, y, dy, dx) {
      const P_y = D.own(y, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_y >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= y.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.sigmoid_bwd_f32(n, P_y, P_dy, P_dx);
        return;
      }
      D.size('sigmoid_bwd_f32', 'n', n, 0);
      const L_y = D.f32('sigmoid_bwd_f32', 'y', y);
      const L_dy = D.f32('sigmoid_bwd_f32', 'dy', dy);
      const L_dx = D.f32('sigmoid_bwd_f32', 'dx', dx);
      D.fits('sigmoid_bwd_f32', 'n', n, 'y', L_y);
      D.fits('sigmoid_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('sigmoid_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.sigmoid_bwd_f32(n, D.ptr(y), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    tanh_bwd_f32(n, y, dy, dx) {
      const P_y = D.own(y, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_y >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= y.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.tanh_bwd_f32(n, P_y, P_dy, P_dx);
        return;
      }
      D.size('tanh_bwd_f32', 'n', n, 0);
      const L_y = D.f32('tanh_bwd_f32', 'y', y);
      const L_dy = D.f32('tanh_bwd_f32', 'dy', dy);
      const L_dx = D.f32('tanh_bwd_f32', 'dx', dx);
      D.fits('tanh_bwd_f32', 'n', n, 'y', L_y);
      D.fits('tanh_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('tanh_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.tanh_bwd_f32(n, D.ptr(y), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    relu_bwd_f32(n, y, dy, dx) {
      const P_y = D.own(y, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_y >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= y.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.relu_bwd_f32(n, P_y, P_dy, P_dx);
        return;
      }
      D.size('relu_bwd_f32', 'n', n, 0);
      const L_y = D.f32('relu_bwd_f32', 'y', y);
      const L_dy = D.f32('relu_bwd_f32', 'dy', dy);
      const L_dx = D.f32('relu_bwd_f32', 'dx', dx);
      D.fits('relu_bwd_f32', 'n', n, 'y', L_y);
      D.fits('relu_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('relu_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.relu_bwd_f32(n, D.ptr(y), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    leaky_relu_bwd_f32(n, slope, y, dy, dx) {
      const P_y = D.own(y, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof slope === 'number' &&
          P_y >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= y.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.leaky_relu_bwd_f32(n, slope, P_y, P_dy, P_dx);
        return;
      }
      D.size('leaky_relu_bwd_f32', 'n', n, 0);
      D.scalar('leaky_relu_bwd_f32', 'slope', slope);
      const L_y = D.f32('leaky_relu_bwd_f32', 'y', y);
      const L_dy = D.f32('leaky_relu_bwd_f32', 'dy', dy);
      const L_dx = D.f32('leaky_relu_bwd_f32', 'dx', dx);
      D.fits('leaky_relu_bwd_f32', 'n', n, 'y', L_y);
      D.fits('leaky_relu_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('leaky_relu_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.leaky_relu_bwd_f32(n, slope, D.ptr(y), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    elu_fwd_f32(n, alpha, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof alpha === 'number' &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.elu_fwd_f32(n, alpha, P_x, P_y);
        return;
      }
      D.size('elu_fwd_f32', 'n', n, 0);
      D.scalar('elu_fwd_f32', 'alpha', alpha);
      const L_x = D.f32('elu_fwd_f32', 'x', x);
      const L_y = D.f32('elu_fwd_f32', 'y', y);
      D.fits('elu_fwd_f32', 'n', n, 'x', L_x);
      D.fits('elu_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.elu_fwd_f32(n, alpha, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    elu_bwd_f32(n, alpha, x, dy, dx) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof alpha === 'number' &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= x.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.elu_bwd_f32(n, alpha, P_x, P_dy, P_dx);
        return;
      }
      D.size('elu_bwd_f32', 'n', n, 0);
      D.scalar('elu_bwd_f32', 'alpha', alpha);
      const L_x = D.f32('elu_bwd_f32', 'x', x);
      const L_dy = D.f32('elu_bwd_f32', 'dy', dy);
      const L_dx = D.f32('elu_bwd_f32', 'dx', dx);
      D.fits('elu_bwd_f32', 'n', n, 'x', L_x);
      D.fits('elu_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('elu_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.elu_bwd_f32(n, alpha, D.ptr(x), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    gelu_fwd_f32(n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.gelu_fwd_f32(n, P_x, P_y);
        return;
      }
      D.size('gelu_fwd_f32', 'n', n, 0);
      const L_x = D.f32('gelu_fwd_f32', 'x', x);
      const L_y = D.f32('gelu_fwd_f32', 'y', y);
      D.fits('gelu_fwd_f32', 'n', n, 'x', L_x);
      D.fits('gelu_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.gelu_fwd_f32(n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    gelu_bwd_f32(n, x, dy, dx) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= x.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.gelu_bwd_f32(n, P_x, P_dy, P_dx);
        return;
      }
      D.size('gelu_bwd_f32', 'n', n, 0);
      const L_x = D.f32('gelu_bwd_f32', 'x', x);
      const L_dy = D.f32('gelu_bwd_f32', 'dy', dy);
      const L_dx = D.f32('gelu_bwd_f32', 'dx', dx);
      D.fits('gelu_bwd_f32', 'n', n, 'x', L_x);
      D.fits('gelu_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('gelu_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.gelu_bwd_f32(n, D.ptr(x), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    gelu_tanh_fwd_f32(n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.gelu_tanh_fwd_f32(n, P_x, P_y);
        return;
      }
      D.size('gelu_tanh_fwd_f32', 'n', n, 0);
      const L_x = D.f32('gelu_tanh_fwd_f32', 'x', x);
      const L_y = D.f32('gelu_tanh_fwd_f32', 'y', y);
      D.fits('gelu_tanh_fwd_f32', 'n', n, 'x', L_x);
      D.fits('gelu_tanh_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.gelu_tanh_fwd_f32(n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    gelu_tanh_bwd_f32(n, x, dy, dx) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= x.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.gelu_tanh_bwd_f32(n, P_x, P_dy, P_dx);
        return;
      }
      D.size('gelu_tanh_bwd_f32', 'n', n, 0);
      const L_x = D.f32('gelu_tanh_bwd_f32', 'x', x);
      const L_dy = D.f32('gelu_tanh_bwd_f32', 'dy', dy);
      const L_dx = D.f32('gelu_tanh_bwd_f32', 'dx', dx);
      D.fits('gelu_tanh_bwd_f32', 'n', n, 'x', L_x);
      D.fits('gelu_tanh_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('gelu_tanh_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.gelu_tanh_bwd_f32(n, D.ptr(x), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    silu_fwd_f32(n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.silu_fwd_f32(n, P_x, P_y);
        return;
      }
      D.size('silu_fwd_f32', 'n', n, 0);
      const L_x = D.f32('silu_fwd_f32', 'x', x);
      const L_y = D.f32('silu_fwd_f32', 'y', y);
      D.fits('silu_fwd_f32', 'n', n, 'x', L_x);
      D.fits('silu_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.silu_fwd_f32(n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    silu_bwd_f32(n, x, dy, dx) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= x.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.silu_bwd_f32(n, P_x, P_dy, P_dx);
        return;
      }
      D.size('silu_bwd_f32', 'n', n, 0);
      const L_x = D.f32('silu_bwd_f32', 'x', x);
      const L_dy = D.f32('silu_bwd_f32', 'dy', dy);
      const L_dx = D.f32('silu_bwd_f32', 'dx', dx);
      D.fits('silu_bwd_f32', 'n', n, 'x', L_x);
      D.fits('silu_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('silu_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.silu_bwd_f32(n, D.ptr(x), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    softplus_fwd_f32(n, beta, threshold, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof beta === 'number' &&
          typeof threshold === 'number' &&
          P_x >= 0 &&
          P_y >= 0 &&
          n <= x.length &&
          n <= y.length) {
        EX.softplus_fwd_f32(n, beta, threshold, P_x, P_y);
        return;
      }
      D.size('softplus_fwd_f32', 'n', n, 0);
      D.scalar('softplus_fwd_f32', 'beta', beta);
      D.scalar('softplus_fwd_f32', 'threshold', threshold);
      const L_x = D.f32('softplus_fwd_f32', 'x', x);
      const L_y = D.f32('softplus_fwd_f32', 'y', y);
      D.fits('softplus_fwd_f32', 'n', n, 'x', L_x);
      D.fits('softplus_fwd_f32', 'n', n, 'y', L_y);
      try {
        EX.softplus_fwd_f32(n, beta, threshold, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    softplus_bwd_f32(n, beta, threshold, x, dy, dx) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof beta === 'number' &&
          typeof threshold === 'number' &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          n <= x.length &&
          n <= dy.length &&
          n <= dx.length) {
        EX.softplus_bwd_f32(n, beta, threshold, P_x, P_dy, P_dx);
        return;
      }
      D.size('softplus_bwd_f32', 'n', n, 0);
      D.scalar('softplus_bwd_f32', 'beta', beta);
      D.scalar('softplus_bwd_f32', 'threshold', threshold);
      const L_x = D.f32('softplus_bwd_f32', 'x', x);
      const L_dy = D.f32('softplus_bwd_f32', 'dy', dy);
      const L_dx = D.f32('softplus_bwd_f32', 'dx', dx);
      D.fits('softplus_bwd_f32', 'n', n, 'x', L_x);
      D.fits('softplus_bwd_f32', 'n', n, 'dy', L_dy);
      D.fits('softplus_bwd_f32', 'n', n, 'dx', L_dx);
      try {
        EX.softplus_bwd_f32(n, beta, threshold, D.ptr(x), D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    softmax_fwd_f32(m, n, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          m * n <= x.length &&
          m * n <= y.length) {
        EX.softmax_fwd_f32(m, n, P_x, P_y);
        return;
      }
      D.size('softmax_fwd_f32', 'm', m, 0);
      D.size('softmax_fwd_f32', 'n', n, 0);
      const L_x = D.f32('softmax_fwd_f32', 'x', x);
      const L_y = D.f32('softmax_fwd_f32', 'y', y);
      D.fits('softmax_fwd_f32', 'm·n', m * n, 'x', L_x);
      D.fits('softmax_fwd_f32', 'm·n', m * n, 'y', L_y);
      try {
        EX.softmax_fwd_f32(m, n, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    softmax_xent_f32(m, n, scale, logits, labels, loss, grad) {
      const P_logits = D.own(logits, false);
      const P_labels = D.own(labels, true);
      const P_loss = D.own(loss, false);
      const P_grad = D.own(grad, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof scale === 'number' &&
          P_logits >= 0 &&
          P_labels >= 0 &&
          P_loss >= 0 &&
          P_grad >= 0 &&
          m * n <= logits.length &&
          m <= labels.length &&
          m <= loss.length &&
          (!(grad.length !== 0) || m * n <= grad.length)) {
        D.values('softmax_xent_f32', 'labels', labels, m, n);
        EX.softmax_xent_f32(m, n, scale, P_logits, P_labels, P_loss, grad.length !== 0 ? P_grad : 0);
        return;
      }
      D.size('softmax_xent_f32', 'm', m, 0);
      D.size('softmax_xent_f32', 'n', n, 0);
      D.scalar('softmax_xent_f32', 'scale', scale);
      const L_logits = D.f32('softmax_xent_f32', 'logits', logits);
      const L_labels = D.i32('softmax_xent_f32', 'labels', labels);
      const L_loss = D.f32('softmax_xent_f32', 'loss', loss);
      const L_grad = D.f32('softmax_xent_f32', 'grad', grad);
      D.fits('softmax_xent_f32', 'm·n', m * n, 'logits', L_logits);
      D.fits('softmax_xent_f32', 'm', m, 'labels', L_labels);
      D.fits('softmax_xent_f32', 'm', m, 'loss', L_loss);
      const ON_grad = L_grad !== 0;
      if (ON_grad) D.fits('softmax_xent_f32', 'm·n', m * n, 'grad', L_grad);
      D.values('softmax_xent_f32', 'labels', labels, m, n);
      try {
        EX.softmax_xent_f32(m, n, scale, D.ptr(logits), D.ptr(labels), D.ptr(loss), ON_grad ? D.ptr(grad) : 0);
      } finally {
        D.unstage();
      }
    },
    mse_f32(m, n, scale, pred, target, loss, grad) {
      const P_pred = D.own(pred, false);
      const P_target = D.own(target, false);
      const P_loss = D.own(loss, false);
      const P_grad = D.own(grad, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof scale === 'number' &&
          P_pred >= 0 &&
          P_target >= 0 &&
          P_loss >= 0 &&
          P_grad >= 0 &&
          m * n <= pred.length &&
          m * n <= target.length &&
          m <= loss.length &&
          (!(grad.length !== 0) || m * n <= grad.length)) {
        EX.mse_f32(m, n, scale, P_pred, P_target, P_loss, grad.length !== 0 ? P_grad : 0);
        return;
      }
      D.size('mse_f32', 'm', m, 0);
      D.size('mse_f32', 'n', n, 0);
      D.scalar('mse_f32', 'scale', scale);
      const L_pred = D.f32('mse_f32', 'pred', pred);
      const L_target = D.f32('mse_f32', 'target', target);
      const L_loss = D.f32('mse_f32', 'loss', loss);
      const L_grad = D.f32('mse_f32', 'grad', grad);
      D.fits('mse_f32', 'm·n', m * n, 'pred', L_pred);
      D.fits('mse_f32', 'm·n', m * n, 'target', L_target);
      D.fits('mse_f32', 'm', m, 'loss', L_loss);
      const ON_grad = L_grad !== 0;
      if (ON_grad) D.fits('mse_f32', 'm·n', m * n, 'grad', L_grad);
      try {
        EX.mse_f32(m, n, scale, D.ptr(pred), D.ptr(target), D.ptr(loss), ON_grad ? D.ptr(grad) : 0);
      } finally {
        D.unstage();
      }
    },
    bce_logits_f32(m, n, scale, pred, target, loss, grad) {
      const P_pred = D.own(pred, false);
      const P_target = D.own(target, false);
      const P_loss = D.own(loss, false);
      const P_grad = D.own(grad, false);
      if (typeof m === 'number' && (m | 0) === m && m >= 0 &&
          typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof scale === 'number' &&
          P_pred >= 0 &&
          P_target >= 0 &&
          P_loss >= 0 &&
          P_grad >= 0 &&
          m * n <= pred.length &&
          m * n <= target.length &&
          m <= loss.length &&
          (!(grad.length !== 0) || m * n <= grad.length)) {
        EX.bce_logits_f32(m, n, scale, P_pred, P_target, P_loss, grad.length !== 0 ? P_grad : 0);
        return;
      }
      D.size('bce_logits_f32', 'm', m, 0);
      D.size('bce_logits_f32', 'n', n, 0);
      D.scalar('bce_logits_f32', 'scale', scale);
      const L_pred = D.f32('bce_logits_f32', 'pred', pred);
      const L_target = D.f32('bce_logits_f32', 'target', target);
      const L_loss = D.f32('bce_logits_f32', 'loss', loss);
      const L_grad = D.f32('bce_logits_f32', 'grad', grad);
      D.fits('bce_logits_f32', 'm·n', m * n, 'pred', L_pred);
      D.fits('bce_logits_f32', 'm·n', m * n, 'target', L_target);
      D.fits('bce_logits_f32', 'm', m, 'loss', L_loss);
      const ON_grad = L_grad !== 0;
      if (ON_grad) D.fits('bce_logits_f32', 'm·n', m * n, 'grad', L_grad);
      try {
        EX.bce_logits_f32(m, n, scale, D.ptr(pred), D.ptr(target), D.ptr(loss), ON_grad ? D.ptr(grad) : 0);
      } finally {
        D.unstage();
      }
    },
    sgd_step_f32(n, lr, wd, w, g) {
      const P_w = D.own(w, false);
      const P_g = D.own(g, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof lr === 'number' &&
          typeof wd === 'number' &&
          P_w >= 0 &&
          P_g >= 0 &&
          n <= w.length &&
          n <= g.length) {
        EX.sgd_step_f32(n, lr, wd, P_w, P_g);
        return;
      }
      D.size('sgd_step_f32', 'n', n, 0);
      D.scalar('sgd_step_f32', 'lr', lr);
      D.scalar('sgd_step_f32', 'wd', wd);
      const L_w = D.f32('sgd_step_f32', 'w', w);
      const L_g = D.f32('sgd_step_f32', 'g', g);
      D.fits('sgd_step_f32', 'n', n, 'w', L_w);
      D.fits('sgd_step_f32', 'n', n, 'g', L_g);
      try {
        EX.sgd_step_f32(n, lr, wd, D.ptr(w), D.ptr(g));
      } finally {
        D.unstage();
      }
    },
    momentum_step_f32(n, lr, mu, damp, wd, nesterov, w, g, buf) {
      const P_w = D.own(w, false);
      const P_g = D.own(g, false);
      const P_buf = D.own(buf, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof lr === 'number' &&
          typeof mu === 'number' &&
          typeof damp === 'number' &&
          typeof wd === 'number' &&
          (nesterov === 0 || nesterov === 1) &&
          P_w >= 0 &&
          P_g >= 0 &&
          P_buf >= 0 &&
          n <= w.length &&
          n <= g.length &&
          n <= buf.length) {
        EX.momentum_step_f32(n, lr, mu, damp, wd, nesterov, P_w, P_g, P_buf);
        return;
      }
      D.size('momentum_step_f32', 'n', n, 0);
      D.scalar('momentum_step_f32', 'lr', lr);
      D.scalar('momentum_step_f32', 'mu', mu);
      D.scalar('momentum_step_f32', 'damp', damp);
      D.scalar('momentum_step_f32', 'wd', wd);
      D.flag('momentum_step_f32', 'nesterov', nesterov);
      const L_w = D.f32('momentum_step_f32', 'w', w);
      const L_g = D.f32('momentum_step_f32', 'g', g);
      const L_buf = D.f32('momentum_step_f32', 'buf', buf);
      D.fits('momentum_step_f32', 'n', n, 'w', L_w);
      D.fits('momentum_step_f32', 'n', n, 'g', L_g);
      D.fits('momentum_step_f32', 'n', n, 'buf', L_buf);
      try {
        EX.momentum_step_f32(n, lr, mu, damp, wd, nesterov, D.ptr(w), D.ptr(g), D.ptr(buf));
      } finally {
        D.unstage();
      }
    },
    adagrad_step_f32(n, clr, wd, eps, w, g, sum) {
      const P_w = D.own(w, false);
      const P_g = D.own(g, false);
      const P_sum = D.own(sum, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof clr === 'number' &&
          typeof wd === 'number' &&
          typeof eps === 'number' &&
          P_w >= 0 &&
          P_g >= 0 &&
          P_sum >= 0 &&
          n <= w.length &&
          n <= g.length &&
          n <= sum.length) {
        EX.adagrad_step_f32(n, clr, wd, eps, P_w, P_g, P_sum);
        return;
      }
      D.size('adagrad_step_f32', 'n', n, 0);
      D.scalar('adagrad_step_f32', 'clr', clr);
      D.scalar('adagrad_step_f32', 'wd', wd);
      D.scalar('adagrad_step_f32', 'eps', eps);
      const L_w = D.f32('adagrad_step_f32', 'w', w);
      const L_g = D.f32('adagrad_step_f32', 'g', g);
      const L_sum = D.f32('adagrad_step_f32', 'sum', sum);
      D.fits('adagrad_step_f32', 'n', n, 'w', L_w);
      D.fits('adagrad_step_f32', 'n', n, 'g', L_g);
      D.fits('adagrad_step_f32', 'n', n, 'sum', L_sum);
      try {
        EX.adagrad_step_f32(n, clr, wd, eps, D.ptr(w), D.ptr(g), D.ptr(sum));
      } finally {
        D.unstage();
      }
    },
    rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered, w, g, sq, buf, gavg) {
      const P_w = D.own(w, false);
      const P_g = D.own(g, false);
      const P_sq = D.own(sq, false);
      const P_buf = D.own(buf, false);
      const P_gavg = D.own(gavg, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof lr === 'number' &&
          typeof alpha === 'number' &&
          typeof eps === 'number' &&
          typeof wd === 'number' &&
          typeof mu === 'number' &&
          (centered === 0 || centered === 1) &&
          P_w >= 0 &&
          P_g >= 0 &&
          P_sq >= 0 &&
          P_buf >= 0 &&
          P_gavg >= 0 &&
          n <= w.length &&
          n <= g.length &&
          n <= sq.length &&
          (!(mu > 0) || n <= buf.length) &&
          (!(centered === 1) || n <= gavg.length)) {
        EX.rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered, P_w, P_g, P_sq, mu > 0 ? P_buf : 0, centered === 1 ? P_gavg : 0);
        return;
      }
      D.size('rmsprop_step_f32', 'n', n, 0);
      D.scalar('rmsprop_step_f32', 'lr', lr);
      D.scalar('rmsprop_step_f32', 'alpha', alpha);
      D.scalar('rmsprop_step_f32', 'eps', eps);
      D.scalar('rmsprop_step_f32', 'wd', wd);
      D.scalar('rmsprop_step_f32', 'mu', mu);
      D.flag('rmsprop_step_f32', 'centered', centered);
      const L_w = D.f32('rmsprop_step_f32', 'w', w);
      const L_g = D.f32('rmsprop_step_f32', 'g', g);
      const L_sq = D.f32('rmsprop_step_f32', 'sq', sq);
      const L_buf = D.f32('rmsprop_step_f32', 'buf', buf);
      const L_gavg = D.f32('rmsprop_step_f32', 'gavg', gavg);
      D.fits('rmsprop_step_f32', 'n', n, 'w', L_w);
      D.fits('rmsprop_step_f32', 'n', n, 'g', L_g);
      D.fits('rmsprop_step_f32', 'n', n, 'sq', L_sq);
      const ON_buf = mu > 0;
      if (ON_buf) D.fits('rmsprop_step_f32', 'n (mu > 0)', n, 'buf', L_buf);
      const ON_gavg = centered === 1;
      if (ON_gavg) D.fits('rmsprop_step_f32', 'n (centered)', n, 'gavg', L_gavg);
      try {
        EX.rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered, D.ptr(w), D.ptr(g), D.ptr(sq), ON_buf ? D.ptr(buf) : 0, ON_gavg ? D.ptr(gavg) : 0);
      } finally {
        D.unstage();
      }
    },
    adam_step_f32(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w, g, m, v, vmax) {
      const P_w = D.own(w, false);
      const P_g = D.own(g, false);
      const P_m = D.own(m, false);
      const P_v = D.own(v, false);
      const P_vmax = D.own(vmax, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof lr === 'number' &&
          typeof b1 === 'number' &&
          typeof b2 === 'number' &&
          typeof eps === 'number' &&
          typeof wd === 'number' &&
          (decoupled === 0 || decoupled === 1) &&
          typeof bc1 === 'number' &&
          typeof bc2 === 'number' &&
          P_w >= 0 &&
          P_g >= 0 &&
          P_m >= 0 &&
          P_v >= 0 &&
          P_vmax >= 0 &&
          n <= w.length &&
          n <= g.length &&
          n <= m.length &&
          n <= v.length &&
          (!(vmax.length !== 0) || n <= vmax.length)) {
        EX.adam_step_f32(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, P_w, P_g, P_m, P_v, vmax.length !== 0 ? P_vmax : 0);
        return;
      }
      D.size('adam_step_f32', 'n', n, 0);
      D.scalar('adam_step_f32', 'lr', lr);
      D.scalar('adam_step_f32', 'b1', b1);
      D.scalar('adam_step_f32', 'b2', b2);
      D.scalar('adam_step_f32', 'eps', eps);
      D.scalar('adam_step_f32', 'wd', wd);
      D.flag('adam_step_f32', 'decoupled', decoupled);
      D.scalar('adam_step_f32', 'bc1', bc1);
      D.scalar('adam_step_f32', 'bc2', bc2);
      const L_w = D.f32('adam_step_f32', 'w', w);
      const L_g = D.f32('adam_step_f32', 'g', g);
      const L_m = D.f32('adam_step_f32', 'm', m);
      const L_v = D.f32('adam_step_f32', 'v', v);
      const L_vmax = D.f32('adam_step_f32', 'vmax', vmax);
      D.fits('adam_step_f32', 'n', n, 'w', L_w);
      D.fits('adam_step_f32', 'n', n, 'g', L_g);
      D.fits('adam_step_f32', 'n', n, 'm', L_m);
      D.fits('adam_step_f32', 'n', n, 'v', L_v);
      const ON_vmax = L_vmax !== 0;
      if (ON_vmax) D.fits('adam_step_f32', 'n', n, 'vmax', L_vmax);
      try {
        EX.adam_step_f32(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, D.ptr(w), D.ptr(g), D.ptr(m), D.ptr(v), ON_vmax ? D.ptr(vmax) : 0);
      } finally {
        D.unstage();
      }
    },
    batch_norm_train_f32(n, c, hw, eps, momentum, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd) {
      const P_x = D.own(x, false);
      const P_gamma = D.own(gamma, false);
      const P_beta = D.own(beta, false);
      const P_running_mean = D.own(running_mean, false);
      const P_running_var = D.own(running_var, false);
      const P_y = D.own(y, false);
      const P_save_mean = D.own(save_mean, false);
      const P_save_invstd = D.own(save_invstd, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof hw === 'number' && (hw | 0) === hw && hw >= 0 &&
          typeof eps === 'number' &&
          typeof momentum === 'number' &&
          P_x >= 0 &&
          P_gamma >= 0 &&
          P_beta >= 0 &&
          P_running_mean >= 0 &&
          P_running_var >= 0 &&
          P_y >= 0 &&
          P_save_mean >= 0 &&
          P_save_invstd >= 0 &&
          (n * c) * hw <= x.length &&
          (!(gamma.length !== 0) || c <= gamma.length) &&
          (!(beta.length !== 0) || c <= beta.length) &&
          (!(running_mean.length !== 0) || c <= running_mean.length) &&
          (!(running_var.length !== 0) || c <= running_var.length) &&
          (n * c) * hw <= y.length &&
          c <= save_mean.length &&
          c <= save_invstd.length) {
        EX.batch_norm_train_f32(n, c, hw, eps, momentum, P_x, gamma.length !== 0 ? P_gamma : 0, beta.length !== 0 ? P_beta : 0, running_mean.length !== 0 ? P_running_mean : 0, running_var.length !== 0 ? P_running_var : 0, P_y, P_save_mean, P_save_invstd);
        return;
      }
      D.size('batch_norm_train_f32', 'n', n, 0);
      D.size('batch_norm_train_f32', 'c', c, 0);
      D.size('batch_norm_train_f32', 'hw', hw, 0);
      D.scalar('batch_norm_train_f32', 'eps', eps);
      D.scalar('batch_norm_train_f32', 'momentum', momentum);
      const L_x = D.f32('batch_norm_train_f32', 'x', x);
      const L_gamma = D.f32('batch_norm_train_f32', 'gamma', gamma);
      const L_beta = D.f32('batch_norm_train_f32', 'beta', beta);
      const L_running_mean = D.f32('batch_norm_train_f32', 'running_mean', running_mean);
      const L_running_var = D.f32('batch_norm_train_f32', 'running_var', running_var);
      const L_y = D.f32('batch_norm_train_f32', 'y', y);
      const L_save_mean = D.f32('batch_norm_train_f32', 'save_mean', save_mean);
      const L_save_invstd = D.f32('batch_norm_train_f32', 'save_invstd', save_invstd);
      D.fits('batch_norm_train_f32', 'n·c·hw', (n * c) * hw, 'x', L_x);
      const ON_gamma = L_gamma !== 0;
      if (ON_gamma) D.fits('batch_norm_train_f32', 'c', c, 'gamma', L_gamma);
      const ON_beta = L_beta !== 0;
      if (ON_beta) D.fits('batch_norm_train_f32', 'c', c, 'beta', L_beta);
      const ON_running_mean = L_running_mean !== 0;
      if (ON_running_mean) D.fits('batch_norm_train_f32', 'c', c, 'running_mean', L_running_mean);
      const ON_running_var = L_running_var !== 0;
      if (ON_running_var) D.fits('batch_norm_train_f32', 'c', c, 'running_var', L_running_var);
      D.fits('batch_norm_train_f32', 'n·c·hw', (n * c) * hw, 'y', L_y);
      D.fits('batch_norm_train_f32', 'c', c, 'save_mean', L_save_mean);
      D.fits('batch_norm_train_f32', 'c', c, 'save_invstd', L_save_invstd);
      try {
        EX.batch_norm_train_f32(n, c, hw, eps, momentum, D.ptr(x), ON_gamma ? D.ptr(gamma) : 0, ON_beta ? D.ptr(beta) : 0, ON_running_mean ? D.ptr(running_mean) : 0, ON_running_var ? D.ptr(running_var) : 0, D.ptr(y), D.ptr(save_mean), D.ptr(save_invstd));
      } finally {
        D.unstage();
      }
    },
    batch_norm_eval_f32(n, c, hw, eps, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd) {
      const P_x = D.own(x, false);
      const P_gamma = D.own(gamma, false);
      const P_beta = D.own(beta, false);
      const P_running_mean = D.own(running_mean, false);
      const P_running_var = D.own(running_var, false);
      const P_y = D.own(y, false);
      const P_save_mean = D.own(save_mean, false);
      const P_save_invstd = D.own(save_invstd, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof hw === 'number' && (hw | 0) === hw && hw >= 0 &&
          typeof eps === 'number' &&
          P_x >= 0 &&
          P_gamma >= 0 &&
          P_beta >= 0 &&
          P_running_mean >= 0 &&
          P_running_var >= 0 &&
          P_y >= 0 &&
          P_save_mean >= 0 &&
          P_save_invstd >= 0 &&
          (n * c) * hw <= x.length &&
          (!(gamma.length !== 0) || c <= gamma.length) &&
          (!(beta.length !== 0) || c <= beta.length) &&
          c <= running_mean.length &&
          c <= running_var.length &&
          (n * c) * hw <= y.length &&
          c <= save_mean.length &&
          c <= save_invstd.length) {
        EX.batch_norm_eval_f32(n, c, hw, eps, P_x, gamma.length !== 0 ? P_gamma : 0, beta.length !== 0 ? P_beta : 0, P_running_mean, P_running_var, P_y, P_save_mean, P_save_invstd);
        return;
      }
      D.size('batch_norm_eval_f32', 'n', n, 0);
      D.size('batch_norm_eval_f32', 'c', c, 0);
      D.size('batch_norm_eval_f32', 'hw', hw, 0);
      D.scalar('batch_norm_eval_f32', 'eps', eps);
      const L_x = D.f32('batch_norm_eval_f32', 'x', x);
      const L_gamma = D.f32('batch_norm_eval_f32', 'gamma', gamma);
      const L_beta = D.f32('batch_norm_eval_f32', 'beta', beta);
      const L_running_mean = D.f32('batch_norm_eval_f32', 'running_mean', running_mean);
      const L_running_var = D.f32('batch_norm_eval_f32', 'running_var', running_var);
      const L_y = D.f32('batch_norm_eval_f32', 'y', y);
      const L_save_mean = D.f32('batch_norm_eval_f32', 'save_mean', save_mean);
      const L_save_invstd = D.f32('batch_norm_eval_f32', 'save_invstd', save_invstd);
      D.fits('batch_norm_eval_f32', 'n·c·hw', (n * c) * hw, 'x', L_x);
      const ON_gamma = L_gamma !== 0;
      if (ON_gamma) D.fits('batch_norm_eval_f32', 'c', c, 'gamma', L_gamma);
      const ON_beta = L_beta !== 0;
      if (ON_beta) D.fits('batch_norm_eval_f32', 'c', c, 'beta', L_beta);
      D.fits('batch_norm_eval_f32', 'c', c, 'running_mean', L_running_mean);
      D.fits('batch_norm_eval_f32', 'c', c, 'running_var', L_running_var);
      D.fits('batch_norm_eval_f32', 'n·c·hw', (n * c) * hw, 'y', L_y);
      D.fits('batch_norm_eval_f32', 'c', c, 'save_mean', L_save_mean);
      D.fits('batch_norm_eval_f32', 'c', c, 'save_invstd', L_save_invstd);
      try {
        EX.batch_norm_eval_f32(n, c, hw, eps, D.ptr(x), ON_gamma ? D.ptr(gamma) : 0, ON_beta ? D.ptr(beta) : 0, D.ptr(running_mean), D.ptr(running_var), D.ptr(y), D.ptr(save_mean), D.ptr(save_invstd));
      } finally {
        D.unstage();
      }
    },
    batch_norm_bwd_f32(n, c, hw, batch_stats, beta_acc, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_gamma = D.own(gamma, false);
      const P_save_mean = D.own(save_mean, false);
      const P_save_invstd = D.own(save_invstd, false);
      const P_dx = D.own(dx, false);
      const P_dgamma = D.own(dgamma, false);
      const P_dbeta = D.own(dbeta, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof hw === 'number' && (hw | 0) === hw && hw >= 0 &&
          (batch_stats === 0 || batch_stats === 1) &&
          typeof beta_acc === 'number' &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_gamma >= 0 &&
          P_save_mean >= 0 &&
          P_save_invstd >= 0 &&
          P_dx >= 0 &&
          P_dgamma >= 0 &&
          P_dbeta >= 0 &&
          (n * c) * hw <= x.length &&
          (n * c) * hw <= dy.length &&
          (!(gamma.length !== 0) || c <= gamma.length) &&
          c <= save_mean.length &&
          c <= save_invstd.length &&
          (n * c) * hw <= dx.length &&
          (!(dgamma.length !== 0) || c <= dgamma.length) &&
          (!(dbeta.length !== 0) || c <= dbeta.length)) {
        EX.batch_norm_bwd_f32(n, c, hw, batch_stats, beta_acc, P_x, P_dy, gamma.length !== 0 ? P_gamma : 0, P_save_mean, P_save_invstd, P_dx, dgamma.length !== 0 ? P_dgamma : 0, dbeta.length !== 0 ? P_dbeta : 0);
        return;
      }
      D.size('batch_norm_bwd_f32', 'n', n, 0);
      D.size('batch_norm_bwd_f32', 'c', c, 0);
      D.size('batch_norm_bwd_f32', 'hw', hw, 0);
      D.flag('batch_norm_bwd_f32', 'batch_stats', batch_stats);
      D.scalar('batch_norm_bwd_f32', 'beta_acc', beta_acc);
      const L_x = D.f32('batch_norm_bwd_f32', 'x', x);
      const L_dy = D.f32('batch_norm_bwd_f32', 'dy', dy);
      const L_gamma = D.f32('batch_norm_bwd_f32', 'gamma', gamma);
      const L_save_mean = D.f32('batch_norm_bwd_f32', 'save_mean', save_mean);
      const L_save_invstd = D.f32('batch_norm_bwd_f32', 'save_invstd', save_invstd);
      const L_dx = D.f32('batch_norm_bwd_f32', 'dx', dx);
      const L_dgamma = D.f32('batch_norm_bwd_f32', 'dgamma', dgamma);
      const L_dbeta = D.f32('batch_norm_bwd_f32', 'dbeta', dbeta);
      D.fits('batch_norm_bwd_f32', 'n·c·hw', (n * c) * hw, 'x', L_x);
      D.fits('batch_norm_bwd_f32', 'n·c·hw', (n * c) * hw, 'dy', L_dy);
      const ON_gamma = L_gamma !== 0;
      if (ON_gamma) D.fits('batch_norm_bwd_f32', 'c', c, 'gamma', L_gamma);
      D.fits('batch_norm_bwd_f32', 'c', c, 'save_mean', L_save_mean);
      D.fits('batch_norm_bwd_f32', 'c', c, 'save_invstd', L_save_invstd);
      D.fits('batch_norm_bwd_f32', 'n·c·hw', (n * c) * hw, 'dx', L_dx);
      const ON_dgamma = L_dgamma !== 0;
      if (ON_dgamma) D.fits('batch_norm_bwd_f32', 'c', c, 'dgamma', L_dgamma);
      const ON_dbeta = L_dbeta !== 0;
      if (ON_dbeta) D.fits('batch_norm_bwd_f32', 'c', c, 'dbeta', L_dbeta);
      try {
        EX.batch_norm_bwd_f32(n, c, hw, batch_stats, beta_acc, D.ptr(x), D.ptr(dy), ON_gamma ? D.ptr(gamma) : 0, D.ptr(save_mean), D.ptr(save_invstd), D.ptr(dx), ON_dgamma ? D.ptr(dgamma) : 0, ON_dbeta ? D.ptr(dbeta) : 0);
      } finally {
        D.unstage();
      }
    },
    dropout_fwd_f32(n, seed, threshold, scale, x, y, mask) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      const P_mask = D.own(mask, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof seed === 'number' && (seed | 0) === seed && seed >= 0 &&
          typeof threshold === 'number' && (threshold | 0) === threshold && threshold >= 0 &&
          typeof scale === 'number' &&
          P_x >= 0 &&
          P_y >= 0 &&
          P_mask >= 0 &&
          n <= x.length &&
          n <= y.length &&
          n <= mask.length) {
        EX.dropout_fwd_f32(n, seed, threshold, scale, P_x, P_y, P_mask);
        return;
      }
      D.size('dropout_fwd_f32', 'n', n, 0);
      D.size('dropout_fwd_f32', 'seed', seed, 0);
      D.size('dropout_fwd_f32', 'threshold', threshold, 0);
      D.scalar('dropout_fwd_f32', 'scale', scale);
      const L_x = D.f32('dropout_fwd_f32', 'x', x);
      const L_y = D.f32('dropout_fwd_f32', 'y', y);
      const L_mask = D.f32('dropout_fwd_f32', 'mask', mask);
      D.fits('dropout_fwd_f32', 'n', n, 'x', L_x);
      D.fits('dropout_fwd_f32', 'n', n, 'y', L_y);
      D.fits('dropout_fwd_f32', 'n', n, 'mask', L_mask);
      try {
        EX.dropout_fwd_f32(n, seed, threshold, scale, D.ptr(x), D.ptr(y), D.ptr(mask));
      } finally {
        D.unstage();
      }
    },
    mul_f32(n, a, b, out) {
      const P_a = D.own(a, false);
      const P_b = D.own(b, false);
      const P_out = D.own(out, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          P_a >= 0 &&
          P_b >= 0 &&
          P_out >= 0 &&
          n <= a.length &&
          n <= b.length &&
          n <= out.length) {
        EX.mul_f32(n, P_a, P_b, P_out);
        return;
      }
      D.size('mul_f32', 'n', n, 0);
      const L_a = D.f32('mul_f32', 'a', a);
      const L_b = D.f32('mul_f32', 'b', b);
      const L_out = D.f32('mul_f32', 'out', out);
      D.fits('mul_f32', 'n', n, 'a', L_a);
      D.fits('mul_f32', 'n', n, 'b', L_b);
      D.fits('mul_f32', 'n', n, 'out', L_out);
      try {
        EX.mul_f32(n, D.ptr(a), D.ptr(b), D.ptr(out));
      } finally {
        D.unstage();
      }
    },
    conv2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, x, weight, bias, col, y) {
      const P_x = D.own(x, false);
      const P_weight = D.own(weight, false);
      const P_bias = D.own(bias, false);
      const P_col = D.own(col, false);
      const P_y = D.own(y, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof oc === 'number' && (oc | 0) === oc && oc >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof dilh === 'number' && (dilh | 0) === dilh && dilh >= 1 &&
          typeof dilw === 'number' && (dilw | 0) === dilw && dilw >= 1 &&
          typeof groups === 'number' && (groups | 0) === groups && groups >= 1 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          P_x >= 0 &&
          P_weight >= 0 &&
          P_bias >= 0 &&
          P_col >= 0 &&
          P_y >= 0 &&
          ((n * c) * h) * w <= x.length &&
          ((oc * Math.floor(c / groups)) * kh) * kw <= weight.length &&
          (!(bias.length !== 0) || oc <= bias.length) &&
          (((c * kh) * kw) * oh) * ow <= col.length &&
          ((n * oc) * oh) * ow <= y.length) {
        EX.conv2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, P_x, P_weight, bias.length !== 0 ? P_bias : 0, P_col, P_y);
        return;
      }
      D.size('conv2d_fwd_f32', 'n', n, 0);
      D.size('conv2d_fwd_f32', 'c', c, 0);
      D.size('conv2d_fwd_f32', 'h', h, 0);
      D.size('conv2d_fwd_f32', 'w', w, 0);
      D.size('conv2d_fwd_f32', 'oc', oc, 0);
      D.size('conv2d_fwd_f32', 'kh', kh, 1);
      D.size('conv2d_fwd_f32', 'kw', kw, 1);
      D.size('conv2d_fwd_f32', 'sh', sh, 1);
      D.size('conv2d_fwd_f32', 'sw', sw, 1);
      D.size('conv2d_fwd_f32', 'ph', ph, 0);
      D.size('conv2d_fwd_f32', 'pw', pw, 0);
      D.size('conv2d_fwd_f32', 'dilh', dilh, 1);
      D.size('conv2d_fwd_f32', 'dilw', dilw, 1);
      D.size('conv2d_fwd_f32', 'groups', groups, 1);
      D.size('conv2d_fwd_f32', 'oh', oh, 0);
      D.size('conv2d_fwd_f32', 'ow', ow, 0);
      const L_x = D.f32('conv2d_fwd_f32', 'x', x);
      const L_weight = D.f32('conv2d_fwd_f32', 'weight', weight);
      const L_bias = D.f32('conv2d_fwd_f32', 'bias', bias);
      const L_col = D.f32('conv2d_fwd_f32', 'col', col);
      const L_y = D.f32('conv2d_fwd_f32', 'y', y);
      D.fits('conv2d_fwd_f32', 'n·c·h·w', ((n * c) * h) * w, 'x', L_x);
      D.fits('conv2d_fwd_f32', 'oc·(c/groups)·kh·kw', ((oc * Math.floor(c / groups)) * kh) * kw, 'weight', L_weight);
      const ON_bias = L_bias !== 0;
      if (ON_bias) D.fits('conv2d_fwd_f32', 'oc', oc, 'bias', L_bias);
      D.fits('conv2d_fwd_f32', 'c·kh·kw·oh·ow', (((c * kh) * kw) * oh) * ow, 'col', L_col);
      D.fits('conv2d_fwd_f32', 'n·oc·oh·ow', ((n * oc) * oh) * ow, 'y', L_y);
      try {
        EX.conv2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, D.ptr(x), D.ptr(weight), ON_bias ? D.ptr(bias) : 0, D.ptr(col), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    conv2d_bwd_data_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, dy, weight, col, dx) {
      const P_dy = D.own(dy, false);
      const P_weight = D.own(weight, false);
      const P_col = D.own(col, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof oc === 'number' && (oc | 0) === oc && oc >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof dilh === 'number' && (dilh | 0) === dilh && dilh >= 1 &&
          typeof dilw === 'number' && (dilw | 0) === dilw && dilw >= 1 &&
          typeof groups === 'number' && (groups | 0) === groups && groups >= 1 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          P_dy >= 0 &&
          P_weight >= 0 &&
          P_col >= 0 &&
          P_dx >= 0 &&
          ((n * oc) * oh) * ow <= dy.length &&
          ((oc * Math.floor(c / groups)) * kh) * kw <= weight.length &&
          (((c * kh) * kw) * oh) * ow <= col.length &&
          ((n * c) * h) * w <= dx.length) {
        EX.conv2d_bwd_data_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, P_dy, P_weight, P_col, P_dx);
        return;
      }
      D.size('conv2d_bwd_data_f32', 'n', n, 0);
      D.size('conv2d_bwd_data_f32', 'c', c, 0);
      D.size('conv2d_bwd_data_f32', 'h', h, 0);
      D.size('conv2d_bwd_data_f32', 'w', w, 0);
      D.size('conv2d_bwd_data_f32', 'oc', oc, 0);
      D.size('conv2d_bwd_data_f32', 'kh', kh, 1);
      D.size('conv2d_bwd_data_f32', 'kw', kw, 1);
      D.size('conv2d_bwd_data_f32', 'sh', sh, 1);
      D.size('conv2d_bwd_data_f32', 'sw', sw, 1);
      D.size('conv2d_bwd_data_f32', 'ph', ph, 0);
      D.size('conv2d_bwd_data_f32', 'pw', pw, 0);
      D.size('conv2d_bwd_data_f32', 'dilh', dilh, 1);
      D.size('conv2d_bwd_data_f32', 'dilw', dilw, 1);
      D.size('conv2d_bwd_data_f32', 'groups', groups, 1);
      D.size('conv2d_bwd_data_f32', 'oh', oh, 0);
      D.size('conv2d_bwd_data_f32', 'ow', ow, 0);
      const L_dy = D.f32('conv2d_bwd_data_f32', 'dy', dy);
      const L_weight = D.f32('conv2d_bwd_data_f32', 'weight', weight);
      const L_col = D.f32('conv2d_bwd_data_f32', 'col', col);
      const L_dx = D.f32('conv2d_bwd_data_f32', 'dx', dx);
      D.fits('conv2d_bwd_data_f32', 'n·oc·oh·ow', ((n * oc) * oh) * ow, 'dy', L_dy);
      D.fits('conv2d_bwd_data_f32', 'oc·(c/groups)·kh·kw', ((oc * Math.floor(c / groups)) * kh) * kw, 'weight', L_weight);
      D.fits('conv2d_bwd_data_f32', 'c·kh·kw·oh·ow', (((c * kh) * kw) * oh) * ow, 'col', L_col);
      D.fits('conv2d_bwd_data_f32', 'n·c·h·w', ((n * c) * h) * w, 'dx', L_dx);
      try {
        EX.conv2d_bwd_data_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, D.ptr(dy), D.ptr(weight), D.ptr(col), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    conv2d_bwd_filter_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, beta, x, dy, col, gw, gb) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_col = D.own(col, false);
      const P_gw = D.own(gw, false);
      const P_gb = D.own(gb, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof oc === 'number' && (oc | 0) === oc && oc >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof dilh === 'number' && (dilh | 0) === dilh && dilh >= 1 &&
          typeof dilw === 'number' && (dilw | 0) === dilw && dilw >= 1 &&
          typeof groups === 'number' && (groups | 0) === groups && groups >= 1 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          typeof beta === 'number' &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_col >= 0 &&
          P_gw >= 0 &&
          P_gb >= 0 &&
          ((n * c) * h) * w <= x.length &&
          ((n * oc) * oh) * ow <= dy.length &&
          (((c * kh) * kw) * oh) * ow <= col.length &&
          ((oc * Math.floor(c / groups)) * kh) * kw <= gw.length &&
          (!(gb.length !== 0) || oc <= gb.length)) {
        EX.conv2d_bwd_filter_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, beta, P_x, P_dy, P_col, P_gw, gb.length !== 0 ? P_gb : 0);
        return;
      }
      D.size('conv2d_bwd_filter_f32', 'n', n, 0);
      D.size('conv2d_bwd_filter_f32', 'c', c, 0);
      D.size('conv2d_bwd_filter_f32', 'h', h, 0);
      D.size('conv2d_bwd_filter_f32', 'w', w, 0);
      D.size('conv2d_bwd_filter_f32', 'oc', oc, 0);
      D.size('conv2d_bwd_filter_f32', 'kh', kh, 1);
      D.size('conv2d_bwd_filter_f32', 'kw', kw, 1);
      D.size('conv2d_bwd_filter_f32', 'sh', sh, 1);
      D.size('conv2d_bwd_filter_f32', 'sw', sw, 1);
      D.size('conv2d_bwd_filter_f32', 'ph', ph, 0);
      D.size('conv2d_bwd_filter_f32', 'pw', pw, 0);
      D.size('conv2d_bwd_filter_f32', 'dilh', dilh, 1);
      D.size('conv2d_bwd_filter_f32', 'dilw', dilw, 1);
      D.size('conv2d_bwd_filter_f32', 'groups', groups, 1);
      D.size('conv2d_bwd_filter_f32', 'oh', oh, 0);
      D.size('conv2d_bwd_filter_f32', 'ow', ow, 0);
      D.scalar('conv2d_bwd_filter_f32', 'beta', beta);
      const L_x = D.f32('conv2d_bwd_filter_f32', 'x', x);
      const L_dy = D.f32('conv2d_bwd_filter_f32', 'dy', dy);
      const L_col = D.f32('conv2d_bwd_filter_f32', 'col', col);
      const L_gw = D.f32('conv2d_bwd_filter_f32', 'gw', gw);
      const L_gb = D.f32('conv2d_bwd_filter_f32', 'gb', gb);
      D.fits('conv2d_bwd_filter_f32', 'n·c·h·w', ((n * c) * h) * w, 'x', L_x);
      D.fits('conv2d_bwd_filter_f32', 'n·oc·oh·ow', ((n * oc) * oh) * ow, 'dy', L_dy);
      D.fits('conv2d_bwd_filter_f32', 'c·kh·kw·oh·ow', (((c * kh) * kw) * oh) * ow, 'col', L_col);
      D.fits('conv2d_bwd_filter_f32', 'oc·(c/groups)·kh·kw', ((oc * Math.floor(c / groups)) * kh) * kw, 'gw', L_gw);
      const ON_gb = L_gb !== 0;
      if (ON_gb) D.fits('conv2d_bwd_filter_f32', 'oc', oc, 'gb', L_gb);
      try {
        EX.conv2d_bwd_filter_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, beta, D.ptr(x), D.ptr(dy), D.ptr(col), D.ptr(gw), ON_gb ? D.ptr(gb) : 0);
      } finally {
        D.unstage();
      }
    },
    conv2d_max_pool2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, chunk, relu, x, weight, bias, col, scratch, y, idx) {
      const P_x = D.own(x, false);
      const P_weight = D.own(weight, false);
      const P_bias = D.own(bias, false);
      const P_col = D.own(col, false);
      const P_scratch = D.own(scratch, false);
      const P_y = D.own(y, false);
      const P_idx = D.own(idx, true);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof oc === 'number' && (oc | 0) === oc && oc >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof dilh === 'number' && (dilh | 0) === dilh && dilh >= 1 &&
          typeof dilw === 'number' && (dilw | 0) === dilw && dilw >= 1 &&
          typeof groups === 'number' && (groups | 0) === groups && groups >= 1 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          typeof pkh === 'number' && (pkh | 0) === pkh && pkh >= 1 &&
          typeof pkw === 'number' && (pkw | 0) === pkw && pkw >= 1 &&
          typeof psh === 'number' && (psh | 0) === psh && psh >= 1 &&
          typeof psw === 'number' && (psw | 0) === psw && psw >= 1 &&
          typeof pph === 'number' && (pph | 0) === pph && pph >= 0 &&
          typeof ppw === 'number' && (ppw | 0) === ppw && ppw >= 0 &&
          typeof qh === 'number' && (qh | 0) === qh && qh >= 0 &&
          typeof qw === 'number' && (qw | 0) === qw && qw >= 0 &&
          typeof chunk === 'number' && (chunk | 0) === chunk && chunk >= 1 &&
          (relu === 0 || relu === 1) &&
          P_x >= 0 &&
          P_weight >= 0 &&
          P_bias >= 0 &&
          P_col >= 0 &&
          P_scratch >= 0 &&
          P_y >= 0 &&
          P_idx >= 0 &&
          ((n * c) * h) * w <= x.length &&
          ((oc * Math.floor(c / groups)) * kh) * kw <= weight.length &&
          (!(bias.length !== 0) || oc <= bias.length) &&
          (((c * kh) * kw) * oh) * ow <= col.length &&
          (chunk * oc) * ((oh * ow) + (qh * qw)) <= scratch.length &&
          ((n * oc) * qh) * qw <= y.length &&
          ((n * oc) * qh) * qw <= idx.length) {
        EX.conv2d_max_pool2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, chunk, relu, P_x, P_weight, bias.length !== 0 ? P_bias : 0, P_col, P_scratch, P_y, P_idx);
        return;
      }
      D.size('conv2d_max_pool2d_fwd_f32', 'n', n, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'c', c, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'h', h, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'w', w, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'oc', oc, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'kh', kh, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'kw', kw, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'sh', sh, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'sw', sw, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'ph', ph, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'pw', pw, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'dilh', dilh, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'dilw', dilw, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'groups', groups, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'oh', oh, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'ow', ow, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'pkh', pkh, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'pkw', pkw, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'psh', psh, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'psw', psw, 1);
      D.size('conv2d_max_pool2d_fwd_f32', 'pph', pph, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'ppw', ppw, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'qh', qh, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'qw', qw, 0);
      D.size('conv2d_max_pool2d_fwd_f32', 'chunk', chunk, 1);
      D.flag('conv2d_max_pool2d_fwd_f32', 'relu', relu);
      const L_x = D.f32('conv2d_max_pool2d_fwd_f32', 'x', x);
      const L_weight = D.f32('conv2d_max_pool2d_fwd_f32', 'weight', weight);
      const L_bias = D.f32('conv2d_max_pool2d_fwd_f32', 'bias', bias);
      const L_col = D.f32('conv2d_max_pool2d_fwd_f32', 'col', col);
      const L_scratch = D.f32('conv2d_max_pool2d_fwd_f32', 'scratch', scratch);
      const L_y = D.f32('conv2d_max_pool2d_fwd_f32', 'y', y);
      const L_idx = D.i32('conv2d_max_pool2d_fwd_f32', 'idx', idx);
      D.fits('conv2d_max_pool2d_fwd_f32', 'n·c·h·w', ((n * c) * h) * w, 'x', L_x);
      D.fits('conv2d_max_pool2d_fwd_f32', 'oc·(c/groups)·kh·kw', ((oc * Math.floor(c / groups)) * kh) * kw, 'weight', L_weight);
      const ON_bias = L_bias !== 0;
      if (ON_bias) D.fits('conv2d_max_pool2d_fwd_f32', 'oc', oc, 'bias', L_bias);
      D.fits('conv2d_max_pool2d_fwd_f32', 'c·kh·kw·oh·ow', (((c * kh) * kw) * oh) * ow, 'col', L_col);
      D.fits('conv2d_max_pool2d_fwd_f32', 'chunk·oc·(oh·ow+qh·qw)', (chunk * oc) * ((oh * ow) + (qh * qw)), 'scratch', L_scratch);
      D.fits('conv2d_max_pool2d_fwd_f32', 'n·oc·qh·qw', ((n * oc) * qh) * qw, 'y', L_y);
      D.fits('conv2d_max_pool2d_fwd_f32', 'n·oc·qh·qw', ((n * oc) * qh) * qw, 'idx', L_idx);
      try {
        EX.conv2d_max_pool2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, chunk, relu, D.ptr(x), D.ptr(weight), ON_bias ? D.ptr(bias) : 0, D.ptr(col), D.ptr(scratch), D.ptr(y), D.ptr(idx));
      } finally {
        D.unstage();
      }
    },
    conv2d_max_pool2d_bwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, qh, qw, chunk, relu, beta, x, dy, idx, y, weight, col, scratch, gw, gb, dx) {
      const P_x = D.own(x, false);
      const P_dy = D.own(dy, false);
      const P_idx = D.own(idx, true);
      const P_y = D.own(y, false);
      const P_weight = D.own(weight, false);
      const P_col = D.own(col, false);
      const P_scratch = D.own(scratch, false);
      const P_gw = D.own(gw, false);
      const P_gb = D.own(gb, false);
      const P_dx = D.own(dx, false);
      if (typeof n === 'number' && (n | 0) === n && n >= 0 &&
          typeof c === 'number' && (c | 0) === c && c >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof oc === 'number' && (oc | 0) === oc && oc >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof dilh === 'number' && (dilh | 0) === dilh && dilh >= 1 &&
          typeof dilw === 'number' && (dilw | 0) === dilw && dilw >= 1 &&
          typeof groups === 'number' && (groups | 0) === groups && groups >= 1 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          typeof qh === 'number' && (qh | 0) === qh && qh >= 0 &&
          typeof qw === 'number' && (qw | 0) === qw && qw >= 0 &&
          typeof chunk === 'number' && (chunk | 0) === chunk && chunk >= 1 &&
          (relu === 0 || relu === 1) &&
          typeof beta === 'number' &&
          P_x >= 0 &&
          P_dy >= 0 &&
          P_idx >= 0 &&
          P_y >= 0 &&
          P_weight >= 0 &&
          P_col >= 0 &&
          P_scratch >= 0 &&
          P_gw >= 0 &&
          P_gb >= 0 &&
          P_dx >= 0 &&
          ((n * c) * h) * w <= x.length &&
          ((n * oc) * qh) * qw <= dy.length &&
          ((n * oc) * qh) * qw <= idx.length &&
          (!(relu === 1) || ((n * oc) * qh) * qw <= y.length) &&
          ((oc * Math.floor(c / groups)) * kh) * kw <= weight.length &&
          (((c * kh) * kw) * oh) * ow <= col.length &&
          (chunk * oc) * ((oh * ow) + (qh * qw)) <= scratch.length &&
          ((oc * Math.floor(c / groups)) * kh) * kw <= gw.length &&
          (!(gb.length !== 0) || oc <= gb.length) &&
          (!(dx.length !== 0) || ((n * c) * h) * w <= dx.length)) {
        D.values('conv2d_max_pool2d_bwd_f32', 'idx', idx, ((n * oc) * qh) * qw, oh * ow);
        EX.conv2d_max_pool2d_bwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, qh, qw, chunk, relu, beta, P_x, P_dy, P_idx, relu === 1 ? P_y : 0, P_weight, P_col, P_scratch, P_gw, gb.length !== 0 ? P_gb : 0, dx.length !== 0 ? P_dx : 0);
        return;
      }
      D.size('conv2d_max_pool2d_bwd_f32', 'n', n, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'c', c, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'h', h, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'w', w, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'oc', oc, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'kh', kh, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'kw', kw, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'sh', sh, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'sw', sw, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'ph', ph, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'pw', pw, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'dilh', dilh, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'dilw', dilw, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'groups', groups, 1);
      D.size('conv2d_max_pool2d_bwd_f32', 'oh', oh, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'ow', ow, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'qh', qh, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'qw', qw, 0);
      D.size('conv2d_max_pool2d_bwd_f32', 'chunk', chunk, 1);
      D.flag('conv2d_max_pool2d_bwd_f32', 'relu', relu);
      D.scalar('conv2d_max_pool2d_bwd_f32', 'beta', beta);
      const L_x = D.f32('conv2d_max_pool2d_bwd_f32', 'x', x);
      const L_dy = D.f32('conv2d_max_pool2d_bwd_f32', 'dy', dy);
      const L_idx = D.i32('conv2d_max_pool2d_bwd_f32', 'idx', idx);
      const L_y = D.f32('conv2d_max_pool2d_bwd_f32', 'y', y);
      const L_weight = D.f32('conv2d_max_pool2d_bwd_f32', 'weight', weight);
      const L_col = D.f32('conv2d_max_pool2d_bwd_f32', 'col', col);
      const L_scratch = D.f32('conv2d_max_pool2d_bwd_f32', 'scratch', scratch);
      const L_gw = D.f32('conv2d_max_pool2d_bwd_f32', 'gw', gw);
      const L_gb = D.f32('conv2d_max_pool2d_bwd_f32', 'gb', gb);
      const L_dx = D.f32('conv2d_max_pool2d_bwd_f32', 'dx', dx);
      D.fits('conv2d_max_pool2d_bwd_f32', 'n·c·h·w', ((n * c) * h) * w, 'x', L_x);
      D.fits('conv2d_max_pool2d_bwd_f32', 'n·oc·qh·qw', ((n * oc) * qh) * qw, 'dy', L_dy);
      D.fits('conv2d_max_pool2d_bwd_f32', 'n·oc·qh·qw', ((n * oc) * qh) * qw, 'idx', L_idx);
      const ON_y = relu === 1;
      if (ON_y) D.fits('conv2d_max_pool2d_bwd_f32', 'n·oc·qh·qw (relu)', ((n * oc) * qh) * qw, 'y', L_y);
      D.fits('conv2d_max_pool2d_bwd_f32', 'oc·(c/groups)·kh·kw', ((oc * Math.floor(c / groups)) * kh) * kw, 'weight', L_weight);
      D.fits('conv2d_max_pool2d_bwd_f32', 'c·kh·kw·oh·ow', (((c * kh) * kw) * oh) * ow, 'col', L_col);
      D.fits('conv2d_max_pool2d_bwd_f32', 'chunk·oc·(oh·ow+qh·qw)', (chunk * oc) * ((oh * ow) + (qh * qw)), 'scratch', L_scratch);
      D.fits('conv2d_max_pool2d_bwd_f32', 'oc·(c/groups)·kh·kw', ((oc * Math.floor(c / groups)) * kh) * kw, 'gw', L_gw);
      const ON_gb = L_gb !== 0;
      if (ON_gb) D.fits('conv2d_max_pool2d_bwd_f32', 'oc', oc, 'gb', L_gb);
      const ON_dx = L_dx !== 0;
      if (ON_dx) D.fits('conv2d_max_pool2d_bwd_f32', 'n·c·h·w', ((n * c) * h) * w, 'dx', L_dx);
      D.values('conv2d_max_pool2d_bwd_f32', 'idx', idx, ((n * oc) * qh) * qw, oh * ow);
      try {
        EX.conv2d_max_pool2d_bwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, qh, qw, chunk, relu, beta, D.ptr(x), D.ptr(dy), D.ptr(idx), ON_y ? D.ptr(y) : 0, D.ptr(weight), D.ptr(col), D.ptr(scratch), D.ptr(gw), ON_gb ? D.ptr(gb) : 0, ON_dx ? D.ptr(dx) : 0);
      } finally {
        D.unstage();
      }
    },
    max_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      const P_idx = D.own(idx, true);
      if (typeof nc === 'number' && (nc | 0) === nc && nc >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          P_x >= 0 &&
          P_y >= 0 &&
          P_idx >= 0 &&
          (nc * h) * w <= x.length &&
          (nc * oh) * ow <= y.length &&
          (nc * oh) * ow <= idx.length) {
        EX.max_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, P_x, P_y, P_idx);
        return;
      }
      D.size('max_pool2d_fwd_f32', 'nc', nc, 0);
      D.size('max_pool2d_fwd_f32', 'h', h, 0);
      D.size('max_pool2d_fwd_f32', 'w', w, 0);
      D.size('max_pool2d_fwd_f32', 'kh', kh, 1);
      D.size('max_pool2d_fwd_f32', 'kw', kw, 1);
      D.size('max_pool2d_fwd_f32', 'sh', sh, 1);
      D.size('max_pool2d_fwd_f32', 'sw', sw, 1);
      D.size('max_pool2d_fwd_f32', 'ph', ph, 0);
      D.size('max_pool2d_fwd_f32', 'pw', pw, 0);
      D.size('max_pool2d_fwd_f32', 'oh', oh, 0);
      D.size('max_pool2d_fwd_f32', 'ow', ow, 0);
      const L_x = D.f32('max_pool2d_fwd_f32', 'x', x);
      const L_y = D.f32('max_pool2d_fwd_f32', 'y', y);
      const L_idx = D.i32('max_pool2d_fwd_f32', 'idx', idx);
      D.fits('max_pool2d_fwd_f32', 'nc·h·w', (nc * h) * w, 'x', L_x);
      D.fits('max_pool2d_fwd_f32', 'nc·oh·ow', (nc * oh) * ow, 'y', L_y);
      D.fits('max_pool2d_fwd_f32', 'nc·oh·ow', (nc * oh) * ow, 'idx', L_idx);
      try {
        EX.max_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, D.ptr(x), D.ptr(y), D.ptr(idx));
      } finally {
        D.unstage();
      }
    },
    max_pool2d_bwd_f32(nc, h, w, oh, ow, dy, idx, dx) {
      const P_dy = D.own(dy, false);
      const P_idx = D.own(idx, true);
      const P_dx = D.own(dx, false);
      if (typeof nc === 'number' && (nc | 0) === nc && nc >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          P_dy >= 0 &&
          P_idx >= 0 &&
          P_dx >= 0 &&
          (nc * oh) * ow <= dy.length &&
          (nc * oh) * ow <= idx.length &&
          (nc * h) * w <= dx.length) {
        D.values('max_pool2d_bwd_f32', 'idx', idx, (nc * oh) * ow, h * w);
        EX.max_pool2d_bwd_f32(nc, h, w, oh, ow, P_dy, P_idx, P_dx);
        return;
      }
      D.size('max_pool2d_bwd_f32', 'nc', nc, 0);
      D.size('max_pool2d_bwd_f32', 'h', h, 0);
      D.size('max_pool2d_bwd_f32', 'w', w, 0);
      D.size('max_pool2d_bwd_f32', 'oh', oh, 0);
      D.size('max_pool2d_bwd_f32', 'ow', ow, 0);
      const L_dy = D.f32('max_pool2d_bwd_f32', 'dy', dy);
      const L_idx = D.i32('max_pool2d_bwd_f32', 'idx', idx);
      const L_dx = D.f32('max_pool2d_bwd_f32', 'dx', dx);
      D.fits('max_pool2d_bwd_f32', 'nc·oh·ow', (nc * oh) * ow, 'dy', L_dy);
      D.fits('max_pool2d_bwd_f32', 'nc·oh·ow', (nc * oh) * ow, 'idx', L_idx);
      D.fits('max_pool2d_bwd_f32', 'nc·h·w', (nc * h) * w, 'dx', L_dx);
      D.values('max_pool2d_bwd_f32', 'idx', idx, (nc * oh) * ow, h * w);
      try {
        EX.max_pool2d_bwd_f32(nc, h, w, oh, ow, D.ptr(dy), D.ptr(idx), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
    avg_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, x, y) {
      const P_x = D.own(x, false);
      const P_y = D.own(y, false);
      if (typeof nc === 'number' && (nc | 0) === nc && nc >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          (include_pad === 0 || include_pad === 1) &&
          P_x >= 0 &&
          P_y >= 0 &&
          (nc * h) * w <= x.length &&
          (nc * oh) * ow <= y.length) {
        EX.avg_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, P_x, P_y);
        return;
      }
      D.size('avg_pool2d_fwd_f32', 'nc', nc, 0);
      D.size('avg_pool2d_fwd_f32', 'h', h, 0);
      D.size('avg_pool2d_fwd_f32', 'w', w, 0);
      D.size('avg_pool2d_fwd_f32', 'kh', kh, 1);
      D.size('avg_pool2d_fwd_f32', 'kw', kw, 1);
      D.size('avg_pool2d_fwd_f32', 'sh', sh, 1);
      D.size('avg_pool2d_fwd_f32', 'sw', sw, 1);
      D.size('avg_pool2d_fwd_f32', 'ph', ph, 0);
      D.size('avg_pool2d_fwd_f32', 'pw', pw, 0);
      D.size('avg_pool2d_fwd_f32', 'oh', oh, 0);
      D.size('avg_pool2d_fwd_f32', 'ow', ow, 0);
      D.flag('avg_pool2d_fwd_f32', 'include_pad', include_pad);
      const L_x = D.f32('avg_pool2d_fwd_f32', 'x', x);
      const L_y = D.f32('avg_pool2d_fwd_f32', 'y', y);
      D.fits('avg_pool2d_fwd_f32', 'nc·h·w', (nc * h) * w, 'x', L_x);
      D.fits('avg_pool2d_fwd_f32', 'nc·oh·ow', (nc * oh) * ow, 'y', L_y);
      try {
        EX.avg_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, D.ptr(x), D.ptr(y));
      } finally {
        D.unstage();
      }
    },
    avg_pool2d_bwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, dy, dx) {
      const P_dy = D.own(dy, false);
      const P_dx = D.own(dx, false);
      if (typeof nc === 'number' && (nc | 0) === nc && nc >= 0 &&
          typeof h === 'number' && (h | 0) === h && h >= 0 &&
          typeof w === 'number' && (w | 0) === w && w >= 0 &&
          typeof kh === 'number' && (kh | 0) === kh && kh >= 1 &&
          typeof kw === 'number' && (kw | 0) === kw && kw >= 1 &&
          typeof sh === 'number' && (sh | 0) === sh && sh >= 1 &&
          typeof sw === 'number' && (sw | 0) === sw && sw >= 1 &&
          typeof ph === 'number' && (ph | 0) === ph && ph >= 0 &&
          typeof pw === 'number' && (pw | 0) === pw && pw >= 0 &&
          typeof oh === 'number' && (oh | 0) === oh && oh >= 0 &&
          typeof ow === 'number' && (ow | 0) === ow && ow >= 0 &&
          (include_pad === 0 || include_pad === 1) &&
          P_dy >= 0 &&
          P_dx >= 0 &&
          (nc * oh) * ow <= dy.length &&
          (nc * h) * w <= dx.length) {
        EX.avg_pool2d_bwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, P_dy, P_dx);
        return;
      }
      D.size('avg_pool2d_bwd_f32', 'nc', nc, 0);
      D.size('avg_pool2d_bwd_f32', 'h', h, 0);
      D.size('avg_pool2d_bwd_f32', 'w', w, 0);
      D.size('avg_pool2d_bwd_f32', 'kh', kh, 1);
      D.size('avg_pool2d_bwd_f32', 'kw', kw, 1);
      D.size('avg_pool2d_bwd_f32', 'sh', sh, 1);
      D.size('avg_pool2d_bwd_f32', 'sw', sw, 1);
      D.size('avg_pool2d_bwd_f32', 'ph', ph, 0);
      D.size('avg_pool2d_bwd_f32', 'pw', pw, 0);
      D.size('avg_pool2d_bwd_f32', 'oh', oh, 0);
      D.size('avg_pool2d_bwd_f32', 'ow', ow, 0);
      D.flag('avg_pool2d_bwd_f32', 'include_pad', include_pad);
      const L_dy = D.f32('avg_pool2d_bwd_f32', 'dy', dy);
      const L_dx = D.f32('avg_pool2d_bwd_f32', 'dx', dx);
      D.fits('avg_pool2d_bwd_f32', 'nc·oh·ow', (nc * oh) * ow, 'dy', L_dy);
      D.fits('avg_pool2d_bwd_f32', 'nc·h·w', (nc * h) * w, 'dx', L_dx);
      try {
        EX.avg_pool2d_bwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, D.ptr(dy), D.ptr(dx));
      } finally {
        D.unstage();
      }
    },
  };
}

/** The native adapter: numbers pass through, buffers as their typed arrays; the addon checks everything. */
export function nativeKernels(F: Addon): Kernels {
  return {
    gemm_f32: (ta, tb, m, n, k, alpha, a, b, beta, c) => F.gemm_f32(ta, tb, m, n, k, alpha, a?.data, b?.data, beta, c?.data),
    gemm_bias_act_f32: (m, n, k, act, slope, a, b, bias, c) => F.gemm_bias_act_f32(m, n, k, act, slope, a?.data, b?.data, bias?.data, c?.data),
    gemm_act_bwd_f32: (m, n, k, slope, a, b, y, c) => F.gemm_act_bwd_f32(m, n, k, slope, a?.data, b?.data, y?.data, c?.data),
    bias_add_f32: (m, n, bias, c) => F.bias_add_f32(m, n, bias?.data, c?.data),
    col_sum_f32: (m, n, beta, a, out) => F.col_sum_f32(m, n, beta, a?.data, out?.data),
    linear_bwd_f32: (m, out_f, in_f, beta, act, slope, dy, x, w, y, dw, db, dx) => F.linear_bwd_f32(m, out_f, in_f, beta, act, slope, dy?.data, x?.data, w?.data, y?.data, dw?.data, db?.data, dx?.data),
    sigmoid_fwd_f32: (n, x, y) => F.sigmoid_fwd_f32(n, x?.data, y?.data),
    tanh_fwd_f32: (n, x, y) => F.tanh_fwd_f32(n, x?.data, y?.data),
    relu_fwd_f32: (n, x, y) => F.relu_fwd_f32(n, x?.data, y?.data),
    leaky_relu_fwd_f32: (n, slope, x, y) => F.leaky_relu_fwd_f32(n, slope, x?.data, y?.data),
    sigmoid_bwd_f32: (n, y, dy, dx) => F.sigmoid_bwd_f32(n, y?.data, dy?.data, dx?.data),
    tanh_bwd_f32: (n, y, dy, dx) => F.tanh_bwd_f32(n, y?.data, dy?.data, dx?.data),
    relu_bwd_f32: (n, y, dy, dx) => F.relu_bwd_f32(n, y?.data, dy?.data, dx?.data),
    leaky_relu_bwd_f32: (n, slope, y, dy, dx) => F.leaky_relu_bwd_f32(n, slope, y?.data, dy?.data, dx?.data),
    elu_fwd_f32: (n, alpha, x, y) => F.elu_fwd_f32(n, alpha, x?.data, y?.data),
    elu_bwd_f32: (n, alpha, x, dy, dx) => F.elu_bwd_f32(n, alpha, x?.data, dy?.data, dx?.data),
    gelu_fwd_f32: (n, x, y) => F.gelu_fwd_f32(n, x?.data, y?.data),
    gelu_bwd_f32: (n, x, dy, dx) => F.gelu_bwd_f32(n, x?.data, dy?.data, dx?.data),
    gelu_tanh_fwd_f32: (n, x, y) => F.gelu_tanh_fwd_f32(n, x?.data, y?.data),
    gelu_tanh_bwd_f32: (n, x, dy, dx) => F.gelu_tanh_bwd_f32(n, x?.data, dy?.data, dx?.data),
    silu_fwd_f32: (n, x, y) => F.silu_fwd_f32(n, x?.data, y?.data),
    silu_bwd_f32: (n, x, dy, dx) => F.silu_bwd_f32(n, x?.data, dy?.data, dx?.data),
    softplus_fwd_f32: (n, beta, threshold, x, y) => F.softplus_fwd_f32(n, beta, threshold, x?.data, y?.data),
    softplus_bwd_f32: (n, beta, threshold, x, dy, dx) => F.softplus_bwd_f32(n, beta, threshold, x?.data, dy?.data, dx?.data),
    softmax_fwd_f32: (m, n, x, y) => F.softmax_fwd_f32(m, n, x?.data, y?.data),
    softmax_xent_f32: (m, n, scale, logits, labels, loss, grad) => F.softmax_xent_f32(m, n, scale, logits?.data, labels?.data, loss?.data, grad?.data),
    mse_f32: (m, n, scale, pred, target, loss, grad) => F.mse_f32(m, n, scale, pred?.data, target?.data, loss?.data, grad?.data),
    bce_logits_f32: (m, n, scale, pred, target, loss, grad) => F.bce_logits_f32(m, n, scale, pred?.data, target?.data, loss?.data, grad?.data),
    sgd_step_f32: (n, lr, wd, w, g) => F.sgd_step_f32(n, lr, wd, w?.data, g?.data),
    momentum_step_f32: (n, lr, mu, damp, wd, nesterov, w, g, buf) => F.momentum_step_f32(n, lr, mu, damp, wd, nesterov, w?.data, g?.data, buf?.data),
    adagrad_step_f32: (n, clr, wd, eps, w, g, sum) => F.adagrad_step_f32(n, clr, wd, eps, w?.data, g?.data, sum?.data),
    rmsprop_step_f32: (n, lr, alpha, eps, wd, mu, centered, w, g, sq, buf, gavg) => F.rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered, w?.data, g?.data, sq?.data, buf?.data, gavg?.data),
    adam_step_f32: (n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w, g, m, v, vmax) => F.adam_step_f32(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w?.data, g?.data, m?.data, v?.data, vmax?.data),
    batch_norm_train_f32: (n, c, hw, eps, momentum, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd) => F.batch_norm_train_f32(n, c, hw, eps, momentum, x?.data, gamma?.data, beta?.data, running_mean?.data, running_var?.data, y?.data, save_mean?.data, save_invstd?.data),
    batch_norm_eval_f32: (n, c, hw, eps, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd) => F.batch_norm_eval_f32(n, c, hw, eps, x?.data, gamma?.data, beta?.data, running_mean?.data, running_var?.data, y?.data, save_mean?.data, save_invstd?.data),
    batch_norm_bwd_f32: (n, c, hw, batch_stats, beta_acc, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta) => F.batch_norm_bwd_f32(n, c, hw, batch_stats, beta_acc, x?.data, dy?.data, gamma?.data, save_mean?.data, save_invstd?.data, dx?.data, dgamma?.data, dbeta?.data),
    dropout_fwd_f32: (n, seed, threshold, scale, x, y, mask) => F.dropout_fwd_f32(n, seed, threshold, scale, x?.data, y?.data, mask?.data),
    mul_f32: (n, a, b, out) => F.mul_f32(n, a?.data, b?.data, out?.data),
    conv2d_fwd_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, x, weight, bias, col, y) => F.conv2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, x?.data, weight?.data, bias?.data, col?.data, y?.data),
    conv2d_bwd_data_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, dy, weight, col, dx) => F.conv2d_bwd_data_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, dy?.data, weight?.data, col?.data, dx?.data),
    conv2d_bwd_filter_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, beta, x, dy, col, gw, gb) => F.conv2d_bwd_filter_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, beta, x?.data, dy?.data, col?.data, gw?.data, gb?.data),
    conv2d_max_pool2d_fwd_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, chunk, relu, x, weight, bias, col, scratch, y, idx) => F.conv2d_max_pool2d_fwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, pkh, pkw, psh, psw, pph, ppw, qh, qw, chunk, relu, x?.data, weight?.data, bias?.data, col?.data, scratch?.data, y?.data, idx?.data),
    conv2d_max_pool2d_bwd_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, qh, qw, chunk, relu, beta, x, dy, idx, y, weight, col, scratch, gw, gb, dx) => F.conv2d_max_pool2d_bwd_f32(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow, qh, qw, chunk, relu, beta, x?.data, dy?.data, idx?.data, y?.data, weight?.data, col?.data, scratch?.data, gw?.data, gb?.data, dx?.data),
    max_pool2d_fwd_f32: (nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx) => F.max_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x?.data, y?.data, idx?.data),
    max_pool2d_bwd_f32: (nc, h, w, oh, ow, dy, idx, dx) => F.max_pool2d_bwd_f32(nc, h, w, oh, ow, dy?.data, idx?.data, dx?.data),
    avg_pool2d_fwd_f32: (nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, x, y) => F.avg_pool2d_fwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, x?.data, y?.data),
    avg_pool2d_bwd_f32: (nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, dy, dx) => F.avg_pool2d_bwd_f32(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, dy?.data, dx?.data),
  };
}
