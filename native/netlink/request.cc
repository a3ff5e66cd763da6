// The dump request: the inet_diag_req_v2 (or legacy inet_diag_req) message and the
// INET_DIAG_REQ_BYTECODE program that has the kernel filter rows by port and by the caller's
// compiled filter expression.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "netlink/wire.h"

namespace sockscope::netlink {
namespace {

// Bytecode: each op is {code, yes, no}; the kernel moves on by `yes` when the test holds,
// else by `no`, and accepts when it lands exactly on the end. Jumping 4 past the end rejects.
void emit_op(std::vector<uint8_t>& b, uint8_t code, uint8_t yes, uint16_t no) {
  b.push_back(code), b.push_back(yes), put16(b, no);
}

// A port comparison is the op plus a second op whose `no` holds the port (host order).
void emit_cmp(std::vector<uint8_t>& b, uint8_t code, uint16_t port, size_t no) {
  emit_op(b, code, 8, static_cast<uint16_t>(no));
  emit_op(b, 0, 0, port);
}

constexpr size_t kRangeLen = 16;  // GE + LE
constexpr size_t kJmpLen = 4;

size_t list_len(const std::vector<PortRange>& l) {
  return l.empty() ? 0 : l.size() * (kRangeLen + kJmpLen) - kJmpLen;
}

// OR of ranges: a hit jumps to the end of the list, a miss tries the next range; the last miss
// rejects (jumps 4 past the program's end, `total` bytes long).
void emit_list(std::vector<uint8_t>& b, const std::vector<PortRange>& l, uint8_t ge, uint8_t le, size_t total) {
  size_t end = b.size() + list_len(l);
  for (size_t i = 0; i < l.size(); ++i) {
    size_t at = b.size(), miss = i + 1 == l.size() ? total + 4 : at + kRangeLen + kJmpLen;
    emit_cmp(b, ge, l[i].lo, miss - at);
    emit_cmp(b, le, l[i].hi, miss - at - 8);
    if (i + 1 < l.size()) emit_op(b, INET_DIAG_BC_JMP, kJmpLen, static_cast<uint16_t>(end - b.size()));
  }
}

void put_header(std::vector<uint8_t>& b, uint16_t type, uint32_t seq) {
  put32(b, 0);  // nlmsg_len, patched when the message is complete
  put16(b, type);
  put16(b, NLM_F_REQUEST | NLM_F_DUMP);
  put32(b, seq);
  put32(b, 0);
}

// struct inet_diag_sockid for a dump: no address, no port, no cookie.
void put_sockid(std::vector<uint8_t>& b) {
  b.resize(b.size() + 40);
  put32(b, INET_DIAG_NOCOOKIE), put32(b, INET_DIAG_NOCOOKIE);
}

uint8_t extensions(const DumpRequest& req, Kind k) {
  uint8_t ext = 0;
  if (req.info && kind_protocol(k) == kProtoTcp) ext |= 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1);
  if (req.memory) ext |= 1 << (INET_DIAG_SKMEMINFO - 1);
  return ext;
}

void put_body(std::vector<uint8_t>& b, Kind k, const DumpRequest& req) {
  uint8_t ext = extensions(req, k);
  uint32_t states = effective_states(req.states);
  if (k == Kind::kTcpBoth) {  // struct inet_diag_req
    b.insert(b.end(), {AF_INET, 0, 0, ext});
    put_sockid(b);
    put32(b, states), put32(b, 0);
    return;
  }
  uint8_t family = (k == Kind::kTcp4 || k == Kind::kUdp4) ? AF_INET : AF_INET6;
  b.insert(b.end(), {family, kind_protocol(k), ext, 0});  // struct inet_diag_req_v2
  put32(b, states);
  put_sockid(b);
}

}  // namespace

bool ports_match(const DumpRequest& req, uint16_t sport, uint16_t dport) {
  return req.ports.matches(sport, dport);
}

// The port lists, then the caller's expression program, as one AND (ss's ssfilter_patch): every
// port miss jumps 4 past the whole program's end, and the expression, complete on its own, ends
// either exactly there (accept) or 4 past it (reject).
Error compile_filter(const DumpRequest& req, std::vector<uint8_t>& b) {
  b.clear();
  size_t total = list_len(req.ports.local) + list_len(req.ports.remote) + req.expression.size();
  // Jump offsets are 16 bits and the program sits in one attribute (16-bit nla_len).
  if (total + 8 > 0xFFFF)
    return Error{0, "ERR_NETLINK_FILTER", "", "netlink: filter too long (" + std::to_string(total) + " bytes)"};
  emit_list(b, req.ports.local, INET_DIAG_BC_S_GE, INET_DIAG_BC_S_LE, total);
  emit_list(b, req.ports.remote, INET_DIAG_BC_D_GE, INET_DIAG_BC_D_LE, total);
  b.insert(b.end(), req.expression.begin(), req.expression.end());
  return {};
}

std::vector<uint8_t> build_request(Kind kind, const DumpRequest& req, const std::vector<uint8_t>& bytecode, uint32_t seq) {
  std::vector<uint8_t> b;
  put_header(b, kind == Kind::kTcpBoth ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY, seq);
  put_body(b, kind, req);
  if (!bytecode.empty()) {
    put16(b, static_cast<uint16_t>(kAttrHdrLen + bytecode.size()));
    put16(b, INET_DIAG_REQ_BYTECODE);
    b.insert(b.end(), bytecode.begin(), bytecode.end());
  }
  uint32_t len = static_cast<uint32_t>(b.size());
  std::memcpy(b.data(), &len, 4);
  return b;
}

}  // namespace sockscope::netlink
