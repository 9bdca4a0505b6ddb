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

void registerCe(napi_env env, napi_value exports);
void registerBlock(napi_env env, napi_value exports);
void registerRandom(napi_env env, napi_value exports);
void registerAdamW(napi_env env, napi_value exports);
