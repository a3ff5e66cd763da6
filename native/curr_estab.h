// ESTABLISHED counted by the kernel itself: Tcp CurrEstab in /proc/net/snmp (what `ss -s` prints
// as "estab"), a per-namespace counter kept by tcp_set_state(). A count of every TCP state then
// dumps only the other states and takes ESTABLISHED from the counter, so the kernel fills a
// message only for the sockets that are not ESTABLISHED, usually the few.
//
// Since Linux 6.10 (commit a46d0ea5c940) the counter holds ESTABLISHED + CLOSE_WAIT; before, it
// held ESTABLISHED alone. Neither meaning is trusted on the kernel's word: a full dump checks
// it first, and again every kRecheckEvery reads, and a check that fails puts the counter aside
// until a full dump agrees with it again. Plain C++, no N-API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "table/socket_table.h"

namespace sockscope::estab {

enum class Meaning : uint8_t { kEstablished, kEstablishedCloseWait };

// The value of CurrEstab in the text of /proc/net/snmp (its "Tcp:" header and value lines);
// false when the text has no such field or its value is not a non-negative integer.
bool parse_curr_estab(const char* text, size_t len, uint64_t& out);
// Reads and parses the file; a file without the field reads as EBADMSG.
Error read_curr_estab(const std::string& path, uint64_t& out);
// What the counter holds on this kernel release ("6.18.44-...", as uname -r).
Meaning meaning_of_release(const char* release);
// ESTABLISHED from the counter and a count of the other states; false when the counter is
// below what it must include (it moved between the two reads).
bool established(Meaning m, uint64_t counter, const StateCounts& others, uint64_t& out);

// A full count re-checks the counter this often.
constexpr uint32_t kRecheckEvery = 64;

// A trusted counter is refused every kRecheckEvery-th use, so that a full count checks it again.
// Not locked: its owner's lock guards it.
class Recheck {
 public:
  bool use() {
    if (!trusted_) return false;
    if (++since_check_ < kRecheckEvery) return true;
    since_check_ = 0;
    return false;
  }
  void decide(bool trusted) { trusted_ = trusted, since_check_ = 0; }

 private:
  bool trusted_ = false;
  uint32_t since_check_ = 0;
};

// What full counts taught about one counter, shared by the reads of one owner (thread-safe).
class CounterTrust {
 public:
  // True when the next count may use the counter, false when it must be a full count checked
  // with the owner's check().
  bool use_counter() {
    std::lock_guard<std::mutex> lock(m_);
    return recheck_.use();
  }

 protected:
  std::mutex m_;
  Recheck recheck_;
};

// Whether a reader may take ESTABLISHED from the counter, learned from full counts.
class Trust : public CounterTrust {
 public:
  explicit Trust(Meaning assumed) : meaning_(assumed) {}
  // A full count and the counter read just before and just after it. Only a quiet check (the
  // counter did not move) decides: it agrees with the assumed meaning, or else with the other
  // one where the two differ (some CLOSE_WAIT), or the counter is put aside.
  void check(uint64_t before, uint64_t after, const StateCounts& full);
  Meaning meaning();

 private:
  Meaning meaning_;
};

}  // namespace sockscope::estab

// TIME_WAIT counted by the kernel: sockstat's "TCP: ... tw N", the timewait sockets of this
// network namespace. It also holds orphaned FIN_WAIT2 sockets kept as timewait minisockets
// (ss shows them as FIN-WAIT-2 with timer:(timewait)), which a dump reports as FIN_WAIT2: the
// counter equals the dumped TIME_WAIT only while there are none, and only a full count that
// finds it equal lets a count take TIME_WAIT from it.
namespace sockscope::timewait {

// The tw value of /proc/net/sockstat's text; false when the TCP line or its tw field is missing.
bool parse_sockstat_tw(const char* text, size_t len, uint64_t& out);
Error read_sockstat_tw(const std::string& path, uint64_t& out);

// Whether a reader may take TIME_WAIT from the counter, learned from full counts.
class Trust : public estab::CounterTrust {
 public:
  // A full count and the counter read just before and just after it: only a quiet check (the
  // counter did not move) decides, trusting the counter when it equals the dumped TIME_WAIT.
  void check(uint64_t before, uint64_t after, const StateCounts& full);
};

}  // namespace sockscope::timewait
