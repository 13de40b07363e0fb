#include "reference/proactor_accepting.hpp"

#include <cerrno>
#include <map>
#include <memory>
#include <utility>

namespace pep3156::reference {

namespace {

class ProactorAccepting final : public net::Accepting {
 public:
  explicit ProactorAccepting(Proactor& proactor) : proactor_(proactor) {}

  void start(int fd, OnAccepted on_accepted, OnFailed on_failed) override {
    auto listener =
        std::make_shared<Listener>(Listener{proactor_, fd, std::move(on_accepted), std::move(on_failed)});
    listeners_[fd] = listener;
    Listener::submit(listener);
  }

  void stop(int fd) noexcept override {
    auto it = listeners_.find(fd);
    if (it == listeners_.end()) return;
    it->second->stop();
    listeners_.erase(it);
  }

 private:
  /// One listening socket and the operation in flight on it (an accept,
  /// or a poll where the kernel answered -EAGAIN). Its completions hold it.
  struct Listener {
    Proactor& proactor;
    int fd;
    OnAccepted on_accepted;
    OnFailed on_failed;
    OperationId in_flight = 0;
    bool stopped = false;

    static void submit(const std::shared_ptr<Listener>& self) {
      self->in_flight = self->proactor.accept(self->fd, nullptr, nullptr, [self](int result) {
        self->in_flight = 0;
        if (!self->stopped) completed(self, result);
      });
    }

    static void completed(const std::shared_ptr<Listener>& self, int result) {
      if (result >= 0) {
        if (self->on_accepted(Socket(result))) submit(self);
      } else if (result == -EAGAIN) {
        self->in_flight = self->proactor.poll(self->fd, Events::readable, [self](int) {
          self->in_flight = 0;
          if (!self->stopped) submit(self);
        });
      } else if (result == -EINTR || result == -ECONNABORTED) {
        submit(self);  // that one is gone; accept the next
      } else {
        self->stopped = true;
        self->on_failed(-result);
      }
    }

    void stop() noexcept {
      stopped = true;
      if (in_flight != 0) proactor.cancel(std::exchange(in_flight, 0));
    }
  };

  Proactor& proactor_;
  std::map<int, std::shared_ptr<Listener>> listeners_;
};

}  // namespace

std::unique_ptr<net::Accepting> proactor_accepting(Proactor& proactor) {
  return std::make_unique<ProactorAccepting>(proactor);
}

}  // namespace pep3156::reference
