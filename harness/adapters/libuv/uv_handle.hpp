// How the libuv adapter owns libuv handles.
//
// libuv frees nothing: a handle's memory must stay valid from uv_*_init()
// until the callback passed to uv_close() runs, one loop iteration later.
// So every handle the adapter allocates is a member of an object deriving
// from UvHandleOwner, whose address is the handle's `data`, and which
// deletes itself from that close callback. close_io() can then close every
// handle still open with one uv_walk(), whatever its type.
#pragma once

#include <uv.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace loopcert_libuv {

class UvHandleOwner {
 public:
  virtual ~UvHandleOwner() = default;
  /// libuv's close callback ran: the handle is no longer used by libuv.
  virtual void on_handle_closed() noexcept { delete this; }

  /// uv_close() with the callback that calls on_handle_closed(); once.
  static void close_handle(uv_handle_t* handle) noexcept {
    if (uv_is_closing(handle)) return;
    uv_close(handle,
             [](uv_handle_t* closed) { static_cast<UvHandleOwner*>(closed->data)->on_handle_closed(); });
  }
};

/// A libuv error code (negative errno) as the std::system_error the
/// contract raises for bad input.
[[noreturn]] inline void throw_uv_error(int status, const std::string& what) {
  throw std::system_error(-status, std::generic_category(), what + ": " + uv_strerror(status));
}

/// errno (or `error`) as std::system_error.
[[noreturn]] inline void throw_os_error(const std::string& what, int error = errno) {
  throw std::system_error(error, std::generic_category(), what);
}

inline std::error_code uv_error_code(int status) { return {-status, std::generic_category()}; }

}  // namespace loopcert_libuv
