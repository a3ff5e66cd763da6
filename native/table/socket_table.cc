// Whole-table operations: emptying, sizing, checking and merging columns, all driven by the
// column schema (table/columns.h), so they reach every column there is.
#include "table/socket_table.h"

#include <algorithm>

namespace sockscope {
namespace {

// Calls f(width, column of t...) for every column the first table carries, the same column of
// each table side by side.
template <class F, class T, class... U>
void each_column(F&& f, T& t, U&... u) {
#define SOCKSCOPE_EACH_BASE(member, js, type, width) f(size_t{width}, t.member, u.member...);
  SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_EACH_BASE)
#undef SOCKSCOPE_EACH_BASE
  f(1, t.cookie, u.cookie...);
  if (t.has_info) {
    for (const auto& c : kInfoColumns) f(1, t.info.*c.column, u.info.*c.column...);
    f(1, t.info.congestion, u.info.congestion...);
  }
  if (t.has_memory)
    for (const auto& c : kMemoryColumns) f(1, t.memory.*c.column, u.memory.*c.column...);
}

}  // namespace

void size_columns(SocketTable& t, size_t n) {
  each_column([n](size_t w, auto& col) { col.resize(n * w); }, t);
}

void reset_table(SocketTable& t, bool info, bool memory) {
  t.has_info = t.has_memory = true;  // so that each_column reaches every column
  each_column([](size_t, auto& col) { col.clear(); }, t);
  t.info.congestion_names.assign(1, "");
  t.has_info = info, t.has_memory = memory;
}

bool columns_consistent(const SocketTable& t) {
  bool ok = true;
  size_t n = t.size();
  each_column([&](size_t w, const auto& col) { ok = ok && col.size() == n * w; }, t);
  return ok;
}

void place_rows(SocketTable& dst, size_t at, const SocketTable& src, const std::vector<uint8_t>& keep) {
  each_column([&](size_t w, auto& d, const auto& s) {
    auto* to = d.data() + at * w;
    if (keep.empty()) return void(std::copy(s.begin(), s.end(), to));
    for (size_t r = 0; r < keep.size(); ++r)
      if (keep[r]) to = std::copy(s.begin() + r * w, s.begin() + (r + 1) * w, to);
  }, dst, src);
}

bool intern_congestion(TcpInfoColumns& c, std::string_view name, uint8_t& index) {
  size_t i = 0;
  while (i < c.congestion_names.size() && c.congestion_names[i] != name) ++i;
  if (i > 255) return false;
  if (i == c.congestion_names.size()) c.congestion_names.emplace_back(name);
  index = static_cast<uint8_t>(i);
  return true;
}

// Past 255 names, a re-pointed row reads as none.
void repoint_congestion(SocketTable& dst, const std::vector<std::string>& names, size_t first, size_t last) {
  std::vector<uint8_t> to(names.size(), 0);
  for (size_t i = 1; i < names.size(); ++i)
    if (!intern_congestion(dst.info, names[i].c_str(), to[i])) to[i] = 0;
  for (size_t r = first; r < last; ++r) dst.info.congestion[r] = to[dst.info.congestion[r]];
}

}  // namespace sockscope
