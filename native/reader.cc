#include "reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "error.h"
#include "netlink/netlink_reader.h"
#include "netns.h"
#include "partition/partitioned_reader.h"
#include "proc/proc_reader.h"
#include "proc/whole_file.h"

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
  d.expression = r.expression;
  return d;
}

Error write_file(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return syscall_error("open", "open " + path);
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = syscall_error("write", "write " + path);
      close(fd);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  return close(fd) < 0 ? syscall_error("close", "close " + path) : Error{};
}

// One netlink read: from the recording when the request names one, else from the kernel, in
// one dump or, with `parts`, in partitioned dumps (k says how many served it).
struct NetlinkRead {
  const ReadRequest& req;
  netlink::DumpRequest dump;
  PartitionedReader* parts;
  estab::Trust* trust;  // counts: whether ESTABLISHED may come from the counter (null: never)
  netlink::DumpStats st;
  uint32_t k = 1;
  bool counter_used = false;  // ESTABLISHED came from Tcp CurrEstab

  Error table(SocketTable& out) {
    if (!req.replay_file.empty()) return replay(out);
    if (!req.record_file.empty()) return record(out);
    // A whole table's columns reserved at once (filtered reads are small, and would waste it).
    bool whole = dump.states == kAllStates && dump.ports.empty() && dump.expression.empty();
    uint64_t rows = whole ? proc::expected_rows(req.proc_root, req.tables) : 0;
    if (!parts) out.reserve(static_cast<size_t>(rows));
    return netlink::with_diag_socket([&](int fd) {
      return parts ? parts->dump_table(req.partitions, fd, dump, rows, out, st, k) : netlink::dump_table(fd, dump, out, &st);
    });
  }

  Error counts(StateCounts& out) {
    out.fill(0);
    if (req.replay_file.empty()) {
      return netlink::with_diag_socket([&](int fd) {
        std::string snmp = counter_file();
        return snmp.empty() ? count_dump(fd, req.partitions, dump, out) : count_with_counter(fd, snmp, out);
      });
    }
    SocketTable t;
    Error e = replay(t);
    if (!e)
      for (uint8_t state : t.state) ++out[state];
    return e;
  }

 private:
  Error replay(SocketTable& out) {
    std::string bytes;
    Error e = read_whole_file(req.replay_file, bytes);
    if (e) return e;
    return netlink::replay(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), dump, out, &st);
  }

  // One count: in partitions as `asked` says where there are partition threads, else one dump.
  Error count_dump(int fd, uint32_t asked, const netlink::DumpRequest& r, StateCounts& out) {
    return parts ? parts->count_states(asked, fd, r, out, st, k) : netlink::count_states(fd, r, out, &st);
  }

  // The snmp file of the namespace this thread reads, when ESTABLISHED may come from its
  // counter: an `auto` count of every TCP state of both families, in the caller's namespace or
  // in the one a namespace read joined (whose proc_root is this thread's own).
  std::string counter_file() const {
    bool whole_tcp = dump.tables == (1 << kTcp | 1 << kTcp6) && dump.states == kAllStates && dump.ports.empty() &&
                     dump.expression.empty();
    bool here = req.proc_root == kProcNet || req.proc_root == netns::kThreadProcNet;
    return trust && req.partitions == 0 && whole_tcp && here ? std::string(netns::kThreadProcNet) + "/snmp" : "";
  }

  // The other states dumped and ESTABLISHED from the counter, once a full count has shown the
  // counter right; else a full count, checked against the counter read before and after it.
  Error count_with_counter(int fd, const std::string& snmp, StateCounts& out) {
    uint64_t before = 0, after = 0;
    if (trust->use_counter() && !estab::read_curr_estab(snmp, before)) {
      netlink::DumpRequest others = dump;
      others.states &= ~(StateMask{1} << kEstablished);
      // One dump: it still walks the whole hash, and with few rows left the walk dominates,
      // which splitting would only repeat.
      Error e = count_dump(fd, 1, others, out);
      uint64_t est = 0;
      if (e || estab::established(trust->meaning(), before, out, est)) {
        out[kEstablished] = est, counter_used = !e;
        return e;
      }
    }
    bool have_before = !estab::read_curr_estab(snmp, before);
    Error e = count_dump(fd, 0, dump, out);
    if (!e && have_before && !estab::read_curr_estab(snmp, after)) trust->check(before, after, out);
    return e;
  }

  // Recorded from one dump, so that the recording replays as one.
  Error record(SocketTable& out) {
    std::string bytes;
    Error e = netlink::with_diag_socket([&](int fd) { return netlink::dump_table(fd, dump, out, &st, &bytes); });
    return e ? e : write_file(req.record_file, bytes);
  }
};

void note(const NetlinkRead& nl, ReadOutcome& o) {
  o.source = Source::kNetlink;
  o.inconsistent = nl.st.inconsistent;
  o.restarts = nl.st.restarts;
  o.filtered_in_userspace = nl.st.filtered_in_userspace;
  o.combined_family = nl.st.combined_used;
  o.partitions = nl.k;
  o.established_counter = nl.counter_used;
}

// Netlink first; /proc when the request allows it and netlink is not there. The extensions,
// the replay and the recording exist only on netlink, so a request for them never falls back.
template <typename Netlink, typename Proc>
Error dispatch(const ReadRequest& req, ReadOutcome& o, PartitionedReader* parts, estab::Trust* counter, Netlink&& read, Proc&& pr) {
  o = ReadOutcome{};
  if (req.source == Source::kProc) return pr();
  NetlinkRead nl{req, to_netlink(req), parts, counter, {}};
  Error e = read(nl);
  if (!e) {
    note(nl, o);
    return e;
  }
  bool asked_netlink = req.info || req.memory || !req.replay_file.empty() || !req.record_file.empty();
  bool may_fall_back = req.source == Source::kAuto && !asked_netlink;
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
  return dispatch(req, o, parts, nullptr, [&](NetlinkRead& nl) { return nl.table(out); }, [&] {
    out = SocketTable{};
    return proc::read_tables(to_proc(req), out);
  });
}

Error count_states(const ReadRequest& req, StateCounts& out, ReadOutcome& o, PartitionedReader* parts, estab::Trust* counter) {
  return dispatch(req, o, parts, counter, [&](NetlinkRead& nl) { return nl.counts(out); }, [&] {
    out.fill(0);
    return proc::count_states(to_proc(req), out);
  });
}

const char* source_name(Source s) {
  return s == Source::kNetlink ? "netlink" : s == Source::kProc ? "proc" : "auto";
}

}  // namespace sockscope
