// socket_api.hpp on Windows: Winsock 2, started once per process before
// any socket call (WSAStartup), and sockets named by their SOCKET value,
// which fits an int (spec/decisions.md, D-PLAT-1).
#include <cstdint>
#include <system_error>

#include "pep3156/socket_api.hpp"

namespace pep3156 {

namespace {
// Winsock refuses every call (WSANOTINITIALISED) until WSAStartup(); started
// at load, before main(), so that no first caller races another.
struct WinsockStartup {
  WinsockStartup() {
    WSADATA data;
    ::WSAStartup(MAKEWORD(2, 2), &data);
  }
  ~WinsockStartup() { ::WSACleanup(); }
};
const WinsockStartup winsock_startup;
}  // namespace

void close_socket(int fd) noexcept {
  // A pipe end is a HANDLE, not a SOCKET: closesocket() refuses it.
  if (::closesocket(as_socket(fd)) != 0 && ::WSAGetLastError() == WSAENOTSOCK) {
    ::CloseHandle(reinterpret_cast<HANDLE>(static_cast<std::intptr_t>(fd)));
  }
}

int open_stream_socket(int family, int protocol) noexcept {
  SOCKET sock = ::WSASocketW(family, SOCK_STREAM, protocol, nullptr, 0,
                             WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (sock == INVALID_SOCKET) return -1;
  u_long non_blocking = 1;
  if (::ioctlsocket(sock, FIONBIO, &non_blocking) != 0) {
    int error = ::WSAGetLastError();
    ::closesocket(sock);
    ::WSASetLastError(error);
    return -1;
  }
  return static_cast<int>(sock);
}

void throw_socket_error(const char* what) {
  throw std::system_error(::WSAGetLastError(), std::system_category(), what);
}

}  // namespace pep3156
