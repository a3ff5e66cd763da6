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
  timewait::Trust* tw_trust;  // counts: whether TIME_WAIT may come from sockstat (null: never)
  netlink::DumpStats st;
  uint32_t k = 1;
  bool counter_used = false;     // ESTABLISHED came from Tcp CurrEstab
  bool tw_counter_used = false;  // TIME_WAIT came from sockstat's tw

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

  Error groups(aggregate::GroupCounter& out) {
    if (!req.replay_file.empty()) {
      SocketTable t;
      Error e = replay(t);
      out.clear();
      if (!e) aggregate::count_table(t, out);
      return e;
    }
    return netlink::with_diag_socket([&](int fd) {
      return parts ? parts->count_groups(req.partitions, fd, dump, out, st, k) : netlink::count_groups(fd, dump, out, &st);
    });
  }

  Error counts(StateCounts& out) {
    out.fill(0);
    if (req.replay_file.empty()) {
      return netlink::with_diag_socket([&](int fd) {
        return counters_apply() ? count_with_counters(fd, out) : count_dump(fd, req.partitions, dump, out);
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

  // Whether the kernel's counters may stand in for dumped states: an `auto` count of every TCP
  // state of both families, in the caller's namespace or in the one a namespace read joined
  // (whose proc_root is this thread's own), so that the counter files are this namespace's.
  bool counters_apply() const {
    bool whole_tcp = dump.tables == (1 << kTcp | 1 << kTcp6) && dump.states == kAllStates && dump.ports.empty() &&
                     dump.expression.empty();
    bool here = req.proc_root == kProcNet || req.proc_root == netns::kThreadProcNet;
    return (trust || tw_trust) && req.partitions == 0 && whole_tcp && here;
  }

  // One kernel counter standing in for one dumped state, or checked against it.
  struct Stand {
    uint8_t state;
    bool use = false;     // the state comes from the counter, not the dump
    bool before_ok = false;
    uint64_t before = 0;
  };

  static Error read_estab(uint64_t& v) { return estab::read_curr_estab(std::string(netns::kThreadProcNet) + "/snmp", v); }
  static Error read_tw(uint64_t& v) { return timewait::read_sockstat_tw(std::string(netns::kThreadProcNet) + "/sockstat", v); }

  // The states whose counter a full count has shown right are taken from it and left out of the
  // dump; the others are dumped, and their counters (read just before and after) checked against
  // the dump. With every counter used, few rows are left and one dump serves: the walk of the
  // whole hash dominates, which splitting would only repeat.
  Error count_with_counters(int fd, StateCounts& out) {
    Stand est{kEstablished}, tw{kTimeWait};
    est.use = trust && trust->use_counter();
    tw.use = tw_trust && tw_trust->use_counter();
    est.before_ok = trust && !read_estab(est.before);
    tw.before_ok = tw_trust && !read_tw(tw.before);
    est.use = est.use && est.before_ok, tw.use = tw.use && tw.before_ok;
    netlink::DumpRequest r = dump;
    for (const Stand* c : {&est, &tw})
      if (c->use) r.states &= ~(StateMask{1} << c->state);
    bool all_used = (!trust || est.use) && (!tw_trust || tw.use);
    Error e = count_dump(fd, all_used ? 1 : 0, r, out);
    if (e) return e;
    uint64_t value = 0;
    if (est.use && !estab::established(trust->meaning(), est.before, out, value)) {
      // The counter moved below what it must include: the dump is redone whole.
      est.use = false;
      out.fill(0);
      return count_dump(fd, 0, dump, out);
    }
    if (est.use) out[kEstablished] = value, counter_used = true;
    if (tw.use) out[kTimeWait] = tw.before, tw_counter_used = true;
    uint64_t after = 0;
    if (trust && !est.use && est.before_ok && !read_estab(after)) trust->check(est.before, after, out);
    if (tw_trust && !tw.use && tw.before_ok && !read_tw(after)) tw_trust->check(tw.before, after, out);
    return {};
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
  o.time_wait_counter = nl.tw_counter_used;
}

// Netlink first; /proc when the request allows it and netlink is not there. The extensions,
// the replay and the recording exist only on netlink, so a request for them never falls back.
template <typename Netlink, typename Proc>
Error dispatch(const ReadRequest& req, ReadOutcome& o, PartitionedReader* parts, estab::Trust* counter,
               timewait::Trust* tw_counter, Netlink&& read, Proc&& pr) {
  o = ReadOutcome{};
  if (req.source == Source::kProc) return pr();
  NetlinkRead nl{req, to_netlink(req), parts, counter, tw_counter, {}};
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
  return dispatch(req, o, parts, nullptr, nullptr, [&](NetlinkRead& nl) { return nl.table(out); }, [&] {
    out = SocketTable{};
    return proc::read_tables(to_proc(req), out);
  });
}

Error count_states(const ReadRequest& req, StateCounts& out, ReadOutcome& o, PartitionedReader* parts, estab::Trust* counter,
                   timewait::Trust* tw_counter) {
  return dispatch(req, o, parts, counter, tw_counter, [&](NetlinkRead& nl) { return nl.counts(out); }, [&] {
    out.fill(0);
    return proc::count_states(to_proc(req), out);
  });
}

Error count_groups(const ReadRequest& req, aggregate::GroupCounter& out, ReadOutcome& o, PartitionedReader* parts) {
  return dispatch(req, o, parts, nullptr, nullptr, [&](NetlinkRead& nl) { return nl.groups(out); },
                  [&] { return proc::count_groups(to_proc(req), out); });
}

const char* source_name(Source s) {
  return s == Source::kNetlink ? "netlink" : s == Source::kProc ? "proc" : "auto";
}

}  // namespace sockscope
