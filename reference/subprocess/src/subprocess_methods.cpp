#include "reference/subprocess/subprocess_methods.hpp"

#include "subprocess_transport.hpp"

namespace pep3156::reference::subprocess {

namespace {

void check_no_nul(const std::string& text, const char* what) {
  if (text.find('\0') != std::string::npos)
    throw ValueError(std::string("subprocess: embedded NUL byte in ") + what);
}

/// The checks D-TIER-3 wants thrown by the call.
void check_arguments(const std::vector<std::string>& args, const SubprocessOptions& options) {
  if (args.empty()) throw ValueError("subprocess_exec(): args must name a program");
  for (const std::string& arg : args) check_no_nul(arg, "args");
  if (options.executable) check_no_nul(*options.executable, "executable");
  if (options.cwd) check_no_nul(*options.cwd, "cwd");
  if (options.env) {
    for (const auto& [name, value] : *options.env) {
      check_no_nul(name + value, "env");
      if (name.empty() || name.find('=') != std::string::npos) {
        throw ValueError("subprocess: illegal environment variable name '" + name + "'");
      }
    }
  }
  // STDOUT means "where stdout goes": only stderr can take it.
  if (options.stdin_.kind == Stdio::Kind::stdout_ || options.stdout_.kind == Stdio::Kind::stdout_) {
    throw ValueError("subprocess: Stdio::to_stdout() is for stderr only");
  }
  for (const Stdio* stdio : {&options.stdin_, &options.stdout_, &options.stderr_}) {
    if (stdio->kind == Stdio::Kind::fd && stdio->fd < 0) throw ValueError("subprocess: negative descriptor");
  }
  for (int fd : options.pass_fds) {
    if (fd < 0) throw ValueError("subprocess: negative descriptor in pass_fds");
  }
}

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
  check_arguments(args, options);
  return loop.create_task(start(loop, std::move(factory), std::move(args), std::move(options)));
}

Future<SubprocessConnection> subprocess_shell(AbstractEventLoop& loop, SubprocessProtocolFactory factory,
                                              std::string command, SubprocessOptions options) {
  // LOOP-SUBPROC-TYPES: the same as subprocess_exec() but for how the
  // program is named. options.executable replaces /bin/sh, as in Python.
  return subprocess_exec(loop, std::move(factory), {"/bin/sh", "-c", std::move(command)}, std::move(options));
}

}  // namespace pep3156::reference::subprocess
