// Offline tests of partitioned dumps' pure half: splits from a port histogram (and from what the
// parts' times taught), the cookie set,
// and the merge of partitions' counts and tables (duplicates dropped, congestion re-pointed);
// and the pinned pool running a task on K threads at once, round after round.
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "netlink/netlink_parse.h"
#include "partition/partition.h"
#include "partition/pinned_pool.h"
#include "check.h"

using namespace sockscope;
using namespace sockscope::partition;

namespace {

// Rows per partition had `split` been used on these (local, remote) ports.
std::vector<size_t> loads(const Split& s, const std::vector<std::pair<uint16_t, uint16_t>>& rows) {
  std::vector<size_t> n(s.parts.size());
  for (auto [l, r] : rows)
    for (size_t i = 0; i < s.parts.size(); ++i) n[i] += partition_filter(s, i).matches(l, r);
  return n;
}

// Every port in exactly one partition, and no partition without ports (it would ask for all).
bool covers_all_ports_once(const Split& s) {
  std::vector<int> seen(65536);
  for (const std::vector<PortRange>& part : s.parts) {
    if (part.empty() || part.size() > 3) return false;
    for (const PortRange& r : part)
      for (uint32_t p = r.lo; p <= r.hi; ++p) ++seen[p];
  }
  return std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; });
}

void test_even_split() {
  for (size_t k : {1, 2, 3, 4, 7}) {
    Split s = even_split(k);
    CHECK(s.parts.size() == k && covers_all_ports_once(s), "even split of " + std::to_string(k) + " covers 0..65535 once");
  }
  Split two = even_split(2);
  CHECK(two.parts[0].size() == 1 && two.parts[0][0].lo == 0 && two.parts[0][0].hi == 46911 && two.parts[1][0].hi == 65535,
        "two halves of the ephemeral range 32768-60999, cut on a bucket edge");
}

// A client-heavy host: ephemeral local ports in 32768..60999, a few remote service ports.
void test_balanced_ephemeral() {
  std::vector<std::pair<uint16_t, uint16_t>> rows;
  PortHistogram h;
  for (uint32_t i = 0; i < 40000; ++i) {
    uint16_t local = static_cast<uint16_t>(32768 + (i * 7919) % 28232), remote = i % 3 ? 443 : 80;
    rows.push_back({local, remote}), h.add(local, remote);
  }
  for (size_t k : {2, 3, 4}) {
    Split s = balanced_split(h, k);
    std::vector<size_t> n = loads(s, rows);
    CHECK(s.side == Side::kLocal && covers_all_ports_once(s), "ephemeral: split on the local side");
    for (size_t x : n) CHECK(x > 40000 / k * 95 / 100 && x < 40000 / k * 105 / 100, "ephemeral: balanced within 5%, k=" + std::to_string(k));
  }
}

// A busy server: every inbound socket on local port 443, the clients' ports spread.
void test_balanced_server() {
  std::vector<std::pair<uint16_t, uint16_t>> rows;
  PortHistogram h;
  for (uint32_t i = 0; i < 30000; ++i) {
    uint16_t remote = static_cast<uint16_t>(1024 + (i * 104729) % 64000);
    rows.push_back({443, remote}), h.add(443, remote);
  }
  Split s = balanced_split(h, 2);
  std::vector<size_t> n = loads(s, rows);
  CHECK(s.side == Side::kRemote, "server: split on the remote side");
  CHECK(n[0] > 14000 && n[1] > 14000, "server: balanced");
}

// The bench fixture's shape: pairs to 15 listeners, so each listener port holds ~3.3% of the
// rows on each side, the other ends ephemeral. A cut cannot split a hot port; moving a run of
// ephemeral buckets across evens the parts out anyway.
void test_balanced_hot_ports() {
  std::vector<std::pair<uint16_t, uint16_t>> rows;
  PortHistogram h;
  for (uint32_t i = 0; i < 90000; ++i) {
    uint16_t listener = static_cast<uint16_t>(33000 + (i % 15) * 1777), ephemeral = static_cast<uint16_t>(32768 + (i * 7919) % 28232);
    for (auto [l, r] : {std::pair{listener, ephemeral}, std::pair{ephemeral, listener}}) rows.push_back({l, r}), h.add(l, r);
  }
  for (size_t k : {2, 3, 4}) {
    Split s = balanced_split(h, k);
    std::vector<size_t> n = loads(s, rows);
    CHECK(covers_all_ports_once(s), "hot ports: the parts cover every port once, k=" + std::to_string(k));
    for (size_t x : n) CHECK(x > rows.size() / k * 99 / 100 && x < rows.size() / k * 101 / 100, "hot ports: balanced within 1%, k=" + std::to_string(k) + ": " + std::to_string(x));
  }
}

// A simulated table: its rows, what each row costs to dump (ms, by local port) and the walk
// every part pays on top.
struct SimulatedHost {
  std::vector<std::pair<uint16_t, uint16_t>> rows;
  PortHistogram all;
  double walk_ms;
  std::function<double(uint16_t)> row_ms;
  void add(uint16_t local, uint16_t remote) { rows.push_back({local, remote}), all.add(local, remote); }
  // One read: splits by the costs learned so far, times the parts (slowdown[p] scales part p's
  // time, as a machine might) and learns from them.
  std::vector<double> read(PortCosts& costs, const std::vector<double>& slowdown = {1, 1}) const {
    Split s = balanced_split(costs.weigh(all), 2, costs.side);
    std::vector<double> ms(2, walk_ms);
    std::vector<PortHistogram> hists(2);
    for (auto [l, r] : rows)
      for (size_t p = 0; p < 2; ++p)
        if (partition_filter(s, p).matches(l, r)) ms[p] += row_ms(l), hists[p].add(l, r);
    for (size_t p = 0; p < 2; ++p) ms[p] *= slowdown[p];
    costs.learn(s, ms, hists);
    return ms;
  }
};

uint16_t ephemeral(uint32_t i) { return static_cast<uint16_t>(32768 + (i * 7919) % 28232); }

double imbalance(const std::vector<double>& ms) { return std::max(ms[0], ms[1]) / std::min(ms[0], ms[1]); }

// The rows of local ports from 50000 up take twice as long to dump as the others.
void test_costs_balance_time() {
  SimulatedHost host{{}, {}, 20.0, [](uint16_t local) { return local >= 50000 ? 2e-3 : 1e-3; }};
  for (uint32_t i = 0; i < 60000; ++i) host.add(ephemeral(i), 443);
  PortCosts costs;
  std::vector<double> first = host.read(costs), last;
  CHECK(imbalance(first) > 1.2, "equal rows first: the dearer part takes over 20% longer, " + std::to_string(imbalance(first)));
  for (int i = 0; i < 12; ++i) last = host.read(costs);
  CHECK(imbalance(last) < 1.03, "after 12 reads the parts take the same time within 3%, " + std::to_string(imbalance(last)));
  CHECK(costs.side == Side::kLocal, "learned on the side the split uses");

  // One read in which part 0 ran at half speed moves the split a little, not all the way.
  Split before = balanced_split(costs.weigh(host.all), 2, costs.side);
  host.read(costs, {2, 1});
  Split after = balanced_split(costs.weigh(host.all), 2, costs.side);
  size_t moved = 0;
  for (auto [l, r] : host.rows) moved += partition_filter(before, 0).matches(l, r) != partition_filter(after, 0).matches(l, r);
  CHECK(moved > 0 && moved < host.rows.size() * 6 / 100, "one slow read moves under 6% of the rows: " + std::to_string(moved));
}

// A split no cost can even out (one port holds 90% of the rows): the costs stay within their
// bounds and every split still covers each port once.
void test_costs_bounded() {
  SimulatedHost host{{}, {}, 20.0, [](uint16_t) { return 1e-3; }};
  for (uint32_t i = 0; i < 20000; ++i) {
    uint16_t local = i % 10 ? 8080 : ephemeral(i);
    host.add(local, local);
  }
  PortCosts costs;
  bool covered = true;
  for (int i = 0; i < 40; ++i) covered &= covers_all_ports_once(balanced_split(costs.weigh(host.all), 2, costs.side)), host.read(costs);
  auto within = [](const std::array<float, kBuckets>& c) {
    return std::all_of(c.begin(), c.end(), [](float x) { return x >= 0.5f && x <= 2.0f; });
  };
  CHECK(covered && within(costs.local) && within(costs.remote), "40 reads of an unsplittable table: costs within 2x, splits valid");
}

// Where the time follows the rows, learning keeps the split the rows alone give.
void test_costs_equal_rows() {
  SimulatedHost host{{}, {}, 5.0, [](uint16_t) { return 1e-3; }};
  for (uint32_t i = 0; i < 40000; ++i) host.add(ephemeral(i), 80);
  PortCosts costs;
  for (int i = 0; i < 5; ++i) host.read(costs);
  std::vector<size_t> n = loads(balanced_split(costs.weigh(host.all), 2, costs.side), host.rows);
  CHECK(n[0] > 19600 && n[1] > 19600, "rows that cost alike stay split evenly (within 2%)");
}

// Two sides that balance alike: the split keeps to the side it is told to prefer.
void test_prefer_side() {
  PortHistogram h;
  for (uint32_t i = 0; i < 20000; ++i) h.add(static_cast<uint16_t>(32768 + i), static_cast<uint16_t>(32768 + i));
  CHECK(balanced_split(h, 2, Side::kLocal).side == Side::kLocal, "local preferred: local");
  CHECK(balanced_split(h, 2, Side::kRemote).side == Side::kRemote, "remote preferred: remote");
}

void test_degenerate_histograms() {
  PortHistogram empty;
  CHECK(covers_all_ports_once(balanced_split(empty, 3)), "no rows: even split");
  PortHistogram one;
  for (int i = 0; i < 100; ++i) one.add(8080, 8080);
  for (size_t k : {2, 4, 16}) {
    Split s = balanced_split(one, k);
    CHECK(s.parts.size() == k && covers_all_ports_once(s), "one hot port: still k disjoint non-empty parts, k=" + std::to_string(k));
  }
}

void test_cookie_set() {
  std::vector<uint64_t> slots;
  CookieSet s(4, slots);
  CHECK(s.insert(1) && s.insert(2) && !s.insert(1), "second insert is a duplicate");
  CHECK(s.insert(0) && s.insert(0), "cookie 0 is never a duplicate");
  CookieSet big(1000, slots);  // the same storage, reused
  CHECK(!big.contains(1) && !big.contains(0), "a set reusing storage starts empty");
  size_t fresh = 0;
  for (uint64_t c = 1; c <= 1000; ++c) fresh += big.insert(c << 20);
  for (uint64_t c = 1; c <= 1000; ++c) fresh += big.insert(c << 20);
  CHECK_EQ(fresh, size_t{1000}, "1000 distinct cookies, each once");
}

void test_merge_counts() {
  std::vector<StateCounts> counts(2);
  std::vector<CookieLog> logs(2);
  counts[0][kEstablished] = 2, logs[0].cookie = {10, 11}, logs[0].state = {kEstablished, kEstablished};
  counts[1][kEstablished] = 1, counts[1][kTimeWait] = 1, logs[1].cookie = {12, 11}, logs[1].state = {kEstablished, kTimeWait};
  StateCounts out;
  MergeScratch scratch;
  merge_counts(counts, logs, out, scratch);
  CHECK(out[kEstablished] == 3 && out[kTimeWait] == 0, "the socket seen by both partitions counts once");

  // Three partitions. The middle one lists cookie 21 twice, as one dump may (the socket moved
  // ahead of the walk), and that stays, as a single dump would count it; cookie 20 is also in
  // the first partition, and 22 in the middle one and the last: those count once.
  counts.assign(3, StateCounts{}), logs.assign(3, CookieLog{});
  counts[0][kEstablished] = 1, logs[0].cookie = {20}, logs[0].state = {kEstablished};
  counts[1][kEstablished] = 3, counts[1][kTimeWait] = 1, logs[1].cookie = {21, 20, 22, 21};
  logs[1].state = {kEstablished, kEstablished, kEstablished, kTimeWait};
  counts[2][kFinWait2] = 1, logs[2].cookie = {22}, logs[2].state = {kFinWait2};
  merge_counts(counts, logs, out, scratch);
  CHECK(out[kEstablished] == 3 && out[kTimeWait] == 1 && out[kFinWait2] == 0,
        "only what an earlier partition saw is taken off, not a repeat within one partition");
}

SocketTable table_of(std::vector<uint64_t> cookies, std::vector<std::string> names, std::vector<uint8_t> cong) {
  SocketTable t;
  reset_table(t, true, false);
  for (size_t i = 1; i < names.size(); ++i) t.info.congestion_names.push_back(names[i]);
  for (size_t i = 0; i < cookies.size(); ++i) {
    t.protocol.push_back(6), t.family.push_back(4), t.state.push_back(kEstablished);
    t.local_address.resize(t.local_address.size() + 16, uint8_t(i)), t.remote_address.resize(t.remote_address.size() + 16);
    t.local_port.push_back(uint16_t(1000 + i)), t.remote_port.push_back(80), t.recv_q.push_back(0), t.send_q.push_back(0);
    t.uid.push_back(0), t.inode.push_back(uint32_t(cookies[i])), t.timer.push_back(0), t.timer_expires.push_back(0);
    t.retransmits.push_back(0), t.cookie.push_back(cookies[i]);
    for (auto* c : {&t.info.rtt, &t.info.rttvar, &t.info.min_rtt, &t.info.snd_cwnd, &t.info.snd_ssthresh, &t.info.retransmits,
                    &t.info.total_retrans, &t.info.lost, &t.info.unacked, &t.info.bytes_acked, &t.info.bytes_received,
                    &t.info.bytes_retrans, &t.info.delivery_rate, &t.info.pacing_rate, &t.info.last_data_sent, &t.info.last_data_recv})
      c->push_back(double(cookies[i]));
    t.info.congestion.push_back(cong[i]);
  }
  return t;
}

void test_merge_tables() {
  std::vector<SocketTable> parts;
  parts.push_back(table_of({1, 2}, {"", "cubic"}, {1, 0}));
  parts.push_back(table_of({3, 2, 4}, {"", "bbr", "cubic"}, {1, 2, 2}));
  SocketTable out;
  MergeScratch scratch;
  merge_tables(parts, out, scratch);
  CHECK_EQ(out.size(), size_t{4}, "4 sockets, cookie 2 once");
  CHECK(columns_consistent(out), "every column 4 rows");
  CHECK((out.cookie == Column<uint64_t>{1, 2, 3, 4}), "rows in partition order, the duplicate dropped");
  CHECK((out.inode == Column<uint32_t>{1, 2, 3, 4}) && out.info.rtt[3] == 4, "the other columns follow the rows kept");
  auto name = [&](size_t r) { return out.info.congestion_names[out.info.congestion[r]]; };
  CHECK(name(0) == "cubic" && name(1) == "" && name(2) == "bbr" && name(3) == "cubic", "congestion names re-pointed");

  // As in test_merge_counts: a cookie repeated inside the middle partition stays (5, 5), one an
  // earlier partition had goes (1 in the second, 6 in the third).
  parts.clear();
  parts.push_back(table_of({1, 2}, {""}, {0, 0}));
  parts.push_back(table_of({5, 1, 6, 5}, {""}, {0, 0, 0, 0}));
  parts.push_back(table_of({6, 7}, {""}, {0, 0}));
  merge_tables(parts, out, scratch);
  CHECK((out.cookie == Column<uint64_t>{1, 2, 5, 6, 5, 7}), "a repeat within a partition is kept, one across partitions dropped");
}

// The K placements at once, one thread each, as the reader runs them: the same table as one
// after another, on partitions big enough to span many pages, with and without duplicates.
void test_merge_tables_on_threads() {
  auto cookies = [](uint64_t from, size_t n) {
    std::vector<uint64_t> c(n);
    for (size_t i = 0; i < n; ++i) c[i] = from + i;
    return c;
  };
  std::vector<SocketTable> parts;
  parts.push_back(table_of(cookies(1, 30000), {"", "cubic"}, std::vector<uint8_t>(30000, 1)));
  std::vector<uint64_t> second = cookies(100001, 20000);
  second[7] = 5, second[19999] = 29999;  // two sockets the first partition also saw
  parts.push_back(table_of(second, {"", "bbr"}, std::vector<uint8_t>(20000, 1)));
  parts.push_back(table_of(cookies(200001, 25000), {"", "bbr", "cubic"}, std::vector<uint8_t>(25000, 2)));
  MergeScratch scratch;
  SocketTable in_turn, at_once;
  merge_tables(parts, in_turn, scratch);
  merge_tables(parts, at_once, scratch, [](size_t n, const std::function<void(size_t)>& task) {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; ++i) threads.emplace_back(task, i);
    for (std::thread& t : threads) t.join();
  });
  CHECK_EQ(at_once.size(), size_t{75000 - 2}, "75000 rows, the two seen twice once");
  CHECK(columns_consistent(at_once), "every column sized for the merged rows");
  const SocketTable &a = at_once, &b = in_turn;
  bool same = a.protocol == b.protocol && a.family == b.family && a.state == b.state &&
              a.local_address == b.local_address && a.remote_address == b.remote_address &&
              a.local_port == b.local_port && a.remote_port == b.remote_port && a.recv_q == b.recv_q &&
              a.send_q == b.send_q && a.uid == b.uid && a.inode == b.inode && a.timer == b.timer &&
              a.timer_expires == b.timer_expires && a.retransmits == b.retransmits && a.cookie == b.cookie &&
              a.info.rtt == b.info.rtt && a.info.last_data_recv == b.info.last_data_recv &&
              a.info.congestion == b.info.congestion && a.info.congestion_names == b.info.congestion_names;
  CHECK(same, "placed at once, every column equals the one placed in turn");
  CHECK(at_once.cookie[30000 + 7] == 100001 + 8 && at_once.cookie[30000 + 19998 - 1] == 100001 + 19998,
        "the second partition's rows close up over its duplicates");
  auto name = [&](size_t r) { return at_once.info.congestion_names[at_once.info.congestion[r]]; };
  CHECK(name(0) == "cubic" && name(30000) == "bbr" && name(75000 - 3) == "cubic", "congestion names of each partition");
}

void test_pool() {
  Error err;
  std::vector<int> cpus = allowed_cpus(err);
  CHECK(!err && !cpus.empty(), "sched_getaffinity lists our CPUs");
  PinnedPool pool(cpus);
  for (size_t k : {2, 1, 4, 3}) {
    std::atomic<int> inside{0}, most{0};
    std::set<std::thread::id> ids;
    std::mutex m;
    std::vector<int> ran(k, 0);
    CHECK(!pool.run(k, [&](size_t i) {
      int now = ++inside;
      for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {}
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // long enough for all to overlap
      ++ran[i];
      std::lock_guard<std::mutex> lock(m);
      ids.insert(std::this_thread::get_id());
      --inside;
    }), "run");
    CHECK(std::all_of(ran.begin(), ran.end(), [](int n) { return n == 1; }), "each task once, k=" + std::to_string(k));
    CHECK(ids.size() == k && most == int(k), "k threads side by side, k=" + std::to_string(k));
  }
  CHECK_EQ(pool.unpinned(), size_t{0}, "every thread pinned");
}

}  // namespace

int main() {
  test_even_split();
  test_balanced_ephemeral();
  test_balanced_server();
  test_balanced_hot_ports();
  test_degenerate_histograms();
  test_costs_balance_time();
  test_costs_bounded();
  test_costs_equal_rows();
  test_prefer_side();
  test_cookie_set();
  test_merge_counts();
  test_merge_tables();
  test_merge_tables_on_threads();
  test_pool();
  return check::finish();
}
