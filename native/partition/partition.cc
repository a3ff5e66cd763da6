#include "partition/partition.h"

#include <algorithm>
#include <cmath>

#include "netlink/netlink_parse.h"

namespace sockscope::partition {
namespace {

// The last bucket of each partition but the last: where the running total is nearest j/k of
// all rows, each partition keeping at least one bucket.
std::vector<size_t> quantile_cuts(const std::array<uint32_t, kBuckets>& b, uint64_t total, size_t k) {
  std::vector<size_t> cuts;
  uint64_t sum = 0;
  size_t next = 0;  // the first bucket not yet in a partition
  for (size_t j = 1; j < k; ++j) {
    uint64_t target = total * j / k;
    size_t most = kBuckets - (k - j);  // leaves a bucket for each partition still to come
    while (next < most && sum + b[next] <= target) sum += b[next++];
    // The bucket that crosses the quantile goes where it leaves the smaller error.
    if (next < most && sum + b[next] - target < target - sum) sum += b[next++];
    size_t least = cuts.empty() ? 1 : cuts.back() + 2;
    while (next < least) sum += b[next++];
    cuts.push_back(next - 1);
  }
  return cuts;
}

using Buckets = std::array<uint32_t, kBuckets>;
using Owners = std::vector<uint8_t>;  // the partition of each bucket

Owners from_cuts(const std::vector<size_t>& cuts) {
  Owners owner(kBuckets);
  for (size_t i = 0, p = 0; i < kBuckets; ++i) {
    owner[i] = static_cast<uint8_t>(p);
    if (p < cuts.size() && i == cuts[p]) ++p;
  }
  return owner;
}

std::vector<uint64_t> loads(const Buckets& b, const Owners& owner, size_t k) {
  std::vector<uint64_t> n(k);
  for (size_t i = 0; i < kBuckets; ++i) n[owner[i]] += b[i];
  return n;
}

struct Run {
  size_t first = 0, end = 0;
};

// The run of consecutive buckets of partition `from` whose rows come nearest `want`, never all
// of its buckets (a partition with no port would ask for every port). Empty if none helps.
Run nearest_run(const Buckets& b, const Owners& owner, uint8_t from, uint64_t want) {
  size_t owned = static_cast<size_t>(std::count(owner.begin(), owner.end(), from));
  Run best;
  uint64_t best_err = want, sum = 0;
  for (size_t x = 0, y = 0; y < kBuckets; ++y) {
    if (owner[y] != from) {
      x = y + 1, sum = 0;
      continue;
    }
    sum += b[y];
    for (;;) {
      uint64_t err = sum > want ? sum - want : want - sum;
      if (err < best_err && y + 1 - x < owned) best = {x, y + 1}, best_err = err;
      if (sum <= want || x > y) break;
      sum -= b[x++];
    }
  }
  return best;
}

// A cut can be no finer than a bucket, and one hot port (a listener's) fills a bucket alone:
// at each cut, the rows the partitions before it have too many (or too few) move across as a
// run of other buckets, so each partition is at most three ranges.
void rebalance(const Buckets& b, uint64_t total, size_t k, Owners& owner) {
  for (size_t j = 1; j < k; ++j) {
    std::vector<uint64_t> n = loads(b, owner, k);
    uint64_t before = 0;
    for (size_t p = 0; p < j; ++p) before += n[p];
    uint64_t target = total * j / k;
    bool over = before > target;
    uint8_t from = static_cast<uint8_t>(over ? j - 1 : j), to = static_cast<uint8_t>(over ? j : j - 1);
    Run r = nearest_run(b, owner, from, over ? before - target : target - before);
    for (size_t i = r.first; i < r.end; ++i) owner[i] = to;
  }
}

Split from_owners(Side side, const Owners& owner, size_t k) {
  Split s;
  s.side = side;
  s.parts.resize(k);
  for (size_t i = 0; i < kBuckets;) {
    size_t end = i;
    while (end < kBuckets && owner[end] == owner[i]) ++end;
    s.parts[owner[i]].push_back({static_cast<uint16_t>(i << kBucketShift), static_cast<uint16_t>((end << kBucketShift) - 1)});
    i = end;
  }
  return s;
}

constexpr float kMinCost = 0.5f, kMaxCost = 2.0f;  // within 2x of the mean: a stale cost unwinds in 8 reads
constexpr float kMinStep = 1 / 1.1f, kMaxStep = 1.1f;  // what one read may change it by

// The part owning each bucket under s (as from_owners laid them out).
Owners owners_of(const Split& s) {
  Owners owner(kBuckets);
  for (size_t p = 0; p < s.parts.size(); ++p)
    for (const PortRange& r : s.parts[p])
      for (size_t b = r.lo >> kBucketShift; b <= size_t{r.hi} >> kBucketShift; ++b) owner[b] = static_cast<uint8_t>(p);
  return owner;
}

uint64_t mix(uint64_t c) { return c * 0x9E3779B97F4A7C15ull; }

// keep[r] = 0 for each row of partition p whose cookie an earlier partition had (the socket
// moved between them during the walks), then p's cookies join `seen` for the partitions after
// it. A cookie repeated within one partition is the kernel listing a socket twice, as a single
// dump would, and stays. Returns the rows kept.
template <class Cookies>
size_t keep_unseen(const Cookies& cookies, size_t p, size_t k, CookieSet& seen, std::vector<uint8_t>& keep) {
  keep.assign(cookies.size(), 1);
  size_t kept = cookies.size();
  if (p > 0)
    for (size_t r = 0; r < cookies.size(); ++r)
      if (seen.contains(cookies[r])) keep[r] = 0, --kept;
  if (p + 1 < k)
    for (uint64_t c : cookies) seen.insert(c);
  return kept;
}

}  // namespace

void PortHistogram::merge(const PortHistogram& o) {
  for (size_t i = 0; i < kBuckets; ++i) local[i] += o.local[i], remote[i] += o.remote[i];
  rows += o.rows;
}

Split even_split(size_t k) {
  std::vector<size_t> cuts;
  size_t lo = kEphemeralLow >> kBucketShift, width = (kEphemeralHigh >> kBucketShift) + 1 - lo;
  for (size_t j = 1; j < k; ++j) cuts.push_back(lo + width * j / k - 1);
  return from_owners(Side::kLocal, from_cuts(cuts), k);
}

Split balanced_split(const PortHistogram& h, size_t k, Side prefer) {
  if (h.rows == 0 || k < 2) return even_split(k);
  Owners local = from_cuts(quantile_cuts(h.local, h.rows, k));
  Owners remote = from_cuts(quantile_cuts(h.remote, h.rows, k));
  rebalance(h.local, h.rows, k, local);
  rebalance(h.remote, h.rows, k, remote);
  std::vector<uint64_t> nl = loads(h.local, local, k), nr = loads(h.remote, remote, k);
  uint64_t max_local = *std::max_element(nl.begin(), nl.end()), max_remote = *std::max_element(nr.begin(), nr.end());
  uint64_t margin = h.rows / 64;
  bool use_remote = prefer == Side::kRemote ? max_remote <= max_local + margin : max_remote + margin < max_local;
  return use_remote ? from_owners(Side::kRemote, remote, k) : from_owners(Side::kLocal, local, k);
}

PortFilter partition_filter(const Split& s, size_t i) {
  PortFilter f;
  (s.side == Side::kLocal ? f.local : f.remote) = s.parts[i];
  return f;
}

void PortCosts::learn(const Split& s, const std::vector<double>& ms, const std::vector<PortHistogram>& hists) {
  std::array<float, kBuckets>& cost = s.side == Side::kLocal ? local : remote;
  side = s.side;
  Owners owner = owners_of(s);
  size_t k = s.parts.size();
  // What each part's rows cost as priced now, against the time it took.
  std::vector<double> priced(k);
  double total_priced = 0, total_ms = 0;
  for (size_t p = 0; p < k; ++p) {
    const Buckets& n = s.side == Side::kLocal ? hists[p].local : hists[p].remote;
    for (size_t b = 0; b < kBuckets; ++b) priced[p] += double(n[b]) * cost[b];
    total_priced += priced[p], total_ms += ms[p];
  }
  if (total_priced <= 0 || total_ms <= 0) return;
  std::vector<float> step(k, 1.0f);
  for (size_t p = 0; p < k; ++p)
    if (priced[p] > 0 && ms[p] > 0)
      step[p] = std::clamp(static_cast<float>(std::sqrt((ms[p] / total_ms) / (priced[p] / total_priced))), kMinStep, kMaxStep);
  double rows = 0, repriced = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    cost[b] *= step[owner[b]];
    double n = 0;
    for (const PortHistogram& h : hists) n += s.side == Side::kLocal ? h.local[b] : h.remote[b];
    rows += n, repriced += n * cost[b];
  }
  float scale = rows > 0 && repriced > 0 ? static_cast<float>(rows / repriced) : 1.0f;
  for (float& c : cost) c = std::clamp(c * scale, kMinCost, kMaxCost);
}

PortHistogram PortCosts::weigh(const PortHistogram& h) const {
  PortHistogram w;
  w.rows = h.rows;
  auto side = [&h](const Buckets& n, const std::array<float, kBuckets>& cost, Buckets& out) {
    double sum = 0;
    for (size_t b = 0; b < kBuckets; ++b) sum += double(n[b]) * cost[b];
    double scale = sum > 0 ? double(h.rows) / sum : 1.0;
    for (size_t b = 0; b < kBuckets; ++b) out[b] = static_cast<uint32_t>(std::lround(double(n[b]) * cost[b] * scale));
  };
  side(h.local, local, w.local);
  side(h.remote, remote, w.remote);
  return w;
}

CookieSet::CookieSet(size_t expected, std::vector<uint64_t>& slots) : slots_(slots) {
  size_t n = 16;
  while (n < expected * 2) n <<= 1;
  slots_.assign(n, 0);
  mask_ = n - 1;
}

bool CookieSet::contains(uint64_t cookie) const {
  if (cookie == 0) return false;
  for (size_t i = mix(cookie) >> 40 & mask_;; i = (i + 1) & mask_) {
    if (slots_[i] == cookie) return true;
    if (slots_[i] == 0) return false;
  }
}

bool CookieSet::insert(uint64_t cookie) {
  if (cookie == 0) return true;
  for (size_t i = mix(cookie) >> 40 & mask_;; i = (i + 1) & mask_) {
    if (slots_[i] == cookie) return false;
    if (slots_[i] == 0) return slots_[i] = cookie, true;
  }
}

namespace {

// Calls taken_back(p, r) for each row r of partition p whose cookie an earlier partition had.
template <class F>
void for_each_double(const std::vector<CookieLog>& logs, MergeScratch& scratch, F&& taken_back) {
  size_t k = logs.size(), seen_rows = 0;
  for (size_t p = 0; p + 1 < k; ++p) seen_rows += logs[p].cookie.size();
  CookieSet seen(seen_rows, scratch.cookie_slots);
  if (scratch.keep.empty()) scratch.keep.emplace_back();
  std::vector<uint8_t>& keep = scratch.keep[0];
  for (size_t p = 0; p < k; ++p) {
    if (keep_unseen(logs[p].cookie, p, k, seen, keep) == keep.size()) continue;
    for (size_t r = 0; r < keep.size(); ++r)
      if (!keep[r]) taken_back(p, r);
  }
}

}  // namespace

void merge_counts(const std::vector<StateCounts>& counts, const std::vector<CookieLog>& logs, StateCounts& out,
                  MergeScratch& scratch) {
  out.fill(0);
  for (const StateCounts& c : counts)
    for (size_t s = 0; s < out.size(); ++s) out[s] += c[s];
  for_each_double(logs, scratch, [&](size_t p, size_t r) { --out[logs[p].state[r]]; });
}

void merge_groups(std::vector<aggregate::GroupCounter>& parts, const std::vector<CookieLog>& logs,
                  aggregate::GroupCounter& out, MergeScratch& scratch) {
  for_each_double(logs, scratch, [&](size_t p, size_t r) { parts[p].take_back(logs[p].group[r]); });
  // The first counter becomes out whole: re-adding its groups one by one was most of the merge.
  out = std::move(parts[0]);
  for (size_t p = 1; p < parts.size(); ++p) out.merge(parts[p]);
}

void run_in_turn(size_t n, const std::function<void(size_t)>& task) {
  for (size_t i = 0; i < n; ++i) task(i);
}

void merge_tables(const std::vector<SocketTable>& parts, SocketTable& out, MergeScratch& scratch, const RunEach& run) {
  size_t k = parts.size(), seen_rows = 0;
  for (size_t p = 0; p + 1 < k; ++p) seen_rows += parts[p].size();
  // Which rows each partition keeps (none kept twice) and where they start in out.
  CookieSet seen(seen_rows, scratch.cookie_slots);
  static const std::vector<uint8_t> kEveryRow;
  std::vector<const std::vector<uint8_t>*> keep(k, &kEveryRow);
  std::vector<size_t> at(k + 1, 0);
  scratch.keep.resize(k);
  for (size_t p = 0; p < k; ++p) {
    size_t kept = keep_unseen(parts[p].cookie, p, k, seen, scratch.keep[p]);
    if (kept < parts[p].size()) keep[p] = &scratch.keep[p];
    at[p + 1] = at[p] + kept;
  }
  out = SocketTable{};
  out.has_info = parts[0].has_info, out.has_memory = parts[0].has_memory;
  out.reserve(at[k]);
  size_columns(out, at[k]);
  run(k, [&](size_t p) { place_rows(out, at[p], parts[p], *keep[p]); });
  if (!out.has_info) return;
  out.info.congestion_names = parts[0].info.congestion_names;
  for (size_t p = 1; p < k; ++p) repoint_congestion(out, parts[p].info.congestion_names, at[p], at[p + 1]);
}

}  // namespace sockscope::partition
