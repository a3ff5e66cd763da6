// Socket owners: the processes holding each socket open, found as `ss -p` finds them, by reading
// every /proc/<pid>/fd link once against a hash map from socket inode to table row.
// Plain C++: no N-API here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "table/socket_table.h"

namespace sockscope::procs {

struct OwnerScan {
  // Compressed rows: the owners of row r are entries [start[r], start[r + 1]) of pid and fd.
  // A socket open in several processes (or at several fds) has one entry each, as ss lists them.
  std::vector<uint32_t> start;
  std::vector<int32_t> pid;
  std::vector<int32_t> fd;
  // The command (/proc/<pid>/comm, no newline) of each pid found, once per pid; empty if the
  // process exited before it was read.
  std::vector<int32_t> command_pid;
  std::vector<std::string> command;
  uint32_t scanned = 0;  // processes whose fd directory was read
  uint32_t skipped = 0;  // processes whose fd directory could not be read: EACCES, or gone (ENOENT, ESRCH)
};

// Finds the owners of `inodes` (one per table row; 0, as TIME_WAIT and request sockets have, is
// never owned) in one pass over `root` (/proc, or a recorded tree). Only failing to open `root`
// itself is an error; a process that cannot be read is counted in `skipped`.
Error scan_owners(const Column<uint32_t>& inodes, const std::string& root, OwnerScan& out);

}  // namespace sockscope::procs
