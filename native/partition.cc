#include "partition.h"

#include <algorithm>

#include "netlink_parse.h"

namespace sockscope::partition {
namespace {

constexpr uint32_t kPorts = 65536;

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

// The rows of the fullest partition, had the cuts been used on these rows.
uint64_t heaviest(const std::array<uint32_t, kBuckets>& b, const std::vector<size_t>& cuts) {
  uint64_t worst = 0, sum = 0;
  size_t c = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    sum += b[i];
    if (c < cuts.size() && i == cuts[c]) worst = std::max(worst, sum), sum = 0, ++c;
  }
  return std::max(worst, sum);
}

Split from_cuts(Side side, const std::vector<size_t>& cuts) {
  Split s;
  s.side = side;
  uint32_t lo = 0;
  for (size_t c : cuts) {
    uint32_t end = static_cast<uint32_t>(c + 1) << kBucketShift;
    s.ranges.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(end - 1)});
    lo = end;
  }
  s.ranges.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(kPorts - 1)});
  return s;
}

uint64_t mix(uint64_t c) { return c * 0x9E3779B97F4A7C15ull; }

}  // namespace

void PortHistogram::merge(const PortHistogram& o) {
  for (size_t i = 0; i < kBuckets; ++i) local[i] += o.local[i], remote[i] += o.remote[i];
  rows += o.rows;
}

Split even_split(size_t k) {
  std::vector<size_t> cuts;
  for (size_t j = 1; j < k; ++j) cuts.push_back(kBuckets * j / k - 1);
  return from_cuts(Side::kLocal, cuts);
}

Split balanced_split(const PortHistogram& h, size_t k) {
  if (h.rows == 0 || k < 2) return even_split(k);
  std::vector<size_t> local = quantile_cuts(h.local, h.rows, k);
  std::vector<size_t> remote = quantile_cuts(h.remote, h.rows, k);
  bool use_remote = heaviest(h.remote, remote) < heaviest(h.local, local);
  return use_remote ? from_cuts(Side::kRemote, remote) : from_cuts(Side::kLocal, local);
}

PortFilter partition_filter(const Split& s, size_t i) {
  PortFilter f;
  (s.side == Side::kLocal ? f.local : f.remote).push_back(s.ranges[i]);
  return f;
}

CookieSet::CookieSet(size_t expected) {
  size_t n = 16;
  while (n < expected * 2) n <<= 1;
  slots_.assign(n, 0);
  mask_ = n - 1;
}

bool CookieSet::insert(uint64_t cookie) {
  if (cookie == 0) return true;
  for (size_t i = mix(cookie) >> 40 & mask_;; i = (i + 1) & mask_) {
    if (slots_[i] == cookie) return false;
    if (slots_[i] == 0) return slots_[i] = cookie, true;
  }
}

void merge_counts(const std::vector<StateCounts>& counts, const std::vector<CookieLog>& logs, StateCounts& out) {
  out.fill(0);
  size_t rows = 0;
  for (const CookieLog& l : logs) rows += l.cookie.size();
  CookieSet seen(rows);
  for (size_t p = 0; p < counts.size(); ++p) {
    for (size_t s = 0; s < out.size(); ++s) out[s] += counts[p][s];
    for (size_t r = 0; r < logs[p].cookie.size(); ++r)
      if (!seen.insert(logs[p].cookie[r])) --out[logs[p].state[r]];
  }
}

void merge_tables(std::vector<SocketTable>& parts, SocketTable& out) {
  size_t rows = 0;
  for (const SocketTable& t : parts) rows += t.size();
  CookieSet seen(rows);
  out = std::move(parts[0]);
  for (uint64_t c : out.cookie) seen.insert(c);
  std::vector<uint8_t> keep;
  for (size_t p = 1; p < parts.size(); ++p) {
    keep.resize(parts[p].size());
    for (size_t r = 0; r < keep.size(); ++r) keep[r] = seen.insert(parts[p].cookie[r]);
    netlink::append_rows(out, parts[p], keep);
  }
}

}  // namespace sockscope::partition
