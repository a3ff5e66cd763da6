// libFuzzer target for both UNIX-socket parsers: the input is parsed as a recorded unix_diag dump
// and as the text of /proc/net/unix. Besides what the sanitizers catch, it traps when a table's
// columns disagree on its length, its name offsets do not walk its name bytes, or a failed parse
// leaves rows behind.
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <string>

#include "unix/unix_diag.h"
#include "unix/unix_proc.h"

using namespace sockscope;
using namespace sockscope::unix_sock;

namespace {

void check(bool ok) {
  if (!ok) abort();
}

void check_table(const UnixTable& t, const Error& err, size_t input_len) {
  const size_t n = t.size();
  check(t.type.size() == n && t.state.size() == n && t.peer_inode.size() == n && t.recv_q.size() == n &&
        t.send_q.size() == n && t.uid.size() == n && t.name_start.size() == n + 1);
  check(t.name_start.front() == 0 && t.name_start.back() == t.name_bytes.size());
  for (size_t i = 0; i < n; ++i) check(t.name_start[i] <= t.name_start[i + 1]);
  check(t.name_bytes.size() <= input_len);
  if (err) check(n == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  UnixTable dumped;
  Error e = replay(data, size, dumped);
  check_table(dumped, e, size);
  for (size_t i = 0; i < dumped.size(); ++i) check(dumped.state[i] < 32);

  UnixTable listed;
  std::string text(reinterpret_cast<const char*>(data), size);
  e = parse_proc_unix(text, "fuzz", kAllUnixStates, listed);
  check_table(listed, e, size);
  for (size_t i = 0; i < listed.size(); ++i) check(listed.state[i] != 0 && std::isnan(listed.uid[i]));
  return 0;
}
