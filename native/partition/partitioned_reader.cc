#include "partition/partitioned_reader.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <new>

#include "partition/cpu_quota.h"

namespace sockscope {
namespace {

using netlink::DumpRequest;
using netlink::DumpStats;

uint64_t shape(const DumpRequest& r) { return uint64_t{r.states} << 8 | r.tables; }

// Only a read of whole tables (no port ranges, no expression) teaches the split: a filtered
// read's rows say nothing of the table's spread over the ports.
bool unfiltered(const DumpRequest& r) { return r.ports.empty() && r.expression.empty(); }

void add_stats(DumpStats& into, const DumpStats& s, bool first) {
  into.messages += s.messages, into.bytes += s.bytes, into.recv_calls += s.recv_calls;
  into.restarts += s.restarts, into.filtered_in_userspace += s.filtered_in_userspace;
  into.inconsistent |= s.inconsistent;
  into.recv_buffer = s.recv_buffer;
  into.combined_used = (first || into.combined_used) && s.combined_used;
}

Error out_of_memory() {
  return Error{ENOMEM, "ENOMEM", "", "out of memory while reading the socket table"};
}

// Partition i's dump on its own socket (partition 0 on the caller's), so the K walks run at once.
template <class Dump>
Error on_own_socket(size_t i, int caller_fd, Dump&& dump) {
  return i == 0 ? dump(caller_fd) : netlink::with_diag_socket(dump);
}

estab::Meaning meaning_here() {
  utsname u{};
  return estab::meaning_of_release(uname(&u) == 0 ? u.release : "0");
}

}  // namespace

PartitionedReader::PartitionedReader() : estab_(meaning_here()) {
  Error err;
  cpus_ = allowed_cpus(err);  // on failure: no CPU list, so `auto` keeps to one dump
  auto_k_ = std::max<size_t>(1, std::min(cpus_.size(), kMaxAutoPartitions));
  // No more parts than the cgroup's quota grants CPUs (rounded: 1.5 CPUs still gain from two).
  if (double quota = cgroup_cpu_limit(); quota > 0) auto_k_ = std::min(auto_k_, std::max<size_t>(1, std::lround(quota)));
}

size_t PartitionedReader::choose(uint32_t asked, const DumpRequest& req) {
  if (asked == 1 || !req.ports.empty()) return 1;
  if (asked >= 2) return asked;
  return expected_rows(req) < kPartitionMinRows ? 1 : auto_k_;
}

partition::Split PartitionedReader::split_for(const DumpRequest& req, size_t k) {
  std::lock_guard<std::mutex> lock(learned_m_);
  auto it = learned_.find(shape(req));
  if (it == learned_.end()) return partition::even_split(k);
  const partition::PortCosts& costs = it->second.costs;
  return partition::balanced_split(costs.weigh(it->second.histogram), k, costs.side);
}

uint64_t PartitionedReader::expected_rows(const DumpRequest& req) {
  std::lock_guard<std::mutex> lock(learned_m_);
  auto it = learned_.find(shape(req));
  return it == learned_.end() ? 0 : it->second.rows;
}

// A group spec's identity: its keys and prefix lengths.
std::string PartitionedReader::spec_key(const aggregate::GroupSpec& spec) {
  std::string key{char(spec.prefix4), char(spec.prefix6)};
  for (aggregate::Key k : spec.keys) key += char(k);
  return key;
}

GroupHint PartitionedReader::group_hint(const std::string& spec) {
  std::lock_guard<std::mutex> lock(learned_m_);
  auto it = groups_seen_.find(spec);
  return it == groups_seen_.end() ? GroupHint{} : it->second;
}

void PartitionedReader::learn_groups(const std::string& spec, GroupHint groups) {
  std::lock_guard<std::mutex> lock(learned_m_);
  groups_seen_[spec] = groups;
}

void PartitionedReader::learn(const DumpRequest& req, const partition::PortHistogram& h) {
  std::lock_guard<std::mutex> lock(learned_m_);
  Learned& l = learned_[shape(req)];
  l.rows = h.rows, l.histogram = h;
}

void PartitionedReader::learn_costs(const DumpRequest& req, const partition::Split& split, const std::vector<double>& ms,
                                    const std::vector<partition::PortHistogram>& hists) {
  std::lock_guard<std::mutex> lock(learned_m_);
  learned_[shape(req)].costs.learn(split, ms, hists);
}

// Runs dump(i) for i < k on the pinned threads (read() has started them); the first error wins.
Error PartitionedReader::run_parts(size_t k, const std::function<Error(size_t)>& dump) {
  std::vector<Error> errs(k);
  Error e = pool_->run(k, [&](size_t i) {
    try {
      errs[i] = dump(i);
    } catch (const std::bad_alloc&) {
      errs[i] = out_of_memory();
    }
  });
  for (size_t i = 0; i < k && !e; ++i) e = errs[i];
  return e;
}

namespace {

// A table read: one dump, or one table per partition concatenated.
struct TableJob {
  SocketTable& out;
  uint64_t expected;  // rows, from the previous read of this shape
  std::vector<SocketTable> tables;

  Error single(int fd, const DumpRequest& r, DumpStats& st) {
    out.reserve(expected * 5 / 4);  // grown once, not doubled and copied ~17 times
    return netlink::dump_table(fd, r, out, &st);
  }
  // Room for a balanced share in each partition, so none grows by copying. The partitions'
  // regions go back to the cache after the merge and serve the next read with pages already
  // faulted in; only the merged table's are new, and the K threads share their first touch.
  void begin(size_t k, partition::MergeScratch&) {
    tables.resize(k);
    for (size_t i = 0; i < k; ++i) tables[i].reserve(expected * 5 / 4 / k);
  }
  Error part(size_t i, int fd, DumpRequest& p, DumpStats& st) { return netlink::dump_table(fd, p, tables[i], &st); }
  void merge(partition::MergeScratch& scratch, const partition::RunEach& run) {
    partition::merge_tables(tables, out, scratch, run);
  }
};

// A count: one dump, or per-partition counts summed, each row's cookie logged to drop doubles.
struct CountJob {
  StateCounts& out;
  std::vector<StateCounts> counts;
  std::vector<partition::CookieLog>* logs = nullptr;  // the scratch's

  Error single(int fd, const DumpRequest& r, DumpStats& st) { return netlink::count_states(fd, r, out, &st); }
  void begin(size_t k, partition::MergeScratch& scratch) {
    counts.resize(k);
    logs = &scratch.logs;
    logs->resize(k);
    for (partition::CookieLog& l : *logs) l.clear();
  }
  Error part(size_t i, int fd, DumpRequest& p, DumpStats& st) {
    p.cookies = &(*logs)[i];
    return netlink::count_states(fd, p, counts[i], &st);
  }
  void merge(partition::MergeScratch& scratch, const partition::RunEach&) {
    partition::merge_counts(counts, *logs, out, scratch);
  }
};

// A group count: one dump, or a counter per partition, merged with each row's cookie logged to
// drop doubles. The logs and the cookie set are the scratch's, kept for the next read as a state
// count's are: freed, their pages would fault in again on every read.
struct GroupJob {
  aggregate::GroupCounter& out;
  // The previous count of this spec's groups, so that no table grows: the first part's becomes
  // the merged one and is sized for all, the others for one part's; learned again after.
  GroupHint hint;
  uint64_t rows;  // the rows expected, for the cookie logs
  std::vector<aggregate::GroupCounter> parts;
  std::vector<partition::CookieLog>* logs = nullptr;  // the scratch's

  Error single(int fd, const DumpRequest& r, DumpStats& st) {
    out.reserve(hint.total * 5 / 4);
    Error e = netlink::count_groups(fd, r, out, &st);
    hint = {out.groups(), out.groups()};
    return e;
  }
  void begin(size_t k, partition::MergeScratch& scratch) {
    parts.assign(k, aggregate::GroupCounter(out.spec()));
    logs = &scratch.logs;
    logs->resize(k);
    for (size_t i = 0; i < k; ++i) {
      parts[i].reserve((i == 0 ? hint.total : hint.part) * 5 / 4);
      partition::CookieLog& l = (*logs)[i];
      l.clear(), l.cookie.reserve(rows * 5 / 4 / k), l.group.reserve(rows * 5 / 4 / k);
    }
  }
  Error part(size_t i, int fd, DumpRequest& p, DumpStats& st) {
    p.cookies = &(*logs)[i];
    return netlink::count_groups(fd, p, parts[i], &st);
  }
  void merge(partition::MergeScratch& scratch, const partition::RunEach&) {
    hint.part = 0;
    for (const aggregate::GroupCounter& p : parts) hint.part = std::max(hint.part, p.groups());
    partition::merge_groups(parts, *logs, out, scratch);
    hint.total = out.groups();
  }
};

}  // namespace

// The single dump, or K partitions when chosen and the threads are free; either way the port
// histogram is learned for the next read (not from a filtered request). Each partition's port
// ranges are ANDed with the request's expression (compile_filter), so a filtered read splits too.
template <class Job>
Error PartitionedReader::read(uint32_t asked, int fd, const DumpRequest& req, DumpStats& st, uint32_t& used, Job& job) {
  size_t k = choose(asked, req);
  std::unique_lock<std::mutex> pool_lock(pool_m_, std::defer_lock);
  if (k > 1 && !pool_lock.try_lock()) k = 1;
  if (k > 1) {
    // Threads the system refuses (a pids limit) mean fewer partitions, down to the single dump.
    if (!pool_) pool_ = std::make_unique<PinnedPool>(cpus_);
    if ((k = pool_->start(k)) < 2) k = 1;
  }
  used = static_cast<uint32_t>(k);
  bool learning = unfiltered(req) && (asked >= 2 || (asked == 0 && auto_k_ > 1));
  partition::PortHistogram h;
  DumpRequest r = req;
  r.histogram = learning ? &h : nullptr;
  Error e = k == 1 ? job.single(fd, r, st) : read_parts(k, fd, r, st, h, job);
  if (!e && learning) learn(req, h);
  return e;
}

template <class Job>
Error PartitionedReader::read_parts(size_t k, int fd, const DumpRequest& r, DumpStats& st, partition::PortHistogram& h, Job& job) {
  partition::Split split = split_for(r, k);
  std::vector<DumpStats> stats(k);
  std::vector<partition::PortHistogram> hists(k);
  std::vector<double> ms(k);  // each part's time, which its ports' costs are learned from
  job.begin(k, scratch_);
  Error e = run_parts(k, [&](size_t i) {
    DumpRequest p = r;
    p.ports = partition::partition_filter(split, i), p.histogram = &hists[i];
    auto start = std::chrono::steady_clock::now();
    Error err = on_own_socket(i, fd, [&](int f) { return job.part(i, f, p, stats[i]); });
    ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return err;
  });
  if (e) return e;
  if (r.histogram) learn_costs(r, split, ms, hists);
  for (size_t i = 0; i < k; ++i) add_stats(st, stats[i], i == 0), h.merge(hists[i]);
  job.merge(scratch_, [this](size_t n, const std::function<void(size_t)>& task) {
    if (pool_->run(n, task)) partition::run_in_turn(n, task);  // the threads exist: run() cannot fail here
  });
  return {};
}

Error PartitionedReader::dump_table(uint32_t asked, int fd, const DumpRequest& req, uint64_t rows_hint,
                                    SocketTable& out, DumpStats& st, uint32_t& used) {
  // The whole table's size is no guide to a filtered read's, which is usually small.
  uint64_t learned = unfiltered(req) ? expected_rows(req) : 0;
  TableJob job{out, learned ? learned : rows_hint, {}};
  return read(asked, fd, req, st, used, job);
}

Error PartitionedReader::count_states(uint32_t asked, int fd, const DumpRequest& req, StateCounts& out,
                                      DumpStats& st, uint32_t& used) {
  CountJob job{out, {}};
  return read(asked, fd, req, st, used, job);
}

Error PartitionedReader::count_groups(uint32_t asked, int fd, const DumpRequest& req, aggregate::GroupCounter& out,
                                      DumpStats& st, uint32_t& used) {
  // As with a table's rows, a filtered count's groups are no guide to the whole table's.
  bool whole = unfiltered(req);
  std::string spec = spec_key(out.spec());
  GroupJob job{out, whole ? group_hint(spec) : GroupHint{}, whole ? expected_rows(req) : 0, {}};
  Error e = read(asked, fd, req, st, used, job);
  if (!e && whole) learn_groups(spec, job.hint);
  return e;
}

}  // namespace sockscope
