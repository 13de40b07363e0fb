// The libuv adapter: one loop, named after the backend libuv picks for
// itself on this platform (epoll on Linux; libuv offers no choice).
#include <uv.h>

#include <string>

#include "pep3156/adapter.hpp"
#include "uv_event_loop.hpp"

namespace {

std::shared_ptr<pep3156::AbstractEventLoop> make_uv_loop() {
  return std::make_shared<loopcert_libuv::UvEventLoop>();
}

// What libuv opens once per process and never closes: uv_loop_init() runs
// uv__signal_global_once_init() (src/unix/signal.c), which opens the pipe
// that serialises signal handler installs across loops. Opening it here,
// with a loop made and closed at once, keeps it out of the kit's fd-leak
// check.
void open_libuv_process_resources() {
  uv_loop_t loop;
  if (uv_loop_init(&loop) == 0) uv_loop_close(&loop);
}

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() {
  // The version of the libuv actually loaded, not of the headers.
  static const std::string description =
      std::string("libuv ") + uv_version_string() + " (its epoll backend) behind pep3156::AbstractEventLoop";
  static const pep3156::Adapter adapter{
      .name = "epoll",
      .description = description.c_str(),
      .capabilities = loopcert_libuv::uv_capabilities(),
      .make_loop = &make_uv_loop,
      .prepare_process = &open_libuv_process_resources,
  };
  static const pep3156::AdapterList list{.adapters = &adapter, .count = 1};
  return &list;
}
