// What a registration leaves behind (PEP 3156, "I/O Callbacks"; optional:
// Category io; decision D-IO-1): a reader and a writer on one fd are two
// arrangements, so replacing or removing one leaves the other; and once
// remove_reader() has returned, the loop holds nothing of the fd, so the
// caller may close or dup() it and a new fd with the same number is new.
#include <unistd.h>

#include <functional>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::read_one;
using conformance::socket_pair;
using conformance::str;
using conformance::UniqueFd;
using conformance::write_all;

namespace {

enum class Side { reader, writer };

const char* name(Side side) { return side == Side::reader ? "reader" : "writer"; }

void add(AbstractEventLoop& loop, Side side, int fd, Callback callback) {
  if (side == Side::reader) {
    loop.add_reader(fd, std::move(callback));
  } else {
    loop.add_writer(fd, std::move(callback));
  }
}

bool remove(AbstractEventLoop& loop, Side side, int fd) {
  return side == Side::reader ? loop.remove_reader(fd) : loop.remove_writer(fd);
}

/// A readable and writable socket with a reader and a writer: the `changed`
/// side is replaced, then removed, and the other must be called after each.
void other_side_survives(conformance::Context& ctx, Side changed) {
  Side kept = changed == Side::reader ? Side::writer : Side::reader;
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  int fd = pair.first.get();
  write_all(pair.second.get(), "x", 1);  // never read: the fd stays readable, and it is writable
  int kept_calls = 0;
  int first_calls = 0;
  int replacement_calls = 0;
  add(*loop, kept, fd, [&] { ++kept_calls; });
  add(*loop, changed, fd, [&] { ++first_calls; });
  conformance::run_until(
      ctx, *loop, [&] { return kept_calls > 0 && first_calls > 0; }, "a reader and a writer on one socket");

  int kept_before = kept_calls;
  add(*loop, changed, fd, [&] { ++replacement_calls; });
  conformance::run_until(
      ctx, *loop, [&] { return kept_calls > kept_before && replacement_calls > 0; },
      str("the ", name(kept), " after the ", name(changed), " was replaced"));

  kept_before = kept_calls;
  int replacement_before = replacement_calls;
  CHECK_THAT(remove(*loop, changed, fd), str("remove_", name(changed), "() removes the replacement"));
  conformance::run_until(
      ctx, *loop, [&] { return kept_calls > kept_before + 1; },
      str("the ", name(kept), " after the ", name(changed), " was removed"));
  CHECK_EQUAL(replacement_calls, replacement_before,
              str("the removed ", name(changed), " is not called again"));
  CHECK_THAT(remove(*loop, kept, fd), str("the ", name(kept), " is still registered after its fd's ",
                                          name(changed), " was replaced and removed"));
}

}  // namespace

LOOPCERT_CASE("io.reader_and_writer.writer_survives_reader_changes",
              clauses("LOOP-IO-WRITER", "LOOP-IO-ADD-REPLACES", "LOOP-IO-REMOVE-READER")) {
  other_side_survives(ctx, Side::reader);
}

LOOPCERT_CASE("io.reader_and_writer.reader_survives_writer_changes",
              clauses("LOOP-IO-READER-WHENEVER-READY", "LOOP-IO-WRITER", "LOOP-IO-REMOVE-WRITER")) {
  other_side_survives(ctx, Side::writer);
}

LOOPCERT_CASE("io.remove_reader.then_fd_dup_and_close",
              clauses("LOOP-IO-REMOVE-READER", "LOOP-IO-READER-WHENEVER-READY")) {
  // epoll keys a registration on the open file, not on the number: a loop
  // that has not really dropped it goes on reporting the old file, through
  // a dup(), under the number a new socket now has.
  auto loop = ctx.new_loop();
  auto old_pair = socket_pair();
  int fd = old_pair.first.get();
  int old_calls = 0;
  loop->add_reader(fd, [&] { ++old_calls; });
  write_all(old_pair.second.get(), "x", 1);
  conformance::run_until(
      ctx, *loop, [&] { return old_calls > 0; }, "the reader of the first socket");
  REQUIRE_THAT(loop->remove_reader(fd), "remove_reader() removes the reader");
  int old_calls_when_removed = old_calls;

  UniqueFd same_file(::dup(fd));
  REQUIRE_THAT(static_cast<bool>(same_file), "dup() of the socket");
  old_pair.first.reset();  // the number is free; the file stays open, and readable
  auto new_pair = socket_pair();
  int new_fd = new_pair.first.get();
  int bytes_read = 0;
  int calls_with_nothing_to_read = 0;
  loop->add_reader(new_fd, [&] { read_one(new_fd) ? ++bytes_read : ++calls_with_nothing_to_read; });
  // The new socket has nothing to read for 20 ms, then one byte: a stale
  // registration shows as calls that find nothing, before and after it.
  loop->call_later(0.02, [&] { write_all(new_pair.second.get(), "y", 1); });
  conformance::run_until(
      ctx, *loop, [&] { return bytes_read > 0; },
      str("the reader of a new socket (fd ", new_fd, ", the old one was fd ", fd, ")"));
  loop->call_later(0.005, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a few more iterations, for a stale registration to show");
  loop->remove_reader(new_fd);
  CHECK_EQUAL(old_calls, old_calls_when_removed,
              "a removed reader is not called again, even while a dup() of its fd is readable");
  CHECK_EQUAL(calls_with_nothing_to_read, 0,
              "a new socket's reader is called when it is readable, not for the old file behind its number");
}
