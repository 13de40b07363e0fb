// I/O callbacks (LOOP-IO-*), on every poller: socket pairs make fds
// readable and writable on demand, so nothing here waits on a clock.
#include <fcntl.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>
#include <system_error>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

namespace {
bool kernel_forgets_closed_fds(CoreSelectorEventLoop& loop) {
  return loop.poller_name() == "epoll" || loop.poller_name() == "kqueue";
}
}  // namespace

TEST_CASE("a reader runs when its fd is readable, and again on every iteration until the data is read") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    SocketPair pair;
    int calls = 0;
    loop->add_reader(pair.a, [&] {
      if (++calls == 3) loop->stop();  // never reads: the fd stays readable
    });
    pair.send_to_a();
    loop->run_forever();
    CHECK(calls == 3);
    char byte;
    REQUIRE(::read(pair.a, &byte, 1) == 1);
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(calls == 3);  // drained: quiet
    CHECK(loop->remove_reader(pair.a));
    loop->close();
  });
}

TEST_CASE("a writer runs while its fd has room to write") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    SocketPair pair;
    int calls = 0;
    loop->add_writer(pair.a, [&] {
      if (++calls == 2) loop->stop();
    });
    loop->run_forever();
    CHECK(calls == 2);
    CHECK(loop->remove_writer(pair.a));
    loop->close();
  });
}

TEST_CASE("add_reader() again replaces the reader; remove_*() return whether something was removed") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    SocketPair pair;
    std::string calls;
    loop->add_reader(pair.a, [&] { calls += "old "; });
    loop->add_reader(pair.a, [&] {
      calls += "new ";
      loop->stop();
    });
    pair.send_to_a();
    loop->run_forever();
    CHECK(calls == "new ");
    CHECK_FALSE(loop->remove_writer(pair.a));  // a reader is not a writer
    CHECK(loop->remove_reader(pair.a));
    CHECK_FALSE(loop->remove_reader(pair.a));
    CHECK_FALSE(loop->remove_reader(pair.b));  // never registered
    loop->close();
  });
}

TEST_CASE("a reader and a writer on one fd are independent") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    SocketPair pair;
    int reads = 0;
    int writes = 0;
    loop->add_reader(pair.a, [&] { ++reads; });
    loop->add_writer(pair.a, [&] {
      ++writes;
      loop->stop();
    });
    loop->run_forever();
    CHECK(reads == 0);
    CHECK(writes == 1);
    CHECK(loop->remove_writer(pair.a));
    pair.send_to_a();
    loop->call_soon([&] { loop->call_soon([&] { loop->stop(); }); });
    loop->run_forever();
    CHECK(reads >= 1);
    CHECK(writes == 1);
    CHECK(loop->remove_reader(pair.a));
    loop->close();
  });
}

TEST_CASE("a reader removed by the callback before it in the same iteration does not run") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    SocketPair first;
    SocketPair second;
    int ran = 0;
    // Both fds fire in one iteration, in an order the poller chooses; the
    // one that runs first removes the other, which must then not run.
    loop->add_reader(first.a, [&] {
      ++ran;
      loop->remove_reader(second.a);
      loop->remove_reader(first.a);
    });
    loop->add_reader(second.a, [&] {
      ++ran;
      loop->remove_reader(first.a);
      loop->remove_reader(second.a);
    });
    first.send_to_a();
    second.send_to_a();
    loop->call_later(0.001, [&] { loop->stop(); });
    loop->run_forever();
    CHECK(ran == 1);
    loop->close();
  });
}

TEST_CASE("the loop never changes an fd's blocking mode") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    SocketPair blocking;
    SocketPair nonblocking;
    REQUIRE(::fcntl(nonblocking.a, F_SETFL, ::fcntl(nonblocking.a, F_GETFL) | O_NONBLOCK) == 0);
    int blocking_flags = ::fcntl(blocking.a, F_GETFL);
    int nonblocking_flags = ::fcntl(nonblocking.a, F_GETFL);
    for (int fd : {blocking.a, nonblocking.a}) {
      loop->add_reader(fd, [] {});
      loop->add_writer(fd, [] {});
    }
    loop->stop();
    loop->run_forever();
    for (int fd : {blocking.a, nonblocking.a}) {
      CHECK(loop->remove_reader(fd));
      CHECK(loop->remove_writer(fd));
    }
    CHECK(::fcntl(blocking.a, F_GETFL) == blocking_flags);
    CHECK(::fcntl(nonblocking.a, F_GETFL) == nonblocking_flags);
    CHECK((blocking_flags & O_NONBLOCK) == 0);
    loop->close();
  });
}

TEST_CASE("negative fds give ValueError") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    CHECK_THROWS_AS(loop->add_reader(-1, [] {}), ValueError);
    CHECK_THROWS_AS(loop->add_writer(-3, [] {}), ValueError);
    CHECK_THROWS_AS(loop->remove_reader(-1), ValueError);
    CHECK_THROWS_AS(loop->remove_writer(-1), ValueError);
    loop->close();
  });
}

TEST_CASE("an exception from a reader reaches the exception handler and the loop goes on") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto errors = record_errors(*loop);
    SocketPair pair;
    loop->add_reader(pair.a, [] { throw std::runtime_error("reader failed"); });
    pair.send_to_a();
    loop->call_later(0.001, [&] { loop->stop(); });
    loop->run_forever();
    CHECK(errors->size() >= 1);
    CHECK(loop->remove_reader(pair.a));
    loop->close();
  });
}

TEST_CASE("an fd closed while registered: dropped and reported (select, poll) or forgotten (epoll)") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto errors = record_errors(*loop);
    SocketPair pair;
    int fd = pair.a;
    bool ran = false;
    loop->add_reader(fd, [&] { ran = true; });
    pair.close_a();  // behind the loop's back
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK_FALSE(ran);
    if (kernel_forgets_closed_fds(*loop)) {
      CHECK(errors->empty());          // the kernel said nothing...
      CHECK(loop->remove_reader(fd));  // ...and removal does not throw
    } else {
      REQUIRE(errors->size() == 1);  // POLLNVAL / select's EBADF
      CHECK((*errors)[0].socket == fd);
      CHECK((*errors)[0].exception != nullptr);
      CHECK_FALSE(loop->remove_reader(fd));  // already dropped
    }
    loop->close();
  });
}

TEST_CASE("remove_reader() on an fd closed behind the loop's back never throws, even with a writer left") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto errors = record_errors(*loop);
    SocketPair pair;
    int fd = pair.a;
    loop->add_reader(fd, [] {});
    loop->add_writer(fd, [] {});
    pair.close_a();
    CHECK(loop->remove_reader(fd));
    loop->remove_writer(fd);  // epoll dropped it with the reader; select and poll still had it
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    if (kernel_forgets_closed_fds(*loop)) {
      REQUIRE(errors->size() == 1);  // the writer could never fire again: reported
      CHECK((*errors)[0].socket == fd);
    } else {
      CHECK(errors->empty());
    }
    CHECK_FALSE(loop->remove_writer(fd));
    loop->close();
  });
}

TEST_CASE("fds a poller cannot watch are refused with a clear error, and nothing stays registered") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    // A regular file: epoll refuses it (EPERM); select and poll take it
    // (it is always ready).
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    int fd = ::fileno(file);
    if (loop->poller_name() == "epoll") {
      try {
        loop->add_reader(fd, [] {});
        FAIL("epoll accepted a regular file");
      } catch (const std::system_error& e) {
        CHECK(e.code().value() == EPERM);
      }
      CHECK_FALSE(loop->remove_reader(fd));
    } else {
      loop->add_reader(fd, [] {});
      CHECK(loop->remove_reader(fd));
    }
    std::fclose(file);

    // An fd at FD_SETSIZE: select refuses it (ValueError).
    SocketPair pair;
    int high = ::fcntl(pair.a, F_DUPFD_CLOEXEC, FD_SETSIZE);
    if (high >= 0 && loop->poller_name() == "select") {
      CHECK_THROWS_AS(loop->add_reader(high, [] {}), ValueError);
      CHECK_FALSE(loop->remove_reader(high));
    }
    if (high >= 0) ::close(high);
    loop->close();
  });
}
