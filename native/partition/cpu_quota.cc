#include "partition/cpu_quota.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "proc/whole_file.h"

namespace sockscope {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

bool has_item(const std::string& list, const std::string& item) {
  for (const std::string& x : split(list, ','))
    if (x == item) return true;
  return false;
}

// mountinfo escapes a space, tab, newline and backslash in a path as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Hierarchy {
  bool v2;
  std::string path;  // the process's cgroup, as /proc/self/cgroup names it
};

// Where the hierarchy is mounted (mountinfo's fields 4 and 5: the mount's root within the
// hierarchy and its mount point), found by file system type and, for v1, the cpu controller.
bool mount_of(const std::string& mountinfo, bool v2, std::string& root, std::string& point) {
  std::istringstream lines(mountinfo);
  std::string line;
  while (std::getline(lines, line)) {
    // A host with thousands of mounts (containers, snaps) has a mountinfo of hundreds of KB,
    // read at load: only cgroup mounts are worth splitting.
    if (line.find(" - cgroup") == std::string::npos) continue;
    std::vector<std::string> f = split(line, ' ');
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash < 6 || dash + 3 >= f.size()) continue;  // id parent dev root point options ... - type source super
    const std::string& type = f[dash + 1];
    if (v2 ? type != "cgroup2" : (type != "cgroup" || !has_item(f[dash + 3], "cpu"))) continue;
    root = unescape(f[3]), point = unescape(f[4]);
    return true;
  }
  return false;
}

// The smaller positive limit of the two, where 0 means none.
double tighter(double limit, double l) { return l > 0 && (limit == 0 || l < limit) ? l : limit; }

// quota / period, or 0 (no limit) unless both are positive and the ratio finite: v1's -1 is
// none, and a hostile 1e999 must not become infinitely many CPUs.
double cpus(double quota, double period) {
  double c = quota > 0 && period > 0 ? quota / period : 0;
  return std::isfinite(c) ? c : 0;
}

// The quota at one cgroup directory, in CPUs; 0 when it sets none.
double limit_at(const std::string& dir, bool v2) {
  std::string text;
  if (v2) {
    if (read_whole_file(dir + "/cpu.max", text, 256)) return 0;
    std::istringstream in(text);
    std::string quota;
    double period = 0;
    if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
    return cpus(std::strtod(quota.c_str(), nullptr), period);
  }
  std::string period_text;
  if (read_whole_file(dir + "/cpu.cfs_quota_us", text, 256) || read_whole_file(dir + "/cpu.cfs_period_us", period_text, 256)) return 0;
  return cpus(std::strtod(text.c_str(), nullptr), std::strtod(period_text.c_str(), nullptr));
}

// The smallest quota from the process's cgroup up to the mount's root.
double limit_along(const std::string& root, const std::string& mountinfo, const Hierarchy& h) {
  std::string mount_root, point;
  if (!mount_of(mountinfo, h.v2, mount_root, point)) return 0;
  // Inside a container the mount's root is often the container's own cgroup: what is below it.
  std::string rel;
  if (mount_root == "/") rel = h.path == "/" ? "" : h.path;
  else if (h.path.compare(0, mount_root.size(), mount_root) == 0) rel = h.path.substr(mount_root.size());
  std::string dir = root + point + rel;
  const std::string top = root + point;
  double limit = 0;
  for (;;) {
    limit = tighter(limit, limit_at(dir, h.v2));
    if (dir.size() <= top.size()) break;
    dir.erase(dir.rfind('/'));
  }
  return limit;
}

}  // namespace

double cgroup_cpu_limit(const std::string& root) {
  std::string cgroups, mountinfo;
  if (read_whole_file(root + "/proc/self/cgroup", cgroups, 64 << 10) ||
      read_whole_file(root + "/proc/self/mountinfo", mountinfo, 1 << 20))
    return 0;
  double limit = 0;
  std::istringstream lines(cgroups);
  std::string line;
  while (std::getline(lines, line)) {
    // hierarchy-id:controllers:path; v2's is 0::path, v1's cpu controller is listed by name.
    size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string id = line.substr(0, a), controllers = line.substr(a + 1, b - a - 1);
    bool v2 = id == "0" && controllers.empty();
    if (!v2 && !has_item(controllers, "cpu")) continue;
    limit = tighter(limit, limit_along(root, mountinfo, Hierarchy{v2, line.substr(b + 1)}));
  }
  return limit;
}

}  // namespace sockscope
