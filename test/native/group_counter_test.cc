// GroupCounter: keys encoded as documented, prefixes masked (IPv4-mapped IPv6 as IPv4), groups
// merged and taken back, the ranking's order, `other` and total, and a brute-force comparison
// with a std::map over random rows.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "aggregate/group_counter.h"
#include "check.h"

using namespace sockscope::aggregate;

namespace {

struct Addr {
  uint8_t b[16] = {};
};

Addr v4(const char* text) {
  Addr a;
  inet_pton(AF_INET, text, a.b);
  return a;
}

Addr v6(const char* text) {
  Addr a;
  inet_pton(AF_INET6, text, a.b);
  return a;
}

RowFields row(uint8_t state, uint8_t family, const Addr& local, uint16_t lport, const Addr& remote, uint16_t rport,
              uint32_t uid = 0) {
  RowFields r;
  r.state = state, r.family = family, r.local_address = local.b, r.remote_address = remote.b;
  r.local_port = lport, r.remote_port = rport, r.uid = uid;
  return r;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += d[p[i] >> 4], s += d[p[i] & 15];
  return s;
}

void widths_and_offsets() {
  GroupCounter c({{Key::kState, Key::kRemotePrefix, Key::kLocalPort, Key::kUid}});
  CHECK_EQ(c.width(), size_t{1 + 18 + 2 + 4}, "width is the sum of the keys'");
  CHECK_EQ(c.offset(0), size_t{0}, "state first");
  CHECK_EQ(c.offset(1), size_t{1}, "prefix after state");
  CHECK_EQ(c.offset(2), size_t{19}, "port after prefix");
  CHECK_EQ(c.offset(3), size_t{21}, "uid last");
}

void prefixes() {
  GroupCounter c({{Key::kRemotePrefix}, 24, 64});
  Addr any = v4("0.0.0.0");
  c.add(row(1, 4, any, 80, v4("10.1.2.3"), 5000));
  c.add(row(1, 4, any, 80, v4("10.1.2.200"), 5001));
  c.add(row(1, 6, any, 80, v6("::ffff:10.1.2.9"), 5002));
  c.add(row(1, 4, any, 80, v4("10.1.3.1"), 5003));
  c.add(row(1, 6, any, 80, v6("2001:db8:1:2:aaaa::1"), 5004));
  c.add(row(1, 6, any, 80, v6("2001:db8:1:2:bbbb::2"), 5005));
  Ranking r = c.rank(0);
  CHECK_EQ(r.total, uint64_t{6}, "six rows");
  CHECK_EQ(r.groups.size(), size_t{3}, "10.1.2/24, 10.1.3/24, 2001:db8:1:2::/64");
  CHECK_EQ(c.count(r.groups[0]), uint64_t{3}, "the mapped address joins its IPv4 /24");
  CHECK_EQ(hex(c.key(r.groups[0]), 18), std::string("0418") + "0a010200" + std::string(24, '0'), "10.1.2.0/24");
  CHECK_EQ(c.count(r.groups[1]), uint64_t{2}, "the IPv6 /64");
  CHECK_EQ(hex(c.key(r.groups[1]), 18), std::string("0640") + "20010db800010002" + std::string(16, '0'),
           "2001:db8:1:2::/64");
  GroupCounter odd({{Key::kRemotePrefix}, 20, 0});
  odd.add(row(1, 4, any, 80, v4("10.1.255.3"), 5000));
  odd.add(row(1, 6, any, 80, v6("2001:db8::1"), 5000));
  Ranking o = odd.rank(0);
  CHECK_EQ(hex(odd.key(o.groups[0]), 6), std::string("0414") + "0a01f000", "/20 clears the low 12 bits");
  CHECK_EQ(hex(odd.key(o.groups[1]), 18), std::string("0600") + std::string(32, '0'), "/0 keeps no bits");
}

void ranking() {
  GroupCounter c({{Key::kLocalPort}});
  Addr a = v4("127.0.0.1");
  for (int i = 0; i < 5; ++i) c.add(row(1, 4, a, 443, a, uint16_t(1000 + i)));
  for (int i = 0; i < 3; ++i) c.add(row(1, 4, a, 80, a, uint16_t(2000 + i)));
  for (int i = 0; i < 3; ++i) c.add(row(1, 4, a, 22, a, uint16_t(3000 + i)));
  c.add(row(1, 4, a, 8080, a, 4000));
  Ranking r = c.rank(2);
  CHECK_EQ(r.groups.size(), size_t{2}, "top 2");
  auto port = [&c](uint32_t g) { return uint16_t(c.key(g)[0] << 8 | c.key(g)[1]); };
  uint16_t p0 = port(r.groups[0]), p1 = port(r.groups[1]);
  CHECK_EQ(p0, uint16_t{443}, "largest first");
  CHECK_EQ(p1, uint16_t{22}, "a tie goes to the smaller port");
  CHECK_EQ(r.other_count, uint64_t{4}, "80 (3) and 8080 (1) in other");
  CHECK_EQ(r.other_groups, uint64_t{2}, "two groups left out");
  CHECK_EQ(r.total, uint64_t{12}, "total");
  std::vector<uint32_t> log(2, 99);
  c.add(row(1, 4, a, 443, a, 1), &log, 1);
  CHECK_EQ(log[1], uint32_t{99}, "a queued row's group is not known yet");
  c.flush();
  uint32_t g443 = log[1];
  CHECK_EQ(c.count(g443), uint64_t{6}, "the log gets the row's group once it is counted");
  c.take_back(g443);
  c.take_back(g443);
  c.take_back(99);  // no such group: nothing changes
  CHECK_EQ(c.total(), uint64_t{11}, "two taken back");
  GroupCounter::Checkpoint cp = c.checkpoint();
  c.add(row(1, 4, a, 9000, a, 1));
  c.flush();
  c.add(row(1, 4, a, 443, a, 1));  // still queued: restore drops it too
  c.restore(cp);
  CHECK_EQ(c.total(), uint64_t{11}, "restored total");
  CHECK_EQ(c.groups(), size_t{4}, "the group added after the checkpoint is gone");
  c.add(row(1, 4, a, 9000, a, 2), &log, 0);
  c.flush();
  CHECK_EQ(c.count(log[0]), uint64_t{1}, "and is found again from zero after rehash");
  c.take_back(4);
  GroupCounter d({{Key::kLocalPort}});
  d.add(row(1, 4, a, 8080, a, 1));
  d.add(row(1, 4, a, 8080, a, 2));
  d.add(row(1, 4, a, 8080, a, 3));
  d.add(row(1, 4, a, 8080, a, 4));
  d.add(row(1, 4, a, 8080, a, 5));
  c.merge(d);
  Ranking m = c.rank(1);
  CHECK_EQ(port(m.groups[0]), uint16_t{8080}, "merged counts add up: 8080 now has 6");
  CHECK_EQ(c.count(m.groups[0]), uint64_t{6}, "6");
  CHECK_EQ(m.total, uint64_t{16}, "merged total");
}

// Random rows against a std::map keyed by the same fields, formatted by hand.
void against_map() {
  std::mt19937 rng(7);
  GroupCounter c({{Key::kState, Key::kRemoteAddress, Key::kRemotePort}});
  std::map<std::string, uint64_t> want;
  Addr local = v4("10.0.0.1");
  for (int i = 0; i < 200000; ++i) {
    Addr remote;
    uint8_t family = rng() % 3 == 0 ? 6 : 4;
    uint32_t host = rng() % 500;
    std::memcpy(remote.b, &host, 4);
    if (family == 6) remote.b[15] = 1;
    uint8_t state = 1 + rng() % 11;
    uint16_t rport = uint16_t(rng() % 7);
    c.add(row(state, family, local, 80, remote, rport));
    want[std::to_string(state) + "/" + std::to_string(family) + "/" + hex(remote.b, 16) + "/" + std::to_string(rport)]++;
  }
  c.flush();
  CHECK_EQ(c.groups(), want.size(), "as many groups as distinct keys");
  bool all = true;
  Ranking r = c.rank(0);
  uint64_t last = UINT64_MAX;
  for (uint32_t g : r.groups) {
    const uint8_t* k = c.key(g);
    uint16_t rport = uint16_t(k[18] << 8 | k[19]);
    std::string name = std::to_string(k[0]) + "/" + std::to_string(k[1]) + "/" + hex(k + 2, 16) + "/" + std::to_string(rport);
    all = all && want[name] == c.count(g) && c.count(g) <= last;
    last = c.count(g);
  }
  CHECK(all, "every group's count equals the map's, largest first");
  // The order in full: a comparison sort of (count down, key bytes up), the ties past the first 8
  // key bytes included.
  std::vector<uint32_t> sorted(c.groups());
  for (uint32_t g = 0; g < sorted.size(); ++g) sorted[g] = g;
  std::sort(sorted.begin(), sorted.end(), [&c](uint32_t a, uint32_t b) {
    return c.count(a) != c.count(b) ? c.count(a) > c.count(b) : std::memcmp(c.key(a), c.key(b), c.width()) < 0;
  });
  CHECK(r.groups == sorted, "the ranking equals a comparison sort, ties in key order");
}

// Keys of at most 8 bytes are told apart by their hash alone, so the hash must never merge two:
// near-unique keys of 3 and of exactly 8 bytes against a std::map, and a merge of two counters.
void short_keys_against_map() {
  std::mt19937 rng(11);
  Addr a = v4("10.0.0.1");
  GroupCounter narrow({{Key::kState, Key::kLocalPort}}), wide({{Key::kUid, Key::kLocalPort, Key::kRemotePort}});
  GroupCounter wide_half({{Key::kUid, Key::kLocalPort, Key::kRemotePort}});
  std::map<uint32_t, uint64_t> want_narrow;
  std::map<uint64_t, uint64_t> want_wide;
  for (int i = 0; i < 300000; ++i) {
    uint8_t state = uint8_t(1 + rng() % 11);
    uint16_t lport = uint16_t(rng()), rport = uint16_t(rng() % 3);
    uint32_t uid = rng() % 4 == 0 ? 0xffffffffu - rng() % 2 : rng() % 3;
    narrow.add(row(state, 4, a, lport, a, rport, uid));
    (i % 2 ? wide : wide_half).add(row(state, 4, a, lport, a, rport, uid));
    ++want_narrow[uint32_t{state} << 16 | lport];
    ++want_wide[uint64_t{uid} << 32 | uint32_t{lport} << 16 | rport];
  }
  wide.merge(wide_half);
  narrow.flush();
  CHECK_EQ(narrow.groups(), want_narrow.size(), "3-byte keys: as many groups as distinct keys");
  CHECK_EQ(wide.groups(), want_wide.size(), "8-byte keys, merged: as many groups as distinct keys");
  bool narrow_ok = true, wide_ok = true;
  for (uint32_t g = 0; g < narrow.groups(); ++g) {
    const uint8_t* k = narrow.key(g);
    narrow_ok = narrow_ok && narrow.count(g) == want_narrow[uint32_t{k[0]} << 16 | k[1] << 8 | k[2]];
  }
  for (uint32_t g = 0; g < wide.groups(); ++g) {
    const uint8_t* k = wide.key(g);
    uint64_t key = 0;
    for (size_t i = 0; i < 8; ++i) key = key << 8 | k[i];
    wide_ok = wide_ok && wide.count(g) == want_wide[key];
  }
  CHECK(narrow_ok, "3-byte keys: every group's count equals the map's");
  CHECK(wide_ok, "8-byte keys: every group's count equals the map's");
}

// Counts that take one, two and three bytes rank by their value.
void large_counts() {
  GroupCounter c({{Key::kRemotePort}});
  Addr a = v4("127.0.0.1");
  const uint32_t counts[] = {255, 70000, 1, 256, 65535, 300, 65536};
  for (uint16_t port = 0; port < 7; ++port)
    for (uint32_t i = 0; i < counts[port]; ++i) c.add(row(1, 4, a, 80, a, port));
  Ranking r = c.rank(0);
  std::vector<uint64_t> order;
  for (uint32_t g : r.groups) order.push_back(c.count(g));
  CHECK(order == std::vector<uint64_t>({70000, 65536, 65535, 300, 256, 255, 1}), "largest first across byte boundaries");
  Ranking top = c.rank(3);
  CHECK_EQ(top.other_count, uint64_t{300 + 256 + 255 + 1}, "other sums the rest");
}

}  // namespace

int main() {
  widths_and_offsets();
  prefixes();
  ranking();
  against_map();
  short_keys_against_map();
  large_counts();
  return check::finish();
}
