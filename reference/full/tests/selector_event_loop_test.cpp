// The complete SelectorEventLoop: what it adds to the core (the
// categories it declares), and install().
#include <doctest/doctest.h>

#include "pep3156/pep3156.hpp"
#include "reference/reference.hpp"

using namespace pep3156;
using namespace pep3156::reference;

TEST_CASE("install() makes new_event_loop() create a SelectorEventLoop on the best poller") {
  install();
  auto loop = new_event_loop();
  auto* selector = dynamic_cast<SelectorEventLoop*>(loop.get());
  REQUIRE(selector != nullptr);
  CHECK(selector->poller_name() == available_pollers().back());
  CHECK(has(loop->capabilities().categories, Category::io_callbacks));
  CHECK(has(loop->capabilities().categories, Category::signals));
  loop->close();
  set_default_loop_factory({});
}

TEST_CASE("a SelectorEventLoop needs a poller, and declares UNIX sockets, pipes and subprocesses") {
  CHECK_THROWS_AS(SelectorEventLoop(nullptr), ValueError);
  auto loop = std::make_shared<SelectorEventLoop>();
  CHECK(has(loop->capabilities().categories, Category::unix_sockets));
  CHECK(has(loop->capabilities().categories, Category::pipes_subprocesses));
  loop->close();
}

TEST_CASE("a CoreSelectorEventLoop declares only I/O callbacks and signals, and has no networking") {
  auto loop = std::make_shared<CoreSelectorEventLoop>();
  CHECK(loop->capabilities().categories == (Category::io_callbacks | Category::signals));
  CHECK_THROWS_AS(loop->sock_recv(0, 1), NotImplementedError);
  loop->close();
}
