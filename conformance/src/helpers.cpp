#include "conformance/helpers.hpp"

#include <memory>
#include <utility>

#include "conformance/context.hpp"

namespace conformance {

namespace {
struct StopWhen {
  pep3156::AbstractEventLoop* loop;
  std::shared_ptr<std::function<bool()>> done;
  double interval;
  void operator()() const {
    if ((*done)()) {
      loop->stop();
    } else {
      loop->call_later(interval, *this);
    }
  }
};
}  // namespace

void stop_when(pep3156::AbstractEventLoop& loop, std::function<bool()> done, double interval) {
  StopWhen check{&loop, std::make_shared<std::function<bool()>>(std::move(done)), interval};
  loop.call_soon(check);
}

void run_until(Context& ctx, pep3156::AbstractEventLoop& loop, std::function<bool()> done,
               std::string waiting_for) {
  if (done()) return;
  stop_when(loop, std::move(done));
  ctx.run_forever(loop, std::move(waiting_for));
}

}  // namespace conformance
