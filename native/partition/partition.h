// Partitioned dumps, the pure half: a port histogram learned from one read, the split of the
// port space it suggests for the next, and the merge of the partitions' results. No syscalls.
//
// Why it pays: a dump costs one walk of the established hash (W) plus a message per
// socket (F). Messages are filled outside the bucket locks, so K dumps on K cores, each asking
// for a disjoint set of ports, cost about W + F/K instead of W + F.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "aggregate/group_counter.h"
#include "table/socket_table.h"

namespace sockscope::partition {

// 64 ports per bucket: 1024 buckets per side, 4 KiB each, so counting stays in L1.
constexpr int kBucketShift = 6;
constexpr size_t kBuckets = 65536 >> kBucketShift;

struct PortHistogram {
  std::array<uint32_t, kBuckets> local{}, remote{};
  uint64_t rows = 0;
  void add(uint16_t local_port, uint16_t remote_port) {
    ++local[local_port >> kBucketShift], ++remote[remote_port >> kBucketShift], ++rows;
  }
  void merge(const PortHistogram& o);
};

enum class Side : uint8_t { kLocal, kRemote };

// Partition i asks for the ports in parts[i] (one to three ranges) on `side`; together the
// parts cover 0..65535, each port once.
struct Split {
  Side side = Side::kLocal;
  std::vector<std::vector<PortRange>> parts;
};

// Linux's default ip_local_port_range: where a host's own ends of its connections sit.
constexpr uint16_t kEphemeralLow = 32768, kEphemeralHigh = 60999;
// The guess before anything was learned: the local ephemeral range cut in k equal widths, the
// ports below it going to the first part and those above to the last.
Split even_split(size_t k);
// Cuts at the histogram's quantiles, then evens out what a cut cannot split (a hot port) by
// moving a run of buckets across, on the side that balances best: ephemeral ports cluster,
// and on a server every inbound socket shares the listener's local port. The other side must
// balance better by more than 1/64 of the rows to win over `prefer` (the last read's side, whose
// costs were learned): two sides that balance alike would otherwise take turns.
Split balanced_split(const PortHistogram& h, size_t k, Side prefer = Side::kLocal);
// The filter partition i sends to the kernel.
PortFilter partition_filter(const Split& s, size_t i);

// What a row costs to dump, per 64-port bucket of each side, relative to the mean row (1). Equal
// rows are not equal time: two halves of a table split evenly by port can take steadily
// different times, whichever core runs them, because the cost follows the sockets of a port
// range. Learned from how long each part took, so the next split balances time, not rows.
struct PortCosts {
  std::array<float, kBuckets> local, remote;
  Side side = Side::kLocal;  // of the last split learned from
  PortCosts() { local.fill(1), remote.fill(1); }
  // After a read split by s, in which part i took ms[i] for the rows of hists[i]: each part's
  // buckets are made dearer or cheaper by the square root of its time over the time these
  // costs predicted, by 10% at most (one read slowed by the machine moves the split a little),
  // then rescaled so the mean row costs 1 again.
  void learn(const Split& s, const std::vector<double>& ms, const std::vector<PortHistogram>& hists);
  // h with each bucket's rows weighted by its cost, each side summing to h.rows again: the
  // histogram whose balanced split should balance the parts' time.
  PortHistogram weigh(const PortHistogram& h) const;
};

// Open-addressing set of socket cookies, to drop a socket two partitions both saw (it moved
// between them during the walks). Cookie 0 (none) is never a duplicate.
class CookieSet {
 public:
  // slots: the storage, kept by the caller to be reused by the next set (see MergeScratch).
  CookieSet(size_t expected, std::vector<uint64_t>& slots);
  bool insert(uint64_t cookie);  // false when already present
  bool contains(uint64_t cookie) const;

 private:
  std::vector<uint64_t>& slots_;
  size_t mask_;
};

// What a counting partition keeps per row, so duplicates can be taken off the counts.
struct CookieLog {
  std::vector<uint64_t> cookie;
  std::vector<uint8_t> state;   // a state count's row: its state
  std::vector<uint32_t> group;  // a group count's row: its group in the partition's counter
  void clear() { cookie.clear(), state.clear(), group.clear(); }
};

// Memory the merges reuse from one read to the next. A large block freed on a thread-pool thread
// goes back to the kernel, and its pages fault in again on the next read; kept here, they stay
// mapped.
struct MergeScratch {
  std::vector<uint64_t> cookie_slots;
  std::vector<CookieLog> logs;  // a counting partition's, cleared and refilled
  std::vector<std::vector<uint8_t>> keep;  // a partition's rows kept
};

// Sums the partitions' counts, taking off every row whose cookie an earlier one had.
void merge_counts(const std::vector<StateCounts>& counts, const std::vector<CookieLog>& logs,
                  StateCounts& out, MergeScratch& scratch);
// The partitions' group counts summed into out, taking off every row whose cookie an earlier one
// had: out takes the first partition's counter (moved) and the others' groups are added to it.
void merge_groups(std::vector<aggregate::GroupCounter>& parts, const std::vector<CookieLog>& logs,
                  aggregate::GroupCounter& out, MergeScratch& scratch);
// Runs task(0) .. task(n-1), one after another or at once on n threads, and returns after all.
using RunEach = std::function<void(size_t n, const std::function<void(size_t)>& task)>;
void run_in_turn(size_t n, const std::function<void(size_t)>& task);

// Concatenates the partitions' tables into out, dropping rows whose cookie an earlier partition
// had. out's columns are sized first, in one region, then each partition's rows are copied to
// their place by run(task) (task(p) places partition p), so that K threads share the copy and
// the first touch of the new pages.
void merge_tables(const std::vector<SocketTable>& parts, SocketTable& out, MergeScratch& scratch,
                  const RunEach& run = run_in_turn);

}  // namespace sockscope::partition
