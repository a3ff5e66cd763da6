#include "proc/read_ahead.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sockscope {
namespace {

// seq_file hands out a page (4 KiB) per read(): a chunk is ~60 of them, ~1700 rows. Four in
// flight bound the memory at 1 MiB, as the single buffer before.
constexpr size_t kChunkBytes = 256 << 10;
constexpr size_t kChunks = 4;
constexpr size_t kMinRead = 8 << 10;  // a chunk is handed over once less than this is free

}  // namespace

ReadAhead::ReadAhead(int fd)
    : fd_(fd), ring_(ColumnAllocator<char>(std::make_shared<ColumnArena>(kChunks * kChunkBytes))), chunks_(kChunks) {
  ring_.resize(kChunks * kChunkBytes);
  for (size_t i = 0; i < kChunks; ++i) chunks_[i].bytes = ring_.data() + i * kChunkBytes;
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadAhead::run() {
  for (;;) {
    Chunk* c;
    {
      std::unique_lock<std::mutex> lock(m_);
      cv_.wait(lock, [&] { return stop_ || filled_ - taken_ < kChunks; });
      if (stop_) return;
      c = &chunks_[filled_ % kChunks];  // no longer the caller's: it took this one already
    }
    c->size = 0, c->errnum = 0, c->eof = false;
    while (c->size + kMinRead <= kChunkBytes) {
      ssize_t n = read(fd_, c->bytes + c->size, kChunkBytes - c->size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) c->errnum = errno;
      if (n == 0) c->eof = true;
      if (n <= 0) break;
      c->size += static_cast<size_t>(n);
    }
    bool last = c->eof || c->errnum;
    {
      std::lock_guard<std::mutex> lock(m_);
      ++filled_;
    }
    cv_.notify_all();
    if (last) return;
  }
}

int ReadAhead::next(std::vector<char>& buf, size_t& have, bool& eof) {
  Chunk* c;
  {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return taken_ < filled_; });
    c = &chunks_[taken_ % kChunks];
  }
  if (buf.size() < have + c->size) buf.resize(have + c->size);
  std::memcpy(buf.data() + have, c->bytes, c->size);
  have += c->size;
  int errnum = c->errnum;
  eof = c->eof;
  {
    std::lock_guard<std::mutex> lock(m_);
    ++taken_;
  }
  cv_.notify_all();
  return errnum;
}

}  // namespace sockscope
