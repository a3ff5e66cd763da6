// The /proc/net/{tcp,tcp6,udp,udp6} reader: a hand-written parser over one large read() buffer.
// Plain C++: no N-API here.
#pragma once

#include <string>

#include "table/socket_table.h"

namespace sockscope::proc {

// What to keep of a table: the states and ports asked for.
struct RowFilter {
  StateMask states = kAllStates;
  PortFilter ports;
};

struct ReadRequest {
  TableMask tables = kAllTables;
  TableMask optional_tables = 0;  // tables whose file may be missing (IPv6 disabled): skipped
  RowFilter filter;
  std::string root = "/proc/net";  // or /proc/<pid>/net, or a test fixture directory
};

// Parses the bytes of one whole table file (header line first). `name` is used in messages.
// Rows the filter rejects are skipped. On error, `out` may hold a prefix.
Error parse_table(const char* data, size_t len, Table table, const RowFilter& filter,
                  const std::string& name, SocketTable& out);

// Same walk, counting rows per state instead of storing them.
Error count_table(const char* data, size_t len, Table table, const RowFilter& filter,
                  const std::string& name, StateCounts& counts);

// Reads and parses every requested file under `req.root`.
Error read_tables(const ReadRequest& req, SocketTable& out);
Error count_states(const ReadRequest& req, StateCounts& counts);

const char* table_file_name(Table table);

// About how many rows the tables will hold, from `root`'s sockstat files (0 if it has none): a
// hint to reserve a full table's columns by, for either reader.
uint64_t expected_rows(const std::string& root, TableMask tables);

}  // namespace sockscope::proc
