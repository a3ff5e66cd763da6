#include "unix/unix_reader.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>

#include "error.h"
#include "netlink/netlink_parse.h"
#include "netlink/netlink_reader.h"
#include "proc/whole_file.h"
#include "unix/unix_diag.h"
#include "unix/unix_proc.h"

namespace sockscope::unix_sock {
namespace {

constexpr int kMaxRestarts = 3;  // NLM_F_DUMP_INTR or ENOBUFS: dumps redone before giving up
constexpr int kPollTimeoutMs = 10000;  // only a caller's non-blocking fd waits, and the kernel is quick

Error sys_error(int errnum, const char* call, const std::string& what) {
  return syscall_error(call, "netlink: " + what, errnum);
}

// Tells this call's answers from an earlier call's leftovers on a reused fd.
uint32_t fresh_seq() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint32_t>(ts.tv_sec * 1000003 + ts.tv_nsec / 64);
}

Error send_request(int fd, const std::vector<uint8_t>& req) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do n = sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error(errno, "sendmsg", "sending the unix_diag request");
  return static_cast<size_t>(n) == req.size() ? Error{} : sys_error(EMSGSIZE, "sendmsg", "short send");
}

Error port_id(int fd, uint32_t& pid) {
  sockaddr_nl local{};
  socklen_t len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) < 0) return sys_error(errno, "getsockname", "reading the netlink port id");
  pid = local.nl_pid;
  return {};
}

// Used only when the caller made the fd non-blocking.
Error wait_for_answer(int fd) {
  pollfd p{fd, POLLIN, 0};
  int n;
  do n = poll(&p, 1, kPollTimeoutMs); while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error(errno, "poll", "waiting on the netlink socket");
  return n == 0 ? sys_error(ETIMEDOUT, "poll", "no answer from the kernel") : Error{};
}

// One datagram from the kernel; datagrams other processes sent to our port id are dropped. With
// MSG_DONTWAIT, EAGAIN is returned instead of waited out.
Error receive(int fd, std::vector<uint8_t>& buf, long& n, int flags = 0) {
  for (;;) {
    sockaddr_nl from{};
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_name = &from, msg.msg_namelen = sizeof from, msg.msg_iov = &iov, msg.msg_iovlen = 1;
    ssize_t r = recvmsg(fd, &msg, flags);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN && !(flags & MSG_DONTWAIT)) {
      if (Error e = wait_for_answer(fd)) return e;
      continue;
    }
    if (r < 0) return sys_error(errno, "recvmsg", "receiving the unix_diag dump");
    if (msg.msg_flags & MSG_TRUNC) return sys_error(EMSGSIZE, "recvmsg", "datagram larger than the receive buffer");
    if (from.nl_pid != 0) continue;
    n = r;
    return {};
  }
}

// A dump that failed midway leaves the kernel dumping, and a socket with a dump running answers
// EBUSY to the next request: read what is queued up to the dump's end, never blocking.
void drain(int fd, std::vector<uint8_t>& buf, long n, uint32_t seq) {
  while (!netlink::ends_walk(buf.data(), n, seq) && !receive(fd, buf, n, MSG_DONTWAIT)) {}
}

// One dump from request to NLMSG_DONE.
Error dump_once(int fd, Walk& w, std::vector<uint8_t>& buf) {
  if (Error e = send_request(fd, build_request(w.seq, w.states))) return e;
  if (Error e = port_id(fd, w.pid)) return e;
  size_t base = 0;
  long n = 0;
  Error e;
  while (!w.done && !e) {
    n = 0;
    e = receive(fd, buf, n);
    if (!e) e = walk_messages(w, buf.data(), n, base);
    base += static_cast<size_t>(n);
  }
  if (e && !w.done) drain(fd, buf, n, w.seq);
  return e;
}

Error read_netlink(uint32_t states, UnixTable& out, UnixOutcome& outcome) {
  return netlink::with_diag_socket([&](int fd) { return dump_unix(fd, states, out, outcome); });
}

Error read_proc(const std::string& root, uint32_t states, UnixTable& out) {
  std::string path = root + "/unix", text;
  if (Error e = read_whole_file(path, text)) return e;
  return parse_proc_unix(text, path, states, out);
}

}  // namespace

Error dump_unix(int fd, uint32_t states, UnixTable& out, UnixOutcome& outcome) {
  std::vector<uint8_t> buf(netlink::kRecvBuffer);
  uint32_t seq = fresh_seq();
  for (int restart = 0;; ++restart) {
    clear_table(out);
    Walk w;
    w.table = &out, w.seq = seq + restart, w.states = states;
    Error e = dump_once(fd, w, buf);
    if (!e && !w.interrupted) return {};
    if (!e && restart == kMaxRestarts) return outcome.inconsistent = true, Error{};
    clear_table(out);
    if (e && (e.errnum != ENOBUFS || restart == kMaxRestarts)) return e;
    ++outcome.restarts;
  }
}

Error read_unix(const UnixRequest& req, UnixTable& out, UnixOutcome& outcome) {
  outcome = UnixOutcome{};
  if (req.source != Source::kProc) {
    outcome.source = Source::kNetlink;
    Error e = read_netlink(req.states, out, outcome);
    if (!e || req.source == Source::kNetlink || !netlink_unavailable(e)) return e;
    outcome = UnixOutcome{};
  }
  outcome.source = Source::kProc;
  return read_proc(req.proc_root, req.states, out);
}

}  // namespace sockscope::unix_sock
