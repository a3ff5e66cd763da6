// Reads the UNIX-socket table of the caller's network namespace: over netlink unix_diag (what
// `ss -x` uses), or from /proc/net/unix, with `auto` falling back from the first to the second
// where netlink is refused (as ss's unix_show does). Plain C++: no N-API here.
//
// unix_diag and /proc/net/unix both list the sockets of the reader's network namespace
// (sock_net), whatever the filesystem the paths live in.
#pragma once

#include <string>

#include "reader.h"
#include "unix/unix_table.h"

namespace sockscope::unix_sock {

struct UnixRequest {
  Source source = Source::kAuto;
  uint32_t states = kAllUnixStates;  // bit N = kernel state N
  std::string proc_root = kProcNet;  // where `unix` is read from, for the /proc source
};

struct UnixOutcome {
  Source source = Source::kProc;  // kNetlink or kProc, never kAuto
  bool inconsistent = false;      // netlink: the table kept changing during the dump
  uint32_t restarts = 0;          // netlink: dumps redone (NLM_F_DUMP_INTR, ENOBUFS)
};

// Dumps the table over the sock_diag socket fd (replacing out's contents; never half a table).
Error dump_unix(int fd, uint32_t states, UnixTable& out, UnixOutcome& outcome);

Error read_unix(const UnixRequest& req, UnixTable& out, UnixOutcome& outcome);

}  // namespace sockscope::unix_sock
