#pragma once
/// @file
/// Storage (a tensor's buffer) and the caching allocator.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

/// A 64-byte aligned buffer shared by a tensor and all its views.
///
/// `version` counts in-place writes; the tape records it for every tensor an op saves, and the
/// backward pass refuses to run with a saved tensor whose version moved. `saved_count` is how many
/// live tape entries saved a tensor on this storage: in-place ops refuse to write while it is
/// non-zero, so the mistake is reported where it is made rather than at backward(). `held_count`
/// is how many of those savings keep the storage alive (not those packed by saved-tensor hooks).
struct Storage {
  void* data = nullptr;          ///< the buffer (aligned_alloc_bytes)
  std::size_t nbytes = 0;        ///< its size in bytes
  std::uint64_t version = 0;     ///< in-place writes so far
  std::int64_t saved_count = 0;  ///< live tape entries that saved a tensor on this storage
  std::int64_t held_count = 0;   ///< how many of those keep the storage alive

  /// Allocates nbytes (not zeroed).
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

/// Raw aligned allocation, used by Storage and by kernels that need scratch space.
///
/// Both go through a caching allocator: a freed block is kept in a free list for its size bucket
/// and handed out again, so a training step makes no system allocation (and touches no fresh,
/// page-faulting memory) after its first iteration. Buckets are powers of two up to 64 KiB and
/// four per power of two above that (at most 25% rounding). Cached (free but kept) bytes are
/// bounded by the environment variable TG_CACHE_BYTES (default 2 GiB; 0 turns caching off);
/// blocks beyond the bound go back to the system. AddressSanitizer builds bypass the cache so
/// use-after-free is still caught. Memory is not zeroed.
void* aligned_alloc_bytes(std::size_t nbytes);
/// Frees a block from aligned_alloc_bytes (back to the cache, or to the system).
void aligned_free_bytes(void* p) noexcept;

/// Counters of the caching allocator (memory_stats()).
struct MemoryStats {
  std::size_t in_use_bytes = 0;       ///< handed out and not yet freed (bucket sizes)
  std::size_t cached_bytes = 0;       ///< freed, kept for reuse
  std::size_t peak_in_use_bytes = 0;  ///< maximum of in_use_bytes since start (or reset)
  std::size_t cache_limit_bytes = 0;  ///< bound on cached_bytes
  std::uint64_t system_allocs = 0;    ///< allocations that went to the system allocator
  std::uint64_t system_frees = 0;     ///< blocks returned to the system allocator
  std::uint64_t cache_hits = 0;       ///< allocations served from the cache
  bool caching = true;                ///< false under AddressSanitizer or TG_CACHE_BYTES=0
};

/// A snapshot of the allocator's counters (thread-safe).
MemoryStats memory_stats();
/// Returns every cached block to the system; blocks in use are not affected.
void empty_cache();
/// Starts peak_in_use_bytes again from the current in_use_bytes.
void reset_peak_memory_stats();
/// Bytes this thread has requested from aligned_alloc_bytes since it started (never decreases;
/// the profiler charges the difference to the op in progress).
std::uint64_t thread_allocated_bytes();

}  // namespace tg
