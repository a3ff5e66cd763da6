// libFuzzer target for the /proc/net table parser: the input is one table file's bytes, parsed as
// each of the four tables, both as rows and as counts. Besides what the sanitizers catch, it
// traps when the two walks disagree or a table holds more rows than the input has lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proc/proc_reader.h"

using namespace sockscope;

namespace {

void check(bool ok) {
  if (!ok) abort();
}

void parse_as(const char* data, size_t len, Table table) {
  SocketTable t;
  StateCounts counts{};
  Error row_err = proc::parse_table(data, len, table, proc::RowFilter{}, "fuzz", t);
  Error count_err = proc::count_table(data, len, table, proc::RowFilter{}, "fuzz", counts);
  check(row_err.code == count_err.code && row_err.message == count_err.message);

  size_t lines = 0;
  for (size_t i = 0; i < len; ++i) lines += data[i] == '\n';
  const size_t n = t.size();
  check(n + 1 <= lines || n == 0);  // the header is not a row
  check(t.protocol.size() == n && t.family.size() == n && t.local_address.size() == 16 * n &&
        t.remote_address.size() == 16 * n && t.local_port.size() == n &&
        t.remote_port.size() == n && t.recv_q.size() == n && t.send_q.size() == n &&
        t.uid.size() == n && t.inode.size() == n && t.timer.size() == n &&
        t.timer_expires.size() == n && t.retransmits.size() == n);
  if (row_err) return;  // a prefix of rows may stand; the counts walk stopped at the same line

  StateCounts from_rows{};
  for (size_t i = 0; i < n; ++i) {
    check(t.state[i] >= kEstablished && t.state[i] <= kClosing);  // NEW_SYN_RECV reads as SYN_RECV
    check(t.protocol[i] == table_protocol(table) && t.family[i] == table_family(table));
    if (t.family[i] == 4)
      for (int b = 4; b < 16; ++b)
        check(t.local_address[16 * i + b] == 0 && t.remote_address[16 * i + b] == 0);
    ++from_rows[t.state[i]];
  }
  check(from_rows == counts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  for (int t = 0; t < kTableCount; ++t) parse_as(bytes, size, static_cast<Table>(t));
  return 0;
}
