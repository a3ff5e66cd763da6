// The CPU time the process's cgroups grant it, in CPUs: a container's `--cpus`, Kubernetes'
// CPU limit. sched_getaffinity counts the host's cores there, and partitions past the quota
// only take turns, each walking the whole hash. Plain C++.
#pragma once

#include <string>

namespace sockscope {

// The smallest quota / period along the process's cgroup path, in v2 (cpu.max) and in v1
// (cpu.cfs_quota_us, cpu.cfs_period_us); 0 when none is set or none can be read. `root`
// prefixes every path read (/proc/self/cgroup, /proc/self/mountinfo, the cgroup files), for tests.
double cgroup_cpu_limit(const std::string& root = "");

}  // namespace sockscope
