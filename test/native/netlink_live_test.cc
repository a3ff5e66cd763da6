// Live check of the netlink reader against `ss` in the same network namespace. Run it in a
// private one, where every socket is the test's own:
//   unshare -n sh -c 'ip link set lo up; /tmp/netlink_live_test [--record DIR]'
// --record DIR also writes the fixtures tcp.bin (tcp+tcp6, info+memory) and udp.bin.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "netlink/netlink_reader.h"
#include "check.h"

using namespace sockscope;
using namespace sockscope::netlink;

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(2);
}

int sys(int r, const char* what) { return r < 0 ? (die(what), r) : r; }

// An address of either family, as sockaddr_storage.
sockaddr_storage endpoint(int family, const char* addr, uint16_t port) {
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET, a->sin_port = htons(port);
    inet_pton(AF_INET, addr, &a->sin_addr);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6, a->sin6_port = htons(port);
    inet_pton(AF_INET6, addr, &a->sin6_addr);
  }
  return ss;
}

uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  sys(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len), "getsockname");
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);  // same offset in sockaddr_in6
}

int bound(int family, int type, const char* addr, bool v6only = true) {
  int fd = sys(socket(family, type, 0), "socket");
  int on = 1, v6 = v6only;
  sys(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), "SO_REUSEADDR");
  if (family == AF_INET6) sys(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6), "IPV6_V6ONLY");
  sockaddr_storage ss = endpoint(family, addr, 0);
  sys(bind(fd, reinterpret_cast<sockaddr*>(&ss), sizeof ss), "bind");
  return fd;
}

int listener(int family, const char* addr, int backlog, bool v6only = true) {
  int fd = bound(family, SOCK_STREAM, addr, v6only);
  sys(listen(fd, backlog), "listen");
  return fd;
}

int connected(int family, int type, const char* addr, uint16_t port) {
  int fd = sys(socket(family, type, 0), "socket");
  sockaddr_storage ss = endpoint(family, addr, port);
  sys(connect(fd, reinterpret_cast<sockaddr*>(&ss), sizeof ss), "connect");
  return fd;
}

void send_bytes(int fd, size_t n) {
  std::string data(n, 'x');
  if (send(fd, data.data(), n, 0) != static_cast<ssize_t>(n)) die("send");
}

// The sockets the test makes, with the numbers it checks.
struct World {
  uint16_t p_backlog, p_pair6, p_dual, p_uid, p_udp4, p_udp6;
  int client6, server6;  // 1000 bytes client->server, 3000 back, none read
  std::vector<int> fds;
};

World make_world() {
  World w{};
  auto keep = [&w](int fd) { return w.fds.push_back(fd), fd; };
  // LISTEN with backlog 7 and two connections waiting in its accept queue.
  int l4 = keep(listener(AF_INET, "127.0.0.1", 7));
  w.p_backlog = local_port(l4);
  keep(connected(AF_INET, SOCK_STREAM, "127.0.0.1", w.p_backlog));
  keep(connected(AF_INET, SOCK_STREAM, "127.0.0.1", w.p_backlog));
  // An IPv6 pair with bytes queued unread both ways.
  int l6 = keep(listener(AF_INET6, "::1", 5));
  w.p_pair6 = local_port(l6);
  w.client6 = keep(connected(AF_INET6, SOCK_STREAM, "::1", w.p_pair6));
  w.server6 = keep(sys(accept(l6, nullptr, nullptr), "accept"));
  send_bytes(w.client6, 1000);
  send_bytes(w.server6, 3000);
  // A dual-stack listener reached over IPv4: its accepted socket has ::ffff:127.0.0.1.
  int dual = keep(listener(AF_INET6, "::", 3, false));
  w.p_dual = local_port(dual);
  send_bytes(keep(connected(AF_INET, SOCK_STREAM, "127.0.0.1", w.p_dual)), 500);
  keep(sys(accept(dual, nullptr, nullptr), "accept"));
  // A listener owned by uid 4242: a socket's uid is the fsuid that created it.
  setfsuid(4242);
  int lu = keep(listener(AF_INET, "127.0.0.1", 4));
  setfsuid(0);
  w.p_uid = local_port(lu);
  // TIME_WAIT: the side that closes first keeps it.
  int tw = listener(AF_INET, "127.0.0.1", 1);
  int twc = connected(AF_INET, SOCK_STREAM, "127.0.0.1", local_port(tw));
  int tws = sys(accept(tw, nullptr, nullptr), "accept");
  close(twc), close(tws), close(tw);
  // UDP: one socket with two datagrams queued, its connected sender, and an IPv6 one.
  int u4 = keep(bound(AF_INET, SOCK_DGRAM, "127.0.0.1"));
  w.p_udp4 = local_port(u4);
  int sender = keep(connected(AF_INET, SOCK_DGRAM, "127.0.0.1", w.p_udp4));
  send_bytes(sender, 100), send_bytes(sender, 200);
  w.p_udp6 = local_port(keep(bound(AF_INET6, SOCK_DGRAM, "::1")));
  usleep(200 * 1000);  // loopback ACKs and the FIN exchange settle
  return w;
}

// One line of `ss -H -[tu]anOe`.
struct SsRow {
  uint8_t state = 0;
  uint32_t recv_q = 0, send_q = 0, uid = 0, inode = 0;
  uint8_t local[16] = {}, remote[16] = {};
  uint16_t local_port = 0, remote_port = 0;
  uint64_t cookie = 0;
};

uint8_t ss_state(const std::string& s) {
  static const std::map<std::string, uint8_t> kStates = {
      {"ESTAB", 1}, {"SYN-SENT", 2}, {"SYN-RECV", 3}, {"FIN-WAIT-1", 4}, {"FIN-WAIT-2", 5},
      {"TIME-WAIT", 6}, {"UNCONN", 7}, {"CLOSE-WAIT", 8}, {"LAST-ACK", 9}, {"LISTEN", 10},
      {"CLOSING", 11}};
  auto it = kStates.find(s);
  return it == kStates.end() ? 0 : it->second;
}

// "127.0.0.1:80", "[::1]:80", "0.0.0.0:*", "*:80" into our 16-byte form.
void ss_endpoint(const std::string& s, uint8_t addr[16], uint16_t& port) {
  size_t colon = s.rfind(':');
  std::string host = s.substr(0, colon), p = s.substr(colon + 1);
  port = p == "*" ? 0 : static_cast<uint16_t>(std::stoi(p));
  if (host.size() > 1 && host.front() == '[') inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), addr);
  else if (host != "*") inet_pton(AF_INET, host.c_str(), addr);
}

std::vector<SsRow> run_ss(const char* args) {
  std::vector<SsRow> rows;
  FILE* f = popen((std::string("ss -H ") + args).c_str(), "r");
  if (!f) die("popen");
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    std::istringstream in(line);
    std::string state, local, remote, tok;
    SsRow r;
    in >> state >> r.recv_q >> r.send_q >> local >> remote;
    r.state = ss_state(state);
    ss_endpoint(local, r.local, r.local_port);
    ss_endpoint(remote, r.remote, r.remote_port);
    while (in >> tok) {
      if (tok.rfind("uid:", 0) == 0) r.uid = std::stoul(tok.substr(4));
      if (tok.rfind("ino:", 0) == 0) r.inode = std::stoul(tok.substr(4));
      if (tok.rfind("sk:", 0) == 0) r.cookie = std::stoull(tok.substr(3), nullptr, 16);
    }
    rows.push_back(r);
  }
  pclose(f);
  return rows;
}

long find_cookie(const SocketTable& t, uint64_t cookie) {
  auto it = std::find(t.cookie.begin(), t.cookie.end(), cookie);
  return it == t.cookie.end() ? -1 : it - t.cookie.begin();
}

long find_port(const SocketTable& t, uint8_t protocol, uint16_t port, uint8_t state) {
  for (size_t i = 0; i < t.size(); ++i)
    if (t.protocol[i] == protocol && t.local_port[i] == port && t.state[i] == state) return static_cast<long>(i);
  return -1;
}

Error dump(int fd, TableMask tables, SocketTable& t, DumpStats* st = nullptr, bool combined = true) {
  DumpRequest r;
  r.tables = tables, r.info = true, r.memory = true, r.combined_family = combined;
  return dump_table(fd, r, t, st);
}

void compare_with_ss(int fd, TableMask tables, const char* ss_args) {
  SocketTable t;
  Error e = dump(fd, tables, t);
  CHECK(!e, "dump for " + std::string(ss_args) + ": " + e.message);
  std::vector<SsRow> ss = run_ss(ss_args);
  CHECK_EQ(t.size(), ss.size(), std::string("row count vs ss ") + ss_args);
  for (const SsRow& s : ss) {
    long i = find_cookie(t, s.cookie);
    std::string at = std::string(ss_args) + " port " + std::to_string(s.local_port);
    if (!CHECK(i >= 0, at + ": socket missing from the dump")) continue;
    CHECK_EQ(int(t.state[i]), int(s.state), at + " state");
    CHECK_EQ(t.local_port[i], s.local_port, at + " local port");
    CHECK_EQ(t.remote_port[i], s.remote_port, at + " remote port");
    CHECK(!std::memcmp(&t.local_address[16 * i], s.local, 16), at + " local address");
    CHECK(!std::memcmp(&t.remote_address[16 * i], s.remote, 16), at + " remote address");
    CHECK_EQ(t.recv_q[i], s.recv_q, at + " Recv-Q");
    CHECK_EQ(t.send_q[i], s.send_q, at + " Send-Q");
    CHECK_EQ(t.inode[i], s.inode, at + " inode");
    CHECK_EQ(t.uid[i], s.uid, at + " uid");
  }
}

void check_world(int fd, const World& w) {
  SocketTable t;
  CHECK(!dump(fd, kAllTables, t), "full dump");
  long l = find_port(t, kProtoTcp, w.p_backlog, kListen);
  if (CHECK(l >= 0, "backlog listener present"))
    CHECK(t.recv_q[l] == 2 && t.send_q[l] == 7, "LISTEN: accept queue 2, backlog 7");
  long u = find_port(t, kProtoTcp, w.p_uid, kListen);
  if (CHECK(u >= 0, "uid listener present")) CHECK_EQ(t.uid[u], 4242u, "listener uid");
  long d = find_port(t, kProtoTcp, w.p_dual, kEstablished);
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  if (CHECK(d >= 0, "dual-stack accepted socket present"))
    CHECK(t.family[d] == 6 && !std::memcmp(&t.local_address[16 * d], mapped, 16), "IPv4-mapped stays family 6");
  long s = find_port(t, kProtoTcp, w.p_pair6, kEstablished);
  if (CHECK(s >= 0, "ipv6 server socket present")) {
    CHECK_EQ(t.recv_q[s], 1000u, "server Recv-Q");
    CHECK_EQ(t.info.bytes_received[s], 1000.0, "server tcp_info bytes_received");
    CHECK_EQ(t.info.bytes_acked[s], 3000.0, "server tcp_info bytes_acked");
    CHECK(t.info.rtt[s] > 0 && t.info.congestion_names[t.info.congestion[s]] != "", "rtt and congestion");
    CHECK(t.memory.rmem_alloc[s] > 0, "meminfo rmem_alloc");
  }
  long c = -1;
  for (size_t i = 0; i < t.size(); ++i) if (t.remote_port[i] == w.p_pair6) c = static_cast<long>(i);
  if (CHECK(c >= 0, "ipv6 client socket present")) {
    CHECK_EQ(t.recv_q[c], 3000u, "client Recv-Q");
    CHECK_EQ(t.info.bytes_received[c], 3000.0, "client tcp_info bytes_received");
    // The active opener counts its SYN in bytes_acked (snd_una moves past it); the server does not.
    CHECK_EQ(t.info.bytes_acked[c], 1001.0, "client tcp_info bytes_acked (1000 + SYN)");
  }
  long tw = -1;
  for (size_t i = 0; i < t.size(); ++i) if (t.state[i] == kTimeWait) tw = static_cast<long>(i);
  if (CHECK(tw >= 0, "a TIME_WAIT row"))
    CHECK(t.timer[tw] == 3 && std::isnan(t.info.rtt[tw]) && std::isnan(t.memory.rmem_alloc[tw]), "TIME_WAIT: timer 3, no info, no meminfo");
  long q = find_port(t, kProtoUdp, w.p_udp4, kClose);
  if (CHECK(q >= 0, "udp receiver present"))
    CHECK(t.recv_q[q] > 0 && std::isnan(t.info.rtt[q]) && t.info.congestion[q] == 0, "udp: queued bytes, no tcp_info");
  CHECK(find_port(t, kProtoUdp, w.p_udp6, kClose) >= 0 && t.family[find_port(t, kProtoUdp, w.p_udp6, kClose)] == 6, "udp6 socket present");
}

}  // namespace

namespace {

// The fields that stay put between two dumps of idle sockets, one string per row, sorted.
std::vector<std::string> row_keys(const SocketTable& t) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < t.size(); ++i) {
    std::ostringstream k;
    k << int(t.protocol[i]) << '/' << int(t.family[i]) << '/' << int(t.state[i]) << '/'
      << std::string(reinterpret_cast<const char*>(&t.local_address[16 * i]), 16) << '/'
      << std::string(reinterpret_cast<const char*>(&t.remote_address[16 * i]), 16) << '/'
      << t.local_port[i] << '/' << t.remote_port[i] << '/' << t.recv_q[i] << '/' << t.send_q[i]
      << '/' << t.uid[i] << '/' << t.inode[i] << '/' << t.cookie[i] << '/' << int(t.timer[i]);
    keys.push_back(k.str());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool consistent(const SocketTable& t) {
  size_t n = t.size();
  auto ok = [n](const auto& c, size_t w = 1) { return c.size() == n * w; };
  return ok(t.protocol) && ok(t.family) && ok(t.local_address, 16) && ok(t.remote_address, 16) &&
         ok(t.local_port) && ok(t.remote_port) && ok(t.recv_q) && ok(t.send_q) && ok(t.uid) &&
         ok(t.inode) && ok(t.timer) && ok(t.timer_expires) && ok(t.retransmits) && ok(t.cookie) &&
         (!t.has_info || (ok(t.info.rtt) && ok(t.info.last_data_recv) && ok(t.info.congestion))) &&
         (!t.has_memory || (ok(t.memory.rmem_alloc) && ok(t.memory.drops)));
}

void check_combined(int fd) {
  SocketTable both, split;
  DumpStats sb, ss;
  CHECK(!dump(fd, 1 << kTcp | 1 << kTcp6, both, &sb, true), "combined dump");
  CHECK(!dump(fd, 1 << kTcp | 1 << kTcp6, split, &ss, false), "per-family dump");
  CHECK(sb.combined_used && !ss.combined_used, "combined_used says which walk ran");
  CHECK(std::count(both.family.begin(), both.family.end(), 4) > 0 &&
        std::count(both.family.begin(), both.family.end(), 6) > 0, "combined walk returns both families");
  CHECK(row_keys(both) == row_keys(split), "combined rows == per-family rows");
  CHECK(consistent(both) && consistent(split), "columns consistent");
}

// Rows of `all` matching the filter, computed here, against what the kernel-side filter returns.
void check_filter(int fd, const World& w, std::vector<PortRange> sport, std::vector<PortRange> dport, const std::string& name) {
  SocketTable all, got;
  DumpRequest r;
  r.ports.local = sport, r.ports.remote = dport;
  DumpStats st;
  CHECK(!dump_table(fd, DumpRequest{}, all), "unfiltered dump");
  Error e = dump_table(fd, r, got, &st);
  CHECK(!e, name + ": " + e.message);
  CHECK_EQ(st.filtered_in_userspace, 0u, name + ": the kernel honoured the bytecode");
  auto in = [](const std::vector<PortRange>& l, uint16_t p) {
    return l.empty() || std::any_of(l.begin(), l.end(), [p](PortRange x) { return x.lo <= p && p <= x.hi; });
  };
  std::vector<uint64_t> want, have(got.cookie.begin(), got.cookie.end());
  for (size_t i = 0; i < all.size(); ++i)
    if (in(sport, all.local_port[i]) && in(dport, all.remote_port[i])) want.push_back(all.cookie[i]);
  std::sort(want.begin(), want.end()), std::sort(have.begin(), have.end());
  CHECK(!want.empty(), name + ": filter selects something");
  CHECK(want == have, name + ": exactly the matching sockets (" + std::to_string(have.size()) + " of " + std::to_string(all.size()) + ")");
  (void)w;
}

void check_counts(int fd) {
  SocketTable t;
  StateCounts c{}, want{};
  DumpRequest r;
  r.tables = 1 << kTcp | 1 << kTcp6;
  DumpStats st;
  CHECK(!dump_table(fd, r, t), "tcp dump");
  for (uint8_t s : t.state) ++want[s];
  Error e = count_states(fd, r, c, &st);
  CHECK(!e, "count_states: " + e.message);
  CHECK(c == want, "count_states == tally of dump_table");
  CHECK(st.combined_used, "count_states takes the combined tcp+tcp6 walk");
  StateCounts per_family{};
  r.combined_family = false;
  DumpStats sp;
  CHECK(!count_states(fd, r, per_family, &sp) && !sp.combined_used, "count_states per family");
  CHECK(per_family == c, "per-family counts == combined counts");
  CHECK(c[kListen] >= 4 && c[kTimeWait] >= 1, "counts see listeners and TIME_WAIT");
}

void check_states_filter(int fd) {
  SocketTable t;
  DumpRequest r;
  r.states = 1 << kListen;
  DumpStats st;
  CHECK(!dump_table(fd, r, t, &st), "LISTEN-only dump");
  CHECK(t.size() >= 4 && std::all_of(t.state.begin(), t.state.end(), [](uint8_t s) { return s == kListen; }), "only LISTEN rows");
  CHECK_EQ(st.filtered_in_userspace, 0u, "kernel honoured idiag_states");
}

void check_record_replay(int fd) {
  SocketTable live, again;
  DumpRequest r;
  r.info = r.memory = true;
  std::string rec;
  DumpStats st, rs;
  CHECK(!dump_table(fd, r, live, &st, &rec), "recorded dump");
  CHECK_EQ(rec.size(), size_t(st.bytes), "record holds every received byte");
  Error e = replay(reinterpret_cast<const uint8_t*>(rec.data()), rec.size(), r, again, &rs);
  CHECK(!e, "replay of the recording: " + e.message);
  CHECK(row_keys(live) == row_keys(again), "replay == live dump");
  CHECK(live.info.congestion_names == again.info.congestion_names, "replay congestion names");
  CHECK_EQ(rs.combined_used, st.combined_used, "replay sees the combined walk");
}

// A caller's own socket: non-blocking and never bound (the kernel autobinds at the first send).
void check_nonblocking(int fd) {
  int nb = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  CHECK(nb >= 0, "non-blocking socket");
  SocketTable a, b;
  CHECK(!dump_table(fd, DumpRequest{}, a), "blocking dump");
  Error e = dump_table(nb, DumpRequest{}, b);
  CHECK(!e, "non-blocking dump: " + e.message);
  CHECK(row_keys(a) == row_keys(b), "unbound non-blocking dump == blocking dump");
  close(nb);
}

// Another dump already running on the fd: its messages are not ours (skipped), and the
// kernel answers our request with EBUSY. Once that dump is read to its end the fd works again.
void check_busy_fd(int fd) {
  std::vector<uint8_t> other = {72, 0, 0, 0, SOCK_DIAG_BY_FAMILY, 0, 1, 3, 9, 9, 9, 9, 0, 0, 0, 0,
                                AF_INET, IPPROTO_TCP, 0, 0, 0xff, 0xff, 0, 0};
  other.resize(72);
  CHECK(send(fd, other.data(), other.size(), 0) == 72, "foreign dump request sent");
  SocketTable t;
  Error e = dump_table(fd, DumpRequest{}, t);
  CHECK(e.code == "EBUSY" && e.errnum == EBUSY && e.syscall == "recvmsg", "dump_table on a busy fd: EBUSY, got " + e.code);
  char buf[65536];
  for (bool end = false; !end;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    for (ssize_t off = 0; n > 0 && off + 16 <= n && !end; off += (reinterpret_cast<nlmsghdr*>(buf + off)->nlmsg_len + 3) & ~3u)
      end = reinterpret_cast<nlmsghdr*>(buf + off)->nlmsg_type == NLMSG_DONE;
    end = end || n <= 0;
  }
  CHECK(!dump_table(fd, DumpRequest{}, t) && t.size() > 0, "fd usable again after the foreign dump ended");
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void record_fixtures(int fd, const std::string& dir) {
  DumpRequest tcp, udp;
  tcp.tables = 1 << kTcp | 1 << kTcp6, tcp.info = tcp.memory = true;
  udp.tables = 1 << kUdp | 1 << kUdp6;
  for (auto [req, name] : {std::pair{&tcp, "tcp.bin"}, std::pair{&udp, "udp.bin"}}) {
    SocketTable t;
    std::string rec;
    CHECK(!dump_table(fd, *req, t, nullptr, &rec), std::string("recording ") + name);
    write_file(dir + "/" + name, rec);
    std::printf("recorded %s: %zu bytes, %zu rows, states", name, rec.size(), t.size());
    for (uint8_t s : t.state) std::printf(" %d", s);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Compares whole dumps with the sockets it made: only a private namespace holds no others.
  const char* netns = std::getenv("SOCKSCOPE_TEST_NETNS");
  if (!netns || std::string(netns) != "1") return check::skip("needs a private network namespace (npm test)");
  World w = make_world();
  Error err;
  int fd = open_diag_socket(err);
  if (fd < 0) return std::printf("open_diag_socket: %s %s\n", err.code.c_str(), err.message.c_str()), 2;
  compare_with_ss(fd, 1 << kTcp | 1 << kTcp6, "-tanOe");
  compare_with_ss(fd, 1 << kUdp | 1 << kUdp6, "-uanOe");
  check_world(fd, w);
  check_combined(fd);
  check_filter(fd, w, {{w.p_backlog, w.p_backlog}}, {}, "sport = backlog port");
  check_filter(fd, w, {{w.p_udp4, w.p_udp4}, {w.p_pair6, w.p_pair6}}, {}, "sport in two ports");
  check_filter(fd, w, {}, {{w.p_dual, w.p_dual}}, "dport = dual port");
  check_filter(fd, w, {{1024, 65535}}, {{w.p_backlog, w.p_backlog}, {w.p_pair6, w.p_pair6}}, "sport range and dport list");
  check_counts(fd);
  check_states_filter(fd);
  check_record_replay(fd);
  check_nonblocking(fd);
  check_busy_fd(fd);
  if (argc == 3 && std::string(argv[1]) == "--record") record_fixtures(fd, argv[2]);
  close(fd);
  return check::finish();
}
