#pragma once
// Scratch<T>: an uninitialised work buffer of n elements, 64-byte aligned, from the caching
// allocator (core/storage.hpp), so that a kernel called every step neither zero-fills nor asks
// the system for its buffers. For kernels that write every element before reading it.
#include <cstddef>
#include <cstdint>

#include "tapegrad/core/storage.hpp"

namespace tg::kernels {

template <class T>
class Scratch {
 public:
  explicit Scratch(std::int64_t n)
      : p_(n > 0 ? static_cast<T*>(aligned_alloc_bytes(static_cast<std::size_t>(n) * sizeof(T)))
                 : nullptr) {}
  ~Scratch() { aligned_free_bytes(p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* data() const { return p_; }

 private:
  T* p_;
};

}  // namespace tg::kernels
