// A small model of what PEP 3156 fixes about the order in which a loop runs
// callbacks, fed with what a program scheduled and what the loop then ran.
// It judges any loop (it sees only ids, loop times and fds), and lists each
// broken rule with its clause ID (spec/clauses.json):
//   - call_soon() callbacks run in registration order (LOOP-CALLSOON-FIFO);
//   - a cancelled handle never runs (HANDLE-CANCEL), nothing runs twice
//     (LOOP-CALLLATER-ONCE);
//   - a timer never runs before the deadline it was asked for, on time()'s
//     clock, and timers asked for different deadlines run in deadline
//     order; equal deadlines and call_later(0) are free
//     (LOOP-CALLLATER-SAME-TIME-UNORDERED);
//   - one thread's call_soon_threadsafe() posts run in order
//     (LOOP-CALLSOON-FIFO, LOOP-THREADSAFE-WAKEUP);
//   - a reader never runs after remove_reader() or a replacing add_reader()
//     (LOOP-IO-REMOVE-READER);
//   - once the program is over and the loop has been run long enough, all
//     of it has run: nothing is lost across stop() and run_forever()
//     (LOOP-STOP-RESTARTABLE; how much runs before a stop() returns is free,
//     LOOP-STOP-READYQ-FREEDOM).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace loopcert::fuzz {

class LoopModel {
 public:
  /// Deadlines closer than `clock_resolution` count as equal, and a timer
  /// may look that much early (the loop's declared Capabilities).
  explicit LoopModel(double clock_resolution) : clock_resolution_(clock_resolution) {}

  using Id = std::size_t;
  /// The id the next scheduled_*() call returns: the callback names it
  /// before the loop returns its handle.
  Id next_id() const { return callbacks_.size(); }
  Id scheduled_soon();
  /// The deadline the program asked for lies in [earliest, latest]: time()
  /// read just before and just after call_later(), plus the delay (exact
  /// for call_at()). The loop may run a timer late, never early, and its
  /// handle's when() is not trusted to say which deadline it was asked for.
  /// `ordered`: scheduled with a positive delay, so its deadline is in the
  /// future and its order against other deadlines is fixed.
  Id scheduled_timer(double earliest, double latest, bool ordered);
  void cancelled(Id id);
  /// `now` is the loop's time() inside the callback.
  void ran(Id id, double now);

  void threadsafe_requested(std::size_t count) { threadsafe_requested_ += count; }
  /// The `sequence`-th post of the posting thread (0, 1, ...) ran.
  void threadsafe_ran(std::uint64_t sequence);

  /// Returns the generation of the new reader.
  std::uint64_t reader_added();
  void reader_removed() { reader_registered_ = false; }
  void reader_ran(std::uint64_t generation);
  bool reader_registered() const { return reader_registered_; }

  /// Something scheduled, posted or readable has not run yet.
  bool work_pending(std::size_t unread_bytes) const;
  /// Adds a violation for each thing that never ran.
  void check_all_ran(std::size_t unread_bytes);

  void violation(std::string text) { violations_.push_back(std::move(text)); }
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  struct Callback {
    bool timer = false;
    bool ordered = false;
    double earliest = 0;
    double latest = 0;
    bool cancelled = false;
    bool ran = false;
  };
  bool pending(const Callback& c) const { return !c.ran && !c.cancelled; }
  void check_soon_order(Id id);
  void check_timer(Id id, double now);

  double clock_resolution_;
  std::vector<Callback> callbacks_;
  std::deque<Id> soon_queue_;  // call_soon ids in registration order, not yet run
  std::size_t threadsafe_requested_ = 0;
  std::uint64_t threadsafe_next_ = 0;
  bool reader_registered_ = false;
  std::uint64_t reader_generation_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace loopcert::fuzz
