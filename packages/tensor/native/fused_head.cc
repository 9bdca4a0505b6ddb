// BERT4Rec's output side as one native call: pick the masked rows of the encoder output, GELU projection, layer
// norm, tied logits against [table | bias] and softmax cross-entropy (fused_ce.cc), with every gradient:
//   z = LN(gelu(h[pos] · W + b)),  loss_i = CE([z_i, 1] · [table | bias]ᵀ, label_i)
// the same function as ItemHead.loss(tf.gather(h, pos), table, labels). The loss kernel makes its gradients in the
// forward pass, so this one does too and the backward pass only scales them by dy. Row blocks run one per thread;
// the small weight gradients are kept per thread and summed in thread order, and dh is scattered in row order.
#include "fused_common.h"
#include "nn_math.h"

namespace {

// run(h, pos, w, b, gamma, beta, table, bias, labels, weights, dims [n, d, v, t], threads, chunk,
//     out [loss, dh, dw, db, dgamma, dbeta, dtable, dbias])
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 14) return fail(env, "fused_head.run takes 14 arguments"), nullptr;
  const std::vector<int64_t> dims = ints(env, argv[10]);
  if (dims.size() != 4) return fail(env, "fused_head: dims is [n, d, v, t]"), nullptr;
  const int64_t n = dims[0], d = dims[1], v = dims[2], t = dims[3], k = d + 1;
  const int64_t threads = std::max<int64_t>(1, (int64_t)num(env, argv[11])), chunk = std::max<int64_t>(1, (int64_t)num(env, argv[12]));
  size_t len;
  float *h, *w, *b, *gamma, *beta, *table, *bias, *wt;
  int32_t *pos, *lab;
  size_t lp = 0, ll = 0;
  if (!f32(env, argv[0], &h, &len, t * d, "h") || !i32(env, argv[1], &pos, &lp, "positions") || !f32(env, argv[2], &w, &len, d * d, "w") ||
      !f32(env, argv[3], &b, &len, d, "b") || !f32(env, argv[4], &gamma, &len, d, "gamma") || !f32(env, argv[5], &beta, &len, d, "beta") ||
      !f32(env, argv[6], &table, &len, v * d, "table") || !f32(env, argv[7], &bias, &len, v, "bias") ||
      !i32(env, argv[8], &lab, &ll, "labels") || !f32(env, argv[9], &wt, &len, n, "weights"))
    return nullptr;
  if ((int64_t)lp != n || (int64_t)ll != n) return fail(env, "fused_head: positions and labels need n values each"), nullptr;
  const int64_t want[8] = {n, t * d, d * d, d, d, d, v * d, v};
  float* out[8];
  for (uint32_t i = 0; i < 8; i++) {
    napi_value e;
    napi_get_element(env, argv[13], i, &e);
    if (!f32(env, e, &out[i], &len, want[i], "output")) return nullptr;
  }
  for (int64_t i = 0; i < n; i++) {
    if (pos[i] < 0 || pos[i] >= t) return fail(env, "fused_head: a position is outside [0, t)"), nullptr;
    if (lab[i] < 0 || lab[i] >= v) return fail(env, "fused_head: a label is outside [0, v)"), nullptr;
  }
  float *hp = keptBuffer(2, n * d), *u = keptBuffer(3, n * d), *xh = keptBuffer(4, n * d), *rs = keptBuffer(5, n);
  float *z1 = keptBuffer(6, n * k), *tb = keptBuffer(7, v * k), *dz1 = keptBuffer(8, n * k), *dw1 = keptBuffer(9, v * k);
  // forward to z1 = [LN(gelu(hp · W + b)), 1]
  parallelBlocks(n, threads, [&](int64_t r0, int64_t r1, int64_t) {
    const int64_t m = r1 - r0;
    for (int64_t r = r0; r < r1; r++) std::copy(h + (int64_t)pos[r] * d, h + (int64_t)pos[r] * d + d, hp + r * d);
    sgemm(false, false, m, d, d, 1.f, hp + r0 * d, d, w, d, 0.f, u + r0 * d, d);
    ::bias(u + r0 * d, m, d, d, b);
    float* g = dz1 + r0 * k;  // scratch for gelu(u) until the loss kernel writes dz1
    geluSave(u + r0 * d, g, m * d);
    layerNorm(g, m, d, gamma, beta, xh + r0 * d, rs + r0, g);
    for (int64_t r = r0; r < r1; r++) {  // [m, d] → [m, d + 1] rows
      std::copy(g + (r - r0) * d, g + (r - r0) * d + d, z1 + r * k);
      z1[r * k + d] = 1.f;
    }
  });
  for (int64_t i = 0; i < v; i++) {
    std::copy(table + i * d, table + i * d + d, tb + i * k);
    tb[i * k + d] = bias[i];
  }
  ceCore(z1, tb, lab, wt, dz1, dw1, out[0], n, k, v, threads, chunk);
  for (int64_t i = 0; i < v; i++) {
    std::copy(dw1 + i * k, dw1 + i * k + d, out[6] + i * d);
    out[7][i] = dw1[i * k + d];
  }
  // backward through the layer norm, GELU and projection: du overwrites u (gelu'(u)), and dhp the x̂ rows the
  // layer norm's backward has read
  const int64_t per = d * d + 3 * d;  // per-thread dW | db | dgamma | dbeta
  std::vector<float> acc(threads * per, 0.f);
  float *dhp = xh, *dz = keptBuffer(10, n * d);
  parallelBlocks(n, threads, [&](int64_t r0, int64_t r1, int64_t th) {
    const int64_t m = r1 - r0;
    float* a = acc.data() + th * per;
    for (int64_t r = r0; r < r1; r++) std::copy(dz1 + r * k, dz1 + r * k + d, dz + r * d);
    layerNormBack(dz + r0 * d, xh + r0 * d, rs + r0, gamma, m, d, dz + r0 * d, a + d * d + d, a + d * d + 2 * d);
    float* du = u + r0 * d;
    for (int64_t i = 0; i < m * d; i++) du[i] *= dz[r0 * d + i];  // u holds gelu'(u)
    sgemm(true, false, d, d, m, 1.f, hp + r0 * d, d, du, d, 1.f, a, d);
    colSum(du, m, d, d, a + d * d);
    sgemm(false, true, m, d, d, 1.f, du, d, w, d, 0.f, dhp + r0 * d, d);
  });
  for (int i = 2; i < 6; i++) std::fill(out[i], out[i] + want[i], 0.f);
  for (int64_t th = 0; th < threads; th++) {
    const float* a = acc.data() + th * per;
    for (int64_t j = 0; j < d * d; j++) out[2][j] += a[j];
    for (int64_t j = 0; j < d; j++) out[3][j] += a[d * d + j], out[4][j] += a[d * d + d + j], out[5][j] += a[d * d + 2 * d + j];
  }
  std::fill(out[1], out[1] + t * d, 0.f);
  for (int64_t r = 0; r < n; r++)
    for (int64_t j = 0; j < d; j++) out[1][(int64_t)pos[r] * d + j] += dhp[r * d + j];
  return nullptr;
}

}  // namespace

void registerHead(napi_env env, napi_value exports) {
  exportFn(env, exports, "headRun", Run);
}
