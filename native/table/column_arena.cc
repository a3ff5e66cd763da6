#include "table/column_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

namespace sockscope {
namespace {

constexpr size_t kHugePage = 2 << 20;
constexpr size_t kAlign = 64;  // every column starts on a cache line

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Regions of arenas that went, kept mapped for the next ones: their pages are already faulted in
// and cleared, which a fresh region pays again on every read (in a VM each fresh page may also
// fault on the host). Bounded:
// kCachedRegions regions, kCachedBytes in all, the oldest unmapped first. A region is reused
// only for a request of at least half its size.
class RegionCache {
 public:
  static RegionCache& get() {
    static RegionCache* cache = new RegionCache;  // never destroyed: arenas may go after exit starts
    return *cache;
  }
  char* take(size_t size, size_t& got) {
    std::lock_guard<std::mutex> lock(m_);
    auto best = regions_.end();
    for (auto it = regions_.begin(); it != regions_.end(); ++it)
      if (it->size >= size && it->size / 2 <= size && (best == regions_.end() || it->size < best->size)) best = it;
    if (best == regions_.end()) return nullptr;
    char* base = best->base;
    got = best->size, bytes_ -= got;
    regions_.erase(best);
    return base;
  }
  void give(char* base, size_t size) {
    std::lock_guard<std::mutex> lock(m_);
    regions_.push_back({base, size});
    bytes_ += size;
    largest_ = std::max(largest_, size);
    while (regions_.size() > kCachedRegions || bytes_ > std::max(kCachedBytes, kCachedLargest * largest_)) {
      munmap(regions_.front().base, regions_.front().size);
      bytes_ -= regions_.front().size;
      regions_.erase(regions_.begin());
    }
  }

 private:
  struct Region {
    char* base;
    size_t size;
  };
  // A V8 heap frees the tables it dropped together, at a collection every ~64 MiB of external
  // memory: a large table's partition regions and several of its tables may be held between
  // collections, and a smaller cap would unmap a table the next read then faults in again.
  static constexpr size_t kCachedRegions = 16;
  // 128 MiB, or three of the largest regions given yet if that is more: a read's partition
  // regions (one table in all), its merged table and the table the read before made. With
  // 128 MiB only, a million sockets (61 MiB a table) faulted most of every read's pages in again.
  static constexpr size_t kCachedBytes = 128 << 20;
  static constexpr size_t kCachedLargest = 3;
  std::mutex m_;
  std::vector<Region> regions_;
  size_t bytes_ = 0, largest_ = 0;
};

}  // namespace

ColumnArena::ColumnArena(size_t bytes) {
  if (bytes == 0 || bytes > (size_t{1} << 40)) return;
  size_t size = round_up(bytes, kHugePage);
  if ((base_ = RegionCache::get().take(size, size_))) return;
  // Over-map by one huge page and trim both ends, so the region starts on a huge-page boundary.
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return;
  uintptr_t start = round_up(reinterpret_cast<uintptr_t>(raw), kHugePage);
  size_t head = start - reinterpret_cast<uintptr_t>(raw);
  if (head) munmap(raw, head);
  if (kHugePage - head) munmap(reinterpret_cast<void*>(start + size), kHugePage - head);
  base_ = reinterpret_cast<char*>(start);
  size_ = size;
  madvise(base_, size_, MADV_HUGEPAGE);  // a hint: with THP off, 4 KiB pages as before
}

ColumnArena::~ColumnArena() {
  if (base_) RegionCache::get().give(base_, size_);
}

void* ColumnArena::allocate(size_t bytes) {
  size_t at = round_up(used_, kAlign);
  if (!base_ || bytes > size_ - std::min(at, size_)) return nullptr;
  used_ = at + bytes;
  return base_ + at;
}

}  // namespace sockscope
