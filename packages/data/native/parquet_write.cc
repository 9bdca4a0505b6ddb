// writeParquet(): the validated events of a plain contract CSV (every line passed scan()) written as the ingest's
// events Parquet file: the columns of EVENTS_TABLE (file_id, rec, customer_id, item_id, ts, type, session_id,
// position, page, query, price), all OPTIONAL, plain encoding, uncompressed, one data page per column and row group
// of up to 2^20 rows. Runs on a libuv worker thread (a Promise of the row count), beside the JS stages.
#include <node_api.h>

#include <algorithm>
#include <sys/mman.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "csv_scan.h"
#include "napi_util.h"

namespace cfm {
namespace {

// Thrift compact protocol, the subset the Parquet footer and page headers need.
struct Thrift {
  std::string b;
  std::vector<int16_t> last{0};
  void varint(uint64_t v) {
    while (v >= 0x80) b += static_cast<char>((v & 0x7f) | 0x80), v >>= 7;
    b += static_cast<char>(v);
  }
  static uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
  void field(int16_t id, uint8_t type) {
    int16_t d = id - last.back();
    if (d > 0 && d <= 15) b += static_cast<char>((d << 4) | type);
    else b += static_cast<char>(type), varint(zigzag(id));
    last.back() = id;
  }
  void i32(int16_t id, int64_t v) { field(id, 5), varint(zigzag(v)); }
  void i64(int16_t id, int64_t v) { field(id, 6), varint(zigzag(v)); }
  void str(int16_t id, const std::string& s) { field(id, 8), varint(s.size()), b += s; }
  void begin(int16_t id) { field(id, 12), last.push_back(0); }  // struct field
  void beginElem() { last.push_back(0); }                      // struct as a list element
  void end() { b += '\0', last.pop_back(); }
  void list(int16_t id, uint8_t elemType, size_t n) {
    field(id, 9);
    if (n < 15) b += static_cast<char>((n << 4) | elemType);
    else b += static_cast<char>(0xf0 | elemType), varint(n);
  }
};

enum PType { INT32 = 1, INT64 = 2, DOUBLE = 5, BYTE_ARRAY = 6 };
struct Column {
  const char* name;
  PType type;
  int converted;  // -1 none, 0 UTF8, 15 INT_8
};
const Column COLUMNS[] = {{"file_id", INT32, -1},   {"rec", INT64, -1},     {"customer_id", BYTE_ARRAY, 0},
                          {"item_id", BYTE_ARRAY, 0}, {"ts", INT64, -1},    {"type", INT32, 15},
                          {"session_id", BYTE_ARRAY, 0}, {"position", INT32, -1}, {"page", INT32, -1},
                          {"query", BYTE_ARRAY, 0},  {"price", DOUBLE, -1}};
constexpr int NOUT = sizeof COLUMNS / sizeof COLUMNS[0];

struct ColumnBuf {
  std::string values;
  std::vector<uint8_t> defined;  // 1 per row
  size_t nulls = 0;
  void add(const void* p, size_t n) { values.append(static_cast<const char*>(p), n), defined.push_back(1); }
  void null() { defined.push_back(0), nulls++; }
  void text(std::string_view s) {
    uint32_t n = static_cast<uint32_t>(s.size());
    values.append(reinterpret_cast<const char*>(&n), 4), values.append(s.data(), s.size()), defined.push_back(1);
  }
  // definition levels (bit width 1), RLE / bit-packed hybrid, with their 4-byte length
  std::string levels() const {
    Thrift t;
    size_t n = defined.size();
    if (nulls == 0 || nulls == n) t.varint(n << 1), t.b += static_cast<char>(nulls ? 0 : 1);
    else {
      size_t groups = (n + 7) / 8;
      t.varint((groups << 1) | 1);
      for (size_t g = 0; g < groups; g++) {
        uint8_t byte = 0;
        for (size_t k = 0; k < 8 && g * 8 + k < n; k++) byte |= defined[g * 8 + k] << k;
        t.b += static_cast<char>(byte);
      }
    }
    uint32_t len = static_cast<uint32_t>(t.b.size());
    return std::string(reinterpret_cast<const char*>(&len), 4) + t.b;
  }
};

struct ChunkMeta {
  int64_t offset, size, values;
};

struct Job {
  std::string csvPath, outPath, error;
  ScanSpec spec;
  int64_t rows = 0;
  napi_deferred deferred;
  napi_async_work work;
};

// One row group: the lines [from, to) of the file as the pages of the 11 columns (page header + levels + values).
struct Group {
  size_t from, to, rows = 0;
  std::string error;
  std::string pages[NOUT];
  bool done = false;
};

void buildGroup(const MappedCsv& csv, const ScanSpec& spec, Group& g) {
  ColumnBuf cols[NOUT];
  // (room for this group's lines at 16 bytes or more each: no regrowth of the value buffers)
  size_t expect = (g.to - g.from) / 16 + 1;
  for (auto& c : cols) c.defined.reserve(expect), c.values.reserve(expect * 8);
  Row row;
  const char* why = nullptr;
  size_t n = 0;
  const char* end = csv.data + g.to;
  for (const char* q = csv.data + g.from; q < end; n++) {
    const char* nl = static_cast<const char*>(memchr(q, '\n', end - q));
    const char* e = nl ? nl : end;
    if (!parseLine(q, e, spec, row, &why)) return void(g.error = std::string("line not plain: ") + why);
    int32_t zero = 0, type = row.type;
    cols[0].add(&zero, 4);
    cols[1].null();
    cols[2].text(row.f[CUSTOMER]);
    cols[3].text(row.f[ITEM]);
    cols[4].add(&row.ts, 8);
    cols[5].add(&type, 4);
    row.f[SESSION].empty() ? cols[6].null() : cols[6].text(row.f[SESSION]);
    row.hasPosition ? cols[7].add(&row.position, 4) : cols[7].null();
    row.hasPage ? cols[8].add(&row.page, 4) : cols[8].null();
    row.f[QUERY].empty() ? cols[9].null() : cols[9].text(row.f[QUERY]);
    row.hasPrice ? cols[10].add(&row.price, 8) : cols[10].null();
    q = e + 1;
  }
  g.rows = n;
  for (int c = 0; c < NOUT; c++) {
    std::string levels = cols[c].levels();
    size_t bodySize = levels.size() + cols[c].values.size();
    Thrift h;
    h.i32(1, 0);  // DATA_PAGE
    h.i32(2, static_cast<int64_t>(bodySize));
    h.i32(3, static_cast<int64_t>(bodySize));
    h.begin(5);
    h.i32(1, static_cast<int64_t>(n));
    h.i32(2, 0);  // PLAIN
    h.i32(3, 3);  // RLE definition levels
    h.i32(4, 3);  // RLE repetition levels (none)
    h.end();
    h.b += '\0';
    std::string& page = g.pages[c];
    page.reserve(h.b.size() + bodySize);
    page += h.b, page += levels, page += cols[c].values;
    std::string().swap(cols[c].values);
  }
}

// Row groups of ~64 MB of lines, built by two threads and written in file order by this one (at most 4 built ahead).
void writeAll(Job& job) {
  MappedCsv csv;
  if (!csv.open(job.csvPath)) return void(job.error = csv.error);
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(job.outPath.c_str(), "wb"), fclose);
  if (!f) return void(job.error = "cannot write " + job.outPath);
  int64_t pos = 0;
  auto put = [&](const std::string& s) { fwrite(s.data(), 1, s.size(), f.get()), pos += s.size(); };
  put("PAR1");
  const size_t target = size_t(64) << 20;
  std::vector<Group> parts;
  for (size_t from = csv.bodyStart; from < csv.size;) {
    size_t to = std::min(csv.size, from + target);
    if (to < csv.size) {
      const void* nl = memchr(csv.data + to, '\n', csv.size - to);
      to = nl ? static_cast<const char*>(nl) - csv.data + 1 : csv.size;
    }
    parts.push_back(Group{from, to});
    from = to;
  }
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0, written = 0;
  auto worker = [&] {
    for (;;) {
      size_t k;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return next >= parts.size() || next < written + 4; });
        if (next >= parts.size()) return;
        k = next++;
      }
      buildGroup(csv, job.spec, parts[k]);
      {
        std::lock_guard<std::mutex> lock(mu);
        parts[k].done = true;
      }
      cv.notify_all();
    }
  };
  std::thread a(worker), b(worker);
  std::vector<std::vector<ChunkMeta>> groups;
  std::vector<int64_t> groupRowsList;
  size_t dropped = 0;
  for (size_t k = 0; k < parts.size(); k++) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return parts[k].done; });
    }
    Group& g = parts[k];
    if (!g.error.empty()) {
      if (job.error.empty()) job.error = g.error;
    } else if (job.error.empty()) {
      std::vector<ChunkMeta> metas;
      for (int c = 0; c < NOUT; c++) {
        metas.push_back({pos, static_cast<int64_t>(g.pages[c].size()), static_cast<int64_t>(g.rows)});
        put(g.pages[c]);
        std::string().swap(g.pages[c]);
      }
      groups.push_back(std::move(metas));
      groupRowsList.push_back(static_cast<int64_t>(g.rows));
      job.rows += g.rows;
    }
    // the lines of this row group are done: their pages leave this process (a 10M-event file is ~480 MB)
    size_t done = g.to & ~size_t(4095);
    if (done > dropped) madvise(const_cast<char*>(csv.data) + dropped, done - dropped, MADV_DONTNEED), dropped = done;
    {
      std::lock_guard<std::mutex> lock(mu);
      written = k + 1;
    }
    cv.notify_all();
  }
  a.join(), b.join();
  if (!job.error.empty()) return;
  Thrift m;
  m.i32(1, 1);
  m.list(2, 12, NOUT + 1);
  m.beginElem();
  m.str(4, "duckdb_schema");
  m.i32(5, NOUT);
  m.end();
  for (const Column& c : COLUMNS) {
    m.beginElem();
    m.i32(1, c.type);
    m.i32(3, 1);  // OPTIONAL
    m.str(4, c.name);
    if (c.converted >= 0) m.i32(6, c.converted);
    m.end();
  }
  m.i64(3, job.rows);
  m.list(4, 12, groups.size());
  for (size_t g = 0; g < groups.size(); g++) {
    m.beginElem();
    m.list(1, 12, NOUT);
    int64_t total = 0;
    for (int c = 0; c < NOUT; c++) {
      const ChunkMeta& cm = groups[g][c];
      total += cm.size;
      m.beginElem();
      m.i64(2, cm.offset);
      m.begin(3);
      m.i32(1, COLUMNS[c].type);
      m.list(2, 5, 2);
      m.varint(Thrift::zigzag(0));  // PLAIN
      m.varint(Thrift::zigzag(3));  // RLE
      m.list(3, 8, 1);
      m.varint(strlen(COLUMNS[c].name));
      m.b += COLUMNS[c].name;
      m.i32(4, 0);  // UNCOMPRESSED
      m.i64(5, cm.values);
      m.i64(6, cm.size);
      m.i64(7, cm.size);
      m.i64(9, cm.offset);
      m.end();
      m.end();
    }
    m.i64(2, total);
    m.i64(3, groupRowsList[g]);
    m.end();
  }
  m.str(6, "cfm native csv scan");
  m.b += '\0';
  put(m.b);
  uint32_t len = static_cast<uint32_t>(m.b.size());
  put(std::string(reinterpret_cast<const char*>(&len), 4));
  put("PAR1");
  if (fflush(f.get()) != 0) job.error = "write failed: " + job.outPath;
}

void Execute(napi_env, void* data) { writeAll(*static_cast<Job*>(data)); }

void Complete(napi_env env, napi_status, void* data) {
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  napi_value v;
  if (job->error.empty()) {
    napi_create_double(env, static_cast<double>(job->rows), &v);
    napi_resolve_deferred(env, job->deferred, v);
  } else {
    napi_value msg;
    napi_create_string_utf8(env, job->error.data(), job->error.size(), &msg);
    napi_create_error(env, nullptr, msg, &v);
    napi_reject_deferred(env, job->deferred, v);
  }
  napi_delete_async_work(env, job->work);
}

// writeParquet(csvPath, outPath, delim, ncols, index: Int32Array(9), maxTs, types: string[], nullTokens: string[]) → Promise<rows>
napi_value WriteParquet(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  auto job = std::make_unique<Job>();
  job->csvPath = stringArg(env, argv[0]);
  job->outPath = stringArg(env, argv[1]);
  job->spec = specArgs(env, argv + 2);
  return queueJob(env, job.release(), "cfm-parquet", Execute, Complete);
}

}  // namespace

void registerParquet(napi_env env, napi_value exports) { exportFunction(env, exports, "writeParquet", WriteParquet); }

}  // namespace cfm
