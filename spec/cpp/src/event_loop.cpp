// AbstractEventLoop's default implementations: the methods the PEP defines
// in terms of the primitives, written once for every loop.
#include "pep3156/event_loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include "pep3156/socket_api.hpp"
#include "pep3156/tasks.hpp"

namespace pep3156 {

namespace {
bool debug_from_environment() {
  const char* value = std::getenv("PEP3156_DEBUG");
  return value != nullptr && value[0] != '\0';
}
}  // namespace

AbstractEventLoop::AbstractEventLoop() : debug_(debug_from_environment()) {}

AbstractEventLoop::~AbstractEventLoop() {
  release_tasks();
  if (default_executor_) default_executor_->shutdown(true);
}

void AbstractEventLoop::not_implemented(const char* method) {
  throw NotImplementedError(std::string(method) + " is not supported by this event loop");
}

// --- Starting and stopping -------------------------------------------------

void AbstractEventLoop::check_can_run(const char* method) const {
  if (is_closed()) throw RuntimeError(std::string(method) + ": the event loop is closed");
  if (is_running()) throw RuntimeError(std::string(method) + ": the event loop is already running");
}

void AbstractEventLoop::run_until_complete(const FuturePtr& future) {
  check_can_run("run_until_complete()");
  // The done-callback stops the loop. `armed` disarms it once this call
  // returns, however it returns, so a stop scheduled but not yet run when
  // run_forever() exits with an exception cannot stop a later run.
  auto armed = std::make_shared<bool>(true);
  CallbackId stopper = future->add_done_callback([this, armed](const FuturePtr&) {
    if (*armed) stop();
  });
  try {
    run_forever();
  } catch (...) {
    *armed = false;
    future->remove_done_callback(stopper);
    throw;
  }
  *armed = false;
  future->remove_done_callback(stopper);
  if (!future->done()) throw RuntimeError("Event loop stopped before Future completed.");
  future->result_value();  // rethrows the Future's exception
}

// --- Timed callbacks -----------------------------------------------------------

TimerHandle AbstractEventLoop::call_later(double delay, Callback callback) {
  return call_at(time() + delay, std::move(callback));
}

namespace {
/// call_repeatedly()'s handle: one TimerHandle the caller holds, standing for
/// a chain of call_at() timers, each scheduling the next. The callback lives
/// in this HandleState, so run() keeps it safe from a cancel() by itself.
///
/// Ownership runs one way: the loop's pending timer owns this object, which
/// refers to that timer weakly. The repetition goes on when the caller drops
/// the handle, and nothing is left when the loop drops its timers.
class RepeatingTimer final : public TimerHandleState {
 public:
  RepeatingTimer(AbstractEventLoop& loop, double interval, double first, Callback callback)
      : TimerHandleState(first, std::move(callback)), loop_(loop), interval_(interval) {}

  static void schedule(const std::shared_ptr<RepeatingTimer>& self) {
    self->current_ = self->loop_.call_at(self->when(), [self] { fire(self); }).state();
  }

 private:
  static void fire(const std::shared_ptr<RepeatingTimer>& self) {
    // The seed draft: "If for whatever reason the callback happens later
    // than scheduled, subsequent callbacks will be delayed for (at least)
    // the same amount": the next deadline counts from now, not from when.
    double started = self->loop_.time();
    self->run();  // an exception ends the repetition and reaches the handler
    if (self->cancelled()) return;
    self->set_when(started + self->interval_);
    schedule(self);
  }
  void on_cancel() noexcept override {
    if (auto timer = current_.lock()) timer->cancel();
  }

  AbstractEventLoop& loop_;
  double interval_;
  std::weak_ptr<HandleState> current_;
};
}  // namespace

TimerHandle AbstractEventLoop::call_repeatedly(double interval, Callback callback) {
  if (!(interval > 0)) throw ValueError("call_repeatedly(): interval must be > 0");
  auto timer = std::make_shared<RepeatingTimer>(*this, interval, time() + interval, std::move(callback));
  RepeatingTimer::schedule(timer);
  return TimerHandle(timer);
}

// --- Thread interaction ----------------------------------------------------------

std::shared_ptr<Executor> AbstractEventLoop::default_executor() {
  if (!default_executor_) default_executor_ = std::make_shared<ThreadPoolExecutor>();
  return default_executor_;
}

void AbstractEventLoop::shutdown_default_executor() {
  if (auto executor = std::exchange(default_executor_, nullptr)) executor->shutdown(true);
}

void AbstractEventLoop::set_default_executor(std::shared_ptr<Executor> executor) {
  default_executor_ = std::move(executor);
}

FuturePtr AbstractEventLoop::run_in_executor(std::shared_ptr<Executor> executor,
                                             UniqueFunction<Value()> work) {
  if (is_closed()) throw RuntimeError("run_in_executor(): the event loop is closed");
  FuturePtr future = create_future();
  if (!executor) executor = default_executor();
  // The worker never touches the Future: it hands the outcome, and its
  // reference to the Future, to the loop's thread with
  // call_soon_threadsafe(), the one thread-safe method. So the Future is
  // never destroyed on the worker (that would report an unretrieved
  // exception from there), however long the executor keeps the spent call.
  std::weak_ptr<AbstractEventLoop> weak_loop = weak_from_this();
  AbstractEventLoop* loop = this;
  bool shared_owned = !weak_loop.expired();
  executor->submit([loop, weak_loop, shared_owned, future, work = std::move(work)]() mutable {
    Value result;
    std::exception_ptr failure;
    try {
      result = work();
    } catch (...) {
      failure = std::current_exception();
    }
    // Moved, not copied: the loop's thread holds the only reference to the
    // exception from here on (a copy released here would race, as TSan
    // sees it, with the loop's thread reading the exception).
    auto deliver = [future = std::move(future), result = std::move(result),
                    failure = std::move(failure)]() mutable {
      if (future->done()) return;  // cancelled meanwhile
      if (failure) {
        future->set_exception(failure);
      } else {
        future->set_result_value(std::move(result));
      }
    };
    // A loop owned by a shared_ptr is pinned while we post to it (and one
    // already destroyed is skipped); a loop closed meanwhile refuses the
    // post, and the outcome is dropped with the Future nobody can await.
    auto pinned = weak_loop.lock();
    if (shared_owned && !pinned) return;
    try {
      loop->call_soon_threadsafe(std::move(deliver));
    } catch (const RuntimeError&) {
    }
  });
  return future;
}

// --- Name lookups ----------------------------------------------------------------

std::vector<AddrInfo> getaddrinfo_blocking(const std::string& host, const std::string& port,
                                           const GetAddrInfoOptions& options) {
  addrinfo hints{};
  hints.ai_family = options.family;
  hints.ai_socktype = options.type;
  hints.ai_protocol = options.proto;
  hints.ai_flags = options.flags;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.empty() ? nullptr : port.c_str(), &hints,
                         &list);
#ifdef EAI_SYSTEM  // POSIX only: Windows returns the error itself
  if (rc == EAI_SYSTEM) throw_errno("getaddrinfo");
#endif
  if (rc != 0) throw std::system_error(rc, gai_category(), "getaddrinfo(" + host + ", " + port + ")");
  std::vector<AddrInfo> result;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    result.push_back(AddrInfo{ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                              ai->ai_canonname ? ai->ai_canonname : "",
                              SocketAddress(ai->ai_addr, ai->ai_addrlen)});
  }
  ::freeaddrinfo(list);
  return result;
}

Future<std::vector<AddrInfo>> AbstractEventLoop::getaddrinfo(std::string host, std::string port,
                                                             GetAddrInfoOptions options) {
  // PEP 3156: "The default implementation calls socket.getaddrinfo() using
  // run_in_executor()".
  return run_in_executor(nullptr, [host = std::move(host), port = std::move(port), options] {
    return getaddrinfo_blocking(host, port, options);
  });
}

Future<NameInfo> AbstractEventLoop::getnameinfo(SocketAddress address, int flags) {
  return run_in_executor(nullptr, [address, flags] {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    int rc = ::getnameinfo(address.data(), address.size(), host, sizeof host, service, sizeof service, flags);
#ifdef EAI_SYSTEM
    if (rc == EAI_SYSTEM) throw_errno("getnameinfo");
#endif
    if (rc != 0) throw std::system_error(rc, gai_category(), "getnameinfo");
    return NameInfo{host, service};
  });
}

// --- Optional categories: NotImplementedError unless a loop overrides --------------

Future<StreamConnection> AbstractEventLoop::create_unix_connection(ProtocolFactory, std::string,
                                                                   ConnectionOptions) {
  not_implemented("create_unix_connection()");
}
Future<std::shared_ptr<Server>> AbstractEventLoop::create_unix_server(ProtocolFactory, std::string,
                                                                      ServerOptions) {
  not_implemented("create_unix_server()");
}
void AbstractEventLoop::add_reader(int, Callback) { not_implemented("add_reader()"); }
bool AbstractEventLoop::remove_reader(int) { not_implemented("remove_reader()"); }
void AbstractEventLoop::add_writer(int, Callback) { not_implemented("add_writer()"); }
bool AbstractEventLoop::remove_writer(int) { not_implemented("remove_writer()"); }
Future<ReadPipeConnection> AbstractEventLoop::connect_read_pipe(ProtocolFactory, Socket) {
  not_implemented("connect_read_pipe()");
}
Future<WritePipeConnection> AbstractEventLoop::connect_write_pipe(BaseProtocolFactory, Socket) {
  not_implemented("connect_write_pipe()");
}
Future<SubprocessConnection> AbstractEventLoop::subprocess_shell(SubprocessProtocolFactory, std::string,
                                                                 SubprocessOptions) {
  not_implemented("subprocess_shell()");
}
Future<SubprocessConnection> AbstractEventLoop::subprocess_exec(SubprocessProtocolFactory,
                                                                std::vector<std::string>, SubprocessOptions) {
  not_implemented("subprocess_exec()");
}
void AbstractEventLoop::add_signal_handler(int, Callback) { not_implemented("add_signal_handler()"); }
bool AbstractEventLoop::remove_signal_handler(int) { not_implemented("remove_signal_handler()"); }

// --- Futures and Tasks ------------------------------------------------------------

FuturePtr AbstractEventLoop::create_future() { return std::make_shared<StandardFuture>(*this); }

FuturePtr AbstractEventLoop::create_task(ErasedCoroutine coroutine) {
  if (is_closed()) throw RuntimeError("create_task(): the event loop is closed");
  if (task_factory_) return task_factory_(*this, std::move(coroutine));
  return StandardTask::start(*this, std::move(coroutine));
}

void AbstractEventLoop::set_task_factory(TaskFactory factory) { task_factory_ = std::move(factory); }
TaskFactory AbstractEventLoop::get_task_factory() const { return task_factory_; }

// --- Error handling and debug mode ------------------------------------------------

ExceptionHandler AbstractEventLoop::get_exception_handler() const { return exception_handler_; }

void AbstractEventLoop::set_exception_handler(ExceptionHandler handler) {
  exception_handler_ = std::move(handler);
}

void AbstractEventLoop::default_exception_handler(const ExceptionContext& context) {
  std::fprintf(stderr, "pep3156: %s\n", describe(context).c_str());
}

void AbstractEventLoop::call_exception_handler(const ExceptionContext& context) {
  if (!exception_handler_) {
    default_exception_handler(context);
    return;
  }
  try {
    exception_handler_(*this, context);
  } catch (const std::exception&) {
    ExceptionContext nested;
    nested.message = "Unhandled error in exception handler";
    nested.exception = std::current_exception();
    nested.extra["context"] = describe(context);
    default_exception_handler(nested);
  }
}

bool AbstractEventLoop::get_debug() const { return debug_; }
void AbstractEventLoop::set_debug(bool enabled) { debug_ = enabled; }

}  // namespace pep3156
