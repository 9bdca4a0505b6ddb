// scan(): a plain contract events CSV (csv_common.cc) read on several threads into the arrays the sequence stages
// take (customer and item indices over their sorted distinct ids, event type code, time, record number, session
// code), or the first reason it is not plain.
#include <node_api.h>

#include <algorithm>
#include <memory>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "csv_scan.h"
#include "napi_util.h"

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

template <class T>
using Buf = std::unique_ptr<T[]>;
template <class T>
Buf<T> buf(size_t n) { return Buf<T>(new T[n ? n : 1]); }  // (not zeroed: every element is written)

// One scan, run on a libuv worker thread (Execute); its results become JS values in Complete.
struct ScanJob {
  std::string path;
  ScanSpec spec;
  int threads = 2;
  bool debug = false;
  // results
  std::string fail;
  MappedCsv csv;  // (kept until Complete: the id lists are views into it)
  size_t n = 0, nc = 0;
  std::vector<int32_t> custStart;
  Buf<int32_t> item, type, session;
  Buf<double> ts;
  double tsMin = 1e300, tsMax = -1e300;
  std::vector<std::string_view> customers, items, sessions;
  napi_deferred deferred;
  napi_async_work work;
};

void runScan(ScanJob& job) {
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    if (!job.debug) return;
    auto t = std::chrono::steady_clock::now();
    fprintf(stderr, "native scan: %s %.1f ms\n", what, std::chrono::duration<double, std::milli>(t - t0).count());
    t0 = t;
  };
  MappedCsv& csv = job.csv;
  const ScanSpec& spec = job.spec;
  if (!csv.open(job.path)) return void(job.fail = csv.error);
  std::vector<size_t> cuts = splitAtLines(csv, std::max(1, job.threads));
  std::vector<Part> parts(cuts.size() - 1);
  // rows per part first (line ends), so that every part writes straight into the arrays
  std::vector<std::thread> pool;
  auto joinAll = [&] {
    for (auto& t : pool) t.join();
    pool.clear();
  };
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
  joinAll();
  size_t n = 0;
  for (auto& p : parts) p.firstRow = n, n += p.rows;
  lap("lines counted");
  if (n == 0) return void(job.fail = "no data lines");
  if (n >= 0x7fffffff) return void(job.fail = "more lines than the native scan indexes (2^31 - 1)");
  Buf<int32_t> cix = buf<int32_t>(n), iix = buf<int32_t>(n), type = buf<int32_t>(n), session = buf<int32_t>(n);
  Buf<double> ts = buf<double>(n);
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
          cix[r] = p.customers.get(row.f[CUSTOMER]);
          iix[r] = p.items.lookup(row.f[ITEM], itemHash[j]);
          type[r] = row.type;
          ts[r] = static_cast<double>(row.ts);
          session[r] = row.f[SESSION].empty() ? -1 : p.sessions.get(row.f[SESSION]);
        }
      }
    });
  joinAll();
  lap("parsed");
  for (auto& p : parts)
    if (p.why) {
      // (the line number only for the message: counted here, on failure)
      size_t line = 2;
      for (const char* q = csv.data + csv.bodyStart; q < csv.data + p.whyAt; q++) line += *q == '\n';
      return void(job.fail = "line " + std::to_string(line) + ": " + p.why);
    }
  // customers and items sorted (their indices are the ranks of the ids); sessions in any order (the caller maps each
  // distinct session to DuckDB's hash of it)
  std::vector<std::vector<int32_t>> mc, mi, ms;
  pool.emplace_back([&] { job.customers = merge(parts, &Part::customers, true, mc); });
  pool.emplace_back([&] { job.items = merge(parts, &Part::items, true, mi); });
  job.sessions = merge(parts, &Part::sessions, false, ms);
  joinAll();
  lap("merged");
  // global ids, and each part's rows per customer (for the sort)
  const size_t nc = job.customers.size();
  std::vector<std::vector<int32_t>> perCustomer(parts.size(), std::vector<int32_t>(nc, 0));
  std::vector<double> tsMin(parts.size(), 1e300), tsMax(parts.size(), -1e300);
  for (size_t k = 0; k < parts.size(); k++)
    pool.emplace_back([&, k] {
      Part& p = parts[k];
      auto& count = perCustomer[k];
      double lo = 1e300, hi = -1e300;
      for (size_t r = p.firstRow; r < p.firstRow + p.rows; r++) {
        cix[r] = mc[k][cix[r]];
        iix[r] = mi[k][iix[r]];
        if (session[r] >= 0) session[r] = ms[k][session[r]];
        count[cix[r]]++;
        lo = std::min(lo, ts[r]), hi = std::max(hi, ts[r]);
      }
      tsMin[k] = lo, tsMax[k] = hi;
    });
  joinAll();
  lap("remapped");
  // sorted by (customer, ts, record): a stable counting sort by customer (each part writes its rows to its own
  // slots, so a customer's rows stay in file order), then the customers whose rows are not in (ts, record) order
  job.custStart.assign(nc + 1, 0);
  int32_t* cs = job.custStart.data();
  std::vector<std::vector<int32_t>> next(parts.size(), std::vector<int32_t>(nc));
  for (size_t c = 0; c < nc; c++) {
    int32_t at = cs[c];
    for (size_t k = 0; k < parts.size(); k++) next[k][c] = at, at += perCustomer[k][c];
    cs[c + 1] = at;
  }
  job.item = buf<int32_t>(n), job.type = buf<int32_t>(n), job.session = buf<int32_t>(n), job.ts = buf<double>(n);
  Buf<int32_t> rec = buf<int32_t>(n);  // record number - 1 of each sorted row (the tie-break)
  for (size_t k = 0; k < parts.size(); k++)
    pool.emplace_back([&, k] {
      Part& p = parts[k];
      auto& nx = next[k];
      for (size_t r = p.firstRow; r < p.firstRow + p.rows; r++) {
        int32_t d = nx[cix[r]]++;
        job.item[d] = iix[r], job.type[d] = type[r], job.ts[d] = ts[r], job.session[d] = session[r];
        rec[d] = static_cast<int32_t>(r);
      }
    });
  joinAll();
  const size_t halves = std::min<size_t>(parts.size(), 2);
  for (size_t h = 0; h < halves; h++)
    pool.emplace_back([&, h] {
      int32_t *item = job.item.get(), *ty = job.type.get(), *se = job.session.get();
      double* t = job.ts.get();
      std::vector<int32_t> idx, bi, bt, bs;
      std::vector<double> bts;
      for (size_t c = nc * h / halves; c < nc * (h + 1) / halves; c++) {
        int32_t a = cs[c], e = cs[c + 1];
        bool ordered = true;
        for (int32_t i = a + 1; i < e && ordered; i++) ordered = t[i - 1] < t[i] || (t[i - 1] == t[i] && rec[i - 1] < rec[i]);
        if (ordered) continue;
        idx.resize(e - a);
        for (int32_t i = a; i < e; i++) idx[i - a] = i;
        std::sort(idx.begin(), idx.end(), [&](int32_t x, int32_t y) { return t[x] < t[y] || (t[x] == t[y] && rec[x] < rec[y]); });
        bi.assign(item + a, item + e), bt.assign(ty + a, ty + e), bs.assign(se + a, se + e), bts.assign(t + a, t + e);
        for (int32_t k = 0; k < e - a; k++) {
          int32_t j = idx[k] - a;
          item[a + k] = bi[j], ty[a + k] = bt[j], se[a + k] = bs[j], t[a + k] = bts[j];
        }
      }
    });
  joinAll();
  lap("sorted");
  job.n = n, job.nc = nc;
  job.tsMin = *std::min_element(tsMin.begin(), tsMin.end());
  job.tsMax = *std::max_element(tsMax.begin(), tsMax.end());
}

template <class T>
napi_value typedCopy(napi_env env, napi_typedarray_type type, const T* src, size_t n) {
  void* data;
  napi_value ab, arr;
  napi_create_arraybuffer(env, n ? n * sizeof(T) : 1, &data, &ab);
  if (n) memcpy(data, src, n * sizeof(T));
  napi_create_typedarray(env, type, n, ab, 0, &arr);
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
napi_value number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

void Execute(napi_env, void* data) { runScan(*static_cast<ScanJob*>(data)); }

void Complete(napi_env env, napi_status, void* data) {
  std::unique_ptr<ScanJob> job(static_cast<ScanJob*>(data));
  napi_value out;
  napi_create_object(env, &out);
  if (!job->fail.empty()) {
    napi_value s;
    napi_create_string_utf8(env, job->fail.data(), job->fail.size(), &s);
    set(env, out, "fail", s);
  } else {
    size_t n = job->n;
    set(env, out, "n", number(env, static_cast<double>(n)));
    set(env, out, "tsMin", number(env, job->tsMin));
    set(env, out, "tsMax", number(env, job->tsMax));
    set(env, out, "custStart", typedCopy(env, napi_int32_array, job->custStart.data(), job->custStart.size()));
    set(env, out, "item", typedCopy(env, napi_int32_array, job->item.get(), n));
    set(env, out, "type", typedCopy(env, napi_int32_array, job->type.get(), n));
    set(env, out, "tsMs", typedCopy(env, napi_float64_array, job->ts.get(), n));
    set(env, out, "session", typedCopy(env, napi_int32_array, job->session.get(), n));
    set(env, out, "customers", joined(env, job->customers));
    set(env, out, "items", joined(env, job->items));
    set(env, out, "sessions", joined(env, job->sessions));
    set(env, out, "sessionCount", number(env, static_cast<double>(job->sessions.size())));
  }
  napi_resolve_deferred(env, job->deferred, out);
  napi_delete_async_work(env, job->work);
}

// scan(path, delim, ncols, index: Int32Array(9), maxTs, types: string[], nullTokens: string[], threads) → Promise<result | { fail }>
napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  auto job = std::make_unique<ScanJob>();
  job->path = stringArg(env, argv[0]);
  job->spec = specArgs(env, argv + 1);
  napi_get_value_int32(env, argv[7], &job->threads);
  job->debug = getenv("CFM_DEBUG_TIMING") != nullptr;
  return queueJob(env, job.release(), "cfm-scan", Execute, Complete);
}

}  // namespace

void registerScan(napi_env env, napi_value exports) { exportFunction(env, exports, "scan", Scan); }

}  // namespace cfm
