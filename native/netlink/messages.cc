// The message walk, libmnl style: every header is bounds-checked against a signed remaining
// length before it is read, so truncation shows up as a negative remainder. Rows go to
// on_row (rows.cc); NLMSG_DONE and NLMSG_ERROR end the walk.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <cerrno>
#include <string>

#include "error.h"
#include "netlink/wire.h"

namespace sockscope::netlink {
namespace {

Error bad_message(size_t off, const std::string& what) {
  return Error{EBADMSG, "EBADMSG", "recvmsg", "netlink: " + what + " at byte " + std::to_string(off)};
}

// An errno the kernel sent, as a positive number; 0 if it is not one.
int kernel_errno(int32_t v) { return v < 0 && v > -4096 ? -v : 0; }

// The kernel refused the walk: its errno, as if recvmsg had failed with it.
Error kernel_error(const Walk& w, int errnum, const char* where) {
  return syscall_error("recvmsg", std::string("netlink: ") + where + " for the " + kind_name(w.kind) + " dump", errnum);
}

Error on_done(Walk& w, const Msg& m, size_t off) {
  w.done = true;
  if (m.data_len < 4) return bad_message(off, "NLMSG_DONE without its error code");
  int32_t v = static_cast<int32_t>(ld32(m.data));
  if (v >= 0) return {};
  int errnum = kernel_errno(v);
  return errnum ? kernel_error(w, errnum, "error in NLMSG_DONE") : bad_message(off, "NLMSG_DONE error " + std::to_string(v));
}

Error on_error(Walk& w, const Msg& m, size_t off) {
  w.done = true;
  if (m.data_len < kErrLen) return bad_message(off, "truncated nlmsgerr");
  int32_t v = static_cast<int32_t>(ld32(m.data));
  if (v == 0) return {};  // an ACK ends the exchange, as in libmnl
  int errnum = kernel_errno(v);
  return errnum ? kernel_error(w, errnum, "the kernel refused the request") : bad_message(off, "nlmsgerr error " + std::to_string(v));
}

bool on_msg(Walk& w, const Msg& m, size_t off, Error& err) {
  // Leftovers of an earlier, abandoned dump on a reused fd: not ours, skip them.
  if (m.seq != w.seq || m.pid != w.pid) return true;
  ++w.messages;
  if (m.flags & NLM_F_DUMP_INTR) w.interrupted = true;
  switch (m.type) {
    case NLMSG_DONE: return !(err = on_done(w, m, off));
    case NLMSG_ERROR: return !(err = on_error(w, m, off));
    case SOCK_DIAG_BY_FAMILY:
    case TCPDIAG_GETSOCK: return on_row(w, m, off, err);
    default: return true;  // NLMSG_NOOP and types we do not know
  }
}

bool read_msg(const uint8_t* p, long rem, size_t off, Msg& m, Error& err) {
  if (rem < kHdrLen) return fail(err, parse_error(off, "truncated nlmsghdr (" + std::to_string(rem) + " of 16 bytes)"));
  m.len = ld32(p);
  if (m.len < kHdrLen) return fail(err, parse_error(off, "nlmsg_len " + std::to_string(m.len) + " < 16"));
  if (m.len > static_cast<unsigned long>(rem))
    return fail(err, parse_error(off, "nlmsg_len " + std::to_string(m.len) + " past the end (" + std::to_string(rem) + " bytes left)"));
  m.type = ld16(p + 4), m.flags = ld16(p + 6), m.seq = ld32(p + 8), m.pid = ld32(p + 12);
  m.data = p + kHdrLen, m.data_len = static_cast<long>(m.len) - kHdrLen;
  return true;
}

}  // namespace

Error parse_error(size_t off, const std::string& what) {
  return Error{0, "ERR_NETLINK_PARSE", "", "netlink: " + what + " at byte " + std::to_string(off)};
}

bool kind_of_seq(uint32_t seq, Kind& out) {
  uint32_t k = seq & kKindBits;
  if (k > static_cast<uint32_t>(Kind::kTcpBoth)) return false;
  out = static_cast<Kind>(k);
  return true;
}

uint8_t kind_protocol(Kind k) { return k == Kind::kUdp4 || k == Kind::kUdp6 ? kProtoUdp : kProtoTcp; }

const char* kind_name(Kind k) {
  static constexpr const char* kNames[] = {"tcp", "tcp6", "udp", "udp6", "tcp+tcp6"};
  return kNames[static_cast<int>(k)];
}

StateMask effective_states(StateMask m) {
  constexpr StateMask kSynPair = 1u << kSynRecv | 1u << kNewSynRecv;
  m &= kAllStates;
  return m & kSynPair ? m | kSynPair : m;
}

Walk make_walk(const DumpRequest& req, Sink& sink, Kind kind, uint32_t seq, uint32_t pid) {
  Walk w;
  w.req = &req, w.sink = &sink, w.kind = kind, w.seq = seq, w.pid = pid;
  w.states = effective_states(req.states);
  return w;
}

Error next_msg(const uint8_t* p, long rem, size_t off, Msg& m) {
  Error err;
  read_msg(p, rem, off, m, err);
  return err;
}

Error walk_messages(Walk& w, const uint8_t* buf, long len, size_t base, long* used) {
  Error err;
  long rem = len;
  const uint8_t* p = buf;
  while (rem > 0 && !w.done) {
    size_t off = base + (p - buf);
    Msg m;
    if (!read_msg(p, rem, off, m, err)) break;
    p += align4(m.len), rem -= align4(m.len);
    if (!on_msg(w, m, off, err)) break;
  }
  // The last message may lack its padding: rem goes negative and the walk ends there.
  *used = rem < 0 ? len : p - buf;
  return err;
}

bool ends_walk(const uint8_t* buf, long len, uint32_t seq) {
  Msg m;
  for (long rem = len; rem > 0; buf += align4(m.len), rem -= align4(m.len)) {
    if (next_msg(buf, rem, 0, m)) return true;
    if (m.seq == seq && (m.type == NLMSG_DONE || m.type == NLMSG_ERROR)) return true;
  }
  return false;
}

bool combined_refused(const Error& e) {
  return e.syscall == "recvmsg" && (e.errnum == EINVAL || e.errnum == ENOENT || e.errnum == EOPNOTSUPP);
}

}  // namespace sockscope::netlink
