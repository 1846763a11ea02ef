// Initialisers (tg::init): calculate_gain, fans, the statistics of every random scheme on ~10^6
// elements against its formula, orthogonality of orthogonal_, determinism with a seeded
// Generator, in-place use on parameters (leaves that require grad), views, and error messages.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/init/init.hpp"

using namespace tg;
using tg::init::FanMode;

namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

// Population mean / std, min and max of all elements (accumulated in double).
Stats stats_of(const Tensor& t) {
  const auto v = t.to_vector<double>();
  Stats s;
  s.min = s.max = v.at(0);
  double sum = 0;
  for (double x : v) {
    sum += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean = sum / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(ss / double(v.size()));
  return s;
}

// With n ~ 10^6 samples the standard error of the sample std is ~std/sqrt(2n) ~ 0.07% of std, and
// that of the mean is std/sqrt(n) = 0.1% of std, so 2% and 1% are far outside sampling noise.
void require_zero_mean_std(const Tensor& t, double expected_std) {
  const Stats s = stats_of(t);
  INFO("mean " << s.mean << " std " << s.std << " expected std " << expected_std);
  REQUIRE(std::abs(s.std - expected_std) <= 0.02 * expected_std);
  REQUIRE(std::abs(s.mean) <= 0.01 * expected_std);
}

// U(-bound, bound): every value inside, the extremes close to the bound, std = bound / sqrt(3).
void require_uniform_bound(const Tensor& t, double bound) {
  const Stats s = stats_of(t);
  INFO("min " << s.min << " max " << s.max << " bound " << bound);
  REQUIRE(s.min >= -bound);
  REQUIRE(s.max <= bound);
  REQUIRE(s.min < -0.999 * bound);
  REQUIRE(s.max > 0.999 * bound);
  require_zero_mean_std(t, bound / std::sqrt(3.0));
}

// Max |G - gain^2 I| where G = W W^T (rows <= cols) or W^T W (rows > cols) for W viewed as
// rows x cols, computed in double from the stored values.
double orthogonality_error(const Tensor& w, double gain) {
  const std::int64_t rows = w.size(0), cols = w.numel() / rows;
  const auto v = w.to_vector<double>();
  const bool wide = rows <= cols;
  const std::int64_t k = wide ? rows : cols, len = wide ? cols : rows;
  auto el = [&](std::int64_t vec, std::int64_t i) {
    return wide ? v[static_cast<std::size_t>(vec * cols + i)]
                : v[static_cast<std::size_t>(i * cols + vec)];
  };
  double worst = 0;
  for (std::int64_t a = 0; a < k; ++a)
    for (std::int64_t b = 0; b < k; ++b) {
      double dot = 0;
      for (std::int64_t i = 0; i < len; ++i) dot += el(a, i) * el(b, i);
      worst = std::max(worst, std::abs(dot - (a == b ? gain * gain : 0.0)));
    }
  return worst;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.to_vector<double>() == b.to_vector<double>();
}

}  // namespace

// ---------------------------------------------------------------- calculate_gain

TEST_CASE("calculate_gain: PyTorch's values for every name", "[init]") {
  for (const char* name : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                           "conv_transpose2d", "conv_transpose3d", "sigmoid", "identity"}) {
    INFO(name);
    REQUIRE(init::calculate_gain(name) == 1.0);
  }
  REQUIRE(init::calculate_gain("tanh") == Approx(5.0 / 3.0).epsilon(1e-15));
  REQUIRE(init::calculate_gain("relu") == Approx(1.4142135623730951).epsilon(1e-15));
  REQUIRE(init::calculate_gain("selu") == 0.75);
  // param is ignored by everything except leaky_relu.
  REQUIRE(init::calculate_gain("relu", 0.5) == Approx(std::sqrt(2.0)).epsilon(1e-15));
  REQUIRE(init::calculate_gain("tanh", 3.0) == Approx(5.0 / 3.0).epsilon(1e-15));
}

TEST_CASE("calculate_gain: leaky_relu with and without the slope", "[init]") {
  // default slope 0.01: sqrt(2 / 1.0001) = 1.41414284...
  REQUIRE(init::calculate_gain("leaky_relu") == Approx(1.4141428569978354).epsilon(1e-14));
  // slope 0.2: sqrt(2 / 1.04) = 1.3867504905630728
  REQUIRE(init::calculate_gain("leaky_relu", 0.2) == Approx(1.3867504905630728).epsilon(1e-14));
  // slope sqrt(5) (nn.Linear's default): sqrt(2 / 6) = 0.5773502691896258
  REQUIRE(init::calculate_gain("leaky_relu", std::sqrt(5.0)) ==
          Approx(0.5773502691896258).epsilon(1e-14));
  // slope 0 is relu: sqrt(2); slope 1 is linear: 1; negative slopes square the same way
  REQUIRE(init::calculate_gain("leaky_relu", 0.0) == Approx(std::sqrt(2.0)).epsilon(1e-15));
  REQUIRE(init::calculate_gain("leaky_relu", 1.0) == Approx(1.0).epsilon(1e-15));
  REQUIRE(init::calculate_gain("leaky_relu", -0.2) == Approx(1.3867504905630728).epsilon(1e-14));
}

TEST_CASE("calculate_gain: unknown name lists the valid names", "[init]") {
  REQUIRE_THROWS_AS(init::calculate_gain("swish"), tg::Error);
  REQUIRE_THROWS_WITH(init::calculate_gain("swish"),
                      Catch::Contains("calculate_gain") && Catch::Contains("'swish'") &&
                          Catch::Contains("leaky_relu") && Catch::Contains("selu") &&
                          Catch::Contains("conv2d"));
  // names are case-sensitive, as in PyTorch
  REQUIRE_THROWS_AS(init::calculate_gain("ReLU"), tg::Error);
  REQUIRE_THROWS_AS(init::calculate_gain(""), tg::Error);
}

// ---------------------------------------------------------------- fans

TEST_CASE("calculate_fan_in_and_fan_out: linear, conv1d, conv2d weights", "[init]") {
  // Linear weight [out=20, in=30]: fan_in 30, fan_out 20
  REQUIRE(init::calculate_fan_in_and_fan_out(empty({20, 30})) ==
          std::pair<std::int64_t, std::int64_t>{30, 20});
  // Conv2d weight [16, 6, 5, 5]: receptive 25, fan_in 6*25 = 150, fan_out 16*25 = 400
  REQUIRE(init::calculate_fan_in_and_fan_out(empty({16, 6, 5, 5})) ==
          std::pair<std::int64_t, std::int64_t>{150, 400});
  // Conv1d weight [8, 4, 3]: fan_in 12, fan_out 24
  REQUIRE(init::calculate_fan_in_and_fan_out(empty({8, 4, 3})) ==
          std::pair<std::int64_t, std::int64_t>{12, 24});
  // Only the shape matters: a transposed view [30, 20] has fan_in 20, fan_out 30
  REQUIRE(init::calculate_fan_in_and_fan_out(empty({20, 30}).t()) ==
          std::pair<std::int64_t, std::int64_t>{20, 30});
}

TEST_CASE("calculate_fan_in_and_fan_out: fewer than 2 dims is an error naming the shape",
          "[init]") {
  REQUIRE_THROWS_AS(init::calculate_fan_in_and_fan_out(empty({5})), tg::Error);
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out(empty({5})),
                      Catch::Contains("fan") && Catch::Contains("[5]"));
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out(scalar_tensor(1.0)),
                      Catch::Contains("[]"));
  // and so do the schemes that need fans
  REQUIRE_THROWS_WITH(init::kaiming_uniform_(empty({7})), Catch::Contains("[7]"));
  REQUIRE_THROWS_WITH(init::kaiming_normal_(empty({7})), Catch::Contains("[7]"));
  REQUIRE_THROWS_WITH(init::xavier_uniform_(empty({7})), Catch::Contains("[7]"));
  REQUIRE_THROWS_WITH(init::xavier_normal_(empty({7})), Catch::Contains("[7]"));
  REQUIRE_THROWS_WITH(init::orthogonal_(empty({7})),
                      Catch::Contains("orthogonal_") && Catch::Contains("[7]"));
}

// ---------------------------------------------------------------- simple fills

TEST_CASE("uniform_: bounds, mean and std on 10^6 elements", "[init]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO(dtype_name(dt));
    Generator g(11);
    Tensor t = empty({1000, 1000}, dt);
    init::uniform_(t, -2.0, 3.0, &g);
    const Stats s = stats_of(t);
    // U(-2, 3): mean 0.5, std 5 / sqrt(12) = 1.4433756729740643
    REQUIRE(s.min >= -2.0);
    REQUIRE(s.max < 3.0);
    REQUIRE(s.min < -1.99);
    REQUIRE(s.max > 2.99);
    REQUIRE(s.mean == Approx(0.5).margin(0.01));
    REQUIRE(s.std == Approx(1.4433756729740643).epsilon(0.02));
  }
  // default U(0, 1): mean 0.5, std 1 / sqrt(12) = 0.28867513459481287
  Tensor u = init::uniform_(empty({1000, 1000}));
  const Stats s = stats_of(u);
  REQUIRE(s.min >= 0.0);
  REQUIRE(s.max < 1.0);
  REQUIRE(s.mean == Approx(0.5).margin(0.002));
  REQUIRE(s.std == Approx(0.28867513459481287).epsilon(0.02));
}

TEST_CASE("normal_: mean and std on 10^6 elements", "[init]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO(dtype_name(dt));
    Generator g(12);
    Tensor t = empty({1000, 1000}, dt);
    init::normal_(t, 2.0, 0.5, &g);
    const Stats s = stats_of(t);
    REQUIRE(s.mean == Approx(2.0).margin(0.005));
    REQUIRE(s.std == Approx(0.5).epsilon(0.02));
  }
  Tensor n = init::normal_(empty({1000, 1000}));
  require_zero_mean_std(n, 1.0);
}

TEST_CASE("constant_, zeros_, ones_: values, dtypes, and views", "[init]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor t = empty({2, 3}, dt);
    init::constant_(t, 0.25);
    tgtest::require_values(t, {0.25, 0.25, 0.25, 0.25, 0.25, 0.25}, 0);
    init::zeros_(t);
    tgtest::require_values(t, {0, 0, 0, 0, 0, 0}, 0);
    init::ones_(t);
    tgtest::require_values(t, {1, 1, 1, 1, 1, 1}, 0);
  }
  // A slice view: only the middle column of the base changes.
  Tensor base = zeros({2, 3});
  init::constant_(base.slice(1, 1, 2), 7.0);
  tgtest::require_values(base, {0, 7, 0, 0, 7, 0}, 0);
  // A transposed view fills the whole base.
  init::ones_(base.t());
  tgtest::require_values(base, {1, 1, 1, 1, 1, 1}, 0);
  // The returned tensor is the same tensor (a handle to it), not a copy.
  REQUIRE(init::zeros_(base).same(base));
}

// ---------------------------------------------------------------- kaiming

namespace {
struct KaimingCase {
  const char* name;
  FanMode mode;
  const char* nonlinearity;
  double a;
  double expected_std;
};

// Conv weight [256, 128, 5, 5]: 819200 elements, fan_in = 128*25 = 3200, fan_out = 256*25 = 6400.
std::vector<KaimingCase> kaiming_cases() {
  const double s5 = std::sqrt(5.0);
  return {
      // relu: sqrt(2) / sqrt(3200) = 0.025
      {"relu fan_in", FanMode::FanIn, "relu", 0.0, 0.025},
      // relu: sqrt(2) / sqrt(6400) = 0.0176776695...
      {"relu fan_out", FanMode::FanOut, "relu", 0.0, 0.017677669529663688},
      // leaky_relu(sqrt 5): sqrt(1/3) / sqrt(3200) = 1 / sqrt(9600) = 0.0102062072...
      // (uniform bound sqrt(3) * std = 1 / sqrt(3200): nn.Linear's 1/sqrt(fan_in))
      {"leaky_relu(sqrt5) fan_in", FanMode::FanIn, "leaky_relu", s5, 0.010206207261596575},
      // leaky_relu(sqrt 5): 1 / sqrt(3 * 6400) = 0.0072168783...
      {"leaky_relu(sqrt5) fan_out", FanMode::FanOut, "leaky_relu", s5, 0.007216878364870322},
  };
}
}  // namespace

TEST_CASE("kaiming_uniform_: bound and std match the formula (fan_in, fan_out)", "[init]") {
  for (DType dt : {DType::Float32, DType::Float64})
    for (const auto& c : kaiming_cases()) {
      INFO(c.name << " " << dtype_name(dt));
      Generator g(21);
      Tensor w = empty({256, 128, 5, 5}, dt);
      init::kaiming_uniform_(w, c.a, c.mode, c.nonlinearity, &g);
      require_uniform_bound(w, std::sqrt(3.0) * c.expected_std);
    }
}

TEST_CASE("kaiming_normal_: std matches the formula (fan_in, fan_out)", "[init]") {
  for (DType dt : {DType::Float32, DType::Float64})
    for (const auto& c : kaiming_cases()) {
      INFO(c.name << " " << dtype_name(dt));
      Generator g(22);
      Tensor w = empty({256, 128, 5, 5}, dt);
      init::kaiming_normal_(w, c.a, c.mode, c.nonlinearity, &g);
      require_zero_mean_std(w, c.expected_std);
    }
}

TEST_CASE("kaiming: defaults are a = 0, fan_in, leaky_relu (linear weight)", "[init]") {
  // [500, 2000] linear weight, fan_in 2000. Defaults: leaky_relu with slope a = 0 -> gain sqrt(2),
  // std = sqrt(2 / 2000) = 0.031622776601683794, bound sqrt(3) * std = 0.05477225575051661
  Generator g(23);
  Tensor w = empty({500, 2000});
  init::kaiming_uniform_(w, 0.0, FanMode::FanIn, "leaky_relu", &g);
  require_uniform_bound(w, 0.05477225575051661);
  Tensor d = init::kaiming_normal_(empty({500, 2000}));
  require_zero_mean_std(d, 0.031622776601683794);
  // fan_out of the same weight is 500: std = sqrt(2 / 500) = 0.06324555320336758
  Tensor o = init::kaiming_normal_(empty({500, 2000}), 0.0, FanMode::FanOut, "relu", &g);
  require_zero_mean_std(o, 0.06324555320336758);
  // An unknown nonlinearity is the calculate_gain error.
  REQUIRE_THROWS_WITH(init::kaiming_uniform_(w, 0.0, FanMode::FanIn, "gelu"),
                      Catch::Contains("'gelu'"));
}

// ---------------------------------------------------------------- xavier

TEST_CASE("xavier_uniform_ and xavier_normal_: std matches the formula, with gain", "[init]") {
  // [500, 2000]: fan_in 2000, fan_out 500, 2 / (fan_in + fan_out) = 0.0008
  //   gain 1:   std = sqrt(0.0008) = 0.0282842712474619
  //   gain 5/3: std = 0.04714045207910317 (tanh)
  // conv [256, 128, 5, 5]: fan_in 3200, fan_out 6400, 2 / 9600;
  //   gain sqrt(2): std = sqrt(2) * sqrt(2 / 9600) = sqrt(4 / 9600) = 0.02041241452319315
  struct Case {
    const char* name;
    Shape shape;
    double gain, expected_std;
  };
  const std::vector<Case> cases = {
      {"linear gain 1", {500, 2000}, 1.0, 0.0282842712474619},
      {"linear gain 5/3", {500, 2000}, 5.0 / 3.0, 0.04714045207910317},
      {"conv gain sqrt2", {256, 128, 5, 5}, std::sqrt(2.0), 0.02041241452319315},
  };
  for (DType dt : {DType::Float32, DType::Float64})
    for (const auto& c : cases) {
      INFO(c.name << " " << dtype_name(dt));
      Generator g(31);
      Tensor u = empty(c.shape, dt);
      init::xavier_uniform_(u, c.gain, &g);
      require_uniform_bound(u, std::sqrt(3.0) * c.expected_std);
      Tensor n = empty(c.shape, dt);
      init::xavier_normal_(n, c.gain, &g);
      require_zero_mean_std(n, c.expected_std);
    }
}

// ---------------------------------------------------------------- orthogonal

TEST_CASE("orthogonal_: W W^T = I or W^T W = I for square, wide, tall and conv weights", "[init]") {
  struct Case {
    const char* name;
    Shape shape;
  };
  const std::vector<Case> cases = {
      {"square [64, 64]", {64, 64}},
      {"wide [30, 100]", {30, 100}},
      {"tall [100, 30]", {100, 30}},
      {"conv wide [16, 6, 5, 5] -> 16 x 150", {16, 6, 5, 5}},
      {"conv tall [64, 2, 3, 3] -> 64 x 18", {64, 2, 3, 3}},
      {"one row [1, 10]", {1, 10}},
      {"one column [10, 1]", {10, 1}},
  };
  for (DType dt : {DType::Float32, DType::Float64})
    for (const auto& c : cases) {
      INFO(c.name << " " << dtype_name(dt));
      Generator g(41);
      Tensor w = empty(c.shape, dt);
      init::orthogonal_(w, 1.0, &g);
      REQUIRE(w.shape() == c.shape);
      REQUIRE(orthogonality_error(w, 1.0) < 1e-5);
    }
}

TEST_CASE("orthogonal_: gain scales, so W W^T = gain^2 I", "[init]") {
  Generator g(42);
  Tensor w = empty({20, 50}, DType::Float64);
  init::orthogonal_(w, 2.0, &g);
  REQUIRE(orthogonality_error(w, 2.0) < 1e-10);
  Tensor r = empty({50, 20});
  init::orthogonal_(r, init::calculate_gain("relu"), &g);
  REQUIRE(orthogonality_error(r, std::sqrt(2.0)) < 1e-5);
  // Default generator and gain.
  Tensor d = init::orthogonal_(empty({8, 8}));
  REQUIRE(orthogonality_error(d, 1.0) < 1e-5);
}

TEST_CASE("orthogonal_: the entries are spread, not a permutation of the identity", "[init]") {
  // A Haar-random 64 x 64 orthogonal matrix has entries of std 1/8; a QR that returned something
  // trivial (identity, signs) would have std 1/8 too but max |entry| 1, so check both.
  Generator g(43);
  Tensor w = init::orthogonal_(empty({64, 64}, DType::Float64), 1.0, &g);
  const Stats s = stats_of(w);
  REQUIRE(s.std == Approx(0.125).epsilon(0.05));
  REQUIRE(std::max(-s.min, s.max) < 0.7);
}

// ---------------------------------------------------------------- determinism

TEST_CASE("random initialisers are deterministic with a seeded Generator", "[init]") {
  using Fill = std::function<void(const Tensor&, Generator*)>;
  const std::vector<std::pair<const char*, Fill>> fills = {
      {"uniform_", [](const Tensor& t, Generator* g) { init::uniform_(t, -1, 1, g); }},
      {"normal_", [](const Tensor& t, Generator* g) { init::normal_(t, 0, 1, g); }},
      {"kaiming_uniform_",
       [](const Tensor& t, Generator* g) {
         init::kaiming_uniform_(t, std::sqrt(5.0), FanMode::FanIn, "leaky_relu", g);
       }},
      {"kaiming_normal_",
       [](const Tensor& t, Generator* g) {
         init::kaiming_normal_(t, 0, FanMode::FanOut, "relu", g);
       }},
      {"xavier_uniform_", [](const Tensor& t, Generator* g) { init::xavier_uniform_(t, 1, g); }},
      {"xavier_normal_", [](const Tensor& t, Generator* g) { init::xavier_normal_(t, 1, g); }},
      {"orthogonal_", [](const Tensor& t, Generator* g) { init::orthogonal_(t, 1, g); }},
  };
  for (const auto& [name, fill] : fills) {
    INFO(name);
    Generator g1(99), g2(99), g3(100);
    Tensor a = empty({6, 4, 3, 3}), b = empty({6, 4, 3, 3}), c = empty({6, 4, 3, 3});
    fill(a, &g1);
    fill(b, &g2);
    fill(c, &g3);
    REQUIRE(same_values(a, b));
    REQUIRE_FALSE(same_values(a, c));
    // The generator advanced: a second fill from g1 differs from the first.
    Tensor a2 = empty({6, 4, 3, 3});
    fill(a2, &g1);
    REQUIRE_FALSE(same_values(a, a2));
    // No generator: the default one, reproducible through tg::manual_seed.
    Generator g4(1234);
    Tensor e = empty({6, 4, 3, 3}), f = empty({6, 4, 3, 3});
    fill(e, &g4);
    manual_seed(1234);
    fill(f, nullptr);
    REQUIRE(same_values(e, f));
  }
}

// ---------------------------------------------------------------- parameters, views, errors

TEST_CASE("initialisers work in place on a requires-grad leaf and keep requires_grad", "[init]") {
  REQUIRE(is_grad_enabled());
  Tensor w = zeros({20, 30});
  w.requires_grad_();
  const std::size_t tape_before = tape().size();
  const std::uint64_t version_before = w.version();
  Generator g(5);
  REQUIRE_NOTHROW(init::uniform_(w, -1, 1, &g));
  REQUIRE_NOTHROW(init::normal_(w, 0, 1, &g));
  REQUIRE_NOTHROW(init::constant_(w, 0.5));
  REQUIRE_NOTHROW(init::zeros_(w));
  REQUIRE_NOTHROW(init::ones_(w));
  REQUIRE_NOTHROW(init::xavier_uniform_(w, 1, &g));
  REQUIRE_NOTHROW(init::xavier_normal_(w, 1, &g));
  REQUIRE_NOTHROW(init::orthogonal_(w, 1, &g));
  REQUIRE_NOTHROW(init::kaiming_normal_(w, 0, FanMode::FanIn, "relu", &g));
  REQUIRE_NOTHROW(init::kaiming_uniform_(w, std::sqrt(5.0), FanMode::FanIn, "leaky_relu", &g));
  REQUIRE(w.requires_grad());
  REQUIRE(w.is_leaf());
  REQUIRE(is_grad_enabled());             // the internal guard restored grad mode
  REQUIRE(tape().size() == tape_before);  // nothing recorded
  REQUIRE(w.version() > version_before);  // went through the in-place API
  // The values are the kaiming ones: |w| <= 1 / sqrt(30) = 0.18257418583505536
  const Stats s = stats_of(w);
  REQUIRE(std::max(-s.min, s.max) <= 0.18257418583505536);
  REQUIRE(s.std > 0);
  // And the parameter still trains: d(sum(w))/dw = 1.
  w.sum().backward();
  REQUIRE(w.grad().defined());
  REQUIRE(w.grad().shape() == Shape{20, 30});
  REQUIRE(stats_of(w.grad()).min == 1.0);
  REQUIRE(stats_of(w.grad()).max == 1.0);
}

TEST_CASE("initialisers inside a user's NoGradGuard keep grad mode off afterwards", "[init]") {
  Tensor w = zeros({4, 5});
  w.requires_grad_();
  {
    NoGradGuard ng;
    init::kaiming_uniform_(w);
    REQUIRE_FALSE(is_grad_enabled());
  }
  REQUIRE(is_grad_enabled());
  REQUIRE(w.requires_grad());
}

TEST_CASE("initialising a tensor the tape still needs is refused", "[init]") {
  Tensor w = tgtest::leaf({3, 4});
  Tensor x = tgtest::leaf({4, 2}, 2);
  Tensor y = matmul(w, x);  // saves w for x's gradient
  REQUIRE_THROWS_AS(init::kaiming_uniform_(w), tg::Error);
  REQUIRE_THROWS_WITH(init::normal_(w), Catch::Contains("backward"));
  // After the backward has run, it is allowed again.
  y.sum().backward();
  REQUIRE_NOTHROW(init::kaiming_uniform_(w));
}

TEST_CASE("initialisers fill non-contiguous views through their strides", "[init]") {
  // kaiming on a transposed view [30, 20] of a [20, 30] base: fan_in of the view is 20, so the
  // default (leaky_relu slope 0, gain sqrt 2) bound is sqrt(3) * sqrt(2) / sqrt(20) = 0.5477...
  Tensor base = zeros({20, 30});
  Generator g(6);
  init::kaiming_uniform_(base.t(), 0, FanMode::FanIn, "leaky_relu", &g);
  const Stats s = stats_of(base);
  const double bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(20.0);
  REQUIRE(std::max(-s.min, s.max) <= bound);
  REQUIRE(std::max(-s.min, s.max) > 0.9 * bound);  // and not the base's bound sqrt(6/30) = 0.447
  // orthogonal_ on a transposed view: the view (not the base) is orthogonal.
  Tensor b2 = zeros({10, 4}, DType::Float64);
  Tensor v = b2.t();  // [4, 10], wide
  init::orthogonal_(v, 1.0, &g);
  REQUIRE(orthogonality_error(v, 1.0) < 1e-10);
  // uniform_ on a slice leaves the rest of the base alone.
  Tensor b3 = zeros({4, 6});
  init::uniform_(b3.slice(1, 0, 6, 2), 1, 2, &g);
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 6; ++j) {
      if (j % 2 == 0) {
        REQUIRE(b3.at({i, j}) >= 1.0);
      } else {
        REQUIRE(b3.at({i, j}) == 0.0);
      }
    }
}

TEST_CASE("initialisers on zero-element tensors are no-ops", "[init]") {
  Tensor w = empty({0, 5});
  REQUIRE_NOTHROW(init::kaiming_uniform_(w));
  REQUIRE_NOTHROW(init::kaiming_normal_(w));
  REQUIRE_NOTHROW(init::xavier_uniform_(w));
  REQUIRE_NOTHROW(init::xavier_normal_(w));
  REQUIRE_NOTHROW(init::orthogonal_(w));
  REQUIRE_NOTHROW(init::uniform_(w));
  REQUIRE_NOTHROW(init::normal_(w));
  REQUIRE_NOTHROW(init::zeros_(w));
  REQUIRE(w.numel() == 0);
}

TEST_CASE("initialisers reject int64 tensors, naming the function and dtype", "[init]") {
  const Tensor t = zeros({4, 4}, DType::Int64);
  using Call = std::function<void()>;
  const std::vector<std::pair<const char*, Call>> calls = {
      {"uniform_", [&] { init::uniform_(t); }},
      {"normal_", [&] { init::normal_(t); }},
      {"constant_", [&] { init::constant_(t, 1); }},
      {"zeros_", [&] { init::zeros_(t); }},
      {"ones_", [&] { init::ones_(t); }},
      {"kaiming_uniform_", [&] { init::kaiming_uniform_(t); }},
      {"kaiming_normal_", [&] { init::kaiming_normal_(t); }},
      {"xavier_uniform_", [&] { init::xavier_uniform_(t); }},
      {"xavier_normal_", [&] { init::xavier_normal_(t); }},
      {"orthogonal_", [&] { init::orthogonal_(t); }},
  };
  for (const auto& [name, call] : calls) {
    INFO(name);
    REQUIRE_THROWS_AS(call(), tg::Error);
    REQUIRE_THROWS_WITH(
        call(), Catch::Contains(name) && Catch::Contains("int64") && Catch::Contains("[4, 4]"));
  }
  // The tensor was not touched.
  REQUIRE(t.sum().item() == 0.0);
}

TEST_CASE("initialisers reject bad arguments and undefined tensors", "[init]") {
  Tensor t = zeros({3, 3});
  REQUIRE_THROWS_WITH(init::uniform_(t, 2.0, 1.0),
                      Catch::Contains("uniform_") && Catch::Contains("2") && Catch::Contains("1"));
  REQUIRE_THROWS_WITH(init::normal_(t, 0.0, -1.0),
                      Catch::Contains("normal_") && Catch::Contains("std"));
  REQUIRE_THROWS_WITH(init::kaiming_normal_(Tensor{}), Catch::Contains("undefined"));
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out(Tensor{}), Catch::Contains("undefined"));
  // Failed calls leave the tensor unchanged.
  REQUIRE(t.sum().item() == 0.0);
}
