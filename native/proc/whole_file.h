// Opening the files a read is given (tables, sockstat, snmp, a recording), and reading a small
// one whole. Plain C++.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <string>

#include "error.h"

namespace sockscope {

// Opens `path` for reading, refusing what is neither a regular file (as /proc's are) nor a
// directory (whose read fails with EISDIR): a FIFO would block the open, or the reads, for as
// long as no one writes to it, and a device such as /dev/zero never ends. O_NONBLOCK changes
// nothing for a regular file. `st` is the open file's stat, for a caller that wants its size.
inline Error open_input(const std::string& path, int& fd, struct stat& st) {
  do fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return syscall_error("open", "open " + path);
  if (fstat(fd, &st) < 0) {
    Error e = syscall_error("fstat", "fstat " + path);
    close(fd);
    return e;
  }
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return {};
  close(fd);
  Error e = syscall_error("open", "open " + path, EINVAL);
  e.message = "open " + path + ": not a regular file";
  return e;
}

// The file's bytes, at most `max_bytes` of them (a hint reads only its head).
inline Error read_whole_file(const std::string& path, std::string& out,
                             size_t max_bytes = std::numeric_limits<size_t>::max()) {
  int fd;
  struct stat st;
  if (Error e = open_input(path, fd, st)) return e;
  char buf[65536];
  ssize_t n;
  while (out.size() < max_bytes && (n = read(fd, buf, std::min(sizeof buf, max_bytes - out.size()))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = syscall_error("read", "read " + path);
      close(fd);
      return e;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return {};
}

}  // namespace sockscope
