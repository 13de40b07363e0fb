// The complete SelectorEventLoop: what it adds to the core (networking),
// and install().
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
  loop->close();
  set_default_loop_factory({});
}

TEST_CASE("a SelectorEventLoop needs a poller") { CHECK_THROWS_AS(SelectorEventLoop(nullptr), ValueError); }

TEST_CASE("a CoreSelectorEventLoop has no networking") {
  auto loop = std::make_shared<CoreSelectorEventLoop>();
  CHECK_THROWS_AS(loop->sock_recv(0, 1), NotImplementedError);
  loop->close();
}
