// The /proc/net/unix text table parsed into a UnixTable, as ss's unix_show reads it when netlink
// is refused. Plain C++: no N-API here.
//
// The file has no queues, no peer and no uid: those columns stay 0 (queues, peer) and NaN (uid),
// and the caller must treat them as unknown. States are mapped as ss maps them: a listening
// socket (__SO_ACCEPTCON) is LISTEN; SS_UNCONNECTED is CLOSE, SS_CONNECTING (a connection not
// yet accepted) SYN_SENT, SS_CONNECTED ESTABLISHED, SS_DISCONNECTING CLOSING. The kernel prints
// an abstract name as '@' followed by its bytes with each NUL as '@': it is stored with a
// leading NUL byte like a netlink name, the other '@'s as they are (the NULs cannot be told
// apart). A path holding a newline cannot be read back from this file.
//
// The first line (the header) is skipped; every other line must end with a newline and hold
// every field, else the whole read fails with "ERR_PROC_PARSE" naming file and line.
#pragma once

#include <string>

#include "unix/unix_table.h"

namespace sockscope::unix_sock {

// Parses the whole text of a /proc/net/unix file (named `file` in errors) into out, keeping the
// rows whose state is in `states` (bit N = state N). Never half a table: out is empty on error.
Error parse_proc_unix(const std::string& text, const std::string& file, uint32_t states, UnixTable& out);

}  // namespace sockscope::unix_sock
