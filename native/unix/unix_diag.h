// The pure half of the unix_diag reader: the dump request, and the answer's messages parsed
// into a UnixTable. No syscalls here, so tests and the fuzzer run exactly what live dumps run.
//
// Errors: malformed bytes give "ERR_NETLINK_PARSE" with the byte offset in the stream (a
// truncated nlmsgerr or NLMSG_DONE gives "EBADMSG"); a request the kernel refuses carries the
// kernel's errno by name ("ENOENT", "EPERM", ...) with syscall "recvmsg".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "unix/unix_table.h"

namespace sockscope::unix_sock {

// What every dump asks for: the name, the peer, the queues, the owner's uid (kernel >= 5.3; older
// kernels ignore the bit), and the VFS inode (asked as ss -xe does; not kept).
constexpr uint32_t kShow = 0x01 /* NAME */ | 0x02 /* VFS */ | 0x04 /* PEER */ | 0x10 /* RQLEN */ | 0x40 /* UID */;

// SOCK_DIAG_BY_FAMILY dump request for AF_UNIX sockets in `states` (bit N = state N).
std::vector<uint8_t> build_request(uint32_t seq, uint32_t states);

// The state of one dump: which answers are ours and where their rows go.
struct Walk {
  UnixTable* table = nullptr;
  uint32_t seq = 0, pid = 0;  // messages with another seq or port id are skipped
  uint32_t states = kAllUnixStates;  // rows in other states are dropped (the kernel filters too)
  bool done = false;          // NLMSG_DONE or NLMSG_ERROR seen
  bool interrupted = false;   // NLM_F_DUMP_INTR seen
  uint32_t messages = 0;      // ours, including DONE/ERROR
};

// Parses the messages in buf[0, len) until the buffer ends or the walk is done; `base` is buf's
// offset in the whole stream, for error messages.
Error walk_messages(Walk& w, const uint8_t* buf, long len, size_t base);

// One unix_diag_msg and its attributes (the payload of a SOCK_DIAG_BY_FAMILY message) as a row;
// `name` points into `data`.
Error parse_row(const uint8_t* data, long len, size_t off, UnixRow& r);

// Parses a recording (the bytes of a dump's recv()s, concatenated) as the answer to the request
// of its first message's seq and port id. A recording that ends before NLMSG_DONE is EBADMSG.
Error replay(const uint8_t* data, size_t len, UnixTable& out);

}  // namespace sockscope::unix_sock
