// The column schema: every column a SocketTable holds, its name in JS and where netlink reads it.
// Each list is an X-macro; the table's members, the parser's field table, the glue's JS names
// and the schema the addon exports are all expanded from it, so a column is added here once
// (and its type once in src/native-types.ts, which a test compares with the exported schema).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// The base columns every read fills, in the order JS sees them:
// X(member, JS name, element type, elements per row).
#define SOCKSCOPE_BASE_COLUMNS(X)                                                          \
  X(protocol, "protocol", uint8_t, 1)              /* 6 tcp, 17 udp */                     \
  X(family, "family", uint8_t, 1)                  /* 4 or 6 */                            \
  X(state, "state", uint8_t, 1)                    /* request sockets read as SYN_RECV */  \
  X(local_address, "localAddress", uint8_t, 16)    /* 16 bytes per row */                  \
  X(remote_address, "remoteAddress", uint8_t, 16)  /* 16 bytes per row */                  \
  X(local_port, "localPort", uint16_t, 1)                                                  \
  X(remote_port, "remotePort", uint16_t, 1)                                                \
  X(recv_q, "recvQ", uint32_t, 1)          /* rx_queue; for LISTEN, the accept queue */    \
  X(send_q, "sendQ", uint32_t, 1)          /* tx_queue; for LISTEN via netlink, backlog */ \
  X(uid, "uid", uint32_t, 1)                                                               \
  X(inode, "inode", uint32_t, 1)           /* socket inodes are 32-bit (get_next_ino) */   \
  X(timer, "timer", uint8_t, 1)            /* 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 probe */ \
  X(timer_expires, "timerExpires", uint32_t, 1)  /* ms until the timer fires, 0 if past */  \
  X(retransmits, "retransmits", uint8_t, 1)

// tcp_info columns (netlink `info: true`), doubles, read from the kernel's struct tcp_info
// (<linux/tcp.h>): X(member, JS name, tcp_info field). Times in microseconds (rtt, rttvar,
// min_rtt) or milliseconds ago (last_data_*), rates in bytes per second.
#define SOCKSCOPE_INFO_FIELDS(X)                          \
  X(rtt, "rtt", tcpi_rtt)                                 \
  X(rttvar, "rttvar", tcpi_rttvar)                        \
  X(min_rtt, "minRtt", tcpi_min_rtt)                      \
  X(snd_cwnd, "sndCwnd", tcpi_snd_cwnd)                   \
  X(snd_ssthresh, "sndSsthresh", tcpi_snd_ssthresh)       \
  X(retransmits, "retransmits", tcpi_retransmits)         \
  X(total_retrans, "totalRetrans", tcpi_total_retrans)    \
  X(lost, "lost", tcpi_lost)                              \
  X(unacked, "unacked", tcpi_unacked)                     \
  X(bytes_acked, "bytesAcked", tcpi_bytes_acked)          \
  X(bytes_received, "bytesReceived", tcpi_bytes_received) \
  X(bytes_retrans, "bytesRetrans", tcpi_bytes_retrans)    \
  X(delivery_rate, "deliveryRate", tcpi_delivery_rate)    \
  X(pacing_rate, "pacingRate", tcpi_pacing_rate)          \
  X(last_data_sent, "lastDataSent", tcpi_last_data_sent)  \
  X(last_data_recv, "lastDataRecv", tcpi_last_data_recv)

// SK_MEMINFO columns (netlink `memory: true`), doubles, read from the INET_DIAG_SKMEMINFO
// array (<linux/sock_diag.h>): X(member, JS name, SK_MEMINFO_* index).
#define SOCKSCOPE_MEMORY_FIELDS(X)                         \
  X(rmem_alloc, "rmemAlloc", SK_MEMINFO_RMEM_ALLOC)        \
  X(rcvbuf, "rcvbuf", SK_MEMINFO_RCVBUF)                   \
  X(wmem_alloc, "wmemAlloc", SK_MEMINFO_WMEM_ALLOC)        \
  X(sndbuf, "sndbuf", SK_MEMINFO_SNDBUF)                   \
  X(fwd_alloc, "fwdAlloc", SK_MEMINFO_FWD_ALLOC)           \
  X(wmem_queued, "wmemQueued", SK_MEMINFO_WMEM_QUEUED)     \
  X(optmem, "optmem", SK_MEMINFO_OPTMEM)                   \
  X(backlog, "backlog", SK_MEMINFO_BACKLOG)                \
  X(drops, "drops", SK_MEMINFO_DROPS)

namespace sockscope {

#define SOCKSCOPE_DOUBLE_MEMBER(member, js, source) std::vector<double> member;

// tcp_info columns. NaN where the kernel sent no such field (an older, shorter tcp_info) or
// the socket has none (UDP, TIME_WAIT, request sockets).
struct TcpInfoColumns {
  SOCKSCOPE_INFO_FIELDS(SOCKSCOPE_DOUBLE_MEMBER)
  std::vector<uint8_t> congestion;  // index into congestion_names; 0 = none
  std::vector<std::string> congestion_names{""};
};

// SK_MEMINFO columns, NaN where absent.
struct MemInfoColumns {
  SOCKSCOPE_MEMORY_FIELDS(SOCKSCOPE_DOUBLE_MEMBER)
};

#undef SOCKSCOPE_DOUBLE_MEMBER

// An extension column: its JS name and where a table keeps it.
template <typename Columns>
struct NamedColumn {
  const char* name;
  std::vector<double> Columns::*column;
};

#define SOCKSCOPE_NAMED_INFO(member, js, field) {js, &TcpInfoColumns::member},
#define SOCKSCOPE_NAMED_MEMORY(member, js, index) {js, &MemInfoColumns::member},
inline constexpr NamedColumn<TcpInfoColumns> kInfoColumns[] = {SOCKSCOPE_INFO_FIELDS(SOCKSCOPE_NAMED_INFO)};
inline constexpr NamedColumn<MemInfoColumns> kMemoryColumns[] = {SOCKSCOPE_MEMORY_FIELDS(SOCKSCOPE_NAMED_MEMORY)};
#undef SOCKSCOPE_NAMED_INFO
#undef SOCKSCOPE_NAMED_MEMORY

}  // namespace sockscope
