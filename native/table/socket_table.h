// The columnar socket table both readers fill: one contiguous vector per field.
// Plain C++: no N-API here, so readers can be unit-tested and fuzzed alone.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "error.h"
#include "table/column_arena.h"
#include "table/columns.h"

namespace sockscope {

// A column of the table: a vector whose storage may live in the table's region.
template <typename T>
using Column = std::vector<T, ColumnAllocator<T>>;

// Kernel TCP state numbers (include/net/tcp_states.h). UDP uses ESTABLISHED and CLOSE.
enum TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
  kNewSynRecv = 12,
  kMaxState = 12,
};

// One bit per state, bit N = state N, as the kernel's idiag_states mask.
using StateMask = uint32_t;
constexpr StateMask kAllStates = 0x1FFE;  // states 1..12

// Which tables to read: the four /proc files, or the four netlink (protocol, family) dumps.
enum Table : uint8_t { kTcp = 0, kTcp6 = 1, kUdp = 2, kUdp6 = 3, kTableCount = 4 };
using TableMask = uint8_t;
constexpr TableMask kAllTables = 0xF;

constexpr uint8_t kProtoTcp = 6;   // IPPROTO_TCP
constexpr uint8_t kProtoUdp = 17;  // IPPROTO_UDP

inline uint8_t table_protocol(Table t) { return t <= kTcp6 ? kProtoTcp : kProtoUdp; }
inline uint8_t table_family(Table t) { return (t == kTcp || t == kUdp) ? 4 : 6; }

// Port filters: a socket passes when its local port is in one of `local`'s ranges (or `local`
// is empty), and likewise its remote port. What `ss sport = :443` asks for.
struct PortRange {
  uint16_t lo, hi;
  bool contains(uint16_t port) const { return lo <= port && port <= hi; }
};

struct PortFilter {
  std::vector<PortRange> local, remote;

  bool empty() const { return local.empty() && remote.empty(); }
  bool matches(uint16_t local_port, uint16_t remote_port) const {
    return any_contains(local, local_port) && any_contains(remote, remote_port);
  }

 private:
  static bool any_contains(const std::vector<PortRange>& ranges, uint16_t port) {
    if (ranges.empty()) return true;
    for (const PortRange& r : ranges)
      if (r.contains(port)) return true;
    return false;
  }
};

// Columns (table/columns.h lists them). Addresses are 16 bytes per row: IPv4 in the first 4
// bytes (network order) with the rest zero, told apart by `family`; an IPv4-mapped IPv6 address
// stays IPv6.
struct SocketTable {
#define SOCKSCOPE_BASE_MEMBER(member, js, type, width) Column<type> member;
  SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_BASE_MEMBER)
#undef SOCKSCOPE_BASE_MEMBER

  // Netlink only (empty from /proc): the socket cookie, and the extension columns when asked.
  Column<uint64_t> cookie;
  bool has_info = false, has_memory = false;
  TcpInfoColumns info;
  MemInfoColumns memory;

  size_t size() const { return state.size(); }

  // Room for n rows in every base column (and the cookie, with_cookie), for a table whose base
  // columns are still empty: in one huge-page region (column_arena.h) from kArenaMinBytes on;
  // a smaller table would waste most of a 2 MiB page. A hint (n comes from sockstat, which a
  // procRoot may fake): where the room cannot be had, nothing is kept and the columns grow.
  void reserve(size_t n, bool with_cookie = true) {
    if (size() != 0 || n <= state.capacity()) return;
    size_t bytes = n * (kBaseRowBytes + (with_cookie ? sizeof(uint64_t) : 0)) + kBaseColumns * 64;
    auto arena = bytes >= kArenaMinBytes ? std::make_shared<ColumnArena>(bytes) : nullptr;
    try {
      each_base_column(with_cookie, [&](auto& c, size_t width) {
        using C = std::decay_t<decltype(c)>;
        if (arena) c = C(typename C::allocator_type(arena));
        c.reserve(n * width);
      });
    } catch (const std::bad_alloc&) {
      each_base_column(with_cookie, [](auto& c, size_t) { std::decay_t<decltype(c)>().swap(c); });
    }
  }

#define SOCKSCOPE_ROW_BYTES(member, js, type, width) +sizeof(type) * (width)
#define SOCKSCOPE_ONE(member, js, type, width) +1
  static constexpr size_t kBaseRowBytes = 0 SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_ROW_BYTES);  // without the cookie
  static constexpr size_t kBaseColumns = 1 SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_ONE);        // with the cookie
#undef SOCKSCOPE_ROW_BYTES
#undef SOCKSCOPE_ONE
  static constexpr size_t kArenaMinBytes = 2 << 20;

 private:
  // f(column, elements per row) for each base column, and the cookie with_cookie.
  template <class F>
  void each_base_column(bool with_cookie, F&& f) {
#define SOCKSCOPE_VISIT(member, js, type, width) f(member, size_t{width});
    SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_VISIT)
#undef SOCKSCOPE_VISIT
    if (with_cookie) f(cookie, 1);
  }
};

// Appends one 16-byte address to an address column: `bytes` of `src` (4 for IPv4), the rest zero.
inline void append_address(Column<uint8_t>& col, const uint8_t* src, size_t bytes) {
  size_t at = col.size();
  col.resize(at + 16);  // unwritten (ColumnAllocator): both parts written here
  std::memcpy(col.data() + at, src, bytes);
  std::memset(col.data() + at + bytes, 0, 16 - bytes);
}

// Per-state counts, indexed by kernel state number (index 0 unused).
using StateCounts = std::array<uint64_t, kMaxState + 1>;

// Empties every column of t and sets which extension columns the next rows carry.
void reset_table(SocketTable& t, bool info, bool memory);
// True when every column holds exactly t.size() rows (16 bytes each for addresses).
bool columns_consistent(const SocketTable& t);
// Sizes every column of t for n rows; rows past the old size are left unwritten.
void size_columns(SocketTable& t, size_t n);
// Writes src's rows r where keep[r] != 0 (every row when keep is empty) to dst's rows from
// `at` on, in columns already sized (same extension columns). Writes only those rows, so
// disjoint placements may run at once on different threads.
void place_rows(SocketTable& dst, size_t at, const SocketTable& src, const std::vector<uint8_t>& keep);
// Index of a congestion control name in c's dictionary, added if new; false past 255 names.
bool intern_congestion(TcpInfoColumns& c, std::string_view name, uint8_t& index);
// Re-points the congestion indexes of dst's rows [first, last), which index `names` (another
// table's), at dst's own names, interning the ones it lacks.
void repoint_congestion(SocketTable& dst, const std::vector<std::string>& names, size_t first, size_t last);

}  // namespace sockscope
