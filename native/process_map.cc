#include "process_map.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <unordered_map>

#include "error.h"

namespace sockscope::procs {
namespace {

// A positive decimal number spelling all of `s` (a pid directory or an fd link name), else -1.
int32_t parse_number(const char* s) {
  if (!*s) return -1;
  int64_t n = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return -1;
    n = n * 10 + (*s - '0');
    if (n > INT32_MAX) return -1;
  }
  return static_cast<int32_t>(n);
}

// The inode of a `socket:[12345]` link target, or 0 for any other target.
uint32_t socket_inode(const char* link, ssize_t len) {
  static constexpr char kPrefix[] = "socket:[";
  constexpr ssize_t kPrefixLen = sizeof kPrefix - 1;
  if (len <= kPrefixLen + 1 || std::memcmp(link, kPrefix, kPrefixLen) != 0 || link[len - 1] != ']') return 0;
  uint64_t n = 0;
  for (ssize_t i = kPrefixLen; i < len - 1; ++i) {
    if (link[i] < '0' || link[i] > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(link[i] - '0');
    if (n > UINT32_MAX) return 0;
  }
  return static_cast<uint32_t>(n);
}

std::string read_comm(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block: it reads as no name
  if (fd < 0) return "";
  char buf[64];  // comm is at most TASK_COMM_LEN (16) bytes
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return "";
  if (buf[n - 1] == '\n') --n;
  return std::string(buf, static_cast<size_t>(n));
}

struct Found {
  uint32_t row;
  int32_t pid, fd;
};

// Reads one process's fd links, appending the table sockets it holds. False if it could not be read.
bool scan_process(const std::string& fd_dir, int32_t pid, const std::unordered_map<uint32_t, uint32_t>& row_of,
                  std::vector<Found>& found) {
  int dfd = open(fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return false;
  DIR* dir = fdopendir(dfd);
  if (!dir) {
    close(dfd);
    return false;
  }
  char link[64];
  while (dirent* e = readdir(dir)) {
    int32_t fd = parse_number(e->d_name);
    if (fd < 0) continue;
    ssize_t len = readlinkat(dfd, e->d_name, link, sizeof link);  // fails if the fd closed meanwhile
    uint32_t inode = len > 0 ? socket_inode(link, len) : 0;
    if (!inode) continue;
    auto it = row_of.find(inode);
    if (it != row_of.end()) found.push_back({it->second, pid, fd});
  }
  closedir(dir);
  return true;
}

}  // namespace

Error scan_owners(const Column<uint32_t>& inodes, const std::string& root, OwnerScan& out) {
  out = OwnerScan{};
  out.start.assign(inodes.size() + 1, 0);
  std::unordered_map<uint32_t, uint32_t> row_of;
  row_of.reserve(inodes.size());
  for (uint32_t i = 0; i < inodes.size(); ++i) {
    if (inodes[i]) row_of.emplace(inodes[i], i);
  }
  if (row_of.empty()) return {};  // nothing can be owned: no need to walk /proc

  DIR* proc = opendir(root.c_str());
  if (!proc) return syscall_error("opendir", "opendir " + root);
  std::vector<Found> found;
  while (dirent* e = readdir(proc)) {
    int32_t pid = parse_number(e->d_name);
    if (pid <= 0) continue;
    const std::string dir = root + "/" + e->d_name;
    size_t before = found.size();
    if (!scan_process(dir + "/fd", pid, row_of, found)) {
      ++out.skipped;
      continue;
    }
    ++out.scanned;
    if (found.size() > before) {
      out.command_pid.push_back(pid);
      out.command.push_back(read_comm(dir + "/comm"));
    }
  }
  closedir(proc);

  // Counting sort by row into the compressed layout, keeping /proc's order within a row.
  for (const Found& f : found) ++out.start[f.row + 1];
  for (size_t r = 0; r < inodes.size(); ++r) out.start[r + 1] += out.start[r];
  out.pid.resize(found.size());
  out.fd.resize(found.size());
  std::vector<uint32_t> next(out.start.begin(), out.start.end() - 1);
  for (const Found& f : found) {
    uint32_t at = next[f.row]++;
    out.pid[at] = f.pid;
    out.fd[at] = f.fd;
  }
  return {};
}

}  // namespace sockscope::procs
