// The activation registry: spec parsing, errors with suggestions, built-ins always linked,
// activation parameters, and the fused path's gradients (prelu) and composed path (scaled_relu).
#include "helpers.hpp"

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/sequential.hpp"

using namespace tg;
using tgtest::leaf;

TEST_CASE("activations: built-ins are registered however the library is linked", "[activations]") {
  // This program never names an activation symbol: the registrations must still have run.
  const auto names = act::Registry::instance().names();
  REQUIRE(std::find(names.begin(), names.end(), "prelu") != names.end());
  REQUIRE(std::find(names.begin(), names.end(), "scaled_relu") != names.end());
}

TEST_CASE("activations: spec strings", "[activations]") {
  const act::Spec s = act::Spec::parse(" prelu ( init = 0.1 , per_channel=true ) ");
  REQUIRE(s.name() == "prelu");
  REQUIRE(s.get_double("init", 0) == 0.1);
  REQUIRE(s.get_bool("per_channel", false));
  REQUIRE(act::Spec::parse("relu").values().empty());
  REQUIRE(act::Spec::parse("pau(m=5, n=4)").get_int("n", 0) == 4);
  REQUIRE_THROWS_WITH(act::Spec::parse("prelu(init=0.1"), Catch::Contains("expected ',' or ')'"));
  REQUIRE_THROWS_WITH(act::Spec::parse("prelu(init)"), Catch::Contains("expected '='"));
  REQUIRE_THROWS_WITH(act::Spec::parse("prelu(a=1, a=2)"), Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(act::Spec::parse("(x=1)"), Catch::Contains("activation name"));
  REQUIRE_THROWS_WITH(act::Spec::parse("prelu) "), Catch::Contains("expected '('"));
  REQUIRE_THROWS_WITH(act::Spec::parse("prelu(init=abc)").get_double("init", 0),
                      Catch::Contains("init=abc is not a number"));
  REQUIRE_THROWS_WITH(act::Spec::parse("prelu(per_channel=yes)").get_bool("per_channel", false),
                      Catch::Contains("not a boolean"));
}

TEST_CASE("activations: unknown names and keys suggest the closest one", "[activations]") {
  REQUIRE_THROWS_WITH(act::make("prleu"),
                      Catch::Contains("unknown activation 'prleu'; did you mean 'prelu'?") &&
                          Catch::Contains("registered activations:"));
  REQUIRE_THROWS_WITH(act::make("prelu(int=0.1)"),
                      Catch::Contains("unknown parameter 'int'") &&
                          Catch::Contains("did you mean 'init'?") &&
                          Catch::Contains("valid parameters: init, per_channel"));
  REQUIRE(act::edit_distance("prleu", "prelu") == 1);
  REQUIRE(act::closest("zzzzzz", {"prelu", "relu"}).empty());
}

TEST_CASE("activations: prelu shared and per-channel, metadata and gain", "[activations]") {
  auto a = act::make("prelu");
  REQUIRE(a->type_name() == "prelu");
  REQUIRE(a->parameters().size() == 1);
  REQUIRE(a->parameters()[0].shape() == Shape{1});
  REQUIRE(a->parameters()[0].at({0}) == Approx(0.25));
  REQUIRE(a->info().family == act::Family::Learnable);
  REQUIRE(a->gain().value() == Approx(std::sqrt(2.0 / 1.0625)));
  auto b = act::make("prelu(init=0.1, per_channel=true)", 4);
  REQUIRE(b->parameters()[0].shape() == Shape{4});
  REQUIRE(b->extra_repr() == "init=0.1, per_channel=true");
  // f(x) = x for x > 0, a x otherwise
  tgtest::require_values((*a)(tensor({-2.0, 0.0, 3.0})), {-0.5, 0.0, 3.0});
  REQUIRE_THROWS_WITH((*b)(ones({2, 3})),
                      Catch::Contains("3 channels") && Catch::Contains("4 per-channel"));
}

TEST_CASE("gradcheck: prelu fused path, input and parameter, shared and per-channel",
          "[activations]") {
  for (const char* spec : {"prelu", "prelu(per_channel=true, init=0.3)"}) {
    INFO(spec);
    auto a = act::make(spec, 3, DType::Float64);
    Tensor w = a->parameters()[0];
    Tensor x = leaf({2, 3, 4}, 31);
    // Keep samples away from the kink at 0.
    {
      NoGradGuard ng;
      x.add_(mul(sign(x), 0.1));
    }
    REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(x); }, TensorList{x, w});
    REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(x.transpose(0, 2).transpose(0, 2)); },
                      TensorList{x, w});
  }
}

TEST_CASE("prelu: derivative at the kink is the slope, as PyTorch", "[activations]") {
  auto a = act::make("prelu(init=0.2)", 1, DType::Float64);
  Tensor x = tensor({0.0}, {}, DType::Float64).requires_grad_();
  sum((*a)(x)).backward();
  tgtest::require_values(x.grad(), {0.2});
  tgtest::require_values(a->parameters()[0].grad(), {0.0});
}

TEST_CASE("prelu: double backward through the fused kernel is refused clearly", "[activations]") {
  auto a = act::make("prelu", 1, DType::Float64);
  Tensor x = leaf({3}, 32);
  Tensor g = grad(sum(mul((*a)(x), (*a)(x))), x, {.create_graph = true});
  REQUIRE_THROWS_WITH(sum(g).backward(), Catch::Contains("double backward through 'prelu'"));
  tape().clear();
}

TEST_CASE("gradcheck: scaled_relu composed path, second order", "[activations]") {
  auto a = act::make("scaled_relu(per_channel=true, init=1.5)", 3, DType::Float64);
  Tensor x = leaf({2, 3, 2}, 33);
  {
    NoGradGuard ng;
    x.add_(mul(sign(x), 0.1));
  }
  REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(x); }, TensorList{x, a->parameters()[0]},
                    {.check_second_order = true});
}

TEST_CASE("activation_parameters finds activation parameters for their own group",
          "[activations]") {
  nn::Sequential net{std::make_shared<nn::Linear>(4, 3), act::make("prelu(per_channel=true)", 3),
                     std::make_shared<nn::Linear>(3, 2), act::make("prelu")};
  const auto ap = nn::activation_parameters(net);
  const auto rest = nn::non_activation_parameters(net);
  REQUIRE(ap.size() == 2);
  REQUIRE(ap[0].shape() == Shape{3});
  REQUIRE(rest.size() == 4);
  REQUIRE(ap.size() + rest.size() == net.parameters().size());
}

TEST_CASE("init: kaiming with an activation uses its gain and says so", "[activations][init]") {
  auto prelu = act::make("prelu(init=0.25)");
  Generator g(3);
  Tensor w = empty({500, 800});
  std::string used;
  init::kaiming_normal_(w, *prelu, init::FanMode::FanIn, &g, &used);
  // std = sqrt(2 / (1 + 0.25^2)) / sqrt(800)
  REQUIRE(tg::std(w).item() == Approx(std::sqrt(2.0 / 1.0625) / std::sqrt(800.0)).epsilon(0.02));
  CHECK_THAT(used, Catch::Contains("gain 1.3720 of prelu"));
  // An activation without an established gain: gain 1, and the message says so.
  for (const auto& name : act::Registry::instance().names()) {
    auto a = act::make(name);
    if (a->gain()) continue;
    init::kaiming_uniform_(w, *a, init::FanMode::FanOut, &g, &used);
    CHECK_THAT(used, Catch::Contains("used gain 1 (linear)"));
    REQUIRE(max(abs(w)).item() <= std::sqrt(3.0) / std::sqrt(500.0));
    break;
  }
}
