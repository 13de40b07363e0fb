// Windows' error codes as the errno values the Proactor contract (and
// the rest of the project, std::generic_category()) speaks. Two kinds
// reach us: Win32 errors (a completion packet's NTSTATUS, through
// RtlNtStatusToDosError) and Winsock errors (a call's own failure,
// WSAGetLastError()); both appear in one table, each errno next to the
// codes that mean it.
#pragma once

#include <winsock2.h>  // before windows.h, which it includes

namespace pep3156::reference {

/// The errno value for a Win32 or Winsock error code; EIO for one the
/// table does not know.
int errno_of(DWORD error) noexcept;

/// Throws std::system_error for GetLastError(), `what` failing.
[[noreturn]] void throw_last_error(const char* what);

}  // namespace pep3156::reference
