// StandardFuture: the PEP's Future state machine.
#include "pep3156/future.hpp"

#include <algorithm>

#include "pep3156/event_loop.hpp"
#include "pep3156/exception_context.hpp"

namespace pep3156 {

StandardFuture::StandardFuture(AbstractEventLoop& loop) : loop_(&loop), loop_alive_(loop.weak_from_this()) {}

StandardFuture::~StandardFuture() {
  // PEP 3156: "When a Future is garbage-collected, if it has an associated
  // exception but neither result() nor exception() has ever been called,
  // the exception is logged." Only while the loop is alive to log it.
  if (state_ != State::finished || !exception_ || exception_retrieved_) return;
  auto loop = loop_alive_.lock();
  if (!loop) return;
  ExceptionContext context;
  context.message = "Future exception was never retrieved";
  context.exception = exception_;
  try {
    loop->call_exception_handler(context);
  } catch (...) {
    // A destructor must not throw; the handler already had its chance.
  }
}

bool StandardFuture::cancel() {
  if (state_ != State::pending) return false;
  finish(State::cancelled);
  return true;
}

Value& StandardFuture::result_value() {
  switch (state_) {
    case State::pending:
      throw InvalidStateError("result(): Future is not done");
    case State::cancelled:
      throw CancelledError();
    case State::finished:
      break;
  }
  exception_retrieved_ = true;
  if (exception_) std::rethrow_exception(exception_);
  return result_;
}

std::exception_ptr StandardFuture::exception() {
  switch (state_) {
    case State::pending:
      throw InvalidStateError("exception(): Future is not done");
    case State::cancelled:
      throw CancelledError();
    case State::finished:
      break;
  }
  exception_retrieved_ = true;
  return exception_;
}

CallbackId StandardFuture::add_done_callback(DoneCallback fn) {
  CallbackId id = next_callback_id_++;
  callbacks_.emplace_back(id, std::move(fn));
  if (done()) schedule_callback(callbacks_.size() - 1);  // never called immediately
  return id;
}

std::size_t StandardFuture::remove_done_callback(CallbackId id) {
  if (done()) return 0;  // every callback is scheduled already
  auto removed = std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
  return static_cast<std::size_t>(removed);
}

void StandardFuture::set_result_value(Value result) {
  check_not_done("set_result()");
  result_ = std::move(result);
  finish(State::finished);
}

void StandardFuture::set_exception(std::exception_ptr exception) {
  check_not_done("set_exception()");
  if (!exception) throw TypeError("set_exception(): null exception");
  exception_ = std::move(exception);
  finish(State::finished);
}

void StandardFuture::check_not_done(const char* method) const {
  if (state_ != State::pending) throw InvalidStateError(std::string(method) + ": Future is already done");
}

void StandardFuture::finish(State state) {
  state_ = state;
  for (std::size_t slot = 0, registered = callbacks_.size(); slot < registered; ++slot)
    schedule_callback(slot);
}

/// The loop callback for one scheduled done-callback: the Future and the
/// done-callback's slot. If the loop drops it without running it (a closed
/// loop drops its ready queue), the done-callback is released all the same.
class StandardFuture::ScheduledCallback {
 public:
  ScheduledCallback(FuturePtr future, std::size_t slot) noexcept : future_(std::move(future)), slot_(slot) {}
  ScheduledCallback(ScheduledCallback&&) noexcept = default;  // the moved-from one releases nothing
  ScheduledCallback& operator=(ScheduledCallback&&) = delete;
  ~ScheduledCallback() {
    if (future_) standard().take_scheduled(slot_);
  }

  void operator()() {
    DoneCallback fn = standard().take_scheduled(slot_);
    FuturePtr future = std::move(future_);
    fn(future);
  }

 private:
  StandardFuture& standard() const { return static_cast<StandardFuture&>(*future_); }

  FuturePtr future_;
  std::size_t slot_;
};

void StandardFuture::schedule_callback(std::size_t slot) {
  // PEP 3156: "You can think of this as calling the callback through
  // call_soon()", with the Future as its single argument.
  ++scheduled_waiting_;
  loop_->call_soon(ScheduledCallback(shared_from_this(), slot));
}

DoneCallback StandardFuture::take_scheduled(std::size_t slot) noexcept {
  DoneCallback fn = std::move(callbacks_[slot].second);
  if (--scheduled_waiting_ == 0) callbacks_.clear();  // every slot is spent: start over
  return fn;
}

}  // namespace pep3156
