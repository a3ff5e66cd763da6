// Reads a file to its end on a helper thread, a chunk ahead of the caller, so that the kernel
// formats the next chunk of a /proc table on one core while the parser walks this one on
// another: a /proc read then costs about what the kernel's read() alone costs. Plain C++.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "table/socket_table.h"

namespace sockscope {

class ReadAhead {
 public:
  // Starts reading `fd` (the caller keeps it, and closes it after this is destroyed). Throws
  // std::system_error when no thread can be started.
  explicit ReadAhead(int fd);
  ~ReadAhead();  // stops the thread wherever it is and joins it
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Appends the next chunk to buf[have..], growing buf as needed. Sets `eof` after the last
  // chunk; returns 0, or the errno of a failed read() (the bytes before it are appended).
  // Not to be called again after the end or an error: the thread has gone.
  int next(std::vector<char>& buf, size_t& have, bool& eof);

 private:
  struct Chunk {
    char* bytes = nullptr;  // in ring_
    size_t size = 0;
    int errnum = 0;
    bool eof = false;
  };
  void run();

  int fd_;
  Column<char> ring_;          // the chunks' bytes, in one huge page: no fault per 4 KiB page
  std::vector<Chunk> chunks_;  // a ring: the thread fills chunk filled_ % n, the caller takes taken_ % n
  size_t filled_ = 0, taken_ = 0;
  bool stop_ = false;
  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;  // last: it starts once everything above is ready
};

}  // namespace sockscope
