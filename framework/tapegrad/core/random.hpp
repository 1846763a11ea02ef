#pragma once
/// @file
/// Random numbers that are the same on every platform and standard library: our own generator
/// (xoshiro256**, seeded through splitmix64) and our own distributions, because std::
/// distributions differ between implementations.
#include <array>
#include <cstdint>

namespace tg {

/// A random number generator (xoshiro256**, seeded through splitmix64), with the same sequence on
/// every platform.
class Generator {
 public:
  /// A generator seeded with `seed`.
  explicit Generator(std::uint64_t seed = 0x7a5e6ad1u) { manual_seed(seed); }
  /// Restarts the sequence from `seed`.
  void manual_seed(std::uint64_t seed);
  /// The seed of the last manual_seed (or of the constructor).
  std::uint64_t seed() const { return seed_; }

  /// The next 64 random bits.
  std::uint64_t next_u64();
  /// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
  float uniform_float();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform_double();
  /// Standard normal (Box-Muller; the spare value is kept, so it is part of the state).
  double normal();
  /// Uniform integer in [0, n) without modulo bias.
  std::uint64_t below(std::uint64_t n);

  /// The complete state, for checkpoints: 4 words, the cached normal flag and value bits, and seed.
  std::array<std::uint64_t, 7> state() const;
  /// Restores a state from state(); an all-zero generator state is a tg::Error.
  void set_state(const std::array<std::uint64_t, 7>& s);

 private:
  std::array<std::uint64_t, 4> s_{};
  std::uint64_t seed_ = 0;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// The default generator used when a creation function is not given one (one per process).
Generator& default_generator();
/// Seeds the default generator.
void manual_seed(std::uint64_t seed);

}  // namespace tg
