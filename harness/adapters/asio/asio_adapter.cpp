// The Asio adapter's entry point: one adapter per reactor this library was
// built for (CMakeLists.txt builds it once per backend, since Asio picks its
// reactor at compile time).
#include <asio/version.hpp>

#include "asio_event_loop.hpp"
#include "capabilities.hpp"
#include "pep3156/adapter.hpp"

#ifndef LOOPCERT_ASIO_BACKEND
#error "CMakeLists.txt names the backend: epoll or io_uring"
#endif

#define LOOPCERT_ASIO_TEXT(x) #x
#define LOOPCERT_ASIO_STRING(x) LOOPCERT_ASIO_TEXT(x)

namespace {

std::shared_ptr<pep3156::AbstractEventLoop> make_loop() {
  return std::make_shared<loopcert_asio::AsioEventLoop>();
}

const pep3156::Adapter adapters[] = {{
    .name = LOOPCERT_ASIO_BACKEND,
    .description = "standalone Asio (ASIO_VERSION " LOOPCERT_ASIO_STRING(
        ASIO_VERSION) ") io_context, " LOOPCERT_ASIO_BACKEND " reactor",
    .capabilities = loopcert_asio::adapter_capabilities(),
    .make_loop = &make_loop,
}};
const pep3156::AdapterList adapter_list{.adapters = adapters, .count = std::size(adapters)};

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() { return &adapter_list; }
