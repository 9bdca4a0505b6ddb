// Shared helpers of the native CPU kernels of @cfm/tensor (fused_ce.cc, fused_block.cc).
#pragma once
#include <node_api.h>
#include <cblas.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

// row-major C = alpha · op(A) · op(B) + beta · C, single-threaded BLAS (threads are ours)
inline void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  scipy_cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda,
                    b, ldb, beta, c, ldc);
}

inline bool fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "CFM_E_FUSED", msg.c_str());
  return false;
}

// a Float32Array argument; want < 0 accepts any length
inline bool f32(napi_env env, napi_value v, float** data, size_t* len, int64_t want, const char* name) {
  napi_typedarray_type type;
  void* p;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_float32_array)
    return fail(env, std::string("native kernel: argument ") + name + " is not a Float32Array");
  if (want >= 0 && (int64_t)*len != want)
    return fail(env, std::string("native kernel: argument ") + name + " has " + std::to_string(*len) + " values, expected " + std::to_string(want));
  *data = static_cast<float*>(p);
  return true;
}

inline bool i32(napi_env env, napi_value v, int32_t** data, size_t* len, const char* name) {
  napi_typedarray_type type;
  void* p;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_int32_array)
    return fail(env, std::string("native kernel: argument ") + name + " is not an Int32Array");
  *data = static_cast<int32_t*>(p);
  return true;
}

// the integers of a JS array of numbers
inline std::vector<int64_t> ints(napi_env env, napi_value arr) {
  uint32_t m = 0;
  napi_get_array_length(env, arr, &m);
  std::vector<int64_t> out(m);
  for (uint32_t i = 0; i < m; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    napi_get_value_int64(env, e, &out[i]);
  }
  return out;
}
inline double num(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return x;
}

// a float buffer kept between calls (calls come one at a time from the JS thread) and grown as needed: fresh large
// vectors would be fresh pages, whose faults cost more than the arithmetic on them. Ids: fused_embed.cc 0–1,
// fused_head.cc 2–10.
inline float* keptBuffer(int id, int64_t n) {
  static std::vector<float> bufs[16];
  if ((int64_t)bufs[id].size() < n) bufs[id].resize(n);
  return bufs[id].data();
}

// splits [0, n) into `threads` contiguous blocks; block i runs on thread i (block 0 on the caller)
template <typename F>
void parallelBlocks(int64_t n, int64_t threads, F fn) {
  const int64_t per = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < threads; i++) {
    const int64_t a = std::min(n, i * per), b = std::min(n, (i + 1) * per);
    pool.emplace_back([=, &fn] { fn(a, b, i); });
  }
  fn(0, std::min(n, per), 0);
  for (auto& t : pool) t.join();
}

// exports[name] = fn
inline void exportFn(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

// fused_ce.cc: per-row weighted softmax cross-entropy of z · wᵀ: row losses, dz, and dw (zeroed here); see Run there
void ceCore(const float* z, const float* w, const int32_t* lab, const float* wt, float* dz, float* dw, float* loss, int64_t n,
            int64_t k, int64_t v, int64_t threads, int64_t chunk);

void registerCe(napi_env env, napi_value exports);
void registerBlock(napi_env env, napi_value exports);
void registerRandom(napi_env env, napi_value exports);
void registerAdamW(napi_env env, napi_value exports);
void registerEmbed(napi_env env, napi_value exports);
void registerHead(napi_env env, napi_value exports);
