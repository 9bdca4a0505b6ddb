// The input side of a BERT-style encoder as one native call forward and one backward:
//   y = dropout(LN(table[ids] + pos[offset + l]))
// the same function as BERT4Rec's embedding (item lookup + learned positions, layer norm, dropout with ops.dropout's
// mask floor(u + keep) / keep over TensorFlow's StatelessRandomUniform stream, philox.h). Rows are split into one
// contiguous block per thread; the small gradients (gamma, beta, positions) are kept per thread and summed in
// thread order, and the table gradient is scattered in row order, so results do not depend on timing.
#include "fused_common.h"
#include "nn_math.h"

namespace {

struct Embed {
  const int32_t* ids;  // [T]
  const float *table, *pos, *gamma, *beta;
  int64_t b, l, d, v, p, off;  // batch, length, width, table rows, position rows, first position row
  Philox noise;
  bool drop = false;
  float keep = 1.f;
  float *xh, *rs;  // saved: x̂ [T, D], rstd [T]
};

// reads ids, table, pos, gamma, beta, seed, dims [b, l, d, off], keep, saved (argv[0..8])
bool readEmbed(napi_env env, napi_value* argv, Embed& e) {
  const std::vector<int64_t> dims = ints(env, argv[6]);
  if (dims.size() != 4) return fail(env, "fused_embed: dims is [b, l, d, offset]");
  e.b = dims[0], e.l = dims[1], e.d = dims[2], e.off = dims[3];
  const int64_t t = e.b * e.l;
  size_t len;
  int32_t* ids;
  float* p;
  if (!i32(env, argv[0], &ids, &len, "ids")) return false;
  if ((int64_t)len != t) return fail(env, "fused_embed: ids has " + std::to_string(len) + " values, expected b · l");
  e.ids = ids;
  if (!f32(env, argv[1], &p, &len, -1, "table")) return false;
  e.table = p, e.v = (int64_t)len / e.d;
  if (!f32(env, argv[2], &p, &len, -1, "pos")) return false;
  e.pos = p, e.p = (int64_t)len / e.d;
  if (e.off < 0 || e.off + e.l > e.p) return fail(env, "fused_embed: positions [offset, offset + l) outside the position table");
  if (!f32(env, argv[3], &p, &len, e.d, "gamma")) return false;
  e.gamma = p;
  if (!f32(env, argv[4], &p, &len, e.d, "beta")) return false;
  e.beta = p;
  const std::vector<int64_t> seed = ints(env, argv[5]);
  if (seed.size() != 0 && seed.size() != 2) return fail(env, "fused_embed: the dropout seed is [] or [seed0, seed1]");
  e.drop = seed.size() == 2;
  if (e.drop) e.noise = Philox(seed[0], seed[1]);
  e.keep = (float)num(env, argv[7]);
  if (!f32(env, argv[8], &p, &len, t * e.d + t, "saved")) return false;
  e.xh = p, e.rs = p + t * e.d;
  for (int64_t i = 0; i < t; i++)
    if (ids[i] < 0 || ids[i] >= e.v) return fail(env, "fused_embed: id " + std::to_string(ids[i]) + " at " + std::to_string(i) + " is outside the table");
  return true;
}

// forward(ids, table, pos, gamma, beta, seed, dims, keep, saved, threads, y)
napi_value Forward(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 11) return fail(env, "fused_embed.forward takes 11 arguments"), nullptr;
  Embed e{};
  if (!readEmbed(env, argv, e)) return nullptr;
  const int64_t t = e.b * e.l, d = e.d, threads = std::max<int64_t>(1, (int64_t)num(env, argv[9]));
  float* y;
  size_t len;
  if (!f32(env, argv[10], &y, &len, t * d, "y")) return nullptr;
  float* noise = keptBuffer(0, t * d);
  parallelBlocks(t, threads, [&](int64_t r0, int64_t r1, int64_t) {
    float* x = y + r0 * d;  // the sum is built in y, then normalised in place
    for (int64_t r = r0; r < r1; r++) {
      const float* a = e.table + (int64_t)e.ids[r] * d;
      const float* q = e.pos + (e.off + r % e.l) * d;
      for (int64_t j = 0; j < d; j++) y[r * d + j] = a[j] + q[j];
    }
    layerNorm(x, r1 - r0, d, e.gamma, e.beta, e.xh + r0 * d, e.rs + r0, x);
    dropMask(x, e.drop, e.noise, r0 * d, (r1 - r0) * d, e.keep, noise + r0 * d);
  });
  return nullptr;
}

// backward(ids, table, pos, gamma, beta, seed, dims, keep, saved, threads, dy, dtable, dpos, dgamma, dbeta)
napi_value Backward(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 15) return fail(env, "fused_embed.backward takes 15 arguments"), nullptr;
  Embed e{};
  if (!readEmbed(env, argv, e)) return nullptr;
  const int64_t t = e.b * e.l, d = e.d, threads = std::max<int64_t>(1, (int64_t)num(env, argv[9]));
  float *dy, *dt, *dp, *dg, *db;
  size_t len;
  if (!f32(env, argv[10], &dy, &len, t * d, "dy") || !f32(env, argv[11], &dt, &len, e.v * d, "dtable") ||
      !f32(env, argv[12], &dp, &len, e.p * d, "dpos") || !f32(env, argv[13], &dg, &len, d, "dgamma") || !f32(env, argv[14], &db, &len, d, "dbeta"))
    return nullptr;
  float* dx = keptBuffer(1, t * d);
  float* noise = keptBuffer(0, t * d);
  const int64_t per = (2 + e.l) * d;  // per-thread dgamma | dbeta | dpos rows of this batch
  std::vector<float> acc(threads * per, 0.f);
  parallelBlocks(t, threads, [&](int64_t r0, int64_t r1, int64_t th) {
    const int64_t n = (r1 - r0) * d;
    float* g = dx + r0 * d;
    std::copy(dy + r0 * d, dy + r0 * d + n, g);
    dropMask(g, e.drop, e.noise, r0 * d, n, e.keep, noise + r0 * d);
    float* a = acc.data() + th * per;
    layerNormBack(g, e.xh + r0 * d, e.rs + r0, e.gamma, r1 - r0, d, g, a, a + d);
    for (int64_t r = r0; r < r1; r++) {
      float* pr = a + (2 + r % e.l) * d;
      for (int64_t j = 0; j < d; j++) pr[j] += g[(r - r0) * d + j];
    }
  });
  std::fill(dt, dt + e.v * d, 0.f);
  std::fill(dp, dp + e.p * d, 0.f);
  std::fill(dg, dg + d, 0.f);
  std::fill(db, db + d, 0.f);
  for (int64_t th = 0; th < threads; th++) {
    const float* a = acc.data() + th * per;
    for (int64_t j = 0; j < d; j++) dg[j] += a[j], db[j] += a[d + j];
    for (int64_t j = 0; j < e.l * d; j++) dp[e.off * d + j] += a[2 * d + j];
  }
  for (int64_t r = 0; r < t; r++) {
    float* row = dt + (int64_t)e.ids[r] * d;
    for (int64_t j = 0; j < d; j++) row[j] += dx[r * d + j];
  }
  return nullptr;
}

}  // namespace

void registerEmbed(napi_env env, napi_value exports) {
  exportFn(env, exports, "embedForward", Forward);
  exportFn(env, exports, "embedBackward", Backward);
}
