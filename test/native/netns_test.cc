// netns::run_in on its own (root only): a read runs in the namespace it names, on a thread of its
// own, and the caller never moves; what the read returns or throws comes back as it was. Then
// the same in a child under a pids cgroup that refuses every new thread, where the calling
// thread goes to the namespace and must come back, whether the read returned or threw. No
// descriptor is left open either way.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <new>
#include <string>

#include "netns.h"
#include "check.h"

using namespace sockscope;

namespace {

ino_t ns_of(const std::string& file) {
  struct stat st {};
  return stat(file.c_str(), &st) == 0 ? st.st_ino : 0;
}
ino_t my_ns() { return ns_of("/proc/thread-self/ns/net"); }

int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

bool write_file(const std::string& file, const std::string& text) {
  std::ofstream f(file);
  return static_cast<bool>(f << text << std::flush);
}

std::string read_line(const std::string& file) {
  std::ifstream f(file);
  std::string line;
  std::getline(f, line);
  return line;
}

// A process waiting in a network namespace of its own; its namespace file, or "" when none
// can be made.
struct OtherNamespace {
  pid_t pid = -1;
  int hold = -1;  // the child waits until this closes
  std::string file;

  OtherNamespace() {
    int ready[2], wait[2];
    if (pipe(ready) || pipe(wait)) return;
    pid = fork();
    if (pid == 0) {
      close(ready[0]), close(wait[1]);
      char ok = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
      (void)!write(ready[1], &ok, 1);
      (void)!read(wait[0], &ok, 1);  // until the parent closes its end
      _exit(0);
    }
    close(ready[1]), close(wait[0]);
    char ok = 'n';
    if (read(ready[0], &ok, 1) == 1 && ok == 'y') file = "/proc/" + std::to_string(pid) + "/ns/net";
    close(ready[0]);
    hold = wait[1];
  }
  ~OtherNamespace() {
    if (hold >= 0) close(hold);
    if (pid > 0) waitpid(pid, nullptr, 0);
  }
};

// run_in returns the read's Error and rethrows what it throws; the read sees `ns`; the caller
// stays where it was and keeps no descriptor.
void check_reads(const std::string& ns, const std::string& where) {
  ino_t home = my_ns(), other = ns_of(ns);
  int fds = open_fds();
  ino_t seen = 0;
  Error e = netns::run_in(ns, [&] {
    seen = my_ns();
    return Error{};
  });
  CHECK(!e, where + ": a read that succeeds returns no error");
  CHECK_EQ(seen, other, where + ": the read ran in the other namespace");
  CHECK_EQ(my_ns(), home, where + ": the caller is in its own namespace after a read");

  e = netns::run_in(ns, [] { return Error{EIO, "EIO", "read", "read x: Input/output error"}; });
  CHECK(e.code == "EIO" && e.errnum == EIO && e.syscall == "read", where + ": the read's error comes back whole");
  CHECK_EQ(my_ns(), home, where + ": the caller is home after a failed read");

  bool caught = false;
  seen = 0;
  try {
    netns::run_in(ns, [&]() -> Error {
      seen = my_ns();
      throw std::bad_alloc();
    });
  } catch (const std::bad_alloc&) {
    caught = true;
  }
  CHECK(caught, where + ": what the read throws is rethrown to the caller");
  CHECK_EQ(seen, other, where + ": the read that threw ran in the other namespace");
  CHECK_EQ(my_ns(), home, where + ": the caller is home after a read that threw");
  CHECK_EQ(open_fds(), fds, where + ": no descriptor left open");
}

void test_errors() {
  int fds = open_fds();
  bool ran = false;
  Error e = netns::run_in("/nonexistent/ns/net", [&] { return ran = true, Error{}; });
  CHECK(e.code == "ENOENT" && e.syscall == "open" && !ran, "a missing namespace file: ENOENT from open, no read");
  e = netns::run_in("/proc/self/status", [&] { return ran = true, Error{}; });
  CHECK(e.code == "EINVAL" && e.syscall == "setns" && !ran, "a file that is no namespace: EINVAL from setns, no read");
  CHECK_EQ(open_fds(), fds, "no descriptor left open by a refused namespace");
}

// Where this test may make a pids cgroup: v2's root when it hands pids to its children, or v1's.
std::string pids_root() {
  std::string control = read_line("/sys/fs/cgroup/cgroup.subtree_control");
  if (control.find("pids") != std::string::npos) return "/sys/fs/cgroup";
  return access("/sys/fs/cgroup/pids/tasks", F_OK) == 0 ? "/sys/fs/cgroup/pids" : "";  // v1: its root has no pids.max
}

// In a child capped at the threads it has, so that std::thread fails with EAGAIN: the calling
// thread must join, read and come back. The child's tally comes back through a pipe.
void test_without_threads(const std::string& ns) {
  std::string root = pids_root();
  if (root.empty()) return void(std::printf("skipped: no pids cgroup to refuse threads with\n"));
  int tally[2];
  if (pipe(tally)) return void(CHECK(false, "a pipe for the child's tally"));
  std::string dir = root + "/sockscope-netns-test-" + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0755) != 0) {
    close(tally[0]), close(tally[1]);
    return void(std::printf("skipped: cannot make %s\n", dir.c_str()));
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(tally[0]);
    check::tally() = {};
    bool capped = write_file(dir + "/cgroup.procs", std::to_string(getpid())) && write_file(dir + "/pids.max", read_line(dir + "/pids.current"));
    CHECK(capped, "the child is in the cgroup, capped at the threads it has");
    int refused_before = std::stoi(read_line(dir + "/pids.events").substr(4));
    check_reads(ns, "no thread to start");
    int refused = std::stoi(read_line(dir + "/pids.events").substr(4)) - refused_before;
    CHECK(refused >= 3, "each read's thread was refused (" + std::to_string(refused) + " refusals)");
    int counts[2] = {check::tally().passed, check::tally().failed};
    (void)!write(tally[1], counts, sizeof counts);
    _exit(0);
  }
  close(tally[1]);
  int counts[2] = {0, 1};
  bool got = read(tally[0], counts, sizeof counts) == sizeof counts;
  close(tally[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  rmdir(dir.c_str());
  CHECK(got && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the capped child ran to its end");
  check::tally().passed += counts[0], check::tally().failed += counts[1];
}

}  // namespace

int main() {
  if (getuid() != 0) return check::skip("joining a namespace needs root");
  OtherNamespace other;
  if (other.file.empty()) return check::skip("cannot make a network namespace");
  CHECK(ns_of(other.file) != my_ns(), "the child's namespace is another one");
  check_reads(other.file, "own thread");
  test_errors();
  test_without_threads(other.file);
  return check::finish();
}
