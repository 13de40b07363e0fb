// A shell pipeline as a child of the loop: we feed it text on its stdin and
// read its stdout, without blocking, through a SubprocessProtocol.
//
//   subprocess_pipeline
//
// Counts the words of a sentence with `tr | sort | uniq -c | sort -rn`,
// prints every call the protocol receives and the result, and exits with 0
// if the pipeline exited with 0 and found "the" three times.
#include <cstdio>
#include <string>

#include "pep3156/pep3156.hpp"
#include "reference/reference.hpp"

using namespace pep3156;

class WordCount : public SubprocessProtocol {
 public:
  explicit WordCount(AbstractEventLoop& loop) : done(loop) {}

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    transport_ = std::dynamic_pointer_cast<SubprocessTransport>(transport);
    std::printf("started pid %d\n", transport_->get_pid());
    // The pipes exist already. Writing never blocks: what the pipe does not
    // take now is buffered. write_eof() closes the child's stdin once the
    // buffer is sent, which lets the pipeline finish.
    auto stdin_pipe = std::dynamic_pointer_cast<WriteTransport>(transport_->get_pipe_transport(0));
    stdin_pipe->write("the quick brown fox jumps over the lazy dog and the end\n");
    stdin_pipe->write_eof();
  }

  // fd 1 is the child's stdout, 2 its stderr. Data comes in chunks of any
  // size: keep it until the end.
  void pipe_data_received(int fd, BytesView data) override { (fd == 1 ? output : errors) += as_text(data); }

  // Each pipe closes, and the child exits, in an order the PEP leaves open.
  void pipe_connection_lost(int fd, std::exception_ptr) override { std::printf("pipe %d closed\n", fd); }
  void process_exited() override { std::printf("exited with %d\n", *transport_->get_returncode()); }

  // Last of all: the child has exited and every pipe is closed.
  void connection_lost(std::exception_ptr) override { done.set_result(); }

  std::string output;
  std::string errors;
  Future<void> done;

 private:
  std::shared_ptr<SubprocessTransport> transport_;
};

int main() {
  auto loop = std::make_shared<reference::SelectorEventLoop>();
  auto counter = std::make_shared<WordCount>(*loop);

  // subprocess_shell() runs the command with /bin/sh -c; the Future gives
  // the (transport, protocol) pair once connection_made() has run.
  auto [transport, protocol] = loop->run_until_complete(loop->subprocess_shell(
      [counter] { return counter; }, "tr ' ' '\\n' | sort | uniq -c | sort -rn | head -3"));
  loop->run_until_complete(counter->done);

  std::printf("most frequent words:\n%s", counter->output.c_str());
  loop->close();
  bool the_three_times = counter->output.find("3 the") != std::string::npos;
  return transport->get_returncode() == 0 && the_three_times ? 0 : 1;
}
