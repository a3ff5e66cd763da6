// What the netlink parser's files share: header sizes from the uapi structs, unaligned
// host-order loads, and the bounded span of an attribute's payload. Internal to netlink/.
#pragma once

#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "netlink/netlink_parse.h"

namespace sockscope::netlink {

constexpr long kHdrLen = sizeof(nlmsghdr);
constexpr long kErrLen = sizeof(nlmsgerr);  // int error + the request's nlmsghdr
constexpr long kDiagMsgLen = sizeof(inet_diag_msg);
constexpr long kAttrHdrLen = sizeof(nlattr);

inline long align4(long n) { return (n + 3) & ~3L; }

inline uint16_t ld16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline uint32_t ld32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t ld64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
inline uint16_t ld_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

inline void put16(std::vector<uint8_t>& b, uint16_t v) { b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)}); }
inline void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, uint16_t(v)); put16(b, uint16_t(v >> 16)); }

struct Span {
  const uint8_t* p = nullptr;
  long n = 0;
};

// The per-message functions return false with the error in `err`, rather than an Error:
// making and moving one (three strings) per message costs a large share of a table's parse.
inline bool fail(Error& err, Error e) {
  err = std::move(e);
  return false;
}

// One row message (SOCK_DIAG_BY_FAMILY or TCPDIAG_GETSOCK) of walk w, at stream offset off:
// decoded, checked against the request and handed to the walk's sink (rows.cc).
bool on_row(Walk& w, const Msg& m, size_t off, Error& err);

}  // namespace sockscope::netlink
