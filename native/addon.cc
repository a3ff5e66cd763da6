// The only file that knows N-API: converts validated options into a request, runs the pure
// readers (on the libuv threadpool for the async forms) and hands columns to JS as typed arrays.
#include <napi.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "aggregate/group_counter.h"
#include "events/close_events.h"
#include "netns.h"
#include "partition/partitioned_reader.h"
#include "process_map.h"
#include "queue_of.h"
#include "reader.h"
#include "table/columns.h"
#include "table/socket_table.h"
#include "unix/unix_reader.h"

namespace sockscope {
namespace {

// countBy's keys and prefix lengths, as validated in TS; top = 0 keeps every group.
struct GroupRequest {
  aggregate::GroupSpec spec;
  size_t top = 0;
};

struct Request {
  ReadRequest read;
  bool processes = false;    // also find each socket's owning processes (snapshot's processes: true)
  std::string process_root;  // where the process directories are: /proc, or a recorded tree
  std::string netns;         // a namespace file to read inside, or empty for the caller's
  GroupRequest group;        // countBy's
  // The environment's partition threads and learned splits; shared so that a read still
  // running when the environment goes away keeps them alive until it ends.
  std::shared_ptr<PartitionedReader> parts;
  // Who splits a dump: none inside another namespace, where the threads of `parts` are not.
  PartitionedReader* splitter() const { return netns.empty() ? parts.get() : nullptr; }
};

Source source_of(const std::string& s) {
  return s == "netlink" ? Source::kNetlink : s == "proc" ? Source::kProc : Source::kAuto;
}

uint32_t u32(const Napi::Object& o, const char* key) {
  return o.Get(key).As<Napi::Number>().Uint32Value();
}

// [lo, hi, lo, hi, ...] as validated in TS.
std::vector<PortRange> port_ranges(const Napi::Object& o, const char* key) {
  Napi::Array a = o.Get(key).As<Napi::Array>();
  std::vector<PortRange> out;
  for (uint32_t i = 0; i + 1 < a.Length(); i += 2) {
    out.push_back({static_cast<uint16_t>(a.Get(i).As<Napi::Number>().Uint32Value()),
                   static_cast<uint16_t>(a.Get(i + 1).As<Napi::Number>().Uint32Value())});
  }
  return out;
}

GroupRequest parse_groups(const Napi::Object& o) {
  GroupRequest g;
  Napi::Array keys = o.Get("groupKeys").As<Napi::Array>();
  for (uint32_t i = 0; i < keys.Length(); ++i)
    g.spec.keys.push_back(static_cast<aggregate::Key>(keys.Get(i).As<Napi::Number>().Uint32Value()));
  g.spec.prefix4 = static_cast<uint8_t>(u32(o, "prefix4"));
  g.spec.prefix6 = static_cast<uint8_t>(u32(o, "prefix6"));
  g.top = u32(o, "top");
  return g;
}

Request parse_request(const Napi::Object& o) {
  Request r;
  r.read.source = source_of(o.Get("source").As<Napi::String>().Utf8Value());
  r.read.tables = static_cast<TableMask>(u32(o, "tables"));
  r.read.optional_tables = static_cast<TableMask>(u32(o, "optionalTables"));
  r.read.states = u32(o, "states");
  r.read.ports.local = port_ranges(o, "localPorts");
  r.read.ports.remote = port_ranges(o, "remotePorts");
  if (o.Get("bytecode").IsTypedArray()) {
    Napi::Uint8Array b = o.Get("bytecode").As<Napi::Uint8Array>();
    r.read.expression.assign(b.Data(), b.Data() + b.ByteLength());
  }
  r.read.proc_root = o.Get("procRoot").As<Napi::String>().Utf8Value();
  r.read.info = o.Get("info").ToBoolean().Value();
  r.read.memory = o.Get("memory").ToBoolean().Value();
  r.read.cookie = o.Get("cookie").ToBoolean().Value();
  if (o.Get("replayFile").IsString()) r.read.replay_file = o.Get("replayFile").As<Napi::String>().Utf8Value();
  if (o.Get("recordFile").IsString()) r.read.record_file = o.Get("recordFile").As<Napi::String>().Utf8Value();
  r.processes = o.Get("processes").ToBoolean().Value();
  if (r.processes) r.process_root = o.Get("processRoot").As<Napi::String>().Utf8Value();
  if (o.Get("netns").IsString()) {
    r.netns = o.Get("netns").As<Napi::String>().Utf8Value();
    r.read.proc_root = netns::kThreadProcNet;  // read by the thread that joined the namespace
  }
  r.read.partitions = u32(o, "partitions");
  if (o.Has("groupKeys")) r.group = parse_groups(o);
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
// (A column in a table's region keeps the region alive until its ArrayBuffer is collected.)
template <typename T, typename A>
Napi::ArrayBuffer give_buffer(Napi::Env env, std::vector<T, A>&& v) {
  if (v.empty()) return Napi::ArrayBuffer::New(env, 0);
  auto* owned = new std::vector<T, A>(std::move(v));
  return Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                [](Napi::Env, void*, std::vector<T, A>* p) { delete p; }, owned);
}

template <typename T, typename A>
Napi::Value column(Napi::Env env, std::vector<T, A>&& v) {
  size_t n = v.size();
  return Napi::TypedArrayOf<T>::New(env, n, give_buffer(env, std::move(v)), 0);
}

// uint64_t has no TypedArrayOf<> mapping of its own in node-addon-api: BigUint64Array by hand.
Napi::Value cookie_column(Napi::Env env, Column<uint64_t>&& v) {
  size_t n = v.size();
  return Napi::TypedArrayOf<uint64_t>::New(env, n, give_buffer(env, std::move(v)), 0,
                                           napi_biguint64_array);
}

// An extension group's columns (table/columns.h) by their JS names.
template <typename Columns, size_t N>
Napi::Object group_to_js(Napi::Env env, Columns& c, const NamedColumn<Columns> (&fields)[N]) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& f : fields) o.Set(f.name, column(env, std::move(c.*f.column)));
  return o;
}

Napi::Object info_to_js(Napi::Env env, TcpInfoColumns&& i) {
  Napi::Object o = group_to_js(env, i, kInfoColumns);
  o.Set("congestion", column(env, std::move(i.congestion)));
  Napi::Array names = Napi::Array::New(env, i.congestion_names.size());
  for (uint32_t k = 0; k < i.congestion_names.size(); ++k) names.Set(k, i.congestion_names[k]);
  o.Set("congestionNames", names);
  return o;
}

Napi::Object table_to_js(Napi::Env env, SocketTable&& t, Source source, bool cookie) {
  Napi::Object cols = Napi::Object::New(env);
#define SOCKSCOPE_BASE_TO_JS(member, js, type, width) cols.Set(js, column(env, std::move(t.member)));
  SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_BASE_TO_JS)
#undef SOCKSCOPE_BASE_TO_JS
  if (cookie && source == Source::kNetlink) cols.Set("cookie", cookie_column(env, std::move(t.cookie)));
  if (t.has_info) cols.Set("info", info_to_js(env, std::move(t.info)));
  if (t.has_memory) cols.Set("memory", group_to_js(env, t.memory, kMemoryColumns));
  return cols;
}

// The typed array JS gets for a column of T.
template <typename T>
constexpr const char* typed_array_name() {
  if constexpr (std::is_same_v<T, uint8_t>) return "Uint8Array";
  if constexpr (std::is_same_v<T, uint16_t>) return "Uint16Array";
  if constexpr (std::is_same_v<T, uint32_t>) return "Uint32Array";
  if constexpr (std::is_same_v<T, double>) return "Float64Array";
}

Napi::Object schema_entry(Napi::Env env, const char* name, const char* type) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", name);
  o.Set("type", type);
  return o;
}

template <typename Columns, size_t N>
Napi::Array group_schema(Napi::Env env, const NamedColumn<Columns> (&fields)[N]) {
  Napi::Array a = Napi::Array::New(env, N);
  for (uint32_t i = 0; i < N; ++i) a.Set(i, schema_entry(env, fields[i].name, typed_array_name<double>()));
  return a;
}

// binding.schema: the columns' JS names and typed arrays, in order, for the TS types' test.
Napi::Object schema_to_js(Napi::Env env) {
  Napi::Array base = Napi::Array::New(env);
#define SOCKSCOPE_BASE_SCHEMA(member, js, type, width) \
  base.Set(base.Length(), schema_entry(env, js, typed_array_name<type>()));
  SOCKSCOPE_BASE_COLUMNS(SOCKSCOPE_BASE_SCHEMA)
#undef SOCKSCOPE_BASE_SCHEMA
  Napi::Object schema = Napi::Object::New(env);
  schema.Set("base", base);
  schema.Set("info", group_schema(env, kInfoColumns));
  schema.Set("memory", group_schema(env, kMemoryColumns));
  return schema;
}

// How a netlink dump went: the figures a caller checks the kernel's filtering and retries by.
Napi::Object outcome_to_js(Napi::Env env, const ReadOutcome& o) {
  Napi::Object d = Napi::Object::New(env);
  d.Set("restarts", o.restarts);
  d.Set("filteredInUserspace", o.filtered_in_userspace);
  d.Set("combinedFamily", o.combined_family);
  d.Set("partitions", o.partitions);
  d.Set("establishedCounter", o.established_counter);
  d.Set("timeWaitCounter", o.time_wait_counter);
  return d;
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
  ReadOutcome outcome;
  procs::OwnerScan owners;
  Error err;
  void run() {
    err = guarded([&] {
      return in_namespace(req, [&] {
        Error e = read_table(req.read, table, outcome, req.splitter());
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
    out.Set("source", source_name(outcome.source));
    out.Set("inconsistent", outcome.inconsistent);
    if (outcome.source == Source::kNetlink) out.Set("dump", outcome_to_js(env, outcome));
    out.Set("columns", table_to_js(env, std::move(table), outcome.source, req.read.cookie));
    return out;
  }
};

// The ranked groups in order, each key `width` bytes with the keys at `offsets`, and what `top`
// left out. Copied out of the counter on the worker thread, whose tables are freed there too: the
// event loop only wraps two columns.
struct RankedGroups {
  size_t width = 0;
  std::vector<size_t> offsets;
  std::vector<uint8_t> keys;
  std::vector<double> counts;
  uint64_t other_count = 0, other_groups = 0, total = 0;
};

RankedGroups take_ranked(aggregate::GroupCounter& c, size_t top) {
  aggregate::Ranking r = c.rank(top);
  RankedGroups out;
  out.width = c.width();
  for (size_t i = 0; i < c.spec().keys.size(); ++i) out.offsets.push_back(c.offset(i));
  out.keys.resize(r.groups.size() * c.width());
  out.counts.resize(r.groups.size());
  for (size_t i = 0; i < r.groups.size(); ++i) {
    std::memcpy(out.keys.data() + i * c.width(), c.key(r.groups[i]), c.width());
    out.counts[i] = static_cast<double>(c.count(r.groups[i]));
  }
  out.other_count = r.other_count, out.other_groups = r.other_groups, out.total = r.total;
  c = aggregate::GroupCounter(c.spec());
  return out;
}

Napi::Object groups_to_js(Napi::Env env, RankedGroups&& g) {
  Napi::Array offsets = Napi::Array::New(env, g.offsets.size());
  for (uint32_t i = 0; i < g.offsets.size(); ++i) offsets.Set(i, static_cast<double>(g.offsets[i]));
  Napi::Object out = Napi::Object::New(env);
  out.Set("width", static_cast<double>(g.width));
  out.Set("offsets", offsets);
  out.Set("keys", column(env, std::move(g.keys)));
  out.Set("counts", column(env, std::move(g.counts)));
  out.Set("otherCount", static_cast<double>(g.other_count));
  out.Set("otherGroups", static_cast<double>(g.other_groups));
  out.Set("total", static_cast<double>(g.total));
  return out;
}

struct CountJob {
  explicit CountJob(Request r) : req(std::move(r)) {}
  Request req;
  StateCounts counts{};
  ReadOutcome outcome;
  Error err;
  void run() {
    err = guarded([&] { return in_namespace(req, [&] { return count_states(req.read, counts, outcome, req.splitter(), &req.parts->established_counter(),
                                                                   &req.parts->time_wait_counter()); }); });
  }
  Napi::Value result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("source", source_name(outcome.source));
    out.Set("inconsistent", outcome.inconsistent);
    if (outcome.source == Source::kNetlink) out.Set("dump", outcome_to_js(env, outcome));
    out.Set("counts", counts_to_js(env, counts));
    return out;
  }
};

struct GroupJob {
  explicit GroupJob(Request r) : req(std::move(r)), counter(req.group.spec) {}
  Request req;
  aggregate::GroupCounter counter;
  RankedGroups groups;
  ReadOutcome outcome;
  Error err;
  void run() {
    err = guarded([&] { return in_namespace(req, [&] { return count_groups(req.read, counter, outcome, req.splitter()); }); });
    if (!err) err = guarded([&] { return groups = take_ranked(counter, req.group.top), Error{}; });
  }
  Napi::Value result(Napi::Env env) {
    Napi::Object out = groups_to_js(env, std::move(groups));
    out.Set("source", source_name(outcome.source));
    out.Set("inconsistent", outcome.inconsistent);
    if (outcome.source == Source::kNetlink) out.Set("dump", outcome_to_js(env, outcome));
    return out;
  }
};

std::shared_ptr<PartitionedReader> partitioned_reader(Napi::Env env);

Request request_of(const Napi::CallbackInfo& info) {
  Request r = parse_request(info[0].As<Napi::Object>());
  // Partition threads live in the caller's namespace, and a netlink socket belongs to the
  // namespace of the thread that opens it: a read inside another namespace takes one dump
  // (splitter()), though it shares the counter's trust.
  r.parts = partitioned_reader(info.Env());
  return r;
}

// The job of a call: built from the read request, unless the job says otherwise (UnixJob).
template <typename Job>
Job job_of(const Napi::CallbackInfo& info) {
  return Job(request_of(info));
}

template <typename Job>
Napi::Value run_sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Job job = job_of<Job>(info);
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
  Worker(Napi::Env env, Job job)
      : Napi::AsyncWorker(env, "sockscope"), deferred_(env), job_(std::move(job)) {}
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
  auto* worker = new Worker<Job>(info.Env(), job_of<Job>(info));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// UNIX sockets (unixSockets / unixSocketsSync): the unix_diag or /proc/net/unix table, and with
// `processes` its owners, read by the same job in both forms.
struct UnixJob {
  unix_sock::UnixRequest req;
  bool processes = false;
  std::string process_root;
  std::string netns;  // a namespace file to read inside, or empty for the caller's
  unix_sock::UnixTable table;
  unix_sock::UnixOutcome outcome;
  procs::OwnerScan owners;
  Error err;
  void run() {
    auto read = [&] {
      Error e = unix_sock::read_unix(req, table, outcome);
      if (!e && processes) e = procs::scan_owners(table.inode, process_root, owners);
      return e;
    };
    err = guarded([&] { return netns.empty() ? read() : netns::run_in(netns, read); });
  }
  Napi::Value result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("length", static_cast<double>(table.size()));
    Napi::Object cols = Napi::Object::New(env);
    cols.Set("type", column(env, std::move(table.type)));
    cols.Set("state", column(env, std::move(table.state)));
    cols.Set("inode", column(env, std::move(table.inode)));
    cols.Set("peerInode", column(env, std::move(table.peer_inode)));
    cols.Set("recvQ", column(env, std::move(table.recv_q)));
    cols.Set("sendQ", column(env, std::move(table.send_q)));
    cols.Set("uid", column(env, std::move(table.uid)));
    cols.Set("nameStart", column(env, std::move(table.name_start)));
    cols.Set("nameBytes", column(env, std::move(table.name_bytes)));
    out.Set("source", source_name(outcome.source));
    out.Set("inconsistent", outcome.inconsistent);
    out.Set("restarts", outcome.restarts);
    out.Set("columns", cols);
    if (processes) out.Set("owners", owners_to_js(env, std::move(owners)));
    return out;
  }
};

// { source, states, procRoot, netns?, processes, processRoot }, validated in TS.
template <>
UnixJob job_of<UnixJob>(const Napi::CallbackInfo& info) {
  Napi::Object o = info[0].As<Napi::Object>();
  UnixJob job;
  job.req.source = source_of(o.Get("source").As<Napi::String>().Utf8Value());
  job.req.states = u32(o, "states");
  job.req.proc_root = o.Get("procRoot").As<Napi::String>().Utf8Value();
  job.processes = o.Get("processes").ToBoolean().Value();
  if (job.processes) job.process_root = o.Get("processRoot").As<Napi::String>().Utf8Value();
  if (o.Get("netns").IsString()) {
    job.netns = o.Get("netns").As<Napi::String>().Utf8Value();
    job.req.proc_root = netns::kThreadProcNet;  // read by the thread that joined the namespace
  }
  return job;
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

// ---- close events: a handle whose next() waits on the netlink fd with a uv_poll ----
// The poll runs only while a next() is pending, so the loop sleeps in epoll beside its other
// fds: no threadpool thread is held however long no socket closes (a blocking recv there would
// pin one of the pool's four threads per stream, and starve fs and dns work), and a pending
// next() keeps the process alive as a pending socket read does. When the fd is readable, a
// non-blocking recvmmsg and the parse of at most batchSize events run on the JS thread: a few
// microseconds per event, and filtered events never become JS values.
class EventsHandle : public Napi::ObjectWrap<EventsHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Events", {InstanceMethod("next", &EventsHandle::Next), InstanceMethod("close", &EventsHandle::CloseJs)});
  }

  explicit EventsHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EventsHandle>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    req_.filter.tables = static_cast<TableMask>(u32(o, "tables"));
    req_.filter.states = u32(o, "states");
    req_.filter.ports.local = port_ranges(o, "localPorts");
    req_.filter.ports.remote = port_ranges(o, "remotePorts");
    req_.receive_buffer = static_cast<int>(u32(o, "receiveBuffer"));
    req_.max_batch = u32(o, "batchSize");
    int fd = -1, granted = 0;
    if (Error err = events::open_events_socket(req_, fd, granted)) throw to_js_error(env, err);
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new Poll{{}, fd, this};
    uv_poll_init(loop, &poll_->handle, fd);
    poll_->handle.data = poll_;
    napi_add_async_cleanup_hook(env, &EventsHandle::OnEnvCleanup, this, &cleanup_);
    info.This().As<Napi::Object>().Set("receiveBuffer", granted);
  }
  ~EventsHandle() override { Release(); }

 private:
  struct Poll {
    uv_poll_t handle;
    int fd;
    EventsHandle* owner;  // null once the handle is released
    napi_async_cleanup_hook_handle teardown = nullptr;  // the environment's, waiting for us
  };

  // next(): a promise of the next batch with at least one event or new losses, or of
  // { closed: true } once close() ran.
  Napi::Value Next(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    if (pending_) throw Napi::Error::New(env, "close events: next() called while another next() is pending");
    if (!poll_) return deferred.Resolve(closed_result(env)), deferred.Promise();
    pending_ = std::make_unique<Napi::Promise::Deferred>(deferred);
    Ref();
    if (!Settle(env)) uv_poll_start(&poll_->handle, UV_READABLE, &EventsHandle::OnReadable);
    return deferred.Promise();
  }

  Napi::Value CloseJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Release();
    if (pending_) Finish([&](Napi::Promise::Deferred& d) { d.Resolve(closed_result(env)); });
    return env.Undefined();
  }

  static void OnReadable(uv_poll_t* h, int status, int) {
    Poll* p = static_cast<Poll*>(h->data);
    if (!p->owner || !p->owner->pending_) return;
    EventsHandle& self = *p->owner;
    Napi::Env env = self.Env();
    Napi::HandleScope scope(env);
    Napi::CallbackScope callback(env, self.context_);
    if (status < 0) {
      Error e{-status, uv_err_name(status), "epoll_wait", std::string("close events: waiting: ") + uv_strerror(status)};
      return self.Finish([&](Napi::Promise::Deferred& d) { d.Reject(to_js_error(env, e).Value()); });
    }
    if (self.Settle(env) && self.poll_) uv_poll_stop(&self.poll_->handle);
  }

  // Reads what is queued; settles the pending promise and returns true when there is
  // something to hand over (events, new losses or an error).
  bool Settle(Napi::Env env) {
    events::start_batch(batch_);
    Error err = guarded([&] { return events::read_events(poll_->fd, req_, buf_, batch_); });
    if (err) {
      Finish([&](Napi::Promise::Deferred& d) { d.Reject(to_js_error(env, err).Value()); });
      return true;
    }
    if (batch_.table.size() == 0 && batch_.lost == reported_lost_ && batch_.overruns == 0) return false;
    reported_lost_ = batch_.lost;
    Napi::Object out = Napi::Object::New(env);
    out.Set("length", static_cast<double>(batch_.table.size()));
    out.Set("lost", static_cast<double>(batch_.lost));
    out.Set("overruns", batch_.overruns);
    out.Set("filtered", batch_.filtered);
    out.Set("closed", false);
    out.Set("columns", table_to_js(env, std::move(batch_.table), Source::kNetlink, true));
    Finish([&](Napi::Promise::Deferred& d) { d.Resolve(out); });
    return true;
  }

  template <typename F>
  void Finish(F&& settle) {
    auto d = std::move(pending_);
    Unref();
    settle(*d);
  }

  static Napi::Object closed_result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("closed", true);
    return out;
  }

  // The environment is going away (a Worker ends): close as close() does, and let it go on
  // only once libuv has run our close callback, before the addon may be unloaded.
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* self) {
    static_cast<EventsHandle*>(self)->Release(hook);
  }

  // Stops the poll and closes the fd (once libuv has let go of it); idempotent. `teardown` is
  // the environment's cleanup hook when it calls, else ours is removed here.
  void Release(napi_async_cleanup_hook_handle teardown = nullptr) {
    if (!poll_) return;
    if (!teardown) napi_remove_async_cleanup_hook(cleanup_);
    poll_->owner = nullptr;
    poll_->teardown = teardown;
    // The fd outlives the poll: libuv must stop watching it before it is closed.
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle), [](uv_handle_t* h) {
      Poll* p = static_cast<Poll*>(h->data);
      close(p->fd);
      if (p->teardown) napi_remove_async_cleanup_hook(p->teardown);
      delete p;
    });
    poll_ = nullptr;
  }

  events::EventsRequest req_;
  std::vector<uint8_t> buf_;
  events::EventBatch batch_;
  uint64_t reported_lost_ = 0;
  Poll* poll_ = nullptr;
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  std::unique_ptr<Napi::Promise::Deferred> pending_;
  Napi::AsyncContext context_{Env(), "sockscope.events"};
};

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        InstanceMethod("read", &Addon::Read),
        InstanceMethod("readAsync", &Addon::ReadAsync),
        InstanceMethod("count", &Addon::Count),
        InstanceMethod("countAsync", &Addon::CountAsync),
        InstanceMethod("countBy", &Addon::CountBy),
        InstanceMethod("countByAsync", &Addon::CountByAsync),
        InstanceMethod("queueOf", &Addon::QueueOf),
        InstanceMethod("readUnix", &Addon::ReadUnix),
        InstanceMethod("readUnixAsync", &Addon::ReadUnixAsync),
    });
    exports.Set("schema", schema_to_js(env));
    exports.Set("Events", EventsHandle::Define(env));
  }
  // Deleted with the environment (Napi::Addon instance data): the threads are joined then,
  // or when the last read still running ends.
  std::shared_ptr<PartitionedReader> parts = std::make_shared<PartitionedReader>();

 private:
  Napi::Value Read(const Napi::CallbackInfo& info) { return run_sync<ReadJob>(info); }
  Napi::Value ReadAsync(const Napi::CallbackInfo& info) { return run_async<ReadJob>(info); }
  Napi::Value Count(const Napi::CallbackInfo& info) { return run_sync<CountJob>(info); }
  Napi::Value CountAsync(const Napi::CallbackInfo& info) { return run_async<CountJob>(info); }
  Napi::Value CountBy(const Napi::CallbackInfo& info) { return run_sync<GroupJob>(info); }
  Napi::Value CountByAsync(const Napi::CallbackInfo& info) { return run_async<GroupJob>(info); }
  Napi::Value QueueOf(const Napi::CallbackInfo& info) { return queue_of(info); }
  Napi::Value ReadUnix(const Napi::CallbackInfo& info) { return run_sync<UnixJob>(info); }
  Napi::Value ReadUnixAsync(const Napi::CallbackInfo& info) { return run_async<UnixJob>(info); }
};

std::shared_ptr<PartitionedReader> partitioned_reader(Napi::Env env) {
  return env.GetInstanceData<Addon>()->parts;
}

}  // namespace
}  // namespace sockscope

using sockscope::Addon;
NODE_API_ADDON(Addon)
