// The only file that knows N-API: converts validated options into a request, runs the pure
// readers (on the libuv threadpool for the async forms) and hands columns to JS as typed arrays.
#include <napi.h>

#include <cerrno>
#include <memory>
#include <new>
#include <utility>

#include "proc_reader.h"
#include "queue_of.h"
#include "socket_table.h"

namespace sockscope {
namespace {

struct Request {
  proc::ReadRequest proc;
};

Request parse_request(const Napi::Object& o) {
  Request r;
  r.proc.tables = static_cast<TableMask>(o.Get("tables").As<Napi::Number>().Uint32Value());
  r.proc.optional_tables =
      static_cast<TableMask>(o.Get("optionalTables").As<Napi::Number>().Uint32Value());
  r.proc.states = o.Get("states").As<Napi::Number>().Uint32Value();
  r.proc.root = o.Get("procRoot").As<Napi::String>().Utf8Value();
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

// One read: the job both the sync and the async forms run, so they cannot drift apart.
struct ReadJob {
  explicit ReadJob(Request r) : req(std::move(r)) {}
  Request req;
  SocketTable table;
  Error err;
  void run() { err = guarded([&] { return proc::read_tables(req.proc, table); }); }
  Napi::Value result(Napi::Env env) {
    size_t n = table.size();
    Napi::Object out = Napi::Object::New(env);
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
  void run() { err = guarded([&] { return proc::count_states(req.proc, counts); }); }
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

// queueOf(fd): one socket's queues, read on the calling thread (a few syscalls, no table walk).
Napi::Value queue_of(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketQueues q;
  if (Error err = read_socket_queues(info[0].As<Napi::Number>().Int32Value(), q)) {
    to_js_error(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("state", q.state);
  out.Set("acceptQueue", q.accept_queue);
  out.Set("backlog", q.backlog);
  out.Set("recvQ", q.recv_q);
  out.Set("sendQ", q.send_q);
  out.Set("unsent", q.unsent);
  out.Set("rttUs", q.rtt_us);
  out.Set("rttVarUs", q.rttvar_us);
  out.Set("cwnd", q.snd_cwnd);
  out.Set("mss", q.snd_mss);
  out.Set("unacked", q.unacked);
  out.Set("lost", q.lost);
  out.Set("totalRetrans", q.total_retrans);
  out.Set("retransmits", q.retransmits);
  return out;
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        InstanceMethod("read", &Addon::Read),
        InstanceMethod("readAsync", &Addon::ReadAsync),
        InstanceMethod("count", &Addon::Count),
        InstanceMethod("countAsync", &Addon::CountAsync),
        InstanceMethod("queueOf", &Addon::QueueOf),
    });
  }

 private:
  Napi::Value Read(const Napi::CallbackInfo& info) { return run_sync<ReadJob>(info); }
  Napi::Value ReadAsync(const Napi::CallbackInfo& info) { return run_async<ReadJob>(info); }
  Napi::Value Count(const Napi::CallbackInfo& info) { return run_sync<CountJob>(info); }
  Napi::Value CountAsync(const Napi::CallbackInfo& info) { return run_async<CountJob>(info); }
  Napi::Value QueueOf(const Napi::CallbackInfo& info) { return queue_of(info); }
};

}  // namespace
}  // namespace sockscope

using sockscope::Addon;
NODE_API_ADDON(Addon)
