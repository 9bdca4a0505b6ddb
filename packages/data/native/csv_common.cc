// Mapping a contract CSV and checking one data line: the rules of the fast path, stricter than DuckDB's ingest
// (a line that is not plain sends the whole file to the DuckDB path, which quarantines and explains).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "csv_scan.h"

namespace cfm {

bool MappedCsv::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return error = "cannot open " + path, false;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return error = "empty or unreadable " + path, false;
  }
  size = static_cast<size_t>(st.st_size);
  // (MAP_POPULATE: the pages are mapped in one go by the kernel, not faulted in one by one by the first pass)
  void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return error = "cannot map " + path, size = 0, false;
  data = static_cast<const char*>(m);
  madvise(m, size, MADV_SEQUENTIAL);
  const void* nl = memchr(data, '\n', size);
  if (!nl) return error = "no data lines", false;
  bodyStart = static_cast<const char*>(nl) - data + 1;
  return true;
}

MappedCsv::~MappedCsv() {
  if (data) munmap(const_cast<char*>(data), size);
}

std::vector<size_t> splitAtLines(const MappedCsv& csv, int parts) {
  std::vector<size_t> at{csv.bodyStart};
  size_t body = csv.size - csv.bodyStart;
  for (int k = 1; k < parts; k++) {
    size_t guess = csv.bodyStart + body * k / parts;
    if (guess <= at.back()) continue;
    const void* nl = memchr(csv.data + guess, '\n', csv.size - guess);
    size_t b = nl ? static_cast<const char*>(nl) - csv.data + 1 : csv.size;
    if (b > at.back() && b < csv.size) at.push_back(b);
  }
  at.push_back(csv.size);
  return at;
}

namespace {
// printable ASCII: no space (ids) or with inner spaces (query text)
bool idText(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}
bool plainText(std::string_view s) {
  if (s.front() == ' ' || s.back() == ' ') return false;
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}
bool digits(std::string_view s, size_t maxLen, int64_t& v) {
  if (s.empty() || s.size() > maxLen) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  return true;
}
// digits with an optional fraction (no sign, exponent, inf or nan); parsed correctly rounded by strtod
bool decimal(std::string_view s, double& v) {
  if (s.empty() || s.size() > 40) return false;
  size_t i = 0, n = s.size();
  while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  if (i == 0) return false;
  if (i < n) {
    if (s[i] != '.' || i + 1 == n) return false;
    for (size_t j = i + 1; j < n; j++)
      if (s[j] < '0' || s[j] > '9') return false;
  }
  // up to 15 significant digits: the integer of all digits and a power of ten up to 1e22 are both exact doubles, so
  // one division rounds correctly (as strtod would); longer numbers go to strtod
  if (n - (i < n) <= 15) {
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    int64_t m = 0;
    for (size_t j = 0; j < n; j++)
      if (s[j] != '.') m = m * 10 + (s[j] - '0');
    v = static_cast<double>(m) / pow10[i < n ? n - i - 1 : 0];
    return true;
  }
  char buf[48];
  memcpy(buf, s.data(), n);
  buf[n] = 0;
  v = strtod(buf, nullptr);
  return true;
}
}  // namespace

bool parseLine(const char* p, const char* end, const ScanSpec& spec, Row& row, const char** why) {
  if (p == end) return *why = "blank line", false;
  const char* fieldAt[65];  // field k is [fieldAt[k], fieldAt[k + 1] - 1) (not initialised: only the first ncols + 1 are used)
  if (spec.ncols > 64) return *why = "more than 64 columns", false;
  int k = 0;
  fieldAt[0] = p;
  const int ncols = spec.ncols;
  const uint8_t* special = spec.special;
  for (const char* q = p;; q++) {
    if (q == end || special[static_cast<uint8_t>(*q)]) {
      if (q != end && *q != spec.delim) return *why = "quote or carriage return", false;
      if (k == ncols) return *why = "more fields than the header", false;
      fieldAt[++k] = q + 1;
      if (q == end) break;
    }
  }
  if (k != spec.ncols) return *why = "fewer fields than the header", false;
  for (int c = 0; c < NCOL; c++) {
    int j = spec.index[c];
    row.f[c] = j < 0 ? std::string_view() : std::string_view(fieldAt[j], fieldAt[j + 1] - 1 - fieldAt[j]);
  }
  // a null token (other than the empty field) is null to DuckDB's reader, in any field
  if (spec.tokenLengths)
    for (int c = 0; c < NCOL; c++) {
      size_t n = row.f[c].size();
      if (n && n < 64 && (spec.tokenLengths >> n & 1))
        for (const auto& t : spec.nullTokens)
          if (row.f[c] == t) return *why = "a null token in a field", false;
    }
  if (!idText(row.f[CUSTOMER])) return *why = "customer_id not plain", false;
  if (!idText(row.f[ITEM])) return *why = "item_id not plain", false;
  if (!digits(row.f[TS], 15, row.ts) || row.ts > spec.maxTs) return *why = "ts not epoch ms in range", false;
  row.type = 0;
  for (size_t t = 0; t < spec.types.size(); t++)
    if (row.f[EVENT_TYPE] == spec.types[t]) row.type = static_cast<int>(t) + 4;
  if (!row.type) return *why = "event_type not known", false;
  if (!row.f[SESSION].empty() && !idText(row.f[SESSION])) return *why = "session_id not plain", false;
  int64_t v;
  row.hasPosition = !row.f[POSITION].empty();
  if (row.hasPosition && !digits(row.f[POSITION], 9, v)) return *why = "position not a plain integer", false;
  row.position = row.hasPosition ? static_cast<int32_t>(v) : 0;
  row.hasPage = !row.f[PAGE].empty();
  if (row.hasPage && !digits(row.f[PAGE], 9, v)) return *why = "page not a plain integer", false;
  row.page = row.hasPage ? static_cast<int32_t>(v) : 0;
  if (!row.f[QUERY].empty() && !plainText(row.f[QUERY])) return *why = "query not plain", false;
  row.hasPrice = !row.f[PRICE].empty();
  if (row.hasPrice && !decimal(row.f[PRICE], row.price)) return *why = "price not a plain decimal", false;
  return true;
}

}  // namespace cfm
