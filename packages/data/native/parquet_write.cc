// writeParquet(): the validated events of a plain contract CSV (every line passed scan()) written as the ingest's
// events Parquet file: the columns of EVENTS_TABLE (file_id, rec, customer_id, item_id, ts, type, session_id,
// position, page, query, price), all OPTIONAL, plain encoding, uncompressed, one data page per column and row group
// of up to 2^20 rows. Runs on a libuv worker thread (a Promise of the row count), beside the JS stages.
#include <node_api.h>

#include <algorithm>
#include <sys/mman.h>

#include <cstdio>
#include <memory>

#include "csv_scan.h"

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

void writeAll(Job& job) {
  MappedCsv csv;
  if (!csv.open(job.csvPath)) return void(job.error = csv.error);
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(job.outPath.c_str(), "wb"), fclose);
  if (!f) return void(job.error = "cannot write " + job.outPath);
  int64_t pos = 0;
  auto put = [&](const std::string& s) { fwrite(s.data(), 1, s.size(), f.get()), pos += s.size(); };
  put("PAR1");
  const size_t groupRows = size_t(1) << 20;
  std::vector<std::vector<ChunkMeta>> groups;
  std::vector<int64_t> groupRowsList;
  const char* q = csv.data + csv.bodyStart;
  const char* eof = csv.data + csv.size;
  size_t dropped = 0;
  Row row;
  const char* why = nullptr;
  while (q < eof) {
    ColumnBuf cols[NOUT];
    // (room for a row group of this file's average line: no regrowth of the value buffers)
    size_t expect = std::min<size_t>(groupRows, (eof - q) / 16 + 1);
    for (auto& c : cols) c.defined.reserve(expect), c.values.reserve(expect * 8);
    size_t n = 0;
    for (; n < groupRows && q < eof; n++) {
      const char* nl = static_cast<const char*>(memchr(q, '\n', eof - q));
      const char* end = nl ? nl : eof;
      if (!parseLine(q, end, job.spec, row, &why)) return void(job.error = std::string("line not plain: ") + why);
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
      q = end + 1;
    }
    std::vector<ChunkMeta> metas;
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
      metas.push_back({pos, static_cast<int64_t>(h.b.size() + bodySize), static_cast<int64_t>(n)});
      put(h.b);
      put(levels);
      put(cols[c].values);
    }
    // the lines of this row group are done: their pages leave this process (a 10M-event file is ~480 MB)
    size_t done = (q - csv.data) & ~size_t(4095);
    if (done > dropped) madvise(const_cast<char*>(csv.data) + dropped, done - dropped, MADV_DONTNEED), dropped = done;
    groups.push_back(std::move(metas));
    groupRowsList.push_back(static_cast<int64_t>(n));
    job.rows += n;
  }
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

std::string stringArg(napi_env env, napi_value v) {
  size_t len;
  napi_get_value_string_utf8(env, v, nullptr, 0, &len);
  std::string s(len, '\0');
  napi_get_value_string_utf8(env, v, s.data(), len + 1, &len);
  return s;
}

// writeParquet(csvPath, outPath, delim, ncols, index: Int32Array(9), maxTs, types: string[]) → Promise<rows>
napi_value WriteParquet(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  auto job = std::make_unique<Job>();
  job->csvPath = stringArg(env, argv[0]);
  job->outPath = stringArg(env, argv[1]);
  int32_t i32;
  napi_get_value_int32(env, argv[2], &i32);
  job->spec.delim = static_cast<char>(i32);
  napi_get_value_int32(env, argv[3], &job->spec.ncols);
  void* idx;
  napi_get_typedarray_info(env, argv[4], nullptr, nullptr, &idx, nullptr, nullptr);
  for (int c = 0; c < NCOL; c++) job->spec.index[c] = static_cast<int32_t*>(idx)[c];
  double maxTs;
  napi_get_value_double(env, argv[5], &maxTs);
  job->spec.maxTs = static_cast<int64_t>(maxTs);
  uint32_t nt;
  napi_get_array_length(env, argv[6], &nt);
  for (uint32_t t = 0; t < nt; t++) {
    napi_value e;
    napi_get_element(env, argv[6], t, &e);
    job->spec.types.push_back(stringArg(env, e));
  }
  job->spec.finish();
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "cfm-parquet", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, Execute, Complete, job.get(), &job->work);
  napi_queue_async_work(env, job->work);
  job.release();
  return promise;
}

}  // namespace

void registerParquet(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "writeParquet", NAPI_AUTO_LENGTH, WriteParquet, nullptr, &f);
  napi_set_named_property(env, exports, "writeParquet", f);
}

}  // namespace cfm
