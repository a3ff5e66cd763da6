// The columnar socket table both readers fill: one contiguous vector per field.
// Plain C++: no N-API here, so readers can be unit-tested and fuzzed alone.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "error.h"
#include "table/column_arena.h"

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

// tcp_info columns (netlink `info: true`). NaN where the kernel sent no such field (an older,
// shorter tcp_info) or the socket has none (UDP, TIME_WAIT, request sockets).
struct TcpInfoColumns {
  std::vector<double> rtt, rttvar, min_rtt;  // microseconds
  std::vector<double> snd_cwnd, snd_ssthresh, retransmits, total_retrans, lost, unacked;
  std::vector<double> bytes_acked, bytes_received, bytes_retrans;
  std::vector<double> delivery_rate, pacing_rate;  // bytes per second
  std::vector<double> last_data_sent, last_data_recv;  // milliseconds ago
  std::vector<uint8_t> congestion;       // index into congestion_names; 0 = none
  std::vector<std::string> congestion_names{""};
};

// SK_MEMINFO columns (netlink `memory: true`), NaN where absent.
struct MemInfoColumns {
  std::vector<double> rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem,
      backlog, drops;
};

// Columns. Addresses are 16 bytes per row: IPv4 in the first 4 bytes (network order) with the
// rest zero, told apart by `family`; an IPv4-mapped IPv6 address stays IPv6.
struct SocketTable {
  Column<uint8_t> protocol;       // 6 tcp, 17 udp
  Column<uint8_t> family;         // 4 or 6
  Column<uint8_t> state;          // kernel numbering; request sockets read as SYN_RECV
  Column<uint8_t> local_address;  // 16 bytes per row
  Column<uint8_t> remote_address; // 16 bytes per row
  Column<uint16_t> local_port;
  Column<uint16_t> remote_port;
  Column<uint32_t> recv_q;        // rx_queue; for LISTEN, the accept queue's length
  Column<uint32_t> send_q;        // tx_queue; for LISTEN via netlink, the backlog
  Column<uint32_t> uid;
  Column<uint32_t> inode;         // socket inodes are 32-bit (get_next_ino)
  Column<uint8_t> timer;          // 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 probe
  Column<uint32_t> timer_expires; // milliseconds until the timer fires, 0 if past
  Column<uint8_t> retransmits;

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

  static constexpr size_t kBaseRowBytes = 61;  // the base columns' bytes per row
  static constexpr size_t kBaseColumns = 15;
  static constexpr size_t kArenaMinBytes = 2 << 20;

 private:
  // f(column, elements per row) for each base column, and the cookie with_cookie.
  template <class F>
  void each_base_column(bool with_cookie, F&& f) {
    f(protocol, 1), f(family, 1), f(state, 1), f(local_address, 16), f(remote_address, 16);
    f(local_port, 1), f(remote_port, 1), f(recv_q, 1), f(send_q, 1), f(uid, 1), f(inode, 1);
    f(timer, 1), f(timer_expires, 1), f(retransmits, 1);
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

}  // namespace sockscope
