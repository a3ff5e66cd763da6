#include "unix/unix_proc.h"

#include <cstdint>
#include <cstring>

namespace sockscope::unix_sock {
namespace {

constexpr uint32_t kAcceptCon = 1u << 16;  // __SO_ACCEPTCON in the Flags field: a listener

// A cursor over one line, with the failure it stopped at.
struct Line {
  const char* p;
  const char* end;
  std::string error;

  bool fail(const std::string& what) {
    if (error.empty()) error = what;
    return false;
  }
  bool hex(uint64_t max, uint64_t& out, const char* name) { return number(16, max, out, name); }
  bool dec(uint64_t max, uint64_t& out, const char* name) { return number(10, max, out, name); }
  bool skip(char c, const char* after) {
    if (p < end && *p == c) return ++p, true;
    return fail(std::string("expected '") + c + "' after the " + after);
  }
  bool spaces(const char* after) {
    if (p >= end || *p != ' ') return fail(std::string("expected a space after the ") + after);
    while (p < end && *p == ' ') ++p;
    return true;
  }

 private:
  static int digit(char c, int base) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    return d < base ? d : -1;
  }
  bool number(int base, uint64_t max, uint64_t& out, const char* name) {
    const char* start = p;
    out = 0;
    for (int d; p < end && (d = digit(*p, base)) >= 0; ++p) {
      if (out > (max - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return fail(std::string(name) + " out of range");
      out = out * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    return p > start || fail(std::string("expected the ") + name);
  }
};

// The socket state as ss maps it (see unix_proc.h); 0 for a value the kernel never prints.
uint8_t state_of(uint64_t flags, uint64_t st) {
  static constexpr uint8_t kBySocketState[] = {0, kClose, kSynSent, kEstablished, kClosing};
  if (flags & kAcceptCon) return kListen;
  return st < sizeof kBySocketState ? kBySocketState[st] : 0;
}

// "Num: RefCount Protocol Flags Type St Inode[ Path]", Num being the socket's (hashed) address.
bool parse_line(Line& l, UnixRow& r, std::string& name) {
  uint64_t num, refs, proto, flags, type, st, inode;
  if (!l.hex(UINT64_MAX, num, "address") || !l.skip(':', "address") || !l.spaces("address")) return false;
  if (!l.hex(UINT32_MAX, refs, "RefCount") || !l.spaces("RefCount")) return false;
  if (!l.hex(UINT32_MAX, proto, "Protocol") || !l.spaces("Protocol")) return false;
  if (!l.hex(UINT32_MAX, flags, "Flags") || !l.spaces("Flags")) return false;
  if (!l.hex(UINT8_MAX, type, "Type") || !l.spaces("Type")) return false;
  if (!l.hex(UINT8_MAX, st, "St") || !l.spaces("St")) return false;
  if (!l.dec(UINT32_MAX, inode, "Inode")) return false;
  r.state = state_of(flags, st);
  if (!r.state) return l.fail("socket state " + std::to_string(st) + " unknown");
  r.type = static_cast<uint8_t>(type), r.inode = static_cast<uint32_t>(inode);
  if (l.p == l.end) return true;  // no name
  if (*l.p != ' ') return l.fail("expected a space after the Inode");
  ++l.p;
  name.assign(l.p, l.end);
  if (!name.empty() && name[0] == '@') name[0] = '\0';  // abstract
  r.name = reinterpret_cast<const uint8_t*>(name.data()), r.name_len = name.size();
  return true;
}

Error parse_failure(const std::string& file, size_t line, const std::string& what) {
  Error e;
  e.code = "ERR_PROC_PARSE";
  e.message = file + ":" + std::to_string(line) + ": " + what;
  return e;
}

}  // namespace

Error parse_proc_unix(const std::string& text, const std::string& file, uint32_t states, UnixTable& out) {
  clear_table(out);
  const char* p = text.data();
  const char* end = p + text.size();
  std::string name;
  for (size_t line = 1; p < end; ++line) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!nl) {
      clear_table(out);
      return parse_failure(file, line, "line without a newline (a cut file)");
    }
    Line l{p, nl, {}};
    p = nl + 1;
    if (line == 1) continue;  // the header
    UnixRow r;
    if (!parse_line(l, r, name)) {
      clear_table(out);
      return parse_failure(file, line, l.error);
    }
    if (r.state < 32 && (states >> r.state & 1)) append_row(out, r);
  }
  return {};
}

}  // namespace sockscope::unix_sock
