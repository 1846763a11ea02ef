#include "tapegrad/core/storage.hpp"

#include <cstdlib>
#include <new>

#include "tapegrad/core/error.hpp"

namespace tg {

namespace {
constexpr std::size_t kAlign = 64;
// Refuse absurd requests (a corrupt shape, an overflowed product) with a message instead of
// letting the OS kill the process.
constexpr std::size_t kMaxBytes = std::size_t{1} << 40;
}  // namespace

void* aligned_alloc_bytes(std::size_t nbytes) {
  if (nbytes > kMaxBytes)
    fail("allocation of {} bytes refused: more than the 1 TiB limit (is a shape corrupt?)", nbytes);
  const std::size_t rounded = (nbytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
  if (!p) fail("out of memory allocating {} bytes", nbytes);
  return p;
}

void aligned_free_bytes(void* p) noexcept { std::free(p); }

Storage::Storage(std::size_t n) : data(aligned_alloc_bytes(n)), nbytes(n) {}
Storage::~Storage() { aligned_free_bytes(data); }

}  // namespace tg
