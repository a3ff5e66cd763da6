// The column region: columns carved from it stay in it while they fit, spill to the heap when
// they outgrow it, keep their contents either way, and a table reserves in it only when large.
#include <cstdint>

#include "check.h"
#include "table/socket_table.h"

using namespace sockscope;

namespace {

void test_region() {
  ColumnArena arena(3 << 20);
  void* a = arena.allocate(1000);
  void* b = arena.allocate(10);
  CHECK(a && b && arena.owns(a) && arena.owns(b), "two allocations from the region");
  CHECK(reinterpret_cast<uintptr_t>(a) % (2 << 20) == 0, "the region starts on a huge-page boundary");
  CHECK(reinterpret_cast<uintptr_t>(b) % 64 == 0 && static_cast<char*>(b) >= static_cast<char*>(a) + 1000,
        "the next one on a cache line past the first");
  CHECK(arena.allocate(4 << 20) == nullptr, "more than is left: none");
  CHECK(arena.allocate(SIZE_MAX) == nullptr, "an absurd size: none, no wrap");
  ColumnArena none(0);
  CHECK(none.allocate(1) == nullptr && !none.owns(&none), "an empty arena hands out nothing");
}

void test_regions_recycled() {
  const void* first;
  {
    ColumnArena a(5 << 20);
    first = a.allocate(1);
    static_cast<char*>(a.allocate(4 << 20))[0] = 1;
  }
  ColumnArena b(5 << 20);
  CHECK(b.allocate(1) == first, "a region that went is taken again by an arena of its size");
  ColumnArena c(5 << 20);
  const void* second = c.allocate(1);
  CHECK(second != first && second != nullptr, "while in use, the next arena maps its own");
  ColumnArena small(1 << 20);
  CHECK(!small.owns(first) && !small.owns(second), "a request under half a cached region's size maps a new one");
}

void test_column_spills() {
  auto arena = std::make_shared<ColumnArena>(1 << 20);
  Column<uint32_t> c{ColumnAllocator<uint32_t>(arena)};
  c.reserve(1000);
  CHECK(arena->owns(c.data()), "reserved in the region");
  for (uint32_t i = 0; i < 400'000 * 5; ++i) c.push_back(i);  // 8 MB: past the region (or a bigger cached one)
  CHECK(!arena->owns(c.data()), "grown past the region: on the heap");
  bool same = true;
  for (uint32_t i = 0; i < 400'000 * 5; ++i) same &= c[i] == i;
  CHECK(same, "every value kept across the move out of the region");
  Column<uint32_t> moved = std::move(c);
  CHECK_EQ(moved.size(), size_t{400'000 * 5}, "moved with its allocator");
}

void test_table_reserve() {
  SocketTable small;
  small.reserve(100);
  CHECK(!small.state.get_allocator().arena(), "a small table: plain heap columns");
  SocketTable big;
  big.reserve(100'000, /*with_cookie=*/false);
  CHECK(big.state.get_allocator().arena() && big.state.get_allocator().arena()->owns(big.local_address.data()),
        "a large table: its columns in one region");
  CHECK(big.cookie.capacity() == 0, "no cookie column unless asked");
  const void* where = big.inode.data();
  big.reserve(50'000);
  CHECK(big.inode.data() == where, "a smaller reserve keeps the columns");
  big.state.push_back(1);
  big.reserve(200'000);
  CHECK(big.state.size() == 1 && big.state[0] == 1, "a table with rows is never re-reserved");
}

}  // namespace

int main() {
  test_region();
  test_regions_recycled();
  test_column_spills();
  test_table_reserve();
  return check::finish();
}
