// Value: a move-only box holding a result of any type.
//
// Python's Future holds "any object". The C++ Future<T> is a typed view of
// an untyped state machine (FutureBase) so that one state machine serves
// every T and a loop can supply its own (PEP 3156: create_future() may
// return a loop's own Future). FutureBase stores the result in a Value;
// Future<T> reads it back as T. Small nothrow-movable values (ints,
// pointers, shared_ptrs) live inline; larger ones on the heap.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "pep3156/errors.hpp"

namespace pep3156 {

class Value {
 public:
  Value() noexcept = default;

  template <class T>
  requires(!std::is_same_v<std::remove_cvref_t<T>, Value>) explicit Value(T&& value) {
    using Stored = std::remove_cvref_t<T>;
    if constexpr (fits_inline<Stored>()) {
      ::new (static_cast<void*>(storage_)) Stored(std::forward<T>(value));
      ops_ = &inline_ops<Stored>;
    } else {
      *reinterpret_cast<Stored**>(storage_) = new Stored(std::forward<T>(value));
      ops_ = &boxed_ops<Stored>;
    }
  }

  Value(Value&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->move(other.storage_, storage_);
      other.ops_ = nullptr;
    }
  }

  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->move(other.storage_, storage_);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }

  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  ~Value() { reset(); }

  bool has_value() const noexcept { return ops_ != nullptr; }
  const std::type_info& type() const noexcept { return ops_ ? ops_->type() : typeid(void); }

  /// The stored T. Throws TypeError if the box is empty or holds another type.
  template <class T>
  T& get() {
    if (ops_ == nullptr || ops_->type() != typeid(T)) {
      throw TypeError(std::string("Value holds ") + type().name() + ", not " + typeid(T).name());
    }
    return *static_cast<T*>(ops_->address(storage_));
  }

  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  static constexpr std::size_t kInlineSize = 2 * sizeof(void*);

  struct Ops {
    void* (*address)(void* storage) noexcept;
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void* storage) noexcept;
    const std::type_info& (*type)() noexcept;
  };

  template <class T>
  static constexpr bool fits_inline() {
    return sizeof(T) <= kInlineSize && alignof(T) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<T>;
  }

  template <class T>
  static constexpr Ops inline_ops{
      [](void* s) noexcept -> void* { return std::launder(static_cast<T*>(s)); },
      [](void* from, void* to) noexcept {
        T* source = std::launder(static_cast<T*>(from));
        ::new (to) T(std::move(*source));
        source->~T();
      },
      [](void* s) noexcept { std::launder(static_cast<T*>(s))->~T(); },
      []() noexcept -> const std::type_info& { return typeid(T); },
  };

  template <class T>
  static constexpr Ops boxed_ops{
      [](void* s) noexcept -> void* { return *static_cast<T**>(s); },
      [](void* from, void* to) noexcept { *static_cast<T**>(to) = *static_cast<T**>(from); },
      [](void* s) noexcept { delete *static_cast<T**>(s); },
      []() noexcept -> const std::type_info& { return typeid(T); },
  };

  alignas(std::max_align_t) std::byte storage_[kInlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace pep3156
