// The columnar UNIX-socket table that unix_diag and /proc/net/unix both fill: one vector per
// field, names as offsets into one byte column. Plain C++: no N-API here.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "table/socket_table.h"

namespace sockscope::unix_sock {

// Socket types as SOCK_* (linux/net.h).
constexpr uint8_t kStream = 1, kDgram = 2, kSeqpacket = 5;

// udiag_states bits: every state a UNIX socket takes (kernel TCP numbering, as unix_diag reports).
constexpr uint32_t kAllUnixStates = 0xFFFFFFFF;

struct UnixTable {
  Column<uint8_t> type;          // SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5
  Column<uint8_t> state;         // TCP_ESTABLISHED 1, TCP_SYN_SENT 2, TCP_CLOSE 7, TCP_LISTEN 10, ...
  Column<uint32_t> inode;
  Column<uint32_t> peer_inode;   // 0: no peer (or unknown, from /proc)
  // For a listener: the accept queue and the backlog (UNIX_DIAG_RQLEN, as ss prints them);
  // for the others, the bytes (stream) or datagrams' bytes queued to read and to send.
  // From /proc: 0, unknown.
  Column<uint32_t> recv_q;
  Column<uint32_t> send_q;
  Column<double> uid;            // NaN where unknown: kernels before 5.3, and /proc
  // Row r's name is name_bytes[name_start[r], name_start[r + 1]): empty for none; an abstract
  // name starts with a NUL byte (kept as the kernel has it); a filesystem path has no NUL.
  Column<uint32_t> name_start{0};
  Column<uint8_t> name_bytes;

  size_t size() const { return inode.size(); }
};

inline void clear_table(UnixTable& t) { t = UnixTable{}; }

// One row, before it is appended.
struct UnixRow {
  uint8_t type = 0, state = 0;
  uint32_t inode = 0, peer_inode = 0, recv_q = 0, send_q = 0;
  double uid = NAN;
  const uint8_t* name = nullptr;
  size_t name_len = 0;
};

inline void append_row(UnixTable& t, const UnixRow& r) {
  t.type.push_back(r.type), t.state.push_back(r.state), t.inode.push_back(r.inode);
  t.peer_inode.push_back(r.peer_inode), t.recv_q.push_back(r.recv_q), t.send_q.push_back(r.send_q);
  t.uid.push_back(r.uid);
  t.name_bytes.insert(t.name_bytes.end(), r.name, r.name + r.name_len);
  t.name_start.push_back(static_cast<uint32_t>(t.name_bytes.size()));
}

}  // namespace sockscope::unix_sock
