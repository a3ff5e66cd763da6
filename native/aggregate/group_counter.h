// Counts of sockets grouped by some of their fields, kept as the rows go by: memory grows with
// the number of groups, never with the number of sockets. What `ss | awk | sort | uniq -c` does,
// without the table. Plain C++: no N-API here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "table/socket_table.h"

namespace sockscope::aggregate {

// The fields a group can be keyed on, in the order the JS names list them.
enum class Key : uint8_t {
  kState,
  kFamily,
  kLocalAddress,
  kLocalPort,
  kRemoteAddress,
  kRemotePort,
  kUid,
  kRemotePrefix,
};
constexpr size_t kKeyKinds = 8;

// A key's bytes inside a group's encoded key:
//   state, family: 1 byte;  ports: 2 and uid: 4, big-endian (byte order is numeric order);
//   addresses: family byte + 16 address bytes (IPv4 in the first 4, the rest zero);
//   remote prefix: family byte + prefix length + 16 address bytes with the host bits cleared.
size_t key_width(Key k);

struct GroupSpec {
  std::vector<Key> keys;  // one to kKeyKinds, each at most once
  uint8_t prefix4 = 24;   // remote prefix: bits kept of an IPv4 address (0-32)
  uint8_t prefix6 = 64;   // and of an IPv6 one (0-128)
};

// One socket's fields as a reader decoded them; addresses point at 16 bytes (4 for IPv4).
struct RowFields {
  uint8_t state = 0, family = 4;
  const uint8_t* local_address = nullptr;
  const uint8_t* remote_address = nullptr;
  uint16_t local_port = 0, remote_port = 0;
  uint32_t uid = 0;
};

// The largest groups first; ties in key byte order, so equal inputs give equal output.
struct Ranking {
  std::vector<uint32_t> groups;  // indexes into the counter, at most the k asked for
  uint64_t other_count = 0;      // sockets in the groups left out
  uint64_t other_groups = 0;     // how many groups were left out
  uint64_t total = 0;            // every socket counted
};

class GroupCounter {
 public:
  explicit GroupCounter(const GroupSpec& spec);

  // Counts one socket. Rows wait in a short queue with their slots prefetched, so that the
  // cache misses of several rows overlap: the kernel's walk between two reads evicts the table,
  // and one miss per row in turn was most of a count's own time. A row's group is known when it
  // leaves the queue; with a log, it is written to (*log)[at] then.
  void add(const RowFields& row, std::vector<uint32_t>* log = nullptr, size_t at = 0);
  // Counts the queued rows. A walk ends with it; the reads below (counts, ranking, merge,
  // checkpoint) find or leave the queue empty.
  void flush();
  // Adds other's groups into this one; both were made from the same spec.
  void merge(GroupCounter& other);
  // Takes one socket back out of group g (a partition saw it twice).
  void take_back(uint32_t g);

  // What the counter held at a point, to undo the rows added after it (an interrupted walk).
  struct Checkpoint {
    size_t groups = 0;
    std::vector<uint64_t> counts;
    uint64_t total = 0;
  };
  Checkpoint checkpoint();
  void restore(const Checkpoint& c);
  // Room for `groups` groups without growing (a hint: the previous count's).
  void reserve(size_t groups);
  // Forgets every group, keeping the spec and the table's size.
  void clear();

  // k = 0: every group.
  Ranking rank(size_t k);

  const GroupSpec& spec() const { return spec_; }
  size_t width() const { return width_; }                  // bytes of one encoded key
  size_t offset(size_t i) const { return offsets_[i]; }    // where spec().keys[i] starts
  size_t groups() const { return slot_of_.size(); }
  uint64_t total() const { return total_; }
  const uint8_t* key(uint32_t g) const { return keys_.data() + size_t{g} * width_; }
  uint64_t count(uint32_t g) const { return slots_[slot_of_[g]].count; }

 private:
  void encode(const RowFields& row, uint8_t* out) const;
  void encode_key(Key k, const RowFields& row, uint8_t* out) const;
  void count_queued();
  uint32_t add_encoded(const uint8_t* key, uint64_t hash, uint64_t n);
  size_t find_or_insert(const uint8_t* key, uint64_t hash);
  void rehash(size_t slots);
  uint64_t hash(const uint8_t* key) const;

  GroupSpec spec_;
  std::vector<size_t> offsets_;
  size_t width_ = 0;
  size_t padded_ = 0;               // width_ rounded up to whole words, for hash()
  // The queue: a ring of rows not yet counted, each key padded_ bytes (the padding zero).
  struct Queued {
    uint64_t hash;
    std::vector<uint32_t>* log;
    size_t at;
  };
  static constexpr size_t kQueue = 16;
  std::array<Queued, kQueue> queue_{};
  std::vector<uint8_t> queue_keys_;
  size_t head_ = 0, queued_ = 0;
  std::vector<uint8_t> keys_;       // width_ bytes per group
  // Open addressing, at most three quarters full. A slot holds all a row's lookup reads: the
  // hash (the whole key, for a key of at most 8 bytes), the group and its count, so that a row
  // touches one cache line of the table, which the kernel's walk between two reads has evicted.
  struct Slot {
    uint64_t hash = 0;
    uint32_t group = 0;  // + 1; 0 = empty
    uint32_t count = 0;  // a count is at most the sockets of one table
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> slot_of_;   // per group: its slot
  uint64_t total_ = 0;
};

// Counts every row of a table (a replayed dump, which is parsed into one).
void count_table(const SocketTable& t, GroupCounter& out);

}  // namespace sockscope::aggregate
