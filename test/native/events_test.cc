// Offline tests of close-event parsing: a recording of the kernel's destroy broadcasts
// (test/fixtures/netlink/destroy.bin: TCP over IPv4 and IPv6, 1000 and 2000 bytes sent from
// port 40000 to 5000 and 40001 to 5001, each connection's three sockets, then a UDP socket on
// 5353), decoded, filtered, and fed back truncated and corrupted. No kernel needed.
#include <linux/netlink.h>
#include <linux/inet_diag.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "check.h"
#include "events/close_events.h"

using namespace sockscope;
using namespace sockscope::events;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Parsed {
  Error err;
  EventBatch batch;
};

Parsed parse(const std::string& bytes, const netlink::DumpRequest& filter = {}) {
  Parsed p;
  start_batch(p.batch);
  p.err = parse_datagram(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<long>(bytes.size()), 0, filter, p.batch);
  return p;
}

void test_recording(const std::string& rec) {
  Parsed p = parse(rec);
  const SocketTable& t = p.batch.table;
  CHECK(!p.err, "the recording parses: " + p.err.message);
  CHECK_EQ(t.size(), size_t{7}, "events");
  const uint16_t local[] = {40000, 5000, 5000, 40001, 5001, 5001, 5353};
  const uint16_t remote[] = {5000, 40000, 0, 5001, 40001, 0, 0};
  const uint8_t family[] = {4, 4, 4, 6, 6, 6, 4};
  for (size_t i = 0; i < 7 && i < t.size(); ++i) {
    std::string row = "row " + std::to_string(i);
    CHECK_EQ(int(t.local_port[i]), int(local[i]), row + " local port");
    CHECK_EQ(int(t.remote_port[i]), int(remote[i]), row + " remote port");
    CHECK_EQ(int(t.family[i]), int(family[i]), row + " family");
    CHECK_EQ(int(t.protocol[i]), i == 6 ? 17 : 6, row + " protocol, from INET_DIAG_PROTOCOL");
    CHECK_EQ(int(t.state[i]), int(kClose), row + " final state");
    CHECK_EQ(t.uid[i] + t.inode[i], 0u, row + " uid and inode: the kernel leaves them 0");
    CHECK(t.cookie[i] != 0, row + " has a cookie");
  }
  // The client counts its SYN and FIN acked; the server received the data and the FIN.
  CHECK_EQ(t.info.bytes_acked[0], 1002.0, "IPv4 client bytes_acked");
  CHECK_EQ(t.info.bytes_received[1], 1001.0, "IPv4 server bytes_received");
  CHECK_EQ(t.info.bytes_acked[3], 2002.0, "IPv6 client bytes_acked");
  CHECK_EQ(t.info.bytes_received[4], 2001.0, "IPv6 server bytes_received");
  CHECK(std::isnan(t.info.rtt[6]), "UDP has no tcp_info: NaN");
  CHECK_EQ(t.local_address[0] * 1000 + t.local_address[3], 127001, "IPv4 address 127.0.0.1");
  CHECK_EQ(int(t.local_address[3 * 16 + 15]), 1, "IPv6 address ::1");
  CHECK_EQ(p.batch.filtered, 0u, "nothing filtered");
}

void test_filters(const std::string& rec) {
  netlink::DumpRequest tcp6;
  tcp6.tables = 1 << kTcp6;
  Parsed a = parse(rec, tcp6);
  CHECK_EQ(a.batch.table.size(), size_t{3}, "tcp6 only");
  CHECK_EQ(a.batch.filtered, 4u, "the others counted as filtered");
  netlink::DumpRequest port;
  port.ports.local = {{5000, 5000}};
  CHECK_EQ(parse(rec, port).batch.table.size(), size_t{2}, "local port 5000: server and listener");
  netlink::DumpRequest listen;
  listen.states = 1u << kListen;
  CHECK_EQ(parse(rec, listen).batch.table.size(), size_t{0}, "nothing ends in LISTEN");
}

void test_groups() {
  std::vector<int> all = destroy_groups(kAllTables);
  CHECK(all == (std::vector<int>{1, 3, 2, 4}), "tcp, tcp6, udp, udp6 -> SKNLGRP 1, 3, 2, 4");
  CHECK(destroy_groups(1 << kUdp6) == std::vector<int>{4}, "udp6 alone");
}

// Every prefix: whole messages parse, a cut one is an error and keeps nothing of its datagram.
void test_truncation(const std::string& rec) {
  int errors = 0;
  for (size_t n = 0; n < rec.size(); ++n) {
    Parsed p = parse(rec.substr(0, n));
    bool ok = columns_consistent(p.batch.table);
    if (p.err) ok = ok && p.batch.table.size() == 0 && p.err.code == "ERR_NETLINK_PARSE", ++errors;
    if (!CHECK(ok, "prefix of " + std::to_string(n) + " bytes: " + p.err.code)) return;
  }
  CHECK(errors > 2000, "cut messages are errors (" + std::to_string(errors) + ")");
}

void test_corruption(const std::string& rec) {
  std::string noproto = rec;
  size_t attr = NLMSG_HDRLEN + sizeof(inet_diag_msg);
  CHECK_EQ(int(uint8_t(noproto[attr + 2])), int(INET_DIAG_PROTOCOL), "first attribute is the protocol");
  noproto[attr + 2] = 99;  // an attribute type nobody knows
  Parsed p = parse(noproto);
  CHECK_EQ(p.err.code, std::string("ERR_NETLINK_PARSE"), "no protocol attribute");
  CHECK(p.err.message.find("INET_DIAG_PROTOCOL") != std::string::npos, "the message says what is missing: " + p.err.message);
  std::string badlen = rec;
  badlen[attr] = 2, badlen[attr + 1] = 0;
  CHECK_EQ(parse(badlen).err.message, std::string("netlink: nla_len 2 < 4 at byte 88"), "nla_len below its header, at its offset");
  std::string other = rec;
  other[4] = NLMSG_NOOP;
  CHECK_EQ(parse(other).batch.table.size(), size_t{6}, "a message of another type is skipped");
  uint32_t seed = 12345;
  for (int i = 0; i < 3000; ++i) {
    std::string b = rec;
    for (int k = 0; k < 4; ++k) seed = seed * 1103515245 + 12345, b[(seed >> 8) % b.size()] ^= uint8_t(1 << (seed >> 28) % 8);
    Parsed q = parse(b);
    if (!CHECK(columns_consistent(q.batch.table) && (!q.err || q.batch.table.size() == 0), "flip round " + std::to_string(i))) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string rec = read_file(std::string(argc > 1 ? argv[1] : "test/fixtures/netlink") + "/destroy.bin");
  if (!CHECK_EQ(rec.size(), size_t{2376}, "recording readable")) return check::finish();
  test_recording(rec);
  test_filters(rec);
  test_groups();
  test_truncation(rec);
  test_corruption(rec);
  return check::finish();
}
