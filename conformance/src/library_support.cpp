#include "conformance/library_support.hpp"

#include <algorithm>

namespace library_support {

std::string what_of(const std::exception_ptr& e) {
  if (!e) return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& caught) {
    return caught.what();
  } catch (...) {
    return "";
  }
}

std::size_t HandlerRecord::count_with(std::string_view what) const {
  return static_cast<std::size_t>(std::count_if(
      contexts_->begin(), contexts_->end(), [what](const auto& c) { return what_of(c.exception) == what; }));
}

namespace {
void schedule_round(pep3156::AbstractEventLoop& loop, int left) {
  loop.call_soon([&loop, left] {
    if (left <= 1) {
      loop.stop();
    } else {
      schedule_round(loop, left - 1);
    }
  });
}
}  // namespace

void run_rounds(conformance::Context& ctx, pep3156::AbstractEventLoop& loop, int rounds,
                std::string waiting_for) {
  // call_soon() is FIFO: round N runs after everything scheduled before
  // it, including what the callbacks of round N-1 scheduled.
  schedule_round(loop, rounds);
  ctx.run_forever(loop, std::move(waiting_for));
}

}  // namespace library_support
