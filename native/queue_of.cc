#include "queue_of.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "error.h"

namespace sockscope {
namespace {

// The context of a failed call on the caller's fd, for syscall_error.
std::string on_fd(const char* call, int fd) { return std::string(call) + " on fd " + std::to_string(fd); }

Error not_tcp(int fd, const std::string& why, int errnum = 0) {
  Error e;
  e.errnum = errnum;
  e.code = "ERR_NOT_TCP";
  if (errnum) e.syscall = "getsockopt";
  e.message = "fd " + std::to_string(fd) + " is not a TCP socket: " + why;
  return e;
}

bool int_option(int fd, int level, int name, int& out) {
  socklen_t len = sizeof(out);
  return getsockopt(fd, level, name, &out, &len) == 0;
}

}  // namespace

Error read_socket_queues(int fd, SocketQueues& out) {
  int domain = 0, protocol = 0;
  if (!int_option(fd, SOL_SOCKET, SO_DOMAIN, domain)) {
    if (errno == ENOTSOCK) return not_tcp(fd, "not a socket", ENOTSOCK);
    return syscall_error("getsockopt", on_fd("getsockopt", fd));
  }
  if (!int_option(fd, SOL_SOCKET, SO_PROTOCOL, protocol)) return syscall_error("getsockopt", on_fd("getsockopt", fd));
  if ((domain != AF_INET && domain != AF_INET6) || protocol != IPPROTO_TCP) {
    return not_tcp(fd, "domain " + std::to_string(domain) + ", protocol " + std::to_string(protocol));
  }

  tcp_info info;
  std::memset(&info, 0, sizeof(info));
  socklen_t len = sizeof(info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return syscall_error("getsockopt", on_fd("getsockopt", fd));
  out.state = info.tcpi_state;
  if (out.state == kListen) {
    out.accept_queue = info.tcpi_unacked;
    out.backlog = info.tcpi_sacked;
    return {};
  }
  // SIOCINQ refuses listeners only; the three ioctls fit an int each.
  int inq = 0, outq = 0, unsent = 0;
  if (ioctl(fd, SIOCINQ, &inq) != 0) return syscall_error("ioctl", on_fd("ioctl", fd));
  if (ioctl(fd, SIOCOUTQ, &outq) != 0) return syscall_error("ioctl", on_fd("ioctl", fd));
  if (ioctl(fd, SIOCOUTQNSD, &unsent) != 0) return syscall_error("ioctl", on_fd("ioctl", fd));
  out.recv_q = static_cast<uint32_t>(inq);
  out.send_q = static_cast<uint32_t>(outq);
  out.unsent = static_cast<uint32_t>(unsent);
  out.rtt_us = info.tcpi_rtt;
  out.rttvar_us = info.tcpi_rttvar;
  out.snd_cwnd = info.tcpi_snd_cwnd;
  out.snd_mss = info.tcpi_snd_mss;
  out.unacked = info.tcpi_unacked;
  out.lost = info.tcpi_lost;
  out.total_retrans = info.tcpi_total_retrans;
  out.retransmits = info.tcpi_retransmits;
  return {};
}

}  // namespace sockscope
