#include "proc/proc_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include "error.h"
#include "proc/read_ahead.h"
#include "proc/whole_file.h"

namespace sockscope::proc {
namespace {

// seq_file hands out a page per read(). What fits in the head is read on the caller's thread
// alone; a longer file is read ahead on another (read_ahead.h). A line may be up to 1 MiB long.
constexpr size_t kHeadBytes = 64 << 10;
constexpr size_t kMaxLine = 1 << 20;
// Reading ahead pays on large tables only: in a small one the sockets' kernel data stays in the
// cache of the one core that reads them, and a second reader only moves it (see docs/design.md).
constexpr uint64_t kReadAheadRows = 50000;
constexpr uint64_t kRowBytes = 150;  // a tcp line is 150 bytes, tcp6 178, udp 128
constexpr uint64_t kMinRowBytes = 32;  // below any line the walker accepts (those end at the inode)
constexpr size_t kHintBytes = 16 << 10;  // a sockstat file is about 200 bytes

struct Row {
  uint8_t state;
  uint8_t local[16], remote[16];
  uint16_t local_port, remote_port;
  uint32_t send_q, recv_q, uid, inode;
  uint8_t timer;
  uint32_t timer_expires;
  uint8_t retransmits;
};

// A cursor over one line; every step either advances or records what it expected.
struct Cursor {
  const char* p;
  const char* end;  // the line's '\n'
  const char* expected = nullptr;

  bool fail(const char* what) {
    if (!expected) expected = what;
    return false;
  }
  void skip_spaces() {
    while (p < end && *p == ' ') ++p;
  }
  bool literal(char c, const char* what) {
    if (p < end && *p == c) return ++p, true;
    return fail(what);
  }
};

// A digit's value, or -1. A table, not comparisons: the kernel's hex mixes digits and letters at
// random, so a branch per character mispredicts often.
struct HexDigits {
  int8_t value[256];
  constexpr HexDigits() : value() {
    for (int c = 0; c < 256; ++c)
      value[c] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
                 : c >= 'A' && c <= 'F' ? static_cast<int8_t>(c - 'A' + 10)
                 : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
                                        : int8_t{-1};
  }
};
constexpr HexDigits kHexDigits;

int hex_digit(char c) { return kHexDigits.value[static_cast<uint8_t>(c)]; }

// 1..max_digits hex digits into a uint64.
bool hex(Cursor& c, int max_digits, uint64_t& out, const char* what) {
  out = 0;
  int n = 0;
  for (int d; c.p < c.end && (d = hex_digit(*c.p)) >= 0; ++c.p, ++n) {
    if (n == max_digits) return c.fail(what);
    out = out << 4 | static_cast<uint64_t>(d);
  }
  return n > 0 || c.fail(what);
}

bool hex32(Cursor& c, uint32_t& out, const char* what) {
  uint64_t v;
  if (!hex(c, 8, v, what)) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

bool dec(Cursor& c, uint64_t max, uint64_t& out, const char* what) {
  out = 0;
  const char* start = c.p;
  for (; c.p < c.end && *c.p >= '0' && *c.p <= '9'; ++c.p) {
    out = out * 10 + static_cast<uint64_t>(*c.p - '0');
    if (out > max) return c.fail(what);
  }
  return c.p > start || c.fail(what);
}

// The kernel prints each 32-bit word of an address with %08X of its host-order value, so
// storing each parsed word in host order gives back the network-order bytes.
bool address(Cursor& c, int words, uint8_t* out, const char* what) {
  std::memset(out, 0, 16);
  if (c.end - c.p < 8 * words) return c.fail(what);
  for (int w = 0; w < words; ++w) {
    uint32_t word = 0;
    int bad = 0;  // any digit's -1 sets the sign bit: one test per word, not one per digit
    for (int i = 0; i < 8; ++i, ++c.p) {
      int d = hex_digit(*c.p);
      bad |= d;
      word = word << 4 | static_cast<uint32_t>(d & 15);
    }
    if (bad < 0) return c.fail(what);
    std::memcpy(out + 4 * w, &word, 4);
  }
  return true;
}

bool endpoint(Cursor& c, int words, uint8_t* addr, uint16_t& port, const char* what) {
  uint64_t v;
  c.skip_spaces();
  if (!address(c, words, addr, what) || !c.literal(':', what) || !hex(c, 4, v, what))
    return false;
  port = static_cast<uint16_t>(v);
  return true;
}

// clock_t ticks (USER_HZ), printed as a long in hex: negative means already expired.
uint32_t ticks_to_ms(uint64_t raw, int digits_were_wide) {
  int64_t ticks = digits_were_wide ? static_cast<int64_t>(raw) : static_cast<int32_t>(raw);
  if (ticks <= 0) return 0;
  static_assert(sizeof(long) == 8, "64-bit long expected");
  uint64_t ms;  // saturates: a huge tick count (16 hex digits) must not wrap to a small one
  if (__builtin_mul_overflow(static_cast<uint64_t>(ticks), 1000u, &ms)) return UINT32_MAX;
  static const uint64_t ticks_per_second = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  ms /= ticks_per_second;
  return ms > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(ms);
}

// "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ..."
// Fields after the inode differ between TCP, UDP, TIME_WAIT and request sockets: ignored.
bool parse_line(Cursor& c, int words, Row& r) {
  uint64_t v, state, timer, retrans, uid, inode;
  c.skip_spaces();
  if (!dec(c, UINT32_MAX, v, "slot number") || !c.literal(':', "':' after the slot number"))
    return false;
  if (!endpoint(c, words, r.local, r.local_port, "local address:port") ||
      !endpoint(c, words, r.remote, r.remote_port, "remote address:port"))
    return false;
  c.skip_spaces();
  if (!hex(c, 2, state, "state")) return false;
  c.skip_spaces();
  if (!hex32(c, r.send_q, "tx_queue") || !c.literal(':', "':' in tx_queue:rx_queue") ||
      !hex32(c, r.recv_q, "rx_queue"))
    return false;
  c.skip_spaces();
  const char* when_start;
  if (!hex(c, 2, timer, "timer") || !c.literal(':', "':' in tr:tm->when") ||
      (when_start = c.p, !hex(c, 16, v, "timer expiry")))
    return false;
  r.timer_expires = ticks_to_ms(v, c.p - when_start > 8);
  c.skip_spaces();
  if (!hex(c, 8, retrans, "retransmits") || retrans > UINT8_MAX) return c.fail("retransmits");
  c.skip_spaces();
  if (!dec(c, UINT32_MAX, uid, "uid")) return false;
  c.skip_spaces();
  if (c.p < c.end && *c.p == '-') ++c.p;  // the probe/timeout count is a signed int
  if (!dec(c, UINT32_MAX, v, "timeout")) return false;
  c.skip_spaces();
  if (!dec(c, UINT32_MAX, inode, "inode")) return false;
  if (c.p < c.end && *c.p != ' ') return c.fail("space after the inode");
  r.state = static_cast<uint8_t>(state);
  r.timer = static_cast<uint8_t>(timer);
  r.retransmits = static_cast<uint8_t>(retrans);
  r.uid = static_cast<uint32_t>(uid);
  r.inode = static_cast<uint32_t>(inode);
  return true;
}

Error parse_error(const std::string& name, size_t line, const std::string& what) {
  Error e;
  e.code = "ERR_PROC_PARSE";
  e.message = name + ":" + std::to_string(line) + ": " + what;
  return e;
}

// Walks the complete lines of `data`; `consumed` says where the unfinished tail starts.
struct Walker {
  Table table;
  const RowFilter& filter;
  const std::string& name;
  size_t line_no = 0;

  template <typename Sink>
  Error walk(const char* data, size_t len, bool at_eof, size_t& consumed, Sink&& sink) {
    const int words = table_family(table) == 4 ? 1 : 4;
    const char* p = data;
    const char* end = data + len;
    for (const char* nl; (nl = static_cast<const char*>(std::memchr(p, '\n', end - p)));
         p = nl + 1) {
      if (++line_no == 1) continue;  // the header
      if (static_cast<size_t>(nl - p) >= kMaxLine) return parse_error(name, line_no, "line longer than the read buffer");
      Cursor c{p, nl};
      Row r;
      if (!parse_line(c, words, r))
        return parse_error(name, line_no, std::string("malformed line: expected ") + c.expected);
      if (r.state == kNewSynRecv) r.state = kSynRecv;
      if (r.state == 0 || r.state > kMaxState) {
        Error e = parse_error(name, line_no, "unknown socket state 0x" + hex_text(r.state));
        e.code = "ERR_UNKNOWN_STATE";
        return e;
      }
      if ((filter.states & (1u << r.state)) && filter.ports.matches(r.local_port, r.remote_port))
        sink(r);
    }
    consumed = static_cast<size_t>(p - data);
    if (at_eof && p != end)
      return parse_error(name, line_no + 1, "truncated line (no newline at the end)");
    return {};
  }

  static std::string hex_text(uint8_t v) {
    const char* digits = "0123456789ABCDEF";
    return {digits[v >> 4], digits[v & 15]};
  }
};

void append(SocketTable& t, Table table, const Row& r) {
  t.protocol.push_back(table_protocol(table));
  t.family.push_back(table_family(table));
  t.state.push_back(r.state);
  append_address(t.local_address, r.local, 16);
  append_address(t.remote_address, r.remote, 16);
  t.local_port.push_back(r.local_port);
  t.remote_port.push_back(r.remote_port);
  t.recv_q.push_back(r.recv_q);
  t.send_q.push_back(r.send_q);
  t.uid.push_back(r.uid);
  t.inode.push_back(r.inode);
  t.timer.push_back(r.timer);
  t.timer_expires.push_back(r.timer_expires);
  t.retransmits.push_back(r.retransmits);
}

// Appends one read() to buf[have..], with room for a page at least: 0, or read()'s errno.
int read_some(int fd, std::vector<char>& buf, size_t& have, bool& eof) {
  if (buf.size() - have < kHeadBytes) buf.resize(have + kHeadBytes);
  ssize_t n;
  do n = read(fd, buf.data() + have, buf.size() - have);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  eof = n == 0;
  have += static_cast<size_t>(n);
  return 0;
}

// Streams one file to the walker: the head on this thread, and, when the file goes on past it,
// the rest from a read-ahead thread, so the kernel formats while this thread parses. Only the
// unfinished last line is carried from one chunk to the next.
template <typename Sink>
Error read_file(const std::string& path, Walker& walker, Sink&& sink, bool& missing, uint64_t expected_rows) {
  int fd;
  struct stat st;
  if (Error e = open_input(path, fd, st)) {
    missing = e.errnum == ENOENT;
    return e;
  }
  std::vector<char> buf(kHeadBytes);
  size_t have = 0;
  bool eof = false;
  int errnum = 0;
  // A small table ends within the head: no thread is started for it.
  while (!eof && !errnum && have < kHeadBytes) errnum = read_some(fd, buf, have, eof);
  // A file of the size of a fixture's says how long it is; /proc's say 0 (their sockstat tells).
  if (st.st_size > 0) expected_rows = std::max<uint64_t>(expected_rows, st.st_size / kRowBytes);
  std::unique_ptr<ReadAhead> ahead;
  if (!eof && !errnum && expected_rows >= kReadAheadRows) {
    try {
      ahead = std::make_unique<ReadAhead>(fd);
    } catch (const std::system_error&) {
      // No thread to be had (EAGAIN): read on this one, as a small table is.
    }
  }
  Error err;
  for (;;) {
    if (errnum) {
      err = syscall_error("read", "read " + path, errnum);
      break;
    }
    size_t consumed = 0;
    if ((err = walker.walk(buf.data(), have, eof, consumed, sink)) || eof) break;
    if (have - consumed >= kMaxLine) {
      err = parse_error(path, walker.line_no + 1, "line longer than the read buffer");
      break;
    }
    std::memmove(buf.data(), buf.data() + consumed, have - consumed);
    have -= consumed;
    errnum = ahead ? ahead->next(buf, have, eof) : read_some(fd, buf, have, eof);
  }
  ahead.reset();  // joins the thread before its fd goes
  close(fd);
  return err;
}

// The number after `key` on the line of `data` that starts with `line`, or 0.
uint64_t sockstat_field(const std::string& data, const std::string& line, const std::string& key) {
  size_t at = data.compare(0, line.size(), line) == 0 ? 0 : data.find("\n" + line);
  if (at == std::string::npos) return 0;
  size_t eol = data.find('\n', at + 1);
  size_t k = data.find(" " + key + " ", at);
  if (k == std::string::npos || k > eol) return 0;
  uint64_t v = 0;
  for (size_t i = k + key.size() + 2; i < data.size() && data[i] >= '0' && data[i] <= '9' && v < (1ull << 40); ++i)
    v = v * 10 + static_cast<uint64_t>(data[i] - '0');
  return v;
}

// How many rows each table will hold, from the kernel's own counts in sockstat (0 where the
// root has none, as a fixture directory). A hint only, never an error: it sizes the columns
// once instead of growing them by doubling (a large table's copies are a good share of its read),
// and says whether a table is large enough to read ahead. Only the tables in `tables` are
// counted, so a read does not stat files it will not open.
std::array<uint64_t, kTableCount> table_rows(const std::string& root, TableMask tables) {
  std::string v4, v6;
  // A hint: a file not there counts none.
  if ((tables & ((1u << kTcp) | (1u << kUdp))) && read_whole_file(root + "/sockstat", v4, kHintBytes)) v4.clear();
  if ((tables & ((1u << kTcp6) | (1u << kUdp6))) && read_whole_file(root + "/sockstat6", v6, kHintBytes)) v6.clear();
  std::array<uint64_t, kTableCount> rows{};
  rows[kTcp] = sockstat_field(v4, "TCP:", "inuse") + sockstat_field(v4, "TCP:", "tw");
  rows[kTcp6] = sockstat_field(v6, "TCP6:", "inuse");
  rows[kUdp] = sockstat_field(v4, "UDP:", "inuse");
  rows[kUdp6] = sockstat_field(v6, "UDP6:", "inuse");
  for (int t = 0; t < kTableCount; ++t) {
    if (!(tables & (1u << t))) {
      rows[t] = 0;
      continue;
    }
    // A fixture's table says how long it is (/proc's say 0), which bounds a sockstat beside it.
    struct stat st;
    std::string path = root + "/" + table_file_name(static_cast<Table>(t));
    if (stat(path.c_str(), &st) == 0 && st.st_size > 0) rows[t] = std::min<uint64_t>(rows[t], st.st_size / kMinRowBytes);
    rows[t] = std::min<uint64_t>(rows[t], 1u << 24);
  }
  return rows;
}

template <typename MakeSink>
Error read_each(const ReadRequest& req, const std::array<uint64_t, kTableCount>& rows, MakeSink&& make_sink) {
  for (int i = 0; i < kTableCount; ++i) {
    Table t = static_cast<Table>(i);
    if (!(req.tables & (1u << t))) continue;
    std::string path = req.root + "/" + table_file_name(t);
    Walker walker{t, req.filter, path};
    bool missing = false;
    Error err = read_file(path, walker, make_sink(t), missing, rows[t]);
    if (err && !(missing && (req.optional_tables & (1u << t)))) return err;
  }
  return {};
}

}  // namespace

const char* table_file_name(Table table) {
  static const char* const names[] = {"tcp", "tcp6", "udp", "udp6"};
  return names[table];
}

Error parse_table(const char* data, size_t len, Table table, const RowFilter& filter,
                  const std::string& name, SocketTable& out) {
  Walker walker{table, filter, name};
  size_t consumed;
  return walker.walk(data, len, true, consumed, [&](const Row& r) { append(out, table, r); });
}

Error count_table(const char* data, size_t len, Table table, const RowFilter& filter,
                  const std::string& name, StateCounts& counts) {
  Walker walker{table, filter, name};
  size_t consumed;
  return walker.walk(data, len, true, consumed, [&](const Row& r) { ++counts[r.state]; });
}

namespace {

// The rows of `tables` together, with room for a few more than counted: sockets opened
// meanwhile, and request sockets, which sockstat does not count.
uint64_t room_for(const std::array<uint64_t, kTableCount>& rows, TableMask tables) {
  uint64_t total = 0;
  for (int t = 0; t < kTableCount; ++t)
    if (tables & (1u << t)) total += rows[t];
  return total ? total + total / 16 + 64 : 0;
}

}  // namespace

uint64_t expected_rows(const std::string& root, TableMask tables) { return room_for(table_rows(root, tables), tables); }

Error read_tables(const ReadRequest& req, SocketTable& out) {
  auto rows = table_rows(req.root, req.tables);
  if (req.filter.states == kAllStates && req.filter.ports.empty())
    out.reserve(static_cast<size_t>(room_for(rows, req.tables)), /*with_cookie=*/false);
  return read_each(req, rows, [&](Table t) { return [&out, t](const Row& r) { append(out, t, r); }; });
}

Error count_groups(const ReadRequest& req, aggregate::GroupCounter& out) {
  out.clear();
  Error e = read_each(req, table_rows(req.root, req.tables), [&](Table t) {
    return [&out, t](const Row& r) {
      aggregate::RowFields f;
      f.state = r.state, f.family = table_family(t), f.local_address = r.local, f.remote_address = r.remote;
      f.local_port = r.local_port, f.remote_port = r.remote_port, f.uid = r.uid;
      out.add(f);
    };
  });
  out.flush();
  return e;
}

Error count_states(const ReadRequest& req, StateCounts& counts) {
  return read_each(req, table_rows(req.root, req.tables), [&](Table) { return [&counts](const Row& r) { ++counts[r.state]; }; });
}

}  // namespace sockscope::proc
