// The poller contract (reference/poller.hpp), checked on every backend.
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <system_error>

#include "pep3156/errors.hpp"
#include "test_support.hpp"
#include "wait_deadline.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace std::chrono_literals;
using pep3156::reference::testing::for_each_poller;
using pep3156::reference::testing::open_fd_count;
using pep3156::reference::testing::SocketPair;

namespace {

std::vector<FiredEvent> poll_now(Poller& poller) {
  auto fired = poller.wait(0ns);
  return {fired.begin(), fired.end()};
}

Events events_of(const std::vector<FiredEvent>& fired, int fd) {
  auto it = std::find_if(fired.begin(), fired.end(), [fd](const FiredEvent& e) { return e.fd == fd; });
  return it == fired.end() ? Events::none : it->events;
}

int errno_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

bool kernel_forgets_closed_fds(const std::string& poller) { return poller == "epoll" || poller == "kqueue"; }

}  // namespace

TEST_CASE("make_poller() offers select, poll and the platform's best; '' picks the best") {
  auto names = available_pollers();
  REQUIRE(names.size() >= 3);
  CHECK(names[0] == "select");
  CHECK(names[1] == "poll");
#ifdef PEP3156_KQUEUE_MODEL
  CHECK(names.back() == "kqueue");  // this build: kqueue on a model of BSD's (kqueue_model/)
#elif defined(__linux__)
  CHECK(names.back() == "epoll");
  CHECK_THROWS_AS(make_poller("kqueue"), ValueError);
#endif
  CHECK(make_poller("")->name() == names.back());
  for (const auto& name : names) CHECK(make_poller(name)->name() == name);
  CHECK_THROWS_AS(make_poller("io_uring"), ValueError);
}

TEST_CASE("a poller reports nothing while nothing is ready") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair pair;
    poller->add(pair.a, Events::readable);
    CHECK(poll_now(*poller).empty());
  });
}

TEST_CASE("a readable fd is reported again and again while its data is unread (level-triggered)") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair pair;
    poller->add(pair.a, Events::readable);
    pair.send_to_a();
    for (int round = 0; round < 3; ++round) {
      auto fired = poll_now(*poller);
      REQUIRE(fired.size() == 1);
      CHECK(fired[0].fd == pair.a);
      CHECK(fired[0].events == Events::readable);
    }
    char byte;
    REQUIRE(::read(pair.a, &byte, 1) == 1);
    CHECK(poll_now(*poller).empty());
  });
}

TEST_CASE("modify() changes what is watched; remove() stops the reports") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair pair;
    pair.send_to_a();
    poller->add(pair.a, Events::writable);
    CHECK(events_of(poll_now(*poller), pair.a) == Events::writable);
    poller->modify(pair.a, Events::readable | Events::writable);
    CHECK(events_of(poll_now(*poller), pair.a) == (Events::readable | Events::writable));
    poller->modify(pair.a, Events::readable);
    CHECK(events_of(poll_now(*poller), pair.a) == Events::readable);
    poller->remove(pair.a);
    CHECK(poll_now(*poller).empty());
    poller->add(pair.a, Events::readable);  // and it can come back
    CHECK(events_of(poll_now(*poller), pair.a) == Events::readable);
  });
}

TEST_CASE("a hang-up is reported only as the directions the fd is registered for") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair reader_only;
    SocketPair writer_only;
    poller->add(reader_only.a, Events::readable);
    poller->add(writer_only.a, Events::writable);
    reader_only.close_b();
    writer_only.close_b();
    auto fired = poll_now(*poller);
    CHECK(fired.size() == 2);
    CHECK(events_of(fired, reader_only.a) == Events::readable);
    CHECK(events_of(fired, writer_only.a) == Events::writable);
  });
}

TEST_CASE("only the ready fds among many are reported") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    std::vector<std::unique_ptr<SocketPair>> pairs(50);
    for (auto& pair : pairs) {
      pair = std::make_unique<SocketPair>();
      poller->add(pair->a, Events::readable);
    }
    pairs[17]->send_to_a();
    pairs[42]->send_to_a();
    auto fired = poll_now(*poller);
    CHECK(fired.size() == 2);
    CHECK(events_of(fired, pairs[17]->a) == Events::readable);
    CHECK(events_of(fired, pairs[42]->a) == Events::readable);
  });
}

TEST_CASE("broken preconditions give ValueError or std::system_error, and change nothing") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair pair;
    CHECK_THROWS_AS(poller->add(-1, Events::readable), ValueError);
    CHECK_THROWS_AS(poller->add(pair.a, Events::none), ValueError);
    CHECK_THROWS_AS(poller->add(pair.a, Events::invalid), ValueError);
    CHECK(errno_of([&] { poller->modify(pair.a, Events::readable); }) == ENOENT);
    poller->remove(pair.a);  // not registered: nothing happens
    poller->add(pair.a, Events::writable);
    CHECK(errno_of([&] { poller->add(pair.a, Events::readable); }) == EEXIST);
    CHECK_THROWS_AS(poller->modify(pair.a, Events::none), ValueError);
    CHECK(events_of(poll_now(*poller), pair.a) == Events::writable);
  });
}

TEST_CASE("wait() never returns before its timeout, even below a millisecond") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair pair;
    poller->add(pair.a, Events::readable);
    for (auto timeout : {std::chrono::nanoseconds(300us), std::chrono::nanoseconds(1500us)}) {
      auto start = std::chrono::steady_clock::now();
      CHECK(poller->wait(timeout).empty());
      CHECK(std::chrono::steady_clock::now() - start >= timeout);
    }
  });
}

TEST_CASE("an fd closed while registered: invalid from select and poll, forgotten by epoll") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    SocketPair closed;
    SocketPair open;
    poller->add(closed.a, Events::readable);
    poller->add(open.a, Events::readable);
    open.send_to_a();
    int fd = closed.a;
    closed.close_a();
    auto fired = poll_now(*poller);
    if (kernel_forgets_closed_fds(name)) {
      CHECK(fired.size() == 1);
      CHECK(events_of(fired, open.a) == Events::readable);
    } else {
      // select reports only the closed fds in that round: its EBADF says
      // nothing about the others.
      CHECK(events_of(fired, fd) == Events::invalid);
    }
    poller->remove(fd);  // never throws, whatever the kernel says
    fired = poll_now(*poller);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].fd == open.a);
  });
}

TEST_CASE("an fd closed without remove() and its number reused by a new file can be modified") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    auto old_pair = std::make_unique<SocketPair>();
    int fd = old_pair->a;
    poller->add(fd, Events::readable);
    old_pair.reset();
    SocketPair reused;  // takes the lowest free numbers again
    REQUIRE(reused.a == fd);
    poller->modify(fd, Events::writable);  // epoll: MOD says ENOENT, so the new file is added
    CHECK(events_of(poll_now(*poller), fd) == Events::writable);
  });
}

TEST_CASE("a direction kept by modify() on a reused fd number is watched on the new file") {
  for_each_poller([](const std::string& name) {
    auto poller = make_poller(name);
    auto old_pair = std::make_unique<SocketPair>();
    int fd = old_pair->a;
    poller->add(fd, Events::readable);
    old_pair.reset();
    SocketPair reused;
    REQUIRE(reused.a == fd);
    reused.send_to_a();
    // kqueue: the closed file took its read filter along; modify() adds it back.
    poller->modify(fd, Events::readable | Events::writable);
    CHECK(events_of(poll_now(*poller), fd) == (Events::readable | Events::writable));
  });
}

TEST_CASE("modify() of an fd closed without remove(), its number free: the kernel's error (epoll, kqueue)") {
  for_each_poller([](const std::string& name) {
    if (!kernel_forgets_closed_fds(name)) return;  // select and poll report it as invalid on the next wait
    auto poller = make_poller(name);
    auto pair = std::make_unique<SocketPair>();
    int fd = pair->a;
    poller->add(fd, Events::readable);
    pair.reset();
    CHECK(errno_of([&] { poller->modify(fd, Events::writable); }) == EBADF);
  });
}

TEST_CASE("select refuses an fd at or above FD_SETSIZE with ValueError; poll and epoll take it") {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur <= FD_SETSIZE) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, FD_SETSIZE + 16);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  SocketPair pair;
  int high = ::fcntl(pair.a, F_DUPFD_CLOEXEC, FD_SETSIZE);
  if (high < 0) {
    MESSAGE("skipped: this process may not open fd ", FD_SETSIZE, " (RLIMIT_NOFILE)");
    return;
  }
  for_each_poller([high](const std::string& name) {
    auto poller = make_poller(name);
    if (name == "select") {
      CHECK_THROWS_AS(poller->add(high, Events::readable), ValueError);
      CHECK(poll_now(*poller).empty());
    } else {
      poller->add(high, Events::writable);
      CHECK(events_of(poll_now(*poller), high) == Events::writable);
    }
  });
  ::close(high);
}

TEST_CASE("a poller's kernel object is released with it") {
  for_each_poller([](const std::string& name) {
    std::size_t before = open_fd_count();
    {
      auto poller = make_poller(name);
      SocketPair pair;
      poller->add(pair.a, Events::readable);
    }
    CHECK(open_fd_count() == before);
  });
}

TEST_CASE("timeouts convert to timespecs exactly and to milliseconds rounded up") {
  CHECK(to_milliseconds_rounded_up(0ns) == 0);
  CHECK(to_milliseconds_rounded_up(-5ms) == 0);
  CHECK(to_milliseconds_rounded_up(1ns) == 1);
  CHECK(to_milliseconds_rounded_up(999us) == 1);
  CHECK(to_milliseconds_rounded_up(1ms) == 1);
  CHECK(to_milliseconds_rounded_up(1ms + 1ns) == 2);
  CHECK(to_milliseconds_rounded_up(std::chrono::hours(1000)) == 24 * 3600 * 1000);  // capped at a day
  timespec spec = to_timespec(1500ms + 7ns);
  CHECK(spec.tv_sec == 1);
  CHECK(spec.tv_nsec == 500'000'007);
  CHECK(to_timespec(-1s).tv_sec == 0);
  CHECK(to_timespec(-1s).tv_nsec == 0);

  WaitDeadline forever(std::nullopt);
  CHECK(forever.remaining_timespec() == nullptr);
  CHECK(forever.remaining_milliseconds() == -1);
  WaitDeadline soon(2s);
  const timespec* left = soon.remaining_timespec();
  REQUIRE(left != nullptr);
  CHECK(left->tv_sec <= 2);
  CHECK(soon.remaining_milliseconds() <= 2000);
  CHECK(soon.remaining_milliseconds() > 0);
  for (std::chrono::nanoseconds zero : {0ns, -1000ns}) {  // "just look", on every attempt
    WaitDeadline now(zero);
    const timespec* none = now.remaining_timespec();
    REQUIRE(none != nullptr);
    CHECK(none->tv_sec == 0);
    CHECK(none->tv_nsec == 0);
    CHECK(now.remaining_milliseconds() == 0);
  }
}
