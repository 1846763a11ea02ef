// BatchNorm1d, BatchNorm2d and LayerNorm (nn/norm.hpp).
#include <cmath>

#include "helpers.hpp"
#include "tapegrad/nn/norm.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {

constexpr double kEps = 1e-5;  // the layers' default eps

// Overwrites a parameter or buffer (outside the tape).
void set_values(const Tensor& t, const std::vector<double>& v) {
  NoGradGuard ng;
  t.copy_(tensor(v, t.shape(), t.dtype()));
}

// Non-trivial float64 parameters and running stats, so gradchecks see more than w = 1, b = 0.
template <class BN>
std::shared_ptr<BN> make_bn(std::int64_t c, std::uint64_t seed) {
  auto bn = std::make_shared<BN>(c, kEps, 0.1, true, true, DType::Float64);
  Generator g(seed);
  NoGradGuard ng;
  bn->weight.copy_(uniform({c}, 0.5, 1.5, DType::Float64, &g));
  bn->bias.copy_(uniform({c}, -0.5, 0.5, DType::Float64, &g));
  bn->running_mean.copy_(uniform({c}, -0.3, 0.3, DType::Float64, &g));
  bn->running_var.copy_(uniform({c}, 0.5, 2.0, DType::Float64, &g));
  return bn;
}

GradcheckOptions second_order() {
  GradcheckOptions o;
  o.check_second_order = true;
  return o;
}

}  // namespace

// ---------------------------------------------------------------- BatchNorm values

TEST_CASE("BatchNorm1d: training values, running stats after two batches, eval", "[nn][norm]") {
  nn::BatchNorm1d bn(2, kEps, 0.1, true, true, DType::Float64);
  set_values(bn.weight, {2, -1});
  set_values(bn.bias, {0.5, 1});
  REQUIRE(bn.is_training());

  // Batch 1, channel 0: {1, 2, 3}: mean 2, biased var (1 + 0 + 1) / 3 = 2/3, unbiased 1.
  //          channel 1: {2, 4, 12}: mean 6, deviations -4, -2, 6, biased var 56/3, unbiased 28.
  Tensor x1 = tensor({1, 2, 2, 4, 3, 12}, {3, 2}, DType::Float64);
  const double s0 = std::sqrt(2.0 / 3 + kEps), s1 = std::sqrt(56.0 / 3 + kEps);
  // y = w * (x - mean) / sqrt(var + eps) + b
  require_values(bn(x1),
                 {2 * -1 / s0 + 0.5, -1 * -4 / s1 + 1,  //
                  2 * 0 / s0 + 0.5, -1 * -2 / s1 + 1,   //
                  2 * 1 / s0 + 0.5, -1 * 6 / s1 + 1},
                 1e-12);
  // running = 0.9 * running + 0.1 * batch: mean 0.9*0 + 0.1*{2, 6} = {0.2, 0.6},
  // var 0.9*1 + 0.1*{1, 28} = {1.0, 3.7}.
  require_values(bn.running_mean, {0.2, 0.6}, 1e-12);
  require_values(bn.running_var, {1.0, 3.7}, 1e-12);
  REQUIRE(bn.num_batches_tracked.item<std::int64_t>() == 1);

  // Batch 2, channel 0: {0, 4}: mean 2, unbiased var (4 + 4) / 1 = 8;
  //          channel 1: {1, 3}: mean 2, unbiased var (1 + 1) / 1 = 2.
  bn(tensor({0, 1, 4, 3}, {2, 2}, DType::Float64));
  // mean: 0.9*{0.2, 0.6} + 0.1*{2, 2} = {0.38, 0.74}; var: 0.9*{1.0, 3.7} + 0.1*{8, 2} =
  // {1.7, 3.53}
  require_values(bn.running_mean, {0.38, 0.74}, 1e-12);
  require_values(bn.running_var, {1.7, 3.53}, 1e-12);
  REQUIRE(bn.num_batches_tracked.item<std::int64_t>() == 2);
  REQUIRE(bn.num_batches_tracked.dtype() == DType::Int64);

  // Eval normalises with the running stats and leaves them alone; a batch of 1 is fine.
  bn.eval();
  Tensor xe = tensor({1, 2, 0, 0}, {2, 2}, DType::Float64);
  const double r0 = std::sqrt(1.7 + kEps), r1 = std::sqrt(3.53 + kEps);
  require_values(bn(xe),
                 {2 * (1 - 0.38) / r0 + 0.5, -1 * (2 - 0.74) / r1 + 1,  //
                  2 * (0 - 0.38) / r0 + 0.5, -1 * (0 - 0.74) / r1 + 1},
                 1e-12);
  require_values(bn(tensor({1, 2}, {1, 2}, DType::Float64)),
                 {2 * (1 - 0.38) / r0 + 0.5, -1 * (2 - 0.74) / r1 + 1}, 1e-12);
  require_values(bn.running_mean, {0.38, 0.74}, 1e-12);
  require_values(bn.running_var, {1.7, 3.53}, 1e-12);
  REQUIRE(bn.num_batches_tracked.item<std::int64_t>() == 2);
  // Running stats never require grad and never join the tape.
  REQUIRE_FALSE(bn.running_mean.requires_grad());
  REQUIRE_FALSE(bn.running_var.requires_grad());
}

TEST_CASE("BatchNorm1d: momentum = nullopt is a cumulative average (PyTorch momentum=None)",
          "[nn][norm]") {
  nn::BatchNorm1d bn(2, kEps, std::nullopt, true, true, DType::Float64);
  bn(tensor({1, 2, 2, 4, 3, 12}, {3, 2}, DType::Float64));
  bn(tensor({0, 1, 4, 3}, {2, 2}, DType::Float64));
  // factor 1/1 then 1/2: mean = ({2, 6} + {2, 2}) / 2 = {2, 4};
  // var = 1 * {1, 28} then 0.5 * {1, 28} + 0.5 * {8, 2} = {4.5, 15}.
  require_values(bn.running_mean, {2, 4}, 1e-12);
  require_values(bn.running_var, {4.5, 15}, 1e-12);
  REQUIRE(bn.extra_repr() == "2, eps=1e-05, momentum=None, affine=true, track_running_stats=true");
}

TEST_CASE("BatchNorm1d: [N, C, L] and BatchNorm2d: [N, C, H, W] values", "[nn][norm]") {
  // Channel 0 holds {1, 3, 5, 7}: mean 4, biased var (9 + 1 + 1 + 9) / 4 = 5, unbiased 20/3.
  // Channel 1 holds {0, 0, 2, -2}: mean 0, biased var (4 + 4) / 4 = 2, unbiased 8/3.
  const std::vector<double> v{1, 3, 0, 0, 5, 7, 2, -2};
  const double s0 = std::sqrt(5 + kEps), s1 = std::sqrt(2 + kEps);
  const std::vector<double> want{-3 / s0, -1 / s0, 0, 0, 1 / s0, 3 / s0, 2 / s1, -2 / s1};
  // Running: mean 0.1 * {4, 0} = {0.4, 0}; var 0.9 + 0.1 * {20/3, 8/3}.
  const std::vector<double> rm{0.4, 0}, rv{0.9 + 2.0 / 3, 0.9 + 0.8 / 3};

  SECTION("BatchNorm1d [2, 2, 2], affine = false") {
    nn::BatchNorm1d bn(2, kEps, 0.1, false, true, DType::Float64);
    REQUIRE(bn.parameters().empty());
    require_values(bn(tensor(v, {2, 2, 2}, DType::Float64)), want, 1e-12);
    require_values(bn.running_mean, rm, 1e-12);
    require_values(bn.running_var, rv, 1e-12);
  }
  SECTION("BatchNorm2d [2, 2, 1, 2] and [2, 2, 2, 1]") {
    for (const Shape& s : {Shape{2, 2, 1, 2}, Shape{2, 2, 2, 1}}) {
      nn::BatchNorm2d bn(2, kEps, 0.1, true, true, DType::Float64);
      Tensor y = bn(tensor(v, s, DType::Float64));
      REQUIRE(y.shape() == s);
      require_values(y, want, 1e-12);  // weight 1, bias 0 at init
      require_values(bn.running_mean, rm, 1e-12);
      require_values(bn.running_var, rv, 1e-12);
      // Eval: (x - running_mean) / sqrt(running_var + eps).
      bn.eval();
      Tensor ye = bn(tensor(v, s, DType::Float64));
      const double r0 = std::sqrt(rv[0] + kEps), r1 = std::sqrt(rv[1] + kEps);
      require_values(
          ye,
          {(1 - 0.4) / r0, (3 - 0.4) / r0, 0, 0, (5 - 0.4) / r0, (7 - 0.4) / r0, 2 / r1, -2 / r1},
          1e-12);
    }
  }
}

TEST_CASE("BatchNorm: track_running_stats = false uses batch stats in eval too", "[nn][norm]") {
  nn::BatchNorm1d bn(2, kEps, 0.1, true, false, DType::Float64);
  REQUIRE_FALSE(bn.running_mean.defined());
  REQUIRE(bn.buffers().empty());
  bn.eval();
  // Same batch as the first test: channel 0 {1, 2, 3}, channel 1 {2, 4, 12}.
  const double s0 = std::sqrt(2.0 / 3 + kEps), s1 = std::sqrt(56.0 / 3 + kEps);
  require_values(bn(tensor({1, 2, 2, 4, 3, 12}, {3, 2}, DType::Float64)),
                 {-1 / s0, -4 / s1, 0, -2 / s1, 1 / s0, 6 / s1}, 1e-12);
  REQUIRE(bn.state_dict().size() == 2);  // weight and bias only
}

TEST_CASE("BatchNorm2d: float32 output is standardised per channel", "[nn][norm]") {
  nn::BatchNorm2d bn(3);
  REQUIRE(bn.weight.dtype() == DType::Float32);
  Generator g(7);
  Tensor x = add(mul(randn({8, 3, 4, 4}, DType::Float32, &g), 3.0), 2.0);
  Tensor y = bn(x);
  REQUIRE(y.dtype() == DType::Float32);
  // Per channel, mean 0 and biased variance var / (var + eps), i.e. 1 to float precision.
  require_values(mean(y, {0, 2, 3}), {0, 0, 0}, 1e-5);
  require_values(var(y, {0, 2, 3}, 0), {1, 1, 1}, 1e-3);
}

TEST_CASE("BatchNorm: state_dict, reset and repr", "[nn][norm]") {
  nn::BatchNorm2d bn(3);
  const auto sd = bn.state_dict();
  REQUIRE(sd.size() == 5);
  for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
    REQUIRE(sd.count(k) == 1);
  REQUIRE(sd.at("num_batches_tracked").dtype() == DType::Int64);
  REQUIRE(sd.at("num_batches_tracked").dim() == 0);
  REQUIRE(bn.parameters().size() == 2);
  require_values(bn.weight, {1, 1, 1});
  require_values(bn.bias, {0, 0, 0});
  require_values(bn.running_mean, {0, 0, 0});
  require_values(bn.running_var, {1, 1, 1});

  // A loaded state is used in eval, and a round trip through state_dict restores everything.
  nn::BatchNorm2d other(3);
  Generator g(3);
  other(randn({4, 3, 2, 2}, DType::Float32, &g));
  other(randn({4, 3, 2, 2}, DType::Float32, &g));
  bn.load_state_dict(other.state_dict());
  REQUIRE(bn.num_batches_tracked.item<std::int64_t>() == 2);
  require_values(bn.running_mean, other.running_mean.to_vector<double>());
  bn.reset_running_stats();
  require_values(bn.running_mean, {0, 0, 0});
  REQUIRE(bn.num_batches_tracked.item<std::int64_t>() == 0);
  REQUIRE(bn.extra_repr() == "3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true");
}

TEST_CASE("BatchNorm: errors", "[nn][norm]") {
  nn::BatchNorm1d bn1(3);
  nn::BatchNorm2d bn2(3);
  REQUIRE_THROWS_WITH(bn1(zeros({4, 5})), Catch::Contains("BatchNorm1d") &&
                                              Catch::Contains("5 channels") &&
                                              Catch::Contains("num_features=3"));
  REQUIRE_THROWS_WITH(bn2(zeros({4, 2, 3, 3})), Catch::Contains("BatchNorm2d") &&
                                                    Catch::Contains("2 channels") &&
                                                    Catch::Contains("num_features=3"));
  REQUIRE_THROWS_WITH(bn1(zeros({2, 3, 4, 4})),
                      Catch::Contains("BatchNorm1d") && Catch::Contains("[2, 3, 4, 4]"));
  REQUIRE_THROWS_WITH(bn1(zeros({3})), Catch::Contains("BatchNorm1d") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(bn2(zeros({2, 3, 4})),
                      Catch::Contains("BatchNorm2d") && Catch::Contains("[2, 3, 4]"));
  // A batch of one value per channel cannot be normalised in training (as PyTorch).
  REQUIRE_THROWS_WITH(bn1(zeros({1, 3})),
                      Catch::Contains("expected more than 1 value per channel when training") &&
                          Catch::Contains("[1, 3]"));
  REQUIRE_THROWS_WITH(bn2(zeros({1, 3, 1, 1})),
                      Catch::Contains("expected more than 1 value per channel when training"));
  REQUIRE(bn1.num_batches_tracked.item<std::int64_t>() == 0);  // nothing was updated
  REQUIRE_NOTHROW(bn1(zeros({1, 3, 2})));                      // [1, C, L > 1] has 2 values
  bn1.eval();
  REQUIRE_NOTHROW(bn1(zeros({1, 3})));
  // dtypes
  REQUIRE_THROWS_WITH(bn1(zeros({2, 3}, DType::Float64)), Catch::Contains("BatchNorm1d") &&
                                                              Catch::Contains("float64") &&
                                                              Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(bn1(zeros({2, 3}, DType::Int64)),
                      Catch::Contains("BatchNorm1d") && Catch::Contains("int64"));
  // construction
  REQUIRE_THROWS_AS(nn::BatchNorm1d(0), Error);
  REQUIRE_THROWS_WITH(nn::BatchNorm2d(3, 0.0), Catch::Contains("eps"));
  REQUIRE_THROWS_WITH(nn::BatchNorm2d(3, 1e-5, 1.5), Catch::Contains("momentum"));
  REQUIRE_THROWS_AS(nn::BatchNorm1d(3, 1e-5, 0.1, true, true, DType::Int64), Error);
}

// ---------------------------------------------------------------- BatchNorm gradchecks

TEST_CASE("gradcheck: BatchNorm1d [N, C] train, input weight bias", "[nn][norm][gradcheck]") {
  auto bn = make_bn<nn::BatchNorm1d>(3, 11);
  Tensor x = leaf({5, 3}, 1);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                    TensorList{x, bn->weight, bn->bias});
  // Non-contiguous (transposed) input.
  Tensor xt = leaf({3, 5}, 2);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0].t()); },
                    TensorList{xt, bn->weight, bn->bias});
  // No affine: input only.
  nn::BatchNorm1d plain(3, kEps, 0.1, false, true, DType::Float64);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return plain(in[0]); }, TensorList{x});
}

TEST_CASE("gradcheck: BatchNorm1d [N, C, L] train, input weight bias", "[nn][norm][gradcheck]") {
  auto bn = make_bn<nn::BatchNorm1d>(2, 12);
  Tensor x = leaf({3, 2, 4}, 3);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                    TensorList{x, bn->weight, bn->bias});
  // Sliced input: every other position along L.
  Tensor big = leaf({3, 2, 8}, 4);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0].slice(2, 0, 8, 2)); },
                    TensorList{big, bn->weight, bn->bias});
}

TEST_CASE("gradcheck: BatchNorm1d eval, input weight bias", "[nn][norm][gradcheck]") {
  auto bn = make_bn<nn::BatchNorm1d>(3, 13);
  bn->eval();
  Tensor x2 = leaf({4, 3}, 5), x3 = leaf({2, 3, 3}, 6);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                    TensorList{x2, bn->weight, bn->bias});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                    TensorList{x3, bn->weight, bn->bias});
  Tensor one = leaf({1, 3}, 7);  // a batch of 1 is allowed in eval
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                    TensorList{one, bn->weight, bn->bias});
}

TEST_CASE("gradcheck: BatchNorm2d train and eval, input weight bias", "[nn][norm][gradcheck]") {
  auto bn = make_bn<nn::BatchNorm2d>(3, 14);
  Tensor x = leaf({2, 3, 2, 3}, 8);
  // Channels-last storage viewed as NCHW: a permuted, non-contiguous input.
  Tensor nhwc = leaf({2, 2, 2, 3}, 9);
  SECTION("train") {
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                      TensorList{x, bn->weight, bn->bias});
    REQUIRE_GRADCHECK(
        [&](const TensorList& in) {
          return (*bn)(in[0].permute({0, 3, 1, 2}));
        },
        TensorList{nhwc, bn->weight, bn->bias});
  }
  SECTION("eval") {
    bn->eval();
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn)(in[0]); },
                      TensorList{x, bn->weight, bn->bias});
    REQUIRE_GRADCHECK(
        [&](const TensorList& in) {
          return (*bn)(in[0].permute({0, 3, 1, 2}));
        },
        TensorList{nhwc, bn->weight, bn->bias});
  }
}

TEST_CASE("gradcheck: BatchNorm second order (train and eval)", "[nn][norm][gradcheck]") {
  auto bn1 = make_bn<nn::BatchNorm1d>(2, 15);
  auto bn2 = make_bn<nn::BatchNorm2d>(2, 16);
  Tensor x1 = leaf({4, 2}, 10), x2 = leaf({2, 2, 2, 2}, 11);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn1)(in[0]); },
                    TensorList{x1, bn1->weight, bn1->bias}, second_order());
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn2)(in[0]); },
                    TensorList{x2, bn2->weight, bn2->bias}, second_order());
  bn2->eval();
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*bn2)(in[0]); },
                    TensorList{x2, bn2->weight, bn2->bias}, second_order());
}

TEST_CASE("BatchNorm: gradient of sum(y) w.r.t. x is zero in training", "[nn][norm]") {
  // sum over a channel of the normalised values is always 0, so d sum(xhat) / dx = 0 and
  // d sum(y) / d bias = N * L per channel, d sum(y) / d weight = sum(xhat) = 0.
  auto bn = make_bn<nn::BatchNorm1d>(2, 17);
  Tensor x = leaf({3, 2, 2}, 12);
  sum((*bn)(x)).backward();
  require_values(x.grad(), std::vector<double>(12, 0.0), 1e-10);
  require_values(bn->bias.grad(), {6, 6}, 1e-12);
  require_values(bn->weight.grad(), {0, 0}, 1e-10);
}

// ---------------------------------------------------------------- LayerNorm

TEST_CASE("LayerNorm: values", "[nn][norm]") {
  SECTION("normalized_shape {3} on [2, 3], with affine") {
    nn::LayerNorm ln({3}, kEps, true, DType::Float64);
    set_values(ln.weight, {1, 2, -1});
    set_values(ln.bias, {0, 0.5, 1});
    // Row 0 {1, 2, 3}: mean 2, var 2/3. Row 1 {2, 4, 9}: mean 5, deviations -3, -1, 4, var 26/3.
    const double s0 = std::sqrt(2.0 / 3 + kEps), s1 = std::sqrt(26.0 / 3 + kEps);
    require_values(ln(tensor({1, 2, 3, 2, 4, 9}, {2, 3}, DType::Float64)),
                   {-1 / s0, 2 * 0 / s0 + 0.5, -1 * 1 / s0 + 1,  //
                    -3 / s1, 2 * -1 / s1 + 0.5, -1 * 4 / s1 + 1},
                   1e-12);
  }
  SECTION("normalized_shape {2, 2} on [2, 2, 2]: each sample over 4 values") {
    nn::LayerNorm ln({2, 2}, kEps, false, DType::Float64);
    REQUIRE(ln.parameters().empty());
    // Sample 0 {1, 3, 5, 7}: mean 4, var 5. Sample 1 {0, 0, 2, -2}: mean 0, var 2.
    const double s0 = std::sqrt(5 + kEps), s1 = std::sqrt(2 + kEps);
    require_values(ln(tensor({1, 3, 5, 7, 0, 0, 2, -2}, {2, 2, 2}, DType::Float64)),
                   {-3 / s0, -1 / s0, 1 / s0, 3 / s0, 0, 0, 2 / s1, -2 / s1}, 1e-12);
  }
  SECTION("same in eval; float32; parameters and repr") {
    nn::LayerNorm ln({4});
    REQUIRE(ln.weight.shape() == Shape{4});
    require_values(ln.weight, {1, 1, 1, 1});
    require_values(ln.bias, {0, 0, 0, 0});
    Tensor x = tensor({1, 2, 3, 4}, {1, 4});
    const Tensor a = ln(x);
    ln.eval();
    require_values(ln(x), a.to_vector<double>(), 0);
    // {1, 2, 3, 4}: mean 2.5, var 1.25.
    const double s = std::sqrt(1.25 + kEps);
    require_values(a, {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, 1e-6);
    REQUIRE(ln.extra_repr() == "[4], eps=1e-05, elementwise_affine=true");
    REQUIRE(ln.state_dict().size() == 2);
  }
}

TEST_CASE("LayerNorm: errors", "[nn][norm]") {
  nn::LayerNorm ln({2, 3});
  REQUIRE_THROWS_WITH(ln(zeros({4, 3, 2})), Catch::Contains("LayerNorm") &&
                                                Catch::Contains("[4, 3, 2]") &&
                                                Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ln(zeros({3})), Catch::Contains("LayerNorm") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(ln(zeros({2, 3}, DType::Float64)),
                      Catch::Contains("LayerNorm") && Catch::Contains("float64"));
  REQUIRE_THROWS_WITH(ln(zeros({2, 3}, DType::Int64)),
                      Catch::Contains("LayerNorm") && Catch::Contains("int64"));
  REQUIRE_THROWS_AS(nn::LayerNorm(Shape{}), Error);
  REQUIRE_THROWS_WITH(nn::LayerNorm({3, 0}), Catch::Contains("[3, 0]"));
  REQUIRE_THROWS_WITH(nn::LayerNorm({3}, -1.0), Catch::Contains("eps"));
}

namespace {
std::shared_ptr<nn::LayerNorm> make_ln(const Shape& s, std::uint64_t seed) {
  auto ln = std::make_shared<nn::LayerNorm>(s, kEps, true, DType::Float64);
  Generator g(seed);
  NoGradGuard ng;
  ln->weight.copy_(uniform(s, 0.5, 1.5, DType::Float64, &g));
  ln->bias.copy_(uniform(s, -0.5, 0.5, DType::Float64, &g));
  return ln;
}
}  // namespace

TEST_CASE("gradcheck: LayerNorm several normalized shapes, train and eval",
          "[nn][norm][gradcheck]") {
  const bool training = GENERATE(true, false);
  INFO("training = " << training);
  {
    auto ln = make_ln({4}, 21);
    ln->train(training);
    Tensor x = leaf({3, 4}, 1);
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln)(in[0]); },
                      TensorList{x, ln->weight, ln->bias});
    Tensor one = leaf({4}, 2);  // no batch dimension
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln)(in[0]); },
                      TensorList{one, ln->weight, ln->bias});
  }
  {
    auto ln = make_ln({2, 3}, 22);
    ln->train(training);
    Tensor x = leaf({2, 2, 2, 3}, 3);
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln)(in[0]); },
                      TensorList{x, ln->weight, ln->bias});
  }
  {
    auto ln = make_ln({5}, 23);
    ln->train(training);
    Tensor xt = leaf({5, 3}, 4);  // transposed input [3, 5]
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln)(in[0].t()); },
                      TensorList{xt, ln->weight, ln->bias});
  }
  {
    auto ln = make_ln({3, 2, 2}, 24);
    ln->train(training);
    Tensor x = leaf({2, 3, 2, 2}, 5);  // all of a sample's dims, as in a CNN
    REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln)(in[0]); },
                      TensorList{x, ln->weight, ln->bias});
  }
}

TEST_CASE("gradcheck: LayerNorm second order", "[nn][norm][gradcheck]") {
  auto ln = make_ln({4}, 31);
  Tensor x = leaf({2, 4}, 6);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln)(in[0]); },
                    TensorList{x, ln->weight, ln->bias}, second_order());
  auto ln2 = make_ln({2, 2}, 32);
  Tensor x2 = leaf({2, 2, 2}, 7);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*ln2)(in[0]); },
                    TensorList{x2, ln2->weight, ln2->bias}, second_order());
}
