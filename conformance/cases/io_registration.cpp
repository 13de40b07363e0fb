// Registering and removing I/O callbacks (PEP 3156, "I/O Callbacks";
// optional: Category io; decisions D-IO-1, D-IO-3): what descriptors are
// accepted and left alone, replace and remove semantics, including
// removals and replacements made while the fd is already known to be ready.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::is_nonblocking;
using conformance::read_one;
using conformance::socket_pair;
using conformance::UniqueFd;
using conformance::write_all;

namespace {
/// A pipe (read end, write end), close-on-exec, in the blocking mode asked.
std::array<UniqueFd, 2> make_pipe(bool nonblocking) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

LOOPCERT_CASE("io.add_reader.nonblocking_socket_left_alone", clauses("LOOP-IO-SOCKETS-ALWAYS")) {
  // The loop watches the fd; its mode stays the caller's, before, during
  // and after.
  auto loop = ctx.new_loop();
  auto pair = socket_pair(/*nonblocking=*/true);
  int fd = pair.first.get();
  bool during = false;
  loop->add_reader(fd, [&] {
    during = is_nonblocking(fd);
    read_one(fd);
    loop->stop();
  });
  bool after_add = is_nonblocking(fd);
  write_all(pair.second.get(), "x", 1);
  ctx.run_forever(*loop, "the reader of a non-blocking socket");
  CHECK_THAT(loop->remove_reader(fd), "remove_reader() removes the reader");
  CHECK_THAT(
      after_add && during && is_nonblocking(fd),
      "a non-blocking socket stays non-blocking through add_reader(), its callback and remove_reader()");
}

LOOPCERT_CASE("io.add_writer.socket_mode_left_alone", clauses("LOOP-IO-SOCKETS-ALWAYS", "LOOP-IO-WRITER")) {
  auto loop = ctx.new_loop();
  for (bool nonblocking : {false, true}) {
    auto pair = socket_pair(nonblocking);
    int fd = pair.first.get();
    bool called = false;
    loop->add_writer(fd, [&] {
      called = true;
      loop->stop();
    });
    bool after_add = is_nonblocking(fd);
    ctx.run_forever(*loop, "the writer of a socket");
    CHECK_THAT(loop->remove_writer(fd), "remove_writer() removes the writer");
    CHECK_THAT(called, "add_writer() accepts a socket, blocking or not, and calls the writer");
    CHECK_THAT(after_add == nonblocking && is_nonblocking(fd) == nonblocking,
               nonblocking
                   ? "a non-blocking socket stays non-blocking through add_writer() and remove_writer()"
                   : "a blocking socket stays blocking through add_writer() and remove_writer()");
  }
}

LOOPCERT_CASE("io.pipes.accepted", clauses("LOOP-IO-FD-ARGS")) {
  // "on UNIX, pipes are also accepted": a reader on a pipe's read end and a
  // writer on its write end, blocking and not, modes left alone.
  auto loop = ctx.new_loop();
  for (bool nonblocking : {false, true}) {
    auto ends = make_pipe(nonblocking);
    UniqueFd& read_end = ends[0];
    UniqueFd& write_end = ends[1];
    int reads = 0;
    int writes = 0;
    loop->add_writer(write_end.get(), [&] {
      ++writes;
      write_all(write_end.get(), "p", 1);
      loop->remove_writer(write_end.get());
    });
    loop->add_reader(read_end.get(), [&] {
      if (read_one(read_end.get())) ++reads;
      loop->stop();
    });
    ctx.run_forever(*loop, "a writer on a pipe's write end, then a reader on its read end");
    loop->remove_reader(read_end.get());
    CHECK_THAT(writes == 1 && reads == 1, "add_writer() and add_reader() accept the two ends of a pipe");
    CHECK_THAT(
        is_nonblocking(read_end.get()) == nonblocking && is_nonblocking(write_end.get()) == nonblocking,
        "the pipe's ends keep their blocking mode");
  }
}

LOOPCERT_CASE("io.add_reader.positional_arguments",
              clauses("TIER-CALLBACK-POSITIONAL-ARGS", "LOOP-IO-READER-WHENEVER-READY")) {
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  std::vector<std::string> seen;
  auto reader = [&](int fd, std::string tag) {
    read_one(fd);
    seen.push_back(tag + "/" + std::to_string(fd == pair.first.get()));
    loop->stop();
  };
  std::string tag = "reader";
  loop->add_reader(pair.first.get(), reader, pair.first.get(), tag);
  tag = "changed";
  write_all(pair.second.get(), "x", 1);
  ctx.run_forever(*loop, "a reader with arguments");
  loop->remove_reader(pair.first.get());
  CHECK_THAT(seen == std::vector<std::string>{"reader/1"},
             "add_reader(fd, callback, *args) calls callback(*args) with the arguments as they were given");
}

LOOPCERT_CASE("io.no_handle", clauses("LOOP-IO-NO-HANDLE", "LOOP-IO-REMOVE-READER")) {
  // "add_reader() ... and add_writer() do not return Handles": nothing to
  // cancel; remove_reader() and remove_writer() are the way to stop them.
  static_assert(std::is_void_v<decltype(std::declval<AbstractEventLoop&>().add_reader(0, Callback()))>,
                "add_reader() returns nothing");
  static_assert(std::is_void_v<decltype(std::declval<AbstractEventLoop&>().add_writer(0, Callback()))>,
                "add_writer() returns nothing");
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  loop->add_reader(pair.first.get(), [] {});
  loop->add_writer(pair.first.get(), [] {});
  CHECK_THAT(loop->remove_reader(pair.first.get()) && loop->remove_writer(pair.first.get()),
             "what add_reader() and add_writer() registered, remove_reader() and remove_writer() remove");
}

LOOPCERT_CASE("io.add_reader.replace_inside_callback", clauses("LOOP-IO-ADD-REPLACES")) {
  // The reader replaces itself: the new callback is the one called next.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  write_all(pair.second.get(), "ab", 2);
  int first_calls = 0;
  int second_calls = 0;
  loop->add_reader(fd, [&] {
    ++first_calls;
    read_one(fd);
    loop->add_reader(fd, [&] {
      ++second_calls;
      read_one(fd);
      loop->stop();
    });
  });
  ctx.run_forever(*loop, "a reader that replaces itself");
  loop->remove_reader(fd);
  CHECK_EQUAL(first_calls, 1, "a reader replaced from inside its callback is not called again");
  CHECK_EQUAL(second_calls, 1, "its replacement is called while data remains");
}

LOOPCERT_CASE("io.add_reader.replaced_while_ready", clauses("LOOP-IO-ADD-REPLACES")) {
  // Two fds readable in the same iteration: whichever reader runs first
  // replaces the other's. The replaced callback must not be called, even
  // if the loop had already found its fd ready.
  auto loop = ctx.new_loop();
  auto a = socket_pair();
  auto b = socket_pair();
  write_all(a.second.get(), "x", 1);
  write_all(b.second.get(), "x", 1);
  int replaced_calls = 0;
  int replacement_calls = 0;
  bool replaced = false;
  auto replacement = [&](int fd) {
    ++replacement_calls;
    read_one(fd);
    loop->remove_reader(fd);
  };
  auto first = [&](int mine, int other) {
    if (replaced) {  // the other reader ran first and replaced this one
      ++replaced_calls;
      return;
    }
    replaced = true;
    read_one(mine);
    loop->remove_reader(mine);
    loop->add_reader(other, replacement, other);
  };
  loop->add_reader(a.first.get(), first, a.first.get(), b.first.get());
  loop->add_reader(b.first.get(), first, b.first.get(), a.first.get());
  conformance::stop_when(*loop, [&] { return replacement_calls > 0; });
  ctx.run_forever(*loop, "two readable fds whose readers replace each other's");
  CHECK_EQUAL(replaced_calls, 0, "a reader replaced while its fd was ready is not called");
  CHECK_EQUAL(replacement_calls, 1, "its replacement is called instead");
}

LOOPCERT_CASE("io.remove_reader.inside_own_callback", clauses("LOOP-IO-REMOVE-READER")) {
  // The reader removes itself without reading: the fd stays readable, and
  // the reader is never called again.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  write_all(pair.second.get(), "x", 1);
  int calls = 0;
  bool removed = false;
  loop->add_reader(fd, [&] {
    ++calls;
    removed = loop->remove_reader(fd);
    loop->call_later(0.005, [&] { loop->stop(); });
  });
  ctx.run_forever(*loop, "a reader that removes itself, then 5 ms");
  CHECK_THAT(removed, "remove_reader() from inside the reader returns true");
  CHECK_EQUAL(calls, 1, "a reader that removed itself is not called again, though its fd is still readable");
}

LOOPCERT_CASE("io.remove_reader.while_ready", clauses("LOOP-IO-REMOVE-READER")) {
  // Two fds readable in the same iteration: whichever reader runs first
  // removes the other. The removed one must not be called.
  auto loop = ctx.new_loop();
  auto a = socket_pair();
  auto b = socket_pair();
  write_all(a.second.get(), "x", 1);
  write_all(b.second.get(), "x", 1);
  int calls = 0;
  auto reader = [&](int mine, int other) {
    ++calls;
    read_one(mine);
    loop->remove_reader(mine);
    loop->remove_reader(other);
    loop->call_later(0.005, [&] { loop->stop(); });
  };
  loop->add_reader(a.first.get(), reader, a.first.get(), b.first.get());
  loop->add_reader(b.first.get(), reader, b.first.get(), a.first.get());
  ctx.run_forever(*loop, "two readable fds whose readers remove each other");
  CHECK_EQUAL(calls, 1, "a reader removed while its fd was ready is not called");
}

LOOPCERT_CASE("io.reader_and_writer.same_fd",
              clauses("LOOP-IO-WRITER", "LOOP-IO-REMOVE-READER", "LOOP-IO-REMOVE-WRITER")) {
  // A reader and a writer on one fd are two registrations: both are
  // called, and removing one leaves the other.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  write_all(pair.second.get(), "ab", 2);
  int reads = 0;
  int writes = 0;
  loop->add_reader(fd, [&] {
    if (read_one(fd)) ++reads;
  });
  loop->add_writer(fd, [&] { ++writes; });
  conformance::stop_when(*loop, [&] { return reads >= 1 && writes >= 1; });
  ctx.run_forever(*loop, "a reader and a writer on the same socket");
  CHECK_THAT(loop->remove_writer(fd), "remove_writer() removes the writer");
  int writes_before = writes;
  conformance::stop_when(*loop, [&] { return reads >= 2; });
  ctx.run_forever(*loop, "the reader alone, for the second byte");
  CHECK_EQUAL(writes, writes_before, "the removed writer is not called again");
  CHECK_THAT(loop->remove_reader(fd), "the reader was still registered after remove_writer()");
  CHECK_EQUAL(reads, 2, "the reader kept working after the writer of its fd was removed");
}
