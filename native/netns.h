// Reading another network namespace without moving the caller: a short-lived thread joins the
// namespace (setns) and runs the read there, so the JS thread and the libuv threadpool threads
// keep theirs (one goes and comes back only where no thread can be started). Plain C++: no
// N-API here.
#pragma once

#include <functional>
#include <string>

#include "table/socket_table.h"

namespace sockscope::netns {

// /proc/net shows the namespace of the process's main thread; a thread that joined another
// namespace sees its own through this root.
inline constexpr char kThreadProcNet[] = "/proc/thread-self/net";

// Runs `read` on a new thread that has joined the network namespace of `path` (a namespace file:
// /var/run/netns/NAME, /proc/PID/ns/net) and returns its Error. Where the system refuses the
// thread (a pids limit), the calling thread joins, reads and returns to its own namespace.
// Sockets `read` opens stay in that namespace. What `read` throws is rethrown here. Joining
// needs CAP_SYS_ADMIN: without it, EPERM, saying so.
Error run_in(const std::string& path, const std::function<Error()>& read);

}  // namespace sockscope::netns
