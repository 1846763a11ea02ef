// Tests for kernels::gemm against a naive triple loop in double.
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "helpers.hpp"
#include "tapegrad/core/threads.hpp"
#include "tapegrad/kernels/gemm.hpp"

using tg::kernels::gemm;
using tg::kernels::GemmTile;

namespace {

// Sizes around the tile edges: MR = 6, NR = 16 (float) / 8 (double), MC = 96, KC_MAX = 320.
const std::vector<std::int64_t> kSmall = {1, 2, 5, 6, 7, 15, 16, 17, 33, 97};
// 97 and 130 are one and two M blocks (MC = 96); as K, 330 and 700 are two and three K slices
// (KC_MAX = 320).
const std::vector<std::int64_t> kAll = {1, 2, 5, 6, 7, 15, 16, 17, 33, 97, 130, 330};
const std::vector<std::int64_t> kAllK = {1, 2, 5, 6, 7, 15, 16, 17, 33, 97, 130, 330, 700};

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kSentinel = 12345.0;  // written into padding; must survive the call

struct Problem {
  bool ta = false, tb = false;
  std::int64_t M = 1, N = 1, K = 1;
  double alpha = 1, beta = 0;
  std::int64_t pad = 0;  // lda/ldb/ldc exceed the minimum by this much
  bool nan_c = false;    // C starts as NaN (only meaningful with beta == 0)
  std::uint32_t seed = 1;
  bool prepacked = false;  // through gemm_pack_a + gemm_prepacked_a
  // gemm() itself, or one of its register tiles whatever the target (gemm_with_tile_for_testing)
  enum class Path { gemm, narrow, wide } path = Path::gemm;
};

std::string describe(const Problem& p) {
  const char* path = p.path == Problem::Path::gemm     ? ""
                     : p.path == Problem::Path::narrow ? " narrow tile"
                                                       : " wide tile";
  return fmt::format("{}{} M={} N={} K={} alpha={} beta={} pad={}{}{}{}", p.ta ? 'T' : 'N',
                     p.tb ? 'T' : 'N', p.M, p.N, p.K, p.alpha, p.beta, p.pad,
                     p.nan_c ? " C=NaN" : "", p.prepacked ? " prepacked A" : "", path);
}

template <class T>
struct Operands {
  std::int64_t lda, ldb, ldc;
  std::vector<T> A, B, C;
};

// A is stored as op(A) (M x K) or its transpose (K x M), row-major with leading dimension lda;
// likewise B. Padding columns hold the sentinel.
template <class T>
Operands<T> make(const Problem& p) {
  std::mt19937 rng(p.seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Operands<T> o;
  const std::int64_t a_rows = p.ta ? p.K : p.M, a_cols = p.ta ? p.M : p.K;
  const std::int64_t b_rows = p.tb ? p.N : p.K, b_cols = p.tb ? p.K : p.N;
  o.lda = std::max<std::int64_t>(a_cols, 1) + p.pad;
  o.ldb = std::max<std::int64_t>(b_cols, 1) + p.pad;
  o.ldc = std::max<std::int64_t>(p.N, 1) + p.pad;
  auto fill = [&](std::vector<T>& v, std::int64_t rows, std::int64_t cols, std::int64_t ld,
                  bool nan) {
    v.assign(static_cast<std::size_t>(std::max<std::int64_t>(rows * ld, 1)), T(kSentinel));
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) v[r * ld + c] = nan ? T(kNaN) : T(u(rng));
  };
  fill(o.A, a_rows, a_cols, o.lda, false);
  fill(o.B, b_rows, b_cols, o.ldb, false);
  fill(o.C, p.M, p.N, o.ldc, p.nan_c);
  return o;
}

template <class T>
void run(const Problem& p, Operands<T>& o) {
  if (p.path != Problem::Path::gemm) {
    tg::kernels::gemm_with_tile_for_testing<T>(
        p.path == Problem::Path::wide ? GemmTile::wide : GemmTile::narrow, p.ta, p.tb, p.prepacked,
        p.M, p.N, p.K, T(p.alpha), o.A.data(), o.lda, o.B.data(), o.ldb, T(p.beta), o.C.data(),
        o.ldc);
    return;
  }
  if (p.prepacked) {
    std::vector<T> packed(
        static_cast<std::size_t>(tg::kernels::gemm_packed_a_size<T>(p.M, p.K) + 1), T(kNaN));
    tg::kernels::gemm_pack_a<T>(p.ta, p.M, p.K, o.A.data(), o.lda, packed.data());
    REQUIRE(std::isnan(static_cast<double>(packed.back())));  // nothing written past the end
    tg::kernels::gemm_prepacked_a<T>(p.M, p.N, p.K, T(p.alpha), packed.data(), p.tb, o.B.data(),
                                     o.ldb, T(p.beta), o.C.data(), o.ldc);
    return;
  }
  gemm<T>(p.ta, p.tb, p.M, p.N, p.K, T(p.alpha), o.A.data(), o.lda, o.B.data(), o.ldb, T(p.beta),
          o.C.data(), o.ldc);
}

// Runs gemm and compares every element with a double-precision reference; padding must be
// untouched.
template <class T>
void check(const Problem& p) {
  INFO(describe(p) << (std::is_same_v<T, float> ? " float" : " double"));
  Operands<T> o = make<T>(p);
  const std::vector<T> c0 = o.C;
  run(p, o);
  // op(A) as [M][K] and op(B)^T as [N][K] in double, so the reference loop is contiguous.
  std::vector<double> a(static_cast<std::size_t>(p.M * p.K)),
      bt(static_cast<std::size_t>(p.N * p.K));
  for (std::int64_t i = 0; i < p.M; ++i)
    for (std::int64_t k = 0; k < p.K; ++k)
      a[i * p.K + k] = p.ta ? o.A[k * o.lda + i] : o.A[i * o.lda + k];
  for (std::int64_t j = 0; j < p.N; ++j)
    for (std::int64_t k = 0; k < p.K; ++k)
      bt[j * p.K + k] = p.tb ? o.B[j * o.ldb + k] : o.B[k * o.ldb + j];
  const double eps = std::numeric_limits<T>::epsilon();
  std::int64_t bad = 0;
  std::string first_bad;
  for (std::int64_t i = 0; i < p.M; ++i) {
    for (std::int64_t j = 0; j < p.N; ++j) {
      double s = 0, mag = 0;
      for (std::int64_t k = 0; k < p.K; ++k) {
        s += a[i * p.K + k] * bt[j * p.K + k];
        mag += std::abs(a[i * p.K + k] * bt[j * p.K + k]);
      }
      const double cin = static_cast<double>(c0[i * o.ldc + j]);
      // beta == 0: C is not read (BLAS convention), so NaN in C does not propagate.
      const double beta_c = p.beta == 0 ? 0.0 : p.beta * cin;
      const double expect = p.alpha * s + beta_c;
      const double tol =
          (static_cast<double>(p.K) + 4) * eps * (std::abs(p.alpha) * mag + std::abs(beta_c)) +
          1e-300;
      const double got = static_cast<double>(o.C[i * o.ldc + j]);
      if (!(std::abs(got - expect) <= tol)) {
        if (bad++ == 0)
          first_bad = fmt::format("C[{},{}] = {} expected {} (tol {:.3g})", i, j, got, expect, tol);
      }
    }
    for (std::int64_t j = p.N; j < o.ldc; ++j) {
      if (o.C[i * o.ldc + j] != T(kSentinel)) {
        if (bad++ == 0) first_bad = fmt::format("padding C[{},{}] was overwritten", i, j);
      }
    }
  }
  INFO(first_bad);
  REQUIRE(bad == 0);
}

template <class T>
void check_all_transposes(Problem p) {
  for (int t = 0; t < 4; ++t) {
    p.ta = t & 1;
    p.tb = t & 2;
    check<T>(p);
  }
}

// Restores the thread count when a test ends, even when it fails.
struct ThreadsGuard {
  int saved = tg::get_num_threads();
  ~ThreadsGuard() { tg::set_num_threads(saved); }
};

}  // namespace

TEST_CASE("gemm: all transpose combinations over edge-tile shapes", "[kernels][gemm]") {
  std::uint32_t seed = 1;
  for (auto M : kSmall)
    for (auto N : kSmall)
      for (auto K : kSmall) {
        Problem p{.M = M, .N = N, .K = K, .seed = seed++};
        check_all_transposes<float>(p);
        check_all_transposes<double>(p);
      }
}

TEST_CASE("gemm: large shapes (several M blocks, K slices and panel groups)", "[kernels][gemm]") {
  // Every (M, N, K) from the full size list; the transpose combination and the alpha/beta pair
  // rotate with the index so that each is exercised on many shapes without a 4x cost.
  const std::vector<std::pair<double, double>> ab = {{1, 0}, {2.5, 0}, {1, 1}, {-0.5, 0.75}};
  std::uint32_t seed = 1000;
  std::int64_t idx = 0;
  for (auto M : kAll)
    for (auto N : kAll)
      for (auto K : kAllK) {
        if (M < 97 && N < 97 && K < 97) continue;  // covered by the test above
        Problem p{.ta = (idx & 1) != 0,
                  .tb = (idx & 2) != 0,
                  .M = M,
                  .N = N,
                  .K = K,
                  .alpha = ab[(idx / 4) % 4].first,
                  .beta = ab[(idx / 4) % 4].second,
                  .pad = idx % 3 == 0 ? 3 : 0,
                  .seed = seed++};
        ++idx;
        if (idx % 2) {
          check<float>(p);
        } else {
          check<double>(p);
        }
      }
}

TEST_CASE("gemm_prepacked_a: A packed once gives gemm's results", "[kernels][gemm]") {
  // Edge tiles, several M blocks and K slices, both layouts of A and B, alpha / beta / padding.
  for (std::int64_t M : {1, 7, 64, 97, 130})
    for (std::int64_t N : {1, 17, 245})
      for (std::int64_t K : {1, 32, 330, 700}) {
        Problem p{.M = M, .N = N, .K = K, .alpha = 0.5, .beta = 1.5, .pad = 3, .prepacked = true};
        check_all_transposes<float>(p);
        check_all_transposes<double>(p);
      }
  // On gemm's packed path (no small-problem or narrow-C shortcut) the bits are gemm's own.
  for (int t = 0; t < 4; ++t) {
    Problem p{.ta = (t & 1) != 0, .tb = (t & 2) != 0, .M = 97, .N = 300, .K = 700, .beta = 1};
    Operands<float> a = make<float>(p), b = a;
    run(p, a);
    p.prepacked = true;
    run(p, b);
    REQUIRE(a.C == b.C);
  }
}

TEST_CASE("gemm: alpha and beta variants", "[kernels][gemm]") {
  const std::vector<std::pair<double, double>> ab = {{1, 0},    {2.5, 0}, {1, 1}, {-0.5, 0.75},
                                                     {1.5, -1}, {0, 2},   {0, 0}, {-1, 0.5}};
  const std::vector<std::array<std::int64_t, 3>> shapes = {
      {1, 1, 1}, {7, 17, 5}, {6, 16, 300}, {33, 15, 257}, {97, 33, 16}, {130, 7, 300}};
  std::uint32_t seed = 5000;
  for (const auto& [alpha, beta] : ab)
    for (const auto& s : shapes) {
      Problem p{.M = s[0], .N = s[1], .K = s[2], .alpha = alpha, .beta = beta, .seed = seed++};
      check_all_transposes<float>(p);
      check_all_transposes<double>(p);
    }
}

TEST_CASE("gemm: beta == 0 ignores C (NaN in C does not propagate)", "[kernels][gemm]") {
  std::uint32_t seed = 6000;
  for (double alpha : {1.0, -2.0, 0.0})
    for (const auto& s : std::vector<std::array<std::int64_t, 3>>{{5, 17, 7}, {97, 33, 300}}) {
      Problem p{.M = s[0],
                .N = s[1],
                .K = s[2],
                .alpha = alpha,
                .beta = 0,
                .nan_c = true,
                .seed = seed++};
      check_all_transposes<float>(p);
      check_all_transposes<double>(p);
    }
  // K == 0 with beta == 0: C becomes exactly zero.
  Problem p{.M = 3, .N = 4, .K = 0, .alpha = 1, .beta = 0, .nan_c = true};
  check_all_transposes<double>(p);
}

TEST_CASE("gemm: leading dimensions larger than the minimum", "[kernels][gemm]") {
  std::uint32_t seed = 7000;
  for (std::int64_t pad : {1, 3, 17})
    for (const auto& s : std::vector<std::array<std::int64_t, 3>>{
             {1, 1, 1}, {6, 16, 8}, {7, 17, 33}, {15, 5, 2}, {97, 130, 17}, {33, 300, 260}}) {
      Problem p{
          .M = s[0], .N = s[1], .K = s[2], .alpha = 1.5, .beta = 0.5, .pad = pad, .seed = seed++};
      check_all_transposes<float>(p);
      check_all_transposes<double>(p);
    }
}

TEST_CASE("gemm: degenerate sizes", "[kernels][gemm]") {
  // K == 0: C = beta * C (the empty sum is 0).
  for (double beta : {0.0, 1.0, -2.0}) {
    Problem p{.M = 5, .N = 7, .K = 0, .alpha = 1, .beta = beta, .pad = 2};
    check_all_transposes<float>(p);
    check_all_transposes<double>(p);
  }
  // M == 0 or N == 0: nothing is read or written.
  for (const auto& s : std::vector<std::array<std::int64_t, 3>>{{0, 5, 3}, {4, 0, 3}, {0, 0, 0}}) {
    Problem p{.M = s[0], .N = s[1], .K = s[2], .beta = 1, .pad = 1};
    Operands<double> o = make<double>(p);
    const std::vector<double> c0 = o.C;
    run(p, o);
    REQUIRE(o.C == c0);
  }
}

TEST_CASE("gemm: 1 and 2 threads give bit-identical results", "[kernels][gemm]") {
  ThreadsGuard guard;
  const std::vector<std::array<std::int64_t, 3>> shapes = {
      {300, 300, 300}, {130, 97, 300}, {6, 300, 17}, {300, 1, 300}, {97, 130, 257}};
  std::uint32_t seed = 8000;
  auto compare = [&](auto tag) {
    using T = decltype(tag);
    for (const auto& s : shapes)
      for (int t = 0; t < 4; ++t) {
        Problem p{.ta = (t & 1) != 0,
                  .tb = (t & 2) != 0,
                  .M = s[0],
                  .N = s[1],
                  .K = s[2],
                  .alpha = 1.25,
                  .beta = 0.5,
                  .seed = seed++};
        for (auto path : {Problem::Path::gemm, Problem::Path::wide}) {
          p.path = path;
          INFO(describe(p));
          Operands<T> o1 = make<T>(p);
          Operands<T> o2 = o1;
          tg::set_num_threads(1);
          run(p, o1);
          tg::set_num_threads(2);
          run(p, o2);
          REQUIRE(std::memcmp(o1.C.data(), o2.C.data(), o1.C.size() * sizeof(T)) == 0);
        }
      }
  };
  compare(float{});
  compare(double{});
}

// The wide tile is the one AVX-512 builds run: 12 rows x 2 vectors of 64 bytes (MR = 12, NR = 32
// float / 16 double), MC = 96, KC_MAX = 192. Without AVX-512 the same code runs over an emulated
// vector; these tests check its packing, edge tiles, blocks and K slices on any machine.
TEST_CASE("gemm wide (AVX-512) tile: edge tiles and M blocks and K slices and prepacked A",
          "[kernels][gemm]") {
  const std::vector<std::pair<double, double>> ab = {{1, 0}, {2.5, 0}, {1, 1}, {-0.5, 0.75}};
  std::uint32_t seed = 9000;
  std::int64_t idx = 0, blocked = 0;
  for (std::int64_t M : {1, 11, 12, 13, 25, 97, 130, 200})
    for (std::int64_t N : {1, 15, 16, 17, 31, 32, 33, 100, 300})
      for (std::int64_t K : {5, 192, 193, 400}) {
        // gemm's small-problem path does not use a tile: the same code for both tiles.
        if (N <= 256 && M * N * K <= 48 * 48 * 48) continue;
        ++blocked;
        Problem p{.ta = (idx & 1) != 0,
                  .tb = (idx & 2) != 0,
                  .M = M,
                  .N = N,
                  .K = K,
                  .alpha = ab[(idx / 4) % 4].first,
                  .beta = ab[(idx / 4) % 4].second,
                  .pad = idx % 3 == 0 ? 3 : 0,
                  .seed = seed++,
                  .prepacked = idx % 5 == 1,
                  .path = Problem::Path::wide};
        ++idx;
        if (idx % 2) {
          check<float>(p);
        } else {
          check<double>(p);
        }
      }
  REQUIRE(blocked >= 100);  // the filter above leaves most shapes to the tile
}

TEST_CASE("gemm wide tile: the same bits as the narrow tile when K is one slice",
          "[kernels][gemm]") {
  // Each element is the same sum over k, in order, with the same multiply-adds, whichever tile
  // holds it; with one K slice (K <= 192) and beta 0 or 1 the results must match bit for bit. A
  // misplaced lane or row would show even where the tolerance of the test above might not.
  ThreadsGuard guard;
  std::uint32_t seed = 9500;
  auto compare = [&](auto tag) {
    using T = decltype(tag);
    for (int threads : {1, 2})
      for (const auto& s : std::vector<std::array<std::int64_t, 3>>{
               {13, 300, 64}, {97, 33, 192}, {130, 100, 17}, {200, 31, 150}, {64, 20, 100}})
        for (int t = 0; t < 8; ++t) {
          tg::set_num_threads(threads);
          Problem p{.ta = (t & 1) != 0,
                    .tb = (t & 2) != 0,
                    .M = s[0],
                    .N = s[1],
                    .K = s[2],
                    .alpha = 0.75,
                    .beta = (t & 4) != 0 ? 1.0 : 0.0,
                    .pad = 1,
                    .seed = seed++,
                    .prepacked = s[0] == 97};
          p.path = Problem::Path::narrow;
          Operands<T> narrow = make<T>(p), wide = narrow;
          run(p, narrow);
          p.path = Problem::Path::wide;
          run(p, wide);
          INFO(describe(p) << " threads=" << threads);
          REQUIRE(std::memcmp(narrow.C.data(), wide.C.data(), narrow.C.size() * sizeof(T)) == 0);
        }
  };
  compare(float{});
  compare(double{});
}
