// The Error of a failed syscall on a path: errno, its name, and "call path: strerror" as text.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

#include "errno_name.h"
#include "table/socket_table.h"

namespace sockscope {

inline Error path_syscall_error(const char* call, const std::string& path, int errnum = errno) {
  Error e;
  e.errnum = errnum;
  e.code = errno_name(errnum);
  e.syscall = call;
  e.message = std::string(call) + " " + path + ": " + std::strerror(errnum);
  return e;
}

}  // namespace sockscope
