// The syscall half of close events: the socket, its groups and buffer, and the non-blocking
// read of a batch with recvmmsg.
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "events/close_events.h"

namespace sockscope::events {
namespace {

// One slot per datagram in a recvmmsg: an event is one message of a few hundred bytes.
constexpr size_t kSlotBytes = 4096;
constexpr unsigned kSlots = 64;

Error set_receive_buffer(int fd, int bytes, int& granted) {
  // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it, SO_RCVBUF (capped).
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0)
    return syscall_error("setsockopt", "close events: setting SO_RCVBUF to " + std::to_string(bytes));
  socklen_t len = sizeof granted;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &len) < 0)
    return syscall_error("getsockopt", "close events: reading SO_RCVBUF");
  return {};
}

Error join_groups(int fd, TableMask tables) {
  for (int group : destroy_groups(tables)) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
      return syscall_error("setsockopt", "close events: joining sock_diag destroy group " + std::to_string(group) +
                                             " (NETLINK_ADD_MEMBERSHIP)");
  }
  return {};
}

Error setup(int fd, const EventsRequest& req, int& granted) {
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0)
    return syscall_error("bind", "close events: binding the netlink socket");
  if (Error e = set_receive_buffer(fd, req.receive_buffer, granted)) return e;
  return join_groups(fd, req.filter.tables);
}

// SK_MEMINFO_DROPS of our own socket: every multicast the kernel could not queue for us.
Error read_drops(int fd, uint64_t& lost) {
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
    return syscall_error("getsockopt", "close events: reading the socket's drop count (SO_MEMINFO)");
  if (len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
    return Error{EPROTO, "EPROTO", "getsockopt", "close events: SO_MEMINFO without a drop count"};
  lost = mem[SK_MEMINFO_DROPS];
  return {};
}

struct Slots {
  mmsghdr msgs[kSlots];
  iovec iov[kSlots];
  sockaddr_nl from[kSlots];
};

void prepare(Slots& s, std::vector<uint8_t>& buf, unsigned n) {
  buf.resize(kSlots * kSlotBytes);
  for (unsigned i = 0; i < n; ++i) {
    s.iov[i] = iovec{buf.data() + i * kSlotBytes, kSlotBytes};
    s.msgs[i] = mmsghdr{};
    s.msgs[i].msg_hdr.msg_name = &s.from[i];
    s.msgs[i].msg_hdr.msg_namelen = sizeof s.from[i];
    s.msgs[i].msg_hdr.msg_iov = &s.iov[i];
    s.msgs[i].msg_hdr.msg_iovlen = 1;
  }
}

// Parses the n datagrams a recvmmsg filled.
Error take(const Slots& s, const std::vector<uint8_t>& buf, unsigned n, const EventsRequest& req, EventBatch& out) {
  for (unsigned i = 0; i < n; ++i) {
    const msghdr& h = s.msgs[i].msg_hdr;
    if (h.msg_flags & MSG_TRUNC)
      return syscall_error("recvmmsg", "close events: datagram larger than " + std::to_string(kSlotBytes) + " bytes", EMSGSIZE);
    if (s.from[i].nl_pid != 0) continue;  // not from the kernel
    ++out.datagrams;
    if (Error e = parse_datagram(buf.data() + i * kSlotBytes, s.msgs[i].msg_len, 0, req.filter, out)) return e;
  }
  return {};
}

}  // namespace

Error open_events_socket(const EventsRequest& req, int& fd, int& receive_buffer) {
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
  if (fd < 0) return syscall_error("socket", "close events: opening a NETLINK_SOCK_DIAG socket");
  Error e = setup(fd, req, receive_buffer);
  if (e) close(fd), fd = -1;
  return e;
}

Error read_events(int fd, const EventsRequest& req, std::vector<uint8_t>& buf, EventBatch& out) {
  Slots s;
  while (out.table.size() < req.max_batch) {
    // Never more datagrams than events still wanted: each holds one event.
    unsigned n = static_cast<unsigned>(std::min<size_t>(kSlots, req.max_batch - out.table.size()));
    prepare(s, buf, n);
    int got = recvmmsg(fd, s.msgs, n, MSG_DONTWAIT, nullptr);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == ENOBUFS) {
      ++out.overruns;
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (got < 0) return syscall_error("recvmmsg", "close events: receiving");
    if (Error e = take(s, buf, static_cast<unsigned>(got), req, out)) return e;
    if (static_cast<unsigned>(got) < n) break;
  }
  return read_drops(fd, out.lost);
}

}  // namespace sockscope::events
