// Accuracy of every registered activation, f and f', in float32 and float64, against reference
// values computed with mpmath at 50 digits (tests/activations/reference.txt, written by
// make_reference.py beside this file). The bounds are the measured worst errors with a margin;
// docs/activations.md shows the measurements.
#include <map>
#include <set>

#include "helpers.hpp"
#include "tapegrad/activations/accuracy.hpp"

using namespace tg;

namespace {

std::string reference_path() {
  return (std::filesystem::path(__FILE__).parent_path() / "reference.txt").string();
}

// Worst error allowed, in ulps, away from roots; and the absolute error allowed near a root
// (where f or f' crosses zero away from x = 0).
struct Bound {
  double f32 = 4, f64 = 4;  // ulps, f and f'
  double abs32 = 2e-7, abs64 = 5e-16;
};

// Where an activation is less accurate than the default bound, and why.
const std::map<std::string, Bound>& bounds() {
  // {ulps f32, ulps f64, abs f32, abs f64}; each comment says where the error comes from.
  static const std::map<std::string, Bound> b = {
      // Phi(x) < 2^-126 for x in [-13.2, -12.9]: the subnormal intermediate keeps fewer digits.
      {"gelu", {8, 4, 2e-7, 5e-16}},
      // f = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): the rounding of u (a few ulps
      // relative) becomes |2u| times as many in e^(2u) where x is far below 0. Inherent to the
      // formula in the dtype (measured 64-76 ulps at x = -9.1 in float32, 420-444 at x = -19..-21
      // in float64).
      {"gelu_tanh", {96, 640, 2e-7, 5e-16}},
      // f' = e^(z - u) for z < 0 (u = softplus(z)): z - u rounds to half an ulp of z, |z| times
      // that in the exp (5 ulps at z = -12 in float32, 15 at z = -34 in float64).
      {"logsigmoid", {8, 24, 2e-7, 5e-16}},
      {"softplus", {8, 24, 2e-7, 5e-16}},
      {"softplus(beta=2,threshold=10)", {8, 24, 2e-7, 5e-16}},
      // x sigmoid(x) for x in [-91.8, -87.3]: sigmoid is subnormal there and the product is not.
      // And f' = s + y (1 - s): 1 - s keeps few digits for large x (17.5 ulps at x = 21, float64).
      {"silu", {24, 24, 2e-7, 5e-16}},
      {"swish_beta", {24, 4, 2e-7, 5e-16}},
      {"mish", {24, 12, 2e-7, 5e-16}},
      // f' from y by design (as PyTorch): absolute errors, an ulp of 1 or so.
      {"sigmoid", {4, 4, 2e-7, 5e-16}},
      {"tanh", {4, 4, 2e-7, 5e-16}},
      // Horner sums of terms of size 1-10 where f is about -0.01 x: the cancellation is in the
      // rational form at these coefficients (f32 19 and 35 ulps, f64 11 and 14 at x = -1..-3).
      {"pau", {48, 20, 2e-7, 5e-16}},
      {"rational", {12, 4, 2e-7, 5e-16}},
  };
  return b;
}

}  // namespace

TEST_CASE("activations/accuracy: the reference file covers every registered activation") {
  const auto ref = act::read_reference(reference_path());
  std::set<std::string> names;
  for (const auto& r : ref) names.insert(act::Spec::parse(r.spec).name());
  for (const auto& n : act::Registry::instance().names()) {
    INFO("activation " << n);
    CHECK(names.count(n) == 1);
  }
  for (const auto& r : ref) {
    INFO(r.spec);
    CHECK(r.points.size() >= 300);
  }
}

TEST_CASE("activations/accuracy: f and f' against mpmath, float32 and float64") {
  const auto rows = act::measure_accuracy(act::read_reference(reference_path()));
  for (const auto& r : rows) {
    const auto it = bounds().find(r.spec);
    const Bound b = it == bounds().end() ? Bound{} : it->second;
    const bool f32 = r.dtype == DType::Float32;
    const double ulps = f32 ? b.f32 : b.f64, abs = f32 ? b.abs32 : b.abs64;
    INFO(r.spec << (f32 ? " float32" : " float64") << ": f " << r.f.max_ulp_away
                << " ulp at x = " << r.f.x_ulp_away << ", f' " << r.df.max_ulp_away
                << " ulp at x = " << r.df.x_ulp_away << "; near roots abs f " << r.f.max_abs
                << ", f' " << r.df.max_abs);
    CHECK(r.f.max_ulp_away <= ulps);
    CHECK(r.df.max_ulp_away <= ulps);
    CHECK(r.f.max_abs <= abs);
    CHECK(r.df.max_abs <= abs);
    // Below the smallest normal number: within it in absolute terms.
    const double tiny =
        f32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
    CHECK(r.f.max_abs_tiny <= tiny);
    CHECK(r.df.max_abs_tiny <= tiny);
  }
}

TEST_CASE("activations/accuracy: ulps are measured in the result's dtype") {
  CHECK(act::ulp_of(1.0L, DType::Float32) == std::ldexp(1.0, -23));
  CHECK(act::ulp_of(1.5L, DType::Float64) == std::ldexp(1.0, -52));
  CHECK(act::ulp_of(0.75L, DType::Float32) == std::ldexp(1.0, -24));
  CHECK(act::ulp_of(0.0L, DType::Float32) == std::ldexp(1.0, -149));  // subnormal spacing
  CHECK(act::ulp_of(1e-310L, DType::Float64) == std::ldexp(1.0, -1074));
}
