/* The N-API door: one unwrap function per kernel of kernels.def. It checks argument count and types, and that
 * every size fits the buffer it indexes (in release builds too: a few integer comparisons per call, plus one pass
 * over the int32 labels), then calls the kernel on the typed arrays' memory (zero-copy, byteOffset honoured).
 * Errors: TypeError (code ERR_DTYPE) for wrong types, RangeError (ERR_SHAPE / ERR_OPTION) for bad sizes and flags,
 * with messages like `gemm_f32: m·k = 1024 exceeds a.length 1000`. No maths here. Hot calls use the plain C
 * N-API (one napi_get_cb_info, one query per argument); node-addon-api only registers the module. */
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "kernels.h"
#include "pool.h"

namespace descent {

namespace {

constexpr int MAX_ARGS = 24;
constexpr double MAX_SIZE = 2147483647.0;  // sizes are int32-ranged; products of two fit easily in int64

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

/* One call's arguments. Each getter records the first failure as a pending JS exception; the unwrap function
 * checks `ok` once before calling the kernel. */
struct Args {
  napi_env env;
  const char* kernel;
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  int next = 0;
  bool ok = true;

  Args(napi_env e, napi_callback_info info, const char* name, size_t arity) : env(e), kernel(name) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc != arity) {
      char msg[160];
      std::snprintf(msg, sizeof msg, "%s: expected %zu arguments, received %zu", kernel, arity, argc);
      fail_type(msg);
    }
  }

  void fail_type(const char* msg) {
    if (ok) napi_throw_type_error(env, "ERR_DTYPE", msg);
    ok = false;
  }
  void fail_range(const char* code, const char* msg) {
    if (ok) napi_throw_range_error(env, code, msg);
    ok = false;
  }

  /* `number`, `Float64Array(3)`, `undefined`... like src/errors.ts describe(). */
  void describe(napi_value v, char* out, size_t size) {
    bool is_ta = false;
    napi_is_typedarray(env, v, &is_ta);
    if (is_ta) {
      napi_typedarray_type t;
      size_t len = 0;
      napi_get_typedarray_info(env, v, &t, &len, nullptr, nullptr, nullptr);
      std::snprintf(out, size, "%s(%zu)", typed_array_name(t), len);
      return;
    }
    napi_valuetype vt = napi_undefined;
    napi_typeof(env, v, &vt);
    static const char* names[] = {"undefined", "null", "boolean", "number", "string", "symbol", "object",
                                  "function", "external", "bigint"};
    std::snprintf(out, size, "%s", vt <= napi_bigint ? names[vt] : "value");
  }

  void expected(const char* name, const char* what, napi_value v) {
    char got[64], msg[256];
    describe(v, got, sizeof got);
    std::snprintf(msg, sizeof msg, "%s: expected %s to be %s, received %s", kernel, name, what, got);
    fail_type(msg);
  }

  napi_value arg() { return next < (int)argc ? argv[next++] : nullptr; }

  bool number(const char* name, double* out) {
    napi_value v = arg();
    if (!ok) return false;
    if (napi_get_value_double(env, v, out) != napi_ok) {
      expected(name, "a number", v);
      return false;
    }
    return true;
  }

  int64_t size(const char* name) {
    double d = 0;
    if (!number(name, &d)) return 0;
    if (!(d >= 0 && d <= MAX_SIZE && d == std::floor(d))) {
      char msg[200];
      std::snprintf(msg, sizeof msg, "%s: expected %s to be an integer in [0, 2147483647], received %g", kernel, name, d);
      fail_range("ERR_SHAPE", msg);
      return 0;
    }
    return (int64_t)d;
  }

  float scalar(const char* name) { return (float)dscalar(name); }
  double dscalar(const char* name) {
    double d = 0;
    return number(name, &d) ? d : 0.0;
  }

  int flag(const char* name) {
    double d = 0;
    if (!number(name, &d)) return 0;
    if (d != 0 && d != 1) {
      char msg[200];
      std::snprintf(msg, sizeof msg, "%s: expected %s to be 0 or 1, received %g", kernel, name, d);
      fail_range("ERR_OPTION", msg);
      return 0;
    }
    return (int)d;
  }

  template <class T>
  T* array(const char* name, napi_typedarray_type want, const char* what, int64_t* len) {
    napi_value v = arg();
    *len = 0;
    if (!ok) return nullptr;
    napi_typedarray_type t;
    size_t n = 0;
    void* data = nullptr;
    // napi_get_typedarray_info itself rejects non-typed-arrays (napi_invalid_arg): one query per array.
    if (v == nullptr || napi_get_typedarray_info(env, v, &t, &n, &data, nullptr, nullptr) != napi_ok || t != want) {
      expected(name, what, v);
      return nullptr;
    }
    *len = (int64_t)n;
    return static_cast<T*>(data);  // N-API already adds the view's byteOffset
  }
  float* f32(const char* name, int64_t* len) { return array<float>(name, napi_float32_array, "a Float32Array", len); }
  int32_t* i32(const char* name, int64_t* len) { return array<int32_t>(name, napi_int32_array, "an Int32Array", len); }

  /* `need` elements (described by `what`, e.g. "m·k") must fit in `buf` of length `have`. */
  void fits(const char* what, int64_t need, const char* buf, int64_t have) {
    if (!ok || need <= have) return;
    char msg[200];
    std::snprintf(msg, sizeof msg, "%s: %s = %lld exceeds %s.length %lld", kernel, what, (long long)need, buf,
                  (long long)have);
    fail_range("ERR_SHAPE", msg);
  }
  /* Optional outputs: length 0 means "not wanted" (nullptr), anything else must fit. */
  template <class T>
  T* optional(T* p, const char* what, int64_t need, const char* buf, int64_t have) {
    if (have == 0) return nullptr;
    fits(what, need, buf, have);
    return p;
  }
};

napi_value js_gemm_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "gemm_f32", 10);
  const int ta = A.flag("ta"), tb = A.flag("tb");
  const int64_t m = A.size("m"), n = A.size("n"), k = A.size("k");
  const float alpha = A.scalar("alpha");
  int64_t la, lb, lc;
  const float* a = A.f32("a", &la);
  const float* b = A.f32("b", &lb);
  const float beta = A.scalar("beta");
  float* c = A.f32("c", &lc);
  A.fits("m·k", m * k, "a", la);
  A.fits("k·n", k * n, "b", lb);
  A.fits("m·n", m * n, "c", lc);
  if (A.ok) gemm_f32(ta, tb, m, n, k, alpha, a, b, beta, c);
  return nullptr;
}

napi_value js_bias_add_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "bias_add_f32", 4);
  const int64_t m = A.size("m"), n = A.size("n");
  int64_t lb, lc;
  const float* bias = A.f32("bias", &lb);
  float* c = A.f32("c", &lc);
  A.fits("n", n, "bias", lb);
  A.fits("m·n", m * n, "c", lc);
  if (A.ok) bias_add_f32(m, n, bias, c);
  return nullptr;
}

napi_value js_col_sum_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "col_sum_f32", 5);
  const int64_t m = A.size("m"), n = A.size("n");
  const float beta = A.scalar("beta");
  int64_t la, lo;
  const float* a = A.f32("a", &la);
  float* out = A.f32("out", &lo);
  A.fits("m·n", m * n, "a", la);
  A.fits("n", n, "out", lo);
  if (A.ok) col_sum_f32(m, n, beta, a, out);
  return nullptr;
}

#define UNARY(name)                                                   \
  napi_value js_##name(napi_env env, napi_callback_info info) {       \
    Args A(env, info, #name, 3);                                      \
    const int64_t n = A.size("n");                                    \
    int64_t lx, ly;                                                   \
    const float* x = A.f32("x", &lx);                                 \
    float* y = A.f32("y", &ly);                                       \
    A.fits("n", n, "x", lx);                                          \
    A.fits("n", n, "y", ly);                                          \
    if (A.ok) name(n, x, y);                                          \
    return nullptr;                                                   \
  }
UNARY(sigmoid_fwd_f32)
UNARY(tanh_fwd_f32)
UNARY(relu_fwd_f32)
UNARY(gelu_fwd_f32)
UNARY(gelu_tanh_fwd_f32)
UNARY(silu_fwd_f32)
#undef UNARY

napi_value js_leaky_relu_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "leaky_relu_fwd_f32", 4);
  const int64_t n = A.size("n");
  const float slope = A.scalar("slope");
  int64_t lx, ly;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  A.fits("n", n, "x", lx);
  A.fits("n", n, "y", ly);
  if (A.ok) leaky_relu_fwd_f32(n, slope, x, y);
  return nullptr;
}

#define BINARY(name)                                                  \
  napi_value js_##name(napi_env env, napi_callback_info info) {       \
    Args A(env, info, #name, 4);                                      \
    const int64_t n = A.size("n");                                    \
    int64_t ly, ldy, ldx;                                             \
    const float* y = A.f32("y", &ly);                                 \
    const float* dy = A.f32("dy", &ldy);                              \
    float* dx = A.f32("dx", &ldx);                                    \
    A.fits("n", n, "y", ly);                                          \
    A.fits("n", n, "dy", ldy);                                        \
    A.fits("n", n, "dx", ldx);                                        \
    if (A.ok) name(n, y, dy, dx);                                     \
    return nullptr;                                                   \
  }
BINARY(sigmoid_bwd_f32)
BINARY(tanh_bwd_f32)
BINARY(relu_bwd_f32)
#undef BINARY

napi_value js_leaky_relu_bwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "leaky_relu_bwd_f32", 5);
  const int64_t n = A.size("n");
  const float slope = A.scalar("slope");
  int64_t ly, ldy, ldx;
  const float* y = A.f32("y", &ly);
  const float* dy = A.f32("dy", &ldy);
  float* dx = A.f32("dx", &ldx);
  A.fits("n", n, "y", ly);
  A.fits("n", n, "dy", ldy);
  A.fits("n", n, "dx", ldx);
  if (A.ok) leaky_relu_bwd_f32(n, slope, y, dy, dx);
  return nullptr;
}

/* Backward of the activations that read the input x. */
#define BINARY_X(name)                                                \
  napi_value js_##name(napi_env env, napi_callback_info info) {       \
    Args A(env, info, #name, 4);                                      \
    const int64_t n = A.size("n");                                    \
    int64_t lx, ldy, ldx;                                             \
    const float* x = A.f32("x", &lx);                                 \
    const float* dy = A.f32("dy", &ldy);                              \
    float* dx = A.f32("dx", &ldx);                                    \
    A.fits("n", n, "x", lx);                                          \
    A.fits("n", n, "dy", ldy);                                        \
    A.fits("n", n, "dx", ldx);                                        \
    if (A.ok) name(n, x, dy, dx);                                     \
    return nullptr;                                                   \
  }
BINARY_X(gelu_bwd_f32)
BINARY_X(gelu_tanh_bwd_f32)
BINARY_X(silu_bwd_f32)
#undef BINARY_X

napi_value js_elu_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "elu_fwd_f32", 4);
  const int64_t n = A.size("n");
  const float alpha = A.scalar("alpha");
  int64_t lx, ly;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  A.fits("n", n, "x", lx);
  A.fits("n", n, "y", ly);
  if (A.ok) elu_fwd_f32(n, alpha, x, y);
  return nullptr;
}

napi_value js_elu_bwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "elu_bwd_f32", 5);
  const int64_t n = A.size("n");
  const float alpha = A.scalar("alpha");
  int64_t lx, ldy, ldx;
  const float* x = A.f32("x", &lx);
  const float* dy = A.f32("dy", &ldy);
  float* dx = A.f32("dx", &ldx);
  A.fits("n", n, "x", lx);
  A.fits("n", n, "dy", ldy);
  A.fits("n", n, "dx", ldx);
  if (A.ok) elu_bwd_f32(n, alpha, x, dy, dx);
  return nullptr;
}

napi_value js_softplus_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "softplus_fwd_f32", 5);
  const int64_t n = A.size("n");
  const float beta = A.scalar("beta"), threshold = A.scalar("threshold");
  int64_t lx, ly;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  A.fits("n", n, "x", lx);
  A.fits("n", n, "y", ly);
  if (A.ok) softplus_fwd_f32(n, beta, threshold, x, y);
  return nullptr;
}

napi_value js_softplus_bwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "softplus_bwd_f32", 6);
  const int64_t n = A.size("n");
  const float beta = A.scalar("beta"), threshold = A.scalar("threshold");
  int64_t lx, ldy, ldx;
  const float* x = A.f32("x", &lx);
  const float* dy = A.f32("dy", &ldy);
  float* dx = A.f32("dx", &ldx);
  A.fits("n", n, "x", lx);
  A.fits("n", n, "dy", ldy);
  A.fits("n", n, "dx", ldx);
  if (A.ok) softplus_bwd_f32(n, beta, threshold, x, dy, dx);
  return nullptr;
}

napi_value js_softmax_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "softmax_fwd_f32", 4);
  const int64_t m = A.size("m"), n = A.size("n");
  int64_t lx, ly;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  A.fits("m·n", m * n, "x", lx);
  A.fits("m·n", m * n, "y", ly);
  if (A.ok) softmax_fwd_f32(m, n, x, y);
  return nullptr;
}

napi_value js_softmax_xent_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "softmax_xent_f32", 7);
  const int64_t m = A.size("m"), n = A.size("n");
  const float scale = A.scalar("scale");
  int64_t lx, ll, lloss, lg;
  const float* x = A.f32("logits", &lx);
  const int32_t* labels = A.i32("labels", &ll);
  float* loss = A.f32("loss", &lloss);
  float* grad = A.f32("grad", &lg);
  A.fits("m·n", m * n, "logits", lx);
  A.fits("m", m, "labels", ll);
  A.fits("m", m, "loss", lloss);
  grad = A.optional(grad, "m·n", m * n, "grad", lg);
  for (int64_t i = 0; A.ok && i < m; i++)
    if (labels[i] < 0 || labels[i] >= n) {
      char msg[200];
      std::snprintf(msg, sizeof msg, "softmax_xent_f32: expected labels[%lld] in [0, %lld), received %d",
                    (long long)i, (long long)n, labels[i]);
      A.fail_range("ERR_SHAPE", msg);
    }
  if (A.ok) softmax_xent_f32(m, n, scale, x, labels, loss, grad);
  return nullptr;
}

#define PAIR_LOSS(name)                                               \
  napi_value js_##name(napi_env env, napi_callback_info info) {       \
    Args A(env, info, #name, 7);                                      \
    const int64_t m = A.size("m"), n = A.size("n");                   \
    const float scale = A.scalar("scale");                            \
    int64_t lp, lt, lloss, lg;                                        \
    const float* p = A.f32("pred", &lp);                              \
    const float* t = A.f32("target", &lt);                            \
    float* loss = A.f32("loss", &lloss);                              \
    float* grad = A.f32("grad", &lg);                                 \
    A.fits("m·n", m * n, "pred", lp);                                 \
    A.fits("m·n", m * n, "target", lt);                               \
    A.fits("m", m, "loss", lloss);                                    \
    grad = A.optional(grad, "m·n", m * n, "grad", lg);                \
    if (A.ok) name(m, n, scale, p, t, loss, grad);                    \
    return nullptr;                                                   \
  }
PAIR_LOSS(mse_f32)
PAIR_LOSS(bce_logits_f32)
#undef PAIR_LOSS

napi_value js_sgd_step_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "sgd_step_f32", 5);
  const int64_t n = A.size("n");
  const double lr = A.dscalar("lr"), wd = A.dscalar("wd");
  int64_t lw, lg;
  float* w = A.f32("w", &lw);
  const float* g = A.f32("g", &lg);
  A.fits("n", n, "w", lw);
  A.fits("n", n, "g", lg);
  if (A.ok) sgd_step_f32(n, lr, wd, w, g);
  return nullptr;
}

napi_value js_momentum_step_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "momentum_step_f32", 9);
  const int64_t n = A.size("n");
  const double lr = A.dscalar("lr"), mu = A.dscalar("mu"), damp = A.dscalar("damp"), wd = A.dscalar("wd");
  const int nesterov = A.flag("nesterov");
  int64_t lw, lg, lb;
  float* w = A.f32("w", &lw);
  const float* g = A.f32("g", &lg);
  float* buf = A.f32("buf", &lb);
  A.fits("n", n, "w", lw);
  A.fits("n", n, "g", lg);
  A.fits("n", n, "buf", lb);
  if (A.ok) momentum_step_f32(n, lr, mu, damp, wd, nesterov, w, g, buf);
  return nullptr;
}

napi_value js_adagrad_step_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "adagrad_step_f32", 7);
  const int64_t n = A.size("n");
  const double clr = A.dscalar("clr"), wd = A.dscalar("wd"), eps = A.dscalar("eps");
  int64_t lw, lg, ls;
  float* w = A.f32("w", &lw);
  const float* g = A.f32("g", &lg);
  float* sum = A.f32("sum", &ls);
  A.fits("n", n, "w", lw);
  A.fits("n", n, "g", lg);
  A.fits("n", n, "sum", ls);
  if (A.ok) adagrad_step_f32(n, clr, wd, eps, w, g, sum);
  return nullptr;
}

napi_value js_rmsprop_step_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "rmsprop_step_f32", 12);
  const int64_t n = A.size("n");
  const double lr = A.dscalar("lr"), alpha = A.dscalar("alpha"), eps = A.dscalar("eps"), wd = A.dscalar("wd");
  const double mu = A.dscalar("mu");
  const int centered = A.flag("centered");
  int64_t lw, lg, lsq, lb, lga;
  float* w = A.f32("w", &lw);
  const float* g = A.f32("g", &lg);
  float* sq = A.f32("sq", &lsq);
  float* buf = A.f32("buf", &lb);
  float* gavg = A.f32("gavg", &lga);
  A.fits("n", n, "w", lw);
  A.fits("n", n, "g", lg);
  A.fits("n", n, "sq", lsq);
  // The kernel reads buf exactly when mu > 0 and gavg exactly when centered (same predicates as optim.cc).
  if (mu > 0.0) A.fits("n (mu > 0)", n, "buf", lb); else buf = nullptr;
  if (centered) A.fits("n (centered)", n, "gavg", lga); else gavg = nullptr;
  if (A.ok) rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered, w, g, sq, buf, gavg);
  return nullptr;
}

napi_value js_adam_step_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "adam_step_f32", 14);
  const int64_t n = A.size("n");
  const double lr = A.dscalar("lr"), b1 = A.dscalar("b1"), b2 = A.dscalar("b2"), eps = A.dscalar("eps");
  const double wd = A.dscalar("wd");
  const int decoupled = A.flag("decoupled");
  const double bc1 = A.dscalar("bc1"), bc2 = A.dscalar("bc2");
  int64_t lw, lg, lm, lv, lvm;
  float* w = A.f32("w", &lw);
  const float* g = A.f32("g", &lg);
  float* m = A.f32("m", &lm);
  float* v = A.f32("v", &lv);
  float* vmax = A.f32("vmax", &lvm);
  A.fits("n", n, "w", lw);
  A.fits("n", n, "g", lg);
  A.fits("n", n, "m", lm);
  A.fits("n", n, "v", lv);
  vmax = A.optional(vmax, "n", n, "vmax", lvm);
  if (A.ok) adam_step_f32(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w, g, m, v, vmax);
  return nullptr;
}

napi_value js_batch_norm_train_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "batch_norm_train_f32", 13);
  const int64_t n = A.size("n"), c = A.size("c"), hw = A.size("hw");
  const double eps = A.dscalar("eps"), momentum = A.dscalar("momentum");
  int64_t lx, lg, lb, lrm, lrv, ly, lsm, lsi;
  const float* x = A.f32("x", &lx);
  const float* gamma = A.f32("gamma", &lg);
  const float* beta = A.f32("beta", &lb);
  float* rm = A.f32("running_mean", &lrm);
  float* rv = A.f32("running_var", &lrv);
  float* y = A.f32("y", &ly);
  float* sm = A.f32("save_mean", &lsm);
  float* si = A.f32("save_invstd", &lsi);
  A.fits("n·c·hw", n * c * hw, "x", lx);
  gamma = A.optional(gamma, "c", c, "gamma", lg);
  beta = A.optional(beta, "c", c, "beta", lb);
  rm = A.optional(rm, "c", c, "running_mean", lrm);
  rv = A.optional(rv, "c", c, "running_var", lrv);
  A.fits("n·c·hw", n * c * hw, "y", ly);
  A.fits("c", c, "save_mean", lsm);
  A.fits("c", c, "save_invstd", lsi);
  if (A.ok) batch_norm_train_f32(n, c, hw, eps, momentum, x, gamma, beta, rm, rv, y, sm, si);
  return nullptr;
}

napi_value js_batch_norm_eval_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "batch_norm_eval_f32", 12);
  const int64_t n = A.size("n"), c = A.size("c"), hw = A.size("hw");
  const double eps = A.dscalar("eps");
  int64_t lx, lg, lb, lrm, lrv, ly, lsm, lsi;
  const float* x = A.f32("x", &lx);
  const float* gamma = A.f32("gamma", &lg);
  const float* beta = A.f32("beta", &lb);
  const float* rm = A.f32("running_mean", &lrm);
  const float* rv = A.f32("running_var", &lrv);
  float* y = A.f32("y", &ly);
  float* sm = A.f32("save_mean", &lsm);
  float* si = A.f32("save_invstd", &lsi);
  A.fits("n·c·hw", n * c * hw, "x", lx);
  gamma = A.optional(gamma, "c", c, "gamma", lg);
  beta = A.optional(beta, "c", c, "beta", lb);
  A.fits("c", c, "running_mean", lrm);
  A.fits("c", c, "running_var", lrv);
  A.fits("n·c·hw", n * c * hw, "y", ly);
  A.fits("c", c, "save_mean", lsm);
  A.fits("c", c, "save_invstd", lsi);
  if (A.ok) batch_norm_eval_f32(n, c, hw, eps, x, gamma, beta, rm, rv, y, sm, si);
  return nullptr;
}

napi_value js_batch_norm_bwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "batch_norm_bwd_f32", 13);
  const int64_t n = A.size("n"), c = A.size("c"), hw = A.size("hw");
  const int batch_stats = A.flag("batch_stats");
  const float beta_acc = A.scalar("beta_acc");
  int64_t lx, ldy, lg, lsm, lsi, ldx, ldg, ldb;
  const float* x = A.f32("x", &lx);
  const float* dy = A.f32("dy", &ldy);
  const float* gamma = A.f32("gamma", &lg);
  const float* sm = A.f32("save_mean", &lsm);
  const float* si = A.f32("save_invstd", &lsi);
  float* dx = A.f32("dx", &ldx);
  float* dgamma = A.f32("dgamma", &ldg);
  float* dbeta = A.f32("dbeta", &ldb);
  A.fits("n·c·hw", n * c * hw, "x", lx);
  A.fits("n·c·hw", n * c * hw, "dy", ldy);
  gamma = A.optional(gamma, "c", c, "gamma", lg);
  A.fits("c", c, "save_mean", lsm);
  A.fits("c", c, "save_invstd", lsi);
  A.fits("n·c·hw", n * c * hw, "dx", ldx);
  dgamma = A.optional(dgamma, "c", c, "dgamma", ldg);
  dbeta = A.optional(dbeta, "c", c, "dbeta", ldb);
  if (A.ok) batch_norm_bwd_f32(n, c, hw, batch_stats, beta_acc, x, dy, gamma, sm, si, dx, dgamma, dbeta);
  return nullptr;
}

napi_value js_dropout_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "dropout_fwd_f32", 7);
  const int64_t n = A.size("n"), seed = A.size("seed"), threshold = A.size("threshold");
  const float scale = A.scalar("scale");
  int64_t lx, ly, lm;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  float* mask = A.f32("mask", &lm);
  A.fits("n", n, "x", lx);
  A.fits("n", n, "y", ly);
  A.fits("n", n, "mask", lm);
  if (A.ok) dropout_fwd_f32(n, seed, threshold, scale, x, y, mask);
  return nullptr;
}

napi_value js_mul_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "mul_f32", 4);
  const int64_t n = A.size("n");
  int64_t la, lb, lo;
  const float* a = A.f32("a", &la);
  const float* b = A.f32("b", &lb);
  float* out = A.f32("out", &lo);
  A.fits("n", n, "a", la);
  A.fits("n", n, "b", lb);
  A.fits("n", n, "out", lo);
  if (A.ok) mul_f32(n, a, b, out);
  return nullptr;
}

/* The 16 sizes of a convolution, in contract order; strides, kernel sizes, dilations and groups must be ≥ 1. */
struct ConvSizes {
  int64_t n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dilh, dilw, groups, oh, ow;
};

bool at_least_one(Args& A, const char* name, int64_t v) {
  if (!A.ok || v >= 1) return A.ok;
  char msg[200];
  std::snprintf(msg, sizeof msg, "%s: expected %s to be at least 1, received %lld", A.kernel, name, (long long)v);
  A.fail_range("ERR_SHAPE", msg);
  return false;
}

ConvSizes conv_sizes(Args& A) {
  ConvSizes z;
  z.n = A.size("n"), z.c = A.size("c"), z.h = A.size("h"), z.w = A.size("w"), z.oc = A.size("oc");
  z.kh = A.size("kh"), z.kw = A.size("kw"), z.sh = A.size("sh"), z.sw = A.size("sw"), z.ph = A.size("ph");
  z.pw = A.size("pw"), z.dilh = A.size("dilh"), z.dilw = A.size("dilw"), z.groups = A.size("groups");
  z.oh = A.size("oh"), z.ow = A.size("ow");
  at_least_one(A, "kh", z.kh), at_least_one(A, "kw", z.kw), at_least_one(A, "sh", z.sh), at_least_one(A, "sw", z.sw);
  at_least_one(A, "dilh", z.dilh), at_least_one(A, "dilw", z.dilw), at_least_one(A, "groups", z.groups);
  return z;
}

/* Products of several int32-ranged sizes can exceed int64: saturate (any saturated need exceeds every buffer). */
int64_t prod(std::initializer_list<int64_t> xs) {
  __int128 p = 1;
  for (int64_t x : xs) {
    p *= x;
    if (p > (__int128)INT64_MAX) return INT64_MAX;
  }
  return (int64_t)p;
}

#define CONV_ARGS(z) z.n, z.c, z.h, z.w, z.oc, z.kh, z.kw, z.sh, z.sw, z.ph, z.pw, z.dilh, z.dilw, z.groups, z.oh, z.ow

napi_value js_conv2d_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "conv2d_fwd_f32", 21);
  const ConvSizes z = conv_sizes(A);
  int64_t lx, lw, lb, lc, ly;
  const float* x = A.f32("x", &lx);
  const float* weight = A.f32("weight", &lw);
  const float* bias = A.f32("bias", &lb);
  float* col = A.f32("col", &lc);
  float* y = A.f32("y", &ly);
  const int64_t cg = A.ok ? z.c / z.groups : 0;
  A.fits("n·c·h·w", prod({z.n, z.c, z.h, z.w}), "x", lx);
  A.fits("oc·(c/groups)·kh·kw", prod({z.oc, cg, z.kh, z.kw}), "weight", lw);
  bias = A.optional(bias, "oc", z.oc, "bias", lb);
  A.fits("c·kh·kw·oh·ow", prod({z.c, z.kh, z.kw, z.oh, z.ow}), "col", lc);
  A.fits("n·oc·oh·ow", prod({z.n, z.oc, z.oh, z.ow}), "y", ly);
  if (A.ok) conv2d_fwd_f32(CONV_ARGS(z), x, weight, bias, col, y);
  return nullptr;
}

napi_value js_conv2d_bwd_data_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "conv2d_bwd_data_f32", 20);
  const ConvSizes z = conv_sizes(A);
  int64_t ldy, lw, lc, ldx;
  const float* dy = A.f32("dy", &ldy);
  const float* weight = A.f32("weight", &lw);
  float* col = A.f32("col", &lc);
  float* dx = A.f32("dx", &ldx);
  const int64_t cg = A.ok ? z.c / z.groups : 0;
  A.fits("n·oc·oh·ow", prod({z.n, z.oc, z.oh, z.ow}), "dy", ldy);
  A.fits("oc·(c/groups)·kh·kw", prod({z.oc, cg, z.kh, z.kw}), "weight", lw);
  A.fits("c·kh·kw·oh·ow", prod({z.c, z.kh, z.kw, z.oh, z.ow}), "col", lc);
  A.fits("n·c·h·w", prod({z.n, z.c, z.h, z.w}), "dx", ldx);
  if (A.ok) conv2d_bwd_data_f32(CONV_ARGS(z), dy, weight, col, dx);
  return nullptr;
}

napi_value js_conv2d_bwd_filter_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "conv2d_bwd_filter_f32", 22);
  const ConvSizes z = conv_sizes(A);
  const float beta = A.scalar("beta");
  int64_t lx, ldy, lc, lgw, lgb;
  const float* x = A.f32("x", &lx);
  const float* dy = A.f32("dy", &ldy);
  float* col = A.f32("col", &lc);
  float* gw = A.f32("gw", &lgw);
  float* gb = A.f32("gb", &lgb);
  const int64_t cg = A.ok ? z.c / z.groups : 0;
  A.fits("n·c·h·w", prod({z.n, z.c, z.h, z.w}), "x", lx);
  A.fits("n·oc·oh·ow", prod({z.n, z.oc, z.oh, z.ow}), "dy", ldy);
  A.fits("c·kh·kw·oh·ow", prod({z.c, z.kh, z.kw, z.oh, z.ow}), "col", lc);
  A.fits("oc·(c/groups)·kh·kw", prod({z.oc, cg, z.kh, z.kw}), "gw", lgw);
  gb = A.optional(gb, "oc", z.oc, "gb", lgb);
  if (A.ok) conv2d_bwd_filter_f32(CONV_ARGS(z), beta, x, dy, col, gw, gb);
  return nullptr;
}
#undef CONV_ARGS

/* The sizes shared by the pooling kernels: planes, image, window, stride, padding, output. */
struct PoolSizes {
  int64_t nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

PoolSizes pool_sizes(Args& A) {
  PoolSizes z;
  z.nc = A.size("nc"), z.h = A.size("h"), z.w = A.size("w"), z.kh = A.size("kh"), z.kw = A.size("kw");
  z.sh = A.size("sh"), z.sw = A.size("sw"), z.ph = A.size("ph"), z.pw = A.size("pw"), z.oh = A.size("oh");
  z.ow = A.size("ow");
  at_least_one(A, "kh", z.kh), at_least_one(A, "kw", z.kw), at_least_one(A, "sh", z.sh), at_least_one(A, "sw", z.sw);
  return z;
}

#define POOL_ARGS(z) z.nc, z.h, z.w, z.kh, z.kw, z.sh, z.sw, z.ph, z.pw, z.oh, z.ow

napi_value js_max_pool2d_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "max_pool2d_fwd_f32", 14);
  const PoolSizes z = pool_sizes(A);
  int64_t lx, ly, li;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  int32_t* idx = A.i32("idx", &li);
  A.fits("nc·h·w", prod({z.nc, z.h, z.w}), "x", lx);
  A.fits("nc·oh·ow", prod({z.nc, z.oh, z.ow}), "y", ly);
  A.fits("nc·oh·ow", prod({z.nc, z.oh, z.ow}), "idx", li);
  if (A.ok) max_pool2d_fwd_f32(POOL_ARGS(z), x, y, idx);
  return nullptr;
}

napi_value js_max_pool2d_bwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "max_pool2d_bwd_f32", 8);
  const int64_t nc = A.size("nc"), h = A.size("h"), w = A.size("w"), oh = A.size("oh"), ow = A.size("ow");
  int64_t ldy, li, ldx;
  const float* dy = A.f32("dy", &ldy);
  const int32_t* idx = A.i32("idx", &li);
  float* dx = A.f32("dx", &ldx);
  const int64_t outs = prod({nc, oh, ow});
  A.fits("nc·oh·ow", outs, "dy", ldy);
  A.fits("nc·oh·ow", outs, "idx", li);
  A.fits("nc·h·w", prod({nc, h, w}), "dx", ldx);
  const int64_t hw = prod({h, w});
  for (int64_t i = 0; A.ok && i < outs; i++)
    if (idx[i] < 0 || idx[i] >= hw) {
      char msg[200];
      std::snprintf(msg, sizeof msg, "max_pool2d_bwd_f32: expected idx[%lld] in [0, %lld), received %d", (long long)i,
                    (long long)hw, idx[i]);
      A.fail_range("ERR_SHAPE", msg);
    }
  if (A.ok) max_pool2d_bwd_f32(nc, h, w, oh, ow, dy, idx, dx);
  return nullptr;
}

napi_value js_avg_pool2d_fwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "avg_pool2d_fwd_f32", 14);
  const PoolSizes z = pool_sizes(A);
  const int include_pad = A.flag("include_pad");
  int64_t lx, ly;
  const float* x = A.f32("x", &lx);
  float* y = A.f32("y", &ly);
  A.fits("nc·h·w", prod({z.nc, z.h, z.w}), "x", lx);
  A.fits("nc·oh·ow", prod({z.nc, z.oh, z.ow}), "y", ly);
  if (A.ok) avg_pool2d_fwd_f32(POOL_ARGS(z), include_pad, x, y);
  return nullptr;
}

napi_value js_avg_pool2d_bwd_f32(napi_env env, napi_callback_info info) {
  Args A(env, info, "avg_pool2d_bwd_f32", 14);
  const PoolSizes z = pool_sizes(A);
  const int include_pad = A.flag("include_pad");
  int64_t ldy, ldx;
  const float* dy = A.f32("dy", &ldy);
  float* dx = A.f32("dx", &ldx);
  A.fits("nc·oh·ow", prod({z.nc, z.oh, z.ow}), "dy", ldy);
  A.fits("nc·h·w", prod({z.nc, z.h, z.w}), "dx", ldx);
  if (A.ok) avg_pool2d_bwd_f32(POOL_ARGS(z), include_pad, dy, dx);
  return nullptr;
}
#undef POOL_ARGS

/* info(): { isa, supported, threads, mr, nr, napi } */
napi_value js_info(napi_env env, napi_callback_info) {
  const isa_table* T = isa();
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, T->name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "isa", v);
  napi_create_string_utf8(env, isa_supported(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "supported", v);
  napi_create_int32(env, pool_threads(), &v);
  napi_set_named_property(env, out, "threads", v);
  napi_create_int32(env, (int32_t)T->blk.mr, &v);
  napi_set_named_property(env, out, "mr", v);
  napi_create_int32(env, (int32_t)T->blk.nr, &v);
  napi_set_named_property(env, out, "nr", v);
  napi_create_int32(env, NAPI_VERSION, &v);
  napi_set_named_property(env, out, "napi", v);
  return out;
}

/* setThreads(n): 1..256; returns the count now in use. */
napi_value js_set_threads(napi_env env, napi_callback_info info) {
  Args A(env, info, "setThreads", 1);
  double d = 0;
  if (!A.number("n", &d)) return nullptr;
  if (!(d >= 1 && d <= 256 && d == std::floor(d))) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "setThreads: expected n to be an integer in [1, 256], received %g", d);
    A.fail_range("ERR_OPTION", msg);
    return nullptr;
  }
  napi_value out;
  napi_create_int32(env, pool_set_threads((int)d), &out);
  return out;
}

/* setIsa(name): switches to another ISA this CPU supports (tests); returns whether it did. */
napi_value js_set_isa(napi_env env, napi_callback_info info) {
  Args A(env, info, "setIsa", 1);
  char name[32] = {0};
  size_t len = 0;
  napi_value out;
  if (!A.ok) return nullptr;
  if (napi_get_value_string_utf8(env, A.argv[0], name, sizeof name, &len) != napi_ok) {
    A.expected("name", "a string", A.argv[0]);
    return nullptr;
  }
  napi_get_boolean(env, isa_select(name), &out);
  return out;
}

/* alignOffset(array): elements to skip so the view starts on a 64-byte boundary (for aligned allocation). */
napi_value js_align_offset(napi_env env, napi_callback_info info) {
  Args A(env, info, "alignOffset", 1);
  int64_t len;
  float* p = A.f32("array", &len);
  if (!A.ok) return nullptr;
  const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  napi_value out;
  napi_create_int32(env, (int32_t)(((64 - addr % 64) % 64) / 4), &out);
  return out;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_property_descriptor props[] = {
#define KERNEL(name) {#name, nullptr, js_##name, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
#include "kernels.def"
#undef KERNEL
      {"info", nullptr, js_info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, js_set_threads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, js_set_isa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"alignOffset", nullptr, js_align_offset, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace descent

static Napi::Object InitDescent(Napi::Env env, Napi::Object exports) { return descent::Init(env, exports); }

NODE_API_MODULE(descent, InitDescent)
