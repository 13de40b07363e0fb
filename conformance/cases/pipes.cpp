// Pipes (PEP 3156, "Pipes and subprocesses"; optional: Category
// pipes_subprocesses): connect_read_pipe() and connect_write_pipe(), and
// the transports they make ("Transports": a reading stream transport, a
// writing stream transport).
//
// Each case makes its own pipe with pipe2(). The end it passes to the loop
// belongs to the transport from then on (decision D-PIPE-3); the other end
// stays the case's, or goes to the loop too when the case wants the loop
// on both sides.
#include <poll.h>
#include <unistd.h>

#include <array>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"

using namespace pep3156;
using conformance::run_until;
using conformance::UniqueFd;
using conformance::write_all;
using pipe_support::make_pipe;
using pipe_support::Pipe;
using pipe_support::read_available;
using pipe_support::sequence_problem;

namespace {

/// A stream protocol that records every call. Write pipes get it as a
/// BaseProtocol, so that a loop calling data_received() or eof_received()
/// on a write pipe's protocol shows in `calls`.
struct Recorder final : Protocol {
  std::vector<std::string> calls;
  std::string data;
  bool empty_data = false;
  std::shared_ptr<BaseTransport> transport;
  std::exception_ptr lost_with;

  void connection_made(std::shared_ptr<BaseTransport> made) override {
    calls.push_back("connection_made");
    transport = std::move(made);
  }
  void data_received(BytesView chunk) override {
    calls.push_back("data_received");
    if (chunk.empty()) empty_data = true;
    data += as_text(chunk);
  }
  bool eof_received() override {
    calls.push_back("eof_received");
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    calls.push_back("connection_lost");
    lost_with = exc;
  }
  void pause_writing() override { calls.push_back("pause_writing"); }
  void resume_writing() override { calls.push_back("resume_writing"); }

  bool made() const { return pipe_support::count(calls, "connection_made") > 0; }
  bool eof() const { return pipe_support::count(calls, "eof_received") > 0; }
  bool lost() const { return pipe_support::count(calls, "connection_lost") > 0; }
};

template <class T>
struct Connected {
  std::shared_ptr<Recorder> protocol;
  std::shared_ptr<T> transport;
  std::shared_ptr<BaseProtocol> pair_protocol;  // the second half of the pair the Future completed with
};

/// The loop's method for one end of a pipe: connect_read_pipe() for a
/// ReadTransport, connect_write_pipe() (the Recorder as its BaseProtocol) for
/// a WriteTransport. `factory_calls` counts the calls of protocol_factory.
template <class T>
auto connect_pipe_end(AbstractEventLoop& loop, const std::shared_ptr<Recorder>& protocol,
                      const std::shared_ptr<int>& factory_calls, UniqueFd end) {
  auto factory = [protocol, factory_calls] {
    ++*factory_calls;
    return protocol;
  };
  if constexpr (std::is_same_v<T, ReadTransport>) {
    return loop.connect_read_pipe(factory, Socket(end.release()));
  } else {
    return loop.connect_write_pipe(factory, Socket(end.release()));
  }
}

template <class T>
constexpr const char* kConnectMethod =
    std::is_same_v<T, ReadTransport> ? "connect_read_pipe()" : "connect_write_pipe()";

/// Connects one end of a pipe to the loop, with a Recorder, and waits for
/// connection_made().
template <class T>
Connected<T> connect_pipe(conformance::Context& ctx, AbstractEventLoop& loop, UniqueFd end,
                          std::shared_ptr<int> factory_calls = std::make_shared<int>(0)) {
  const std::string method = kConnectMethod<T>;
  auto protocol = std::make_shared<Recorder>();
  auto connection = ctx.run_until_complete(
      loop, connect_pipe_end<T>(loop, protocol, factory_calls, std::move(end)), method);
  REQUIRE_THAT(connection.first != nullptr, method + " completes with a (transport, protocol) pair");
  run_until(
      ctx, loop, [&] { return protocol->made(); }, "connection_made() after " + method);
  return {protocol, connection.first, connection.second};
}

Connected<ReadTransport> connect_reader(conformance::Context& ctx, AbstractEventLoop& loop, UniqueFd end) {
  return connect_pipe<ReadTransport>(ctx, loop, std::move(end));
}
Connected<WriteTransport> connect_writer(conformance::Context& ctx, AbstractEventLoop& loop, UniqueFd end) {
  return connect_pipe<WriteTransport>(ctx, loop, std::move(end));
}

/// Closes the transport unless its connection is already lost, and waits
/// for connection_lost().
template <class T>
void close_and_wait(conformance::Context& ctx, AbstractEventLoop& loop, const Connected<T>& pipe) {
  if (!pipe.protocol->lost()) pipe.transport->close();
  run_until(
      ctx, loop, [&] { return pipe.protocol->lost(); }, "connection_lost() after close() of a pipe");
}

void check_sequence(const Recorder& protocol) {
  std::string problem = sequence_problem(protocol.calls);
  CHECK_THAT(problem.empty(), problem);
}

std::shared_ptr<BaseTransport> as_base(std::shared_ptr<BaseTransport> transport) { return transport; }

/// connect_read_pipe() and connect_write_pipe() call protocol_factory exactly
/// once and complete with the pair of the transport and that protocol: the
/// same check for each end of a pipe.
template <class T>
void check_factory_called_once(conformance::Context& ctx, UniqueFd Pipe::*end) {
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto factory_calls = std::make_shared<int>(0);
  Connected<T> connected = connect_pipe<T>(ctx, *loop, std::move(pipe.*end), factory_calls);
  CHECK_EQUAL(*factory_calls, 1, std::string(kConnectMethod<T>) + " calls protocol_factory exactly once");
  CHECK_THAT(connected.pair_protocol == connected.protocol,
             "the pair's protocol is the one protocol_factory returned");
  CHECK_THAT(connected.protocol->transport == as_base(connected.transport),
             "the pair's transport is the protocol's transport");
  close_and_wait(ctx, *loop, connected);
  CHECK_EQUAL(*factory_calls, 1, "protocol_factory is called exactly once, never again later");
}

}  // namespace

LOOPCERT_CASE("pipes.read_pipe.factory_called_once",
              clauses("LOOP-PIPE-FACTORY-ONCE", "LOOP-PIPE-RESULT-PAIR")) {
  check_factory_called_once<ReadTransport>(ctx, &Pipe::read);
}

LOOPCERT_CASE("pipes.write_pipe.factory_called_once",
              clauses("LOOP-PIPE-FACTORY-ONCE", "LOOP-PIPE-RESULT-PAIR")) {
  check_factory_called_once<WriteTransport>(ctx, &Pipe::write);
}

LOOPCERT_CASE("pipes.read_pipe.data_then_eof", clauses("LOOP-PIPE-READ", "TR-READ-PIPE-CALLS")) {
  // Bytes written before the pipe is connected and after, then the writer
  // closes: the protocol sees the stream protocol's read half.
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  write_all(pipe.write.get(), "hello, ", 7);
  auto reader = connect_reader(ctx, *loop, std::move(pipe.read));
  write_all(pipe.write.get(), "pipe", 4);
  pipe.write.reset();
  run_until(
      ctx, *loop, [&] { return reader.protocol->lost(); }, "connection_lost() of a pipe whose writer closed");
  CHECK_EQUAL(reader.protocol->data, std::string("hello, pipe"),
              "data_received() delivers every byte written to the pipe, in order");
  CHECK_THAT(reader.protocol->eof(), "eof_received() is called when the writer closes the pipe");
  CHECK_THAT(!reader.protocol->empty_data, "data_received() is never called with empty data");
  CHECK_THAT(reader.protocol->lost_with == nullptr, "connection_lost(None) at the end of the stream");
  check_sequence(*reader.protocol);
}

LOOPCERT_CASE("pipes.read_pipe.eof_without_data", clauses("LOOP-PIPE-READ", "TR-READ-PIPE-CALLS")) {
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  pipe.write.reset();
  auto reader = connect_reader(ctx, *loop, std::move(pipe.read));
  run_until(
      ctx, *loop, [&] { return reader.protocol->lost(); }, "connection_lost() of a pipe with no writer");
  CHECK_EQUAL(pipe_support::joined(reader.protocol->calls),
              pipe_support::joined({"connection_made", "eof_received", "connection_lost"}),
              "an empty pipe whose writer is gone: connection_made(), eof_received(), connection_lost()");
  CHECK_THAT(reader.protocol->lost_with == nullptr, "connection_lost(None) at the end of the stream");
}

LOOPCERT_CASE("pipes.read_pipe.pause_reading_holds_data", clauses("TR-READ-PIPE-METHODS")) {
  // One read pipe is paused with data waiting; a second one keeps the loop
  // polling: each round trip on it is a chance for the paused one to
  // deliver, which it must not take.
  auto loop = ctx.new_loop();
  auto held = make_pipe();
  auto control = make_pipe();
  auto paused = connect_reader(ctx, *loop, std::move(held.read));
  auto flowing = connect_reader(ctx, *loop, std::move(control.read));
  paused.transport->pause_reading();
  write_all(held.write.get(), "held", 4);
  for (std::size_t round = 1; round <= 3; ++round) {
    write_all(control.write.get(), "x", 1);
    run_until(
        ctx, *loop, [&] { return flowing.protocol->data.size() == round; },
        "data on a pipe that is not paused");
  }
  CHECK_THAT(paused.protocol->data.empty(),
             "data_received() is not called between pause_reading() and resume_reading()");
  paused.transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return paused.protocol->data.size() >= 4; }, "data after resume_reading()");
  CHECK_EQUAL(paused.protocol->data, std::string("held"),
              "resume_reading() delivers the data that arrived while paused");
  close_and_wait(ctx, *loop, paused);
  close_and_wait(ctx, *loop, flowing);
  check_sequence(*paused.protocol);
}

LOOPCERT_CASE("pipes.read_pipe.close_stops_reading", clauses("TR-READ-PIPE-METHODS")) {
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto reader = connect_reader(ctx, *loop, std::move(pipe.read));
  write_all(pipe.write.get(), "unread", 6);
  reader.transport->close();
  run_until(
      ctx, *loop, [&] { return reader.protocol->lost(); }, "connection_lost() after close() of a read pipe");
  CHECK_THAT(reader.protocol->data.empty(), "after close(), data_received() is never called");
  CHECK_THAT(reader.protocol->lost_with == nullptr, "close() leads to connection_lost(None)");
  check_sequence(*reader.protocol);
  // The transport owned the read end (decision D-PIPE-3) and closed it: the
  // write end now has no reader.
  pollfd writer{pipe.write.get(), POLLOUT, 0};
  CHECK_THAT(::poll(&writer, 1, 0) == 1 && (writer.revents & (POLLERR | POLLHUP)) != 0,
             "close() closes the pipe end the transport owns");
}

LOOPCERT_CASE("pipes.both_ends.megabyte_in_order",
              clauses("LOOP-PIPE-READ", "LOOP-PIPE-WRITE", "TR-WRITE-PIPE-METHODS")) {
  // The loop on both ends: one MiB, far more than a pipe holds, written and
  // then close()d at once; the reader gets all of it, then the end.
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto reader = connect_reader(ctx, *loop, std::move(pipe.read));
  auto writer = connect_writer(ctx, *loop, std::move(pipe.write));
  const std::string sent = pipe_support::pattern(1 << 20);
  for (std::size_t at = 0; at < sent.size(); at += 1 << 16)
    writer.transport->write(std::string_view(sent).substr(at, 1 << 16));
  writer.transport->close();
  run_until(
      ctx, *loop, [&] { return reader.protocol->lost() && writer.protocol->lost(); },
      "one MiB through a pipe and both ends' connection_lost()");
  CHECK_THAT(reader.protocol->data == sent,
             conformance::str("every byte written reaches the reader, in order (", sent.size(),
                              " bytes sent, ", reader.protocol->data.size(), " received)"));
  CHECK_THAT(reader.protocol->eof(), "the reader sees the end of the stream after the writer's close()");
  CHECK_THAT(writer.protocol->lost_with == nullptr, "close() of a write pipe leads to connection_lost(None)");
  check_sequence(*reader.protocol);
  check_sequence(*writer.protocol);
}

LOOPCERT_CASE("pipes.write_pipe.close_flushes_then_closes",
              clauses("LOOP-PIPE-WRITE", "TR-WRITE-PIPE-METHODS")) {
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto writer = connect_writer(ctx, *loop, std::move(pipe.write));
  writer.transport->write("abc");
  std::array<BytesView, 3> lines{as_bytes("de"), as_bytes("f"), as_bytes("gh")};
  writer.transport->writelines(lines);
  writer.transport->write("ij");
  writer.transport->close();
  run_until(
      ctx, *loop, [&] { return writer.protocol->lost(); }, "connection_lost() after close() of a write pipe");
  bool eof = false;
  CHECK_EQUAL(read_available(pipe.read.get(), eof), std::string("abcdefghij"),
              "write() and writelines() before close(): every byte reaches the reader, in order");
  CHECK_THAT(eof, "close() closes the pipe end the transport owns: the reader sees the end of the stream");
  CHECK_THAT(writer.protocol->lost_with == nullptr, "close() leads to connection_lost(None)");
  check_sequence(*writer.protocol);
}

LOOPCERT_CASE("pipes.write_pipe.has_no_read_methods", clauses("LOOP-PIPE-WRITE")) {
  // "The transport returned is a WriteTransport; it does not have any
  // read-related methods": in C++, it is no ReadTransport.
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto writer = connect_writer(ctx, *loop, std::move(pipe.write));
  CHECK_THAT(std::dynamic_pointer_cast<ReadTransport>(writer.transport) == nullptr,
             "a write pipe's transport does not have any read-related methods (it is no ReadTransport)");
  close_and_wait(ctx, *loop, writer);
}

LOOPCERT_CASE("pipes.write_pipe.write_eof_ends_the_stream", clauses("TR-WRITE-PIPE-METHODS")) {
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto reader = connect_reader(ctx, *loop, std::move(pipe.read));
  auto writer = connect_writer(ctx, *loop, std::move(pipe.write));
  CHECK_THAT(writer.transport->can_write_eof(), "a write pipe supports write_eof(): can_write_eof() is true");
  writer.transport->write("last words");
  writer.transport->write_eof();
  run_until(
      ctx, *loop, [&] { return reader.protocol->eof(); }, "eof_received() at the reader after write_eof()");
  CHECK_EQUAL(reader.protocol->data, std::string("last words"),
              "data written before write_eof() reaches the reader before the end of the stream");
  close_and_wait(ctx, *loop, writer);
  close_and_wait(ctx, *loop, reader);
  check_sequence(*writer.protocol);
}

LOOPCERT_CASE("pipes.write_pipe.abort_discards_buffer", clauses("TR-WRITE-PIPE-METHODS")) {
  // Four MiB cannot fit in a pipe nobody reads: most of it is still in the
  // transport's buffer when abort() comes, and is dropped.
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto writer = connect_writer(ctx, *loop, std::move(pipe.write));
  const std::string sent = pipe_support::pattern(4 << 20);
  writer.transport->write(sent);
  writer.transport->abort();
  run_until(
      ctx, *loop, [&] { return writer.protocol->lost(); }, "connection_lost() after abort() of a write pipe");
  CHECK_THAT(writer.protocol->lost_with == nullptr, "abort() leads to connection_lost(None)");
  bool eof = false;
  std::string got = read_available(pipe.read.get(), eof);
  CHECK_THAT(got.size() < sent.size(), "abort() discards the data still buffered");
  CHECK_THAT(sent.compare(0, got.size(), got) == 0,
             "what reached the reader is a prefix of what was written");
  CHECK_THAT(eof, "abort() closes the pipe end the transport owns");
  check_sequence(*writer.protocol);
}

LOOPCERT_CASE("pipes.write_pipe.calls_only_connection_methods", clauses("TR-WRITE-PIPE-CALLS")) {
  // The write pipe's protocol is a full stream Protocol passed as a
  // BaseProtocol. Enough data to cross the default high-water mark; then
  // the reader goes away. Only connection_made() and connection_lost() may
  // reach it (and pause_writing()/resume_writing() in pairs: decision
  // D-TR-6 accepts both).
  auto loop = ctx.new_loop();
  auto pipe = make_pipe();
  auto reader = connect_reader(ctx, *loop, std::move(pipe.read));
  auto writer = connect_writer(ctx, *loop, std::move(pipe.write));
  const std::string sent = pipe_support::pattern(256 << 10);
  writer.transport->write(sent);
  run_until(
      ctx, *loop, [&] { return reader.protocol->data.size() >= sent.size(); }, "256 KiB through a pipe");
  close_and_wait(ctx, *loop, reader);
  close_and_wait(ctx, *loop, writer);
  const auto& calls = writer.protocol->calls;
  CHECK_THAT(pipe_support::count(calls, "data_received") + pipe_support::count(calls, "eof_received") == 0,
             "a write pipe never calls data_received() or eof_received() on its protocol (calls: " +
                 pipe_support::joined(calls) + ")");
  check_sequence(*writer.protocol);
}
