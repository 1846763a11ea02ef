// kernels/vecmath.hpp: float32 exp, expm1, log, log1p, tanh, erf, sigmoid, softplus against the
// double-precision std:: functions (rounded to float), over a sweep of the whole float range and
// a dense sweep of [-20, 20], plus special values.
#include "tapegrad/kernels/vecmath.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Distance from got to the exact value in units of the float spacing at the exact value.
double ulp_error(float got, double exact) {
  if (std::isnan(exact)) return std::isnan(got) ? 0.0 : 1e30;
  const float rounded = static_cast<float>(exact);
  if (std::isinf(rounded)) return got == rounded ? 0.0 : 1e30;
  if (std::isnan(got) || std::isinf(got)) return 1e30;
  const float a = std::fabs(rounded);
  const double spacing = static_cast<double>(std::nextafter(a, kInf) - a);
  return std::fabs(static_cast<double>(got) - exact) / spacing;
}

struct Fn {
  std::string name;
  std::function<float(float)> f;
  std::function<double(double)> exact;
  double max_ulp;
};

std::vector<Fn> functions() {
  return {
      {"exp", [](float x) { return tg::vm::exp(x); }, [](double x) { return std::exp(x); }, 2},
      {"expm1", [](float x) { return tg::vm::expm1(x); }, [](double x) { return std::expm1(x); },
       2},
      {"log", [](float x) { return tg::vm::log(x); }, [](double x) { return std::log(x); }, 2},
      {"log1p", [](float x) { return tg::vm::log1p(x); }, [](double x) { return std::log1p(x); },
       3},
      {"tanh", [](float x) { return tg::vm::tanh(x); }, [](double x) { return std::tanh(x); }, 3},
      {"erf", [](float x) { return tg::vm::erf(x); }, [](double x) { return std::erf(x); }, 8},
      {"sigmoid", [](float x) { return tg::vm::sigmoid(x); },
       [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, 3},
      {"softplus", [](float x) { return tg::vm::softplus(x); },
       [](double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }, 2},
  };
}

void check_sweep(const Fn& fn, const std::vector<float>& xs) {
  double worst = 0;
  float worst_x = 0;
  for (float x : xs) {
    const double e = ulp_error(fn.f(x), fn.exact(static_cast<double>(x)));
    if (e > worst) {
      worst = e;
      worst_x = x;
    }
  }
  INFO(fn.name << ": max error " << worst << " ulp at x = " << worst_x << " (got " << fn.f(worst_x)
               << ", exact " << fn.exact(static_cast<double>(worst_x)) << ")");
  CHECK(worst <= fn.max_ulp);
}

}  // namespace

TEST_CASE("vecmath: accuracy over the whole float range", "[kernels][vecmath]") {
  // Every 1021st bit pattern of the finite floats, both signs (about 4 million values).
  std::vector<float> xs;
  for (std::uint32_t b = 0; b < 0x7f800000u; b += 1021) {
    xs.push_back(std::bit_cast<float>(b));
    xs.push_back(-std::bit_cast<float>(b));
  }
  for (const Fn& fn : functions()) check_sweep(fn, xs);
}

TEST_CASE("vecmath: exp_nonpositive is exp's bits for every x <= 0", "[kernels][vecmath]") {
  // Every 257th bit pattern of the negative floats, -0 and -inf.
  std::uint32_t mismatches = 0;
  float first_bad = 0;
  for (std::uint32_t b = 0; b <= 0x7f800000u; b += (b < 0x7f800000u - 257 ? 257 : 1)) {
    const float x = -std::bit_cast<float>(b);
    if (std::bit_cast<std::uint32_t>(tg::vm::exp_nonpositive(x)) !=
        std::bit_cast<std::uint32_t>(tg::vm::exp(x))) {
      if (mismatches++ == 0) first_bad = x;
    }
  }
  INFO("first mismatch at x = " << first_bad);
  REQUIRE(mismatches == 0);
}

TEST_CASE("vecmath: accuracy on a dense grid of [-20, 20]", "[kernels][vecmath]") {
  std::vector<float> xs;
  for (int i = -2000000; i <= 2000000; ++i) xs.push_back(static_cast<float>(i) * 1e-5f);
  for (const Fn& fn : functions()) check_sweep(fn, xs);
}

TEST_CASE("vecmath: special values", "[kernels][vecmath]") {
  using namespace tg::vm;
  // NaN propagates through every function.
  for (const Fn& fn : functions()) {
    INFO(fn.name);
    REQUIRE(std::isnan(fn.f(kNaN)));
  }
  // Zeros.
  REQUIRE(exp(0.0f) == 1.0f);
  REQUIRE(expm1(0.0f) == 0.0f);
  REQUIRE(log(1.0f) == 0.0f);
  REQUIRE(log1p(0.0f) == 0.0f);
  REQUIRE(tanh(0.0f) == 0.0f);
  REQUIRE(erf(0.0f) == 0.0f);
  REQUIRE(sigmoid(0.0f) == 0.5f);
  // softplus(0) = log 2.
  REQUIRE(softplus(0.0f) == static_cast<float>(std::log(2.0)));
  // Infinities and saturation.
  REQUIRE(exp(kInf) == kInf);
  REQUIRE(exp(-kInf) == 0.0f);
  REQUIRE(exp(89.0f) == kInf);    // e^89 > FLT_MAX
  REQUIRE(exp(-105.0f) == 0.0f);  // below the smallest subnormal
  REQUIRE(ulp_error(exp(88.7f), std::exp(static_cast<double>(88.7f))) <= 2);  // near FLT_MAX
  REQUIRE(expm1(kInf) == kInf);
  REQUIRE(expm1(-kInf) == -1.0f);
  REQUIRE(expm1(-100.0f) == -1.0f);
  REQUIRE(expm1(100.0f) == kInf);
  // At the largest x whose e^x is finite, and the next float up: inf exactly where exp's is.
  REQUIRE(ulp_error(expm1(88.72283f), std::expm1(static_cast<double>(88.72283f))) <= 2);
  REQUIRE(expm1(std::nextafter(88.72283f, kInf)) == kInf);
  REQUIRE(exp(std::nextafter(88.72283f, kInf)) == kInf);
  REQUIRE(ulp_error(expm1(88.7f), std::expm1(static_cast<double>(88.7f))) <= 2);  // 2^127 < y
  REQUIRE(expm1(-80.0f) == -1.0f);
  REQUIRE((expm1(-0.0f) == 0.0f && std::signbit(expm1(-0.0f))));  // as std::expm1
  REQUIRE(expm1(1e-30f) == 1e-30f);
  REQUIRE(expm1(-1e-40f) == -1e-40f);  // subnormal
  REQUIRE(ulp_error(expm1(-17.0f), std::expm1(-17.0)) <= 2);
  REQUIRE(log(0.0f) == -kInf);
  REQUIRE(log(kInf) == kInf);
  REQUIRE(std::isnan(log(-1.0f)));
  REQUIRE(std::isnan(log(-kInf)));
  REQUIRE(
      log(std::numeric_limits<float>::denorm_min()) ==
      static_cast<float>(std::log(static_cast<double>(std::numeric_limits<float>::denorm_min()))));
  REQUIRE(log1p(-1.0f) == -kInf);
  REQUIRE(log1p(kInf) == kInf);
  REQUIRE(std::isnan(log1p(-2.0f)));
  REQUIRE(tanh(kInf) == 1.0f);
  REQUIRE(tanh(-kInf) == -1.0f);
  REQUIRE(tanh(50.0f) == 1.0f);
  REQUIRE(tanh(-50.0f) == -1.0f);
  REQUIRE(erf(kInf) == 1.0f);
  REQUIRE(erf(-kInf) == -1.0f);
  REQUIRE(erf(10.0f) == 1.0f);
  REQUIRE(sigmoid(kInf) == 1.0f);
  REQUIRE(sigmoid(-kInf) == 0.0f);
  REQUIRE(sigmoid(-100.0f) == static_cast<float>(1.0 / (1.0 + std::exp(100.0))));
  REQUIRE(softplus(kInf) == kInf);
  REQUIRE(softplus(-kInf) == 0.0f);
  REQUIRE(softplus(100.0f) == 100.0f);
  REQUIRE(softplus(-100.0f) == static_cast<float>(std::log1p(std::exp(-100.0))));  // subnormal
  // Odd functions stay odd.
  for (float x : {1e-6f, 0.3f, 0.7f, 2.5f, 6.0f}) {
    REQUIRE(tanh(-x) == -tanh(x));
    REQUIRE(erf(-x) == -erf(x));
  }
}

TEST_CASE("vecmath: the float64 overloads are the std:: functions", "[kernels][vecmath]") {
  for (double x : {-30.0, -2.5, -1e-9, 0.0, 1e-9, 0.3, 1.7, 30.0}) {
    REQUIRE(tg::vm::exp(x) == std::exp(x));
    REQUIRE(tg::vm::expm1(x) == std::expm1(x));
    REQUIRE(tg::vm::tanh(x) == std::tanh(x));
    REQUIRE(tg::vm::erf(x) == std::erf(x));
    REQUIRE(tg::vm::log1p(std::fabs(x)) == std::log1p(std::fabs(x)));
    REQUIRE(tg::vm::log(std::fabs(x) + 1.0) == std::log(std::fabs(x) + 1.0));
  }
}

TEST_CASE("vecmath: a loop over an array matches the scalar calls", "[kernels][vecmath]") {
  // The library compiles these in vectorised loops; the arithmetic is the same IEEE operations in
  // every lane, so an array loop must agree bit for bit with one-at-a-time calls.
  std::vector<float> x(1037), y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -12.0f + 0.0237f * static_cast<float>(i);
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = tg::vm::tanh(x[i]) + tg::vm::erf(x[i]);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const volatile float xi = x[i];
    REQUIRE(y[i] == tg::vm::tanh(xi) + tg::vm::erf(xi));
  }
}
