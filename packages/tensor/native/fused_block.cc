// One post-norm transformer encoder block (BERT / BERT4Rec), forward and backward, as one native call each:
//   h1 = LN1(x + drop(MHA(x))),  y = LN2(h1 + drop(W2 · gelu(W1 · h1 + b1) + b2))
// the same function as TransformerBlock.apply in packages/tensor/src/layers/transformer.ts, with the same dropout
// masks (uniform noise made by TF.js, mask = floor(u + keep) / keep). Sequences are split into one contiguous
// block per thread (they are independent); each thread keeps its own weight gradients, summed in thread order,
// so results do not depend on timing. The forward pass stores what the backward pass needs in `saved`.
#include "fused_common.h"
#include "philox.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

// per-thread scratch buffers kept between calls (calls come one at a time from the JS thread): fresh large
// vectors would be fresh pages, and their page faults cost more than the arithmetic on them
// vectors would be fresh pages, and their page faults cost more than the arithmetic on them. Sized by the
// calling thread (reserve) before the worker threads start; workers only read the pointers (scratch).
std::vector<std::vector<float>> bufs;
enum Slot { S_A, S_PD, S_DR2, S_DG, S_DH1, S_DF, S_DA, S_DCTX, S_DQKV, S_DPR, S_ACC, S_NOISE, S_DW, S_WQKV, NSLOT };
void reserve(int64_t threads, const int64_t* sizes) {
  if ((int64_t)bufs.size() < threads * NSLOT) bufs.resize(threads * NSLOT);
  for (int64_t t = 0; t < threads; t++)
    for (int s = 0; s < NSLOT; s++)
      if ((int64_t)bufs[t * NSLOT + s].size() < sizes[s]) bufs[t * NSLOT + s].resize(sizes[s]);
}
inline float* scratch(int64_t thread, Slot s) { return bufs[thread * NSLOT + s].data(); }

// CFM_KERNEL_TIMING=1: thread 0 prints the milliseconds of each phase to stderr
struct Phases {
  bool on = std::getenv("CFM_KERNEL_TIMING") != nullptr;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  std::string line;
  void mark(const char* name) {
    if (!on) return;
    const auto now = std::chrono::steady_clock::now();
    line += std::string(name) + " " + std::to_string(std::chrono::duration<double, std::milli>(now - t).count()).substr(0, 5) + " ";
    t = now;
  }
  void print(const char* what) {
    if (on) std::fprintf(stderr, "%s: %s\n", what, line.c_str());
  }
};

struct Dims {
  int64_t b, l, d, h, f;
  int64_t dk() const { return d / h; }
};

// parameter order, shared with fused-block.ts
enum P { WQ, BQ, WK, BK, WV, BV, WO, BO, G1, B1N, W1, B1, W2, B2, G2, B2N, NPARAM };

struct Block {
  Dims n;
  const float* x;      // [T, D]
  const float* tok;    // [B, L], 1 = token, 0 = padding
  const float* p[NPARAM];
  // dropout noise streams for [B, H, L, L], [T, D], [T, D] (TensorFlow's StatelessRandomUniform) and whether used
  float* wqkv = nullptr;  // [D, 3D] = Wq | Wk | Wv, packed per call
  float* bqkv = nullptr;  // [3D]
  Philox pa, p1, p2;
  bool da = false, d1 = false, d2 = false;
  float ka, k1;        // keep probabilities (attention, hidden)
  float* saved;        // layout below
  // saved layout (floats): qkv [T,3D] | P [B,H,L,L] | ctx [T,D] | h1 [T,D] | xh1 [T,D] | rs1 [T] | u [T,F] | g [T,F] | xh2 [T,D] | rs2 [T]
  float *qkv, *prob, *ctx, *h1, *xh1, *rs1, *u, *g, *xh2, *rs2;
  void layout() {
    const int64_t t = n.b * n.l;
    float* s = saved;
    qkv = s, s += t * 3 * n.d;
    prob = s, s += n.b * n.h * n.l * n.l;
    ctx = s, s += t * n.d;
    h1 = s, s += t * n.d;
    xh1 = s, s += t * n.d;
    rs1 = s, s += t;
    u = s, s += t * n.f;
    g = s, s += t * n.f;
    xh2 = s, s += t * n.d;
    rs2 = s, s += t;
  }
};

// a[i] *= the dropout mask floor(u + keep) / keep of elements [start, start + n) of a noise stream
// (ops.dropout's formula); tmp holds n floats
void applyNoise(float* a, const float* u, int64_t n, float keep) {
  const float inv = 1.f / keep;
  for (int64_t i = 0; i < n; i++) a[i] *= floorf(u[i] + keep) * inv;
}
void dropMask(float* a, bool on, const Philox& p, int64_t start, int64_t n, float keep, float* tmp) {
  if (!on) return;
  p.uniform(start, n, tmp);
  applyNoise(a, tmp, n, keep);
}

// layer norm of rows [r0, r1) of a [., d] matrix: out = xhat·gamma + beta (eps 1e-6, as ops.layerNorm)
void layerNorm(const float* in, int64_t rows, int64_t d, const float* gamma, const float* beta, float* xh, float* rs, float* out) {
  for (int64_t r = 0; r < rows; r++) {
    const float* a = in + r * d;
    float mean = 0.f;
    for (int64_t j = 0; j < d; j++) mean += a[j];
    mean /= d;
    float var = 0.f;
    for (int64_t j = 0; j < d; j++) var += (a[j] - mean) * (a[j] - mean);
    const float rstd = 1.f / sqrtf(var / d + 1e-6f);
    rs[r] = rstd;
    for (int64_t j = 0; j < d; j++) {
      const float v = (a[j] - mean) * rstd;
      xh[r * d + j] = v;
      out[r * d + j] = v * gamma[j] + beta[j];
    }
  }
}

// backward of layerNorm for rows; dy [rows, d] → dx (may alias dy); accumulates dgamma, dbeta
void layerNormBack(const float* dy, const float* xh, const float* rs, const float* gamma, int64_t rows, int64_t d, float* dx,
                   float* dgamma, float* dbeta) {
  for (int64_t r = 0; r < rows; r++) {
    const float* a = dy + r * d;
    const float* xr = xh + r * d;
    float mg = 0.f, mgx = 0.f;
    for (int64_t j = 0; j < d; j++) {
      mg += a[j] * gamma[j];
      mgx += a[j] * gamma[j] * xr[j];
    }
    for (int64_t j = 0; j < d; j++) {
      dgamma[j] += a[j] * xr[j];
      dbeta[j] += a[j];
    }
    mg /= d, mgx /= d;
    for (int64_t j = 0; j < d; j++) dx[r * d + j] = rs[r] * (a[j] * gamma[j] - mg - xr[j] * mgx);
  }
}

// erf through a vectorisable expf (Numerical Recipes' erfc, fractional error < 1.2e-7)
inline float erfApprox(float x) {
  const float z = fabsf(x);
  const float t = 1.f / (1.f + 0.5f * z);
  const float poly = -z * z - 1.26551223f +
      t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f + t * (0.27886807f +
      t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  return copysignf(1.f - t * expf(poly), x);
}

void bias(float* m, int64_t rows, int64_t cols, int64_t ld, const float* b) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) m[r * ld + j] += b[j];
}

void colSum(const float* m, int64_t rows, int64_t cols, int64_t ld, float* out) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) out[j] += m[r * ld + j];
}

void forwardRange(const Block& k, int64_t b0, int64_t b1, float* y, int64_t th) {
  const Dims& n = k.n;
  const int64_t d = n.d, l = n.l, dk = n.dk(), f = n.f, r0 = b0 * l, rows = (b1 - b0) * l, d3 = 3 * d;
  const float scale = 1.f / sqrtf((float)dk);
  const float* x = k.x + r0 * d;
  Phases ph;
  ph.on = ph.on && th == 0;
  float* qkv = k.qkv + r0 * d3;
  sgemm(false, false, rows, d3, d, 1.f, x, d, k.wqkv, d3, 0.f, qkv, d3);
  bias(qkv, rows, d3, d3, k.bqkv);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < d; j++) qkv[r * d3 + j] *= scale;
  ph.mark("qkv");
  float* pd = scratch(th, S_PD);
  float* noise = scratch(th, S_NOISE);
  for (int64_t bi = b0; bi < b1; bi++) {
    const float* tok = k.tok + bi * l;
    for (int64_t hh = 0; hh < n.h; hh++) {
      const float* q = k.qkv + bi * l * d3 + hh * dk;
      float* pr = k.prob + (bi * n.h + hh) * l * l;
      sgemm(false, true, l, l, dk, 1.f, q, d3, q + d, d3, 0.f, pr, l);
      for (int64_t i = 0; i < l; i++) {
        float* s = pr + i * l;
        for (int64_t j = 0; j < l; j++) s[j] += (1.f - tok[j]) * -1e9f;
        float m = s[0];
        for (int64_t j = 1; j < l; j++) m = s[j] > m ? s[j] : m;
        float sum = 0.f;
        for (int64_t j = 0; j < l; j++) {
          s[j] = expf(s[j] - m);
          sum += s[j];
        }
        const float inv = 1.f / sum;
        for (int64_t j = 0; j < l; j++) s[j] *= inv;
      }
      std::copy(pr, pr + l * l, pd);
      dropMask(pd, k.da, k.pa, (bi * n.h + hh) * l * l, l * l, k.ka, noise);
      sgemm(false, false, l, dk, l, 1.f, pd, l, q + 2 * d, d3, 0.f, k.ctx + bi * l * d + hh * dk, d);
    }
  }
  ph.mark("attention");
  // attention output, dropout, residual, LN1
  float* a = scratch(th, S_A);
  sgemm(false, false, rows, d, d, 1.f, k.ctx + r0 * d, d, k.p[WO], d, 0.f, a, d);
  bias(a, rows, d, d, k.p[BO]);
  dropMask(a, k.d1, k.p1, r0 * d, rows * d, k.k1, noise);
  for (int64_t i = 0; i < rows * d; i++) a[i] += x[i];
  layerNorm(a, rows, d, k.p[G1], k.p[B1N], k.xh1 + r0 * d, k.rs1 + r0, k.h1 + r0 * d);
  ph.mark("out+ln1");
  // feed-forward
  float* u = k.u + r0 * f;
  float* g = k.g + r0 * f;
  sgemm(false, false, rows, f, d, 1.f, k.h1 + r0 * d, d, k.p[W1], f, 0.f, u, f);
  bias(u, rows, f, f, k.p[B1]);
  ph.mark("ff1");
  for (int64_t i = 0; i < rows * f; i++) g[i] = 0.5f * u[i] * (1.f + erfApprox(u[i] * 0.70710678f));
  ph.mark("gelu");
  sgemm(false, false, rows, d, f, 1.f, g, f, k.p[W2], d, 0.f, a, d);
  bias(a, rows, d, d, k.p[B2]);
  dropMask(a, k.d2, k.p2, r0 * d, rows * d, k.k1, noise);
  for (int64_t i = 0; i < rows * d; i++) a[i] += k.h1[r0 * d + i];
  layerNorm(a, rows, d, k.p[G2], k.p[B2N], k.xh2 + r0 * d, k.rs2 + r0, y + r0 * d);
  ph.mark("ff2+ln2");
  ph.print("block forward");
}

// gradient sizes per parameter
std::vector<int64_t> paramSizes(const Dims& n) {
  const int64_t d = n.d, f = n.f;
  return {d * d, d, d * d, d, d * d, d, d * d, d, d, d, d * f, f, f * d, d, d, d};
}

void backwardRange(const Block& k, int64_t b0, int64_t b1, const float* dyAll, float* dxAll, std::vector<float*>& dp, int64_t th) {
  const Dims& n = k.n;
  const int64_t d = n.d, l = n.l, dk = n.dk(), f = n.f, r0 = b0 * l, rows = (b1 - b0) * l, d3 = 3 * d;
  const float scale = 1.f / sqrtf((float)dk);
  const float* x = k.x + r0 * d;
  float* dx = dxAll + r0 * d;
  float *dr2 = scratch(th, S_DR2), *dg = scratch(th, S_DG), *dh1 = scratch(th, S_DH1), *noise = scratch(th, S_NOISE);
  Phases ph;
  ph.on = ph.on && th == 0;
  // LN2
  layerNormBack(dyAll + r0 * d, k.xh2 + r0 * d, k.rs2 + r0, k.p[G2], rows, d, dr2, dp[G2], dp[B2N]);
  float* df = scratch(th, S_DF);
  std::copy(dr2, dr2 + rows * d, df);
  dropMask(df, k.d2, k.p2, r0 * d, rows * d, k.k1, noise);
  const float* g = k.g + r0 * f;
  const float* u = k.u + r0 * f;
  sgemm(true, false, f, d, rows, 1.f, g, f, df, d, 1.f, dp[W2], d);
  colSum(df, rows, d, d, dp[B2]);
  sgemm(false, true, rows, f, d, 1.f, df, d, k.p[W2], d, 0.f, dg, f);
  for (int64_t i = 0; i < rows * f; i++) {
    const float z = u[i];
    const float cdf = 0.5f * (1.f + erfApprox(z * 0.70710678f));
    dg[i] *= cdf + z * 0.39894228f * expf(-0.5f * z * z);
  }
  ph.mark("ln2+ff2+gelu");
  const float* h1 = k.h1 + r0 * d;
  sgemm(true, false, d, f, rows, 1.f, h1, d, dg, f, 1.f, dp[W1], f);
  colSum(dg, rows, f, f, dp[B1]);
  std::copy(dr2, dr2 + rows * d, dh1);
  sgemm(false, true, rows, d, f, 1.f, dg, f, k.p[W1], f, 1.f, dh1, d);
  // LN1 → dx (residual) and da
  layerNormBack(dh1, k.xh1 + r0 * d, k.rs1 + r0, k.p[G1], rows, d, dx, dp[G1], dp[B1N]);
  float *da = scratch(th, S_DA), *dctx = scratch(th, S_DCTX);
  std::copy(dx, dx + rows * d, da);
  dropMask(da, k.d1, k.p1, r0 * d, rows * d, k.k1, noise);
  sgemm(true, false, d, d, rows, 1.f, k.ctx + r0 * d, d, da, d, 1.f, dp[WO], d);
  colSum(da, rows, d, d, dp[BO]);
  sgemm(false, true, rows, d, d, 1.f, da, d, k.p[WO], d, 0.f, dctx, d);
  ph.mark("ff1+ln1+out");
  // attention
  float *dqkv = scratch(th, S_DQKV), *pd = scratch(th, S_PD), *dpr = scratch(th, S_DPR);
  for (int64_t bi = b0; bi < b1; bi++) {
    for (int64_t hh = 0; hh < n.h; hh++) {
      const float* q = k.qkv + bi * l * d3 + hh * dk;
      const float* pr = k.prob + (bi * n.h + hh) * l * l;
      const float* dc = dctx + (bi - b0) * l * d + hh * dk;
      float* dq = dqkv + (bi - b0) * l * d3 + hh * dk;
      const int64_t base = (bi * n.h + hh) * l * l;
      std::copy(pr, pr + l * l, pd);
      if (k.da) k.pa.uniform(base, l * l, noise), applyNoise(pd, noise, l * l, k.ka);
      sgemm(true, false, l, dk, l, 1.f, pd, l, dc, d, 0.f, dq + 2 * d, d3);            // dv = Pdᵀ dctx
      sgemm(false, true, l, l, dk, 1.f, dc, d, q + 2 * d, d3, 0.f, dpr, l);           // dPd = dctx vᵀ
      if (k.da) applyNoise(dpr, noise, l * l, k.ka);
      for (int64_t i = 0; i < l; i++) {
        float dot = 0.f;
        for (int64_t j = 0; j < l; j++) dot += dpr[i * l + j] * pr[i * l + j];
        for (int64_t j = 0; j < l; j++) dpr[i * l + j] = pr[i * l + j] * (dpr[i * l + j] - dot);  // dS
      }
      sgemm(false, false, l, dk, l, scale, dpr, l, q + d, d3, 0.f, dq, d3);            // dq (unscaled q)
      sgemm(true, false, l, dk, l, 1.f, dpr, l, q, d3, 0.f, dq + d, d3);               // dk = dSᵀ q·scale
    }
  }
  ph.mark("attention");
  float* dw = scratch(th, S_DW);  // xᵀ dqkv [D, 3D], split into the three weight gradients
  sgemm(true, false, d, d3, rows, 1.f, x, d, dqkv, d3, 0.f, dw, d3);
  for (int part = 0; part < 3; part++) {
    for (int64_t i = 0; i < d; i++)
      for (int64_t j = 0; j < d; j++) dp[WQ + 2 * part][i * d + j] += dw[i * d3 + part * d + j];
    colSum(dqkv + part * d, rows, d, d3, dp[BQ + 2 * part]);
  }
  sgemm(false, true, rows, d, d3, 1.f, dqkv, d3, k.wqkv, d3, 1.f, dx, d);
  ph.mark("qkv");
  ph.print("block backward");
}

bool readBlock(napi_env env, napi_value* argv, Block& k, Dims& n, int64_t& threads) {
  // argv: x, tok, params[16], seeds of the attention / output / feed-forward dropout ([] or [s0, s1]), dims [b, l, d, h, f], keeps [ka, k1], saved, threads
  int64_t dims[5];
  napi_value dv;
  for (uint32_t i = 0; i < 5; i++) {
    napi_get_element(env, argv[6], i, &dv);
    napi_get_value_int64(env, dv, &dims[i]);
  }
  n = {dims[0], dims[1], dims[2], dims[3], dims[4]};
  if (n.h < 1 || n.d % n.h) return fail(env, "fused_block: d must be divisible by h");
  const int64_t t = n.b * n.l;
  k.n = n;
  size_t len;
  float* p;
  if (!f32(env, argv[0], &p, &len, t * n.d, "x")) return false;
  k.x = p;
  if (!f32(env, argv[1], &p, &len, t, "tokens")) return false;
  k.tok = p;
  const std::vector<int64_t> sizes = paramSizes(n);
  for (uint32_t i = 0; i < NPARAM; i++) {
    napi_value e;
    napi_get_element(env, argv[2], i, &e);
    if (!f32(env, e, &p, &len, sizes[i], "param")) return false;
    k.p[i] = p;
  }
  Philox* gen[3] = {&k.pa, &k.p1, &k.p2};
  bool* on[3] = {&k.da, &k.d1, &k.d2};
  for (int i = 0; i < 3; i++) {  // [] (no dropout) or [seed0, seed1]
    uint32_t m = 0;
    napi_get_array_length(env, argv[3 + i], &m);
    if (m != 0 && m != 2) return fail(env, "fused_block: a dropout seed is [] or [seed0, seed1]");
    *on[i] = m == 2;
    if (m == 2) {
      int64_t sd[2];
      for (uint32_t j = 0; j < 2; j++) {
        napi_get_element(env, argv[3 + i], j, &dv);
        napi_get_value_int64(env, dv, &sd[j]);
      }
      *gen[i] = Philox(sd[0], sd[1]);
    }
  }
  double keeps[2];
  for (uint32_t i = 0; i < 2; i++) {
    napi_get_element(env, argv[7], i, &dv);
    napi_get_value_double(env, dv, &keeps[i]);
  }
  k.ka = (float)keeps[0], k.k1 = (float)keeps[1];
  const int64_t savedLen = t * 3 * n.d + n.b * n.h * n.l * n.l + 4 * t * n.d + 2 * t + 2 * t * n.f;
  if (!f32(env, argv[8], &p, &len, savedLen, "saved")) return false;
  k.saved = p;
  k.layout();
  napi_get_value_int64(env, argv[9], &threads);
  threads = std::max<int64_t>(1, std::min<int64_t>(threads, n.b));
  return true;
}

void reserveFor(const Dims& n, int64_t threads) {
  const int64_t rows = (n.b + threads - 1) / threads * n.l, d = n.d, ll = n.l * n.l;
  int64_t total = 0;
  for (auto s : paramSizes(n)) total += s;
  const int64_t sizes[NSLOT] = {rows * d, ll, rows * d, rows * n.f, rows * d, rows * d, rows * d, rows * d, rows * 3 * d, ll, total, std::max(rows * d, ll), 3 * d * d, 3 * d * d + 3 * d};
  reserve(threads, sizes);
}

// Wq | Wk | Wv side by side ([D, 3D]) and their biases, so q, k and v come out of one wider matmul
void packQkv(Block& k) {
  const int64_t d = k.n.d;
  k.wqkv = scratch(0, S_WQKV);
  k.bqkv = k.wqkv + 3 * d * d;
  for (int part = 0; part < 3; part++) {
    for (int64_t i = 0; i < d; i++)
      for (int64_t j = 0; j < d; j++) k.wqkv[i * 3 * d + part * d + j] = k.p[WQ + 2 * part][i * d + j];
    for (int64_t j = 0; j < d; j++) k.bqkv[part * d + j] = k.p[BQ + 2 * part][j];
  }
}

// forward(x, tok, params, ua, u1, u2, dims, keeps, saved, threads, y)
napi_value Forward(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 11) return fail(env, "fused_block.forward takes 11 arguments"), nullptr;
  Block k{};
  Dims n{};
  int64_t threads;
  if (!readBlock(env, argv, k, n, threads)) return nullptr;
  float* y;
  size_t len;
  if (!f32(env, argv[10], &y, &len, n.b * n.l * n.d, "y")) return nullptr;
  reserveFor(n, threads);
  packQkv(k);
  parallelBlocks(n.b, threads, [&](int64_t b0, int64_t b1, int64_t th) { forwardRange(k, b0, b1, y, th); });
  return nullptr;
}

// backward(x, tok, params, ua, u1, u2, dims, keeps, saved, threads, dy, dx, dparams[16])
napi_value Backward(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13) return fail(env, "fused_block.backward takes 13 arguments"), nullptr;
  Block k{};
  Dims n{};
  int64_t threads;
  if (!readBlock(env, argv, k, n, threads)) return nullptr;
  const int64_t t = n.b * n.l;
  float *dy, *dx;
  size_t len;
  if (!f32(env, argv[10], &dy, &len, t * n.d, "dy") || !f32(env, argv[11], &dx, &len, t * n.d, "dx")) return nullptr;
  const std::vector<int64_t> sizes = paramSizes(n);
  std::vector<float*> out(NPARAM);
  for (uint32_t i = 0; i < NPARAM; i++) {
    napi_value e;
    napi_get_element(env, argv[12], i, &e);
    if (!f32(env, e, &out[i], &len, sizes[i], "dparam")) return nullptr;
    std::fill(out[i], out[i] + sizes[i], 0.f);
  }
  // thread 0 accumulates into the outputs, the others into their own buffers, summed in order afterwards
  reserveFor(n, threads);
  packQkv(k);
  std::vector<std::vector<float*>> ptrs(threads, out);
  int64_t total = 0;
  for (auto s : sizes) total += s;
  for (int64_t th = 1; th < threads; th++) {
    float* q = scratch(th, S_ACC);
    std::fill(q, q + total, 0.f);
    for (uint32_t i = 0; i < NPARAM; i++) ptrs[th][i] = q, q += sizes[i];
  }
  parallelBlocks(n.b, threads, [&](int64_t b0, int64_t b1, int64_t th) { backwardRange(k, b0, b1, dy, dx, ptrs[th], th); });
  for (int64_t th = 1; th < threads; th++)
    for (uint32_t i = 0; i < NPARAM; i++)
      for (int64_t j = 0; j < sizes[i]; j++) out[i][j] += ptrs[th][i][j];
  return nullptr;
}

}  // namespace

void registerBlock(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "blockForward", NAPI_AUTO_LENGTH, Forward, nullptr, &fn);
  napi_set_named_property(env, exports, "blockForward", fn);
  napi_create_function(env, "blockBackward", NAPI_AUTO_LENGTH, Backward, nullptr, &fn);
  napi_set_named_property(env, exports, "blockBackward", fn);
}
