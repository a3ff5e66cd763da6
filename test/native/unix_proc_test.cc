// Tests of the /proc/net/unix parser: a real file's text, ss's state mapping, names (paths with
// spaces, abstract names), and hostile text (cut lines, missing and overlong fields, unknown
// states) that must fail with the file and line named and no rows left behind.
#include <cmath>
#include <string>

#include "unix/unix_proc.h"
#include "check.h"

using namespace sockscope;
using namespace sockscope::unix_sock;

namespace {

const std::string kHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n";

// Captured from Linux 6.18 with a listener, waiting connections, a socketpair, dgram sockets.
const std::string kReal = kHeader +
    "000000005e61f017: 00000002 00000000 00000000 0001 01 233113\n"
    "000000004fe3bcd7: 00000003 00000000 00000000 0001 02     0 /tmp/us1/wait.sock\n"
    "00000000f860991f: 00000002 00000000 00010000 0001 01 233107 /tmp/us1/wait.sock\n"
    "000000001f9695f7: 00000003 00000000 00000000 0001 03 233109\n"
    "00000000fb17fd93: 00000003 00000000 00000000 0002 03 233117 /tmp/us1/dgram.sock\n"
    "00000000271d1741: 00000002 00000000 00010000 0005 01 233114 @sockscope-test@x\n"
    "000000004e59e0f5: 00000003 00000000 00000000 0001 04  1125 /tmp/with space\n";

std::string name_of(const UnixTable& t, size_t i) {
  return std::string(t.name_bytes.begin() + t.name_start[i], t.name_bytes.begin() + t.name_start[i + 1]);
}

void test_real() {
  UnixTable t;
  Error e = parse_proc_unix(kReal, "/proc/net/unix", kAllUnixStates, t);
  CHECK(!e, "real text parses: " + e.message);
  if (!CHECK_EQ(t.size(), size_t{7}, "rows")) return;
  CHECK_EQ(int(t.state[0]), int(kClose), "SS_UNCONNECTED: CLOSE (UNCONN)");
  CHECK_EQ(name_of(t, 0), std::string(), "no name");
  CHECK_EQ(int(t.state[1]), int(kSynSent), "SS_CONNECTING (not yet accepted): SYN_SENT, as ss");
  CHECK_EQ(t.inode[1], 0u, "an embryo has inode 0");
  CHECK_EQ(int(t.state[2]), int(kListen), "__SO_ACCEPTCON: LISTEN");
  CHECK_EQ(name_of(t, 2), std::string("/tmp/us1/wait.sock"), "path");
  CHECK_EQ(t.inode[2], 233107u, "inode");
  CHECK_EQ(int(t.state[3]), int(kEstablished), "SS_CONNECTED: ESTABLISHED");
  CHECK_EQ(int(t.type[4]), int(kDgram), "dgram");
  CHECK_EQ(int(t.type[5]), int(kSeqpacket), "seqpacket");
  CHECK_EQ(name_of(t, 5), std::string("\0sockscope-test@x", 17), "abstract: leading '@' stored as NUL");
  CHECK_EQ(int(t.state[6]), int(kClosing), "SS_DISCONNECTING: CLOSING, as ss");
  CHECK_EQ(name_of(t, 6), std::string("/tmp/with space"), "a path with a space, whole");
  CHECK_EQ(t.inode[6], 1125u, "a padded inode");
  bool unknown = true;
  for (size_t i = 0; i < t.size(); ++i) unknown = unknown && std::isnan(t.uid[i]) && t.recv_q[i] == 0 && t.peer_inode[i] == 0;
  CHECK(unknown, "no uid (NaN), queues or peers (0) from /proc");

  UnixTable listeners;
  CHECK(!parse_proc_unix(kReal, "x", 1u << kListen, listeners), "LISTEN only");
  CHECK_EQ(listeners.size(), size_t{2}, "two listeners");
  UnixTable empty;
  CHECK(!parse_proc_unix(kHeader, "x", kAllUnixStates, empty) && empty.size() == 0, "header only: no rows");
  CHECK(!parse_proc_unix("", "x", kAllUnixStates, empty) && empty.size() == 0, "empty file: no rows");
}

void expect_error(const std::string& line, const std::string& what_text, const char* what) {
  UnixTable t;
  Error e = parse_proc_unix(kReal + line, "/proc/net/unix", kAllUnixStates, t);
  CHECK_EQ(e.code, std::string("ERR_PROC_PARSE"), std::string(what) + ": code");
  CHECK_EQ(e.message, "/proc/net/unix:9: " + what_text, std::string(what) + ": message");
  CHECK_EQ(t.size(), size_t{0}, std::string(what) + ": no rows left behind");
}

void test_hostile() {
  expect_error("0000: 00000002 00000000 00000000 0001 01 5", "line without a newline (a cut file)", "cut last line");
  expect_error("0000: 00000002 00000000 00000000 0001 01\n", "expected a space after the St", "no inode");
  expect_error("0000: 00000002 00000000 00000000 0001 01 \n", "expected the Inode", "a space, then no inode");
  expect_error("0000: 00000002 00000000 00000000 0001\n", "expected a space after the Type", "no state");
  expect_error("0000 00000002 00000000 00000000 0001 01 5\n", "expected ':' after the address", "no colon");
  expect_error("zz: 00000002 00000000 00000000 0001 01 5\n", "expected the address", "not hex");
  expect_error("0000: 00000002 00000000 00000000 0001 09 5\n", "socket state 9 unknown", "unknown state");
  expect_error("0000: 00000002 00000000 00000000 0001 00 5\n", "socket state 0 unknown", "state 0");
  expect_error("0000: 00000002 00000000 00000000 0100 01 5\n", "Type out of range", "type past a byte");
  expect_error("0000: 00000002 00000000 00000000 0001 01 99999999999\n", "Inode out of range", "inode past 32 bits");
  expect_error("0000: 00000002 00000000 00000000 0001 01 5x\n", "expected a space after the Inode", "junk after the inode");
  expect_error("\n", "expected the address", "empty line");
  expect_error("11112222333344445: 2 0 0 1 1 5\n", "address out of range", "address past 64 bits");
}

void test_every_cut() {
  int errors = 0, stands = 0;
  for (size_t n = 0; n <= kReal.size(); ++n) {
    UnixTable t;
    Error e = parse_proc_unix(kReal.substr(0, n), "x", kAllUnixStates, t);
    bool at_line_end = n == 0 || kReal[n - 1] == '\n';
    if (e) errors += !at_line_end && t.size() == 0;
    else stands += at_line_end;
  }
  CHECK_EQ(errors + stands, int(kReal.size()) + 1, "a cut ends at a line's end and parses, or fails with no rows");
}

}  // namespace

int main() {
  test_real();
  test_hostile();
  test_every_cut();
  return check::finish();
}
