// TensorFlow's StatelessRandomUniform (float32) re-computed natively: Philox4x32-10 keyed from a 2-int seed the
// way TensorFlow's GenerateKey scrambles it, four floats per counter value, (bits & 0x7fffff | 1.0f) - 1.
// The fused block makes its dropout masks with it, so they equal those of ops.dropout on the native backend
// (tested against the TensorFlow op bit for bit in fused-block.test.ts).
#pragma once
#include <cstdint>
#include <cstring>

struct Philox {
  uint32_t key[2] = {0, 0}, ctr[4] = {0, 0, 0, 0};
  static void round(uint32_t* c, const uint32_t* k) {
    const uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
    const uint32_t hi0 = p0 >> 32, lo0 = (uint32_t)p0, hi1 = p1 >> 32, lo1 = (uint32_t)p1;
    const uint32_t r[4] = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    std::memcpy(c, r, sizeof(r));
  }
  // the 4 outputs for counter value ctr + offset (128-bit add)
  void block(uint64_t offset, uint32_t* out) const {
    uint32_t c[4];
    std::memcpy(c, ctr, sizeof(c));
    const uint64_t lo = ((uint64_t)c[1] << 32 | c[0]) + offset;
    const bool carry = lo < offset;
    c[0] = (uint32_t)lo, c[1] = (uint32_t)(lo >> 32);
    if (carry && ++c[2] == 0) ++c[3];
    uint32_t k[2] = {key[0], key[1]};
    for (int i = 0; i < 10; i++) {
      round(c, k);
      if (i < 9) k[0] += 0x9E3779B9u, k[1] += 0xBB67AE85u;
    }
    std::memcpy(out, c, sizeof(c));
  }
  Philox() = default;
  // TensorFlow's GenerateKey for an int32 seed pair
  Philox(int64_t s0, int64_t s1) {
    const uint64_t a = (uint64_t)s0, b = (uint64_t)s1;
    key[0] = 0x3ec8f720u, key[1] = 0x02461e29u;
    ctr[0] = (uint32_t)a, ctr[1] = (uint32_t)(a >> 32), ctr[2] = (uint32_t)b, ctr[3] = (uint32_t)(b >> 32);
    uint32_t mix[4];
    block(0, mix);
    key[0] = mix[0], key[1] = mix[1];
    ctr[0] = ctr[1] = 0, ctr[2] = mix[2], ctr[3] = mix[3];
  }
  // elements [start, start + n) of the uniform stream
  void uniform(int64_t start, int64_t n, float* out) const {
    int64_t i = start;
    const int64_t end = start + n;
    uint32_t r[4];
    while (i < end && i % 4) {  // head: the rest of a partial group
      block((uint64_t)(i / 4), r);
      for (int lane = (int)(i % 4); lane < 4 && i < end; lane++, i++) out[i - start] = toFloat(r[lane]);
    }
    const int64_t g0 = i / 4, g1 = end / 4;
    if (g1 > g0) {
      groups(g0, g1, out + (i - start));
      i = g1 * 4;
    }
    if (i < end) {  // tail
      block((uint64_t)(i / 4), r);
      for (int lane = 0; i < end; lane++, i++) out[i - start] = toFloat(r[lane]);
    }
  }
  static float toFloat(uint32_t x) {
    const uint32_t v = (x & 0x7fffffu) | 0x3f800000u;
    float f;
    std::memcpy(&f, &v, 4);
    return f - 1.f;
  }
  // whole groups [g0, g1): written so the compiler can run many counters per vector (no carries between lanes
  // while the low 64 counter bits do not wrap, which needs 2^64 groups)
  void groups(int64_t g0, int64_t g1, float* out) const {
    const uint64_t base = (uint64_t)ctr[1] << 32 | ctr[0];
    if (base + (uint64_t)g1 < base) {  // wraps: the general path
      for (int64_t g = g0; g < g1; g++) {
        uint32_t r[4];
        block((uint64_t)g, r);
        for (int lane = 0; lane < 4; lane++) out[(g - g0) * 4 + lane] = toFloat(r[lane]);
      }
      return;
    }
    const uint32_t c2 = ctr[2], c3 = ctr[3];
    for (int64_t g = g0; g < g1; g++) {
      const uint64_t lo = base + (uint64_t)g;
      uint32_t x0 = (uint32_t)lo, x1 = (uint32_t)(lo >> 32), x2 = c2, x3 = c3, k0 = key[0], k1 = key[1];
      for (int rnd = 0; rnd < 10; rnd++) {
        const uint64_t p0 = (uint64_t)0xD2511F53u * x0, p1 = (uint64_t)0xCD9E8D57u * x2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ x3 ^ k1;
        x1 = (uint32_t)p1, x3 = (uint32_t)p0, x0 = n0, x2 = n2;
        k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
      }
      float* o = out + (g - g0) * 4;
      o[0] = toFloat(x0), o[1] = toFloat(x1), o[2] = toFloat(x2), o[3] = toFloat(x3);
    }
  }
};
