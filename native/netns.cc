#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <system_error>
#include <thread>

#include "error.h"

namespace sockscope::netns {
namespace {

Error join(int fd, const std::string& path) {
  if (setns(fd, CLONE_NEWNET) == 0) return {};
  Error err = syscall_error("setns", "setns " + path);
  if (err.errnum == EPERM) err.message += " (joining a network namespace needs CAP_SYS_ADMIN)";
  return err;
}

// Takes the calling thread back to the namespace `home` names. It held the rights to leave it, so
// this cannot fail short of a kernel bug; if it does, the thread would read the wrong namespace
// from then on, silently, so the process stops instead.
void go_back(int home) {
  if (setns(home, CLONE_NEWNET) == 0) return;
  std::fprintf(stderr, "sockscope: a thread could not return to its own network namespace (errno %d)\n", errno);
  std::abort();
}

// Joins the namespace and runs `read` there. What `read` throws is carried back in `thrown`: an
// exception must not end a std::thread (terminate). False when the thread could not join.
bool join_and_read(int fd, const std::string& path, const std::function<Error()>& read, Error& err,
                   std::exception_ptr& thrown) {
  if ((err = join(fd, path))) return false;
  try {
    err = read();
  } catch (...) {
    thrown = std::current_exception();
  }
  return true;
}

// Where no thread can be started (a pids limit): the calling thread joins the namespace, reads
// and returns, holding its own namespace open to come back to.
Error on_this_thread(int fd, const std::string& path, const std::function<Error()>& read, std::exception_ptr& thrown) {
  const std::string self = "/proc/thread-self/ns/net";
  int home = open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (home < 0) return syscall_error("open", "open " + self);
  Error err;
  if (join_and_read(fd, path, read, err, thrown)) go_back(home);
  close(home);
  return err;
}

}  // namespace

// The read runs on a thread of its own, which joins the namespace and ends there, so no thread
// of Node's (the main one, or the threadpool's) ever changes namespace; only where the system
// refuses that thread does the calling one go and come back.
Error run_in(const std::string& path, const std::function<Error()>& read) {
  // O_NONBLOCK: a FIFO given as the namespace must not block the open (setns then refuses it).
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return syscall_error("open", "open " + path);
  Error err;
  std::exception_ptr thrown;
  std::optional<std::thread> worker;
  try {
    worker.emplace([&] { join_and_read(fd, path, read, err, thrown); });
  } catch (const std::system_error&) {  // the thread could not be started
  }
  if (worker) worker->join();
  else err = on_this_thread(fd, path, read, thrown);
  close(fd);
  if (thrown) std::rethrow_exception(thrown);  // as if `read` had run here
  return err;
}

}  // namespace sockscope::netns
