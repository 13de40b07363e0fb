// AbstractEventLoop (PEP 3156, "Event Loop Interface").
//
// Every method of the final PEP, grouped by the PEP's categories, plus the
// seed draft's call_repeatedly(), start_serving()/stop_serving() and
// wrap_future(). Three kinds of member:
//
//   = 0        a primitive: each loop implements it.
//   virtual    a default implementation written in terms of the primitives
//              (the PEP's own definitions: call_later() is call_at(time() +
//              delay), getaddrinfo() runs in the executor, ...); a loop may
//              override it.
//   template   typed or bound-argument conveniences over the virtuals. A
//              loop class that overrides a virtual of the same name re-exposes
//              them with `using AbstractEventLoop::call_soon;` etc.
//
// The optional categories (I/O callbacks, pipes and subprocesses, signals)
// default to NotImplementedError (PEP 3156: "If not supported, they will
// raise NotImplementedError"); the loop's adapter declares which it supports
// (Adapter::capabilities, adapter.hpp; decision D-TIER-1).
//
// Threads: a loop is used from the thread that runs it. The one exception is
// call_soon_threadsafe() ("the *only* method that is safe to call from
// another thread").
//
// What a callback may do to the loop that runs it: anything on this
// interface, including stop(), scheduling more callbacks, cancelling any
// Handle (its own too), and add_/remove_reader on any fd; not close() and
// not run_forever()/run_until_complete() (RuntimeError: the loop is running).
//
// Ownership: loops are owned by std::shared_ptr (make_shared, a policy, an
// adapter's make_loop). A loop owns its pending Tasks (TaskRegistry) and
// its default executor; Handles, Futures, Transports and Servers it returns
// are shared with the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "pep3156/address.hpp"
#include "pep3156/bytes.hpp"
#include "pep3156/coroutine.hpp"
#include "pep3156/exception_context.hpp"
#include "pep3156/executor.hpp"
#include "pep3156/future.hpp"
#include "pep3156/handle.hpp"
#include "pep3156/options.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/server.hpp"
#include "pep3156/task.hpp"
#include "pep3156/transports.hpp"
#include "pep3156/unique_function.hpp"
#include "pep3156/value.hpp"

namespace pep3156 {

template <class T, class P>
using Connection = std::pair<std::shared_ptr<T>, std::shared_ptr<P>>;
using StreamConnection = Connection<Transport, Protocol>;
using DatagramConnection = Connection<DatagramTransport, DatagramProtocol>;
using ReadPipeConnection = Connection<ReadTransport, Protocol>;
using WritePipeConnection = Connection<WriteTransport, BaseProtocol>;
using SubprocessConnection = Connection<SubprocessTransport, SubprocessProtocol>;

/// sock_accept()'s (conn, peer) pair; conn is non-blocking.
struct AcceptedSocket {
  Socket conn;
  SocketAddress peer;
};

/// Python's task factory: factory(loop, coro) returns a Future-compatible
/// object that drives the coroutine.
using TaskFactory = std::function<FuturePtr(AbstractEventLoop&, ErasedCoroutine)>;

/// socket.getaddrinfo() itself, blocking while the name service answers:
/// what the default AbstractEventLoop::getaddrinfo() runs in the executor,
/// for loops that resolve some names another way. IPv4 and IPv6 rows only;
/// std::system_error in gai_category() (errno for EAI_SYSTEM).
std::vector<AddrInfo> getaddrinfo_blocking(const std::string& host, const std::string& port,
                                           const GetAddrInfoOptions& options);

/// Seconds as a double, the PEP's unit, from any std::chrono duration.
template <class Rep, class Period>
constexpr double to_seconds(std::chrono::duration<Rep, Period> d) noexcept {
  return std::chrono::duration<double>(d).count();
}

class AbstractEventLoop : public std::enable_shared_from_this<AbstractEventLoop> {
 public:
  AbstractEventLoop();
  virtual ~AbstractEventLoop();
  AbstractEventLoop(const AbstractEventLoop&) = delete;
  AbstractEventLoop& operator=(const AbstractEventLoop&) = delete;

  // --- Starting, stopping and closing (tier R/E) ---------------------------

  /// Runs until stop() is called. RuntimeError if already running or closed.
  virtual void run_forever() = 0;
  /// Runs until `future` is done; rethrows its exception. RuntimeError if the
  /// loop is running or closed, or if it stopped before the Future was done
  /// (decision D-LIFE-3).
  virtual void run_until_complete(const FuturePtr& future);
  /// Returns the Future's result.
  template <class T>
  T run_until_complete(const Future<T>& future) {
    run_until_complete(future.state());
    return detail::take_result<T>(*future.state());
  }
  /// Wraps the coroutine in a new Task and runs it (PEP 3156: "creates a new
  /// Task object if the parameter is a coroutine").
  template <class T>
  T run_until_complete(Coroutine<T> coroutine) {
    check_can_run("run_until_complete()");  // refused: no Task is left behind
    return run_until_complete(create_task(std::move(coroutine)));
  }
  /// Stops as soon as convenient: the current callback continues, and no
  /// scheduled callback is lost; a later run goes on where this one stopped.
  virtual void stop() = 0;
  virtual bool is_running() const = 0;
  /// Releases the loop's resources (poller fd, default executor).
  /// Idempotent; RuntimeError while running.
  virtual void close() = 0;
  virtual bool is_closed() const = 0;

  // --- Basic and timed callbacks -------------------------------------------

  /// Schedules `callback` to run soon, after every callback scheduled before
  /// it (FIFO).
  virtual Handle call_soon(Callback callback) = 0;
  template <class F, class... A>
  requires(sizeof...(A) > 0) Handle call_soon(F&& f, A&&... args) {
    return call_soon(bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }

  /// Calls `callback` once, no earlier than `delay` seconds from now. Timers
  /// due at the same time run in an undefined order.
  virtual TimerHandle call_later(double delay, Callback callback);
  template <class F, class... A>
  requires(sizeof...(A) > 0) TimerHandle call_later(double delay, F&& f, A&&... args) {
    return call_later(delay, bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }
  template <class Rep, class Period, class... A>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, A&&... args) {
    return call_later(to_seconds(delay), std::forward<A>(args)...);
  }

  /// Like call_later() with an absolute time on time()'s clock.
  virtual TimerHandle call_at(double when, Callback callback) = 0;
  template <class F, class... A>
  requires(sizeof...(A) > 0) TimerHandle call_at(double when, F&& f, A&&... args) {
    return call_at(when, bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }

  /// The loop's clock, in seconds: monotonic (decision D-CB-1).
  virtual double time() = 0;

  /// Seed draft: calls `callback` every `interval` seconds until the handle
  /// is cancelled or the callback throws; a late call delays the next ones.
  /// ValueError unless interval > 0.
  virtual TimerHandle call_repeatedly(double interval, Callback callback);
  template <class F, class... A>
  requires(sizeof...(A) > 0) TimerHandle call_repeatedly(double interval, F&& f, A&&... args) {
    return call_repeatedly(interval, bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }

  // --- Thread interaction --------------------------------------------------

  /// call_soon() from any thread; wakes a loop blocked polling for I/O.
  virtual Handle call_soon_threadsafe(Callback callback) = 0;
  template <class F, class... A>
  requires(sizeof...(A) > 0) Handle call_soon_threadsafe(F&& f, A&&... args) {
    return call_soon_threadsafe(bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }

  /// Runs `work` on `executor` (null: the default executor) and resolves the
  /// returned Future on this loop with its outcome.
  virtual FuturePtr run_in_executor(std::shared_ptr<Executor> executor, UniqueFunction<Value()> work);
  template <class F, class... A>
  auto run_in_executor(std::shared_ptr<Executor> executor, F&& f, A&&... args)
      -> Future<std::invoke_result_t<std::decay_t<F>&, std::decay_t<A>&...>> {
    using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<A>&...>;
    auto bound = bind_callback_returning<R>(std::forward<F>(f), std::forward<A>(args)...);
    return Future<R>(run_in_executor(std::move(executor), std::move(bound)));
  }
  /// Null resets to a new default ThreadPoolExecutor on next use.
  virtual void set_default_executor(std::shared_ptr<Executor> executor);

  /// Seed draft (loop.wrap_future): a Future on this loop resolved with the
  /// std::future's outcome, waited for on the default executor.
  template <class T>
  Future<T> wrap_future(std::future<T> future) {
    return run_in_executor(nullptr, [f = std::move(future)]() mutable { return f.get(); });
  }
  template <class T>
  Future<T> wrap_future(std::shared_future<T> future) {
    return run_in_executor(nullptr, [future] { return future.get(); });
  }

  // --- Internet name lookups -----------------------------------------------

  /// socket.getaddrinfo() without blocking the loop. An empty host means
  /// None; the port is a number or a service name.
  virtual Future<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port,
                                                    GetAddrInfoOptions options = {});
  virtual Future<NameInfo> getnameinfo(SocketAddress address, int flags = 0);

  // --- Internet connections ------------------------------------------------

  /// The (transport, protocol) pair, with connection_made() called
  /// (decision D-NET-1).
  virtual Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host,
                                                     std::uint16_t port, ConnectionOptions options = {}) = 0;
  virtual Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host,
                                                        std::uint16_t port, ServerOptions options = {}) = 0;
  virtual Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                              DatagramOptions options = {}) = 0;

  /// UNIX-domain streams: asyncio's extension (Category::unix_sockets).
  virtual Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                          ConnectionOptions options = {});
  virtual Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                             ServerOptions options = {});

  /// Seed draft: serve on every address of host:port; returns the listening
  /// sockets, one Server each, so stop_serving() can stop one.
  virtual Future<std::vector<ListeningSocket>> start_serving(ProtocolFactory factory, std::string host,
                                                             std::uint16_t port, ServerOptions options = {});
  /// Seed draft: stops serving on one socket start_serving() returned;
  /// accepted connections are not affected. ValueError for an unknown fd.
  virtual void stop_serving(int listening_fd);

  // --- Wrapped socket methods (non-blocking sockets only) -------------------

  virtual Future<Bytes> sock_recv(int fd, std::size_t n) = 0;
  virtual Future<void> sock_sendall(int fd, Bytes data) = 0;
  virtual Future<void> sock_connect(int fd, SocketAddress address) = 0;
  virtual Future<AcceptedSocket> sock_accept(int fd) = 0;

  // --- I/O callbacks (optional: Category::io_callbacks) ---------------------

  /// Calls `callback` whenever fd is readable, until remove_reader(fd). A
  /// second add_reader(fd) replaces the first.
  virtual void add_reader(int fd, Callback callback);
  template <class F, class... A>
  requires(sizeof...(A) > 0) void add_reader(int fd, F&& f, A&&... args) {
    add_reader(fd, bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }
  /// True if a reader was removed.
  virtual bool remove_reader(int fd);
  virtual void add_writer(int fd, Callback callback);
  template <class F, class... A>
  requires(sizeof...(A) > 0) void add_writer(int fd, F&& f, A&&... args) {
    add_writer(fd, bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }
  virtual bool remove_writer(int fd);

  // --- Pipes and subprocesses (optional: Category::pipes_subprocesses) ------

  /// `pipe` (non-blocking) is owned by the transport from now on.
  virtual Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe);
  virtual Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe);
  virtual Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory,
                                                        std::string command, SubprocessOptions options = {});
  virtual Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                                       std::vector<std::string> args,
                                                       SubprocessOptions options = {});

  // --- Signal callbacks (optional: Category::signals) ----------------------

  /// ValueError for an invalid or uncatchable signal; RuntimeError if this
  /// loop cannot handle signals (not the main thread's loop).
  virtual void add_signal_handler(int sig, Callback callback);
  template <class F, class... A>
  requires(sizeof...(A) > 0) void add_signal_handler(int sig, F&& f, A&&... args) {
    add_signal_handler(sig, bind_callback(std::forward<F>(f), std::forward<A>(args)...));
  }
  virtual bool remove_signal_handler(int sig);

  // --- Futures and Tasks ---------------------------------------------------

  /// A new pending Future on this loop (the loop may supply its own type).
  virtual FuturePtr create_future();
  template <class T>
  Future<T> create_future() {
    return Future<T>(create_future());
  }
  /// Wraps the coroutine in a Task (via the task factory, if set) and
  /// schedules its first step.
  virtual FuturePtr create_task(ErasedCoroutine coroutine);
  template <class T>
  Task<T> create_task(Coroutine<T> coroutine) {
    return Task<T>(create_task(std::move(coroutine).release()));
  }
  /// Null restores the default (StandardTask).
  virtual void set_task_factory(TaskFactory factory);
  virtual TaskFactory get_task_factory() const;

  // --- Error handling ------------------------------------------------------

  /// Null until set_exception_handler() is called (decision D-ERR-2).
  virtual ExceptionHandler get_exception_handler() const;
  /// Null restores the default handler.
  virtual void set_exception_handler(ExceptionHandler handler);
  /// Writes the context to the loop's log (stderr by default).
  virtual void default_exception_handler(const ExceptionContext& context);
  /// Passes `context` to the handler; if the handler itself throws, the
  /// default handler reports both, and the loop goes on.
  virtual void call_exception_handler(const ExceptionContext& context);

  // --- Debug mode ------------------------------------------------------------

  /// Initially true iff the environment variable PEP3156_DEBUG is set and
  /// not empty (the PEP's PYTHONASYNCIODEBUG; decision D-ERR-4).
  virtual bool get_debug() const;
  virtual void set_debug(bool enabled);
  /// Debug mode reports callbacks that run longer than this (seconds).
  double slow_callback_duration = 0.1;

  /// The loop's pending Tasks and the current one (for current_task()).
  TaskRegistry& tasks() noexcept { return tasks_; }

 protected:
  /// The default executor, created on first use.
  std::shared_ptr<Executor> default_executor();
  /// For close(): shuts the default executor down (waits for its threads).
  void shutdown_default_executor();
  /// For a loop's destructor (first thing): releases every pending Task
  /// while the loop is still whole, since a coroutine frame may run
  /// destructors that talk to it.
  void release_tasks() noexcept { tasks_.clear(); }

  /// Raises NotImplementedError for an optional method.
  [[noreturn]] static void not_implemented(const char* method);

 private:
  /// RuntimeError if the loop is closed or already running.
  void check_can_run(const char* method) const;

  template <class R, class F, class... A>
  static UniqueFunction<Value()> bind_callback_returning(F&& f, A&&... args) {
    return [f = std::forward<F>(f), ... args = std::forward<A>(args)]() mutable -> Value {
      if constexpr (std::is_void_v<R>) {
        std::invoke(f, args...);
        return Value();
      } else {
        return Value(std::invoke(f, args...));
      }
    };
  }

  TaskRegistry tasks_;
  TaskFactory task_factory_;
  ExceptionHandler exception_handler_;
  bool debug_;
  std::shared_ptr<Executor> default_executor_;
  std::vector<std::shared_ptr<Server>> draft_servers_;  // start_serving()
};

}  // namespace pep3156
