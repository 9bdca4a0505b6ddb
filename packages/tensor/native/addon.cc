// The N-API addon of @cfm/tensor's native CPU kernels, built by infra/fused-ce/provision.sh.
#include "fused_common.h"

namespace {
napi_value Init(napi_env env, napi_value exports) {
  scipy_openblas_set_num_threads(1);  // threads are ours: one BLAS thread per row or sequence block
  registerCe(env, exports);
  registerBlock(env, exports);
  registerRandom(env, exports);
  registerAdamW(env, exports);
  registerEmbed(env, exports);
  registerHead(env, exports);
  return exports;
}
}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
