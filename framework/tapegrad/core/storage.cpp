#include "tapegrad/core/storage.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "tapegrad/core/error.hpp"

namespace tg {

namespace {

constexpr std::size_t kAlign = 64;
// Refuse absurd requests (a corrupt shape, an overflowed product) with a message instead of
// letting the OS kill the process.
constexpr std::size_t kMaxBytes = std::size_t{1} << 40;
constexpr std::size_t kDefaultCacheBytes = std::size_t{2} << 30;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Size buckets: 64 B .. 64 KiB in powers of two (indices 0..10), then four buckets per power of
// two (2^p + k 2^p/4, k = 1..4) up to the 1 TiB limit.
constexpr int kSmallLog = 16;
constexpr int kNumBuckets = 11 + (40 - kSmallLog + 1) * 4;

struct Bucket {
  int index;
  std::size_t bytes;
};

Bucket bucket_for(std::size_t n) {
  if (n <= 64) return {0, 64};
  if (n <= (std::size_t{1} << kSmallLog)) {
    const int lg = std::bit_width(n - 1);  // 2^lg >= n
    return {lg - 6, std::size_t{1} << lg};
  }
  const int p = std::bit_width(n - 1) - 1;  // 2^p < n <= 2^(p+1)
  const std::size_t step = std::size_t{1} << (p - 2);
  const std::size_t k = (n + step - 1) / step;  // 5..8
  return {11 + (p - kSmallLog) * 4 + static_cast<int>(k - 5), k * step};
}

// Every block carries a 64-byte header in front of the pointer handed out, holding its bucket,
// so aligned_free_bytes needs no size and no lookup.
struct Header {
  std::size_t bucket_bytes;
  int bucket;
  std::uint32_t magic;
};
constexpr std::uint32_t kMagic = 0x7a9e6c11u;
static_assert(sizeof(Header) <= kAlign);

class CachingAllocator {
 public:
  CachingAllocator() {
    limit_ = kDefaultCacheBytes;
    if (const char* env = std::getenv("TG_CACHE_BYTES")) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(env, &end, 10);
      if (end != env) limit_ = static_cast<std::size_t>(v);
    }
    caching_ = !kSanitized && limit_ > 0;
  }

  void* allocate(std::size_t nbytes) {
    const Bucket b = bucket_for(nbytes);
    if (caching_) {
      std::lock_guard lock(mu_);
      auto& list = free_[static_cast<std::size_t>(b.index)];
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        cached_ -= b.bytes;
        ++hits_;
        add_in_use(b.bytes);
        return p;
      }
    }
    void* base = std::aligned_alloc(kAlign, kAlign + b.bytes);
    if (!base) {
      // The cache may hold enough memory: give it back and try once more.
      empty();
      base = std::aligned_alloc(kAlign, kAlign + b.bytes);
      if (!base) return nullptr;
    }
    auto* h = static_cast<Header*>(base);
    h->bucket_bytes = b.bytes;
    h->bucket = b.index;
    h->magic = kMagic;
    std::lock_guard lock(mu_);
    ++system_allocs_;
    add_in_use(b.bytes);
    return static_cast<char*>(base) + kAlign;
  }

  void release(void* p) noexcept {
    auto* h = reinterpret_cast<Header*>(static_cast<char*>(p) - kAlign);
    if (h->magic != kMagic) std::abort();  // not ours, or a double free that wiped the header
    const std::size_t bytes = h->bucket_bytes;
    {
      std::lock_guard lock(mu_);
      in_use_ -= bytes;
      if (caching_ && cached_ + bytes <= limit_) {
        try {
          free_[static_cast<std::size_t>(h->bucket)].push_back(p);
          cached_ += bytes;
          return;
        } catch (...) {
          // No memory for the free list entry: return the block to the system instead.
        }
      }
      ++system_frees_;
    }
    h->magic = 0;
    std::free(h);
  }

  void empty() noexcept {
    std::array<std::vector<void*>, kNumBuckets> lists;
    {
      std::lock_guard lock(mu_);
      lists.swap(free_);  // moves the vectors' buffers: no allocation under the lock
      for (const auto& list : lists) system_frees_ += list.size();
      cached_ = 0;
    }
    for (const auto& list : lists)
      for (void* p : list) {
        auto* h = reinterpret_cast<Header*>(static_cast<char*>(p) - kAlign);
        h->magic = 0;
        std::free(h);
      }
  }

  MemoryStats stats() {
    std::lock_guard lock(mu_);
    return {.in_use_bytes = in_use_,
            .cached_bytes = cached_,
            .peak_in_use_bytes = peak_,
            .cache_limit_bytes = caching_ ? limit_ : 0,
            .system_allocs = system_allocs_,
            .system_frees = system_frees_,
            .cache_hits = hits_,
            .caching = caching_};
  }

  void reset_peak() {
    std::lock_guard lock(mu_);
    peak_ = in_use_;
  }

 private:
  void add_in_use(std::size_t bytes) {
    in_use_ += bytes;
    peak_ = std::max(peak_, in_use_);
  }

  std::mutex mu_;
  std::array<std::vector<void*>, kNumBuckets> free_;
  std::size_t limit_ = 0, in_use_ = 0, cached_ = 0, peak_ = 0;
  std::uint64_t system_allocs_ = 0, system_frees_ = 0, hits_ = 0;
  bool caching_ = true;
};

// Never destroyed: tensors in static storage may be freed after every other static object.
CachingAllocator& allocator() {
  static auto* a = new CachingAllocator;
  return *a;
}

}  // namespace

namespace {
thread_local std::uint64_t t_allocated = 0;
}

std::uint64_t thread_allocated_bytes() { return t_allocated; }

void* aligned_alloc_bytes(std::size_t nbytes) {
  t_allocated += nbytes;
  if (nbytes > kMaxBytes)
    fail("allocation of {} bytes refused: more than the 1 TiB limit (is a shape corrupt?)", nbytes);
  void* p = allocator().allocate(nbytes);
  if (!p) fail("out of memory allocating {} bytes", nbytes);
  return p;
}

void aligned_free_bytes(void* p) noexcept {
  if (p) allocator().release(p);
}

MemoryStats memory_stats() { return allocator().stats(); }
void empty_cache() { allocator().empty(); }
void reset_peak_memory_stats() { allocator().reset_peak(); }

Storage::Storage(std::size_t n) : data(aligned_alloc_bytes(n)), nbytes(n) {}
Storage::~Storage() { aligned_free_bytes(data); }

}  // namespace tg
