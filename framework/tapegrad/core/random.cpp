#include "tapegrad/core/random.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "tapegrad/core/error.hpp"

namespace tg {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

void Generator::manual_seed(std::uint64_t seed) {
  seed_ = seed;
  std::uint64_t x = seed;
  for (auto& w : s_) w = splitmix64(x);
  has_spare_ = false;
  spare_ = 0;
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

float Generator::uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
double Generator::uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // 1 - u keeps the log argument in (0, 1].
  const double u1 = 1.0 - uniform_double(), u2 = uniform_double();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double th = 2.0 * M_PI * u2;
  spare_ = r * std::sin(th);
  has_spare_ = true;
  return r * std::cos(th);
}

std::uint64_t Generator::below(std::uint64_t n) {
  if (n == 0) fail("Generator::below: range is empty");
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

std::array<std::uint64_t, 7> Generator::state() const {
  std::uint64_t bits;
  std::memcpy(&bits, &spare_, sizeof bits);
  return {s_[0], s_[1], s_[2], s_[3], has_spare_ ? 1u : 0u, bits, seed_};
}

void Generator::set_state(const std::array<std::uint64_t, 7>& s) {
  if ((s[0] | s[1] | s[2] | s[3]) == 0) fail("Generator::set_state: all-zero state is invalid");
  for (int i = 0; i < 4; ++i) s_[i] = s[i];
  has_spare_ = s[4] != 0;
  std::memcpy(&spare_, &s[5], sizeof spare_);
  seed_ = s[6];
}

Generator& default_generator() {
  static Generator g(0x7a5e6ad1u);
  return g;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace tg
