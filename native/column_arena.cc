#include "column_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

namespace sockscope {
namespace {

constexpr size_t kHugePage = 2 << 20;
constexpr size_t kAlign = 64;  // every column starts on a cache line

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

ColumnArena::ColumnArena(size_t bytes) {
  if (bytes == 0 || bytes > (size_t{1} << 40)) return;
  size_t size = round_up(bytes, kHugePage);
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
  if (base_) munmap(base_, size_);
}

void* ColumnArena::allocate(size_t bytes) {
  size_t at = round_up(used_, kAlign);
  if (!base_ || bytes > size_ - std::min(at, size_)) return nullptr;
  used_ = at + bytes;
  return base_ + at;
}

}  // namespace sockscope
