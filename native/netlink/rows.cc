// Row parsing: one inet_diag_msg and its attributes, decoded, checked against the request and
// appended to the walk's sink. Every field is read through the uapi structs' layout.
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "netlink/wire.h"
#include "table/columns.h"

namespace sockscope::netlink {
namespace {

// inet_diag_msg's fields (<linux/inet_diag.h>).
constexpr long kFamily = offsetof(inet_diag_msg, idiag_family);
constexpr long kState = offsetof(inet_diag_msg, idiag_state);
constexpr long kTimer = offsetof(inet_diag_msg, idiag_timer);
constexpr long kRetrans = offsetof(inet_diag_msg, idiag_retrans);
constexpr long kSport = offsetof(inet_diag_msg, id.idiag_sport);
constexpr long kDport = offsetof(inet_diag_msg, id.idiag_dport);
constexpr long kSrc = offsetof(inet_diag_msg, id.idiag_src);
constexpr long kDst = offsetof(inet_diag_msg, id.idiag_dst);
constexpr long kCookie = offsetof(inet_diag_msg, id.idiag_cookie);
constexpr long kExpires = offsetof(inet_diag_msg, idiag_expires);
constexpr long kRqueue = offsetof(inet_diag_msg, idiag_rqueue);
constexpr long kWqueue = offsetof(inet_diag_msg, idiag_wqueue);
constexpr long kUid = offsetof(inet_diag_msg, idiag_uid);
constexpr long kInode = offsetof(inet_diag_msg, idiag_inode);
static_assert(sizeof(inet_diag_msg::id.idiag_src) == 16 && sizeof(inet_diag_msg::id.idiag_cookie) == 8,
              "inet_diag_sockid: 16-byte addresses, a cookie of two u32 halves");

constexpr double kNaN = NAN;
constexpr double kInfinity = INFINITY;

// The attributes a row may use; the rest are skipped.
struct Attrs {
  Span info, cong, mem, protocol;
};

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
    if (type == INET_DIAG_PROTOCOL) a.protocol = s;
  });
}

// Where each tcp_info column is in the kernel's struct tcp_info. An older kernel sends a
// shorter struct: a field past the attribute's end reads as NaN.
struct InfoField {
  long off, size;
  std::vector<double> TcpInfoColumns::*column;
};
#define SOCKSCOPE_INFO_FIELD(member, js, field)                                           \
  static_assert(sizeof(tcp_info::field) == 1 || sizeof(tcp_info::field) == 4 ||          \
                sizeof(tcp_info::field) == 8, "read_field reads u8, u32 and u64 fields"); \
  constexpr InfoField kInfo_##member{offsetof(tcp_info, field), sizeof(tcp_info::field), &TcpInfoColumns::member};
SOCKSCOPE_INFO_FIELDS(SOCKSCOPE_INFO_FIELD)
#undef SOCKSCOPE_INFO_FIELD
#define SOCKSCOPE_INFO_ENTRY(member, js, field) kInfo_##member,
constexpr InfoField kInfoFields[] = {SOCKSCOPE_INFO_FIELDS(SOCKSCOPE_INFO_ENTRY)};
#undef SOCKSCOPE_INFO_ENTRY

// Where each SK_MEMINFO column is in the INET_DIAG_SKMEMINFO array of u32.
struct MemField {
  long index;
  std::vector<double> MemInfoColumns::*column;
};
#define SOCKSCOPE_MEM_FIELD(member, js, index) {index, &MemInfoColumns::member},
constexpr MemField kMemFields[] = {SOCKSCOPE_MEMORY_FIELDS(SOCKSCOPE_MEM_FIELD)};
#undef SOCKSCOPE_MEM_FIELD
static_assert(std::size(kMemFields) == SK_MEMINFO_VARS, "a column for every SK_MEMINFO_* value");

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
  constexpr long kWidth = sizeof(uint32_t);
  for (const MemField& f : kMemFields) (c.*f.column).push_back(read_field(s, f.index * kWidth, kWidth));
}

// Index of the congestion name (NUL-terminated, or not, within the attribute); 0 = none.
bool congestion_index(TcpInfoColumns& c, Span s, size_t off, uint8_t& index, Error& err) {
  const char* text = reinterpret_cast<const char*>(s.p);
  if (intern_congestion(c, std::string_view(text, strnlen(text, s.n)), index)) return true;
  return fail(err, parse_error(off, "more than 255 congestion control names"));
}

// idiag_cookie is two host-order u32 halves, low first.
uint64_t cookie_of(const uint8_t* d) { return ld32(d + kCookie) | uint64_t{ld32(d + kCookie + 4)} << 32; }

// The decoded fields a row is checked with before it is stored.
struct Row {
  const uint8_t* d;
  uint8_t family, state;
  uint16_t sport, dport;
};

// Whether a decoded row of `protocol` is one `req` asks for: its table, state and ports.
bool requested(const DumpRequest& req, StateMask states, uint8_t protocol, const Row& r) {
  int table = (protocol == kProtoTcp ? kTcp : kUdp) + (r.family == 6);
  return (req.tables >> table & 1) && (states >> r.state & 1) && ports_match(req, r.sport, r.dport);
}

bool row_requested(const Walk& w, const Row& r) { return requested(*w.req, w.states, kind_protocol(w.kind), r); }

void append_base(SocketTable& t, const Row& r, uint8_t protocol) {
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
}

bool append_row(SocketTable& t, const Row& r, const Attrs& a, uint8_t protocol, size_t off, Error& err) {
  uint8_t cong = 0;
  if (t.has_info && a.cong.n > 0 && !congestion_index(t.info, a.cong, off, cong, err)) return false;
  append_base(t, r, protocol);
  if (t.has_info) append_info(t.info, a.info), t.info.congestion.push_back(cong);
  if (t.has_memory) append_memory(t.memory, a.mem);
  return true;
}

bool decode_row(const Msg& m, size_t off, Row& r, Error& err) {
  if (m.data_len < kDiagMsgLen)
    return fail(err, parse_error(off, "inet_diag_msg of " + std::to_string(m.data_len) + " bytes, " +
                                          std::to_string(kDiagMsgLen) + " needed"));
  const uint8_t* d = m.data;
  if (d[kFamily] != AF_INET && d[kFamily] != AF_INET6)
    return fail(err, parse_error(off, "idiag_family " + std::to_string(d[kFamily]) + " is not AF_INET/AF_INET6"));
  uint8_t state = d[kState] == kNewSynRecv ? uint8_t{kSynRecv} : d[kState];
  if (state == 0 || state > kMaxState)
    return fail(err, parse_error(off, "idiag_state " + std::to_string(d[kState]) + " out of range"));
  r = Row{d, uint8_t(d[kFamily] == AF_INET ? 4 : 6), state, ld_be16(d + kSport), ld_be16(d + kDport)};
  return true;
}

void count_group(Sink& s, const Row& r) {
  aggregate::RowFields f;
  f.state = r.state, f.family = r.family, f.local_address = r.d + kSrc, f.remote_address = r.d + kDst;
  f.local_port = r.sport, f.remote_port = r.dport, f.uid = ld32(r.d + kUid);
  if (!s.cookies) {
    s.groups->add(f);
    return;
  }
  s.cookies->cookie.push_back(cookie_of(r.d)), s.cookies->group.push_back(0);  // the group, once counted
  s.groups->add(f, &s.cookies->group, s.cookies->group.size() - 1);
}

// Hands a requested row to the sink's observers, then counts it or stores it.
bool store_row(Walk& w, const Row& r, const Attrs& a, size_t off, Error& err) {
  Sink& s = *w.sink;
  if (s.histogram) s.histogram->add(r.sport, r.dport);
  if (s.groups) {
    count_group(s, r);
    return true;
  }
  if (s.cookies) s.cookies->cookie.push_back(cookie_of(r.d)), s.cookies->state.push_back(r.state);
  if (s.counts) {
    ++(*s.counts)[r.state];
    return true;
  }
  return !s.table || append_row(*s.table, r, a, kind_protocol(w.kind), off, err);
}

}  // namespace

bool on_row(Walk& w, const Msg& m, size_t off, Error& err) {
  Row r;
  Attrs a;
  if (!decode_row(m, off, r, err)) return false;
  // Only tcp_info and SK_MEMINFO come from attributes; a count or a base table reads none, so
  // it does not walk them, on the path every partition thread runs.
  const SocketTable* t = w.sink->table;
  bool attrs = t && (t->has_info || t->has_memory);
  if (attrs && !collect_attrs(m.data + kDiagMsgLen, m.data_len - kDiagMsgLen, off + kHdrLen + kDiagMsgLen, a, err))
    return false;
  if (!row_requested(w, r)) {
    ++w.sink->filtered;
    return true;
  }
  return store_row(w, r, a, off, err);
}

bool on_destroyed(const DumpRequest& filter, const Msg& m, size_t off, SocketTable& t, bool& kept, Error& err) {
  Row r;
  Attrs a;
  kept = false;
  if (!decode_row(m, off, r, err)) return false;
  if (!collect_attrs(m.data + kDiagMsgLen, m.data_len - kDiagMsgLen, off + kHdrLen + kDiagMsgLen, a, err)) return false;
  if (a.protocol.n < 1) return fail(err, parse_error(off, "destroy message without INET_DIAG_PROTOCOL"));
  uint8_t protocol = a.protocol.p[0];
  if (protocol != kProtoTcp && protocol != kProtoUdp) return true;  // a protocol we do not read
  if (!requested(filter, effective_states(filter.states), protocol, r)) return true;
  kept = true;
  return append_row(t, r, a, protocol, off, err);
}

Mark mark(const Sink& s) {
  Mark m;
  m.rows = s.table ? s.table->size() : s.cookies ? s.cookies->cookie.size() : 0;
  if (s.counts) m.counts = *s.counts;
  if (s.groups) m.groups = s.groups->checkpoint();
  m.filtered = s.filtered;
  return m;
}

void rollback(Sink& s, const Mark& m) {
  if (s.table) size_columns(*s.table, m.rows);
  if (s.counts) *s.counts = m.counts;
  if (s.groups) s.groups->restore(m.groups);
  if (s.cookies) {
    s.cookies->cookie.resize(m.rows);
    if (s.groups) s.cookies->group.resize(m.rows);
    else s.cookies->state.resize(m.rows);
  }
  s.filtered = m.filtered;
}

}  // namespace sockscope::netlink
