// The syscall half of the netlink reader: socket setup, the request/receive loop, retries.
// Parsing lives in netlink_parse.cc so replay() runs the same code without a kernel.
#include "netlink/netlink_reader.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "netlink/netlink_parse.h"
#include "error.h"

namespace sockscope::netlink {
namespace {

constexpr int kMaxRestarts = 3;         // NLM_F_DUMP_INTR: walks redone before giving up
constexpr int kPollTimeoutMs = 10000;   // only a non-blocking fd waits, and the kernel is quick

// One dump's I/O: the fd, one buffer reused by every recv, the stats and the recording.
struct Conn {
  int fd;
  std::vector<uint8_t> buf;
  DumpStats& st;
  std::string* record;
  long last = 0;  // length of the datagram in buf, 0 after a failed recv
};

// What every walk of one dump shares.
struct Plan {
  const DumpRequest& req;
  std::vector<uint8_t> bytecode;
  uint32_t generation;  // tells this call's answers from an earlier call's leftovers
};

uint32_t generation() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint32_t>(ts.tv_sec * 1000003 + ts.tv_nsec / 64);
}

// Used only when the caller made the fd non-blocking.
Error wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  int n;
  do n = poll(&p, 1, kPollTimeoutMs); while (n < 0 && errno == EINTR);
  if (n < 0) return syscall_error("poll", "netlink: waiting on the netlink socket");
  return n == 0 ? syscall_error("poll", "netlink: no answer from the kernel", ETIMEDOUT) : Error{};
}

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

Error send_request(int fd, const std::vector<uint8_t>& req) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  iovec iov{const_cast<uint8_t*>(req.data()), req.size()};
  msghdr msg{};
  msg.msg_name = &kernel, msg.msg_namelen = sizeof kernel, msg.msg_iov = &iov, msg.msg_iovlen = 1;
  for (;;) {
    ssize_t n = sendmsg(fd, &msg, 0);
    if (n >= 0) return static_cast<size_t>(n) == req.size() ? Error{} : syscall_error("sendmsg", "netlink: short send", EMSGSIZE);
    if (errno == EINTR) continue;
    if (!would_block(errno)) return syscall_error("sendmsg", "netlink: sending the dump request");
    if (Error e = wait_for(fd, POLLOUT)) return e;
  }
}

// The port id the kernel addresses our answers to (bound by us, the caller, or autobind).
Error local_port_id(int fd, uint32_t& pid) {
  sockaddr_nl local{};
  socklen_t len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) < 0)
    return syscall_error("getsockname", "netlink: reading the netlink port id");
  pid = local.nl_pid;
  return {};
}

// One datagram from the kernel into c.buf; n = its length. With MSG_DONTWAIT, EAGAIN is
// returned instead of waited out.
Error receive(Conn& c, long& n, int flags = 0) {
  c.last = 0;
  for (;;) {
    sockaddr_nl from{};
    iovec iov{c.buf.data(), c.buf.size()};
    msghdr msg{};
    msg.msg_name = &from, msg.msg_namelen = sizeof from, msg.msg_iov = &iov, msg.msg_iovlen = 1;
    ssize_t r = recvmsg(c.fd, &msg, flags);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (!would_block(errno) || flags & MSG_DONTWAIT)) return syscall_error("recvmsg", "netlink: receiving the dump");
    if (r < 0) {
      if (Error e = wait_for(c.fd, POLLIN)) return e;
      continue;
    }
    if (msg.msg_flags & MSG_TRUNC) return syscall_error("recvmsg", "netlink: datagram larger than the receive buffer", EMSGSIZE);
    if (from.nl_pid != 0) continue;  // another process unicasting to our port id
    ++c.st.recv_calls, c.st.bytes += static_cast<uint32_t>(r);
    if (c.record) c.record->append(reinterpret_cast<const char*>(c.buf.data()), r);
    n = c.last = r;
    return {};
  }
}

Error pump(Conn& c, Walk& w) {
  while (!w.done) {
    long n = 0, used = 0;
    Error e = receive(c, n);
    if (!e) e = walk_messages(w, c.buf.data(), n, c.st.bytes - n, &used);
    if (e) return e;
  }
  return {};
}

// A walk that failed midway leaves the kernel dumping, and a socket with a dump running
// answers EBUSY to the next request: read to the dump's end. The kernel queues the next part
// of a dump inside each recvmsg, so an empty queue means the dump is over: never block here.
void drain(Conn& c, uint32_t seq) {
  long n = c.last;  // the failed datagram may already hold the end
  while (!ends_walk(c.buf.data(), n, seq) && !receive(c, n, MSG_DONTWAIT)) {}
}

Error run_walk(Conn& c, Walk& w, const std::vector<uint8_t>& request) {
  Error e = send_request(c.fd, request);
  if (e) return e;
  e = local_port_id(c.fd, w.pid);
  if (!e) e = pump(c, w);
  if (e && !w.done) drain(c, w.seq);
  c.st.messages += w.messages;
  return e;
}

// One walk, redone from scratch while the kernel flags it NLM_F_DUMP_INTR (at most 3 times,
// then kept and flagged inconsistent) or drops part of it (ENOBUFS, at most 3 times, then an
// error). A failed walk leaves no rows behind.
Error walk_kind(Conn& c, const Plan& p, Kind k, Sink& sink) {
  uint32_t seq = make_seq(p.generation, k);
  std::vector<uint8_t> request = build_request(k, p.req, p.bytecode, seq);
  for (int restart = 0;; ++restart) {
    Mark m = mark(sink);
    Walk w = make_walk(p.req, sink, k, seq, 0);
    Error e = run_walk(c, w, request);
    if (!e && !w.interrupted) return {};
    if (!e && restart == kMaxRestarts) {
      c.st.inconsistent = true;
      return {};
    }
    rollback(sink, m);
    // ENOBUFS: the kernel dropped part of the answer (memory pressure); the walk is redone.
    if (e && (e.errnum != ENOBUFS || restart == kMaxRestarts)) return e;
    ++c.st.restarts;
  }
}

bool wants(const DumpRequest& r, Table t) { return r.tables >> t & 1; }

Error run_dump(int fd, const DumpRequest& req, Sink& sink, DumpStats& st, std::string* record) {
  Plan p{req, {}, generation()};
  Error e = compile_filter(req, p.bytecode);
  if (e) return e;
  Conn c{fd, std::vector<uint8_t>(kRecvBuffer), st, record};
  st.recv_buffer = kRecvBuffer;
  if (wants(req, kTcp) && wants(req, kTcp6) && req.combined_family) {
    e = walk_kind(c, p, Kind::kTcpBoth, sink);
    st.combined_used = !e;
    if (e && !combined_refused(e)) return e;
  }
  for (Table t : {kTcp, kTcp6, kUdp, kUdp6}) {
    if (!wants(req, t) || (st.combined_used && t <= kTcp6)) continue;
    e = walk_kind(c, p, static_cast<Kind>(t), sink);
    if (e) return e;
  }
  return {};
}

Error dump_into(int fd, const DumpRequest& req, Sink& sink, DumpStats* stats, std::string* record) {
  DumpStats st;
  Error e = run_dump(fd, req, sink, st, record);
  st.filtered_in_userspace = sink.filtered;
  if (stats) *stats = st;
  return e;
}

// Room for two datagrams, so the kernel prepares the next one while we parse this one.
Error ensure_rcvbuf(int fd) {
  int have = 0, want = 2 * kRecvBuffer;
  socklen_t len = sizeof have;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &have, &len) < 0) return syscall_error("getsockopt", "netlink: reading SO_RCVBUF");
  if (have >= want) return {};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) < 0) return syscall_error("setsockopt", "netlink: raising SO_RCVBUF");
  return {};
}

}  // namespace

int open_diag_socket(Error& err) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    err = syscall_error("socket", "netlink: opening NETLINK_SOCK_DIAG");
    return -1;
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;  // nl_pid 0: the kernel picks a unique port id
  Error e;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) e = syscall_error("bind", "netlink: binding the netlink socket");
  if (!e) e = ensure_rcvbuf(fd);
  if (!e) return fd;
  close(fd);
  err = e;
  return -1;
}

Error dump_table(int fd, const DumpRequest& req, SocketTable& out, DumpStats* stats, std::string* record) {
  Sink sink;
  sink.table = &out, sink.histogram = req.histogram;
  reset_table(out, req.info, req.memory);
  Error e = dump_into(fd, req, sink, stats, record);
  if (e) reset_table(out, req.info, req.memory);  // never half a table
  return e;
}

Error count_states(int fd, const DumpRequest& req, StateCounts& out, DumpStats* stats) {
  DumpRequest bare = req;
  bare.info = bare.memory = false;
  Sink sink;
  sink.counts = &out, sink.histogram = req.histogram, sink.cookies = req.cookies;
  out.fill(0);
  Error e = dump_into(fd, bare, sink, stats, nullptr);
  if (e) out.fill(0);
  return e;
}

Error count_groups(int fd, const DumpRequest& req, aggregate::GroupCounter& out, DumpStats* stats) {
  DumpRequest bare = req;
  bare.info = bare.memory = false;
  Sink sink;
  sink.groups = &out, sink.histogram = req.histogram, sink.cookies = req.cookies;
  out.clear();
  Error e = dump_into(fd, bare, sink, stats, nullptr);
  if (e) out.clear();
  out.flush();
  return e;
}

}  // namespace sockscope::netlink
