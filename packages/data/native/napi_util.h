// N-API glue shared by the scan and the Parquet writer: their common arguments, and a job queued on libuv whose
// result settles a Promise.
#pragma once
#include <node_api.h>

#include <string>
#include <vector>

#include "csv_scan.h"

namespace cfm {

inline std::string stringArg(napi_env env, napi_value v) {
  size_t len;
  napi_get_value_string_utf8(env, v, nullptr, 0, &len);
  std::string s(len, '\0');
  napi_get_value_string_utf8(env, v, s.data(), len + 1, &len);
  return s;
}

inline std::vector<std::string> stringsArg(napi_env env, napi_value arr) {
  std::vector<std::string> out;
  uint32_t n;
  napi_get_array_length(env, arr, &n);
  for (uint32_t t = 0; t < n; t++) {
    napi_value e;
    napi_get_element(env, arr, t, &e);
    out.push_back(stringArg(env, e));
  }
  return out;
}

// (delim, ncols, index: Int32Array(9), maxTs, types: string[], nullTokens: string[]) from argv[0..5]
inline ScanSpec specArgs(napi_env env, const napi_value* argv) {
  ScanSpec spec;
  int32_t i32;
  napi_get_value_int32(env, argv[0], &i32);
  spec.delim = static_cast<char>(i32);
  napi_get_value_int32(env, argv[1], &spec.ncols);
  void* idx;
  napi_get_typedarray_info(env, argv[2], nullptr, nullptr, &idx, nullptr, nullptr);
  for (int c = 0; c < NCOL; c++) spec.index[c] = static_cast<int32_t*>(idx)[c];
  double maxTs;
  napi_get_value_double(env, argv[3], &maxTs);
  spec.maxTs = static_cast<int64_t>(maxTs);
  spec.types = stringsArg(env, argv[4]);
  spec.nullTokens = stringsArg(env, argv[5]);
  spec.finish();
  return spec;
}

// Queue `job` (which has `deferred` and `work`) on libuv: Execute runs off the main thread, Complete settles the
// Promise returned here and frees the job.
template <class Job>
napi_value queueJob(napi_env env, Job* job, const char* name, napi_async_execute_callback execute, napi_async_complete_callback complete) {
  napi_value promise, label;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &label);
  napi_create_async_work(env, nullptr, label, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

inline void exportFunction(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

}  // namespace cfm
