// UniqueFunction (the callback type) and Value (a Future's result box).
#include <doctest/doctest.h>

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "pep3156/unique_function.hpp"
#include "pep3156/value.hpp"

using namespace pep3156;

namespace {
int twice(int x) { return 2 * x; }

/// Counts live instances, to check that every stored object is destroyed once.
struct Counted {
  static inline int live = 0;
  Counted() { ++live; }
  Counted(const Counted&) { ++live; }
  Counted(Counted&&) noexcept { ++live; }
  ~Counted() { --live; }
};
}  // namespace

TEST_CASE("UniqueFunction holds a move-only capture") {
  auto owned = std::make_unique<int>(5);
  UniqueFunction<int()> f([p = std::move(owned)] { return *p; });
  REQUIRE(f);
  CHECK(f() == 5);
  UniqueFunction<int()> moved = std::move(f);
  CHECK_FALSE(f);  // NOLINT(bugprone-use-after-move): a moved-from UniqueFunction is empty
  CHECK(moved() == 5);
}

TEST_CASE("UniqueFunction stores a large capture on the heap and destroys it once") {
  Counted::live = 0;
  {
    std::array<char, 200> big{};
    big[199] = 'z';
    UniqueFunction<char()> f([big, c = Counted()] { return big[199]; });
    CHECK(Counted::live == 1);
    UniqueFunction<char()> g = std::move(f);
    CHECK(Counted::live == 1);
    CHECK(g() == 'z');
    g = nullptr;
    CHECK_FALSE(g);
    CHECK(Counted::live == 0);
  }
  CHECK(Counted::live == 0);
}

TEST_CASE("UniqueFunction stores a small capture inline and destroys it once") {
  Counted::live = 0;
  {
    UniqueFunction<int()> f([c = Counted()] { return 1; });
    UniqueFunction<int()> g;
    g = std::move(f);
    CHECK(Counted::live == 1);
    CHECK(g() == 1);
    g.reset();
    CHECK(Counted::live == 0);
  }
  CHECK(Counted::live == 0);
}

TEST_CASE("UniqueFunction: empty, nullptr and null function pointers") {
  UniqueFunction<void()> empty;
  CHECK_FALSE(empty);
  UniqueFunction<void()> null(nullptr);
  CHECK_FALSE(null);
  int (*no_function)(int) = nullptr;
  UniqueFunction<int(int)> from_null_pointer(no_function);
  CHECK_FALSE(from_null_pointer);
  UniqueFunction<int(int)> from_pointer(&twice);
  REQUIRE(from_pointer);
  CHECK(from_pointer(4) == 8);
}

TEST_CASE("TIER-CALLBACK-POSITIONAL-ARGS: a Callback discards what the callable returns") {
  int calls = 0;
  Callback small([&calls] { return ++calls; });
  small();
  std::array<char, 100> big{};
  Callback boxed([&calls, big] { return ++calls + big[0]; });
  boxed();
  CHECK(calls == 2);
}

TEST_CASE("UniqueFunction: self-move-assignment keeps the callable") {
  UniqueFunction<int()> f([] { return 3; });
  auto& alias = f;
  f = std::move(alias);
  REQUIRE(f);
  CHECK(f() == 3);
}

TEST_CASE("TIER-CALLBACK-POSITIONAL-ARGS: bind_callback binds positional arguments, move-only ones too") {
  std::string seen;
  Callback bound = bind_callback([&](const std::string& a, int b) { seen = a + std::to_string(b); },
                                 std::string("abc"), 42);
  bound();
  CHECK(seen == "abc42");
  int value = 0;
  Callback with_unique =
      bind_callback([&](std::unique_ptr<int>& p) { value = *p; }, std::make_unique<int>(9));
  with_unique();
  CHECK(value == 9);
}

TEST_CASE("Value holds small and large values, move-only ones too") {
  Value small(42);
  CHECK(small.has_value());
  CHECK(small.get<int>() == 42);
  Value large(std::string(500, 'q'));
  CHECK(large.get<std::string>().size() == 500);
  Value unique(std::make_unique<int>(3));
  Value moved = std::move(unique);
  CHECK_FALSE(unique.has_value());  // NOLINT(bugprone-use-after-move)
  CHECK(*moved.get<std::unique_ptr<int>>() == 3);
  moved = Value(std::string("replaced"));
  CHECK(moved.get<std::string>() == "replaced");
}

TEST_CASE("Value destroys what it holds exactly once") {
  Counted::live = 0;
  {
    Value a{Counted()};
    Value b{std::array<Counted, 4>()};
    CHECK(Counted::live == 5);
    Value c = std::move(b);
    CHECK(Counted::live == 5);
    a.reset();
    CHECK(Counted::live == 4);
  }
  CHECK(Counted::live == 0);
}

TEST_CASE("Value: a type mismatch or an empty box raises TypeError") {
  Value number(1);
  CHECK_THROWS_AS(number.get<long>(), TypeError);
  CHECK_THROWS_AS(number.get<std::string>(), TypeError);
  Value empty;
  CHECK_FALSE(empty.has_value());
  CHECK(empty.type() == typeid(void));
  CHECK_THROWS_AS(empty.get<int>(), TypeError);
}
