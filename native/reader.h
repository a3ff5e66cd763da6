// One entry point over both readers: netlink sock_diag (what `ss` uses) and the /proc text
// tables, with `auto` falling back from the first to the second where netlink is refused.
// Plain C++: no N-API here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aggregate/group_counter.h"
#include "table/socket_table.h"

namespace sockscope {

enum class Source { kAuto, kNetlink, kProc };

// The caller's own /proc/net, ReadRequest's default root.
inline constexpr char kProcNet[] = "/proc/net";

struct ReadRequest {
  Source source = Source::kAuto;
  TableMask tables = kAllTables;
  TableMask optional_tables = 0;  // /proc: tables whose file may be missing (IPv6 disabled)
  StateMask states = kAllStates;
  PortFilter ports;
  // Netlink: a filter expression's INET_DIAG_REQ_BYTECODE, ANDed with the port ranges. /proc
  // ignores it: the caller filters those rows itself.
  std::vector<uint8_t> expression;
  bool info = false, memory = false;  // netlink extensions (tcp_info, SK_MEMINFO)
  bool cookie = false;  // hand the netlink cookie column to the caller (8 bytes a row)
  uint32_t partitions = 0;  // netlink: 0 auto, 1 one dump, K >= 2 that many (PartitionedReader)
  std::string proc_root = kProcNet;
  // The replay seam (as ss's TCPDIAG_FILE): netlink reads parse this recording instead of asking
  // the kernel. record_file: a table read over netlink writes the bytes it received there.
  std::string replay_file, record_file;
};

// What served a read and how.
struct ReadOutcome {
  Source source = Source::kProc;  // kNetlink or kProc, never kAuto
  bool inconsistent = false;      // netlink: the table kept changing during the dump
  uint32_t restarts = 0;          // netlink: walks redone (NLM_F_DUMP_INTR, ENOBUFS)
  uint32_t filtered_in_userspace = 0;  // netlink: rows the kernel sent against the filter
  bool combined_family = false;   // netlink: one walk answered for tcp and tcp6
  uint32_t partitions = 1;        // netlink: parallel dumps merged into the result
  bool established_counter = false;  // netlink counts: ESTABLISHED from Tcp CurrEstab
  bool time_wait_counter = false;    // netlink counts: TIME_WAIT from sockstat's tw
};

class PartitionedReader;
namespace estab {
class Trust;
}
namespace timewait {
class Trust;
}

// parts (may be null: always one dump) holds the partition threads and what reads learn.
// counter (may be null: never) says whether an `auto` count of every TCP state may take
// ESTABLISHED from the kernel's counter; its meaning is the kernel's, the same in every
// namespace, so a read inside another namespace (which takes one dump) shares it.
Error read_table(const ReadRequest& req, SocketTable& out, ReadOutcome& outcome,
                 PartitionedReader* parts = nullptr);
Error count_states(const ReadRequest& req, StateCounts& out, ReadOutcome& outcome,
                   PartitionedReader* parts = nullptr, estab::Trust* counter = nullptr,
                   timewait::Trust* tw_counter = nullptr);

// Counts sockets per group of out's spec (aggregate/group_counter.h), building no table.
Error count_groups(const ReadRequest& req, aggregate::GroupCounter& out, ReadOutcome& outcome,
                   PartitionedReader* parts = nullptr);

// True for the errors that mean "netlink sock_diag is not available here", not "it failed".
bool netlink_unavailable(const Error& e);

const char* source_name(Source s);

}  // namespace sockscope
