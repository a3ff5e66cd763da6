// The one error builder: errno, its name as the code, the call and "context: text" as message,
// as the glue hands them to JS.
#include <cerrno>
#include <string>

#include "check.h"
#include "error.h"

using sockscope::Error;

int main() {
  CHECK_EQ(sockscope::errno_name(ENOENT), std::string("ENOENT"), "errno_name");
  CHECK_EQ(sockscope::errno_name(9999), std::string("E9999"), "errno_name of an unknown errno");
  CHECK_EQ(sockscope::errno_text(EACCES), std::string("Permission denied"), "errno_text");
  Error e = sockscope::syscall_error("open", "open /proc/net/tcp", ENOENT);
  CHECK_EQ(e.errnum, ENOENT, "errnum");
  CHECK_EQ(e.code, std::string("ENOENT"), "code");
  CHECK_EQ(e.syscall, std::string("open"), "syscall");
  CHECK_EQ(e.message, std::string("open /proc/net/tcp: No such file or directory"), "message");
  CHECK(static_cast<bool>(e), "an error with a code is an error");
  CHECK(!Error{}, "an empty Error is no error");
  errno = EPERM;
  Error from_errno = sockscope::syscall_error("setns", "setns /run/netns/x");
  CHECK_EQ(from_errno.code, std::string("EPERM"), "errno is the default");
  CHECK_EQ(from_errno.message, std::string("setns /run/netns/x: Operation not permitted"), "its text");
  return check::finish();
}
