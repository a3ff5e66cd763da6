#include "reader.h"

#include <unistd.h>

#include <cerrno>

#include "netlink_reader.h"
#include "partitioned_reader.h"
#include "proc_reader.h"

namespace sockscope {
namespace {

proc::ReadRequest to_proc(const ReadRequest& r) {
  proc::ReadRequest p;
  p.tables = r.tables;
  p.optional_tables = r.optional_tables;
  p.filter.states = r.states;
  p.filter.ports = r.ports;
  p.root = r.proc_root;
  return p;
}

netlink::DumpRequest to_netlink(const ReadRequest& r) {
  netlink::DumpRequest d;
  d.tables = r.tables;
  d.states = r.states;
  d.info = r.info;
  d.memory = r.memory;
  d.ports = r.ports;
  return d;
}

// Opens a sock_diag socket for one dump and closes it after, whatever happens.
template <typename Dump>
Error with_diag_socket(Dump&& dump) {
  Error err;
  int fd = netlink::open_diag_socket(err);
  if (fd < 0) return err;
  err = dump(fd);
  close(fd);
  return err;
}

void note(const netlink::DumpStats& st, ReadOutcome& o) {
  o.source = Source::kNetlink;
  o.inconsistent = st.inconsistent;
  o.restarts = st.restarts;
  o.filtered_in_userspace = st.filtered_in_userspace;
  o.combined_family = st.combined_used;
}

// Netlink first; /proc when the request allows it and netlink is not there. The extensions
// exist only on netlink, so a request for them never falls back to a table without them.
template <typename Netlink, typename Proc>
Error dispatch(const ReadRequest& req, ReadOutcome& o, Netlink&& nl, Proc&& pr) {
  o = ReadOutcome{};
  if (req.source == Source::kProc) return pr();
  netlink::DumpStats st;
  uint32_t k = 1;
  Error e = with_diag_socket([&](int fd) { return nl(fd, st, k); });
  if (!e) {
    note(st, o);
    o.partitions = k;
    return e;
  }
  bool may_fall_back = req.source == Source::kAuto && !req.info && !req.memory;
  return may_fall_back && netlink_unavailable(e) ? pr() : e;
}

}  // namespace

bool netlink_unavailable(const Error& e) {
  switch (e.errnum) {
    case EPROTONOSUPPORT: case EAFNOSUPPORT: case ESOCKTNOSUPPORT:  // no netlink / sock_diag
    case EPERM: case EACCES:                                        // a sandbox (seccomp, LSM)
    case ENOENT: case EOPNOTSUPP:                                   // no inet_diag handler
      return true;
    default:
      return false;
  }
}

Error read_table(const ReadRequest& req, SocketTable& out, ReadOutcome& o, PartitionedReader* parts) {
  netlink::DumpRequest d = to_netlink(req);
  auto nl = [&](int fd, netlink::DumpStats& st, uint32_t& k) {
    return parts ? parts->dump_table(req.partitions, fd, d, out, st, k) : netlink::dump_table(fd, d, out, &st);
  };
  return dispatch(req, o, nl, [&] {
    out = SocketTable{};
    return proc::read_tables(to_proc(req), out);
  });
}

Error count_states(const ReadRequest& req, StateCounts& out, ReadOutcome& o, PartitionedReader* parts) {
  netlink::DumpRequest d = to_netlink(req);
  auto nl = [&](int fd, netlink::DumpStats& st, uint32_t& k) {
    return parts ? parts->count_states(req.partitions, fd, d, out, st, k) : netlink::count_states(fd, d, out, &st);
  };
  return dispatch(req, o, nl, [&] {
    out.fill(0);
    return proc::count_states(to_proc(req), out);
  });
}

const char* source_name(Source s) {
  return s == Source::kNetlink ? "netlink" : s == Source::kProc ? "proc" : "auto";
}

}  // namespace sockscope
