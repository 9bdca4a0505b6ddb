// The clean-CSV fast path of @cfm/data: a contract events CSV read outside DuckDB when every row of it is plain
// (docs/data.md, "Native scan"). Shared by the scan (csv_scan.cc) and the Parquet writer (parquet_write.cc).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace cfm {

// Contract columns, in EVENT_COLUMNS order (required, then optional).
enum Col { CUSTOMER, ITEM, TS, EVENT_TYPE, SESSION, POSITION, PAGE, QUERY, PRICE, NCOL };

// The file mapped read-only, with its data rows (after the header line).
struct MappedCsv {
  const char* data = nullptr;
  size_t size = 0;
  size_t bodyStart = 0;  // first byte after the header line
  std::string error;
  bool open(const std::string& path);
  ~MappedCsv();
};

struct ScanSpec {
  char delim = ',';
  int ncols = 0;        // fields per line (the header's)
  int index[NCOL];      // field index of each contract column, -1 when absent
  int64_t maxTs = 0;    // ts accepted in [0, maxTs]
  std::vector<std::string> types;  // event types in vocabulary order (code = position + 4)
  std::vector<std::string> nullTokens;  // a field equal to one is null to DuckDB: the file goes there
  uint64_t tokenLengths = 0;            // bit n: some null token has n bytes (1..63)
  uint8_t special[256] = {};       // bytes that end a field or send the file to DuckDB: delim, '"', '\r'
  void finish() {
    special[static_cast<uint8_t>(delim)] = special['"'] = special['\r'] = 1;
    for (const auto& t : nullTokens) tokenLengths |= t.size() >= 1 && t.size() < 64 ? uint64_t{1} << t.size() : 0;
  }
};

// One data line's fields, checked. `why` is set (and false returned) when the line is not plain.
struct Row {
  std::string_view f[NCOL];  // empty view: absent or empty field (NULL)
  int64_t ts = 0;
  int type = 0;
  int32_t position = 0, page = 0;
  double price = 0;
  bool hasPosition = false, hasPage = false, hasPrice = false;
};

bool parseLine(const char* p, const char* end, const ScanSpec& spec, Row& row, const char** why);

// Data lines of [from, to) as [start, end) pairs, splitting the body into `parts` ranges at line starts.
std::vector<size_t> splitAtLines(const MappedCsv& csv, int parts);

}  // namespace cfm
