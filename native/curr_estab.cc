#include "curr_estab.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "proc/whole_file.h"

namespace sockscope {
namespace {

// The line that starts at p, and where the next one starts.
struct Line {
  const char* p;
  size_t len;
};

bool next_line(const char*& p, const char* end, Line& l) {
  if (p >= end) return false;
  const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  l = {p, static_cast<size_t>((nl ? nl : end) - p)};
  p = nl ? nl + 1 : end;
  return true;
}

bool starts_with(const Line& l, const char* prefix) {
  size_t n = std::strlen(prefix);
  return l.len >= n && std::memcmp(l.p, prefix, n) == 0;
}

// The idx-th space-separated field of l (0 = the "Tcp:" label).
bool field(const Line& l, size_t idx, const char*& f, size_t& flen) {
  const char *p = l.p, *end = l.p + l.len;
  for (size_t i = 0;; ++i) {
    while (p < end && *p == ' ') ++p;
    if (p == end) return false;
    const char* start = p;
    while (p < end && *p != ' ') ++p;
    if (i == idx) return f = start, flen = static_cast<size_t>(p - start), true;
  }
}

bool parse_count(const char* f, size_t len, uint64_t& out) {
  if (len == 0 || len > 19) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; ++i) {
    if (f[i] < '0' || f[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(f[i] - '0');
  }
  return out = v, true;
}

// Reads a small counter file (snmp is about 1.5 KiB, sockstat 200 bytes) and parses one value
// from it; a file without the field reads as EBADMSG.
Error read_counter(const std::string& path, bool (*parse)(const char*, size_t, uint64_t&), const char* field,
                   uint64_t& out) {
  std::string text;
  if (Error e = read_whole_file(path, text, 64 << 10)) return e;
  if (parse(text.data(), text.size(), out)) return {};
  return Error{EBADMSG, "EBADMSG", "read", path + ": no " + field + " field"};
}

}  // namespace

namespace estab {

bool parse_curr_estab(const char* text, size_t len, uint64_t& out) {
  const char *p = text, *end = text + len;
  Line header, values;
  while (next_line(p, end, header)) {
    if (!starts_with(header, "Tcp: ")) continue;
    if (!next_line(p, end, values) || !starts_with(values, "Tcp: ")) return false;
    const char* f;
    size_t flen;
    for (size_t i = 1; field(header, i, f, flen); ++i) {
      if (flen != 9 || std::memcmp(f, "CurrEstab", 9) != 0) continue;
      return field(values, i, f, flen) && parse_count(f, flen, out);
    }
    return false;
  }
  return false;
}

Error read_curr_estab(const std::string& path, uint64_t& out) {
  return read_counter(path, parse_curr_estab, "Tcp CurrEstab", out);
}

Meaning meaning_of_release(const char* release) {
  char* rest = nullptr;
  long major = std::strtol(release, &rest, 10);
  long minor = *rest == '.' ? std::strtol(rest + 1, nullptr, 10) : 0;
  bool since_6_10 = major > 6 || (major == 6 && minor >= 10);
  return since_6_10 ? Meaning::kEstablishedCloseWait : Meaning::kEstablished;
}

bool established(Meaning m, uint64_t counter, const StateCounts& others, uint64_t& out) {
  uint64_t close_wait = m == Meaning::kEstablishedCloseWait ? others[kCloseWait] : 0;
  if (counter < close_wait) return false;
  return out = counter - close_wait, true;
}

void Trust::check(uint64_t before, uint64_t after, const StateCounts& full) {
  if (before != after) return;  // sockets came or went during the dump: it proves nothing
  std::lock_guard<std::mutex> lock(m_);
  uint64_t est = full[kEstablished], cw = full[kCloseWait];
  auto holds = [&](Meaning m) { return before == (m == Meaning::kEstablishedCloseWait ? est + cw : est); };
  Meaning other = meaning_ == Meaning::kEstablished ? Meaning::kEstablishedCloseWait : Meaning::kEstablished;
  bool trusted = holds(meaning_) || (cw > 0 && holds(other));
  if (!holds(meaning_) && trusted) meaning_ = other;
  recheck_.decide(trusted);
}

Meaning Trust::meaning() {
  std::lock_guard<std::mutex> lock(m_);
  return meaning_;
}

}  // namespace estab

namespace timewait {

bool parse_sockstat_tw(const char* text, size_t len, uint64_t& out) {
  const char *p = text, *end = text + len;
  Line line;
  while (next_line(p, end, line)) {
    if (!starts_with(line, "TCP: ")) continue;
    const char* f;
    size_t flen;
    for (size_t i = 1; field(line, i, f, flen); i += 2) {
      if (flen != 2 || std::memcmp(f, "tw", 2) != 0) continue;
      return field(line, i + 1, f, flen) && parse_count(f, flen, out);
    }
    return false;
  }
  return false;
}

Error read_sockstat_tw(const std::string& path, uint64_t& out) {
  return read_counter(path, parse_sockstat_tw, "TCP tw", out);
}

void Trust::check(uint64_t before, uint64_t after, const StateCounts& full) {
  if (before != after) return;  // sockets came or went during the dump: it proves nothing
  std::lock_guard<std::mutex> lock(m_);
  recheck_.decide(before == full[kTimeWait]);
}

}  // namespace timewait
}  // namespace sockscope
