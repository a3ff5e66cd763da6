// Offline tests of the netlink reader: replay of recorded fixtures, hostile bytes, kernel error
// mapping, DUMP_INTR handling and the port-filter bytecode. No kernel needed.
//   g++ -std=c++17 -O2 -Wall -Wextra -Inative native/netlink_reader.cc native/netlink_parse.cc
//       test/native/netlink_test.cc -o /tmp/netlink_test && /tmp/netlink_test [FIXTURE_DIR]
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "error.h"
#include "netlink/netlink_parse.h"
#include "check.h"
#include "messages.h"

using namespace sockscope;
using namespace sockscope::netlink;

namespace {

constexpr uint32_t kGen = 0x1234567;
constexpr uint32_t kPid = 777;

// ---- building messages ----

using build::attr;
using build::pad4;
using build::raw;

std::string nlmsg(uint16_t type, uint32_t seq, const std::string& payload, uint16_t flags = NLM_F_MULTI,
                  uint32_t pid = kPid) {
  return build::nlmsg(type, seq, pid, payload, flags);
}

struct DiagRow {
  uint8_t family = AF_INET, state = kEstablished, timer = 1, retrans = 2;
  uint16_t sport = 443, dport = 50000;
  uint8_t src[16] = {127, 0, 0, 1, 9, 9, 9, 9}, dst[16] = {10, 1, 2, 3};  // junk past IPv4
  uint32_t cookie_lo = 0x11223344, cookie_hi = 0x55667788;
  uint32_t expires = 1500, rqueue = 10, wqueue = 20, uid = 1000, inode = 4242;
};

std::string diag(const DiagRow& r, const std::string& attrs = "") {
  std::string s = raw(r.family) + raw(r.state) + raw(r.timer) + raw(r.retrans);
  s += raw(htons(r.sport)) + raw(htons(r.dport));
  s += std::string(reinterpret_cast<const char*>(r.src), 16) + std::string(reinterpret_cast<const char*>(r.dst), 16);
  s += raw(uint32_t{0}) + raw(r.cookie_lo) + raw(r.cookie_hi);
  s += raw(r.expires) + raw(r.rqueue) + raw(r.wqueue) + raw(r.uid) + raw(r.inode);
  return s + attrs;
}

std::string row_msg(Kind k, const std::string& payload, uint16_t flags = NLM_F_MULTI) {
  return nlmsg(SOCK_DIAG_BY_FAMILY, make_seq(kGen, k), payload, flags);
}

std::string done(Kind k, int32_t err = 0, uint16_t flags = NLM_F_MULTI) {
  return nlmsg(NLMSG_DONE, make_seq(kGen, k), raw(err), flags);
}

std::string error_msg(Kind k, int32_t err) {
  return nlmsg(NLMSG_ERROR, make_seq(kGen, k), raw(err) + std::string(16, '\0'), 0);
}

std::string tcp_info(size_t len) {
  std::string s(232, '\0');
  auto put32 = [&s](size_t off, uint32_t v) { std::memcpy(&s[off], &v, 4); };
  auto put64 = [&s](size_t off, uint64_t v) { std::memcpy(&s[off], &v, 8); };
  s[2] = 5;  // tcpi_retransmits
  put32(24, 3), put32(32, 1), put32(44, 100), put32(52, 200), put32(68, 1234), put32(72, 56);
  put32(76, 7), put32(80, 10), put32(100, 9), put32(148, 1000);
  put64(104, 1e9), put64(120, 5000000000ULL), put64(128, 777), put64(160, 42), put64(208, 99);
  return s.substr(0, len);
}

// ---- running replays ----

struct Result {
  Error err;
  SocketTable t;
  DumpStats st;
};

Result run(const std::string& bytes, const DumpRequest& req = DumpRequest{}) {
  Result r;
  r.err = replay(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), req, r.t, &r.st);
  return r;
}

DumpRequest with_ext() {
  DumpRequest r;
  r.info = r.memory = true;
  return r;
}

std::string row_key(const SocketTable& t, size_t i) {
  std::ostringstream k;
  k << int(t.protocol[i]) << '/' << int(t.family[i]) << '/' << int(t.state[i]) << '/'
    << std::string(reinterpret_cast<const char*>(&t.local_address[16 * i]), 16) << '/'
    << std::string(reinterpret_cast<const char*>(&t.remote_address[16 * i]), 16) << '/'
    << t.local_port[i] << '/' << t.remote_port[i] << '/' << t.recv_q[i] << '/' << t.send_q[i] << '/'
    << t.uid[i] << '/' << t.inode[i] << '/' << int(t.timer[i]) << '/' << t.timer_expires[i] << '/'
    << int(t.retransmits[i]) << '/' << t.cookie[i];
  if (t.has_info) k << '/' << t.info.rtt[i] << '/' << t.info.bytes_acked[i] << '/' << int(t.info.congestion[i]);
  if (t.has_memory) k << '/' << t.memory.rmem_alloc[i] << '/' << t.memory.drops[i];
  return k.str();
}

bool is_prefix(const SocketTable& part, const SocketTable& full) {
  if (part.size() > full.size()) return false;
  for (size_t i = 0; i < part.size(); ++i) if (row_key(part, i) != row_key(full, i)) return false;
  return true;
}

// What any replay of any bytes must give: a consistent table no larger than the bytes allow,
// and no rows at all alongside an error. Prints the first failures; returns 1 on failure.
int insane(const Result& r, size_t len, const std::string& what) {
  bool ok = columns_consistent(r.t) && r.t.size() <= len / 88 && (!r.err || r.t.size() == 0);
  bool known = !r.err || r.err.code == "ERR_NETLINK_PARSE" || r.err.code == "EBADMSG" || r.err.errnum > 0;
  if (ok && known) return 0;
  std::printf("FAIL %s%s\n", what.c_str(), r.err ? (": " + r.err.code + " " + r.err.message).c_str() : "");
  return 1;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::vector<size_t> message_offsets(const std::string& b) {
  std::vector<size_t> offs;
  for (size_t off = 0; off + 16 <= b.size();) {
    uint32_t len;
    std::memcpy(&len, &b[off], 4);
    offs.push_back(off);
    off += (len + 3) & ~3u;
  }
  return offs;
}

uint16_t msg_type(const std::string& b, size_t off) {
  uint16_t t;
  std::memcpy(&t, &b[off + 4], 2);
  return t;
}

// ---- fixtures ----

void test_fixtures(const std::string& tcp, const std::string& udp) {
  DumpRequest treq = with_ext();
  treq.tables = 1 << kTcp | 1 << kTcp6;
  Result r = run(tcp, treq);
  CHECK(!r.err, "tcp fixture replays: " + r.err.message);
  CHECK_EQ(r.t.size(), size_t{13}, "tcp fixture rows");
  StateCounts c{};
  for (uint8_t s : r.t.state) ++c[s];
  CHECK(c[kListen] == 4 && c[kTimeWait] == 1 && c[kEstablished] == 8, "tcp fixture states");
  CHECK(r.st.combined_used && std::count(r.t.family.begin(), r.t.family.end(), 6) > 0 &&
        std::count(r.t.family.begin(), r.t.family.end(), 4) > 0, "tcp fixture: one walk, both families");
  CHECK(r.t.has_info && r.t.has_memory && columns_consistent(r.t), "tcp fixture columns");
  for (size_t i = 0; i < r.t.size(); ++i) {
    bool tw = r.t.state[i] == kTimeWait;
    CHECK(std::isnan(r.t.info.rtt[i]) == tw && std::isnan(r.t.memory.rcvbuf[i]) == tw &&
          (r.t.info.congestion[i] == 0) == tw, "tcp fixture: info/meminfo on all rows but TIME_WAIT");
    CHECK(r.t.protocol[i] == kProtoTcp, "tcp fixture: protocol");
  }
  // TIME_WAIT and the two connections still in the accept queue have no socket inode yet.
  CHECK_EQ(std::count(r.t.inode.begin(), r.t.inode.end(), 0u), 3, "tcp fixture: rows without inode");
  CHECK(r.t.info.congestion_names.size() >= 2 && r.t.info.congestion_names[0].empty(), "congestion dictionary");

  DumpRequest ureq;
  ureq.tables = 1 << kUdp | 1 << kUdp6;
  Result u = run(udp, ureq);
  CHECK(!u.err && u.t.size() == 3, "udp fixture: 3 rows");
  CHECK(u.t.size() == 3 && u.t.state[0] == kEstablished && u.t.state[1] == kClose && u.t.state[2] == kClose &&
        u.t.family[2] == 6 && u.t.protocol[0] == kProtoUdp, "udp fixture states/families");
  CHECK(!u.t.has_info && u.t.info.rtt.empty() && columns_consistent(u.t), "udp fixture: no info columns");

  // A request narrower than the recording: the extra rows count as filtered in userspace.
  DumpRequest only4 = treq;
  only4.tables = 1 << kTcp;
  Result f = run(tcp, only4);
  CHECK(!f.err && f.t.size() + f.st.filtered_in_userspace == 13 && f.st.filtered_in_userspace > 0 &&
        std::all_of(f.t.family.begin(), f.t.family.end(), [](uint8_t x) { return x == 4; }), "table mask re-checked");
  DumpRequest lst = treq;
  lst.states = 1 << kListen, lst.ports.remote = {{0, 0}};
  Result g = run(tcp, lst);
  CHECK(!g.err && g.t.size() == 4 && g.st.filtered_in_userspace == 9, "state and port filters re-checked");
}

// Truncated at every byte: an error, or (at a walk boundary) an exact prefix.
void test_truncation(const std::string& b, const DumpRequest& req, const std::string& name) {
  Result full = run(b, req);
  int bad = 0, prefixes = 0;
  for (size_t len = 0; len < b.size(); ++len) {
    Result r = run(b.substr(0, len), req);
    bool ok = r.err ? (r.t.size() == 0 && (r.err.code == "ERR_NETLINK_PARSE" || r.err.code == "EBADMSG") &&
                       r.err.message.find("at byte") != std::string::npos)
                    : is_prefix(r.t, full.t);
    prefixes += !r.err;
    bad += !ok;
  }
  CHECK_EQ(bad, 0, name + ": truncations giving neither an error nor a prefix");
  CHECK(prefixes >= 1, name + ": truncation at a walk boundary is a valid prefix");
}

void test_corrupt_lengths(const std::string& b, const DumpRequest& req, const std::string& name) {
  int bad = 0, cases = 0;
  auto corrupt = [&](size_t at, auto v, const char* field) {
    std::string c = b;
    std::memcpy(&c[at], &v, sizeof v);
    bad += insane(run(c, req), c.size(), name + " " + field + " " + std::to_string(v) + " at " + std::to_string(at));
    ++cases;
  };
  for (size_t off : message_offsets(b)) {
    uint32_t len;
    std::memcpy(&len, &b[off], 4);
    for (uint32_t v : {0u, 1u, 15u, 16u, 17u, len - 1, len + 1, len + 3, len + 4, 0x7fffffffu, 0xffffffffu})
      corrupt(off, v, "nlmsg_len");
    if (msg_type(b, off) != SOCK_DIAG_BY_FAMILY && msg_type(b, off) != TCPDIAG_GETSOCK) continue;
    for (size_t a = off + 88; a + 4 <= off + len;) {
      uint16_t alen;
      std::memcpy(&alen, &b[a], 2);
      for (int v : {0, 1, 3, 4, 5, alen - 1, alen + 1, alen + 4, 0xffff}) corrupt(a, static_cast<uint16_t>(v), "nla_len");
      if (alen < 4) break;
      a += (alen + 3) & ~3u;
    }
  }
  CHECK_EQ(bad, 0, name + ": corrupted lengths (" + std::to_string(cases) + " cases) mishandled");
}

void test_random_flips(const std::string& b, const DumpRequest& req, const std::string& name) {
  uint64_t x = 88172645463325252ULL;  // xorshift64: the same corruptions every run
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  int bad = 0, errors = 0;
  for (int i = 0; i < 20000 && bad < 5; ++i) {
    std::string c = b;
    for (int n = 1 + next() % 4; n > 0; --n) c[next() % c.size()] ^= static_cast<char>(1 + next() % 255);
    if (next() % 4 == 0) c.resize(next() % c.size());
    Result r = run(c, req);
    errors += !!r.err;
    bad += insane(r, c.size(), name + " random corruption " + std::to_string(i));
  }
  CHECK_EQ(bad, 0, name + ": random corruptions mishandled");
  CHECK(errors > 1000, name + ": corruptions are detected (" + std::to_string(errors) + " of 20000)");
}

// ---- synthesised messages ----

void set32(std::string& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
void set16(std::string& b, size_t off, uint16_t v) { std::memcpy(&b[off], &v, 2); }

void test_row_fields() {
  DiagRow d;
  Result r = run(row_msg(Kind::kTcp4, diag(d)) + done(Kind::kTcp4));
  if (!CHECK(!r.err && r.t.size() == 1, "one synthesised row: " + r.err.message)) return;
  const SocketTable& t = r.t;
  const uint8_t src[16] = {127, 0, 0, 1}, dst[16] = {10, 1, 2, 3};
  CHECK(t.protocol[0] == kProtoTcp && t.family[0] == 4 && t.state[0] == kEstablished, "protocol/family/state");
  CHECK(!std::memcmp(&t.local_address[0], src, 16) && !std::memcmp(&t.remote_address[0], dst, 16), "IPv4 in the first 4 bytes, rest zero");
  CHECK(t.local_port[0] == 443 && t.remote_port[0] == 50000, "ports from network order");
  CHECK(t.recv_q[0] == 10 && t.send_q[0] == 20 && t.uid[0] == 1000 && t.inode[0] == 4242, "queues, uid, inode");
  CHECK(t.timer[0] == 1 && t.timer_expires[0] == 1500 && t.retransmits[0] == 2, "timer, expires, retransmits");
  CHECK_EQ(t.cookie[0], 0x5566778811223344ULL, "cookie");
  CHECK(!t.has_info && t.info.rtt.empty(), "no info columns unless asked");

  DiagRow v6;
  v6.family = AF_INET6;
  for (int i = 0; i < 16; ++i) v6.src[i] = uint8_t(i + 1);
  Result s = run(row_msg(Kind::kTcp6, diag(v6)) + done(Kind::kTcp6));
  CHECK(!s.err && s.t.family[0] == 6 && !std::memcmp(&s.t.local_address[0], v6.src, 16), "IPv6 address, 16 bytes");
  Result u = run(row_msg(Kind::kUdp4, diag(d)) + done(Kind::kUdp4));
  CHECK(!u.err && u.t.protocol[0] == kProtoUdp, "protocol comes from the walk's kind");
}

void test_request_sockets() {
  DiagRow d;
  d.state = kNewSynRecv;
  DumpRequest req;
  req.states = 1 << kSynRecv;
  Result r = run(row_msg(Kind::kTcp4, diag(d)) + done(Kind::kTcp4), req);
  CHECK(!r.err && r.t.size() == 1 && r.t.state[0] == kSynRecv && r.st.filtered_in_userspace == 0, "NEW_SYN_RECV reads as SYN_RECV");
  StateMask m = effective_states(1 << kSynRecv);
  CHECK(m == (1u << kSynRecv | 1u << kNewSynRecv) && effective_states(1 << kNewSynRecv) == m, "SYN_RECV asks for NEW_SYN_RECV too");
}

void test_extensions() {
  DiagRow d;
  std::string full = attr(INET_DIAG_INFO, tcp_info(232)) + attr(INET_DIAG_CONG, std::string("cubic") + '\0') +
                     attr(INET_DIAG_SKMEMINFO, raw(std::array<uint32_t, 9>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  std::string old = attr(INET_DIAG_INFO, tcp_info(112)) + attr(INET_DIAG_CONG, "bbr") +  // no NUL
                    attr(INET_DIAG_SKMEMINFO, raw(std::array<uint32_t, 4>{1, 2, 3, 4}));
  std::string msgs = row_msg(Kind::kTcp4, diag(d, full)) + row_msg(Kind::kTcp4, diag(d, old)) +
                     row_msg(Kind::kTcp4, diag(d, full)) + row_msg(Kind::kTcp4, diag(d)) + done(Kind::kTcp4);
  Result r = run(msgs, with_ext());
  if (!CHECK(!r.err && r.t.size() == 4 && columns_consistent(r.t), "extension rows: " + r.err.message)) return;
  const TcpInfoColumns& i = r.t.info;
  CHECK(i.rtt[0] == 1234 && i.rttvar[0] == 56 && i.min_rtt[0] == 1000 && i.snd_cwnd[0] == 10 && i.snd_ssthresh[0] == 7, "tcp_info rtt/cwnd");
  CHECK(i.retransmits[0] == 5 && i.total_retrans[0] == 9 && i.lost[0] == 1 && i.unacked[0] == 3, "tcp_info counters");
  CHECK(i.bytes_acked[0] == 5000000000.0 && i.bytes_received[0] == 777 && i.bytes_retrans[0] == 99, "tcp_info 64-bit bytes");
  CHECK(i.delivery_rate[0] == 42 && i.pacing_rate[0] == 1e9 && i.last_data_sent[0] == 100 && i.last_data_recv[0] == 200, "tcp_info rates, times");
  CHECK(i.rtt[1] == 1234 && i.pacing_rate[1] == 1e9, "short tcp_info: fields inside it");
  CHECK(std::isnan(i.bytes_acked[1]) && std::isnan(i.min_rtt[1]) && std::isnan(i.delivery_rate[1]) && std::isnan(i.bytes_retrans[1]), "short tcp_info: NaN past its end");
  CHECK(i.congestion[0] == 1 && i.congestion[1] == 2 && i.congestion[2] == 1 && i.congestion[3] == 0, "congestion indices");
  CHECK((i.congestion_names == std::vector<std::string>{"", "cubic", "bbr"}), "congestion names");
  const MemInfoColumns& m = r.t.memory;
  CHECK(m.rmem_alloc[0] == 1 && m.drops[0] == 9 && m.sndbuf[1] == 4 && std::isnan(m.fwd_alloc[1]) && std::isnan(m.drops[1]), "meminfo, short meminfo");
  CHECK(std::isnan(i.rtt[3]) && std::isnan(m.rmem_alloc[3]), "row without attributes: NaN");
}

void test_skipping() {
  DiagRow d;
  std::string attrs = attr(200, "junk") + attr(INET_DIAG_SHUTDOWN | NLA_F_NESTED, "x") + attr(INET_DIAG_CONG, "cubic");
  std::string msgs = nlmsg(99, make_seq(kGen, Kind::kTcp4), "whatever") + nlmsg(NLMSG_NOOP, make_seq(kGen, Kind::kTcp4), "") +
                     row_msg(Kind::kTcp4, diag(d, attrs)) +
                     nlmsg(SOCK_DIAG_BY_FAMILY, make_seq(kGen + 1, Kind::kTcp4), diag(d)) +  // earlier dump's leftover
                     nlmsg(SOCK_DIAG_BY_FAMILY, make_seq(kGen, Kind::kTcp4), diag(d), NLM_F_MULTI, kPid + 1) +  // other port id
                     done(Kind::kTcp4);
  Result r = run(msgs, with_ext());
  CHECK(!r.err && r.t.size() == 1 && r.t.info.congestion[0] == 1, "unknown types/attributes and foreign messages skipped");
  // Unpadded lengths: an odd attribute, and a final message without its padding.
  std::string odd = diag(d, attr(INET_DIAG_CONG, "bbr") + attr(INET_DIAG_INFO, tcp_info(8)));
  std::string last = done(Kind::kTcp4);
  set32(last, 0, 21);
  last.push_back('\0');
  Result o = run(row_msg(Kind::kTcp4, odd) + last, with_ext());
  CHECK(!o.err && o.t.size() == 1 && o.t.info.retransmits[0] == 5, "unaligned nla_len and unpadded last message");
}

void expect_parse_error(const std::string& bytes, const std::string& needle, const std::string& what) {
  Result r = run(bytes, with_ext());
  CHECK(r.err.code == "ERR_NETLINK_PARSE" && r.err.message.find(needle) != std::string::npos && r.t.size() == 0,
        what + ": got " + r.err.code + " " + r.err.message);
}

void test_malformed() {
  DiagRow d;
  std::string ok = row_msg(Kind::kTcp4, diag(d));
  expect_parse_error(ok.substr(0, 10), "truncated nlmsghdr", "truncated header");
  std::string s = ok;
  set32(s, 0, 8);
  expect_parse_error(s + done(Kind::kTcp4), "< 16", "nlmsg_len < header");
  s = ok;
  set32(s, 0, 4000);
  expect_parse_error(s, "past the end", "nlmsg_len beyond the buffer");
  expect_parse_error(row_msg(Kind::kTcp4, diag(d).substr(0, 71)) + done(Kind::kTcp4), "72 needed", "short inet_diag_msg");
  DiagRow bad = d;
  bad.family = 7;
  expect_parse_error(row_msg(Kind::kTcp4, diag(bad)) + done(Kind::kTcp4), "idiag_family 7", "foreign family");
  bad = d, bad.state = 0;
  expect_parse_error(row_msg(Kind::kTcp4, diag(bad)) + done(Kind::kTcp4), "idiag_state 0", "state 0");
  bad = d, bad.state = 13;
  expect_parse_error(row_msg(Kind::kTcp4, diag(bad)) + done(Kind::kTcp4), "idiag_state 13", "state 13");
  std::string a = attr(INET_DIAG_CONG, "cubic");
  set16(a, 0, 3);
  expect_parse_error(row_msg(Kind::kTcp4, diag(d, a)) + done(Kind::kTcp4), "nla_len 3", "nla_len < 4");
  a = attr(INET_DIAG_CONG, "cubic");
  set16(a, 0, 64);
  expect_parse_error(row_msg(Kind::kTcp4, diag(d, a)) + done(Kind::kTcp4), "runs past", "attribute past the end");
  expect_parse_error(row_msg(Kind::kTcp4, diag(d, "\x08")) + done(Kind::kTcp4), "truncated attribute", "1-byte attribute area");
  // A base table, like a count, reads no attribute and so does not walk them; its row is whole.
  Result base = run(row_msg(Kind::kTcp4, diag(d, a)) + done(Kind::kTcp4));
  CHECK(!base.err && base.t.size() == 1 && base.t.local_port[0] == d.sport, "base table: attributes not walked");
  expect_parse_error(ok, "without NLMSG_DONE", "dump without DONE");
  expect_parse_error(nlmsg(SOCK_DIAG_BY_FAMILY, (kGen << 4) | 9, diag(d)), "names no dump", "unknown kind in seq");
  Result e = run("");
  CHECK(!e.err && e.t.size() == 0, "empty recording: no rows");
  std::string many;
  for (int i = 0; i < 1000; ++i) many += ok;
  Result m = run(many + done(Kind::kTcp4));
  CHECK(!m.err && m.t.size() == 1000 && columns_consistent(m.t), "1000 rows");
}

void expect_kernel_error(const std::string& bytes, int errnum, const std::string& code, const std::string& what) {
  Result r = run(bytes);
  CHECK(r.err.errnum == errnum && r.err.code == code && r.err.syscall == "recvmsg" && r.t.size() == 0,
        what + ": got " + std::to_string(r.err.errnum) + " " + r.err.code + " " + r.err.syscall + " " + r.err.message);
}

void test_kernel_errors() {
  DiagRow d;
  std::string row = row_msg(Kind::kTcp4, diag(d));
  expect_kernel_error(error_msg(Kind::kTcp4, -ENOENT), ENOENT, "ENOENT", "NLMSG_ERROR ENOENT");
  expect_kernel_error(error_msg(Kind::kUdp6, -EPROTONOSUPPORT), EPROTONOSUPPORT, "EPROTONOSUPPORT", "NLMSG_ERROR EPROTONOSUPPORT");
  expect_kernel_error(row + error_msg(Kind::kTcp4, -EPERM), EPERM, "EPERM", "NLMSG_ERROR EPERM after a row");
  expect_kernel_error(error_msg(Kind::kTcp4, -EOPNOTSUPP), EOPNOTSUPP, "EOPNOTSUPP", "NLMSG_ERROR EOPNOTSUPP");
  expect_kernel_error(nlmsg(NLMSG_ERROR, make_seq(kGen, Kind::kTcp4), raw(int32_t{-ENOENT}) + "abcd"), EBADMSG, "EBADMSG", "truncated nlmsgerr");
  expect_kernel_error(error_msg(Kind::kTcp4, -5000), EBADMSG, "EBADMSG", "impossible errno in nlmsgerr");
  expect_kernel_error(row + done(Kind::kTcp4, -ENOBUFS), ENOBUFS, "ENOBUFS", "error inside NLMSG_DONE");
  expect_kernel_error(row + nlmsg(NLMSG_DONE, make_seq(kGen, Kind::kTcp4), "ab"), EBADMSG, "EBADMSG", "truncated NLMSG_DONE");
  expect_kernel_error(row + nlmsg(NLMSG_DONE, make_seq(kGen, Kind::kTcp4), ""), EBADMSG, "EBADMSG", "NLMSG_DONE without payload");
  Result ack = run(row + error_msg(Kind::kTcp4, 0));
  CHECK(!ack.err && ack.t.size() == 1, "an ACK (error 0) ends the walk");
  Result r = run(error_msg(Kind::kTcp4, -ENOENT));
  CHECK(r.err.message.find("No such file") != std::string::npos && r.err.message.find("tcp") != std::string::npos, "error text: strerror and the walk");
  CHECK(errno_name(ENOENT) == "ENOENT" && errno_name(EOPNOTSUPP) == "EOPNOTSUPP" && errno_name(9999) == "E9999", "errno_name");
}

void test_combined_fallback() {
  DiagRow d4, d6;
  d6.family = AF_INET6;
  std::string per_family = row_msg(Kind::kTcp4, diag(d4)) + done(Kind::kTcp4) + row_msg(Kind::kTcp6, diag(d6)) + done(Kind::kTcp6);
  Result r = run(error_msg(Kind::kTcpBoth, -EINVAL) + per_family);
  CHECK(!r.err && r.t.size() == 2 && !r.st.combined_used, "refused combined walk, then per family");
  Result c = run(nlmsg(TCPDIAG_GETSOCK, make_seq(kGen, Kind::kTcpBoth), diag(d4)) +
                 nlmsg(TCPDIAG_GETSOCK, make_seq(kGen, Kind::kTcpBoth), diag(d6)) + done(Kind::kTcpBoth));
  CHECK(!c.err && c.t.size() == 2 && c.st.combined_used && c.t.family[0] == 4 && c.t.family[1] == 6, "combined walk: type 18 rows, both families");
  Result p = run(error_msg(Kind::kTcpBoth, -EPERM) + per_family);
  CHECK(p.err.code == "EPERM", "other refusals of the combined walk are errors");
}

void test_dump_intr() {
  DiagRow a, b, c;
  a.inode = 1, b.inode = 2, c.inode = 3;
  std::string intr = row_msg(Kind::kTcp4, diag(a), NLM_F_MULTI | NLM_F_DUMP_INTR) + row_msg(Kind::kTcp4, diag(b)) + done(Kind::kTcp4);
  std::string clean = row_msg(Kind::kTcp4, diag(c)) + done(Kind::kTcp4);
  Result r = run(intr + clean);
  CHECK(!r.err && r.t.size() == 1 && r.t.inode[0] == 3 && r.st.restarts == 1 && !r.st.inconsistent, "interrupted walk replaced by its restart");
  Result k = run(intr + intr + intr + intr);
  CHECK(!k.err && k.t.size() == 2 && k.st.restarts == 3 && k.st.inconsistent, "still interrupted after 3 restarts: data kept, inconsistent");
  Result d = run(row_msg(Kind::kTcp4, diag(a)) + done(Kind::kTcp4, 0, NLM_F_MULTI | NLM_F_DUMP_INTR));
  CHECK(!d.err && d.t.size() == 1 && d.st.inconsistent, "DUMP_INTR on NLMSG_DONE counts");
  std::string udp = row_msg(Kind::kUdp4, diag(c)) + done(Kind::kUdp4);
  Result o = run(intr + udp);
  CHECK(!o.err && o.t.size() == 3 && o.st.inconsistent && o.st.restarts == 0, "interrupted walk followed by another kind: kept");
}

// ---- bytecode: checked against a model of the kernel's inet_diag_bc_audit and _run ----

struct Op {
  uint8_t code, yes;
  uint16_t no;
};

Op op_at(const std::vector<uint8_t>& bc, size_t off) {
  Op o;
  std::memcpy(&o, &bc[off], 4);
  return o;
}

bool kernel_valid_cc(const std::vector<uint8_t>& bc, int len, int cc) {
  size_t at = 0;
  while (len >= 0) {
    if (cc > len) return false;
    if (cc == len) return true;
    Op o = op_at(bc, at);
    if (o.yes < 4 || o.yes & 3) return false;
    len -= o.yes, at += o.yes;
  }
  return false;
}

bool kernel_audit(const std::vector<uint8_t>& bc) {
  int len = static_cast<int>(bc.size());
  size_t at = 0;
  while (len > 0) {
    Op o = op_at(bc, at);
    int min_len = 4;
    if (o.code >= INET_DIAG_BC_S_GE && o.code <= INET_DIAG_BC_D_LE) {
      if (len < 8) return false;
      min_len = 8;
    } else if (o.code != INET_DIAG_BC_JMP && o.code != INET_DIAG_BC_NOP) {
      return false;
    }
    if (o.code != INET_DIAG_BC_NOP) {
      if (o.no < min_len || o.no > len + 4 || o.no & 3) return false;
      if (o.no < len && !kernel_valid_cc(bc, static_cast<int>(bc.size()), len - o.no)) return false;
    }
    if (o.yes < min_len || o.yes > len + 4 || o.yes & 3) return false;
    at += o.yes, len -= o.yes;
  }
  return len == 0;
}

bool kernel_run(const std::vector<uint8_t>& bc, uint16_t sport, uint16_t dport) {
  int len = static_cast<int>(bc.size());
  size_t at = 0;
  while (len > 0) {
    Op o = op_at(bc, at);
    bool yes = true;
    if (o.code == INET_DIAG_BC_JMP) yes = false;
    if (o.code == INET_DIAG_BC_S_GE) yes = sport >= op_at(bc, at + 4).no;
    if (o.code == INET_DIAG_BC_S_LE) yes = sport <= op_at(bc, at + 4).no;
    if (o.code == INET_DIAG_BC_D_GE) yes = dport >= op_at(bc, at + 4).no;
    if (o.code == INET_DIAG_BC_D_LE) yes = dport <= op_at(bc, at + 4).no;
    int step = yes ? o.yes : o.no;
    len -= step, at += step;
  }
  return len == 0;
}

std::vector<uint8_t> ops(std::initializer_list<Op> l) {
  std::vector<uint8_t> b;
  for (Op o : l) b.insert(b.end(), reinterpret_cast<uint8_t*>(&o), reinterpret_cast<uint8_t*>(&o) + 4);
  return b;
}

void test_bytecode() {
  DumpRequest r;
  std::vector<uint8_t> bc{1};
  CHECK(!compile_filter(r, bc) && bc.empty(), "no filter, no bytecode");
  r.ports.local = {{443, 443}};
  compile_filter(r, bc);
  CHECK(bc == ops({{INET_DIAG_BC_S_GE, 8, 20}, {0, 0, 443}, {INET_DIAG_BC_S_LE, 8, 12}, {0, 0, 443}}), "sport = :443 encoding");
  r.ports.local = {{80, 80}, {443, 443}};
  compile_filter(r, bc);
  CHECK(bc == ops({{INET_DIAG_BC_S_GE, 8, 20}, {0, 0, 80}, {INET_DIAG_BC_S_LE, 8, 12}, {0, 0, 80},
                   {INET_DIAG_BC_JMP, 4, 20},
                   {INET_DIAG_BC_S_GE, 8, 20}, {0, 0, 443}, {INET_DIAG_BC_S_LE, 8, 12}, {0, 0, 443}}),
        "sport in {80, 443} encoding");

  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  auto port = [&next] { uint64_t v = next(); return static_cast<uint16_t>(v % 3 == 0 ? v % 65536 : 1000 + v % 40); };
  int wrong = 0, invalid = 0;
  for (int i = 0; i < 500; ++i) {
    DumpRequest f;
    for (int n = next() % 4; n > 0; --n) f.ports.local.push_back({port(), port()});
    for (int n = next() % 4; n > 0; --n) f.ports.remote.push_back({port(), port()});
    compile_filter(f, bc);
    invalid += !bc.empty() && !kernel_audit(bc);
    for (int j = 0; j < 200; ++j) {
      uint16_t s = port(), d = port();
      wrong += (bc.empty() ? true : kernel_run(bc, s, d)) != ports_match(f, s, d);
    }
  }
  CHECK_EQ(invalid, 0, "random filters the kernel's audit would reject");
  CHECK_EQ(wrong, 0, "random filters: kernel verdict != ports_match");
  DumpRequest huge;
  huge.ports.local.assign(4000, PortRange{1, 2});
  CHECK(compile_filter(huge, bc).code == "ERR_NETLINK_FILTER", "a filter too long for 16-bit jumps is refused");
}

// The caller's expression after the port ranges: both must hold, in one and in many ranges.
void test_expression_and_ports() {
  // dport >= 1000 or dport <= 10, as the TS compiler lays out an `or` (a JMP between the halves).
  std::vector<uint8_t> expr = ops({{INET_DIAG_BC_D_GE, 8, 12}, {0, 0, 1000}, {INET_DIAG_BC_JMP, 4, 12},
                                   {INET_DIAG_BC_D_LE, 8, 12}, {0, 0, 10}});
  std::vector<uint8_t> bc;
  DumpRequest only;
  only.expression = expr;
  CHECK(!compile_filter(only, bc) && bc == expr, "an expression alone is sent as it is");
  uint64_t x = 0xD1B54A32D192ED03ULL;
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  auto port = [&next] { uint64_t v = next(); return static_cast<uint16_t>(v % 2 ? v % 65536 : v % 2000); };
  int wrong = 0, invalid = 0;
  for (int i = 0; i < 300; ++i) {
    DumpRequest f;
    f.expression = expr;
    for (int n = next() % 4; n > 0; --n) f.ports.local.push_back({port(), port()});
    for (int n = next() % 3; n > 0; --n) f.ports.remote.push_back({port(), port()});
    compile_filter(f, bc);
    invalid += !kernel_audit(bc);
    for (int j = 0; j < 200; ++j) {
      uint16_t s = port(), d = port();
      wrong += kernel_run(bc, s, d) != (ports_match(f, s, d) && (d >= 1000 || d <= 10));
    }
  }
  CHECK_EQ(invalid, 0, "port ranges AND an expression: programs the kernel's audit would reject");
  CHECK_EQ(wrong, 0, "port ranges AND an expression: kernel verdict != both holding");
  DumpRequest huge;
  huge.expression.assign(0xFFF8, 0);
  CHECK(compile_filter(huge, bc).code == "ERR_NETLINK_FILTER", "an expression too long for one attribute is refused");
}

void test_requests() {
  DumpRequest r;
  r.states = 1 << kSynRecv | 1 << kListen, r.info = true, r.ports.local = {{22, 22}};
  std::vector<uint8_t> bc;
  compile_filter(r, bc);
  std::vector<uint8_t> v2 = build_request(Kind::kTcp6, r, bc, 99);
  uint32_t len, states, seq;
  uint16_t type, flags, alen, atype;
  std::memcpy(&len, &v2[0], 4), std::memcpy(&type, &v2[4], 2), std::memcpy(&flags, &v2[6], 2), std::memcpy(&seq, &v2[8], 4);
  std::memcpy(&states, &v2[20], 4), std::memcpy(&alen, &v2[72], 2), std::memcpy(&atype, &v2[74], 2);
  CHECK(len == v2.size() && len == 16 + 56 + 4 + 16 && type == SOCK_DIAG_BY_FAMILY && flags == (NLM_F_REQUEST | NLM_F_DUMP) && seq == 99, "v2 header");
  CHECK(v2[16] == AF_INET6 && v2[17] == IPPROTO_TCP && v2[18] == (1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1)), "v2 family, protocol, extensions");
  CHECK(states == (1u << kSynRecv | 1u << kListen | 1u << kNewSynRecv), "idiag_states covers request sockets");
  CHECK(alen == 20 && atype == INET_DIAG_REQ_BYTECODE && std::equal(bc.begin(), bc.end(), v2.begin() + 76), "bytecode attribute");
  std::vector<uint8_t> compat = build_request(Kind::kTcpBoth, DumpRequest{}, {}, 5);
  std::memcpy(&len, &compat[0], 4), std::memcpy(&type, &compat[4], 2), std::memcpy(&states, &compat[16 + 52], 4);
  CHECK(len == 16 + 60 && type == TCPDIAG_GETSOCK && compat[16] == AF_INET && states == kAllStates, "legacy inet_diag_req");
  std::vector<uint8_t> udp = build_request(Kind::kUdp4, with_ext(), {}, 5);
  CHECK(udp[17] == IPPROTO_UDP && udp[18] == 1 << (INET_DIAG_SKMEMINFO - 1), "udp: no tcp_info asked, meminfo asked");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "test/fixtures/netlink";
  std::string tcp = read_file(dir + "/tcp.bin"), udp = read_file(dir + "/udp.bin");
  if (!CHECK(!tcp.empty() && !udp.empty(), "fixtures readable in " + dir)) return check::finish();
  DumpRequest all = with_ext();
  test_fixtures(tcp, udp);
  test_truncation(tcp, all, "tcp.bin");
  test_truncation(udp, all, "udp.bin");
  test_corrupt_lengths(tcp, all, "tcp.bin");
  test_corrupt_lengths(udp, all, "udp.bin");
  test_random_flips(tcp, all, "tcp.bin");
  test_random_flips(udp, all, "udp.bin");
  test_row_fields();
  test_request_sockets();
  test_extensions();
  test_skipping();
  test_malformed();
  test_kernel_errors();
  test_combined_fallback();
  test_dump_intr();
  test_bytecode();
  test_expression_and_ports();
  test_requests();
  return check::finish();
}
