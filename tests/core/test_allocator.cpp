// The caching allocator behind Storage (core/storage.hpp): reuse, alignment, statistics,
// empty_cache, the size limit, and concurrent use from several threads.
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "helpers.hpp"

namespace {

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("allocator: blocks are 64-byte aligned and writable", "[core][allocator]") {
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65},
        std::size_t{1000}, std::size_t{65536}, std::size_t{65537}, std::size_t{3} << 20}) {
    INFO("bytes " << n);
    void* p = tg::aligned_alloc_bytes(n);
    REQUIRE(p != nullptr);
    REQUIRE(aligned64(p));
    std::memset(p, 0xab, n);
    tg::aligned_free_bytes(p);
  }
  tg::aligned_free_bytes(nullptr);  // a no-op, as free(nullptr)
}

TEST_CASE("allocator: a freed block is reused without a system allocation", "[core][allocator]") {
  const tg::MemoryStats s0 = tg::memory_stats();
  if (!s0.caching) {
    WARN("caching is off (AddressSanitizer build or TG_CACHE_BYTES=0): reuse not tested");
    return;
  }
  // An odd size no other test uses, so its bucket starts empty.
  const std::size_t n = 5 * 1024 * 1024 + 123;
  void* a = tg::aligned_alloc_bytes(n);
  const tg::MemoryStats s1 = tg::memory_stats();
  REQUIRE(s1.system_allocs == s0.system_allocs + 1);
  // The bucket of 5 MiB + 123 B is 6 MiB (2^22 + 2 * 2^20: four buckets per power of two).
  REQUIRE(s1.in_use_bytes == s0.in_use_bytes + (std::size_t{6} << 20));
  tg::aligned_free_bytes(a);
  const tg::MemoryStats s2 = tg::memory_stats();
  REQUIRE(s2.in_use_bytes == s0.in_use_bytes);
  REQUIRE(s2.cached_bytes == s1.cached_bytes + (std::size_t{6} << 20));

  // Same size, and a different size in the same bucket: both get the cached block back.
  void* b = tg::aligned_alloc_bytes(n);
  REQUIRE(b == a);
  tg::aligned_free_bytes(b);
  void* c = tg::aligned_alloc_bytes(std::size_t{6} << 20);
  REQUIRE(c == a);
  const tg::MemoryStats s3 = tg::memory_stats();
  REQUIRE(s3.system_allocs == s1.system_allocs);
  REQUIRE(s3.cache_hits == s1.cache_hits + 2);
  tg::aligned_free_bytes(c);
}

TEST_CASE("allocator: tensors in a loop allocate from the system only once", "[core][allocator]") {
  if (!tg::memory_stats().caching) return;
  // The first iteration warms the cache; afterwards the loop is served from it.
  auto step = [] {
    tg::Tensor x = tg::ones({257, 311});
    tg::Tensor y = tg::add(tg::mul(x, x), x);
    return y.sum().item();
  };
  REQUIRE(step() == Approx(2.0 * 257 * 311));
  const std::uint64_t before = tg::memory_stats().system_allocs;
  for (int i = 0; i < 10; ++i) REQUIRE(step() == Approx(2.0 * 257 * 311));
  REQUIRE(tg::memory_stats().system_allocs == before);
}

TEST_CASE("allocator: statistics and peak", "[core][allocator]") {
  tg::reset_peak_memory_stats();
  const tg::MemoryStats s0 = tg::memory_stats();
  REQUIRE(s0.peak_in_use_bytes == s0.in_use_bytes);
  void* a = tg::aligned_alloc_bytes(std::size_t{1} << 20);  // exactly a bucket: 1 MiB
  void* b = tg::aligned_alloc_bytes(100);                   // bucket 128 B
  const tg::MemoryStats s1 = tg::memory_stats();
  REQUIRE(s1.in_use_bytes == s0.in_use_bytes + (std::size_t{1} << 20) + 128);
  REQUIRE(s1.peak_in_use_bytes == s1.in_use_bytes);
  tg::aligned_free_bytes(a);
  tg::aligned_free_bytes(b);
  const tg::MemoryStats s2 = tg::memory_stats();
  REQUIRE(s2.in_use_bytes == s0.in_use_bytes);
  REQUIRE(s2.peak_in_use_bytes == s1.peak_in_use_bytes);  // the peak stays
  tg::reset_peak_memory_stats();
  REQUIRE(tg::memory_stats().peak_in_use_bytes == s0.in_use_bytes);
}

TEST_CASE("allocator: empty_cache returns every cached block", "[core][allocator]") {
  std::vector<void*> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(tg::aligned_alloc_bytes(std::size_t{1} << 16));
  for (void* p : blocks) tg::aligned_free_bytes(p);
  const tg::MemoryStats s1 = tg::memory_stats();
  if (s1.caching) REQUIRE(s1.cached_bytes >= 8 * (std::size_t{1} << 16));
  tg::empty_cache();
  const tg::MemoryStats s2 = tg::memory_stats();
  REQUIRE(s2.cached_bytes == 0);
  REQUIRE(s2.in_use_bytes == s1.in_use_bytes);
  if (s1.caching) REQUIRE(s2.system_frees >= s1.system_frees + 8);
  // The allocator still works after emptying.
  void* p = tg::aligned_alloc_bytes(1000);
  REQUIRE(aligned64(p));
  tg::aligned_free_bytes(p);
}

TEST_CASE("allocator: cached bytes stay within the limit", "[core][allocator]") {
  const tg::MemoryStats s = tg::memory_stats();
  if (!s.caching) return;
  REQUIRE(s.cache_limit_bytes > 0);
  REQUIRE(s.cached_bytes <= s.cache_limit_bytes);
  // A block larger than the whole limit goes straight back to the system when freed. Only
  // tried when the limit is small enough to allocate a bigger block cheaply.
  if (s.cache_limit_bytes <= (std::size_t{4} << 30)) {
    const std::size_t n = s.cache_limit_bytes + 1;
    void* p = tg::aligned_alloc_bytes(n);  // untouched pages: costs address space only
    const std::uint64_t frees = tg::memory_stats().system_frees;
    tg::aligned_free_bytes(p);
    const tg::MemoryStats after = tg::memory_stats();
    REQUIRE(after.system_frees == frees + 1);
    REQUIRE(after.cached_bytes <= after.cache_limit_bytes);
  }
}

TEST_CASE("allocator: huge requests are refused with the 1 TiB message", "[core][allocator]") {
  REQUIRE_THROWS_WITH(tg::aligned_alloc_bytes((std::size_t{1} << 40) + 1),
                      Catch::Contains("1 TiB limit"));
  REQUIRE_THROWS_AS(tg::aligned_alloc_bytes(~std::size_t{0}), tg::Error);
}

TEST_CASE("allocator: threads allocate and free concurrently without loss", "[core][allocator]") {
  const tg::MemoryStats s0 = tg::memory_stats();
  constexpr int kThreads = 4, kRounds = 2000;
  std::vector<std::thread> threads;
  std::vector<int> bad(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &bad] {
      std::vector<std::pair<unsigned char*, std::size_t>> live;
      for (int r = 0; r < kRounds; ++r) {
        const std::size_t n = 64 + static_cast<std::size_t>((r * 7919 + t * 104729) % 200000);
        auto* p = static_cast<unsigned char*>(tg::aligned_alloc_bytes(n));
        std::memset(p, t + 1, n);  // each thread writes its own byte: overlap would show
        live.emplace_back(p, n);
        if (live.size() > 8) {
          auto [q, m] = live.front();
          for (std::size_t i = 0; i < m; i += 61)
            if (q[i] != t + 1) ++bad[static_cast<std::size_t>(t)];
          tg::aligned_free_bytes(q);
          live.erase(live.begin());
        }
      }
      for (auto [q, m] : live) tg::aligned_free_bytes(q);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) REQUIRE(bad[static_cast<std::size_t>(t)] == 0);
  const tg::MemoryStats s1 = tg::memory_stats();
  // Everything allocated was freed: nothing leaked from the in-use count.
  REQUIRE(s1.in_use_bytes == s0.in_use_bytes);
  REQUIRE(s1.cached_bytes <= s1.cache_limit_bytes + (s1.caching ? 0 : s1.cached_bytes));
}
