// errno_of(): Windows' error codes as errno values, in one table.
#include "windows_errors.hpp"

#include <cerrno>
#include <system_error>
#include <unordered_map>

namespace pep3156::reference {

int errno_of(DWORD error) noexcept {
  // A table: two errors per errno where both kinds exist.
  // clang-format off
  static const std::unordered_map<DWORD, int> kTable{
      {ERROR_OPERATION_ABORTED, ECANCELED},    {WSAEWOULDBLOCK, EAGAIN},
      {WSAECONNRESET, ECONNRESET},             {ERROR_NETNAME_DELETED, ECONNRESET},
      {WSAESHUTDOWN, EPIPE},                   {ERROR_BROKEN_PIPE, EPIPE},
      {WSAECONNABORTED, ECONNABORTED},         {ERROR_CONNECTION_ABORTED, ECONNABORTED},
      {WSAECONNREFUSED, ECONNREFUSED},         {ERROR_CONNECTION_REFUSED, ECONNREFUSED},
      {WSAENETUNREACH, ENETUNREACH},           {ERROR_NETWORK_UNREACHABLE, ENETUNREACH},
      {WSAEHOSTUNREACH, EHOSTUNREACH},         {ERROR_HOST_UNREACHABLE, EHOSTUNREACH},
      {WSAETIMEDOUT, ETIMEDOUT},               {ERROR_SEM_TIMEOUT, ETIMEDOUT},
      {WSAENOTSOCK, EBADF},                    {ERROR_INVALID_HANDLE, EBADF},
      {WSAEINVAL, EINVAL},                     {ERROR_INVALID_PARAMETER, EINVAL},
      {WSAEACCES, EACCES},                     {ERROR_ACCESS_DENIED, EACCES},
      {WSAENOTCONN, ENOTCONN},                 {WSAEADDRINUSE, EADDRINUSE},
      {WSAEADDRNOTAVAIL, EADDRNOTAVAIL},       {WSAENOBUFS, ENOBUFS}};
  // clang-format on
  auto it = kTable.find(error);
  return it == kTable.end() ? EIO : it->second;
}

void throw_last_error(const char* what) {
  throw std::system_error(errno_of(GetLastError()), std::generic_category(), what);
}

}  // namespace pep3156::reference
