// Parsing of inet_diag dumps, libmnl style: every header is bounds-checked against a signed
// remaining length before it is read, so truncation shows up as a negative remainder.
#include "netlink/netlink_parse.h"

#include "error.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <string_view>

namespace sockscope::netlink {
namespace {

constexpr long kHdrLen = 16;      // struct nlmsghdr
constexpr long kErrLen = 20;      // struct nlmsgerr: int error + the request's nlmsghdr
constexpr long kDiagMsgLen = 72;  // struct inet_diag_msg
constexpr long kAttrHdrLen = 4;   // struct nlattr
constexpr double kNaN = NAN;
constexpr double kInfinity = INFINITY;

// inet_diag_msg field offsets (include/uapi/linux/inet_diag.h).
enum DiagOff : long {
  kFamily = 0, kState = 1, kTimer = 2, kRetrans = 3, kSport = 4, kDport = 6, kSrc = 8,
  kDst = 24, kCookie = 44, kExpires = 52, kRqueue = 56, kWqueue = 60, kUid = 64, kInode = 68,
};

long align4(long n) { return (n + 3) & ~3L; }

uint16_t ld16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
uint32_t ld32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint64_t ld64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
uint16_t ld_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void put16(std::vector<uint8_t>& b, uint16_t v) { b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)}); }
void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, uint16_t(v)); put16(b, uint16_t(v >> 16)); }

struct Span {
  const uint8_t* p = nullptr;
  long n = 0;
};

// The attributes a row may use; the rest are skipped.
struct Attrs {
  Span info, cong, mem;
};

// The per-message functions below return false with the error in `err`, rather than an Error:
// making and moving one (three strings) per call took a quarter of a table's parse (perf, 100k
// rows replayed).
bool fail(Error& err, Error e) {
  err = std::move(e);
  return false;
}

// Calls f(type, payload) for each attribute in [p, p+rem); malformed -> ERR_NETLINK_PARSE.
template <class F>
bool for_each_attr(const uint8_t* p, long rem, size_t off, Error& err, F&& f) {
  while (rem > 0) {
    if (rem < kAttrHdrLen) return fail(err, parse_error(off, "truncated attribute header"));
    long len = ld16(p);
    if (len < kAttrHdrLen) return fail(err, parse_error(off, "nla_len " + std::to_string(len) + " < 4"));
    if (len > rem) return fail(err, parse_error(off, "attribute runs past its message"));
    f(ld16(p + 2) & NLA_TYPE_MASK, Span{p + kAttrHdrLen, len - kAttrHdrLen});
    p += align4(len), off += align4(len), rem -= align4(len);
  }
  return true;
}

bool collect_attrs(const uint8_t* p, long rem, size_t off, Attrs& a, Error& err) {
  return for_each_attr(p, rem, off, err, [&a](uint16_t type, Span s) {
    if (type == INET_DIAG_INFO) a.info = s;
    if (type == INET_DIAG_CONG) a.cong = s;
    if (type == INET_DIAG_SKMEMINFO) a.mem = s;
  });
}

// Our own copy of the struct tcp_info layout (include/uapi/linux/tcp.h): an older kernel sends
// a shorter struct, and fields past its end read as NaN.
struct InfoField {
  long off, size;
  std::vector<double> TcpInfoColumns::*column;
};
constexpr InfoField kInfoFields[] = {
    {68, 4, &TcpInfoColumns::rtt},           {72, 4, &TcpInfoColumns::rttvar},
    {148, 4, &TcpInfoColumns::min_rtt},      {80, 4, &TcpInfoColumns::snd_cwnd},
    {76, 4, &TcpInfoColumns::snd_ssthresh},  {2, 1, &TcpInfoColumns::retransmits},
    {100, 4, &TcpInfoColumns::total_retrans}, {32, 4, &TcpInfoColumns::lost},
    {24, 4, &TcpInfoColumns::unacked},       {120, 8, &TcpInfoColumns::bytes_acked},
    {128, 8, &TcpInfoColumns::bytes_received}, {208, 8, &TcpInfoColumns::bytes_retrans},
    {160, 8, &TcpInfoColumns::delivery_rate}, {104, 8, &TcpInfoColumns::pacing_rate},
    {44, 4, &TcpInfoColumns::last_data_sent}, {52, 4, &TcpInfoColumns::last_data_recv},
};

// SK_MEMINFO_* order (include/uapi/linux/sock_diag.h).
constexpr std::vector<double> MemInfoColumns::*kMemFields[SK_MEMINFO_VARS] = {
    &MemInfoColumns::rmem_alloc, &MemInfoColumns::rcvbuf,    &MemInfoColumns::wmem_alloc,
    &MemInfoColumns::sndbuf,     &MemInfoColumns::fwd_alloc, &MemInfoColumns::wmem_queued,
    &MemInfoColumns::optmem,     &MemInfoColumns::backlog,   &MemInfoColumns::drops,
};

double read_field(Span s, long off, long size) {
  if (off + size > s.n) return kNaN;
  if (size == 1) return s.p[off];
  return size == 4 ? ld32(s.p + off) : static_cast<double>(ld64(s.p + off));
}

// The kernel's "no limit" sentinels, read as Infinity rather than as huge figures:
// TCP_INFINITE_SSTHRESH, and a pacing rate of ~0ULL (pacing off).
double unlimited(double v, const InfoField& f) {
  bool ssthresh = f.column == &TcpInfoColumns::snd_ssthresh && v == 0x7fffffff;
  bool pacing = f.column == &TcpInfoColumns::pacing_rate && v >= 18446744073709551615.0;
  return ssthresh || pacing ? kInfinity : v;
}

void append_info(TcpInfoColumns& c, Span s) {
  for (const InfoField& f : kInfoFields)
    (c.*f.column).push_back(unlimited(read_field(s, f.off, f.size), f));
}

void append_memory(MemInfoColumns& c, Span s) {
  for (long i = 0; i < SK_MEMINFO_VARS; ++i) (c.*kMemFields[i]).push_back(read_field(s, i * 4, 4));
}

// Index of the congestion name in the dictionary, adding it; 0 = none.
bool intern_congestion(TcpInfoColumns& c, Span s, size_t off, uint8_t& index, Error& err) {
  const char* text = reinterpret_cast<const char*>(s.p);
  std::string_view name(text, strnlen(text, s.n));  // NUL-terminated, or not, within the attribute
  size_t i = 0;
  while (i < c.congestion_names.size() && c.congestion_names[i] != name) ++i;
  if (i > 255) return fail(err, parse_error(off, "more than 255 congestion control names"));
  if (i == c.congestion_names.size()) c.congestion_names.emplace_back(name);
  index = static_cast<uint8_t>(i);
  return true;
}

// idiag_cookie is two host-order u32 halves, low first.
uint64_t cookie_of(const uint8_t* d) { return ld32(d + kCookie) | uint64_t{ld32(d + kCookie + 4)} << 32; }

// The decoded fields a row is checked with before it is stored.
struct Row {
  const uint8_t* d;
  uint8_t family, state;
  uint16_t sport, dport;
};

bool row_requested(const Walk& w, const Row& r) {
  int table = (kind_protocol(w.kind) == kProtoTcp ? kTcp : kUdp) + (r.family == 6);
  return (w.req->tables >> table & 1) && (w.states >> r.state & 1) &&
         ports_match(*w.req, r.sport, r.dport);
}

bool append_row(SocketTable& t, const Row& r, const Attrs& a, uint8_t protocol, size_t off, Error& err) {
  uint8_t cong = 0;
  if (t.has_info && a.cong.n > 0 && !intern_congestion(t.info, a.cong, off, cong, err)) return false;
  const uint8_t* d = r.d;
  t.protocol.push_back(protocol);
  t.family.push_back(r.family);
  t.state.push_back(r.state);
  append_address(t.local_address, d + kSrc, r.family == 4 ? 4 : 16);
  append_address(t.remote_address, d + kDst, r.family == 4 ? 4 : 16);
  t.local_port.push_back(r.sport);
  t.remote_port.push_back(r.dport);
  t.recv_q.push_back(ld32(d + kRqueue));
  t.send_q.push_back(ld32(d + kWqueue));
  t.uid.push_back(ld32(d + kUid));
  t.inode.push_back(ld32(d + kInode));
  t.timer.push_back(d[kTimer]);
  t.timer_expires.push_back(ld32(d + kExpires));
  t.retransmits.push_back(d[kRetrans]);
  t.cookie.push_back(cookie_of(d));
  if (t.has_info) append_info(t.info, a.info), t.info.congestion.push_back(cong);
  if (t.has_memory) append_memory(t.memory, a.mem);
  return true;
}

bool decode_row(const Msg& m, size_t off, Row& r, Error& err) {
  if (m.data_len < kDiagMsgLen)
    return fail(err, parse_error(off, "inet_diag_msg of " + std::to_string(m.data_len) + " bytes, 72 needed"));
  const uint8_t* d = m.data;
  if (d[kFamily] != AF_INET && d[kFamily] != AF_INET6)
    return fail(err, parse_error(off, "idiag_family " + std::to_string(d[kFamily]) + " is not AF_INET/AF_INET6"));
  uint8_t state = d[kState] == kNewSynRecv ? uint8_t{kSynRecv} : d[kState];
  if (state == 0 || state > kMaxState)
    return fail(err, parse_error(off, "idiag_state " + std::to_string(d[kState]) + " out of range"));
  r = Row{d, uint8_t(d[kFamily] == AF_INET ? 4 : 6), state, ld_be16(d + kSport), ld_be16(d + kDport)};
  return true;
}

bool on_row(Walk& w, const Msg& m, size_t off, Error& err) {
  Row r;
  Attrs a;
  Sink& s = *w.sink;
  if (!decode_row(m, off, r, err)) return false;
  // Only tcp_info and SK_MEMINFO come from attributes; a count or a base table reads none, so
  // it does not walk them: 7% of a count's CPU time at 100k sockets and a fifth of a table's
  // parse (perf), on the path every partition thread runs.
  bool attrs = s.table && (s.table->has_info || s.table->has_memory);
  if (attrs && !collect_attrs(m.data + kDiagMsgLen, m.data_len - kDiagMsgLen, off + kHdrLen + kDiagMsgLen, a, err))
    return false;
  if (!row_requested(w, r)) {
    ++s.filtered;
    return true;
  }
  if (s.histogram) s.histogram->add(r.sport, r.dport);
  if (s.cookies) s.cookies->cookie.push_back(cookie_of(r.d)), s.cookies->state.push_back(r.state);
  if (s.counts) {
    ++(*s.counts)[r.state];
    return true;
  }
  return !s.table || append_row(*s.table, r, a, kind_protocol(w.kind), off, err);
}

Error bad_message(size_t off, const std::string& what) {
  return Error{EBADMSG, "EBADMSG", "recvmsg", "netlink: " + what + " at byte " + std::to_string(off)};
}

// An errno the kernel sent, as a positive number; 0 if it is not one.
int kernel_errno(int32_t v) { return v < 0 && v > -4096 ? -v : 0; }

Error kernel_error(const Walk& w, int errnum, const char* where) {
  std::string text = errno_text(errnum);
  return Error{errnum, errno_name(errnum), "recvmsg",
               std::string("netlink: ") + where + " for the " + kind_name(w.kind) + " dump: " + text};
}

Error on_done(Walk& w, const Msg& m, size_t off) {
  w.done = true;
  if (m.data_len < 4) return bad_message(off, "NLMSG_DONE without its error code");
  int32_t v = static_cast<int32_t>(ld32(m.data));
  if (v >= 0) return {};
  int errnum = kernel_errno(v);
  return errnum ? kernel_error(w, errnum, "error in NLMSG_DONE") : bad_message(off, "NLMSG_DONE error " + std::to_string(v));
}

Error on_error(Walk& w, const Msg& m, size_t off) {
  w.done = true;
  if (m.data_len < kErrLen) return bad_message(off, "truncated nlmsgerr");
  int32_t v = static_cast<int32_t>(ld32(m.data));
  if (v == 0) return {};  // an ACK ends the exchange, as in libmnl
  int errnum = kernel_errno(v);
  return errnum ? kernel_error(w, errnum, "the kernel refused the request") : bad_message(off, "nlmsgerr error " + std::to_string(v));
}

bool on_msg(Walk& w, const Msg& m, size_t off, Error& err) {
  // Leftovers of an earlier, abandoned dump on a reused fd: not ours, skip them.
  if (m.seq != w.seq || m.pid != w.pid) return true;
  ++w.messages;
  if (m.flags & NLM_F_DUMP_INTR) w.interrupted = true;
  switch (m.type) {
    case NLMSG_DONE: return !(err = on_done(w, m, off));
    case NLMSG_ERROR: return !(err = on_error(w, m, off));
    case SOCK_DIAG_BY_FAMILY:
    case TCPDIAG_GETSOCK: return on_row(w, m, off, err);
    default: return true;  // NLMSG_NOOP and types we do not know
  }
}

// Bytecode: each op is {code, yes, no}; the kernel moves on by `yes` when the test holds,
// else by `no`, and accepts when it lands exactly on the end. Jumping 4 past the end rejects.
void emit_op(std::vector<uint8_t>& b, uint8_t code, uint8_t yes, uint16_t no) {
  b.push_back(code), b.push_back(yes), put16(b, no);
}

// A port comparison is the op plus a second op whose `no` holds the port (host order).
void emit_cmp(std::vector<uint8_t>& b, uint8_t code, uint16_t port, size_t no) {
  emit_op(b, code, 8, static_cast<uint16_t>(no));
  emit_op(b, 0, 0, port);
}

constexpr size_t kRangeLen = 16;  // GE + LE
constexpr size_t kJmpLen = 4;

size_t list_len(const std::vector<PortRange>& l) {
  return l.empty() ? 0 : l.size() * (kRangeLen + kJmpLen) - kJmpLen;
}

// OR of ranges: a hit jumps to the end of the list, a miss tries the next range; the last miss
// rejects (jumps 4 past the program's end, `total` bytes long).
void emit_list(std::vector<uint8_t>& b, const std::vector<PortRange>& l, uint8_t ge, uint8_t le, size_t total) {
  size_t end = b.size() + list_len(l);
  for (size_t i = 0; i < l.size(); ++i) {
    size_t at = b.size(), miss = i + 1 == l.size() ? total + 4 : at + kRangeLen + kJmpLen;
    emit_cmp(b, ge, l[i].lo, miss - at);
    emit_cmp(b, le, l[i].hi, miss - at - 8);
    if (i + 1 < l.size()) emit_op(b, INET_DIAG_BC_JMP, kJmpLen, static_cast<uint16_t>(end - b.size()));
  }
}

void put_header(std::vector<uint8_t>& b, uint16_t type, uint32_t seq) {
  put32(b, 0);  // nlmsg_len, patched when the message is complete
  put16(b, type);
  put16(b, NLM_F_REQUEST | NLM_F_DUMP);
  put32(b, seq);
  put32(b, 0);
}

// struct inet_diag_sockid for a dump: no address, no port, no cookie.
void put_sockid(std::vector<uint8_t>& b) {
  b.resize(b.size() + 40);
  put32(b, INET_DIAG_NOCOOKIE), put32(b, INET_DIAG_NOCOOKIE);
}

uint8_t extensions(const DumpRequest& req, Kind k) {
  uint8_t ext = 0;
  if (req.info && kind_protocol(k) == kProtoTcp) ext |= 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1);
  if (req.memory) ext |= 1 << (INET_DIAG_SKMEMINFO - 1);
  return ext;
}

void put_body(std::vector<uint8_t>& b, Kind k, const DumpRequest& req) {
  uint8_t ext = extensions(req, k);
  uint32_t states = effective_states(req.states);
  if (k == Kind::kTcpBoth) {  // struct inet_diag_req
    b.insert(b.end(), {AF_INET, 0, 0, ext});
    put_sockid(b);
    put32(b, states), put32(b, 0);
    return;
  }
  uint8_t family = (k == Kind::kTcp4 || k == Kind::kUdp4) ? AF_INET : AF_INET6;
  b.insert(b.end(), {family, kind_protocol(k), ext, 0});  // struct inet_diag_req_v2
  put32(b, states);
  put_sockid(b);
}

// One replay walk after another; the kind in each walk's seq says what its rows are. A walk
// of the kind that was just interrupted is the reader's restart: it replaces that walk.
Error replay_walks(const uint8_t* data, long len, const DumpRequest& req, Sink& sink, DumpStats& st) {
  long off = 0;
  Kind prev = Kind::kTcp4;
  bool prev_interrupted = false;
  Mark prev_mark;
  while (off < len) {
    Msg first;
    Kind kind;
    Error e = next_msg(data + off, len - off, off, first);
    if (e) return e;
    if (!kind_of_seq(first.seq, kind)) return parse_error(off, "nlmsg_seq names no dump");
    if (prev_interrupted && kind == prev) {
      rollback(sink, prev_mark);
      ++st.restarts;
    } else {
      st.inconsistent |= prev_interrupted;
    }
    Mark m = mark(sink);
    Walk w = make_walk(req, sink, kind, first.seq, first.pid);
    long used = 0;
    e = walk_messages(w, data + off, len - off, off, &used);
    off += used, st.messages += w.messages;
    prev = kind, prev_interrupted = w.interrupted && !e, prev_mark = m;
    if (e && kind == Kind::kTcpBoth && combined_refused(e)) {
      rollback(sink, m);
      continue;
    }
    if (e) return e;
    if (!w.done) return parse_error(off, "dump ends without NLMSG_DONE");
    st.combined_used |= kind == Kind::kTcpBoth;
  }
  st.inconsistent |= prev_interrupted;
  return {};
}

}  // namespace

Error replay(const uint8_t* data, size_t len, const DumpRequest& req, SocketTable& out, DumpStats* stats) {
  DumpStats st;
  Sink sink;
  sink.table = &out;
  reset_table(out, req.info, req.memory);
  Error e = replay_walks(data, static_cast<long>(len), req, sink, st);
  if (e) reset_table(out, req.info, req.memory);  // never half a table
  st.bytes = static_cast<uint32_t>(len), st.filtered_in_userspace = sink.filtered;
  if (stats) *stats = st;
  return e;
}

Error parse_error(size_t off, const std::string& what) {
  return Error{0, "ERR_NETLINK_PARSE", "", "netlink: " + what + " at byte " + std::to_string(off)};
}

bool kind_of_seq(uint32_t seq, Kind& out) {
  uint32_t k = seq & kKindBits;
  if (k > static_cast<uint32_t>(Kind::kTcpBoth)) return false;
  out = static_cast<Kind>(k);
  return true;
}

uint8_t kind_protocol(Kind k) { return k == Kind::kUdp4 || k == Kind::kUdp6 ? kProtoUdp : kProtoTcp; }

const char* kind_name(Kind k) {
  static constexpr const char* kNames[] = {"tcp", "tcp6", "udp", "udp6", "tcp+tcp6"};
  return kNames[static_cast<int>(k)];
}

StateMask effective_states(StateMask m) {
  constexpr StateMask kSynPair = 1u << kSynRecv | 1u << kNewSynRecv;
  m &= kAllStates;
  return m & kSynPair ? m | kSynPair : m;
}

Mark mark(const Sink& s) {
  Mark m;
  m.rows = s.table ? s.table->size() : s.cookies ? s.cookies->cookie.size() : 0;
  if (s.counts) m.counts = *s.counts;
  m.filtered = s.filtered;
  return m;
}

// Calls f(width, column of t...) for every column the first table carries, the same column of
// each table side by side.
template <class F, class T, class... U>
void each_column(F&& f, T& t, U&... u) {
  f(1, t.protocol, u.protocol...), f(1, t.family, u.family...), f(1, t.state, u.state...);
  f(16, t.local_address, u.local_address...), f(16, t.remote_address, u.remote_address...);
  f(1, t.local_port, u.local_port...), f(1, t.remote_port, u.remote_port...);
  f(1, t.recv_q, u.recv_q...), f(1, t.send_q, u.send_q...), f(1, t.uid, u.uid...);
  f(1, t.inode, u.inode...), f(1, t.timer, u.timer...), f(1, t.timer_expires, u.timer_expires...);
  f(1, t.retransmits, u.retransmits...), f(1, t.cookie, u.cookie...);
  if (t.has_info) {
    for (const InfoField& i : kInfoFields) f(1, t.info.*i.column, u.info.*i.column...);
    f(1, t.info.congestion, u.info.congestion...);
  }
  if (t.has_memory) for (auto c : kMemFields) f(1, t.memory.*c, u.memory.*c...);
}

void size_columns(SocketTable& t, size_t n) {
  each_column([n](size_t w, auto& col) { col.resize(n * w); }, t);
}

void rollback(Sink& s, const Mark& m) {
  if (s.table) size_columns(*s.table, m.rows);
  if (s.counts) *s.counts = m.counts;
  if (s.cookies) s.cookies->cookie.resize(m.rows), s.cookies->state.resize(m.rows);
  s.filtered = m.filtered;
}

void reset_table(SocketTable& t, bool info, bool memory) {
  t.has_info = t.has_memory = true;  // so that each_column reaches every column
  each_column([](size_t, auto& col) { col.clear(); }, t);
  t.info.congestion_names.assign(1, "");
  t.has_info = info, t.has_memory = memory;
}

bool columns_consistent(const SocketTable& t) {
  bool ok = true;
  size_t n = t.size();
  each_column([&](size_t w, const auto& col) { ok = ok && col.size() == n * w; }, t);
  return ok;
}

// Past 255 names, a re-pointed row reads as none.
void repoint_congestion(SocketTable& dst, const std::vector<std::string>& names, size_t first, size_t last) {
  std::vector<uint8_t> to(names.size(), 0);
  for (size_t i = 1; i < names.size(); ++i) {
    std::string name = names[i];
    Span s{reinterpret_cast<const uint8_t*>(name.c_str()), static_cast<long>(name.size() + 1)};
    Error full;
    if (!intern_congestion(dst.info, s, 0, to[i], full)) to[i] = 0;
  }
  for (size_t r = first; r < last; ++r) dst.info.congestion[r] = to[dst.info.congestion[r]];
}

void place_rows(SocketTable& dst, size_t at, const SocketTable& src, const std::vector<uint8_t>& keep) {
  each_column([&](size_t w, auto& d, const auto& s) {
    auto* to = d.data() + at * w;
    if (keep.empty()) return void(std::copy(s.begin(), s.end(), to));
    for (size_t r = 0; r < keep.size(); ++r)
      if (keep[r]) to = std::copy(s.begin() + r * w, s.begin() + (r + 1) * w, to);
  }, dst, src);
}

Walk make_walk(const DumpRequest& req, Sink& sink, Kind kind, uint32_t seq, uint32_t pid) {
  Walk w;
  w.req = &req, w.sink = &sink, w.kind = kind, w.seq = seq, w.pid = pid;
  w.states = effective_states(req.states);
  return w;
}

namespace {

bool read_msg(const uint8_t* p, long rem, size_t off, Msg& m, Error& err) {
  if (rem < kHdrLen) return fail(err, parse_error(off, "truncated nlmsghdr (" + std::to_string(rem) + " of 16 bytes)"));
  m.len = ld32(p);
  if (m.len < kHdrLen) return fail(err, parse_error(off, "nlmsg_len " + std::to_string(m.len) + " < 16"));
  if (m.len > static_cast<unsigned long>(rem))
    return fail(err, parse_error(off, "nlmsg_len " + std::to_string(m.len) + " past the end (" + std::to_string(rem) + " bytes left)"));
  m.type = ld16(p + 4), m.flags = ld16(p + 6), m.seq = ld32(p + 8), m.pid = ld32(p + 12);
  m.data = p + kHdrLen, m.data_len = static_cast<long>(m.len) - kHdrLen;
  return true;
}

}  // namespace

Error next_msg(const uint8_t* p, long rem, size_t off, Msg& m) {
  Error err;
  read_msg(p, rem, off, m, err);
  return err;
}

Error walk_messages(Walk& w, const uint8_t* buf, long len, size_t base, long* used) {
  Error err;
  long rem = len;
  const uint8_t* p = buf;
  while (rem > 0 && !w.done) {
    size_t off = base + (p - buf);
    Msg m;
    if (!read_msg(p, rem, off, m, err)) break;
    p += align4(m.len), rem -= align4(m.len);
    if (!on_msg(w, m, off, err)) break;
  }
  // The last message may lack its padding: rem goes negative and the walk ends there.
  *used = rem < 0 ? len : p - buf;
  return err;
}

bool ends_walk(const uint8_t* buf, long len, uint32_t seq) {
  Msg m;
  for (long rem = len; rem > 0; buf += align4(m.len), rem -= align4(m.len)) {
    if (next_msg(buf, rem, 0, m)) return true;
    if (m.seq == seq && (m.type == NLMSG_DONE || m.type == NLMSG_ERROR)) return true;
  }
  return false;
}

bool combined_refused(const Error& e) {
  return e.syscall == "recvmsg" && (e.errnum == EINVAL || e.errnum == ENOENT || e.errnum == EOPNOTSUPP);
}

bool ports_match(const DumpRequest& req, uint16_t sport, uint16_t dport) {
  return req.ports.matches(sport, dport);
}

Error compile_port_filter(const DumpRequest& req, std::vector<uint8_t>& b) {
  b.clear();
  size_t total = list_len(req.ports.local) + list_len(req.ports.remote);
  // Jump offsets are 16 bits and the program sits in one attribute (16-bit nla_len).
  if (total + 8 > 0xFFFF)
    return Error{0, "ERR_NETLINK_FILTER", "", "netlink: port filter too long (" + std::to_string(total) + " bytes)"};
  emit_list(b, req.ports.local, INET_DIAG_BC_S_GE, INET_DIAG_BC_S_LE, total);
  emit_list(b, req.ports.remote, INET_DIAG_BC_D_GE, INET_DIAG_BC_D_LE, total);
  return {};
}

std::vector<uint8_t> build_request(Kind kind, const DumpRequest& req, const std::vector<uint8_t>& bytecode, uint32_t seq) {
  std::vector<uint8_t> b;
  put_header(b, kind == Kind::kTcpBoth ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY, seq);
  put_body(b, kind, req);
  if (!bytecode.empty()) {
    put16(b, static_cast<uint16_t>(kAttrHdrLen + bytecode.size()));
    put16(b, INET_DIAG_REQ_BYTECODE);
    b.insert(b.end(), bytecode.begin(), bytecode.end());
  }
  uint32_t len = static_cast<uint32_t>(b.size());
  std::memcpy(b.data(), &len, 4);
  return b;
}

}  // namespace sockscope::netlink
