// Plain checks for the native test programs: one line per failure, a closing
// "N passed, N failed" line, and a non-zero exit status on any failure, or when no check ran.
// A program that cannot run here (no root, no private namespace) exits with kSkipped, which
// ctest reports as skipped (SKIP_RETURN_CODE).
#pragma once

#include <cstdio>
#include <sstream>
#include <string>

namespace check {

struct Tally {
  int passed = 0, failed = 0;
};
inline Tally& tally() {
  static Tally t;  // test programs are single-threaded
  return t;
}

inline bool expect(bool ok, const char* file, int line, const std::string& what) {
  if (ok) return ++tally().passed, true;
  ++tally().failed;
  std::printf("FAIL %s:%d: %s\n", file, line, what.c_str());
  return false;
}

template <class A, class B>
bool expect_eq(const A& a, const B& b, const char* file, int line, const std::string& what) {
  if (a == b) return ++tally().passed, true;
  std::ostringstream s;
  s << what << ": got " << a << ", want " << b;
  return expect(false, file, line, s.str());
}

inline int finish() {
  std::printf("%d passed, %d failed\n", tally().passed, tally().failed);
  if (tally().passed == 0 && tally().failed == 0) std::printf("no check ran\n");
  return tally().failed || tally().passed == 0 ? 1 : 0;
}

constexpr int kSkipped = 77;

inline int skip(const char* why) {
  std::printf("skipped: %s\n", why);
  return kSkipped;
}

}  // namespace check

#define CHECK(cond, what) check::expect((cond), __FILE__, __LINE__, (what))
#define CHECK_EQ(a, b, what) check::expect_eq((a), (b), __FILE__, __LINE__, (what))
