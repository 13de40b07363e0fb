#include "running/case_runner.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <system_error>

#include "command/options.hpp"
#include "conformance/str.hpp"
#include "running/process_pool.hpp"

namespace loopcert {

std::vector<std::string> runner_argv(const std::string& command) {
  // "$@" keeps each appended argument one word, whatever CMD's own quoting;
  // the word after the script is the shell's $0, named for its messages.
  return {"/bin/sh", "-c", command + " \"$@\"", "loopcert-runner"};
}

RunnerLoops::RunnerLoops(const std::string& command, double timeout_seconds) {
  PoolSettings settings;
  settings.timeout_seconds = timeout_seconds;
  settings.command = runner_argv(command);
  settings.results_on_stdout = true;
  ChildOutcome answer;
  run_in_processes(
      settings, {{"--describe-loops"}}, [](std::size_t) {},
      [&](std::size_t, ChildOutcome outcome) { answer = std::move(outcome); });
  loops_ = std::move(answer.messages.loops);
  if (loops_.empty()) {
    std::string how = answer.timed_out ? conformance::str("did not answer within ", timeout_seconds, " s")
                      : WIFSIGNALED(answer.wait_status)
                          ? conformance::str("was killed by signal ", WTERMSIG(answer.wait_status))
                          : conformance::str("exited with status ", WEXITSTATUS(answer.wait_status));
    if (!answer.messages.garbled.empty()) {
      how += conformance::str(", its stdout holding ", answer.messages.garbled.size(),
                              " lines that are not the wire, the first: ", answer.messages.garbled.front());
    }
    throw UsageError("the runner command '" + command +
                     "' named no loop: asked for them with --describe-loops --result-fd 1, it " + how +
                     (answer.output.empty() ? std::string() : "; its stderr:\n" + answer.output));
  }
  for (const LoopDescription& loop : loops_) {
    if (loop.contract_version != pep3156::kAdapterContractVersion) {
      throw UsageError("the runner command's loop '" + loop.name + "' was built against adapter contract " +
                       std::to_string(loop.contract_version) + ", this loopcert against " +
                       std::to_string(pep3156::kAdapterContractVersion));
    }
    pep3156::Adapter adapter;
    adapter.name = loop.name.c_str();
    adapter.description = loop.description.c_str();
    adapter.capabilities = loop.capabilities;
    adapters_.push_back(adapter);
  }
  list_ = pep3156::AdapterList{pep3156::kAdapterContractVersion, adapters_.data(), adapters_.size()};
}

int describe_loops(const pep3156::AdapterList& list, const std::string& library, int fd) {
  const HostProperties host = probe_host();
  for (std::size_t i = 0; i < list.count; ++i) {
    const pep3156::Adapter& adapter = list.adapters[i];
    std::string line = encode_loop(LoopDescription{adapter.name, adapter.description, library,
                                                   adapter.contract_version, adapter.capabilities, host});
    if (::dprintf(fd, "%s", line.c_str()) < 0)
      throw std::system_error(errno, std::generic_category(), "write");
  }
  return 0;
}

int wire_fd(int result_fd) {
  if (result_fd != STDOUT_FILENO) return result_fd;
  int wire = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (wire < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    throw std::system_error(errno, std::generic_category(), "--result-fd 1: keeping stdout for the results");
  }
  return wire;
}

}  // namespace loopcert
