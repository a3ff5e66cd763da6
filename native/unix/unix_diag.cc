#include "unix/unix_diag.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "error.h"
#include "netlink/netlink_parse.h"

namespace sockscope::unix_sock {
namespace {

constexpr long kMsgLen = sizeof(unix_diag_msg);  // 16
constexpr long kAttrHeader = 4;
constexpr long kErrLen = sizeof(nlmsgerr);

long align4(long n) { return (n + 3) & ~3L; }
uint16_t ld16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
uint32_t ld32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }

Error short_attr(size_t off, const char* name, long len) {
  return netlink::parse_error(off, std::string(name) + " of " + std::to_string(len) + " bytes");
}

// A filesystem path comes with its terminating NUL: keep the bytes before the first NUL. An
// abstract name starts with NUL and is kept whole, NULs and all, as the kernel has it.
void take_name(UnixRow& r, const uint8_t* p, long len) {
  r.name = p;
  if (len > 0 && p[0] != 0) {
    const void* nul = std::memchr(p, 0, static_cast<size_t>(len));
    if (nul) len = static_cast<const uint8_t*>(nul) - p;
  }
  r.name_len = static_cast<size_t>(len);
}

// One attribute into the row; unknown types are skipped (newer kernels add some).
Error take_attr(UnixRow& r, uint16_t type, const uint8_t* p, long len, size_t off) {
  switch (type) {
    case UNIX_DIAG_NAME:
      take_name(r, p, len);
      return {};
    case UNIX_DIAG_PEER:
      if (len < 4) return short_attr(off, "UNIX_DIAG_PEER", len);
      r.peer_inode = ld32(p);
      return {};
    case UNIX_DIAG_RQLEN:
      if (len < 8) return short_attr(off, "UNIX_DIAG_RQLEN", len);
      r.recv_q = ld32(p), r.send_q = ld32(p + 4);
      return {};
    case UNIX_DIAG_UID:
      if (len < 4) return short_attr(off, "UNIX_DIAG_UID", len);
      r.uid = ld32(p);
      return {};
    default:
      return {};
  }
}

Error bad_message(size_t off, const std::string& what) {
  return Error{EBADMSG, "EBADMSG", "recvmsg", "netlink: " + what + " at byte " + std::to_string(off)};
}

int kernel_errno(int32_t v) { return v < 0 && v > -4096 ? -v : 0; }

// NLMSG_DONE (carries 0 or -errno) and NLMSG_ERROR (0 is an ACK) both end the walk.
Error on_end(Walk& w, const netlink::Msg& m, size_t off, bool is_error) {
  w.done = true;
  const char* what = is_error ? "nlmsgerr" : "NLMSG_DONE";
  if (m.data_len < (is_error ? kErrLen : 4)) return bad_message(off, std::string("truncated ") + what);
  int32_t v = static_cast<int32_t>(ld32(m.data));
  if (v >= 0) return {};
  int errnum = kernel_errno(v);
  if (!errnum) return bad_message(off, std::string(what) + " error " + std::to_string(v));
  return syscall_error("recvmsg", "netlink: the kernel refused the unix_diag dump", errnum);
}

Error on_row(Walk& w, const netlink::Msg& m, size_t off) {
  UnixRow r;
  if (Error e = parse_row(m.data, m.data_len, off + NLMSG_HDRLEN, r)) return e;
  if (r.state < 32 && (w.states >> r.state & 1)) append_row(*w.table, r);
  return {};
}

Error on_msg(Walk& w, const netlink::Msg& m, size_t off) {
  if (m.seq != w.seq || m.pid != w.pid) return {};  // an earlier dump's leftovers: not ours
  ++w.messages;
  if (m.flags & NLM_F_DUMP_INTR) w.interrupted = true;
  switch (m.type) {
    case NLMSG_DONE: return on_end(w, m, off, false);
    case NLMSG_ERROR: return on_end(w, m, off, true);
    case SOCK_DIAG_BY_FAMILY: return on_row(w, m, off);
    default: return {};  // NLMSG_NOOP and types we do not know
  }
}

void put16(std::vector<uint8_t>& b, uint16_t v) { b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)}); }
void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, uint16_t(v)), put16(b, uint16_t(v >> 16)); }

}  // namespace

std::vector<uint8_t> build_request(uint32_t seq, uint32_t states) {
  std::vector<uint8_t> b;
  put32(b, NLMSG_HDRLEN + sizeof(unix_diag_req));
  put16(b, SOCK_DIAG_BY_FAMILY);
  put16(b, NLM_F_REQUEST | NLM_F_DUMP);
  put32(b, seq);
  put32(b, 0);  // nlmsg_pid: the kernel
  b.insert(b.end(), {uint8_t(AF_UNIX), 0, 0, 0});  // family, protocol, pad
  put32(b, states);
  put32(b, 0);  // udiag_ino: every socket
  put32(b, kShow);
  put32(b, 0), put32(b, 0);  // cookie: any
  return b;
}

Error parse_row(const uint8_t* data, long len, size_t off, UnixRow& r) {
  if (len < kMsgLen) return netlink::parse_error(off, "unix_diag_msg of " + std::to_string(len) + " bytes");
  r = UnixRow{};
  r.type = data[1], r.state = data[2], r.inode = ld32(data + 4);
  const uint8_t* p = data + kMsgLen;
  long rem = len - kMsgLen;
  while (rem >= kAttrHeader) {
    size_t at = off + (p - data);
    long alen = ld16(p);
    if (alen < kAttrHeader || alen > rem) return netlink::parse_error(at, "attribute length " + std::to_string(alen));
    uint16_t type = ld16(p + 2) & NLA_TYPE_MASK;
    if (Error e = take_attr(r, type, p + kAttrHeader, alen - kAttrHeader, at)) return e;
    p += align4(alen), rem -= align4(alen);
  }
  return {};
}

Error walk_messages(Walk& w, const uint8_t* buf, long len, size_t base) {
  long rem = len;
  const uint8_t* p = buf;
  while (rem > 0 && !w.done) {
    size_t off = base + (p - buf);
    netlink::Msg m;
    if (Error e = netlink::next_msg(p, rem, off, m)) return e;
    p += align4(m.len), rem -= align4(m.len);
    if (Error e = on_msg(w, m, off)) return e;
  }
  return {};
}

Error replay(const uint8_t* data, size_t len, UnixTable& out) {
  clear_table(out);
  netlink::Msg first;
  if (Error e = netlink::next_msg(data, static_cast<long>(len), 0, first)) return e;
  Walk w;
  w.table = &out, w.seq = first.seq, w.pid = first.pid;
  Error e = walk_messages(w, data, static_cast<long>(len), 0);
  if (!e && !w.done) e = bad_message(len, "recording ends before NLMSG_DONE");
  if (e) clear_table(out);
  return e;
}

}  // namespace sockscope::unix_sock
