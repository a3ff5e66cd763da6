// A few long-lived threads, thread i pinned to the i-th CPU the process may use (wrapping), that
// run one task side by side and go back to sleep. Partitioned dumps run here: a thread created
// per read would cost its start-up, and an unpinned one often runs after its creator on the
// same core instead of beside it. Plain C++, no N-API, no globals: its owner joins it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "table/socket_table.h"

namespace sockscope {

// The CPUs this process may run on (sched_getaffinity), in order; err set when the call fails.
std::vector<int> allowed_cpus(Error& err);

class PinnedPool {
 public:
  explicit PinnedPool(std::vector<int> cpus) : cpus_(std::move(cpus)) {}
  ~PinnedPool();  // wakes and joins every thread
  PinnedPool(const PinnedPool&) = delete;
  PinnedPool& operator=(const PinnedPool&) = delete;

  // Starts threads up to k and says how many there are, at most k: fewer when the system
  // refuses one (EAGAIN, as under a pids cgroup's limit). One caller at a time, as run().
  size_t start(size_t k);
  // Runs task(0) .. task(k-1), each on its own thread, and returns when all have returned;
  // an error when k threads cannot be had. One caller at a time (the owner serializes).
  Error run(size_t k, const std::function<void(size_t)>& task);
  // Threads whose pinning failed (they run unpinned); pinning is an optimisation only.
  size_t unpinned() const;

 private:
  void loop(size_t index, uint64_t seen);
  void pin(size_t index);

  std::vector<int> cpus_;
  mutable std::mutex m_;
  std::condition_variable wake_, finished_;
  const std::function<void(size_t)>* task_ = nullptr;
  uint64_t round_ = 0;   // bumped per run(): a thread works once per round
  size_t active_ = 0;    // threads 0..active_-1 take part in this round
  size_t pending_ = 0;   // of those, still working
  size_t unpinned_ = 0;
  int start_errno_ = 0;  // why the last thread that could not start did not
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sockscope
