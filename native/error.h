// The one error type the readers return, and the one way to build it from a failed syscall.
// Plain C++: the glue turns an Error into a JS Error with the same errno, code and syscall.
#pragma once

#include <cerrno>
#include <string>

namespace sockscope {

// An error travels as errno (0 when it is not a syscall's) plus a stable code and text.
struct Error {
  int errnum = 0;
  std::string code;     // "ENOENT", "ERR_PROC_PARSE", ...
  std::string syscall;  // "open", "read", "recvmsg", ... or empty
  std::string message;  // names the file and line, or the netlink step
  explicit operator bool() const { return !code.empty(); }
};

// errno's symbolic name ("ENOENT"), as Node puts it in err.code.
std::string errno_name(int errnum);

// errno's text ("No such file or directory"), from strerror_r: safe on any thread.
std::string errno_text(int errnum);

// A failed syscall: errno, its name as the code, the call, and "context: errno text" as the
// message. The context says what was being done: "open /proc/net/tcp", "netlink: binding ...".
Error syscall_error(const char* call, const std::string& context, int errnum = errno);

}  // namespace sockscope
