#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <system_error>
#include <thread>

#include "syscall_error.h"

namespace sockscope::netns {

Error run_in(const std::string& path, const std::function<Error()>& read) {
  // O_NONBLOCK: a FIFO given as the namespace must not block the open (setns then refuses it).
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return path_syscall_error("open", path);
  Error err;
  std::exception_ptr thrown;  // an exception must not end a std::thread (terminate): carried back
  try {
    std::thread worker([&] {
      if (setns(fd, CLONE_NEWNET) != 0) {
        err = path_syscall_error("setns", path);
        if (err.errnum == EPERM) err.message += " (joining a network namespace needs CAP_SYS_ADMIN)";
        return;
      }
      try {
        err = read();
      } catch (...) {
        thrown = std::current_exception();
      }
    });
    worker.join();
  } catch (const std::system_error& e) {  // the thread could not be started
    err = path_syscall_error("pthread_create", path, e.code().value());
  }
  close(fd);
  if (thrown) std::rethrow_exception(thrown);  // as if `read` had run here
  return err;
}

}  // namespace sockscope::netns
