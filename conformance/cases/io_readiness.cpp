// When readers and writers are called (PEP 3156, "I/O Callbacks";
// optional: Category io): "whenever" the fd is ready, so again and again
// while it stays ready (level-triggered), again when it becomes ready
// again, and for the end of the stream too.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::read_one;
using conformance::socket_pair;
using conformance::SocketPair;
using conformance::write_all;

LOOPCERT_CASE("io.add_reader.called_again_for_new_data", clauses("LOOP-IO-READER-WHENEVER-READY")) {
  // The reader drains the fd; data arriving later (written by a timer)
  // makes it ready again, and the reader is called again.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  int bytes = 0;
  loop->add_reader(fd, [&] {
    while (read_one(fd)) ++bytes;
    if (bytes == 1) loop->call_later(0.002, [&] { write_all(pair.second.get(), "y", 1); });
    if (bytes == 2) loop->stop();
  });
  write_all(pair.second.get(), "x", 1);
  ctx.run_forever(*loop, "the reader to be called again for data written after it drained the fd");
  loop->remove_reader(fd);
  CHECK_EQUAL(bytes, 2, "the reader is called again when new data arrives");
}

LOOPCERT_CASE("io.add_reader.end_of_stream_is_readable", clauses("LOOP-IO-READER-WHENEVER-READY")) {
  // The peer closes: read() would return 0 at once, so the fd is readable
  // and the reader is called.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  bool saw_end = false;
  loop->add_reader(fd, [&] {
    char byte;
    ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;  // nothing after all: wait for the next call
    saw_end = n == 0;
    loop->stop();
  });
  loop->call_soon([&] { pair.second.reset(); });
  ctx.run_forever(*loop, "the reader of a socket whose peer closed");
  loop->remove_reader(fd);
  CHECK_THAT(saw_end, "the reader is called at the end of the stream (read() returns 0)");
}

LOOPCERT_CASE("io.add_writer.called_while_writable", clauses("LOOP-IO-WRITER")) {
  // A writer that writes nothing stays ready: it is called again and again.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  int calls = 0;
  loop->add_writer(fd, [&] {
    if (++calls == 3) loop->stop();
  });
  ctx.run_forever(*loop, "the writer of a writable socket to be called three times");
  loop->remove_writer(fd);
  // More than 3: a call after stop() is the loop's freedom (D-LIFE-2).
  CHECK_THAT(calls >= 3, "the writer is called whenever the fd is writable, again while it stays so");
}

LOOPCERT_CASE("io.add_writer.called_when_space_frees", clauses("LOOP-IO-WRITER")) {
  // The socket's buffer is full; a timer drains the peer; the writer is
  // then called.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  int peer = pair.second.get();
  int size = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  std::vector<char> chunk(4096, 'z');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  if (errno != EAGAIN && errno != EWOULDBLOCK) ctx.unresolved("could not fill the socket's buffer");
  bool drained = false;
  bool called_after_drain = false;
  loop->add_writer(fd, [&] {
    if (!drained) return;
    called_after_drain = true;
    loop->stop();
  });
  loop->call_later(0.002, [&] {
    while (::read(peer, chunk.data(), chunk.size()) > 0) {
    }
    drained = true;
  });
  ctx.run_forever(*loop, "the writer of a full socket to be called once the peer drained it");
  loop->remove_writer(fd);
  CHECK_THAT(called_after_drain, "the writer is called when the fd becomes writable again");
}

LOOPCERT_CASE("io.add_reader.many_fds", clauses("LOOP-IO-READER-WHENEVER-READY", "LOOP-IO-SOCKETS-ALWAYS")) {
  // Sixty-four sockets readable at once: every reader is called.
  constexpr int kPairs = 64;
  auto loop = ctx.new_loop();
  std::vector<SocketPair> pairs;
  int called = 0;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back(socket_pair());
    int fd = pairs.back().first.get();
    loop->add_reader(fd, [&, fd] {
      read_one(fd);
      loop->remove_reader(fd);
      if (++called == kPairs) loop->stop();
    });
    write_all(pairs.back().second.get(), "x", 1);
  }
  ctx.run_forever(*loop, "sixty-four readers");
  CHECK_EQUAL(called, kPairs, "every reader of a readable fd is called");
}
