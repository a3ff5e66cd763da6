// Where a table's columns live: one region for all of them, sized from the rows expected and
// backed by transparent huge pages where the kernel offers them (MADV_HUGEPAGE). A fresh 4 KiB
// page costs a fault when a row first lands on it, one per 4 KiB of every column, and in a VM a
// fault is dear; a huge page faults once per 2 MiB.
// Columns allocate from the region by bumping a pointer; what does not fit, or a column that
// outgrows its share, falls back to the heap. The region goes when the last column using it
// does (each column's allocator holds it), so columns may be handed out and freed one by one;
// it goes to a small cache (at most 16 regions, and 128 MiB or three of the largest in all),
// from which the next arena of about its size is served with pages already faulted in.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace sockscope {

class ColumnArena {
 public:
  // A region of at least `bytes`; none (everything from the heap) if it cannot be mapped.
  explicit ColumnArena(size_t bytes);
  ~ColumnArena();
  ColumnArena(const ColumnArena&) = delete;
  ColumnArena& operator=(const ColumnArena&) = delete;

  void* allocate(size_t bytes);              // from the region, else nullptr
  bool owns(const void* p) const { return base_ && p >= base_ && p < base_ + size_; }

 private:
  char* base_ = nullptr;
  size_t size_ = 0, used_ = 0;
};

// std::allocator, or the arena when one is given. Moved with its column (a table's columns
// are moved into JS and into merged tables).
template <typename T>
class ColumnAllocator {
 public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using propagate_on_container_copy_assignment = std::true_type;

  ColumnAllocator() = default;
  explicit ColumnAllocator(std::shared_ptr<ColumnArena> arena) : arena_(std::move(arena)) {}
  template <typename U>
  ColumnAllocator(const ColumnAllocator<U>& o) : arena_(o.arena()) {}

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    if (void* p = arena_ ? arena_->allocate(n * sizeof(T)) : nullptr) return static_cast<T*>(p);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) {
    if (!(arena_ && arena_->owns(p))) std::allocator<T>().deallocate(p, n);  // region memory goes with the region
  }
  const std::shared_ptr<ColumnArena>& arena() const { return arena_; }
  // Default-initialises: resize() leaves new rows unwritten (no page touched twice), for columns
  // sized first and written after (a merged table's, an address's 16 bytes).
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const ColumnAllocator<U>& o) const { return arena_ == o.arena(); }
  template <typename U>
  bool operator!=(const ColumnAllocator<U>& o) const { return arena_ != o.arena(); }

 private:
  std::shared_ptr<ColumnArena> arena_;
};

}  // namespace sockscope
