// Fused linear + softmax cross-entropy for CPU training (N-API addon, BLAS from the scipy-openblas32 wheel).
// loss = Σ_i weight_i · (logsumexp(z_i · Wᵀ) - z_i · w_label(i)), returned with dz = ∂loss/∂z and dW = ∂loss/∂W.
// Rows are processed in chunks whose [chunk, V] logits stay in cache: the [N, V] logits, softmax and gradient
// never exist in memory. Each thread takes a fixed contiguous half of the rows and accumulates its own dW,
// summed in thread order at the end, so results do not depend on timing. Built by infra/fused-ce/provision.sh.
#include "fused_common.h"
#include <cstring>

namespace {

struct Job {
  const float* z;       // [n, k]
  const float* w;       // [v, k]
  const int32_t* label; // [n]
  const float* weight;  // [n]
  float* dz;            // [n, k] out
  float* loss;          // [n] out: per-row loss (unweighted)
  int64_t k, v, chunk;
};

// exp(x - max) of one row of logits, in place; returns the row sum of the exponentials, sets the row's loss
float rowExp(float* x, int64_t v, int32_t label, float* loss) {
  const float xl = x[label];
  float m = x[0];
  for (int64_t j = 1; j < v; j++) m = x[j] > m ? x[j] : m;
  float s = 0.f;
  for (int64_t j = 0; j < v; j++) {
    x[j] = expf(x[j] - m);
    s += x[j];
  }
  *loss = logf(s) + m - xl;
  return s;
}

// rows [r0, r1): dz rows written, dW accumulated into dw (zeroed by the caller).
// With E the chunk's exponentials and r_i = weight_i / Σ_j E_ij, the gradient of the logits is
// G = diag(r) E - diag(weight) onehot, so dz = diag(r) (E W) - weight_i W[label_i] and
// dW += Eᵀ (diag(r) z) - Σ_i weight_i z_i at row label_i: E itself is never rescaled (one pass fewer).
// scratch: chunk · (v + k + 1) floats, kept between calls by ceCore
void runRows(const Job& a, int64_t r0, int64_t r1, float* dw, float* scratch) {
  float *buf = scratch, *zs = buf + a.chunk * a.v, *r = zs + a.chunk * a.k;
  for (int64_t c0 = r0; c0 < r1; c0 += a.chunk) {
    const int64_t cn = std::min(a.chunk, r1 - c0);
    const float* zc = a.z + c0 * a.k;
    float* dzc = a.dz + c0 * a.k;
    scipy_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cn, a.v, a.k, 1.f, zc, a.k, a.w, a.k, 0.f, buf, a.v);
    for (int64_t i = 0; i < cn; i++) {
      r[i] = a.weight[c0 + i] / rowExp(buf + i * a.v, a.v, a.label[c0 + i], a.loss + c0 + i);
      for (int64_t j = 0; j < a.k; j++) zs[i * a.k + j] = zc[i * a.k + j] * r[i];
    }
    scipy_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cn, a.k, a.v, 1.f, buf, a.v, a.w, a.k, 0.f, dzc, a.k);
    scipy_cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, a.v, a.k, cn, 1.f, buf, a.v, zs, a.k, 1.f, dw, a.k);
    for (int64_t i = 0; i < cn; i++) {
      const float wt = a.weight[c0 + i];
      const float* wl = a.w + (int64_t)a.label[c0 + i] * a.k;
      float* dwl = dw + (int64_t)a.label[c0 + i] * a.k;
      for (int64_t j = 0; j < a.k; j++) {
        dzc[i * a.k + j] = dzc[i * a.k + j] * r[i] - wt * wl[j];
        dwl[j] -= wt * zc[i * a.k + j];
      }
    }
  }
}


}  // namespace

void ceCore(const float* z, const float* w, const int32_t* lab, const float* wt, float* dz, float* dw, float* loss, int64_t n,
            int64_t k, int64_t v, int64_t threads, int64_t chunk) {
  Job a{};
  a.k = k, a.v = v, a.chunk = chunk;
  a.z = z, a.w = w, a.label = lab, a.weight = wt, a.dz = dz, a.loss = loss;
  const int64_t t = std::min<int64_t>(threads, std::max<int64_t>(1, n / chunk));
  // per-thread scratch (the [chunk, V] logits block, ...) and dW accumulators, kept between calls: fresh 12 MB
  // blocks every step cost page faults and zeroing. Sized here, before the workers start.
  static std::vector<std::vector<float>> keep;
  if ((int64_t)keep.size() < 2 * t) keep.resize(2 * t);
  for (int64_t i = 0; i < t; i++) {
    if ((int64_t)keep[2 * i].size() < chunk * (v + k + 1)) keep[2 * i].resize(chunk * (v + k + 1));
    if (i > 0 && (int64_t)keep[2 * i + 1].size() < v * k) keep[2 * i + 1].resize(v * k);
  }
  std::memset(dw, 0, sizeof(float) * v * k);
  std::vector<std::thread> pool;
  const int64_t per = (n + t - 1) / t;
  for (int64_t i = 1; i < t; i++) {
    float* acc = keep[2 * i + 1].data();
    std::memset(acc, 0, sizeof(float) * v * k);
    pool.emplace_back(runRows, std::cref(a), std::min(n, i * per), std::min(n, (i + 1) * per), acc, keep[2 * i].data());
  }
  runRows(a, 0, std::min(n, per), dw, keep[0].data());
  for (auto& th : pool) th.join();
  for (int64_t i = 1; i < t; i++) {
    const float* acc = keep[2 * i + 1].data();
    for (int64_t j = 0; j < v * k; j++) dw[j] += acc[j];
  }
}

namespace {

// run(z, w, labels, weights, dz, dw, loss, n, k, v, threads, chunk)
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 12) return fail(env, "fused_ce.run takes 12 arguments"), nullptr;
  int64_t dims[5];
  for (int i = 0; i < 5; i++) napi_get_value_int64(env, argv[7 + i], &dims[i]);
  const int64_t n = dims[0], k = dims[1], v = dims[2];
  const int64_t threads = dims[3] < 1 ? 1 : dims[3], chunk = dims[4] < 1 ? 64 : dims[4];
  float *z, *w, *wt, *dz, *dw, *loss;
  int32_t* lab;
  size_t lz, lw, ll, lwt, ldz, ldw, lloss;
  if (!f32(env, argv[0], &z, &lz, -1, "z") || !f32(env, argv[1], &w, &lw, -1, "w") || !i32(env, argv[2], &lab, &ll, "labels") ||
      !f32(env, argv[3], &wt, &lwt, -1, "weights") || !f32(env, argv[4], &dz, &ldz, -1, "dz") || !f32(env, argv[5], &dw, &ldw, -1, "dw") ||
      !f32(env, argv[6], &loss, &lloss, -1, "loss"))
    return nullptr;
  if ((int64_t)lz != n * k || (int64_t)lw != v * k || (int64_t)ll != n || (int64_t)lwt != n || (int64_t)ldz != n * k ||
      (int64_t)ldw != v * k || (int64_t)lloss != n)
    return fail(env, "fused_ce.run: array lengths do not match n, k, v"), nullptr;
  for (int64_t i = 0; i < n; i++)
    if (lab[i] < 0 || lab[i] >= v) return fail(env, "fused_ce.run: a label is outside [0, v)"), nullptr;
  ceCore(z, w, lab, wt, dz, dw, loss, n, k, v, threads, chunk);
  return nullptr;
}

}  // namespace

void registerCe(napi_env env, napi_value exports) {
  exportFn(env, exports, "run", Run);
}
