// The ESTABLISHED counter: Tcp CurrEstab parsed from /proc/net/snmp text (real, truncated and
// hostile), the meaning by kernel release, and the trust that full counts give or take away;
// the TIME_WAIT counter, sockstat's tw, the same way.
#include <cstdint>
#include <random>
#include <string>

#include "check.h"
#include "curr_estab.h"

using namespace sockscope;
using estab::Meaning;

namespace {

const std::string kSnmp =
    "Ip: Forwarding DefaultTTL InReceives\n"
    "Ip: 1 64 123\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets "
    "CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
    "Tcp: 1 200 120000 -1 52 46 0 0 87500 4136 4248 0 0 7 0\n"
    "Udp: InDatagrams NoPorts\n"
    "Udp: 0 0\n";

bool parse(const std::string& s, uint64_t& v) { return estab::parse_curr_estab(s.data(), s.size(), v); }

void test_parse() {
  uint64_t v = 0;
  CHECK(parse(kSnmp, v) && v == 87500, "CurrEstab of a real snmp file");
  CHECK(!parse("", v), "empty: no field");
  CHECK(!parse("Ip: Forwarding\nIp: 1\n", v), "no Tcp lines");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstab\n", v), "header without values");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstab\nUdp: 1 2\n", v), "values line of another protocol");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstab\nTcp: 1\n", v), "values line one field short");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstab\nTcp: 1 -3\n", v), "negative value");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstab\nTcp: 1 12x\n", v), "trailing garbage");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstab\nTcp: 1 99999999999999999999\n", v), "more digits than 64 bits");
  CHECK(!parse("Tcp: RtoAlgorithm CurrEstabX\nTcp: 1 5\n", v), "a longer field name is not CurrEstab");
  CHECK(parse("Tcp: RtoAlgorithm CurrEstab\nTcp: 1 0", v) && v == 0, "no final newline, value 0");
  for (size_t cut = 0; cut < kSnmp.size(); ++cut) {
    uint64_t w = 0;
    bool ok = parse(kSnmp.substr(0, cut), w);
    size_t value_end = kSnmp.find("87500") + 5;
    if (ok && !CHECK(cut >= kSnmp.find("87500") + 1 && w <= 87500, "a truncated file parses only up to its value")) break;
    if (cut >= value_end && !CHECK(ok && w == 87500, "a file cut after the value still has it")) break;
  }
  // Hostile bytes: flipped and random bytes never crash and never invent a value from nothing.
  std::mt19937 rng(9);
  for (int i = 0; i < 20000; ++i) {
    std::string s = kSnmp;
    for (int j = 0; j < 1 + i % 8; ++j) s[rng() % s.size()] = static_cast<char>(rng());
    uint64_t w = 0;
    parse(s, w);
  }
  CHECK(true, "20000 mutated files parsed without a fault");
}

void test_release() {
  CHECK(estab::meaning_of_release("6.18.44-fc-v1045") == Meaning::kEstablishedCloseWait, "6.18");
  CHECK(estab::meaning_of_release("6.10.0") == Meaning::kEstablishedCloseWait, "6.10");
  CHECK(estab::meaning_of_release("7.0") == Meaning::kEstablishedCloseWait, "7.0");
  CHECK(estab::meaning_of_release("6.9.12") == Meaning::kEstablished, "6.9");
  CHECK(estab::meaning_of_release("5.15.0-91-generic") == Meaning::kEstablished, "5.15");
  CHECK(estab::meaning_of_release("garbage") == Meaning::kEstablished, "unparseable: the older meaning");
  CHECK(estab::meaning_of_release("") == Meaning::kEstablished, "empty");
}

StateCounts counts(uint64_t est, uint64_t close_wait) {
  StateCounts c{};
  c[kEstablished] = est, c[kCloseWait] = close_wait, c[kTimeWait] = 7;
  return c;
}

void test_established() {
  uint64_t est = 0;
  CHECK(estab::established(Meaning::kEstablishedCloseWait, 100, counts(0, 30), est) && est == 70, "counter minus CLOSE_WAIT");
  CHECK(estab::established(Meaning::kEstablished, 100, counts(0, 30), est) && est == 100, "counter alone");
  CHECK(!estab::established(Meaning::kEstablishedCloseWait, 20, counts(0, 30), est), "counter below CLOSE_WAIT: moved");
}

void test_trust() {
  estab::Trust t(Meaning::kEstablishedCloseWait);
  CHECK(!t.use_counter(), "not trusted before a full count agreed");
  t.check(130, 131, counts(100, 30));
  CHECK(!t.use_counter(), "a count during which the counter moved proves nothing");
  t.check(130, 130, counts(100, 30));
  CHECK(t.use_counter(), "a quiet full count that agrees: trusted");
  int used = 1;
  while (t.use_counter()) ++used;
  CHECK_EQ(used, static_cast<int>(estab::kRecheckEvery) - 1, "a full count again after kRecheckEvery reads");
  t.check(131, 131, counts(100, 30));
  CHECK(!t.use_counter(), "a quiet full count that disagrees: put aside");
  t.check(100, 100, counts(100, 30));
  CHECK(t.use_counter() && t.meaning() == Meaning::kEstablished, "agrees with the other meaning: switched");
  estab::Trust u(Meaning::kEstablished);
  u.check(100, 100, counts(100, 0));
  CHECK(u.use_counter() && u.meaning() == Meaning::kEstablished, "no CLOSE_WAIT: the assumed meaning stands");
  estab::Trust w(Meaning::kEstablished);
  w.check(100, 100, counts(90, 0));
  CHECK(!w.use_counter(), "matches neither meaning: not trusted");
}

const std::string kSockstat =
    "sockets: used 13\n"
    "TCP: inuse 11 orphan 0 tw 60 alloc 31 mem 80\n"
    "UDP: inuse 0 mem 0\n";

bool parse_tw(const std::string& s, uint64_t& v) { return timewait::parse_sockstat_tw(s.data(), s.size(), v); }

StateCounts time_wait(uint64_t tw) {
  StateCounts c{};
  c[kTimeWait] = tw;
  return c;
}

void test_time_wait() {
  uint64_t v = 0;
  CHECK(parse_tw(kSockstat, v) && v == 60, "tw of a real sockstat");
  CHECK(parse_tw("TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 1", v) && v == 0, "no newline at the end");
  CHECK(!parse_tw("sockets: used 1\nUDP: inuse 0 mem 0\n", v), "no TCP line");
  CHECK(!parse_tw("TCP: inuse 1 orphan 0 alloc 1 mem 1\n", v), "no tw field");
  CHECK(!parse_tw("TCP: inuse 1 orphan 0 tw\n", v), "tw without a value");
  CHECK(!parse_tw("TCP: inuse 1 orphan 0 tw -3 alloc 1\n", v), "a negative value");
  CHECK(!parse_tw("TCP: inuse 1 orphan 0 tw 99999999999999999999 alloc 1\n", v), "20 digits: too many");
  CHECK(!parse_tw("TCP: inuse tw orphan 5\n", v), "tw only as a field name, not a value");
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string cut = kSockstat.substr(0, rng() % (kSockstat.size() + 1));
    for (int j = 0; j < 3 && !cut.empty(); ++j) cut[rng() % cut.size()] ^= static_cast<char>(rng());
    parse_tw(cut, v);  // must not read past the text (ASan) whatever it returns
  }
  timewait::Trust t;
  CHECK(!t.use_counter(), "TIME_WAIT: not trusted before a full count agreed");
  t.check(60, 61, time_wait(60));
  CHECK(!t.use_counter(), "TIME_WAIT: a count during which the counter moved proves nothing");
  t.check(60, 60, time_wait(60));
  CHECK(t.use_counter(), "TIME_WAIT: a quiet full count that agrees: trusted");
  int used = 1;
  while (t.use_counter()) ++used;
  CHECK_EQ(used, static_cast<int>(estab::kRecheckEvery) - 1, "TIME_WAIT: a full count again after kRecheckEvery reads");
  t.check(70, 70, time_wait(60));
  CHECK(!t.use_counter(), "TIME_WAIT: orphaned FIN_WAIT2 in the counter, not in the dump's TIME_WAIT: put aside");
}

}  // namespace

int main() {
  test_parse();
  test_release();
  test_established();
  test_trust();
  test_time_wait();
  return check::finish();
}
