// One post-norm transformer encoder block (BERT / BERT4Rec), forward and backward, as one native call each:
//   h1 = LN1(x + drop(MHA(x))),  y = LN2(h1 + drop(W2 · gelu(W1 · h1 + b1) + b2))
// (MHA with the padding mask, and with the causal mask when Dims.causal; the backward pass needs no change for it:
// masked probabilities are 0, so are their gradients)
// the same function as TransformerBlock.apply in packages/tensor/src/layers/transformer.ts, with the same dropout
// masks (TensorFlow's StatelessRandomUniform noise, philox.h; mask = floor(u + keep) / keep). Sequences are split into one contiguous
// block per thread (they are independent); each thread keeps its own weight gradients, summed in thread order,
// so results do not depend on timing. The forward pass stores what the backward pass needs in `saved`.
#include "block.h"
#include "nn_math.h"

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
        // padding bias, plus the causal bias for keys after the query (the TF.js sum, causalBias in transformer.ts)
        for (int64_t j = 0; j < l; j++) s[j] += (1.f - tok[j]) * -1e9f + (n.causal && j > i ? -1e9f : 0.f);
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
  geluSave(u, g, rows * f);  // u now holds gelu'(u)
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
  for (int64_t i = 0; i < rows * f; i++) dg[i] *= u[i];  // u holds gelu'(u) (forward pass)
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
