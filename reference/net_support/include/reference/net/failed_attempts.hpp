// Trying each address a create_*() method resolved, and what it raises
// when every one failed (LOOP-CONN-FAILURE-RAISES).
#pragma once

#include <exception>
#include <string>
#include <system_error>
#include <vector>

#include "pep3156/address.hpp"
#include "pep3156/coroutine.hpp"

namespace pep3156::reference::net {

/// Why each address tried failed, to report them all if none succeeded.
class FailedAttempts {
 public:
  void add(const SocketAddress& address, std::exception_ptr error);
  /// The only failure as it was, or std::system_error with the first
  /// failure's errno and a message naming every address and its failure.
  [[noreturn]] void raise(const std::string& what) const;

 private:
  struct Failure {
    std::string text;
    std::exception_ptr error;
    std::error_code code;  // empty unless a std::system_error
  };
  std::vector<Failure> failures_;
};

/// `co_await connect(remote)` for each of `remotes` in turn: the first
/// that succeeds, or FailedAttempts::raise(what) if none does.
template <class Connected, class Connect>
Coroutine<Connected> connect_to_first(std::vector<AddrInfo> remotes, std::string what, Connect connect) {
  FailedAttempts failures;
  for (const AddrInfo& remote : remotes) {
    try {
      co_return co_await connect(remote);
    } catch (const std::system_error&) {
      failures.add(remote.address, std::current_exception());
    }
  }
  failures.raise(what);
}

}  // namespace pep3156::reference::net
