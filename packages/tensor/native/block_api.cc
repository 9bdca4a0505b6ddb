// The N-API calls of the fused transformer block: argument checks, scratch sizing, threads (fused_block.cc).
#include "block.h"

namespace {

bool readBlock(napi_env env, napi_value* argv, Block& k, Dims& n, int64_t& threads) {
  // argv: x, tok, params[16], seeds of the attention / output / feed-forward dropout ([] or [s0, s1]),
  // dims [b, l, d, h, f] or [b, l, d, h, f, causal 0/1], keeps [ka, k1], saved, threads
  int64_t dims[6] = {0, 0, 0, 0, 0, 0};
  uint32_t nd = 0;
  napi_get_array_length(env, argv[6], &nd);
  if (nd != 5 && nd != 6) return fail(env, "fused_block: dims is [b, l, d, h, f] or [b, l, d, h, f, causal]");
  napi_value dv;
  for (uint32_t i = 0; i < nd; i++) {
    napi_get_element(env, argv[6], i, &dv);
    napi_get_value_int64(env, dv, &dims[i]);
  }
  n = {dims[0], dims[1], dims[2], dims[3], dims[4], dims[5] != 0};
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
  exportFn(env, exports, "blockForward", Forward);
  exportFn(env, exports, "blockBackward", Backward);
  napi_value yes;  // this build takes the causal flag (dims[5]); fused-block.ts checks it before running a causal block
  napi_get_boolean(env, true, &yes);
  napi_set_named_property(env, exports, "blockCausal", yes);
}

