// Replay: parses a recorded dump (the bytes dump_table records) exactly as a live dump is
// parsed, walk after walk, with the reader's restarts and fallbacks.
#include "netlink/wire.h"

namespace sockscope::netlink {
namespace {

// The walk replayed last, to tell the reader's restart of it from the next walk.
struct Previous {
  Kind kind = Kind::kTcp4;
  bool interrupted = false;
  Mark mark;
};

// Before a walk of `kind`: a walk of the kind that was just interrupted is the reader's
// restart, which replaces that walk; any other walk leaves the interrupted one standing.
void begin_walk(const Previous& prev, Kind kind, Sink& sink, DumpStats& st) {
  if (prev.interrupted && kind == prev.kind) {
    rollback(sink, prev.mark);
    ++st.restarts;
  } else {
    st.inconsistent |= prev.interrupted;
  }
}

// Replays the walk at data[off], whose first message's seq names its kind; off moves past it.
// A refused combined walk leaves no rows: the per-family walks that follow replace it.
Error replay_walk(const uint8_t* data, long len, long& off, const DumpRequest& req, Sink& sink,
                  DumpStats& st, Previous& prev) {
  Msg first;
  Kind kind;
  if (Error e = next_msg(data + off, len - off, off, first)) return e;
  if (!kind_of_seq(first.seq, kind)) return parse_error(off, "nlmsg_seq names no dump");
  begin_walk(prev, kind, sink, st);
  Mark m = mark(sink);
  Walk w = make_walk(req, sink, kind, first.seq, first.pid);
  long used = 0;
  Error e = walk_messages(w, data + off, len - off, off, &used);
  off += used, st.messages += w.messages;
  prev = Previous{kind, w.interrupted && !e, m};
  if (e && kind == Kind::kTcpBoth && combined_refused(e)) return rollback(sink, m), Error{};
  if (e) return e;
  if (!w.done) return parse_error(off, "dump ends without NLMSG_DONE");
  st.combined_used |= kind == Kind::kTcpBoth;
  return {};
}

// One replay walk after another, until the recording ends.
Error replay_walks(const uint8_t* data, long len, const DumpRequest& req, Sink& sink, DumpStats& st) {
  Previous prev;
  for (long off = 0; off < len;)
    if (Error e = replay_walk(data, len, off, req, sink, st, prev)) return e;
  st.inconsistent |= prev.interrupted;
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
