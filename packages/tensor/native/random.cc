// uniform(out, seed0, seed1): TensorFlow's StatelessRandomUniform stream into a Float32Array (philox.h)
#include "fused_common.h"
#include "philox.h"

namespace {
napi_value Uniform(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 3) return fail(env, "uniform takes (out, seed0, seed1)"), nullptr;
  float* out;
  size_t len;
  if (!f32(env, argv[0], &out, &len, -1, "out")) return nullptr;
  int64_t s0, s1;
  napi_get_value_int64(env, argv[1], &s0);
  napi_get_value_int64(env, argv[2], &s1);
  Philox(s0, s1).uniform(0, (int64_t)len, out);
  return nullptr;
}
}  // namespace

void registerRandom(napi_env env, napi_value exports) {
  exportFn(env, exports, "uniform", Uniform);
}
