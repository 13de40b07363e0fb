// connect_read_pipe() and connect_write_pipe() (PEP 3156, "Unidirectional
// Stream Transports"): the StreamTransport on one end of a pipe.
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "net_testing.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

struct ReadPipe {
  std::shared_ptr<ReadTransport> transport;
  std::shared_ptr<RecordingProtocol> protocol;
};

ReadPipe read_pipe(AbstractEventLoop& loop, Socket end) {
  RecordingFactory factory{loop};
  auto made = run(loop, loop.connect_read_pipe(factory.factory(), std::move(end)));
  return {made.first, factory.made.at(0)};
}

struct WritePipe {
  std::shared_ptr<WriteTransport> transport;
  std::shared_ptr<RecordingProtocol> protocol;
};

WritePipe write_pipe(AbstractEventLoop& loop, Socket end) {
  auto protocol = std::make_shared<RecordingProtocol>(loop);
  auto made = run(loop, loop.connect_write_pipe([protocol] { return protocol; }, std::move(end)));
  CHECK(made.second == protocol);
  return {made.first, protocol};
}

}  // namespace

TEST_CASE("a read pipe delivers data, then eof_received() and connection_lost(null) when the writer closes") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [reader, writer] = nonblocking_pipe();
    int fd = reader.fd();
    ReadPipe pipe = read_pipe(loop, std::move(reader));
    CHECK(pipe.transport->get_extra_info<int>("pipe", -1) == fd);
    CHECK_FALSE(pipe.transport->get_extra_info("socket").has_value());
    write_all(writer.fd(), "through the pipe");
    run_until(loop, [&] { return pipe.protocol->received == "through the pipe"; });
    pipe.transport->pause_reading();  // TR-READ-PIPE-METHODS
    write_all(writer.fd(), " and more");
    spin(loop);
    CHECK(pipe.protocol->received == "through the pipe");
    pipe.transport->resume_reading();
    writer.reset();
    run(loop, pipe.protocol->lost);  // TR-READ-PIPE-CALLS
    CHECK(pipe.protocol->received == "through the pipe and more");
    CHECK(pipe.protocol->calls.back() == "lost");
    CHECK(pipe.protocol->count("eof") == 1);
    CHECK(pipe.protocol->lost_error == nullptr);
  });
}

TEST_CASE("a read pipe's close() stops reading and ends with connection_lost(null)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [reader, writer] = nonblocking_pipe();
    ReadPipe pipe = read_pipe(loop, std::move(reader));
    write_all(writer.fd(), "unread");
    pipe.transport->close();
    run(loop, pipe.protocol->lost);
    CHECK(pipe.protocol->calls == std::vector<std::string>{"made", "lost"});
  });
}

TEST_CASE("a write pipe writes, and write_eof() closes it after the buffer drains") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [reader, writer] = nonblocking_pipe();
    WritePipe pipe = write_pipe(loop, std::move(writer));
    CHECK(pipe.transport->can_write_eof());
    std::string data(1 << 20, 'p');
    pipe.transport->write(data);
    std::string parts[] = {"one ", "two"};
    pipe.transport->writelines(std::vector<BytesView>{as_bytes(parts[0]), as_bytes(parts[1])});
    pipe.transport->write_eof();  // TR-WRITE-PIPE-METHODS
    std::string received;
    std::thread drain([&, fd = reader.fd()] { received = read_to_eof(fd); });
    run(loop, pipe.protocol->lost);
    drain.join();
    CHECK(received == data + "one two");
    CHECK(pipe.protocol->lost_error == nullptr);
    CHECK(pipe.protocol->count("data") == 0);  // TR-WRITE-PIPE-CALLS
  });
}

TEST_CASE("a write pipe does flow control at the water marks (decision A7)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [reader, writer] = nonblocking_pipe();
    WritePipe pipe = write_pipe(loop, std::move(writer));
    pipe.transport->set_write_buffer_limits(4096, 1024);
    std::string data(1 << 20, 'f');
    pipe.transport->write(data);
    CHECK(pipe.protocol->writing_paused);
    std::string received;
    std::thread drain([&, fd = reader.fd()] { received = read_to_eof(fd); });
    run_until(loop, [&] { return !pipe.protocol->writing_paused; });
    pipe.transport->close();
    run(loop, pipe.protocol->lost);
    drain.join();
    CHECK(received == data);
  });
}

TEST_CASE(
    "a write pipe ends when its reader goes away: null if nothing was buffered, EPIPE if something was") {
  for_each_loop([](AbstractEventLoop& loop) {
    {
      auto [reader, writer] = nonblocking_pipe();
      WritePipe idle = write_pipe(loop, std::move(writer));
      reader.reset();  // seen through the reader registration on the write end
      run(loop, idle.protocol->lost);
      CHECK(idle.protocol->lost_error == nullptr);
    }
    {
      auto [reader, writer] = nonblocking_pipe();
      WritePipe busy = write_pipe(loop, std::move(writer));
      std::string data(1 << 20, 'b');
      busy.transport->write(data);  // fills the pipe; the rest is buffered
      REQUIRE(busy.transport->get_write_buffer_size() > 0);
      reader.reset();
      run(loop, busy.protocol->lost);
      CHECK(error_code(busy.protocol->lost_error) == EPIPE);
    }
    {
      // A write straight into a pipe with no reader: EPIPE, and no SIGPIPE
      // kills the process.
      auto [reader, writer] = nonblocking_pipe();
      WritePipe pipe = write_pipe(loop, std::move(writer));
      reader.reset();
      pipe.transport->write(std::string_view("nobody reads this"));
      run(loop, pipe.protocol->lost);
    }
  });
}

TEST_CASE("abort() on a write pipe drops the buffer") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [reader, writer] = nonblocking_pipe();
    WritePipe pipe = write_pipe(loop, std::move(writer));
    std::string data(1 << 20, 'a');
    pipe.transport->write(data);
    pipe.transport->abort();
    CHECK(pipe.transport->get_write_buffer_size() == 0);
    run(loop, pipe.protocol->lost);
    CHECK(pipe.protocol->lost_error == nullptr);
    CHECK(read_to_eof(reader.fd()).size() < data.size());
  });
}

TEST_CASE("the pipe methods refuse a blocking pipe or a regular file with ValueError, leaking nothing") {
  for_each_loop([](AbstractEventLoop& loop) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);  // blocking
    RecordingFactory factory{loop};
    CHECK_THROWS_AS(loop.connect_read_pipe(factory.factory(), Socket(fds[0])), ValueError);
    CHECK_THROWS_AS(loop.connect_write_pipe(factory.factory(), Socket(fds[1])), ValueError);
    Socket file(::open("/proc/self/cmdline", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    CHECK_THROWS_AS(loop.connect_read_pipe(factory.factory(), std::move(file)), ValueError);
    CHECK(factory.made.empty());
  });
}
