// Netlink dumps split by port across threads, behind the same calls as one dump.
// A PartitionedReader belongs to one owner (the addon instance of one JS environment): it holds
// the pinned threads and what earlier reads taught (row count, port histogram), per request
// shape. Thread-safe: concurrent reads share what was learned; the threads serve one read at a
// time, and a read that finds them busy takes the single dump. Plain C++, no N-API.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "curr_estab.h"
#include "netlink/netlink_reader.h"
#include "partition/partition.h"
#include "partition/pinned_pool.h"

namespace sockscope {

// Below this many rows in the previous read of the same shape, `auto` takes the single dump:
// in a small table the second socket, its walk of the hash and the threads' wake-up cost more
// than splitting the fill saves (bench/partition-crossover.mjs finds the crossover; see
// docs/design.md).
constexpr uint64_t kPartitionMinRows = 8000;
// `auto` uses at most this many partitions: each one walks the whole hash (W), so past a few
// the walks' CPU time grows while the saving F/K - F/(K+1) shrinks.
constexpr size_t kMaxAutoPartitions = 4;

// How many groups a count of one spec made: in all, and in its largest part.
struct GroupHint {
  size_t total = 0, part = 0;
};

class PartitionedReader {
 public:
  PartitionedReader();

  // asked: 0 = auto (K = min(CPUs allowed, the cgroup's CPU quota, kMaxAutoPartitions) once the previous read of this
  // shape had kPartitionMinRows rows), 1 = one dump, K >= 2 = K partitions whatever the size.
  // A request with its own port filter always takes one dump. used = the K that ran.
  // rows_hint: the rows expected (sockstat's count), for a shape not read before; 0 unknown.
  Error dump_table(uint32_t asked, int fd, const netlink::DumpRequest& req, uint64_t rows_hint,
                   SocketTable& out, netlink::DumpStats& st, uint32_t& used);
  Error count_states(uint32_t asked, int fd, const netlink::DumpRequest& req, StateCounts& out,
                     netlink::DumpStats& st, uint32_t& used);

  Error count_groups(uint32_t asked, int fd, const netlink::DumpRequest& req, aggregate::GroupCounter& out,
                     netlink::DumpStats& st, uint32_t& used);

  size_t auto_partitions() const { return auto_k_; }
  // Whether `auto` counts may take ESTABLISHED from the kernel's counter (curr_estab.h).
  estab::Trust& established_counter() { return estab_; }
  // Whether they may take TIME_WAIT from sockstat's tw.
  timewait::Trust& time_wait_counter() { return time_wait_; }

 private:
  struct Learned {
    uint64_t rows = 0;
    partition::PortHistogram histogram;
    partition::PortCosts costs;  // from the parts' times: the split balances time, not rows
  };
  template <class Job>
  Error read(uint32_t asked, int fd, const netlink::DumpRequest& req, netlink::DumpStats& st, uint32_t& used, Job& job);
  template <class Job>
  Error read_parts(size_t k, int fd, const netlink::DumpRequest& r, netlink::DumpStats& st,
                   partition::PortHistogram& h, Job& job);
  size_t choose(uint32_t asked, const netlink::DumpRequest& req);
  partition::Split split_for(const netlink::DumpRequest& req, size_t k);
  void learn(const netlink::DumpRequest& req, const partition::PortHistogram& h);
  void learn_costs(const netlink::DumpRequest& req, const partition::Split& split, const std::vector<double>& ms,
                   const std::vector<partition::PortHistogram>& hists);
  uint64_t expected_rows(const netlink::DumpRequest& req);
  static std::string spec_key(const aggregate::GroupSpec& spec);
  GroupHint group_hint(const std::string& spec);
  void learn_groups(const std::string& spec, GroupHint groups);
  Error run_parts(size_t k, const std::function<Error(size_t)>& dump);

  std::vector<int> cpus_;
  size_t auto_k_ = 1;
  std::mutex learned_m_;
  std::map<uint64_t, Learned> learned_;  // by request shape (tables, states)
  std::map<std::string, GroupHint> groups_seen_;  // by group spec
  estab::Trust estab_;
  timewait::Trust time_wait_;
  std::mutex pool_m_;                    // one partitioned read at a time; guards the two below
  std::unique_ptr<PinnedPool> pool_;
  partition::MergeScratch scratch_;
};

}  // namespace sockscope
