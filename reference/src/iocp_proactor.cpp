// IocpProactor: the Proactor on Windows' I/O completion ports. Each
// operation is an overlapped Winsock call on a socket associated with the
// one port: the kernel takes it at once and owns its OVERLAPPED and buffers
// until the packet hands the OVERLAPPED back; wait() takes packets in
// batches. wake_up() posts a packet of its own (no fd, unlike io_uring).
// No add_reader(): poll() is readable on connected stream sockets (a
// zero-byte WSARecv), writable at once. No WSAStartup(): the caller did.
//
// Quirks worked around here:
//   - FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a call that finishes at once
//     queues no packet, so its completion is queued here (finished_now_).
//   - AcceptEx and ConnectEx are not exported: WSAIoctl fetches them.
//     AcceptEx takes a socket made beforehand, SO_UPDATE_ACCEPT_CONTEXT
//     after; ConnectEx a bound socket, SO_UPDATE_CONNECT_CONTEXT after.
//   - A socket's port can be neither asked nor changed: association is
//     tried before each operation, its failure ignored.
//   - A packet's status is an NTSTATUS (RtlNtStatusToDosError), a call's
//     failure a WSA error: errno_of() turns both into errno values.
//   - GQCSEx waits whole milliseconds and may end a tick early: rounded
//     up, and waited again while the steady clock says time remains.
#include <mswsock.h>
#include <winsock2.h>
#include <winternl.h>

#include <array>
#include <cerrno>
#include <unordered_map>

#include "backends.hpp"
#include "wait_deadline.hpp"
#include "windows_errors.hpp"

namespace pep3156::reference {

namespace {

constexpr ULONG_PTR kWakeUpKey = 1;  // the key of wake_up()'s packets; sockets use 0
constexpr ULONG kBatch = 64;         // packets taken per GQCSEx call
constexpr DWORD kAddressSpace = sizeof(sockaddr_storage) + 16;  // AcceptEx's minimum per address

SOCKET socket_of(int fd) noexcept { return static_cast<SOCKET>(static_cast<unsigned>(fd)); }

// An extension function of `socket`'s provider: AcceptEx, ConnectEx.
template <class Function>
Function extension(SOCKET socket, GUID id) {
  Function pointer = nullptr;
  DWORD size;
  WSAIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &pointer, sizeof pointer, &size, 0, 0);
  return pointer;
}

// An operation: the OVERLAPPED its packet hands back, whom to tell, how the raw result becomes the result.
struct Operation : OVERLAPPED {
  int raw_result() const noexcept {
    NTSTATUS status = static_cast<NTSTATUS>(Internal);
    return status >= 0 ? static_cast<int>(InternalHigh) : -errno_of(RtlNtStatusToDosError(status));
  }
  SOCKET socket;
  OnCompletion on_completion;
  std::function<int(int)> finish;  // null: the raw result is the result
  OperationId id = 0;
};

class IocpProactor final : public Proactor {
 public:
  IocpProactor() : port_(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1)) {
    if (!port_) throw_last_error("CreateIoCompletionPort");
  }

  ~IocpProactor() override {
    cancel_everything();
    CloseHandle(port_);
  }

  OperationId poll(int fd, Events events, OnCompletion on_completion) override {
    check_registration(fd, events);
    if (has(events, Events::writable)) return finish_now(std::move(on_completion), int(Events::writable));
    return receive(fd, {0, nullptr}, std::move(on_completion), [](int result) {
      return result == -ECANCELED || result == -EBADF ? result : int(Events::readable);
    });
  }

  OperationId recv(int fd, std::span<std::byte> into, OnCompletion on_completion) override {
    WSABUF buffer{static_cast<ULONG>(into.size()), reinterpret_cast<char*>(into.data())};
    return receive(fd, buffer, std::move(on_completion), nullptr);
  }

  OperationId send(int fd, std::span<const std::byte> from, OnCompletion on_completion) override {
    return send_gathered(fd, std::span(&from, 1), std::move(on_completion));
  }

  OperationId send_gathered(int fd, std::span<const std::span<const std::byte>> buffers,
                            OnCompletion on_completion) override {
    std::vector<WSABUF> gathered;  // WSASend copies it: only the bytes stay the kernel's
    for (auto bytes : buffers) gathered.push_back({ULONG(bytes.size()), (char*)bytes.data()});
    Operation& operation = prepare(fd, std::move(on_completion), nullptr);
    return issued(operation, !WSASend(operation.socket, gathered.data(), DWORD(gathered.size()), nullptr, 0,
                                      &operation, nullptr));
  }

  OperationId connect(int fd, const sockaddr* address, socklen_t length,
                      OnCompletion on_completion) override {
    SOCKET socket = socket_of(fd);
    sockaddr_storage wildcard{};
    wildcard.ss_family = address->sa_family;
    ::bind(socket, reinterpret_cast<sockaddr*>(&wildcard), length);  // fails harmlessly if already bound
    auto connect_to = extension<LPFN_CONNECTEX>(socket, WSAID_CONNECTEX);
    Operation& operation = prepare(fd, std::move(on_completion), [socket](int result) {
      if (result < 0 || !setsockopt(socket, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0)) return result;
      return -errno_of(WSAGetLastError());
    });
    return issued(operation,
                  connect_to && connect_to(socket, address, length, nullptr, 0, nullptr, &operation));
  }

  OperationId accept(int fd, sockaddr* peer, socklen_t* peer_length, OnCompletion on_completion) override {
    SOCKET listener = socket_of(fd);
    sockaddr_storage local{};
    int local_length = sizeof local;
    getsockname(listener, reinterpret_cast<sockaddr*>(&local), &local_length);
    SOCKET accepted = WSASocketW(local.ss_family, SOCK_STREAM, 0, nullptr, 0,
                                 WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (accepted == INVALID_SOCKET) return finish_now(std::move(on_completion), -errno_of(WSAGetLastError()));
    auto accept_ex = extension<LPFN_ACCEPTEX>(listener, WSAID_ACCEPTEX);
    Operation& operation = prepare(fd, std::move(on_completion), [=](int result) {
      u_long non_blocking = 1;
      if (result >= 0 &&
          (setsockopt(accepted, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char*)&listener, sizeof listener) ||
           getpeername(accepted, peer, peer_length) || ioctlsocket(accepted, FIONBIO, &non_blocking)))
        result = -errno_of(WSAGetLastError());
      if (result < 0) closesocket(accepted);  // cancelled, refused or failed: nothing leaks
      return result < 0 ? result : int(accepted);
    });
    DWORD received = 0;
    return issued(operation, accept_ex && accept_ex(listener, accepted, ignored_addresses_.data(), 0,
                                                    kAddressSpace, kAddressSpace, &received, &operation));
  }

  void cancel(OperationId id) noexcept override {
    auto it = in_flight_.find(id);
    if (it != in_flight_.end()) CancelIoEx(reinterpret_cast<HANDLE>(it->second->socket), it->second.get());
  }

  std::span<Completion> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    WaitDeadline deadline(timeout);
    woken_ = false;
    do {
      int milliseconds = finished_now_.empty() ? deadline.remaining_milliseconds() : 0;
      if (!take_packets(milliseconds < 0 ? INFINITE : DWORD(milliseconds)))
        throw_last_error("GetQueuedCompletionStatusEx");
    } while (finished_now_.empty() && !woken_ && deadline.remaining_milliseconds() != 0);
    completed_.clear();
    std::swap(completed_, finished_now_);  // what the loop's callbacks start goes to finished_now_
    return completed_;
  }

  void wake_up() noexcept override { PostQueuedCompletionStatus(port_, 0, kWakeUpKey, nullptr); }
  std::string_view name() const noexcept override { return "iocp"; }

 private:
  OperationId receive(int fd, WSABUF buffer, OnCompletion on_completion, std::function<int(int)> finish) {
    Operation& operation = prepare(fd, std::move(on_completion), std::move(finish));
    DWORD flags = 0;
    return issued(operation, !WSARecv(operation.socket, &buffer, 1, nullptr, &flags, &operation, nullptr));
  }

  // An operation on `fd`, associated with the port, for one Winsock call.
  Operation& prepare(int fd, OnCompletion on_completion, std::function<int(int)> finish) {
    auto handle = reinterpret_cast<HANDLE>(socket_of(fd));
    if (CreateIoCompletionPort(handle, port_, 0, 0)) {
      SetFileCompletionNotificationModes(
          handle, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE);
    }
    preparing_.reset(new Operation{OVERLAPPED{}, socket_of(fd), std::move(on_completion), std::move(finish)});
    return *preparing_;
  }

  // After the call: kept until its packet, unless it finished at once
  // (skip-on-success) or failed, when no packet comes.
  OperationId issued(Operation& operation, bool finished_at_once) {
    if (finished_at_once) return finish_now(operation, operation.raw_result());
    if (int error = WSAGetLastError(); error != WSA_IO_PENDING)
      return finish_now(operation, -errno_of(error));
    operation.id = ++last_id_;
    in_flight_.emplace(operation.id, std::move(preparing_));
    return operation.id;
  }

  OperationId finish_now(OnCompletion on_completion, int result) {
    finished_now_.push_back({std::move(on_completion), result});
    return ++last_id_;
  }
  OperationId finish_now(Operation& done, int result) {
    return finish_now(std::move(done.on_completion), done.finish ? done.finish(result) : result);
  }

  // One GQCSEx call: its operations' completions join finished_now_.
  // False if it failed (GetLastError()); a timeout is no failure.
  bool take_packets(DWORD milliseconds) {
    OVERLAPPED_ENTRY entries[kBatch];
    ULONG count = 0;
    if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &count, milliseconds, FALSE))
      return GetLastError() == WAIT_TIMEOUT;
    for (const OVERLAPPED_ENTRY& entry : std::span(entries, count)) {
      woken_ = woken_ || entry.lpCompletionKey == kWakeUpKey;
      if (entry.lpCompletionKey == kWakeUpKey) continue;
      auto* operation = static_cast<Operation*>(entry.lpOverlapped);
      OperationId id = operation->id;  // a copy: erase() destroys the operation
      finish_now(*operation, operation->raw_result());
      in_flight_.erase(id);
    }
    return true;
  }

  // The kernel may still write into a cancelled operation's buffer until
  // its packet arrives, so the port stays open until every operation has
  // completed; their callbacks are dropped uncalled.
  void cancel_everything() noexcept {
    for (auto& [id, operation] : in_flight_) cancel(id);
    WaitDeadline safety_net(std::chrono::seconds(5));
    while (!in_flight_.empty() && safety_net.remaining_milliseconds() > 0 &&
           take_packets(DWORD(safety_net.remaining_milliseconds()))) {
    }
  }

  HANDLE port_;
  OperationId last_id_ = 0;
  bool woken_ = false;                    // a wake_up() packet came in this wait()
  std::unique_ptr<Operation> preparing_;  // between prepare() and issued()
  // AcceptEx's unread addresses, shared: one freed with its operation broke Wine 8's heap.
  std::array<char, 2 * kAddressSpace> ignored_addresses_{};
  std::unordered_map<OperationId, std::unique_ptr<Operation>> in_flight_;
  std::vector<Completion> finished_now_;  // finished without a packet, for the next wait()
};

}  // namespace

std::unique_ptr<Proactor> make_iocp_proactor() { return std::make_unique<IocpProactor>(); }

}  // namespace pep3156::reference
