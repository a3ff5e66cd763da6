// Tests of the unix_diag reader: the request's bytes, rows parsed from built messages, kernel
// errors, and hostile bytes (truncated at every length, corrupt lengths, short attributes) that
// must give a clear error and no rows; then, live, a dump that finds sockets made here.
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "netlink/netlink_reader.h"
#include "unix/unix_diag.h"
#include "unix/unix_reader.h"
#include "check.h"
#include "messages.h"

using namespace sockscope;
using namespace sockscope::unix_sock;

namespace {

constexpr uint32_t kSeq = 0x4242;
constexpr uint32_t kPid = 99;

using build::attr;
using build::raw;

std::string nlmsg(uint16_t type, const std::string& payload, uint32_t seq = kSeq) {
  return build::nlmsg(type, seq, kPid, payload);
}

std::string diag(uint8_t type, uint8_t state, uint32_t inode, const std::string& attrs = "") {
  return std::string{char(AF_UNIX), char(type), char(state), 0} + raw(inode) + raw(uint32_t(1)) + raw(uint32_t(0)) + attrs;
}

std::string row(uint8_t type, uint8_t state, uint32_t inode, const std::string& attrs = "") {
  return nlmsg(SOCK_DIAG_BY_FAMILY, diag(type, state, inode, attrs));
}

std::string done(int32_t v = 0) { return nlmsg(NLMSG_DONE, raw(v)); }

std::string rqlen(uint32_t r, uint32_t w) { return attr(UNIX_DIAG_RQLEN, raw(r) + raw(w)); }

// A listener, a connected pair (one abstract), an unbound dgram socket with an unknown attribute.
std::string sample_dump() {
  return row(kStream, kListen, 100, attr(UNIX_DIAG_NAME, std::string("/run/app.sock\0", 14)) + rqlen(3, 128) + attr(UNIX_DIAG_UID, raw(uint32_t(33)))) +
         row(kSeqpacket, kEstablished, 101, attr(UNIX_DIAG_NAME, std::string("\0ab\0c", 5)) + attr(UNIX_DIAG_PEER, raw(uint32_t(102))) + rqlen(7, 0)) +
         row(kDgram, kClose, 103, attr(60, "future") + attr(UNIX_DIAG_VFS, raw(uint32_t(5)) + raw(uint32_t(6)))) + done();
}

void test_request() {
  std::vector<uint8_t> r = build_request(kSeq, 1u << kListen);
  CHECK_EQ(r.size(), size_t{16 + sizeof(unix_diag_req)}, "request length");
  uint32_t len, seq, states, ino, show;
  uint16_t type, flags;
  std::memcpy(&len, &r[0], 4), std::memcpy(&type, &r[4], 2), std::memcpy(&flags, &r[6], 2), std::memcpy(&seq, &r[8], 4);
  CHECK_EQ(len, uint32_t(r.size()), "nlmsg_len");
  CHECK_EQ(type, uint16_t(SOCK_DIAG_BY_FAMILY), "nlmsg_type");
  CHECK_EQ(flags, uint16_t(NLM_F_REQUEST | NLM_F_DUMP), "nlmsg_flags");
  CHECK_EQ(seq, kSeq, "nlmsg_seq");
  CHECK_EQ(int(r[16]), AF_UNIX, "sdiag_family");
  std::memcpy(&states, &r[20], 4), std::memcpy(&ino, &r[24], 4), std::memcpy(&show, &r[28], 4);
  CHECK_EQ(states, 1u << kListen, "udiag_states");
  CHECK_EQ(ino, 0u, "udiag_ino: every socket");
  CHECK_EQ(show, uint32_t(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID), "udiag_show");
}

std::string name_of(const UnixTable& t, size_t i) {
  return std::string(t.name_bytes.begin() + t.name_start[i], t.name_bytes.begin() + t.name_start[i + 1]);
}

void test_rows() {
  std::string d = sample_dump();
  UnixTable t;
  Error e = replay(reinterpret_cast<const uint8_t*>(d.data()), d.size(), t);
  CHECK(!e, "sample dump parses: " + e.message);
  if (!CHECK_EQ(t.size(), size_t{3}, "rows")) return;
  CHECK_EQ(int(t.type[0]), int(kStream), "listener type");
  CHECK_EQ(int(t.state[0]), int(kListen), "listener state");
  CHECK_EQ(t.inode[0], 100u, "listener inode");
  CHECK_EQ(name_of(t, 0), std::string("/run/app.sock"), "a path loses its terminating NUL");
  CHECK_EQ(t.recv_q[0], 3u, "listener accept queue");
  CHECK_EQ(t.send_q[0], 128u, "listener backlog");
  CHECK_EQ(t.uid[0], 33.0, "uid");
  CHECK_EQ(t.peer_inode[0], 0u, "no peer");
  CHECK_EQ(name_of(t, 1), std::string("\0ab\0c", 5), "an abstract name is kept whole, NULs and all");
  CHECK_EQ(t.peer_inode[1], 102u, "peer inode");
  CHECK_EQ(t.recv_q[1], 7u, "recv queue");
  CHECK(std::isnan(t.uid[1]), "no UNIX_DIAG_UID: uid NaN");
  CHECK_EQ(name_of(t, 2), std::string(), "unbound: no name");
  CHECK_EQ(int(t.type[2]), int(kDgram), "dgram type, unknown attribute skipped");
  CHECK_EQ(t.name_start.back(), uint32_t(t.name_bytes.size()), "offsets end at the bytes' end");
}

Error replay_text(const std::string& d, UnixTable& t) {
  return replay(reinterpret_cast<const uint8_t*>(d.data()), d.size(), t);
}

void expect_error(const std::string& d, const std::string& code, const std::string& text, const char* what) {
  UnixTable t;
  Error e = replay_text(d, t);
  CHECK_EQ(e.code, code, std::string(what) + ": code");
  CHECK(e.message.find(text) != std::string::npos, std::string(what) + ": message \"" + e.message + "\" names " + text);
  CHECK_EQ(t.size(), size_t{0}, std::string(what) + ": no rows left behind");
}

void test_kernel_errors() {
  expect_error(row(kStream, kListen, 1) + nlmsg(NLMSG_ERROR, raw(int32_t(-EPERM)) + std::string(16, '\0')), "EPERM",
               "refused the unix_diag dump: Operation not permitted", "NLMSG_ERROR -EPERM");
  UnixTable t;
  Error e = replay_text(nlmsg(NLMSG_ERROR, raw(int32_t(-ENOENT)) + std::string(16, '\0')), t);
  CHECK_EQ(e.errnum, ENOENT, "ENOENT keeps its errno, the cue to fall back to /proc");
  CHECK_EQ(e.syscall, std::string("recvmsg"), "syscall");
  expect_error(nlmsg(NLMSG_ERROR, raw(int32_t(-EPERM))), "EBADMSG", "truncated nlmsgerr", "nlmsgerr cut short");
  expect_error(nlmsg(NLMSG_DONE, ""), "EBADMSG", "truncated NLMSG_DONE", "NLMSG_DONE without its code");
  expect_error(done(-EINVAL), "EINVAL", "Invalid argument", "error inside NLMSG_DONE");
  expect_error(done(-5000), "EBADMSG", "NLMSG_DONE error -5000", "not an errno inside NLMSG_DONE");
  CHECK(!replay_text(nlmsg(NLMSG_ERROR, raw(int32_t(0)) + std::string(16, '\0')), t), "an ACK ends the dump");
}

void test_corrupt() {
  expect_error(row(kStream, kListen, 1).substr(0, 20) , "ERR_NETLINK_PARSE", "nlmsg_len 32 past the end", "message cut");
  expect_error(nlmsg(SOCK_DIAG_BY_FAMILY, std::string(8, '\0')) + done(), "ERR_NETLINK_PARSE", "unix_diag_msg of 8 bytes", "short unix_diag_msg");
  std::string bad_len = diag(kStream, kListen, 1) + raw(uint16_t(2)) + raw(uint16_t(UNIX_DIAG_NAME));
  expect_error(nlmsg(SOCK_DIAG_BY_FAMILY, bad_len) + done(), "ERR_NETLINK_PARSE", "attribute length 2", "attribute shorter than its header");
  std::string past = diag(kStream, kListen, 1) + raw(uint16_t(200)) + raw(uint16_t(UNIX_DIAG_NAME)) + "abcd";
  expect_error(nlmsg(SOCK_DIAG_BY_FAMILY, past) + done(), "ERR_NETLINK_PARSE", "attribute length 200", "attribute past the message");
  expect_error(row(kStream, kEstablished, 1, attr(UNIX_DIAG_PEER, "ab")) + done(), "ERR_NETLINK_PARSE", "UNIX_DIAG_PEER of 2 bytes", "short peer");
  expect_error(row(kStream, kEstablished, 1, attr(UNIX_DIAG_RQLEN, "abcd")) + done(), "ERR_NETLINK_PARSE", "UNIX_DIAG_RQLEN of 4 bytes", "short rqlen");
  expect_error(row(kStream, kEstablished, 1, attr(UNIX_DIAG_UID, "a")) + done(), "ERR_NETLINK_PARSE", "UNIX_DIAG_UID of 1 bytes", "short uid");
  expect_error(raw(uint32_t(8)) + std::string(12, '\0'), "ERR_NETLINK_PARSE", "nlmsg_len 8 < 16", "header length below its own size");
  expect_error(sample_dump().substr(0, sample_dump().size() - 20), "EBADMSG", "ends before NLMSG_DONE", "dump cut before DONE");
}

// Every prefix of a valid dump, and every single-byte corruption of it: an error or a table whose
// columns agree, never a crash (run under ASan/UBSan by the fuzzer too).
void test_every_cut_and_flip() {
  std::string d = sample_dump();
  int errors = 0, consistent = 0;
  for (size_t n = 0; n < d.size(); ++n) {
    UnixTable t;
    if (replay_text(d.substr(0, n), t)) ++errors;
  }
  CHECK_EQ(errors, int(d.size()), "every cut of the dump is an error");
  for (size_t i = 0; i < d.size(); ++i) {
    for (uint8_t x : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
      std::string c = d;
      c[i] = char(c[i] ^ x);
      UnixTable t;
      Error e = replay_text(c, t);
      size_t n = t.size();
      bool ok = t.type.size() == n && t.name_start.size() == n + 1 && t.name_start.back() == t.name_bytes.size() && (!e || n == 0);
      consistent += ok;
    }
  }
  CHECK_EQ(consistent, int(3 * d.size()), "every flipped byte: a consistent table or an error with none");
}

void test_filters() {
  std::string d = row(kStream, kListen, 1) + nlmsg(SOCK_DIAG_BY_FAMILY, diag(kStream, kListen, 2), kSeq + 1) + done();
  UnixTable t;
  CHECK(!replay_text(d, t), "a message of another seq is skipped");
  CHECK_EQ(t.size(), size_t{1}, "only our seq's rows");
  Walk w;
  w.table = &t, w.seq = kSeq, w.pid = kPid, w.states = 1u << kEstablished;
  clear_table(t);
  std::string two = row(kStream, kListen, 1) + row(kStream, kEstablished, 2) + done();
  CHECK(!walk_messages(w, reinterpret_cast<const uint8_t*>(two.data()), long(two.size()), 0), "walk");
  CHECK(w.done, "walk done");
  CHECK_EQ(t.size(), size_t{1}, "a row in a state not asked for is dropped");
  CHECK_EQ(t.inode[0], 2u, "the ESTABLISHED row kept");
}

// ---- live: sockets made here, found by a real dump ----

uint32_t inode_of(int fd) {
  struct stat st{};
  fstat(fd, &st);
  return uint32_t(st.st_ino);
}

long find(const UnixTable& t, uint32_t inode) {
  for (size_t i = 0; i < t.size(); ++i)
    if (t.inode[i] == inode) return long(i);
  return -1;
}

void test_live() {
  int pair[2];
  if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair")) return;
  CHECK(write(pair[0], "hello", 5) == 5, "write");
  int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string name = "\0sockscope-native-" + std::to_string(getpid());
  std::memcpy(a.sun_path, name.data(), name.size());
  CHECK(bind(l, reinterpret_cast<sockaddr*>(&a), socklen_t(offsetof(sockaddr_un, sun_path) + name.size())) == 0, "bind");
  CHECK(listen(l, 7) == 0, "listen");
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  CHECK(connect(c, reinterpret_cast<sockaddr*>(&a), socklen_t(offsetof(sockaddr_un, sun_path) + name.size())) == 0, "connect");

  UnixTable t;
  UnixOutcome o;
  Error e = read_unix(UnixRequest{Source::kNetlink}, t, o);
  CHECK(!e, "netlink read: " + e.message);
  CHECK(o.source == Source::kNetlink, "served by netlink");
  long p0 = find(t, inode_of(pair[0])), p1 = find(t, inode_of(pair[1])), li = find(t, inode_of(l));
  if (CHECK(p0 >= 0 && p1 >= 0, "the socketpair is listed")) {
    CHECK_EQ(t.peer_inode[p0], inode_of(pair[1]), "pair[0]'s peer");
    CHECK_EQ(t.peer_inode[p1], inode_of(pair[0]), "pair[1]'s peer");
    CHECK_EQ(t.recv_q[p1], 5u, "5 bytes queued to pair[1]");
    CHECK_EQ(int(t.state[p0]), int(kEstablished), "pair state");
    CHECK_EQ(t.uid[p0], double(getuid()), "uid");
  }
  if (CHECK(li >= 0, "the listener is listed")) {
    CHECK_EQ(int(t.type[li]), int(kSeqpacket), "seqpacket");
    CHECK_EQ(int(t.state[li]), int(kListen), "listening");
    CHECK_EQ(t.recv_q[li], 1u, "one connection waiting");
    CHECK_EQ(t.send_q[li], 7u, "backlog 7");
    CHECK_EQ(name_of(t, size_t(li)), name, "abstract name");
  }
  UnixTable only;
  CHECK(!read_unix(UnixRequest{Source::kNetlink, 1u << kListen}, only, o), "LISTEN-only read");
  bool all_listen = only.size() > 0;
  for (size_t i = 0; i < only.size(); ++i) all_listen = all_listen && only.state[i] == kListen;
  CHECK(all_listen, "the kernel's state filter: listeners only");

  UnixTable proc;
  CHECK(!read_unix(UnixRequest{Source::kProc}, proc, o), "proc read");
  CHECK(o.source == Source::kProc, "served by /proc");
  long pl = find(proc, inode_of(l));
  if (CHECK(pl >= 0, "the listener in /proc/net/unix")) {
    CHECK_EQ(int(proc.state[pl]), int(kListen), "proc: listening");
    CHECK_EQ(name_of(proc, size_t(pl)), name, "proc: abstract name, leading '@' as NUL");
  }
  UnixTable missing;
  Error m = read_unix(UnixRequest{Source::kProc, kAllUnixStates, "/nonexistent-sockscope"}, missing, o);
  CHECK_EQ(m.code, std::string("ENOENT"), "a missing /proc root: ENOENT");
  CHECK_EQ(m.message, std::string("open /nonexistent-sockscope/unix: No such file or directory"), "its message");

  // dump_unix on a caller's socket, twice on the same fd.
  Error oe;
  int fd = netlink::open_diag_socket(oe);
  if (CHECK(fd >= 0, "open_diag_socket")) {
    UnixTable a1, a2;
    CHECK(!dump_unix(fd, kAllUnixStates, a1, o) && !dump_unix(fd, kAllUnixStates, a2, o), "two dumps on one fd");
    CHECK(find(a2, inode_of(l)) >= 0, "the second dump finds the listener");
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    UnixTable a3;
    CHECK(!dump_unix(fd, kAllUnixStates, a3, o), "a dump on a non-blocking fd waits for its answers");
    CHECK(find(a3, inode_of(l)) >= 0, "and finds the listener");
    close(fd);
  }
  for (int s : {pair[0], pair[1], l, c}) close(s);
}

}  // namespace

int main() {
  test_request();
  test_rows();
  test_kernel_errors();
  test_corrupt();
  test_every_cut_and_flip();
  test_filters();
  test_live();
  return check::finish();
}
