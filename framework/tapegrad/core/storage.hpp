#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

// A 64-byte aligned buffer shared by a tensor and all its views.
//
// `version` counts in-place writes; the tape records it for every tensor an op saves, and the
// backward pass refuses to run with a saved tensor whose version moved. `saved_count` is how many
// live tape entries saved a tensor on this storage: in-place ops refuse to write while it is
// non-zero, so the mistake is reported where it is made rather than at backward().
struct Storage {
  void* data = nullptr;
  std::size_t nbytes = 0;
  std::uint64_t version = 0;
  std::int64_t saved_count = 0;

  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

// Raw aligned allocation, used by Storage and by kernels that need scratch space.
void* aligned_alloc_bytes(std::size_t nbytes);
void aligned_free_bytes(void* p) noexcept;

}  // namespace tg
