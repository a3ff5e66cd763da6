// Close events: the sockets the kernel destroys, as it broadcasts them to the sock_diag
// destroy groups (what `ss -E` reads). Plain C++, no N-API: the socket half opens, joins and
// reads; the parse half takes bytes, so tests and fuzzers feed it without a kernel.
//
// What the kernel sends (net/core/sock_diag.c, sock_diag_broadcast_destroy, and
// inet_diag_handler_get_info): one SOCK_DIAG_BY_FAMILY message per datagram, seq and port id 0,
// an inet_diag_msg with the family, final state, addresses, ports and cookie, then
// INET_DIAG_PROTOCOL (u8) and, for TCP, INET_DIAG_INFO (the final struct tcp_info). idiag_uid and
// idiag_inode are left 0: the socket no longer has a file. Only full sockets with a user
// (sk_net_refcnt) are broadcast, from a workqueue, to listeners in the socket's own namespace;
// TIME_WAIT and request sockets are never full sockets, so they send nothing. A TCP socket that
// enters TIME_WAIT is destroyed as a full socket at that moment, in state CLOSE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "error.h"
#include "netlink/netlink_reader.h"
#include "table/socket_table.h"

namespace sockscope::events {

// The receive buffer asked for by default. The kernel doubles the figure for its own
// bookkeeping, and caps SO_RCVBUF at net.core.rmem_max unless SO_RCVBUFFORCE (CAP_NET_ADMIN)
// lifts the cap; the size obtained is reported. One event costs about 1.2 KiB of it.
constexpr int kDefaultReceiveBuffer = 16 << 20;
// Events handed over at most per batch, by default.
constexpr uint32_t kDefaultBatch = 1024;

struct EventsRequest {
  // tables: the families and protocols joined (one destroy group each); states and ports
  // filter events after they arrive. info and memory are ignored: tcp_info is always read.
  netlink::DumpRequest filter;
  int receive_buffer = kDefaultReceiveBuffer;  // bytes asked for with SO_RCVBUF(FORCE)
  uint32_t max_batch = kDefaultBatch;          // events kept per read_events call, >= 1
};

// The destroy groups (SKNLGRP_*) that carry the tables in `tables`.
std::vector<int> destroy_groups(TableMask tables);

struct EventBatch {
  SocketTable table;       // the events kept, with tcp_info columns (NaN for UDP) and cookies
  uint64_t lost = 0;       // events the kernel dropped for a full buffer since the socket opened
  uint32_t overruns = 0;   // ENOBUFS errors read in this batch (each one or more lost events)
  uint32_t filtered = 0;   // events received but not asked for (state, ports)
  uint32_t datagrams = 0;  // datagrams received in this batch
};

// Empties `out` for a new batch (lost is kept: it is a running total).
void start_batch(EventBatch& out);

// Parses one received datagram (buf[0, len), at stream offset base) into out: messages other
// than SOCK_DIAG_BY_FAMILY are skipped; a malformed one is ERR_NETLINK_PARSE and adds nothing.
Error parse_datagram(const uint8_t* buf, long len, size_t base, const netlink::DumpRequest& filter, EventBatch& out);

// A non-blocking NETLINK_SOCK_DIAG socket that has joined req's destroy groups; fd >= 0 on
// success. received_buffer = the SO_RCVBUF the kernel granted (its doubled figure).
Error open_events_socket(const EventsRequest& req, int& fd, int& receive_buffer);

// Reads what is queued, without waiting, until the queue is empty or req.max_batch events are
// kept; appends to out and refreshes out.lost. ENOBUFS is counted, never an error.
Error read_events(int fd, const EventsRequest& req, std::vector<uint8_t>& buf, EventBatch& out);

}  // namespace sockscope::events
