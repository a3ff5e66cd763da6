#include "group_counter.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

namespace sockscope::aggregate {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// family byte + 16 address bytes; of an IPv4 address only the first 4 are read, the rest zeroed.
void put_address(uint8_t family, const uint8_t* address, uint8_t* out) {
  out[0] = family;
  std::memset(out + 1, 0, 16);
  std::memcpy(out + 1, address, family == 4 ? 4 : 16);
}

uint32_t load_be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }
uint64_t load_be64(const uint8_t* p) { return uint64_t{load_be32(p)} << 32 | load_be32(p + 4); }
void store_be(uint64_t v, size_t bytes, uint8_t* out) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
}
// A 64-bit word's top `bits` set (all of them from 64 on).
uint64_t top_bits(unsigned bits) { return bits == 0 ? 0 : bits >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - bits); }

// family byte, prefix length, then the masked address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
// is the IPv4 host it stands for, so it groups with the IPv4 prefix. Masked a word at a time: this
// runs for every row.
void put_prefix(const GroupSpec& spec, uint8_t family, const uint8_t* address, uint8_t* out) {
  uint8_t* a = out + 2;
  if (family == 6 && std::memcmp(address, kMappedPrefix, 12) == 0) family = 4, address += 12;
  uint8_t bits = family == 4 ? spec.prefix4 : spec.prefix6;
  out[0] = family, out[1] = bits;
  if (family == 4) {
    store_be(load_be32(address) & top_bits(bits) >> 32, 4, a);
    std::memset(a + 4, 0, 12);
    return;
  }
  store_be(load_be64(address) & top_bits(bits), 8, a);
  store_be(load_be64(address + 8) & top_bits(bits > 64 ? bits - 64 : 0), 8, a + 8);
}

// At most three quarters full: a probe run then mostly stays in the cache line of its first slot
// (four 16-byte slots a line), and the table costs 21 to 43 bytes a group instead of 32 to 64.
bool over_load(size_t groups, size_t slots) { return groups * 4 > slots * 3; }

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

}  // namespace

void count_table(const SocketTable& t, GroupCounter& out) {
  RowFields r;
  for (size_t i = 0; i < t.size(); ++i) {
    r.state = t.state[i], r.family = t.family[i];
    r.local_address = t.local_address.data() + i * 16, r.remote_address = t.remote_address.data() + i * 16;
    r.local_port = t.local_port[i], r.remote_port = t.remote_port[i], r.uid = t.uid[i];
    out.add(r);
  }
  out.flush();
}

size_t key_width(Key k) {
  switch (k) {
    case Key::kState:
    case Key::kFamily: return 1;
    case Key::kLocalPort:
    case Key::kRemotePort: return 2;
    case Key::kUid: return 4;
    case Key::kLocalAddress:
    case Key::kRemoteAddress: return 17;
    case Key::kRemotePrefix: return 18;
  }
  return 0;
}

GroupCounter::GroupCounter(const GroupSpec& spec) : spec_(spec) {
  for (Key k : spec_.keys) offsets_.push_back(width_), width_ += key_width(k);
  padded_ = (width_ + 7) / 8 * 8;
  queue_keys_.resize(kQueue * padded_);
  rehash(64);
}

void GroupCounter::encode_key(Key k, const RowFields& r, uint8_t* out) const {
  switch (k) {
    case Key::kState: *out = r.state; break;
    case Key::kFamily: *out = r.family; break;
    case Key::kLocalAddress: put_address(r.family, r.local_address, out); break;
    case Key::kRemoteAddress: put_address(r.family, r.remote_address, out); break;
    // Ports and uid big-endian, so that key byte order is numeric order and ties rank by number.
    case Key::kLocalPort: store_be(r.local_port, 2, out); break;
    case Key::kRemotePort: store_be(r.remote_port, 2, out); break;
    case Key::kUid: store_be(r.uid, 4, out); break;
    case Key::kRemotePrefix: put_prefix(spec_, r.family, r.remote_address, out); break;
  }
}

void GroupCounter::encode(const RowFields& row, uint8_t* out) const {
  for (size_t i = 0; i < spec_.keys.size(); ++i) encode_key(spec_.keys[i], row, out + offsets_[i]);
}

void GroupCounter::add(const RowFields& row, std::vector<uint32_t>* log, size_t at) {
  if (queued_ == kQueue) count_queued();
  size_t i = (head_ + queued_++) % kQueue;
  uint8_t* key = queue_keys_.data() + i * padded_;
  encode(row, key);
  uint64_t h = hash(key);
  queue_[i] = {h, log, at};
  __builtin_prefetch(&slots_[h & (slots_.size() - 1)], 1);
}

// Counts the oldest queued row.
void GroupCounter::count_queued() {
  const Queued& q = queue_[head_];
  uint32_t g = add_encoded(queue_keys_.data() + head_ * padded_, q.hash, 1);
  if (q.log) (*q.log)[q.at] = g;
  head_ = (head_ + 1) % kQueue, --queued_;
}

void GroupCounter::flush() {
  while (queued_ != 0) count_queued();
}

// Over whole words of a key padded with zeros (a queued key). One word (a key of at most 8
// bytes) goes through one mix, which is a bijection: equal hashes then mean equal keys.
uint64_t GroupCounter::hash(const uint8_t* key) const {
  uint64_t h = width_;
  for (size_t i = 0; i < width_; i += 8) {
    uint64_t v;
    std::memcpy(&v, key + i, 8);
    h = mix(h, v);
  }
  return h;
}

size_t GroupCounter::find_or_insert(const uint8_t* key, uint64_t h) {
  size_t mask = slots_.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    Slot& slot = slots_[s];
    if (slot.group == 0) {
      slot.hash = h;
      slot.group = static_cast<uint32_t>(groups()) + 1;
      keys_.insert(keys_.end(), key, key + width_);
      slot_of_.push_back(static_cast<uint32_t>(s));
      return s;
    }
    if (slot.hash == h && (width_ <= 8 || std::memcmp(this->key(slot.group - 1), key, width_) == 0)) return s;
  }
}

void GroupCounter::rehash(size_t slots) {
  std::vector<Slot> old(slots);
  old.swap(slots_);
  size_t mask = slots - 1;
  for (const Slot& o : old) {
    if (o.group == 0) continue;
    size_t s = o.hash & mask;
    while (slots_[s].group != 0) s = (s + 1) & mask;
    slots_[s] = o;
    slot_of_[o.group - 1] = static_cast<uint32_t>(s);
  }
}

uint32_t GroupCounter::add_encoded(const uint8_t* key, uint64_t hash, uint64_t n) {
  if (over_load(groups() + 1, slots_.size())) rehash(slots_.size() * 2);
  Slot& slot = slots_[find_or_insert(key, hash)];
  slot.count += static_cast<uint32_t>(n);
  total_ += n;
  return slot.group - 1;
}

void GroupCounter::merge(GroupCounter& other) {
  flush(), other.flush();
  for (uint32_t g = 0; g < other.groups(); ++g) {
    const Slot& o = other.slots_[other.slot_of_[g]];
    if (o.count != 0) add_encoded(other.key(g), o.hash, o.count);
  }
}

void GroupCounter::take_back(uint32_t g) {
  if (g < groups() && count(g) != 0) --slots_[slot_of_[g]].count, --total_;
}

GroupCounter::Checkpoint GroupCounter::checkpoint() {
  flush();
  Checkpoint c{groups(), std::vector<uint64_t>(groups()), total_};
  for (uint32_t g = 0; g < groups(); ++g) c.counts[g] = count(g);
  return c;
}

void GroupCounter::restore(const Checkpoint& c) {
  head_ = queued_ = 0;  // rows after the checkpoint
  for (size_t g = c.groups; g < groups(); ++g) slots_[slot_of_[g]] = Slot{};
  keys_.resize(c.groups * width_);
  slot_of_.resize(c.groups);
  for (uint32_t g = 0; g < c.groups; ++g) slots_[slot_of_[g]].count = static_cast<uint32_t>(c.counts[g]);
  total_ = c.total;
  rehash(slots_.size());  // the emptied slots may have broken later groups' probe runs
}

void GroupCounter::reserve(size_t groups) {
  size_t slots = slots_.size();
  while (over_load(groups, slots)) slots *= 2;
  if (slots != slots_.size()) rehash(slots);
  keys_.reserve(groups * width_), slot_of_.reserve(groups);
}

void GroupCounter::clear() {
  head_ = queued_ = 0;
  keys_.clear(), slot_of_.clear();
  slots_.assign(slots_.size(), Slot{});
  total_ = 0;
}

namespace {

// A group as the ranking sees it: its count and its first key bytes as one big-endian number.
struct Ranked {
  uint64_t lead;
  uint32_t count, group;  // a count is at most the sockets of one table
};

// One stable pass of a radix sort on the 8-bit digit digit(e), into `from` again (`to` is scratch);
// skipped when every entry has the same digit.
template <typename Digit>
void radix_pass(std::vector<Ranked>& from, std::vector<Ranked>& to, Digit digit) {
  size_t at[256] = {};
  for (const Ranked& e : from) ++at[digit(e)];
  if (std::find(std::begin(at), std::end(at), from.size()) != std::end(at)) return;
  size_t sum = 0;
  for (size_t& n : at) sum += std::exchange(n, sum);
  for (const Ranked& e : from) to[at[digit(e)]++] = e;
  from.swap(to);
}

// Largest count first, then lead ascending: least significant digits first, so the lead's last
// byte leads off and the count's top byte, inverted, ends. Linear in the groups, where a
// comparison sort of the many ties of a near-unique key (every group of 1) took most of a call.
void sort_ranked(std::vector<Ranked>& entries, size_t lead_bytes) {
  std::vector<Ranked> scratch(entries.size());
  uint32_t most = 0;
  for (const Ranked& e : entries) most = std::max(most, e.count);
  for (size_t b = 0; b < lead_bytes; ++b) radix_pass(entries, scratch, [b](const Ranked& e) { return uint8_t(e.lead >> 8 * b); });
  for (size_t b = 0; b < 4 && most >> 8 * b != 0; ++b)
    radix_pass(entries, scratch, [b](const Ranked& e) { return uint8_t(~e.count >> 8 * b); });
}

}  // namespace

Ranking GroupCounter::rank(size_t k) {
  flush();
  std::vector<Ranked> entries;
  entries.reserve(groups());
  size_t head = std::min<size_t>(8, width_);
  for (uint32_t g = 0; g < groups(); ++g) {
    if (count(g) == 0) continue;
    uint64_t lead = 0;
    for (size_t i = 0; i < head; ++i) lead = lead << 8 | key(g)[i];
    entries.push_back({lead, static_cast<uint32_t>(count(g)), g});
  }
  sort_ranked(entries, head);
  // Keys longer than the lead (addresses): runs of equal count and lead end in key byte order.
  auto rest_before = [&](const Ranked& a, const Ranked& b) { return std::memcmp(key(a.group) + head, key(b.group) + head, width_ - head) < 0; };
  for (size_t i = 0, j; width_ > head && i < entries.size(); i = j) {
    for (j = i + 1; j < entries.size() && entries[j].count == entries[i].count && entries[j].lead == entries[i].lead; ++j) {}
    if (j - i > 1) std::sort(entries.begin() + i, entries.begin() + j, rest_before);
  }
  size_t keep = k == 0 ? entries.size() : std::min(k, entries.size());
  Ranking r;
  r.total = total_;
  for (size_t i = keep; i < entries.size(); ++i) r.other_count += entries[i].count;
  r.other_groups = entries.size() - keep;
  r.groups.reserve(keep);
  for (size_t i = 0; i < keep; ++i) r.groups.push_back(entries[i].group);
  return r;
}

}  // namespace sockscope::aggregate
