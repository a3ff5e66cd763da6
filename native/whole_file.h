// A whole (small) file into a string: a replay recording, a sockstat file. Plain C++.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "syscall_error.h"

namespace sockscope {

inline Error read_whole_file(const std::string& path, std::string& out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return path_syscall_error("open", path);
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = path_syscall_error("read", path);
      close(fd);
      return e;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return {};
}

}  // namespace sockscope
