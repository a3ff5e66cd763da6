// Replay: parses a recorded dump (the bytes dump_table records) exactly as a live dump is
// parsed, walk after walk, with the reader's restarts and fallbacks.
#include "netlink/wire.h"

namespace sockscope::netlink {
namespace {

// One replay walk after another; the kind in each walk's seq says what its rows are. A walk
// of the kind that was just interrupted is the reader's restart: it replaces that walk.
Error replay_walks(const uint8_t* data, long len, const DumpRequest& req, Sink& sink, DumpStats& st) {
  long off = 0;
  Kind prev = Kind::kTcp4;
  bool prev_interrupted = false;
  Mark prev_mark;
  while (off < len) {
    Msg first;
    Kind kind;
    Error e = next_msg(data + off, len - off, off, first);
    if (e) return e;
    if (!kind_of_seq(first.seq, kind)) return parse_error(off, "nlmsg_seq names no dump");
    if (prev_interrupted && kind == prev) {
      rollback(sink, prev_mark);
      ++st.restarts;
    } else {
      st.inconsistent |= prev_interrupted;
    }
    Mark m = mark(sink);
    Walk w = make_walk(req, sink, kind, first.seq, first.pid);
    long used = 0;
    e = walk_messages(w, data + off, len - off, off, &used);
    off += used, st.messages += w.messages;
    prev = kind, prev_interrupted = w.interrupted && !e, prev_mark = m;
    if (e && kind == Kind::kTcpBoth && combined_refused(e)) {
      rollback(sink, m);
      continue;
    }
    if (e) return e;
    if (!w.done) return parse_error(off, "dump ends without NLMSG_DONE");
    st.combined_used |= kind == Kind::kTcpBoth;
  }
  st.inconsistent |= prev_interrupted;
  return {};
}

}  // namespace

Error replay(const uint8_t* data, size_t len, const DumpRequest& req, SocketTable& out, DumpStats* stats) {
  DumpStats st;
  Sink sink;
  sink.table = &out;
  reset_table(out, req.info, req.memory);
  Error e = replay_walks(data, static_cast<long>(len), req, sink, st);
  if (e) reset_table(out, req.info, req.memory);  // never half a table
  st.bytes = static_cast<uint32_t>(len), st.filtered_in_userspace = sink.filtered;
  if (stats) *stats = st;
  return e;
}

}  // namespace sockscope::netlink
