#include "loop_model.hpp"

#include <sstream>

namespace loopcert::fuzz {

namespace {
template <class... Parts>
std::string text(const Parts&... parts) {
  std::ostringstream out;
  out.precision(9);
  (out << ... << parts);
  return out.str();
}
}  // namespace

LoopModel::Id LoopModel::scheduled_soon() {
  callbacks_.push_back(Callback{});
  soon_queue_.push_back(callbacks_.size() - 1);
  return callbacks_.size() - 1;
}

LoopModel::Id LoopModel::scheduled_timer(double earliest, double latest, bool ordered) {
  callbacks_.push_back(Callback{true, ordered, earliest, latest});
  return callbacks_.size() - 1;
}

void LoopModel::cancelled(Id id) {
  // Cancelling what already ran does nothing (HANDLE-CANCEL is about "before").
  if (!callbacks_[id].ran) callbacks_[id].cancelled = true;
}

void LoopModel::ran(Id id, double now) {
  if (id >= callbacks_.size()) {
    violation(text("LOOP-CALLSOON-SCHEDULES: callback #", id, " ran inside the call that scheduled it"));
    return;
  }
  Callback& c = callbacks_[id];
  if (c.cancelled) violation(text("HANDLE-CANCEL: callback #", id, " ran after its handle was cancelled"));
  if (c.ran) violation(text("LOOP-CALLLATER-ONCE: callback #", id, " ran twice"));
  if (c.timer) {
    check_timer(id, now);
  } else {
    check_soon_order(id);
  }
  c.ran = true;
}

void LoopModel::check_soon_order(Id id) {
  while (!soon_queue_.empty() && !pending(callbacks_[soon_queue_.front()])) soon_queue_.pop_front();
  if (soon_queue_.empty() || soon_queue_.front() == id) return;
  violation(text("LOOP-CALLSOON-FIFO: call_soon callback #", id, " ran before #", soon_queue_.front(),
                 ", registered earlier"));
}

void LoopModel::check_timer(Id id, double now) {
  const Callback& timer = callbacks_[id];
  if (now < timer.earliest - clock_resolution_) {
    violation(
        text("LOOP-CALLLATER-ONCE: timer #", id, " ran at ", now, ", before its deadline ", timer.earliest));
  }
  if (!timer.ordered) return;
  for (Id other = 0; other < callbacks_.size(); ++other) {
    const Callback& c = callbacks_[other];
    if (c.timer && c.ordered && pending(c) && c.latest < timer.earliest - clock_resolution_) {
      violation(text("LOOP-CALLLATER-SAME-TIME-UNORDERED: timer #", id, " (deadline ", timer.earliest,
                     ") ran before timer #", other, " (deadline ", c.latest,
                     "): different deadlines run in order"));
    }
  }
}

void LoopModel::threadsafe_ran(std::uint64_t sequence) {
  if (sequence != threadsafe_next_) {
    violation(text("LOOP-CALLSOON-FIFO: call_soon_threadsafe post ", sequence, " ran where post ",
                   threadsafe_next_, " was due (one thread's posts run in order, once)"));
  }
  threadsafe_next_ = sequence + 1;
}

std::uint64_t LoopModel::reader_added() {
  reader_registered_ = true;
  return ++reader_generation_;
}

void LoopModel::reader_ran(std::uint64_t generation) {
  if (!reader_registered_) {
    violation("LOOP-IO-REMOVE-READER: the reader ran after remove_reader()");
  } else if (generation != reader_generation_) {
    violation("LOOP-IO-REMOVE-READER: a reader ran after add_reader() replaced it");
  }
}

bool LoopModel::work_pending(std::size_t unread_bytes) const {
  for (const Callback& c : callbacks_) {
    if (pending(c)) return true;
  }
  return threadsafe_next_ < threadsafe_requested_ || (reader_registered_ && unread_bytes > 0);
}

void LoopModel::check_all_ran(std::size_t unread_bytes) {
  for (Id id = 0; id < callbacks_.size(); ++id) {
    if (pending(callbacks_[id])) {
      violation(text("LOOP-STOP-RESTARTABLE: ", callbacks_[id].timer ? "timer" : "call_soon callback", " #",
                     id, " never ran"));
    }
  }
  if (threadsafe_next_ < threadsafe_requested_) {
    violation(text("LOOP-THREADSAFE-WAKEUP: ", threadsafe_requested_ - threadsafe_next_, " of ",
                   threadsafe_requested_, " call_soon_threadsafe posts never ran"));
  }
  if (reader_registered_ && unread_bytes > 0) {
    violation(
        text("LOOP-IO-READER-WHENEVER-READY: ", unread_bytes, " bytes stayed unread with a reader set"));
  }
}

}  // namespace loopcert::fuzz
