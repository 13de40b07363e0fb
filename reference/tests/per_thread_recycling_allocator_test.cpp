// RecyclingAllocator and BlockCache (src/per_thread_recycling_allocator.hpp): the
// per-thread free lists behind call_soon()'s and call_later()'s Handles.
#include "per_thread_recycling_allocator.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <thread>
#include <vector>

using namespace pep3156::reference;

namespace {

struct Payload {
  char bytes[72];
};

using Allocator = RecyclingAllocator<Payload>;
using Cache = BlockCache<sizeof(Payload)>;

std::vector<Payload*> allocate(std::size_t count) {
  std::vector<Payload*> blocks;
  for (std::size_t i = 0; i < count; ++i) blocks.push_back(Allocator().allocate(1));
  return blocks;
}

void deallocate(std::vector<Payload*>& blocks) {
  for (Payload* block : blocks) Allocator().deallocate(block, 1);
  blocks.clear();
}

}  // namespace

TEST_CASE("a block freed on a thread is that thread's next block of the same size") {
  if (Cache::kCapacity == 0) return;  // a sanitizer build keeps no blocks
  Payload* first = Allocator().allocate(1);
  Allocator().deallocate(first, 1);
  std::size_t cached = Cache::cached();
  CHECK(cached >= 1);
  Payload* second = Allocator().allocate(1);
  CHECK(second == first);
  CHECK(Cache::cached() == cached - 1);
  Allocator().deallocate(second, 1);
}

TEST_CASE("a thread keeps at most kCapacity blocks; the rest go back to operator delete") {
  std::vector<Payload*> many = allocate(Cache::kCapacity + 100);
  deallocate(many);
  CHECK(Cache::cached() == Cache::kCapacity);
}

TEST_CASE("a block made on one thread may be freed on another, which keeps it until it exits") {
  // Valgrind's or LeakSanitizer's leak check is what sees the blocks go
  // back to operator delete when the thread exits.
  std::vector<Payload*> made = allocate(10);
  std::size_t cached_there = 0;
  std::thread other([&] {
    deallocate(made);
    cached_there = Cache::cached();
  });
  other.join();
  CHECK(cached_there == (Cache::kCapacity == 0 ? 0 : 10));
}

TEST_CASE("make_recycled() makes a shared object like std::make_shared, whoever drops it last") {
  auto shared = make_recycled<std::vector<int>>(3, 7);
  std::weak_ptr<std::vector<int>> watcher = shared;
  CHECK(*shared == std::vector<int>{7, 7, 7});
  std::thread other([kept = std::move(shared)] { CHECK(kept->size() == 3); });
  other.join();
  CHECK(watcher.expired());
}
