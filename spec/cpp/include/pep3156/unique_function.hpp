// UniqueFunction<R(Args...)>: a move-only, type-erased callable.
//
// PEP 3156 callbacks are "callback, *args" pairs (PEP 3156, "Callback
// Style"). In C++ the pair is bound into one callable when it is scheduled;
// that callable owns what it captured (a socket, a promise, a unique_ptr),
// so it must be movable without being copyable, which std::function is not.
// C++23's std::move_only_function is the same idea; this project targets
// C++20 (g++ 12), so it carries its own.
//
// Callables up to kInlineSize bytes that are nothrow-movable live inside the
// object (no allocation): call_soon() on a small lambda costs no heap
// allocation for the callable itself. Larger ones are boxed on the heap.
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace pep3156 {

template <class Signature>
class UniqueFunction;

template <class R, class... Args>
class UniqueFunction<R(Args...)> {
 public:
  static constexpr std::size_t kInlineSize = 6 * sizeof(void*);

  UniqueFunction() noexcept = default;
  UniqueFunction(std::nullptr_t) noexcept {}

  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, UniqueFunction> &&
           std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
      UniqueFunction(F&& f) {  // NOLINT(google-explicit-constructor): a callable is a function
    using Stored = std::decay_t<F>;
    if constexpr (std::is_pointer_v<Stored> || std::is_member_pointer_v<Stored>) {
      if (f == nullptr) return;
    }
    if constexpr (fits_inline<Stored>()) {
      ::new (static_cast<void*>(storage_)) Stored(std::forward<F>(f));
      ops_ = &inline_ops<Stored>;
    } else {
      *reinterpret_cast<Stored**>(storage_) = new Stored(std::forward<F>(f));
      ops_ = &boxed_ops<Stored>;
    }
  }

  UniqueFunction(UniqueFunction&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->move(other.storage_, storage_);
      other.ops_ = nullptr;
    }
  }

  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->move(other.storage_, storage_);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }

  UniqueFunction& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;

  ~UniqueFunction() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Calls the stored callable. Precondition: not empty.
  R operator()(Args... args) { return ops_->call(storage_, std::forward<Args>(args)...); }

  /// Destroys the stored callable (and what it captured) now.
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    R (*call)(void* storage, Args&&... args);
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void* storage) noexcept;
  };

  template <class F>
  static constexpr bool fits_inline() {
    return sizeof(F) <= kInlineSize && alignof(F) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<F>;
  }

  /// std::invoke_r (C++23): a void UniqueFunction discards what `f` returns,
  /// as a Python callback's return value is ignored.
  template <class F>
  static R invoke(F& f, Args&&... args) {
    if constexpr (std::is_void_v<R>) {
      std::invoke(f, std::forward<Args>(args)...);
    } else {
      return std::invoke(f, std::forward<Args>(args)...);
    }
  }

  template <class F>
  static constexpr Ops inline_ops{
      [](void* s, Args&&... args) -> R {
        return invoke(*std::launder(static_cast<F*>(s)), std::forward<Args>(args)...);
      },
      [](void* from, void* to) noexcept {
        F* source = std::launder(static_cast<F*>(from));
        ::new (to) F(std::move(*source));
        source->~F();
      },
      [](void* s) noexcept { std::launder(static_cast<F*>(s))->~F(); },
  };

  template <class F>
  static constexpr Ops boxed_ops{
      [](void* s, Args&&... args) -> R { return invoke(**static_cast<F**>(s), std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept { *static_cast<F**>(to) = *static_cast<F**>(from); },
      [](void* s) noexcept { delete *static_cast<F**>(s); },
  };

  alignas(std::max_align_t) std::byte storage_[kInlineSize];
  const Ops* ops_ = nullptr;
};

/// A loop callback: what call_soon(), call_later(), add_reader() ... run.
using Callback = UniqueFunction<void()>;

/// Binds `callback(*args)` into one Callback (PEP 3156, "Callback Style":
/// positional arguments only, copied or moved in when scheduled).
template <class F, class... A>
Callback bind_callback(F&& f, A&&... args) {
  return Callback(
      [f = std::forward<F>(f), ... args = std::forward<A>(args)]() mutable { std::invoke(f, args...); });
}

}  // namespace pep3156
