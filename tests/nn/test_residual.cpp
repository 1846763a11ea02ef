// nn::ResidualBlock (nn/residual.hpp).
#include "helpers.hpp"
#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/norm.hpp"
#include "tapegrad/nn/residual.hpp"
#include "tapegrad/nn/sequential.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {

void set_values(const Tensor& t, const std::vector<double>& v) {
  NoGradGuard ng;
  t.copy_(tensor(v, t.shape(), t.dtype()));
}

std::shared_ptr<nn::Linear> lin(std::int64_t in, std::int64_t out) {
  return std::make_shared<nn::Linear>(in, out, true, DType::Float64);
}

TensorList with_params(Tensor x, const nn::Module& m) {
  TensorList out{std::move(x)};
  for (const Tensor& p : m.parameters()) out.push_back(p);
  return out;
}

}  // namespace

TEST_CASE("ResidualBlock: values with identity shortcut and post", "[nn][residual]") {
  auto body = lin(2, 2);
  set_values(body->weight, {1, 2, -1, 0});  // W = [[1, 2], [-1, 0]]
  set_values(body->bias, {0.5, -3});
  nn::ResidualBlock block(body, nullptr, std::make_shared<nn::ReLU>());
  // x = [1, 1]: Wx + b = [1 + 2 + 0.5, -1 + 0 - 3] = [3.5, -4]; + x = [4.5, -3]; relu = [4.5, 0]
  // x = [-2, 1]: Wx + b = [-2 + 2 + 0.5, 2 - 3] = [0.5, -1]; + x = [-1.5, 0]; relu = [0, 0]
  require_values(block(tensor({1, 1, -2, 1}, {2, 2}, DType::Float64)), {4.5, 0, 0, 0}, 1e-12);

  nn::ResidualBlock no_post(body);
  require_values(no_post(tensor({1, 1, -2, 1}, {2, 2}, DType::Float64)), {4.5, -3, -1.5, 0}, 1e-12);
  REQUIRE(no_post.extra_repr() == "shortcut=identity");
}

TEST_CASE("ResidualBlock: values with a projection shortcut", "[nn][residual]") {
  auto body = lin(2, 3);
  set_values(body->weight, {1, 0, 0, 1, 1, 1});  // rows [1, 0], [0, 1], [1, 1]
  set_values(body->bias, {0, 0, 0});
  auto proj = lin(2, 3);
  set_values(proj->weight, {2, 0, 0, 2, 0, 0});  // rows [2, 0], [0, 2], [0, 0]
  set_values(proj->bias, {1, 1, 1});
  nn::ResidualBlock block(body, proj);
  // x = [1, 2]: body = [1, 2, 3]; shortcut = [2 + 1, 4 + 1, 0 + 1] = [3, 5, 1]; sum = [4, 7, 4]
  Tensor y = block(tensor({1, 2}, {1, 2}, DType::Float64));
  REQUIRE(y.shape() == Shape{1, 3});
  require_values(y, {4, 7, 4}, 1e-12);
}

TEST_CASE("ResidualBlock: children, parameter names, modes", "[nn][residual]") {
  auto body = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      lin(3, 4), std::make_shared<nn::Tanh>(), lin(4, 5)});
  auto block = std::make_shared<nn::ResidualBlock>(body, lin(3, 5), std::make_shared<nn::ReLU>());
  std::vector<std::string> names;
  for (const auto& [n, _] : block->named_parameters()) names.push_back(n);
  REQUIRE(names == std::vector<std::string>{"body.0.weight", "body.0.bias", "body.2.weight",
                                            "body.2.bias", "shortcut.weight", "shortcut.bias"});
  REQUIRE(block->children().size() == 3);
  // train/eval reach the body (e.g. a BatchNorm inside it).
  auto bn_body = std::make_shared<nn::BatchNorm1d>(3);
  nn::ResidualBlock with_bn(bn_body);
  with_bn.eval();
  REQUIRE_FALSE(bn_body->is_training());
  with_bn.train();
  REQUIRE(bn_body->is_training());
}

TEST_CASE("ResidualBlock: errors", "[nn][residual]") {
  REQUIRE_THROWS_WITH(nn::ResidualBlock(nullptr), Catch::Contains("ResidualBlock"));
  nn::ResidualBlock widen(lin(2, 3));  // identity shortcut cannot match [N, 3]
  REQUIRE_THROWS_WITH(widen(zeros({4, 2}, DType::Float64)),
                      Catch::Contains("ResidualBlock") && Catch::Contains("[4, 3]") &&
                          Catch::Contains("[4, 2]") && Catch::Contains("shortcut"));
  nn::ResidualBlock bad_proj(lin(2, 3), lin(2, 4));
  REQUIRE_THROWS_WITH(bad_proj(zeros({1, 2}, DType::Float64)),
                      Catch::Contains("[1, 3]") && Catch::Contains("[1, 4]"));
}

TEST_CASE("gradcheck: ResidualBlock with Linear body, input and all parameters",
          "[nn][residual][gradcheck]") {
  SECTION("identity shortcut, tanh post") {
    auto body = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        lin(3, 4), std::make_shared<nn::Tanh>(), lin(4, 3)});
    nn::ResidualBlock block(body, nullptr, std::make_shared<nn::Tanh>());
    const TensorList in = with_params(leaf({2, 3}, 1), block);
    REQUIRE(in.size() == 5);
    REQUIRE_GRADCHECK([&](const TensorList& t) { return block(t[0]); }, in);
    // Transposed input.
    const TensorList in_t = with_params(leaf({3, 2}, 2), block);
    REQUIRE_GRADCHECK([&](const TensorList& t) { return block(t[0].t()); }, in_t);
    GradcheckOptions o;
    o.check_second_order = true;
    REQUIRE_GRADCHECK([&](const TensorList& t) { return block(t[0]); }, in, o);
  }
  SECTION("Linear shortcut, no post") {
    nn::ResidualBlock block(lin(3, 2), lin(3, 2));
    const TensorList in = with_params(leaf({4, 3}, 3), block);
    REQUIRE(in.size() == 5);
    REQUIRE_GRADCHECK([&](const TensorList& t) { return block(t[0]); }, in);
  }
  SECTION("body with BatchNorm1d, train and eval") {
    auto body = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        lin(3, 3), std::make_shared<nn::BatchNorm1d>(3, 1e-5, 0.1, true, true, DType::Float64)});
    nn::ResidualBlock block(body, nullptr, std::make_shared<nn::Tanh>());
    const TensorList in = with_params(leaf({4, 3}, 4), block);
    REQUIRE(in.size() == 5);
    REQUIRE_GRADCHECK([&](const TensorList& t) { return block(t[0]); }, in);
    block.eval();
    REQUIRE_GRADCHECK([&](const TensorList& t) { return block(t[0]); }, in);
  }
}

// ---------------------------------------------------------------- basic_block (needs Conv2d)

TEST_CASE("basic_block: structure, shapes and parameter count", "[nn][residual]") {
  SECTION("same shape: identity shortcut") {
    auto b = nn::basic_block(4, 4, 1);
    std::vector<std::string> names;
    for (const auto& [n, _] : b->named_parameters()) names.push_back(n);
    REQUIRE(names == std::vector<std::string>{"body.0.weight", "body.1.weight", "body.1.bias",
                                              "body.3.weight", "body.4.weight", "body.4.bias"});
    // two 3x3 convs without bias 4*4*9 each, two BatchNorms with 2*4 each
    REQUIRE(b->num_parameters() == 2 * 4 * 4 * 9 + 2 * 2 * 4);
    Generator g(1);
    REQUIRE(b->forward(randn({2, 4, 5, 5}, DType::Float32, &g)).shape() == Shape{2, 4, 5, 5});
  }
  SECTION("stride 2 and wider: projection shortcut") {
    auto b = nn::basic_block(3, 8, 2);
    // 3x3 convs 3*8*9 and 8*8*9, 1x1 conv 3*8, three BatchNorms with 2*8 each
    REQUIRE(b->num_parameters() == 3 * 8 * 9 + 8 * 8 * 9 + 3 * 8 + 3 * 2 * 8);
    REQUIRE(b->state_dict().count("shortcut.0.weight") == 1);
    REQUIRE(b->state_dict().count("shortcut.1.running_var") == 1);
    Generator g(2);
    // ceil(7 / 2) = 4
    Tensor y = b->forward(randn({2, 3, 7, 7}, DType::Float32, &g));
    REQUIRE(y.shape() == Shape{2, 8, 4, 4});
    for (double v : y.to_vector<double>()) REQUIRE(v >= 0);  // ReLU after the sum
  }
  SECTION("in_channels != out_channels at stride 1 also projects") {
    auto b = nn::basic_block(2, 3, 1);
    REQUIRE(b->state_dict().count("shortcut.0.weight") == 1);
  }
  REQUIRE_THROWS_WITH(nn::basic_block(0, 3, 1), Catch::Contains("basic_block"));
  REQUIRE_THROWS_WITH(nn::basic_block(2, 3, 0), Catch::Contains("basic_block"));
}

TEST_CASE("gradcheck: basic_block input and all parameters, train and eval",
          "[nn][residual][gradcheck]") {
  // Kept tiny (16 outputs, ~120 perturbed values): each perturbation runs the whole block.
  auto b = nn::basic_block(1, 2, 2, DType::Float64);
  const TensorList in = with_params(leaf({2, 1, 4, 4}, 5), *b);
  REQUIRE(in.size() == 1 + 3 + 3 + 3);  // x, 3 convs, 3 BatchNorms x (weight, bias)
  REQUIRE_GRADCHECK([&](const TensorList& t) { return (*b)(t[0]); }, in);
  b->eval();
  REQUIRE_GRADCHECK([&](const TensorList& t) { return (*b)(t[0]); }, in);
}
