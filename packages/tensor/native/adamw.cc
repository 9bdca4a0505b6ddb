// adamw(w, g, m, v, [clip, b1, b2, lrT, eps, decay]): one AdamW step in place on host arrays (optim.ts applyHost),
// the same arithmetic as AdamW.apply's TF ops in float32
#include "fused_common.h"

namespace {
napi_value AdamW(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return fail(env, "adamw takes (w, g, m, v, hyper)"), nullptr;
  float *w, *g, *m, *v;
  size_t n, len;
  if (!f32(env, argv[0], &w, &n, -1, "w") || !f32(env, argv[1], &g, &len, n, "g") || !f32(env, argv[2], &m, &len, n, "m") ||
      !f32(env, argv[3], &v, &len, n, "v"))
    return nullptr;
  double h[6];
  for (uint32_t i = 0; i < 6; i++) {
    napi_value e;
    napi_get_element(env, argv[4], i, &e);
    napi_get_value_double(env, e, &h[i]);
  }
  const float clip = (float)h[0], b1 = (float)h[1], b2 = (float)h[2], lrT = (float)h[3], eps = (float)h[4], decay = (float)h[5];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i] * clip;
    m[i] = m[i] * b1 + gi * (1.f - b1);
    v[i] = v[i] * b2 + gi * gi * (1.f - b2);
    w[i] -= m[i] * lrT / (sqrtf(v[i]) + eps) + w[i] * decay;
  }
  return nullptr;
}
}  // namespace

void registerAdamW(napi_env env, napi_value exports) {
  exportFn(env, exports, "adamw", AdamW);
}
