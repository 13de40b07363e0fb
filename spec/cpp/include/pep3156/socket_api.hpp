// The system's socket API, the one header of the contract that includes it:
// POSIX's headers, or Winsock 2's on Windows. Either way the contract names
// a socket or a pipe end by an `int` (a descriptor on POSIX; on Windows the
// SOCKET or HANDLE value, whose significant bits fit 32: spec/decisions.md,
// D-PLAT-1), and -1 names none.
#pragma once

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX  // std::min/std::max stay usable after <windows.h>
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netdb.h>
#include <sys/socket.h>
#endif

#include <cstdint>

namespace pep3156 {

#if defined(_WIN32)
/// The SOCKET an `int` names: sign-extended, as Microsoft documents for
/// handles passed from 32-bit to 64-bit code (D-PLAT-1).
inline SOCKET as_socket(int fd) noexcept { return static_cast<SOCKET>(static_cast<std::intptr_t>(fd)); }
#endif

/// Closes the socket or pipe end named by `fd` (ignoring errors, as a
/// destructor must): close() on POSIX; closesocket(), or CloseHandle() for a
/// pipe, on Windows.
void close_socket(int fd) noexcept;

/// A new non-blocking stream socket that child processes do not inherit,
/// or -1 (the error left for throw_socket_error()).
int open_stream_socket(int family, int protocol) noexcept;

/// Throws std::system_error for the last socket call's error, naming the
/// operation: errno on POSIX, WSAGetLastError() on Windows.
[[noreturn]] void throw_socket_error(const char* what);

}  // namespace pep3156
