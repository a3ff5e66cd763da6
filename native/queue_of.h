// The queues of one TCP socket of this process, read from its descriptor: getsockopt(TCP_INFO)
// and the SIOCINQ/SIOCOUTQ/SIOCOUTQNSD ioctls. O(1), no table walk. Plain C++: no N-API here.
#pragma once

#include <cstdint>

#include "table/socket_table.h"

namespace sockscope {

struct SocketQueues {
  uint8_t state = 0;  // kernel numbering (10 = LISTEN)
  // LISTEN: the kernel aliases tcpi_unacked to sk_ack_backlog (connections waiting for accept())
  // and tcpi_sacked to sk_max_ack_backlog (the backlog, after the somaxconn cap).
  uint32_t accept_queue = 0, backlog = 0;
  // Connections: bytes not yet read, not yet acknowledged, and not yet sent (ioctls).
  uint32_t recv_q = 0, send_q = 0, unsent = 0;
  uint32_t rtt_us = 0, rttvar_us = 0, snd_cwnd = 0, snd_mss = 0;
  uint32_t unacked = 0, lost = 0, total_retrans = 0;
  uint8_t retransmits = 0;
};

// Fills `out` from `fd`. ERR_NOT_TCP when `fd` is not a TCP socket (another protocol, or not a
// socket: errno ENOTSOCK); the errno code of the failed call otherwise (EBADF, ...).
Error read_socket_queues(int fd, SocketQueues& out);

}  // namespace sockscope
