// The pure half of close events: groups and datagram parsing, through the row parser the
// dumps use (netlink/rows.cc on_destroyed), so an event decodes exactly as a dumped row.
#include "events/close_events.h"

#include <linux/sock_diag.h>

#include "netlink/netlink_parse.h"

namespace sockscope::events {

std::vector<int> destroy_groups(TableMask tables) {
  static constexpr int kGroup[kTableCount] = {SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY,
                                              SKNLGRP_INET_UDP_DESTROY, SKNLGRP_INET6_UDP_DESTROY};
  std::vector<int> out;
  for (int t = 0; t < kTableCount; ++t)
    if (tables >> t & 1) out.push_back(kGroup[t]);
  return out;
}

void start_batch(EventBatch& out) {
  reset_table(out.table, true, false);
  out.overruns = out.filtered = out.datagrams = 0;
}

Error parse_datagram(const uint8_t* buf, long len, size_t base, const netlink::DumpRequest& filter, EventBatch& out) {
  size_t rows = out.table.size();
  uint32_t filtered = out.filtered;
  Error err;
  netlink::Msg m;
  for (long rem = len; rem > 0;) {
    size_t off = base + static_cast<size_t>(len - rem);
    if ((err = netlink::next_msg(buf + (len - rem), rem, off, m))) break;
    rem -= (m.len + 3) & ~3L;  // the last message may lack its padding
    bool kept = true;
    if (m.type == SOCK_DIAG_BY_FAMILY && !netlink::on_destroyed(filter, m, off, out.table, kept, err)) break;
    if (!kept) ++filtered;
  }
  if (err) {
    size_columns(out.table, rows);  // a datagram is kept whole or not at all
    return err;
  }
  out.filtered = filtered;
  return {};
}

}  // namespace sockscope::events
