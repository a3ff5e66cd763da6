// The only file that knows N-API: converts validated options into a request, runs the pure
// readers (on the libuv threadpool for the async forms) and hands columns to JS as typed arrays.
#include <napi.h>

#include <cerrno>
#include <memory>
#include <new>
#include <utility>

#include "netns.h"
#include "proc_reader.h"
#include "process_map.h"
#include "socket_table.h"

namespace sockscope {
namespace {

struct Request {
  proc::ReadRequest proc;
  bool processes = false;    // also find each socket's owning processes (snapshot's processes: true)
  std::string process_root;  // where the process directories are: /proc, or a recorded tree
  std::string netns;         // a namespace file to read inside, or empty for the caller's
};

Request parse_request(const Napi::Object& o) {
  Request r;
  r.proc.tables = static_cast<TableMask>(o.Get("tables").As<Napi::Number>().Uint32Value());
  r.proc.optional_tables =
      static_cast<TableMask>(o.Get("optionalTables").As<Napi::Number>().Uint32Value());
  r.proc.states = o.Get("states").As<Napi::Number>().Uint32Value();
  r.proc.root = o.Get("procRoot").As<Napi::String>().Utf8Value();
  r.processes = o.Get("processes").ToBoolean().Value();
  if (r.processes) r.process_root = o.Get("processRoot").As<Napi::String>().Utf8Value();
  if (o.Get("netns").IsString()) {
    r.netns = o.Get("netns").As<Napi::String>().Utf8Value();
    r.proc.root = netns::kThreadProcNet;  // read by the thread that joined the namespace
  }
  return r;
}

Napi::Error to_js_error(Napi::Env env, const Error& e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("code", e.code);
  if (e.errnum) err.Set("errno", Napi::Number::New(env, -e.errnum));  // negative, as Node's own system errors
  if (!e.syscall.empty()) err.Set("syscall", e.syscall);
  return err;
}

// Hands a vector's storage to JS without copying; the ArrayBuffer's finalizer frees it.
template <typename T>
Napi::ArrayBuffer give_buffer(Napi::Env env, std::vector<T>&& v) {
  if (v.empty()) return Napi::ArrayBuffer::New(env, 0);
  auto* owned = new std::vector<T>(std::move(v));
  return Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                [](Napi::Env, void*, std::vector<T>* p) { delete p; }, owned);
}

template <typename T>
Napi::Value column(Napi::Env env, std::vector<T>&& v) {
  size_t n = v.size();
  return Napi::TypedArrayOf<T>::New(env, n, give_buffer(env, std::move(v)), 0);
}

Napi::Object table_to_js(Napi::Env env, SocketTable&& t) {
  Napi::Object cols = Napi::Object::New(env);
  cols.Set("protocol", column(env, std::move(t.protocol)));
  cols.Set("family", column(env, std::move(t.family)));
  cols.Set("state", column(env, std::move(t.state)));
  cols.Set("localAddress", column(env, std::move(t.local_address)));
  cols.Set("remoteAddress", column(env, std::move(t.remote_address)));
  cols.Set("localPort", column(env, std::move(t.local_port)));
  cols.Set("remotePort", column(env, std::move(t.remote_port)));
  cols.Set("recvQ", column(env, std::move(t.recv_q)));
  cols.Set("sendQ", column(env, std::move(t.send_q)));
  cols.Set("uid", column(env, std::move(t.uid)));
  cols.Set("inode", column(env, std::move(t.inode)));
  cols.Set("timer", column(env, std::move(t.timer)));
  cols.Set("timerExpires", column(env, std::move(t.timer_expires)));
  cols.Set("retransmits", column(env, std::move(t.retransmits)));
  return cols;
}

Napi::Object owners_to_js(Napi::Env env, procs::OwnerScan&& s) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("start", column(env, std::move(s.start)));
  out.Set("pid", column(env, std::move(s.pid)));
  out.Set("fd", column(env, std::move(s.fd)));
  out.Set("commandPid", column(env, std::move(s.command_pid)));
  Napi::Array commands = Napi::Array::New(env, s.command.size());
  for (uint32_t i = 0; i < s.command.size(); ++i) commands.Set(i, s.command[i]);
  out.Set("command", commands);
  out.Set("scanned", static_cast<double>(s.scanned));
  out.Set("skipped", static_cast<double>(s.skipped));
  return out;
}

Napi::Value counts_to_js(Napi::Env env, const StateCounts& c) {
  Napi::Array a = Napi::Array::New(env, c.size());
  for (uint32_t i = 0; i < c.size(); ++i) a.Set(i, static_cast<double>(c[i]));
  return a;
}

// The readers allocate; running out of memory on the threadpool must become an error, not abort.
template <typename Fn>
Error guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    Error e;
    e.errnum = ENOMEM;
    e.code = "ENOMEM";
    e.message = "out of memory while reading the socket table";
    return e;
  }
}

// Runs a read in the caller's namespace, or on a thread inside the requested one.
template <typename Fn>
Error in_namespace(const Request& req, Fn&& read) {
  return req.netns.empty() ? read() : netns::run_in(req.netns, read);
}

// One read: the job both the sync and the async forms run, so they cannot drift apart.
struct ReadJob {
  explicit ReadJob(Request r) : req(std::move(r)) {}
  Request req;
  SocketTable table;
  procs::OwnerScan owners;
  Error err;
  void run() {
    err = guarded([&] {
      return in_namespace(req, [&] {
        Error e = proc::read_tables(req.proc, table);
        // Right after the table, on the same thread: the fewer sockets closed in between, the better.
        if (!e && req.processes) e = procs::scan_owners(table.inode, req.process_root, owners);
        return e;
      });
    });
  }
  Napi::Value result(Napi::Env env) {
    size_t n = table.size();
    Napi::Object out = Napi::Object::New(env);
    if (req.processes) out.Set("owners", owners_to_js(env, std::move(owners)));
    out.Set("length", static_cast<double>(n));
    out.Set("source", "proc");
    out.Set("columns", table_to_js(env, std::move(table)));
    return out;
  }
};

struct CountJob {
  explicit CountJob(Request r) : req(std::move(r)) {}
  Request req;
  StateCounts counts{};
  Error err;
  void run() {
    err = guarded([&] { return in_namespace(req, [&] { return proc::count_states(req.proc, counts); }); });
  }
  Napi::Value result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("source", "proc");
    out.Set("counts", counts_to_js(env, counts));
    return out;
  }
};

template <typename Job>
Napi::Value run_sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Job job(parse_request(info[0].As<Napi::Object>()));
  job.run();
  if (job.err) {
    to_js_error(env, job.err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return job.result(env);
}

// Execute() runs the pure reader off the JS thread and never touches JS.
template <typename Job>
class Worker : public Napi::AsyncWorker {
 public:
  Worker(Napi::Env env, Request req)
      : Napi::AsyncWorker(env, "sockscope"), deferred_(env), job_(std::move(req)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { job_.run(); }
  void OnOK() override {
    Napi::Env env = Env();
    if (job_.err) return deferred_.Reject(to_js_error(env, job_.err).Value());
    deferred_.Resolve(job_.result(env));
  }

 private:
  Napi::Promise::Deferred deferred_;
  Job job_;
};

template <typename Job>
Napi::Value run_async(const Napi::CallbackInfo& info) {
  auto* worker = new Worker<Job>(info.Env(), parse_request(info[0].As<Napi::Object>()));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        InstanceMethod("read", &Addon::Read),
        InstanceMethod("readAsync", &Addon::ReadAsync),
        InstanceMethod("count", &Addon::Count),
        InstanceMethod("countAsync", &Addon::CountAsync),
    });
  }

 private:
  Napi::Value Read(const Napi::CallbackInfo& info) { return run_sync<ReadJob>(info); }
  Napi::Value ReadAsync(const Napi::CallbackInfo& info) { return run_async<ReadJob>(info); }
  Napi::Value Count(const Napi::CallbackInfo& info) { return run_sync<CountJob>(info); }
  Napi::Value CountAsync(const Napi::CallbackInfo& info) { return run_async<CountJob>(info); }
};

}  // namespace
}  // namespace sockscope

using sockscope::Addon;
NODE_API_ADDON(Addon)
