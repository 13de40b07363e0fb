// LibeventEventLoop: PEP 3156's event loop on libevent 2.1's own
// primitives. BaseEventLoop (reference/include/reference/base_event_loop.hpp)
// keeps the ready queue and runs the iterations; this class supplies the
// waiting, on one event_base whose backend (epoll, poll, select) is chosen
// when the loop is made:
//
//   iteration step 2-3   event_base_loop(EVLOOP_ONCE [| EVLOOP_NONBLOCK]),
//                        with EVLOOP_NO_EXIT_ON_EMPTY so that a loop with
//                        nothing registered still blocks (for a wake-up)
//   call_at()            one evtimer per TimerHandle, on the base's
//                        monotonic clock (EVENT_BASE_FLAG_PRECISE_TIMER)
//   call_soon_threadsafe one user event made active with event_active()
//                        from the posting thread (evthread_use_pthreads)
//   add_reader/_writer   event_new(fd, EV_READ|EV_PERSIST) / EV_WRITE
//   signals              evsignal_new()
//
// No user code ever runs inside a libevent callback: each one only hands a
// Handle to the ready queue (schedule(), schedule_expired_timer()), so no
// exception crosses libevent's C frames.
//
// Networking, pipes and TLS are on bufferevents, evconnlistener and evdns
// (the other files of this folder); the class declares what they need.
#pragma once

#include <event2/event.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "pep3156/capabilities.hpp"
#include "reference/base_event_loop.hpp"

struct evdns_base;

namespace pep3156::libevent_adapter {

/// Frees a libevent event (event_free() deletes it first).
struct EventFree {
  void operator()(event* ev) const noexcept { event_free(ev); }
};
using EventPtr = std::unique_ptr<event, EventFree>;

class LibeventTimer;

/// Something of the networking layers that holds libevent objects of the
/// loop's base (a bufferevent, a listener): attached while it does, so that
/// close() can release it before the base goes (event_base_free() would
/// leave it dangling). release() must detach it.
class LoopResource {
 public:
  virtual void release() noexcept = 0;

 protected:
  ~LoopResource() = default;
};

class LibeventEventLoop : public reference::BaseEventLoop {
 public:
  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_signal_handler;
  using AbstractEventLoop::add_writer;
  using BaseEventLoop::call_at;

  /// A loop on libevent's `method` backend ("epoll", "poll", "select"):
  /// the others are avoided with event_config_avoid_method(). RuntimeError
  /// if libevent gives another one (or none).
  explicit LibeventEventLoop(const std::string& method);
  ~LibeventEventLoop() override;

  /// What the loop implements, declared once for the adapter and the loop.
  static Capabilities declared_capabilities();

  /// An evtimer due at `when`, rounded up to libevent's microsecond.
  TimerHandle call_at(double when, Callback callback) override;

  // --- I/O callbacks (level-triggered, LOOP-IO-READER-WHENEVER-READY) -----------

  void add_reader(int fd, Callback callback) override;
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;

  // --- Signals ---------------------------------------------------------------------

  void add_signal_handler(int sig, Callback callback) override;
  bool remove_signal_handler(int sig) override;

  // --- Networking --------------------------------------------------------------------

  /// evdns_getaddrinfo() (name_lookup.cpp).
  Future<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port,
                                            GetAddrInfoOptions options = {}) override;
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options = {}) override;
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options = {}) override;
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options = {}) override;
  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe) override;
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe) override;
  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options = {}) override;
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options = {}) override;
  Future<Bytes> sock_recv(int fd, std::size_t n) override;
  Future<void> sock_sendall(int fd, Bytes data) override;
  Future<void> sock_connect(int fd, SocketAddress address) override;
  Future<AcceptedSocket> sock_accept(int fd) override;

  /// The event_base, for the networking layers built on it.
  event_base* base() const noexcept { return base_; }
  void attach(LoopResource* resource) { resources_.insert(resource); }
  void detach(LoopResource* resource) noexcept { resources_.erase(resource); }

 private:
  friend class LibeventTimer;

  /// One add_reader()/add_writer() or add_signal_handler() registration:
  /// the libevent event and the Handle it schedules each time it fires.
  struct Watch {
    LibeventEventLoop* loop;
    std::shared_ptr<HandleState> handle;
    EventPtr ev;
  };
  using Watches = std::unordered_map<int, std::unique_ptr<Watch>>;

  void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake_up() noexcept override;
  void close_io() noexcept override;

  void watch(Watches& watches, int fd, short what, Callback callback);
  static bool unwatch(Watches& watches, int key);
  static void on_watch_fired(evutil_socket_t, short, void* watch);
  static void on_wake(evutil_socket_t, short, void* loop);
  static void on_timer(evutil_socket_t, short, void* timer);
  void disarm(LibeventTimer* timer) noexcept;

  event_base* base_ = nullptr;
  std::string method_;
  evdns_base* dns_ = nullptr;  // made by the first getaddrinfo()
  EventPtr wake_event_;        // made active by wake_up() from other threads
  EventPtr poll_timeout_;      // bounds a finite poll_for_io() wait
  Watches readers_;
  Watches writers_;
  Watches signals_;
  // The armed timers, owned here until they fire or are cancelled (the
  // libevent event holds a raw pointer to its state).
  std::unordered_map<LibeventTimer*, std::shared_ptr<LibeventTimer>> armed_timers_;
  std::unordered_set<LoopResource*> resources_;
};

}  // namespace pep3156::libevent_adapter
