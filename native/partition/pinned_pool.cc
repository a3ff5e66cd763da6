#include "partition/pinned_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <system_error>

#include "error.h"

namespace sockscope {

std::vector<int> allowed_cpus(Error& err) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) < 0) {
    err = Error{errno, errno_name(errno), "sched_getaffinity", "reading the CPUs this process may use"};
    return cpus;
  }
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

PinnedPool::~PinnedPool() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

size_t PinnedPool::start(size_t k) {
  try {
    // round_ changes only in run(), our caller: a new thread waits for the next round.
    while (threads_.size() < k) threads_.emplace_back(&PinnedPool::loop, this, threads_.size(), round_);
  } catch (const std::system_error& e) {
    start_errno_ = e.code().value();
  }
  return std::min(k, threads_.size());
}

Error PinnedPool::run(size_t k, const std::function<void(size_t)>& task) {
  if (start(k) < k) return Error{start_errno_, errno_name(start_errno_), "pthread_create", "starting a partition thread"};
  std::unique_lock<std::mutex> lock(m_);
  task_ = &task, active_ = pending_ = k, ++round_;
  wake_.notify_all();
  finished_.wait(lock, [this] { return pending_ == 0; });
  task_ = nullptr;
  return {};
}

size_t PinnedPool::unpinned() const {
  std::lock_guard<std::mutex> lock(m_);
  return unpinned_;
}

void PinnedPool::pin(size_t index) {
  if (cpus_.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpus_[index % cpus_.size()], &set);
  // pthread_setaffinity_np returns the error (EINVAL when the cpuset shrank since).
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    std::lock_guard<std::mutex> lock(m_);
    ++unpinned_;
  }
}

void PinnedPool::loop(size_t index, uint64_t seen) {
  pin(index);
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || (round_ != seen && index < active_); });
    if (stop_) return;
    seen = round_;
    const std::function<void(size_t)>* task = task_;
    lock.unlock();
    (*task)(index);
    lock.lock();
    if (--pending_ == 0) finished_.notify_one();
  }
}

}  // namespace sockscope
