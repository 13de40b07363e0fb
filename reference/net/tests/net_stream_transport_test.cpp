// StreamTransport over connected sockets: the calling sequence, writing,
// closing, half-closing, pausing, flow control and connection errors
// (PEP 3156, "Bidirectional Stream Transports" and "Stream Protocols").
#include <sys/socket.h>

#include <thread>

#include "net_testing.hpp"
#include "reference/net/stream_transport.hpp"

using namespace pep3156;
using namespace pep3156::testing;
using reference::net::StreamKind;
using reference::net::StreamTransport;

namespace {

/// A transport on one end of a socket pair; the test plays the peer.
struct Connection {
  std::shared_ptr<StreamTransport> transport;
  std::shared_ptr<RecordingProtocol> protocol;
  Socket peer;
};

Connection connect(AbstractEventLoop& loop, std::pair<Socket, Socket> pair,
                   const std::function<void(RecordingProtocol&)>& configure = {}) {
  auto protocol = std::make_shared<RecordingProtocol>(loop);
  if (configure) configure(*protocol);
  auto transport = StreamTransport::start(loop, std::move(pair.first), StreamKind::socket, protocol);
  run(loop, protocol->made);
  return {transport, protocol, std::move(pair.second)};
}

std::string pattern(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return data;
}

/// The exception contexts that reach the loop's handler.
std::shared_ptr<std::vector<ExceptionContext>> capture_errors(AbstractEventLoop& loop) {
  auto errors = std::make_shared<std::vector<ExceptionContext>>();
  loop.set_exception_handler(
      [errors](AbstractEventLoop&, const ExceptionContext& c) { errors->push_back(c); });
  return errors;
}

}  // namespace

TEST_CASE("connection_made comes first, from the loop; then data_received gets what the peer sent") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto protocol = std::make_shared<RecordingProtocol>(loop);
    auto [ours, peer] = socket_pair();
    write_all(peer.fd(), "early bytes");  // already waiting when the transport starts
    auto transport = StreamTransport::start(loop, std::move(ours), StreamKind::socket, protocol);
    CHECK(protocol->calls.empty());  // PROTO-LOOP-CONTEXT: not from inside start()
    run_until(loop, [&] { return protocol->received.size() == 11; });
    CHECK(protocol->calls.front() == "made");
    CHECK(protocol->received == "early bytes");
    transport->close();
    run(loop, protocol->lost);
  });
}

TEST_CASE("get_extra_info() answers socket, sockname and peername, and nothing else") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [client, server] = tcp_pair();
    SocketAddress local = client.local_address();
    SocketAddress remote = client.peer_address();
    int fd = client.fd();
    auto c = connect(loop, {std::move(client), std::move(server)});
    CHECK(c.transport->get_extra_info<int>("socket", -1) == fd);
    CHECK(c.transport->get_extra_info<SocketAddress>("sockname", {}) == local);
    CHECK(c.transport->get_extra_info<SocketAddress>("peername", {}) == remote);
    CHECK_FALSE(c.transport->get_extra_info("pipe").has_value());  // TR-EXTRA-INFO-DEFAULT
    CHECK(c.transport->get_extra_info<int>("no such key", 42) == 42);
    c.transport->close();
    run(loop, c.protocol->lost);
    CHECK(c.transport->get_extra_info<SocketAddress>("peername", {}) == remote);  // still answers
  });
}

TEST_CASE("write() and writelines() deliver every byte in order; write(b\"\") does nothing") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    c.transport->write(std::string_view("abc"));
    c.transport->write(BytesView());
    c.transport->write(std::string_view("def"));
    std::string parts[] = {"gh", "", "ijk", std::string(100000, 'x')};
    std::vector<BytesView> views;
    for (auto& part : parts) views.push_back(as_bytes(part));
    c.transport->writelines(views);  // PEP 3153's write_sequence: one gather write
    c.transport->close();
    std::string received;
    std::thread reader([&, fd = c.peer.fd()] { received = read_to_eof(fd); });
    run(loop, c.protocol->lost);
    reader.join();
    CHECK(received == "abcdefghijk" + std::string(100000, 'x'));
    CHECK(c.protocol->lost_error == nullptr);
  });
}

TEST_CASE("close() flushes megabytes to a slow reader, then connection_lost(null) exactly once") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    std::string data = pattern(8 << 20);
    c.transport->set_write_buffer_limits(std::size_t(64) << 20);
    c.transport->write(data);
    CHECK(c.transport->get_write_buffer_size() > 0);  // the peer has not read yet
    c.transport->close();                             // TR-CLOSE-FLUSHES
    CHECK(c.transport->is_closing());
    CHECK(c.protocol->count("lost") == 0);  // TR-CLOSE-NONBLOCKING
    std::string received;
    std::thread reader([&, fd = c.peer.fd()] { received = read_to_eof(fd); });
    run(loop, c.protocol->lost);
    reader.join();
    CHECK(received == data);
    CHECK(c.protocol->lost_error == nullptr);  // TR-CLOSE-CONNECTION-LOST-NONE
    spin(loop);
    CHECK(c.protocol->count("lost") == 1);
  });
}

TEST_CASE("abort() drops the buffer and calls connection_lost(null) exactly once") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    std::string data = pattern(4 << 20);
    c.transport->write(data);
    REQUIRE(c.transport->get_write_buffer_size() > 0);
    c.transport->abort();  // TR-ABORT
    CHECK(c.transport->get_write_buffer_size() == 0);
    CHECK(c.protocol->count("lost") == 0);
    c.transport->close();
    c.transport->abort();
    run(loop, c.protocol->lost);
    CHECK(c.protocol->lost_error == nullptr);
    CHECK(read_to_eof(c.peer.fd()).size() < data.size());
    spin(loop);
    CHECK(c.protocol->count("lost") == 1);
  });
}

TEST_CASE("after close() writes are ignored; after write_eof() write() raises RuntimeError") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    c.transport->write(std::string_view("kept"));
    c.transport->write_eof();
    CHECK_THROWS_AS(c.transport->write(std::string_view("no")), RuntimeError);  // TR-WRITE-AFTER-EOF
    c.transport->close();
    c.transport->write(std::string_view("ignored"));  // decision D-TR-2
    std::string views[] = {"also", "ignored"};
    c.transport->writelines(std::vector<BytesView>{as_bytes(views[0]), as_bytes(views[1])});
    CHECK(c.transport->get_write_buffer_size() == 0);
    run(loop, c.protocol->lost);
    c.transport->write(std::string_view("after lost"));
    CHECK(read_to_eof(c.peer.fd()) == "kept");
  });
}

TEST_CASE("write_eof() half-closes once the buffer drains, and reading goes on") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    CHECK(c.transport->can_write_eof());  // TR-CAN-WRITE-EOF
    std::string data = pattern(1 << 20);
    c.transport->write(data);
    c.transport->write_eof();  // TR-WRITE-EOF
    c.transport->write_eof();  // a second call does nothing
    std::string received;
    std::thread peer([&, fd = c.peer.fd()] {
      received = read_to_eof(fd);  // EOF: our write half is closed
      write_all(fd, "reply after eof");
      ::shutdown(fd, SHUT_WR);
    });
    run(loop, c.protocol->lost);  // eof_received() -> false -> the transport closes itself
    peer.join();
    CHECK(received == data);
    CHECK(c.protocol->received == "reply after eof");
    CHECK(c.protocol->calls.back() == "lost");
    CHECK(c.protocol->count("eof") == 1);
  });
}

TEST_CASE("eof_received() returning true keeps the write half open; false closes the transport") {
  for_each_loop([](AbstractEventLoop& loop) {
    // PROTO-EOF-RETURN-FALSE-CLOSES, both ways.
    auto open = connect(loop, socket_pair(), [](RecordingProtocol& p) {
      p.keep_open_on_eof = true;
      p.on_eof = [](RecordingProtocol& self) {
        self.transport->write(std::string_view("still writable"));
        self.transport->close();
      };
    });
    ::shutdown(open.peer.fd(), SHUT_WR);
    run(loop, open.protocol->lost);
    CHECK(read_to_eof(open.peer.fd()) == "still writable");

    auto closing = connect(loop, socket_pair());
    ::shutdown(closing.peer.fd(), SHUT_WR);
    run(loop, closing.protocol->lost);
    CHECK(closing.protocol->calls == std::vector<std::string>{"made", "eof", "lost"});
    CHECK(closing.protocol->lost_error == nullptr);
  });
}

TEST_CASE("pause_reading() holds data until resume_reading(); both are idempotent") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    c.transport->pause_reading();
    c.transport->pause_reading();  // decision D-TR-4
    write_all(c.peer.fd(), "held");
    spin(loop);
    CHECK(c.protocol->count("data") == 0);  // TR-PAUSE-READING
    c.transport->resume_reading();
    c.transport->resume_reading();
    run_until(loop, [&] { return c.protocol->received == "held"; });  // TR-RESUME-READING
    c.transport->close();
    run(loop, c.protocol->lost);
  });
}

TEST_CASE("close() stops reading at once") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    write_all(c.peer.fd(), "unread");
    c.transport->close();  // TR-CLOSE-STOPS-READING
    run(loop, c.protocol->lost);
    CHECK(c.protocol->count("data") == 0);
    CHECK(c.protocol->calls == std::vector<std::string>{"made", "lost"});
  });
}

TEST_CASE("close() from inside connection_made(): connection_lost follows, nothing else") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [ours, peer] = socket_pair();
    write_all(peer.fd(), "never delivered");
    auto protocol = std::make_shared<RecordingProtocol>(loop);
    protocol->on_made = [](RecordingProtocol& p) { p.transport->close(); };
    StreamTransport::start(loop, std::move(ours), StreamKind::socket, protocol);
    run(loop, protocol->lost);
    CHECK(protocol->calls == std::vector<std::string>{"made", "lost"});
  });
}

TEST_CASE("flow control: pause_writing() over the high water mark, resume_writing() at the low one") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    c.transport->set_write_buffer_limits(100000, 20000);
    std::string data = pattern(4 << 20);
    c.transport->write(data);
    // D-PROTO-2: write() calls pause_writing() itself, before it returns.
    CHECK(c.protocol->calls.back() == "pause");
    std::size_t size_at_resume = 0;
    c.protocol->on_resume = [&](RecordingProtocol& p) {
      size_at_resume = p.transport->get_write_buffer_size();
    };
    std::string received;
    std::thread reader([&, fd = c.peer.fd()] { received = read_to_eof(fd); });
    run_until(loop, [&] { return c.protocol->count("resume") == 1; });
    CHECK(size_at_resume <= 20000);  // TR-LIMITS-DRIVE-FLOW-CONTROL
    c.transport->close();
    run(loop, c.protocol->lost);
    reader.join();
    CHECK(received == data);
    CHECK(c.protocol->count("pause") == 1);
  });
}

TEST_CASE("set_write_buffer_limits(): defaults, validation, and high = 0") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    CHECK_THROWS_AS(c.transport->set_write_buffer_limits(10, 11), ValueError);  // TR-LIMITS-VALIDATION
    c.transport->set_write_buffer_limits(std::nullopt, 1000);                   // high = 4 * low
    c.transport->set_write_buffer_limits(0);  // TR-LIMITS-HIGH-ZERO: low = 0 too
    // Fill the kernel's buffer, then any byte queued pauses the protocol.
    std::string chunk = pattern(1 << 16);
    while (c.transport->get_write_buffer_size() == 0) c.transport->write(chunk);
    CHECK(c.protocol->writing_paused);
    std::size_t size_at_resume = 1;
    c.protocol->on_resume = [&](RecordingProtocol& p) {
      size_at_resume = p.transport->get_write_buffer_size();
    };
    std::thread reader([fd = c.peer.fd()] { read_to_eof(fd); });
    run_until(loop, [&] { return !c.protocol->writing_paused; });
    CHECK(size_at_resume == 0);  // TR-LIMITS-LOW-ZERO
    c.transport->close();
    run(loop, c.protocol->lost);
    reader.join();
  });
}

TEST_CASE("a peer that never reads: the buffer stops at the high water mark, the protocol paused") {
  for_each_loop([](AbstractEventLoop& loop) {
    // A well-behaved producer: writes while not paused.
    std::string chunk = pattern(8192);
    auto produce = [&](RecordingProtocol& p) {
      while (!p.writing_paused && !p.transport->is_closing()) p.transport->write(chunk);
    };
    auto c = connect(loop, socket_pair(), [&](RecordingProtocol& p) {
      p.on_made = produce;
      p.on_resume = produce;
    });
    spin(loop, 20);
    CHECK(c.protocol->writing_paused);  // PROTO-PAUSE-WRITING
    std::size_t size = c.transport->get_write_buffer_size();
    CHECK(size > 64 * 1024);
    CHECK(size <= 64 * 1024 + chunk.size());
    c.transport->abort();
    run(loop, c.protocol->lost);
  });
}

TEST_CASE("an exception from pause_writing() or resume_writing() reaches the exception handler") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto errors = capture_errors(loop);
    auto c = connect(loop, socket_pair(), [](RecordingProtocol& p) {
      p.on_pause = [](RecordingProtocol&) { throw std::runtime_error("pause failed"); };
      p.on_resume = [](RecordingProtocol&) { throw std::runtime_error("resume failed"); };
    });
    c.transport->set_write_buffer_limits(1000);
    std::string data = pattern(1 << 20);
    c.transport->write(data);
    REQUIRE(errors->size() == 1);
    CHECK((*errors)[0].message == "protocol.pause_writing() failed");
    CHECK((*errors)[0].transport == c.transport);
    std::string received;
    std::thread reader([&, fd = c.peer.fd()] { received = read_to_eof(fd); });
    run_until(loop, [&] { return errors->size() == 2; });
    CHECK((*errors)[1].message == "protocol.resume_writing() failed");
    c.transport->close();  // the connection went on
    run(loop, c.protocol->lost);
    reader.join();
    CHECK(received == data);
  });
}

TEST_CASE("ECONNRESET from the peer ends the connection with connection_lost(system_error)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, tcp_pair());
    linger reset{1, 0};  // SO_LINGER 0: close() sends RST
    REQUIRE(::setsockopt(c.peer.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) == 0);
    c.peer.reset();
    run(loop, c.protocol->lost);
    CHECK(error_code(c.protocol->lost_error) == ECONNRESET);  // PROTO-CONNECTION-LOST-ARG
    CHECK(c.protocol->count("eof") == 0);
    CHECK(c.transport->is_closing());
  });
}

TEST_CASE("EPIPE when the peer is gone ends the connection with connection_lost(system_error)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    c.transport->pause_reading();  // so the peer's EOF is not read first
    c.peer.reset();
    c.transport->write(std::string_view("into the void"));
    run(loop, c.protocol->lost);
    CHECK(error_code(c.protocol->lost_error) == EPIPE);
    c.transport->write(std::string_view("ignored"));
  });
}

TEST_CASE("after connection_lost() the transport releases its protocol and does nothing") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto c = connect(loop, socket_pair());
    std::weak_ptr<RecordingProtocol> weak = c.protocol;
    auto lost = c.protocol->lost;
    c.transport->close();
    c.protocol.reset();
    run(loop, lost);
    CHECK(weak.expired());  // decision D-TR-1: the cycle is broken
    c.transport->write(std::string_view("x"));
    c.transport->pause_reading();
    c.transport->resume_reading();
    c.transport->write_eof();
    c.transport->set_write_buffer_limits(0);
    c.transport->close();
    c.transport->abort();
    CHECK(c.transport->is_closing());
    spin(loop);
  });
}

TEST_CASE("an exception from data_received() aborts the connection and reaches the handler") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto errors = capture_errors(loop);
    auto c = connect(loop, socket_pair(), [](RecordingProtocol& p) {
      p.on_data = [](RecordingProtocol&, BytesView) { throw std::logic_error("protocol bug"); };
    });
    write_all(c.peer.fd(), "boom");
    run(loop, c.protocol->lost);
    REQUIRE(errors->size() == 1);
    CHECK((*errors)[0].message == "protocol.data_received() failed");
    CHECK(c.protocol->lost_error != nullptr);
    CHECK_THROWS_AS(std::rethrow_exception(c.protocol->lost_error), std::logic_error);
  });
}
