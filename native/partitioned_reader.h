// Netlink dumps split by port across threads (issue 9), behind the same calls as one dump.
// A PartitionedReader belongs to one owner (the addon instance of one JS environment): it holds
// the pinned threads and what earlier reads taught (row count, port histogram), per request
// shape. Thread-safe: concurrent reads share what was learned; the threads serve one read at a
// time, and a read that finds them busy takes the single dump. Plain C++, no N-API.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "netlink_reader.h"
#include "partition.h"
#include "pinned_pool.h"

namespace sockscope {

// Below this many rows in the previous read of the same shape, `auto` takes the single dump.
// Measured with bench/partition-crossover.mjs (2 cores, Linux 6.18, medians of 300 sync reads,
// K = 2 vs one dump, ms): 501 rows 0.73 vs 0.38 (counts); 2135: 1.45 vs 1.21; 4315: 1.93 vs
// 1.58 (table 2.03 vs 2.07); 8675: 3.00 vs 3.17 (table 3.93 vs 3.96); 17395: 9.9 vs 11.3.
// Under ~8000 rows the second socket, its walk of the hash and the threads' wake-up cost more
// than half the fill saves; the loss there is under 0.4 ms either way.
constexpr uint64_t kPartitionMinRows = 8000;
// `auto` uses at most this many partitions: each one walks the whole hash (W), so past a few
// the walks' CPU time grows while the saving F/K - F/(K+1) shrinks.
constexpr size_t kMaxAutoPartitions = 4;
// `auto` times both paths and takes the faster; one read in this many takes the other one
// (each probe of the single dump costs ~25 ms at 100k sockets: 1 in 16 added 4% on average).
constexpr uint32_t kProbeEvery = 64;
// ... but not before the split has been timed this many times: one slow first sample (a core
// busy for a moment) would otherwise keep `auto` on the single dump for kProbeEvery reads.
constexpr uint32_t kMinSplitSamples = 3;
// ... and the split keeps the lead until it is timed this much slower per row than the single
// dump: per-read figures are noisy (a 100k sweep timed both within 10% of each other while the
// split was 18% faster on the median), and the split is the expected winner on two cores.
constexpr double kSplitMargin = 1.10;

class PartitionedReader {
 public:
  PartitionedReader();

  // asked: 0 = auto (K = min(CPUs allowed, kMaxAutoPartitions) once the previous read of this
  // shape had kPartitionMinRows rows, unless the split was timed slower than the single dump),
  // 1 = one dump, K >= 2 = K partitions whatever the size.
  // A request with its own port filter always takes one dump. used = the K that ran.
  Error dump_table(uint32_t asked, int fd, const netlink::DumpRequest& req, SocketTable& out,
                   netlink::DumpStats& st, uint32_t& used);
  Error count_states(uint32_t asked, int fd, const netlink::DumpRequest& req, StateCounts& out,
                     netlink::DumpStats& st, uint32_t& used);

  size_t auto_partitions() const { return auto_k_; }

 private:
  struct Learned {
    uint64_t rows = 0;
    partition::PortHistogram histogram;
    double single_ns = 0, split_ns = 0;  // `auto`: recent wall time per row of each path, 0 unknown
    uint32_t reads = 0;                  // `auto` reads past kPartitionMinRows
    uint32_t split_samples = 0;          // split reads timed
  };
  template <class Job>
  Error read(uint32_t asked, int fd, const netlink::DumpRequest& req, netlink::DumpStats& st, uint32_t& used, Job& job);
  template <class Job>
  Error read_parts(size_t k, int fd, const netlink::DumpRequest& r, netlink::DumpStats& st,
                   partition::PortHistogram& h, Job& job);
  size_t choose(uint32_t asked, const netlink::DumpRequest& req);
  partition::Split split_for(const netlink::DumpRequest& req, size_t k);
  void learn(const netlink::DumpRequest& req, const partition::PortHistogram& h);
  void note_time(const netlink::DumpRequest& req, size_t k, double ns);
  uint64_t expected_rows(const netlink::DumpRequest& req);
  Error run_parts(size_t k, const std::function<Error(size_t)>& dump);

  std::vector<int> cpus_;
  size_t auto_k_ = 1;
  std::mutex learned_m_;
  std::map<uint64_t, Learned> learned_;  // by request shape (tables, states)
  std::mutex pool_m_;                    // one partitioned read at a time
  std::unique_ptr<PinnedPool> pool_;
};

}  // namespace sockscope
