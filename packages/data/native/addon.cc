// The N-API addon of @cfm/data's clean-CSV fast path (scan + Parquet writer), built by infra/native-data/provision.sh.
#include <node_api.h>

namespace cfm {
void registerScan(napi_env env, napi_value exports);
void registerParquet(napi_env env, napi_value exports);
}  // namespace cfm

namespace {
// the argument list of scan / writeParquet (scan.ts loads only this one): 2 = with the null tokens
constexpr int kVersion = 2;

napi_value Init(napi_env env, napi_value exports) {
  cfm::registerScan(env, exports);
  cfm::registerParquet(env, exports);
  napi_value v;
  napi_create_int32(env, kVersion, &v);
  napi_set_named_property(env, exports, "version", v);
  return exports;
}
}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
