// cgroup_cpu_limit over fake /proc and /sys trees: v2 and v1, nested limits, containers whose
// mount root is their own cgroup, and files that are missing or hostile.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "check.h"
#include "partition/cpu_quota.h"

using sockscope::cgroup_cpu_limit;

namespace {

std::vector<std::string> roots;  // removed at the end

std::string fresh_root() {
  char tmpl[] = "/tmp/sockscope-cgroup-XXXXXX";
  return roots.emplace_back(mkdtemp(tmpl));
}

void put(const std::string& root, const std::string& path, const std::string& text) {
  std::filesystem::path file = root + path;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// A fresh tree whose process is in `cgroup` (/proc/self/cgroup) with `mountinfo`'s mounts.
std::string tree(const std::string& cgroup, const std::string& mountinfo) {
  std::string r = fresh_root();
  put(r, "/proc/self/cgroup", cgroup);
  put(r, "/proc/self/mountinfo", mountinfo);
  return r;
}

// A v1 cgroup directory's quota over a period of 100 ms.
void put_v1(const std::string& r, const std::string& dir, const std::string& quota) {
  put(r, dir + "/cpu.cfs_quota_us", quota + "\n");
  put(r, dir + "/cpu.cfs_period_us", "100000\n");
}

const char* const kV2Mount = "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
const char* const kV1Mount =
    "31 1 0:27 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
    "32 1 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";

}  // namespace

int main() {
  {
    std::string r = tree("0::/app.slice/web\n", kV2Mount);
    put(r, "/sys/fs/cgroup/app.slice/web/cpu.max", "max 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 0.0, "no quota anywhere");
    put(r, "/sys/fs/cgroup/app.slice/cpu.max", "150000 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 1.5, "a parent's quota binds the child");
    put(r, "/sys/fs/cgroup/app.slice/web/cpu.max", "50000 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 0.5, "the smallest along the path");
    put(r, "/sys/fs/cgroup/cpu.max", "10000 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 0.1, "up to the mount point itself");
  }
  {
    // A container with its own cgroup namespace: path "/", the container's cgroup at the mount.
    std::string r = tree("0::/\n", kV2Mount);
    put(r, "/sys/fs/cgroup/cpu.max", "200000 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 2.0, "v2: the container's own cgroup at the mount");
  }
  {
    // v1 without a cgroup namespace: the mount's root is the container's cgroup, as its path.
    std::string r = tree("5:cpuset:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n", "32 1 0:28 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
    put_v1(r, "/sys/fs/cgroup/cpu,cpuacct", "300000");
    CHECK_EQ(cgroup_cpu_limit(r), 3.0, "v1: the mount's root as the process's path");
  }
  {
    // v1 on the host: -1 is no quota; a child cgroup's quota counts; cpuset is not cpu.
    std::string r = tree("5:cpuset:/x\n4:cpu,cpuacct:/batch/job\n", kV1Mount);
    put(r, "/sys/fs/cgroup/cpuset/x/cpu.cfs_quota_us", "1000\n");  // never read: not the cpu hierarchy
    put_v1(r, "/sys/fs/cgroup/cpu,cpuacct/batch/job", "-1");
    CHECK_EQ(cgroup_cpu_limit(r), 0.0, "v1: -1 is no quota");
    put_v1(r, "/sys/fs/cgroup/cpu,cpuacct/batch", "100000");
    CHECK_EQ(cgroup_cpu_limit(r), 1.0, "v1: the parent's quota");
  }
  {
    // Hybrid: v1's cpu quota and a v2 hierarchy without the controller; the limit is v1's.
    std::string r = tree("4:cpu,cpuacct:/s\n0::/s\n", std::string(kV1Mount) + "33 1 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    put_v1(r, "/sys/fs/cgroup/cpu,cpuacct/s", "250000");
    CHECK_EQ(cgroup_cpu_limit(r), 2.5, "hybrid: v1's quota");
  }
  {
    // A mount point with a space, escaped as \040 by mountinfo.
    std::string r = tree("0::/a\n", "30 1 0:26 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n");
    put(r, "/mnt/cg two/a/cpu.max", "100000 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 1.0, "an escaped mount point");
  }
  {
    // A host with thousands of mounts (about 600 KB) ahead of the cgroup one, which carries
    // optional fields; a tmpfs at /sys/fs/cgroup is not the hierarchy.
    std::string mounts = "29 1 0:25 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n";
    for (int i = 0; i < 6000; ++i)
      mounts += std::to_string(100 + i) + " 1 0:99 / /var/lib/snapd/snap/app" + std::to_string(i) + " ro,nodev,relatime shared:7 - squashfs /dev/loop0 ro\n";
    mounts += "30 1 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n";
    std::string r = tree("0::/big\n", mounts);
    put(r, "/sys/fs/cgroup/big/cpu.max", "120000 100000\n");
    CHECK_EQ(cgroup_cpu_limit(r), 1.2, "the cgroup mount after 6000 others");
  }
  {
    // Missing and hostile files: no limit, never a crash.
    std::string r = fresh_root();
    CHECK_EQ(cgroup_cpu_limit(r), 0.0, "no /proc/self/cgroup");
    put(r, "/proc/self/cgroup", "garbage\n::\n0::\n4:cpu\n");
    CHECK_EQ(cgroup_cpu_limit(r), 0.0, "no mountinfo");
    put(r, "/proc/self/mountinfo", "1 2 3\n- - -\n30 1 0:26 / /sys/fs/cgroup rw -\n30 1 0:26 / /sys/fs/cgroup rw - cgroup2\n");
    CHECK_EQ(cgroup_cpu_limit(r), 0.0, "lines cut before the type or its fields");
    put(r, "/proc/self/mountinfo", kV2Mount);
    for (const char* text : {"", "max", "abc 100000", "100000 0", "-5 100000", "100000 -1", "1e999 1", "5 1e-999", "100000"}) {
      put(r, "/sys/fs/cgroup/cpu.max", text);
      CHECK_EQ(cgroup_cpu_limit(r), 0.0, std::string("cpu.max \"") + text + "\" sets no limit");
    }
  }
  {
    // This machine's own: whatever it is, a number of CPUs or 0.
    double l = cgroup_cpu_limit();
    CHECK(l >= 0 && std::isfinite(l), "this machine's limit is a finite number of CPUs, or 0");
  }
  for (const std::string& r : roots) std::filesystem::remove_all(r);
  return check::finish();
}
