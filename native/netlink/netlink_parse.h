// The pure half of the netlink reader: the message walk (messages.cc), row parsing (rows.cc),
// the request and its port-filter bytecode (request.cc) and replay (replay.cc). No syscalls
// here, so replay() and fuzzing run exactly the code live dumps run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aggregate/group_counter.h"
#include "netlink/netlink_reader.h"
#include "partition/partition.h"

namespace sockscope::netlink {

// One dump request per kind. The kind rides in the low 4 bits of nlmsg_seq, because an
// inet_diag_msg does not say its protocol: a recording stays parseable without the plan.
enum class Kind : uint8_t { kTcp4 = 0, kTcp6 = 1, kUdp4 = 2, kUdp6 = 3, kTcpBoth = 4 };
constexpr uint32_t kKindBits = 0xF;

inline uint32_t make_seq(uint32_t generation, Kind k) {
  return generation << 4 | static_cast<uint32_t>(k);
}
bool kind_of_seq(uint32_t seq, Kind& out);
uint8_t kind_protocol(Kind k);
const char* kind_name(Kind k);

// SYN_RECV and NEW_SYN_RECV read as one state, so asking for either asks for both.
StateMask effective_states(StateMask m);

// Where rows go: appended to a table, or only counted per state or per group.
struct Sink {
  SocketTable* table = nullptr;
  StateCounts* counts = nullptr;
  aggregate::GroupCounter* groups = nullptr;
  // Observers (may be null): every stored row's ports; with counts, each row's cookie and state
  // (with groups, its cookie and group).
  partition::PortHistogram* histogram = nullptr;
  partition::CookieLog* cookies = nullptr;
  uint32_t filtered = 0;  // rows the kernel sent although the request excluded them
};

// A sink's position, to undo an interrupted or refused walk.
struct Mark {
  size_t rows = 0;
  StateCounts counts{};
  aggregate::GroupCounter::Checkpoint groups;
  uint32_t filtered = 0;
};
Mark mark(const Sink& s);
void rollback(Sink& s, const Mark& m);

// The state of one dump walk: which answers are ours and where their rows go.
struct Walk {
  const DumpRequest* req = nullptr;
  Sink* sink = nullptr;
  Kind kind = Kind::kTcp4;
  uint32_t seq = 0, pid = 0;  // messages with another seq or port id are skipped
  StateMask states = 0;       // effective_states(req->states)
  bool done = false;          // NLMSG_DONE or NLMSG_ERROR seen
  bool interrupted = false;   // NLM_F_DUMP_INTR seen
  uint32_t messages = 0;      // ours, including DONE/ERROR
};
Walk make_walk(const DumpRequest& req, Sink& sink, Kind kind, uint32_t seq, uint32_t pid);

// Parses the messages in buf[0, len) until the buffer ends or the walk is done; `base` is
// buf's offset in the whole stream, for error messages. *used = bytes consumed.
Error walk_messages(Walk& w, const uint8_t* buf, long len, size_t base, long* used);

// One netlink header, bounds-checked.
struct Msg {
  uint32_t len, seq, pid;
  uint16_t type, flags;
  const uint8_t* data;
  long data_len;
};
// Reads the header at p (rem bytes left, at stream offset off); ERR_NETLINK_PARSE if it does
// not fit or its length is impossible.
Error next_msg(const uint8_t* p, long rem, size_t off, Msg& m);

// One message of the sock_diag destroy groups (SOCK_DIAG_BY_FAMILY, its protocol in the
// INET_DIAG_PROTOCOL attribute), at stream offset off: decoded as a dump row is and, when
// `filter` asks for its table, state and ports, appended to t (kept = true). A protocol other
// than TCP/UDP is skipped; a malformed message is ERR_NETLINK_PARSE.
bool on_destroyed(const DumpRequest& filter, const Msg& m, size_t off, SocketTable& t, bool& kept, Error& err);

// True when buf holds the NLMSG_DONE/NLMSG_ERROR ending walk `seq`, or cannot be walked.
bool ends_walk(const uint8_t* buf, long len, uint32_t seq);

// The kernel refused the combined TCPDIAG_GETSOCK: one v2 request per family does the job.
bool combined_refused(const Error& e);

Error parse_error(size_t off, const std::string& what);

// Builds the INET_DIAG_REQ_BYTECODE program for req.ports and req.expression, both to hold
// (empty when neither is given).
Error compile_filter(const DumpRequest& req, std::vector<uint8_t>& bytecode);
bool ports_match(const DumpRequest& req, uint16_t sport, uint16_t dport);

// The request message for one walk: inet_diag_req_v2, or the legacy inet_diag_req for kTcpBoth.
std::vector<uint8_t> build_request(Kind kind, const DumpRequest& req,
                                   const std::vector<uint8_t>& bytecode, uint32_t seq);

}  // namespace sockscope::netlink
