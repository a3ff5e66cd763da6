// Counts of sockets grouped by some of their fields, kept as the rows go by: memory grows with
// the number of groups, never with the number of sockets. What `ss | awk | sort | uniq -c` does,
// without the table. Plain C++: no N-API here.
#pragma once

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

  // Counts one socket; returns its group's index.
  uint32_t add(const RowFields& row) { return add_encoded(encode(row), 1); }
  // Adds other's groups into this one; both were made from the same spec.
  void merge(const GroupCounter& other);
  // Takes one socket back out of group g (a partition saw it twice).
  void take_back(uint32_t g);

  // What the counter held at a point, to undo the rows added after it (an interrupted walk).
  struct Checkpoint {
    size_t groups = 0;
    std::vector<uint64_t> counts;
    uint64_t total = 0;
  };
  Checkpoint checkpoint() const { return {counts_.size(), counts_, total_}; }
  void restore(const Checkpoint& c);
  // Forgets every group, keeping the spec.
  void clear();

  // k = 0: every group.
  Ranking rank(size_t k) const;

  const GroupSpec& spec() const { return spec_; }
  size_t width() const { return width_; }                  // bytes of one encoded key
  size_t offset(size_t i) const { return offsets_[i]; }    // where spec().keys[i] starts
  size_t groups() const { return counts_.size(); }
  uint64_t total() const { return total_; }
  const uint8_t* key(uint32_t g) const { return keys_.data() + size_t{g} * width_; }
  uint64_t count(uint32_t g) const { return counts_[g]; }

 private:
  const uint8_t* encode(const RowFields& row);
  void encode_key(Key k, const RowFields& row, uint8_t* out) const;
  uint32_t add_encoded(const uint8_t* key, uint64_t n);
  uint32_t find_or_insert(const uint8_t* key, uint64_t hash);
  void rehash(size_t slots);
  uint64_t hash(const uint8_t* key) const;

  GroupSpec spec_;
  std::vector<size_t> offsets_;
  size_t width_ = 0;
  std::vector<uint8_t> scratch_;    // the key being looked up
  std::vector<uint8_t> keys_;       // width_ bytes per group
  std::vector<uint64_t> counts_;    // per group
  std::vector<uint64_t> hashes_;    // per group, so growing never rehashes the keys
  std::vector<uint32_t> slots_;     // open addressing: group + 1, 0 = empty
  uint64_t total_ = 0;
};

// Counts every row of a table (a replayed dump, which is parsed into one).
void count_table(const SocketTable& t, GroupCounter& out);

}  // namespace sockscope::aggregate
