#include "random_program.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>

#include "loop_model.hpp"

namespace loopcert::fuzz {

namespace {
using pep3156::AbstractEventLoop;

/// Delays a program picks from: call_later(0) (free to run in any order,
/// LOOP-CALLLATER-SAME-TIME-UNORDERED) and a few short ones, so that
/// timers fire during the program, and deadlines both tie and differ.
constexpr std::array<double, 5> kDelays{0, 0.0005, 0.001, 0.002, 0.004};
/// How long each run of the loop lasts while the model waits for what is due.
constexpr double kDrainSlice = 0.002;

/// The second thread: posts call_soon_threadsafe() callbacks numbered 0, 1,
/// ... in order, as many as it is asked to, until destroyed.
class PostingThread {
 public:
  PostingThread(AbstractEventLoop& loop, LoopModel& model)
      : loop_(loop), model_(model), thread_([this] { run(); }) {}
  PostingThread(const PostingThread&) = delete;
  PostingThread& operator=(const PostingThread&) = delete;
  ~PostingThread() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  /// A post ran on another thread than the loop's (LOOP-CALLBACKS-SERIALIZED).
  bool ran_elsewhere() const { return ran_elsewhere_; }

  void post(std::size_t count) {
    {
      std::lock_guard lock(mutex_);
      to_post_ += count;
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return to_post_ > 0 || done_; });
      if (to_post_ == 0) return;
      std::size_t count = std::exchange(to_post_, 0);
      lock.unlock();
      for (std::size_t i = 0; i < count; ++i) {
        // The model is only touched on the loop's thread, by the callback.
        loop_.call_soon_threadsafe([this, sequence = sequence_++] {
          if (std::this_thread::get_id() == loop_thread_) {
            model_.threadsafe_ran(sequence);
          } else {
            ran_elsewhere_ = true;
          }
        });
      }
      lock.lock();
    }
  }

  AbstractEventLoop& loop_;
  LoopModel& model_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::size_t to_post_ = 0;
  bool done_ = false;
  std::uint64_t sequence_ = 0;                                // the posting thread's own
  std::thread::id loop_thread_ = std::this_thread::get_id();  // the loop runs where the program was made
  std::atomic<bool> ran_elsewhere_ = false;
  std::thread thread_;
};

/// A pipe whose read end the program's reader watches.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_.data(), O_NONBLOCK | O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int read_end() const { return fds_[0]; }
  bool write_byte() { return ::write(fds_[1], "x", 1) == 1; }
  bool read_byte() {
    char byte;
    return ::read(fds_[0], &byte, 1) == 1;
  }

 private:
  std::array<int, 2> fds_{};
};

class RandomProgram {
 public:
  RandomProgram(AbstractEventLoop& loop, std::span<const std::uint8_t> program, const ProgramLimits& limits)
      : loop_(loop),
        program_(program),
        limits_(limits),
        model_(limits.clock_resolution),
        posting_(loop, model_) {}
  RandomProgram(const RandomProgram&) = delete;
  RandomProgram& operator=(const RandomProgram&) = delete;
  ~RandomProgram() {
    if (model_.reader_registered()) loop_.remove_reader(pipe_.read_end());
  }

  std::vector<std::string> run() {
    while (!at_end()) {
      // Outside the loop until an operation asks for a run; then inside it,
      // in step callbacks, until one stops the loop.
      perform_burst();
      if (!step_queued_) queue_step(Flow::go_on, 0);
      run_forever();
    }
    drain();
    return model_.violations();
  }

 private:
  enum class Flow { go_on, stop, wait };

  bool at_end() const { return next_ >= program_.size(); }
  std::uint8_t next_byte() { return at_end() ? 0 : program_[next_++]; }
  double next_delay() { return kDelays[next_byte() % kDelays.size()]; }

  /// Performs operations until one asks the loop to stop or to wait (or the
  /// program ends), so that what they scheduled is still pending when it
  /// does.
  Flow perform_burst() {
    Flow flow = Flow::go_on;
    while (!at_end() && flow == Flow::go_on) flow = perform_next();
    return flow;
  }

  /// Reads and performs one operation; says what the loop is to do next.
  Flow perform_next() {
    switch (next_byte() % 10) {
      case 0:
      case 1:
        schedule_soon();
        return Flow::go_on;
      case 2:
        schedule_timer(next_delay(), false);
        return Flow::go_on;
      case 3:
        schedule_timer(next_delay(), true);
        return Flow::go_on;
      case 4:
        cancel_one(next_byte());
        return Flow::go_on;
      case 5:
        post_threadsafe(1 + next_byte() % 4);
        return Flow::go_on;
      case 6:
        return Flow::stop;
      case 7:
        return Flow::wait;
      case 8:
        if (limits_.io_callbacks && pipe_.write_byte()) ++unread_;
        return Flow::go_on;
      default:
        if (limits_.io_callbacks) change_reader(next_byte() % 2 == 0);
        return Flow::go_on;
    }
  }

  void schedule_soon() {
    LoopModel::Id id = model_.next_id();
    live_.emplace_back(id, loop_.call_soon([this, id] { model_.ran(id, loop_.time()); }));
    model_.scheduled_soon();
  }

  /// call_later(delay) or call_at(time() + delay) (LOOP-CALLAT-EQUIV).
  void schedule_timer(double delay, bool absolute) {
    LoopModel::Id id = model_.next_id();
    pep3156::Callback callback = [this, id] { model_.ran(id, loop_.time()); };
    double before = loop_.time() + delay;
    pep3156::TimerHandle timer =
        absolute ? loop_.call_at(before, std::move(callback)) : loop_.call_later(delay, std::move(callback));
    model_.scheduled_timer(before, absolute ? before : loop_.time() + delay, delay > 0);
    live_.emplace_back(id, timer);
  }

  void cancel_one(std::uint8_t choice) {
    if (live_.empty()) return;
    std::size_t index = choice % live_.size();
    live_[index].second.cancel();
    model_.cancelled(live_[index].first);
    live_[index] = std::move(live_.back());
    live_.pop_back();
  }

  void post_threadsafe(std::size_t count) {
    model_.threadsafe_requested(count);
    posting_.post(count);
  }

  /// add_reader() (replacing the reader, if any) or remove_reader(), whose
  /// result says whether there was one (LOOP-IO-REMOVE-READER).
  void change_reader(bool add) {
    int fd = pipe_.read_end();
    if (add) {
      std::uint64_t generation = model_.reader_added();
      loop_.add_reader(fd, [this, generation] {
        model_.reader_ran(generation);
        if (pipe_.read_byte()) --unread_;
      });
      return;
    }
    bool had_reader = model_.reader_registered();
    if (loop_.remove_reader(fd) != had_reader) {
      model_.violation(had_reader
                           ? "LOOP-IO-REMOVE-READER: remove_reader() returned False with a reader set"
                           : "LOOP-IO-REMOVE-READER: remove_reader() returned True with no reader set");
    }
    model_.reader_removed();
  }

  /// The step callback: a burst of operations inside the running loop.
  void queue_step(Flow flow, double delay) {
    step_queued_ = true;
    auto step = [this] { step_in_loop(); };
    if (flow == Flow::wait) {
      loop_.call_later(delay, step);
    } else {
      loop_.call_soon(step);
    }
  }

  void step_in_loop() {
    step_queued_ = false;
    if (!loop_.is_running()) model_.violation("LOOP-ISRUNNING: is_running() is False inside a callback");
    if (at_end()) {
      loop_.stop();
      return;
    }
    Flow flow = perform_burst();
    // A stop() leaves the next step queued: whether it runs in this run or
    // the next one is the loop's choice (LOOP-STOP-READYQ-FREEDOM).
    if (flow == Flow::stop) loop_.stop();
    queue_step(flow, flow == Flow::wait ? next_delay() : 0);
  }

  void run_forever() {
    loop_.run_forever();
    if (loop_.is_running())
      model_.violation("LOOP-ISRUNNING: is_running() is True after run_forever() returned");
  }

  /// Runs the loop, a slice at a time, until everything due has run or the
  /// safety net runs out; what never ran is then a violation.
  void drain() {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::duration<double>(limits_.drain_seconds);
    while (model_.work_pending(unread_) && std::chrono::steady_clock::now() < give_up) {
      loop_.call_later(kDrainSlice, [this] { loop_.stop(); });
      run_forever();
    }
    model_.check_all_ran(unread_);
    if (posting_.ran_elsewhere()) {
      model_.violation(
          "LOOP-CALLBACKS-SERIALIZED: a call_soon_threadsafe() callback ran on the posting thread");
    }
  }

  AbstractEventLoop& loop_;
  std::span<const std::uint8_t> program_;
  std::size_t next_ = 0;
  ProgramLimits limits_;
  LoopModel model_;
  Pipe pipe_;
  std::size_t unread_ = 0;
  std::vector<std::pair<LoopModel::Id, pep3156::Handle>> live_;  // handles not cancelled yet
  bool step_queued_ = false;
  PostingThread posting_;  // last: joined first, while the rest still stands
};
}  // namespace

std::vector<std::string> run_random_program(AbstractEventLoop& loop, std::span<const std::uint8_t> program,
                                            const ProgramLimits& limits) {
  return RandomProgram(loop, program, limits).run();
}

std::vector<std::uint8_t> program_from_seed(std::uint32_t seed, std::size_t operations) {
  std::mt19937 random(seed);
  std::vector<std::uint8_t> program(operations * 2);  // an operation reads at most two bytes
  for (auto& byte : program) byte = static_cast<std::uint8_t>(random());
  return program;
}

}  // namespace loopcert::fuzz
