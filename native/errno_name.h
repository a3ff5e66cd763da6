// errno's symbolic name ("ENOENT"), as Node puts it in err.code.
#pragma once

#include <string.h>

#include <string>

namespace sockscope {

inline std::string errno_name(int errnum) {
  const char* name = strerrorname_np(errnum);  // glibc >= 2.32
  return name ? name : "E" + std::to_string(errnum);
}

}  // namespace sockscope
