/* The N-API door. Per kernel, an unwrap generated from the kernel table (kernels.gen.inc, by gen-kernels.mjs)
 * checks the argument count and types, that every size fits the buffer it indexes (in release builds too: a few
 * comparisons per call, lengths computed in double so no product overflows, plus one pass over int32 values such as
 * labels), then calls the kernel on the typed arrays' memory (zero-copy, byteOffset honoured). Errors: TypeError
 * (code ERR_DTYPE) for wrong types and counts, RangeError (ERR_SHAPE / ERR_OPTION) for bad sizes and flags, with the
 * wasm adapter's messages (`gemm_f32: m·k = 1024 exceeds a.length 1000`). No maths here. Hot calls use the plain C
 * N-API (one napi_get_cb_info, one query per argument); node-addon-api only registers the module. */
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "clones.h"
#include "kernels.h"
#include "pool.h"

namespace descent {

namespace {

constexpr int MAX_ARGS = 36;

/* Whether any of v[0, n) is ≥ limit as unsigned (a negative value counts as huge). Compiled per ISA: the fused conv
 * + pool backward checks 600k pool indices a CNN-S step, and SSE2 has no unsigned compare. */
DESCENT_CLONES bool any_at_least(const int32_t* v, int64_t n, uint32_t limit) {
  uint32_t any = 0;
  for (int64_t i = 0; i < n; i++) any |= (uint32_t)((uint32_t)v[i] >= limit);
  return any != 0;
}
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

/* A number as JavaScript's String(d) prints it (NaN, -Infinity, 1024, 1.5, 4611686018427388000, 1e+30): the
 * shortest digits that read back as d, placed the way ECMAScript's Number::toString places them. Both doors then
 * word their messages alike. */
void js_number(double d, char* out, size_t size) {
  if (std::isnan(d)) return (void)std::snprintf(out, size, "NaN");
  if (std::isinf(d)) return (void)std::snprintf(out, size, d > 0 ? "Infinity" : "-Infinity");
  if (d == 0) return (void)std::snprintf(out, size, "0");
  char e[40];
  for (int p = 1; p <= 17; p++) {
    std::snprintf(e, sizeof e, "%.*e", p - 1, d);
    if (std::strtod(e, nullptr) == d) break;
  }
  const bool neg = e[0] == '-';
  char digits[24];
  int nd = 0;
  const char* c = e + (neg ? 1 : 0);
  for (; *c != 'e'; c++)
    if (*c != '.') digits[nd++] = *c;
  digits[nd] = 0;
  const int x = std::atoi(c + 1);  // d = 0.digits × 10^(x+1)
  std::string s = neg ? "-" : "";
  if (x >= 21 || x < -6) {
    s += digits[0];
    if (nd > 1) s += std::string(".") + (digits + 1);
    s += x > 0 ? "e+" : "e-";
    s += std::to_string(x > 0 ? x : -x);
  } else if (x >= nd - 1) {
    s += std::string(digits) + std::string(x + 1 - nd, '0');
  } else if (x >= 0) {
    s += std::string(digits, x + 1) + "." + (digits + x + 1);
  } else {
    s += "0." + std::string(-x - 1, '0') + digits;
  }
  std::snprintf(out, size, "%s", s.c_str());
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

  /* An integer in [min, 2^31 − 1]. */
  int64_t size(const char* name, int64_t min) {
    double d = 0;
    if (!number(name, &d)) return 0;
    if (!(d >= (double)min && d <= MAX_SIZE && d == std::floor(d))) {
      char got[32], msg[200];
      js_number(d, got, sizeof got);
      std::snprintf(msg, sizeof msg, "%s: expected %s to be an integer in [%lld, 2147483647], received %s", kernel, name,
                    (long long)min, got);
      fail_range("ERR_SHAPE", msg);
      return 0;
    }
    return (int64_t)d;
  }

  /* Read as double; the call converts to float where kernels.h takes float. */
  double scalar(const char* name) {
    double d = 0;
    return number(name, &d) ? d : 0.0;
  }

  int flag(const char* name) {
    double d = 0;
    if (!number(name, &d)) return 0;
    if (d != 0 && d != 1) {
      char got[32], msg[200];
      js_number(d, got, sizeof got);
      std::snprintf(msg, sizeof msg, "%s: expected %s to be 0 or 1, received %s", kernel, name, got);
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

  /* `need` elements (described by `what`, e.g. "m·k"; computed in double, so no product overflows) must fit in
   * `buf` of length `have`. */
  void fits(const char* what, double need, const char* buf, int64_t have) {
    if (!ok || need <= (double)have) return;
    char got[32], msg[240];
    js_number(need, got, sizeof got);
    std::snprintf(msg, sizeof msg, "%s: %s = %s exceeds %s.length %lld", kernel, what, got, buf, (long long)have);
    fail_range("ERR_SHAPE", msg);
  }

  /* The first `count` values (count ≤ length: fits ran first) each in [0, bound); skipped for absent arrays. */
  void values(const char* name, const int32_t* v, double count, double bound) {
    if (!ok || v == nullptr) return;
    // One branch-free pass (vectorised: max-pool indices are a value per output) finds whether any value is out of
    // range; only then the scan below finds the first. As unsigned, a negative value is ≥ 2³¹ ≥ any limit here.
    const uint32_t limit = bound >= 2147483648.0 ? 2147483648u : (uint32_t)bound;
    const int64_t n = (int64_t)count;
    if (!any_at_least(v, n, limit)) return;
    for (int64_t i = 0; i < n; i++)
      if (v[i] < 0 || (double)v[i] >= bound) {
        char lim[32], msg[200];
        js_number(bound, lim, sizeof lim);
        std::snprintf(msg, sizeof msg, "%s: expected %s[%lld] in [0, %s), received %d", kernel, name, (long long)i, lim,
                      v[i]);
        fail_range("ERR_SHAPE", msg);
        return;
      }
  }
};

#include "kernels.gen.inc"

/* info(): { isa, supported, refused, threads, mr, nr, napi } */
napi_value js_info(napi_env env, napi_callback_info) {
  const isa_table* T = isa();
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, T->name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "isa", v);
  napi_create_string_utf8(env, isa_supported(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "supported", v);
  napi_create_string_utf8(env, isa_refused(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "refused", v);
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

/* The first argument as a string of at most size − 1 bytes (longer: cut); false, with the error thrown, when it is
 * missing or not a string. */
bool string_arg(napi_env env, Args& A, const char* what, char* buf, size_t size) {
  size_t len = 0;
  if (!A.ok) return false;
  if (napi_get_value_string_utf8(env, A.argv[0], buf, size, &len) != napi_ok) {
    A.expected(what, "a string", A.argv[0]);
    return false;
  }
  return true;
}

/* setIsa(name): switches to another ISA this CPU supports (tests); returns whether it did. */
napi_value js_set_isa(napi_env env, napi_callback_info info) {
  Args A(env, info, "setIsa", 1);
  char name[32] = {0};
  napi_value out;
  if (!string_arg(env, A, "name", name, sizeof name)) return nullptr;
  napi_get_boolean(env, isa_select(name), &out);
  return out;
}

/* setWinograd(mode): 'auto' (when it pays), 'always' (wherever it applies) or 'never', for tests and benches;
 * returns whether the mode was one of these. */
napi_value js_set_winograd(napi_env env, napi_callback_info info) {
  Args A(env, info, "setWinograd", 1);
  char mode[16] = {0};
  napi_value out;
  if (!string_arg(env, A, "mode", mode, sizeof mode)) return nullptr;
  const int m = std::strcmp(mode, "auto") == 0 ? 0 : std::strcmp(mode, "always") == 0 ? 1 : std::strcmp(mode, "never") == 0 ? 2 : -1;
  if (m >= 0) conv_set_winograd(m);
  napi_get_boolean(env, m >= 0, &out);
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
  if (isa() == nullptr) {
    char msg[400];
    std::snprintf(msg, sizeof msg, "descent.node has no complete kernel table for this CPU (%s)", isa_refused());
    napi_throw_error(env, "ERR_BACKEND", msg);
    return exports;
  }
  napi_define_properties(env, exports, sizeof KERNEL_EXPORTS / sizeof KERNEL_EXPORTS[0], KERNEL_EXPORTS);
  napi_property_descriptor props[] = {
      {"info", nullptr, js_info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, js_set_threads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, js_set_isa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setWinograd", nullptr, js_set_winograd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"alignOffset", nullptr, js_align_offset, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace descent

static Napi::Object InitDescent(Napi::Env env, Napi::Object exports) { return descent::Init(env, exports); }

NODE_API_MODULE(descent, InitDescent)
