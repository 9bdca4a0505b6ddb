// Element-wise and row helpers shared by the native kernels (fused_block.cc, fused_embed.cc, fused_head.cc).
#pragma once
#include "philox.h"
#include <cmath>
#include <cstdint>

// a[i] *= the dropout mask floor(u + keep) / keep of elements [start, start + n) of a noise stream
// (ops.dropout's formula); tmp holds n floats
inline void applyNoise(float* a, const float* u, int64_t n, float keep) {
  const float inv = 1.f / keep;
  for (int64_t i = 0; i < n; i++) a[i] *= floorf(u[i] + keep) * inv;
}
inline void dropMask(float* a, bool on, const Philox& p, int64_t start, int64_t n, float keep, float* tmp) {
  if (!on) return;
  p.uniform(start, n, tmp);
  applyNoise(a, tmp, n, keep);
}

// layer norm of rows [r0, r1) of a [., d] matrix: out = xhat·gamma + beta (eps 1e-6, as ops.layerNorm)
inline void layerNorm(const float* in, int64_t rows, int64_t d, const float* gamma, const float* beta, float* xh, float* rs, float* out) {
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
inline void layerNormBack(const float* dy, const float* xh, const float* rs, const float* gamma, int64_t rows, int64_t d, float* dx,
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

inline void bias(float* m, int64_t rows, int64_t cols, int64_t ld, const float* b) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) m[r * ld + j] += b[j];
}

inline void colSum(const float* m, int64_t rows, int64_t cols, int64_t ld, float* out) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) out[j] += m[r * ld + j];
}


// g = gelu(u) (erf form); u is overwritten by gelu'(u), all a backward pass needs
inline void geluSave(float* u, float* g, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float z = u[i], cdf = 0.5f * (1.f + erfApprox(z * 0.70710678f));
    g[i] = z * cdf;
    u[i] = cdf + z * 0.39894228f * expf(-0.5f * z * z);
  }
}
