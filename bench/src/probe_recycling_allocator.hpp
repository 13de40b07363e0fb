// RecyclingAllocator for the "handle alone" probes, which measure what the
// PEP's Handle costs with no loop around it. Their blocks are kept for the
// next allocation, so that malloc is not what they measure (the reference
// loop recycles its Handle blocks likewise, per thread:
// reference/src/per_thread_recycling_allocator.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace loopbench {

/// For allocate_shared: the blocks it frees are kept for its next
/// allocations, and returned when the program ends. Not thread-safe: for
/// probes that allocate and free on their own thread.
template <class T>
struct RecyclingAllocator {
  using value_type = T;
  RecyclingAllocator() = default;
  template <class U>
  RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {
  }  // NOLINT(google-explicit-constructor): rebinding

  T* allocate(std::size_t n) {
    if (n != 1 || kept().blocks.empty()) return std::allocator<T>().allocate(n);
    T* block = kept().blocks.back();
    kept().blocks.pop_back();
    return block;
  }
  void deallocate(T* block, std::size_t n) noexcept {
    if (n == 1) {
      kept().blocks.push_back(block);
    } else {
      std::allocator<T>().deallocate(block, n);
    }
  }
  template <class U>
  friend bool operator==(const RecyclingAllocator&, const RecyclingAllocator<U>&) noexcept {
    return true;
  }

 private:
  struct Kept {
    std::vector<T*> blocks;
    ~Kept() {
      for (T* block : blocks) std::allocator<T>().deallocate(block, 1);
    }
  };
  static Kept& kept() {
    static Kept blocks;
    return blocks;
  }
};

}  // namespace loopbench
