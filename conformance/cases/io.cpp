// I/O callbacks (PEP 3156, "I/O Callbacks"; optional: Category io). The
// cases use a UNIX socket pair: sockets are always accepted.
#include <unistd.h>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::read_one;
using conformance::socket_pair;
using conformance::write_all;

LOOPCERT_CASE("io.add_reader.level_triggered", clauses("LOOP-IO-READER-WHENEVER-READY")) {
  // The reader consumes one byte per call: with two bytes waiting it must
  // be called again while the second remains (an edge-triggered loop that
  // waits for new data never calls it again, and the watchdog says so).
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  write_all(pair.second.get(), "ab", 2);
  int calls = 0;
  int fd = pair.first.get();
  loop->add_reader(fd, [&] {
    if (read_one(fd)) ++calls;
    if (calls == 2) loop->stop();
  });
  ctx.run_forever(*loop, "the reader to be called again while unread data remains");
  loop->remove_reader(fd);
  CHECK_EQUAL(calls, 2, "the reader is called whenever the fd is readable, once per byte read");
}

LOOPCERT_CASE("io.add_reader.blocking_socket_left_alone", clauses("LOOP-IO-SOCKETS-ALWAYS")) {
  // A socket is always accepted, blocking or not, and watching it for
  // readiness does not change its mode: the fd stays the caller's, as the
  // caller configured it (decision D-IO-3).
  auto loop = ctx.new_loop();
  auto pair = socket_pair(/*nonblocking=*/false);
  int fd = pair.first.get();
  bool called = false;
  loop->add_reader(fd, [&] {
    called = read_one(fd);
    loop->stop();
  });
  CHECK_THAT(!conformance::is_nonblocking(fd), "add_reader() leaves a blocking socket blocking");
  write_all(pair.second.get(), "x", 1);
  ctx.run_forever(*loop, "the reader of a blocking socket");
  CHECK_THAT(called, "add_reader() accepts a blocking socket and calls the reader when it is readable");
  CHECK_THAT(loop->remove_reader(fd), "remove_reader() removes it");
  CHECK_THAT(!conformance::is_nonblocking(fd), "the socket is still blocking after the loop watched it");
}

LOOPCERT_CASE("io.remove_reader.returns_whether_removed", clauses("LOOP-IO-REMOVE-READER")) {
  auto loop = ctx.new_loop();
  auto watched = socket_pair();
  auto sentinel = socket_pair();
  CHECK_THAT(!loop->remove_reader(watched.first.get()), "remove_reader() with no reader set returns false");
  int removed_calls = 0;
  loop->add_reader(watched.first.get(), [&] { ++removed_calls; });
  CHECK_THAT(loop->remove_reader(watched.first.get()),
             "remove_reader() returns true when it removed a reader");
  CHECK_THAT(!loop->remove_reader(watched.first.get()), "a second remove_reader() returns false");
  // Both fds readable at once: the sentinel's reader runs, the removed
  // one must not.
  write_all(watched.second.get(), "x", 1);
  write_all(sentinel.second.get(), "x", 1);
  loop->add_reader(sentinel.first.get(), [&] { loop->stop(); });
  ctx.run_forever(*loop, "a reader on a second, readable socket");
  loop->remove_reader(sentinel.first.get());
  CHECK_EQUAL(removed_calls, 0, "a removed reader is never called");
}

LOOPCERT_CASE("io.add_reader.replaces", clauses("LOOP-IO-ADD-REPLACES")) {
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  int first_calls = 0;
  int second_calls = 0;
  loop->add_reader(fd, [&] { ++first_calls; });
  loop->add_reader(fd, [&] {
    ++second_calls;
    read_one(fd);
    loop->stop();
  });
  write_all(pair.second.get(), "x", 1);
  ctx.run_forever(*loop, "the second reader of the fd");
  CHECK_EQUAL(first_calls, 0, "add_reader() again on the same fd replaces the first reader");
  CHECK_EQUAL(second_calls, 1, "the replacing reader is called");
  CHECK_THAT(loop->remove_reader(fd), "there is one reader to remove");
  CHECK_THAT(!loop->remove_reader(fd), "and only one");
}

LOOPCERT_CASE("io.add_writer.writable", clauses("LOOP-IO-WRITER", "LOOP-IO-REMOVE-WRITER")) {
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  CHECK_THAT(!loop->remove_writer(fd), "remove_writer() with no writer set returns false");
  int replaced_calls = 0;
  int calls = 0;
  loop->add_writer(fd, [&] { ++replaced_calls; });
  loop->add_writer(fd, [&] {
    ++calls;
    loop->stop();
  });
  ctx.run_forever(*loop, "the writer of a writable socket");
  CHECK_THAT(calls >= 1, "the writer is called when the fd is writable");
  CHECK_EQUAL(replaced_calls, 0, "add_writer() again on the same fd replaces the first writer");
  CHECK_THAT(loop->remove_writer(fd), "remove_writer() returns true when it removed a writer");
  CHECK_THAT(!loop->remove_writer(fd), "a second remove_writer() returns false");
}
