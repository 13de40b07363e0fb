// RecyclingAllocator: an allocator for std::allocate_shared that keeps the
// blocks a thread frees for that thread's next allocation of the same size.
//
// Why: every call_soon() and call_later() allocates one block (the
// HandleState and its reference counts: allocate_shared's one allocation)
// and frees it once the callback has run. glibc's per-thread cache keeps
// only 7 blocks of a size, so a burst of a thousand callbacks falls through
// to malloc's slower paths: in bench/'s call_soon_batch, malloc and free
// were a third of what call_soon() cost. A free list per block size and per
// thread, of up to kCapacity blocks, serves the burst instead.
//
// Why per thread rather than per loop: a Handle may be dropped on any
// thread (call_soon_threadsafe() returns one to the thread that posted) and
// may outlive its loop. A freed block joins the list of the thread that
// frees it, which needs no lock and lives as long as that thread; the
// thread's blocks go back to operator delete when it exits.
//
// Sanitizer builds keep no blocks, so that AddressSanitizer still catches
// a use after free and ThreadSanitizer sees malloc's synchronisation.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

// ELF's TLS models; elsewhere (Mach-O) the compiler's default.
#if defined(__ELF__)
#define PEP3156_INITIAL_EXEC_TLS __attribute__((tls_model("initial-exec")))
#else
#define PEP3156_INITIAL_EXEC_TLS
#endif

namespace pep3156::reference {

/// The free list of one block size on each thread.
template <std::size_t Size>
class BlockCache {
 public:
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  static constexpr std::size_t kCapacity = 0;
#else
  static constexpr std::size_t kCapacity = 4096;  // blocks per thread: ~0.5 MiB of Handles
#endif

  static void* allocate() {
    FreeList& list = list_;
    if (list.head == nullptr) return ::operator new(Size);
    Block* block = list.head;
    list.head = block->next;
    --list.count;
    return block;
  }

  /// Blocks this thread keeps (for tests).
  static std::size_t cached() noexcept { return list_.count; }

  static void deallocate(void* pointer) noexcept {
    FreeList& list = list_;
    if (list.count == kCapacity || list.thread_exited) {
      ::operator delete(pointer, Size);
      return;
    }
    if (list.count == 0) static_cast<void>(&releaser_);  // first use: arm the release at thread exit
    list.head = ::new (pointer) Block{list.head};
    ++list.count;
  }

 private:
  static_assert(Size >= sizeof(void*));

  struct Block {
    Block* next;
  };
  /// Trivially destructible, so still usable while the thread exits: a
  /// Handle dropped by another thread_local's destructor then goes
  /// straight to operator delete.
  struct FreeList {
    Block* head = nullptr;
    std::size_t count = 0;
    bool thread_exited = false;
  };
  struct Releaser {
    ~Releaser() {
      FreeList& list = list_;
      list.thread_exited = true;
      while (list.head != nullptr) {
        Block* block = list.head;
        list.head = block->next;
        ::operator delete(block, Size);
      }
      list.count = 0;
    }
  };

  // initial-exec: the lists live in the thread's static TLS block, one
  // load away, instead of behind a __tls_get_addr() call per allocation and
  // per free (some 40 instructions of a call_soon() that takes 300). The
  // price: when this library is dlopen()ed (loopcert loading an adapter),
  // these few dozen bytes come from the static TLS surplus glibc reserves
  // for such libraries.
  static inline thread_local FreeList list_ PEP3156_INITIAL_EXEC_TLS;
  static inline thread_local Releaser releaser_ PEP3156_INITIAL_EXEC_TLS;
};

/// For std::allocate_shared: single objects come from BlockCache, arrays
/// (which allocate_shared never asks for) from std::allocator.
template <class T>
struct RecyclingAllocator {
  using value_type = T;

  RecyclingAllocator() noexcept = default;
  template <class U>
  RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {
  }  // NOLINT(google-explicit-constructor): rebinding

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    if (n != 1) return std::allocator<T>().allocate(n);
    return static_cast<T*>(BlockCache<sizeof(T)>::allocate());
  }

  void deallocate(T* pointer, std::size_t n) noexcept {
    if (n != 1) return std::allocator<T>().deallocate(pointer, n);
    BlockCache<sizeof(T)>::deallocate(pointer);
  }

  template <class U>
  friend bool operator==(const RecyclingAllocator&, const RecyclingAllocator<U>&) noexcept {
    return true;
  }
};

/// std::make_shared, with the block recycled.
template <class T, class... Args>
std::shared_ptr<T> make_recycled(Args&&... args) {
  return std::allocate_shared<T>(RecyclingAllocator<T>(), std::forward<Args>(args)...);
}

}  // namespace pep3156::reference
