#include "reference/subprocess/subprocess_methods.hpp"

#include "reference/net/child_process.hpp"
#include "subprocess_transport.hpp"

namespace pep3156::reference::subprocess {

namespace {

Coroutine<SubprocessConnection> start(AbstractEventLoop& loop, SubprocessProtocolFactory factory,
                                      std::vector<std::string> args, SubprocessOptions options) {
  // LOOP-PIPE-FACTORY-ONCE
  std::shared_ptr<SubprocessProtocol> protocol = factory();
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  auto transport = SubprocessTransport::start(loop, protocol, args, options);
  co_return SubprocessConnection{transport, protocol};  // LOOP-PIPE-RESULT-PAIR
}

}  // namespace

Future<SubprocessConnection> subprocess_exec(AbstractEventLoop& loop, SubprocessProtocolFactory factory,
                                             std::vector<std::string> args, SubprocessOptions options) {
  net::check_subprocess_arguments(args, options);
  return loop.create_task(start(loop, std::move(factory), std::move(args), std::move(options)));
}

Future<SubprocessConnection> subprocess_shell(AbstractEventLoop& loop, SubprocessProtocolFactory factory,
                                              std::string command, SubprocessOptions options) {
  // LOOP-SUBPROC-TYPES: the same as subprocess_exec() but for how the
  // program is named. options.executable replaces /bin/sh, as in Python.
  return subprocess_exec(loop, std::move(factory), {"/bin/sh", "-c", std::move(command)}, std::move(options));
}

}  // namespace pep3156::reference::subprocess
