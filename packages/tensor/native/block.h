// The fused transformer block's shared definitions (fused_block.cc: the arithmetic, block_api.cc: the N-API calls).
#pragma once
#include "fused_common.h"
#include "philox.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>

// per-thread scratch buffers kept between calls (calls come one at a time from the JS thread): fresh large
// vectors would be fresh pages, and their page faults cost more than the arithmetic on them. Sized by the
// calling thread (reserve) before the worker threads start; workers only read the pointers (scratch).
inline std::vector<std::vector<float>> bufs;
enum Slot { S_A, S_PD, S_DR2, S_DG, S_DH1, S_DF, S_DA, S_DCTX, S_DQKV, S_DPR, S_ACC, S_NOISE, S_DW, S_WQKV, NSLOT };
inline void reserve(int64_t threads, const int64_t* sizes) {
  if ((int64_t)bufs.size() < threads * NSLOT) bufs.resize(threads * NSLOT);
  for (int64_t t = 0; t < threads; t++)
    for (int s = 0; s < NSLOT; s++)
      if ((int64_t)bufs[t * NSLOT + s].size() < sizes[s]) bufs[t * NSLOT + s].resize(sizes[s]);
}
inline float* scratch(int64_t thread, Slot s) { return bufs[thread * NSLOT + s].data(); }

// CFM_KERNEL_TIMING=1: thread 0 prints the milliseconds of each phase to stderr
struct Phases {
  bool on = std::getenv("CFM_KERNEL_TIMING") != nullptr;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  std::string line;
  void mark(const char* name) {
    if (!on) return;
    const auto now = std::chrono::steady_clock::now();
    line += std::string(name) + " " + std::to_string(std::chrono::duration<double, std::milli>(now - t).count()).substr(0, 5) + " ";
    t = now;
  }
  void print(const char* what) {
    if (on) std::fprintf(stderr, "%s: %s\n", what, line.c_str());
  }
};

struct Dims {
  int64_t b, l, d, h, f;
  bool causal = false;  // query i attends to keys j <= i only (SASRec)
  int64_t dk() const { return d / h; }
};

// parameter order, shared with fused-block.ts
enum P { WQ, BQ, WK, BK, WV, BV, WO, BO, G1, B1N, W1, B1, W2, B2, G2, B2N, NPARAM };

struct Block {
  Dims n;
  const float* x;      // [T, D]
  const float* tok;    // [B, L], 1 = token, 0 = padding
  const float* p[NPARAM];
  // dropout noise streams for [B, H, L, L], [T, D], [T, D] (TensorFlow's StatelessRandomUniform) and whether used
  float* wqkv = nullptr;  // [D, 3D] = Wq | Wk | Wv, packed per call
  float* bqkv = nullptr;  // [3D]
  Philox pa, p1, p2;
  bool da = false, d1 = false, d2 = false;
  float ka, k1;        // keep probabilities (attention, hidden)
  float* saved;        // layout below
  // saved layout (floats): qkv [T,3D] | P [B,H,L,L] | ctx [T,D] | h1 [T,D] | xh1 [T,D] | rs1 [T] | gelu'(u) [T,F] | g [T,F] | xh2 [T,D] | rs2 [T]
  float *qkv, *prob, *ctx, *h1, *xh1, *rs1, *u, *g, *xh2, *rs2;
  void layout() {
    const int64_t t = n.b * n.l;
    float* s = saved;
    qkv = s, s += t * 3 * n.d;
    prob = s, s += n.b * n.h * n.l * n.l;
    ctx = s, s += t * n.d;
    h1 = s, s += t * n.d;
    xh1 = s, s += t * n.d;
    rs1 = s, s += t;
    u = s, s += t * n.f;
    g = s, s += t * n.f;
    xh2 = s, s += t * n.d;
    rs2 = s, s += t;
  }
};

void forwardRange(const Block& k, int64_t b0, int64_t b1, float* y, int64_t th);
void backwardRange(const Block& k, int64_t b0, int64_t b1, const float* dyAll, float* dxAll, std::vector<float*>& dp, int64_t th);
std::vector<int64_t> paramSizes(const Dims& n);
