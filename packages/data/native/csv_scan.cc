// scan(): a plain contract events CSV (csv_common.cc) read on several threads into the arrays the sequence stages
// take (customer and item indices over their sorted distinct ids, event type code, time, record number, session
// code), or the first reason it is not plain.
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "csv_scan.h"

namespace cfm {
namespace {

uint64_t hashOf(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ^ (h >> 29);
}

// Distinct strings (views into the mapped file) with dense ids in order of first appearance. A slot keeps the hash,
// the id and up to 20 bytes of the key, so that a lookup of a short id touches one cache line.
struct Dict {
  struct Slot {
    uint64_t hash;
    int32_t id;  // -1: empty
    uint8_t len;
    char key[19];
  };
  static_assert(sizeof(Slot) == 32, "one slot per half cache line");
  std::vector<Slot> slots;
  std::vector<std::string_view> keys;
  size_t mask = 0;
  Dict() { resize(1 << 12); }
  void resize(size_t cap) {
    slots.assign(cap, Slot{0, -1, 0, {}});
    mask = cap - 1;
    for (size_t id = 0; id < keys.size(); id++) place(hashOf(keys[id]), keys[id], static_cast<int32_t>(id));
  }
  void place(uint64_t h, std::string_view s, int32_t id) {
    size_t i = h & mask;
    while (slots[i].id >= 0) i = (i + 1) & mask;
    Slot& e = slots[i];
    e.hash = h, e.id = id, e.len = s.size() <= sizeof e.key ? static_cast<uint8_t>(s.size()) : 255;
    if (e.len != 255) memcpy(e.key, s.data(), s.size());
  }
  std::string_view lastKey;
  int32_t lastId = -1;
  // (the same key as the row before, common for customers and sessions in time-ordered logs: no lookup)
  int32_t get(std::string_view s) {
    if (lastId >= 0 && s == lastKey) return lastId;
    lastKey = s;
    return lastId = lookup(s);
  }
  void prefetch(uint64_t h) const { __builtin_prefetch(&slots[h & mask]); }
  int32_t lookup(std::string_view s) { return lookup(s, hashOf(s)); }
  int32_t lookup(std::string_view s, uint64_t h) {
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& e = slots[i];
      if (e.id < 0) break;
      if (e.hash == h && (e.len == 255 ? keys[e.id] == s : e.len == s.size() && memcmp(e.key, s.data(), e.len) == 0)) return e.id;
    }
    int32_t id = static_cast<int32_t>(keys.size());
    keys.push_back(s);
    if (keys.size() * 2 > slots.size()) resize(slots.size() * 2);
    else place(h, s, id);
    return id;
  }
};

struct Part {
  size_t from, to, firstRow = 0, rows = 0;
  Dict customers, items, sessions;
  const char* why = nullptr;
  size_t whyAt = 0;
};

// Distinct keys of all parts (sorted by bytes, or in order of first appearance), and each part's local id → global
// index.
std::vector<std::string_view> merge(std::vector<Part>& parts, Dict Part::*dict, bool sorted, std::vector<std::vector<int32_t>>& local) {
  Dict all;
  local.assign(parts.size(), {});
  for (size_t k = 0; k < parts.size(); k++) {
    auto& m = local[k];
    for (auto key : (parts[k].*dict).keys) m.push_back(all.lookup(key));
  }
  if (!sorted) return all.keys;
  std::vector<int32_t> order(all.keys.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return all.keys[a] < all.keys[b]; });
  std::vector<int32_t> rank(order.size());
  std::vector<std::string_view> keys(order.size());
  for (size_t r = 0; r < order.size(); r++) rank[order[r]] = static_cast<int32_t>(r), keys[r] = all.keys[order[r]];
  for (auto& m : local)
    for (auto& id : m) id = rank[id];
  return keys;
}

napi_value typed(napi_env env, napi_typedarray_type type, size_t n, void** data) {
  size_t bytes = n * (type == napi_float64_array ? 8 : 4);
  napi_value buf, arr;
  napi_create_arraybuffer(env, bytes ? bytes : 1, data, &buf);
  napi_create_typedarray(env, type, n, buf, 0, &arr);
  return arr;
}

napi_value joined(napi_env env, const std::vector<std::string_view>& keys) {
  std::string s;
  for (size_t i = 0; i < keys.size(); i++) {
    if (i) s += '\n';
    s.append(keys[i]);
  }
  napi_value v;
  napi_create_string_utf8(env, s.data(), s.size(), &v);
  return v;
}

void set(napi_env env, napi_value obj, const char* name, napi_value v) { napi_set_named_property(env, obj, name, v); }

// scan(path, delim, ncols, index: Int32Array(9), maxTs, types: string[], threads)
napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char path[4096];
  size_t len;
  napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len);
  ScanSpec spec;
  int32_t i32;
  napi_get_value_int32(env, argv[1], &i32);
  spec.delim = static_cast<char>(i32);
  napi_get_value_int32(env, argv[2], &spec.ncols);
  void* idx;
  size_t idxLen;
  napi_get_typedarray_info(env, argv[3], nullptr, &idxLen, &idx, nullptr, nullptr);
  for (int c = 0; c < NCOL; c++) spec.index[c] = static_cast<int32_t*>(idx)[c];
  double maxTs;
  napi_get_value_double(env, argv[4], &maxTs);
  spec.maxTs = static_cast<int64_t>(maxTs);
  uint32_t nt;
  napi_get_array_length(env, argv[5], &nt);
  for (uint32_t t = 0; t < nt; t++) {
    napi_value e;
    char b[64];
    napi_get_element(env, argv[5], t, &e);
    napi_get_value_string_utf8(env, e, b, sizeof b, &len);
    spec.types.emplace_back(b, len);
  }
  int32_t threads;
  napi_get_value_int32(env, argv[6], &threads);
  spec.finish();

  napi_value out;
  napi_create_object(env, &out);
  auto fail = [&](const std::string& why) {
    napi_value s;
    napi_create_string_utf8(env, why.data(), why.size(), &s);
    set(env, out, "fail", s);
    return out;
  };
  const bool debug = getenv("CFM_DEBUG_TIMING") != nullptr;
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    if (!debug) return;
    auto t = std::chrono::steady_clock::now();
    fprintf(stderr, "native scan: %s %.1f ms\n", what, std::chrono::duration<double, std::milli>(t - t0).count());
    t0 = t;
  };
  MappedCsv csv;
  if (!csv.open(path)) return fail(csv.error);
  std::vector<size_t> cuts = splitAtLines(csv, std::max(1, threads));
  std::vector<Part> parts(cuts.size() - 1);
  // rows per part first (line ends), so that every part writes straight into the output arrays
  std::vector<std::thread> pool;
  for (size_t k = 0; k < parts.size(); k++) {
    parts[k].from = cuts[k], parts[k].to = cuts[k + 1];
    pool.emplace_back([&, k] {
      Part& p = parts[k];
      size_t n = 0;
      for (const char* q = csv.data + p.from; q < csv.data + p.to;) {
        const void* nl = memchr(q, '\n', csv.data + p.to - q);
        n++;
        q = nl ? static_cast<const char*>(nl) + 1 : csv.data + p.to;
      }
      p.rows = n;
    });
  }
  for (auto& t : pool) t.join();
  pool.clear();
  size_t n = 0;
  for (auto& p : parts) p.firstRow = n, n += p.rows;
  lap("lines counted");
  if (n == 0) return fail("no data lines");
  void *cix, *iix, *type, *ts, *ord, *session;
  napi_value aC = typed(env, napi_int32_array, n, &cix), aI = typed(env, napi_int32_array, n, &iix);
  napi_value aT = typed(env, napi_int32_array, n, &type), aS = typed(env, napi_float64_array, n, &ts);
  napi_value aO = typed(env, napi_float64_array, n, &ord), aX = typed(env, napi_int32_array, n, &session);
  std::atomic<bool> stop{false};
  for (size_t k = 0; k < parts.size(); k++)
    pool.emplace_back([&, k] {
      Part& p = parts[k];
      // lines in batches: parsed first, the item slots prefetched, then looked up (an item's slot is a cache miss)
      constexpr int B = 16;
      Row rows[B];
      uint64_t itemHash[B];
      size_t r = p.firstRow;
      const char* q = csv.data + p.from;
      const char* stopAt = csv.data + p.to;
      while (q < stopAt && !stop.load(std::memory_order_relaxed)) {
        int m = 0;
        for (; m < B && q < stopAt; m++) {
          const char* nl = static_cast<const char*>(memchr(q, '\n', stopAt - q));
          const char* end = nl ? nl : stopAt;
          if (!parseLine(q, end, spec, rows[m], &p.why)) {
            p.whyAt = q - csv.data;
            stop = true;
            return;
          }
          itemHash[m] = hashOf(rows[m].f[ITEM]);
          p.items.prefetch(itemHash[m]);
          q = end + 1;
        }
        for (int j = 0; j < m; j++, r++) {
          const Row& row = rows[j];
          static_cast<int32_t*>(cix)[r] = p.customers.get(row.f[CUSTOMER]);
          static_cast<int32_t*>(iix)[r] = p.items.lookup(row.f[ITEM], itemHash[j]);
          static_cast<int32_t*>(type)[r] = row.type;
          static_cast<double*>(ts)[r] = static_cast<double>(row.ts);
          static_cast<double*>(ord)[r] = static_cast<double>(r + 1);
          static_cast<int32_t*>(session)[r] = row.f[SESSION].empty() ? -1 : p.sessions.get(row.f[SESSION]);
        }
      }
    });
  for (auto& t : pool) t.join();
  pool.clear();
  lap("parsed");
  for (auto& p : parts)
    if (p.why) {
      // (the line number only for the message: counted here, on failure)
      size_t line = 2;
      for (const char* q = csv.data + csv.bodyStart; q < csv.data + p.whyAt; q++) line += *q == '\n';
      return fail("line " + std::to_string(line) + ": " + p.why);
    }
  // customers and items sorted (their indices are the ranks of the ids); sessions in any order (the caller maps each
  // distinct session to DuckDB's hash of it)
  std::vector<std::vector<int32_t>> mc, mi, ms;
  std::vector<std::string_view> customers, items, sessions;
  pool.emplace_back([&] { customers = merge(parts, &Part::customers, true, mc); });
  pool.emplace_back([&] { items = merge(parts, &Part::items, true, mi); });
  sessions = merge(parts, &Part::sessions, false, ms);
  for (auto& t : pool) t.join();
  pool.clear();
  lap("merged");
  for (size_t k = 0; k < parts.size(); k++)
    pool.emplace_back([&, k] {
      Part& p = parts[k];
      int32_t *c = static_cast<int32_t*>(cix) + p.firstRow, *it = static_cast<int32_t*>(iix) + p.firstRow;
      int32_t* s = static_cast<int32_t*>(session) + p.firstRow;
      for (size_t r = 0; r < p.rows; r++) {
        c[r] = mc[k][c[r]];
        it[r] = mi[k][it[r]];
        if (s[r] >= 0) s[r] = ms[k][s[r]];
      }
    });
  for (auto& t : pool) t.join();
  lap("remapped");
  napi_value nv;
  napi_create_double(env, static_cast<double>(n), &nv);
  set(env, out, "n", nv);
  set(env, out, "cix", aC);
  set(env, out, "iix", aI);
  set(env, out, "type", aT);
  set(env, out, "ts", aS);
  set(env, out, "ord", aO);
  set(env, out, "session", aX);
  set(env, out, "customers", joined(env, customers));
  set(env, out, "items", joined(env, items));
  set(env, out, "sessions", joined(env, sessions));
  napi_value ns;
  napi_create_double(env, static_cast<double>(sessions.size()), &ns);
  set(env, out, "sessionCount", ns);
  return out;
}

}  // namespace

void registerScan(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &f);
  napi_set_named_property(env, exports, "scan", f);
}

}  // namespace cfm
