// Reads the kernel's TCP/UDP socket tables over NETLINK_SOCK_DIAG (inet_diag) into a
// SocketTable. Plain C++17, no N-API; no globals, so any thread may call it with its own fd.
//
// Errors: syscall failures carry errno, its name as code ("ENOENT", ...) and the call's name.
// A request the kernel refuses (NLMSG_ERROR, or an error inside NLMSG_DONE) carries the
// kernel's errno the same way with syscall "recvmsg"; ENOENT / EOPNOTSUPP / EPROTONOSUPPORT
// keep exactly those codes, so callers can fall back to /proc. Malformed bytes give
// "ERR_NETLINK_PARSE" (a truncated nlmsgerr or NLMSG_DONE gives "EBADMSG") with the byte
// offset in the stream of received bytes.
//
// Every answer is checked for our nlmsg_seq and port id; others are skipped, not errors: they
// are leftovers of an earlier, abandoned dump on a reused fd. Datagrams not sent by the kernel
// (nl_pid != 0) are dropped. The low 4 bits of each request's seq name its walk (tcp, tcp6,
// udp, udp6, tcp+tcp6), which is how replay() knows the protocol of recorded rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <unistd.h>

#include "table/socket_table.h"

namespace sockscope::aggregate {
class GroupCounter;
}  // namespace sockscope::aggregate

namespace sockscope::partition {
struct PortHistogram;
struct CookieLog;
}  // namespace sockscope::partition

namespace sockscope::netlink {

struct DumpRequest {
  TableMask tables = kAllTables;  // bits kTcp, kTcp6, kUdp, kUdp6
  // Sent as idiag_states. SYN_RECV (3) and NEW_SYN_RECV (12) select each other: request
  // sockets are reported as state 3.
  StateMask states = kAllStates;
  bool info = false;    // INET_DIAG_INFO (tcp_info) + INET_DIAG_CONG -> out.info
  bool memory = false;  // INET_DIAG_SKMEMINFO -> out.memory
  // Kernel-side filter (INET_DIAG_REQ_BYTECODE, `ss sport = :443`): local and remote port
  // ranges. Rows are re-checked here.
  PortFilter ports;
  // A filter expression compiled to inet_diag bytecode (ss's language, compiled in TS), run by
  // the kernel after the port ranges, both having to hold. Rows are not re-checked against it
  // here: the caller evaluates the expression itself where the kernel's verdict is not enough.
  std::vector<uint8_t> expression;
  // tcp and tcp6 both asked: one legacy TCPDIAG_GETSOCK walk (AF_UNSPEC) instead of two,
  // falling back to two when the kernel refuses it. UDP is always one walk per family.
  bool combined_family = true;
  // Observers, filled as rows are stored (may be null): the ports of every row, for the next
  // read's partition split; for count_states (count_groups), every counted row's cookie and
  // state (group), so that partitions' counts can be de-duplicated.
  partition::PortHistogram* histogram = nullptr;
  partition::CookieLog* cookies = nullptr;
};

struct DumpStats {
  uint32_t messages = 0;    // netlink messages of ours (rows, DONE, ERROR)
  uint32_t bytes = 0;       // bytes received
  uint32_t recv_calls = 0;  // datagrams received
  uint32_t restarts = 0;    // walks redone after NLM_F_DUMP_INTR
  bool inconsistent = false;  // still interrupted after 3 restarts; the data is kept
  uint32_t filtered_in_userspace = 0;  // rows dropped for violating the request (0 expected)
  size_t recv_buffer = 0;   // bytes of the receive buffer used
  bool combined_used = false;  // the single TCPDIAG_GETSOCK walk answered for tcp + tcp6
};

// The receive buffer. Dump datagrams are sized from the reader's recvmsg length but capped by
// the kernel at SKB_WITH_OVERHEAD(32 KiB), a little under 32 KiB whatever the buffer. 64 KiB
// leaves headroom; a bigger datagram fails with EMSGSIZE, never silently.
constexpr size_t kRecvBuffer = 64 * 1024;

// socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_SOCK_DIAG), bound to a kernel-chosen port
// id, SO_RCVBUF raised to two datagrams if smaller. Returns the fd, or -1 with err set.
int open_diag_socket(Error& err);

// Runs dump(fd) on a sock_diag socket opened for it, and closes the socket after, whatever happens.
template <typename Dump>
Error with_diag_socket(Dump&& dump) {
  Error err;
  int fd = open_diag_socket(err);
  if (fd < 0) return err;
  err = dump(fd);
  close(fd);
  return err;
}

// Dumps the requested tables into out (replacing its contents). stats may be null. When
// record is non-null the raw bytes of every datagram received are appended to it.
Error dump_table(int fd, const DumpRequest& req, SocketTable& out, DumpStats* stats = nullptr,
                 std::string* record = nullptr);

// Counts sockets per kernel state (request sockets under SYN_RECV) without building a table,
// summed over the requested tables (ask tables = 1<<kTcp | 1<<kTcp6 for TCP alone); req.info /
// req.memory are ignored. out is zeroed first.
Error count_states(int fd, const DumpRequest& req, StateCounts& out, DumpStats* stats = nullptr);

// Counts sockets per group of out's spec (aggregate/group_counter.h) without building a table.
// out is cleared first; on error it is left empty.
Error count_groups(int fd, const DumpRequest& req, aggregate::GroupCounter& out, DumpStats* stats = nullptr);

// Parses a recording (the bytes of all recv()s of dump_table, concatenated) as if the kernel
// had just sent it, with the same checks, filters and DUMP_INTR handling.
Error replay(const uint8_t* data, size_t len, const DumpRequest& req, SocketTable& out,
             DumpStats* stats = nullptr);

}  // namespace sockscope::netlink
