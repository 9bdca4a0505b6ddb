// The N-API addon of @cfm/data's clean-CSV fast path (scan + Parquet writer), built by infra/native-data/provision.sh.
#include <node_api.h>

namespace cfm {
void registerScan(napi_env env, napi_value exports);
void registerParquet(napi_env env, napi_value exports);
}  // namespace cfm

namespace {
napi_value Init(napi_env env, napi_value exports) {
  cfm::registerScan(env, exports);
  cfm::registerParquet(env, exports);
  return exports;
}
}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
