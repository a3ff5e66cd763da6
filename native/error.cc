#include "error.h"

#include <string.h>

namespace sockscope {
namespace {

// strerror_r is the GNU (char*) or the XSI (int) variant depending on the libc.
[[maybe_unused]] const char* strerror_result(const char* r, const char*) { return r; }
[[maybe_unused]] const char* strerror_result(int r, const char* buf) { return r == 0 ? buf : "Unknown error"; }

}  // namespace

std::string errno_name(int errnum) {
  const char* name = strerrorname_np(errnum);  // glibc >= 2.32
  return name ? name : "E" + std::to_string(errnum);
}

std::string errno_text(int errnum) {
  char buf[128] = "";
  return strerror_result(strerror_r(errnum, buf, sizeof buf), buf);
}

Error syscall_error(const char* call, const std::string& context, int errnum) {
  return Error{errnum, errno_name(errnum), call, context + ": " + errno_text(errnum)};
}

}  // namespace sockscope
