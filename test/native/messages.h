// Netlink messages built by hand, for the parser tests: a header and payload padded to 4 bytes,
// and attributes. Host byte order, as the kernel sends them.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

namespace build {

template <class T>
std::string raw(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

inline std::string pad4(std::string s) { return s.resize((s.size() + 3) & ~size_t{3}), s; }

inline std::string nlmsg(uint16_t type, uint32_t seq, uint32_t pid, const std::string& payload, uint16_t flags = NLM_F_MULTI) {
  uint32_t len = static_cast<uint32_t>(16 + payload.size());
  return pad4(raw(len) + raw(type) + raw(flags) + raw(seq) + raw(pid) + payload);
}

inline std::string attr(uint16_t type, const std::string& payload) {
  return pad4(raw(uint16_t(4 + payload.size())) + raw(type) + payload);
}

}  // namespace build
