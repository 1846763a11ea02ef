// nn::Module: registration, names, modes, state_dict, printing; Linear, Sequential and the
// small layers; loss modules and penalties.
#include "helpers.hpp"

#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/nn/sequential.hpp"

using namespace tg;
using tgtest::leaf;

namespace {

// A two-level model: features (Sequential of Linear, ReLU, Linear) and a head.
struct Net : nn::Module {
  Net() : Module("Net") {
    features = register_module(
        "features",
        std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
            std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
            std::make_shared<nn::Linear>(8, 6)}));
    head = register_module("head", std::make_shared<nn::Linear>(6, 3, false));
    scale = register_buffer("scale", ones({1}));
  }
  Tensor forward(const Tensor& x) override { return mul((*head)((*features)(x)), scale); }
  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::Linear> head;
  Tensor scale;
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& v) {
  std::vector<std::string> out;
  for (const auto& [n, _] : v) out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("module: dotted parameter names in registration order", "[nn][module]") {
  auto net = std::make_shared<Net>();
  REQUIRE(names_of(net->named_parameters()) ==
          std::vector<std::string>{"features.0.weight", "features.0.bias", "features.2.weight",
                                   "features.2.bias", "head.weight"});
  REQUIRE(net->parameters().size() == 5);
  REQUIRE(net->num_parameters() == 4 * 8 + 8 + 8 * 6 + 6 + 6 * 3);
  REQUIRE(names_of(net->named_buffers()) == std::vector<std::string>{"scale"});
  REQUIRE(net->named_parameters(false).empty());
  REQUIRE(net->children().size() == 2);
  std::vector<std::string> mods;
  for (auto& [n, m] : net->named_modules()) mods.push_back(n + ":" + m->type_name());
  REQUIRE(mods == std::vector<std::string>{":Net", "features:Sequential", "features.0:Linear",
                                           "features.1:ReLU", "features.2:Linear", "head:Linear"});
  for (const Tensor& p : net->parameters()) REQUIRE(p.requires_grad());
}

TEST_CASE("module: train/eval propagate and apply visits every module", "[nn][module]") {
  auto net = std::make_shared<Net>();
  REQUIRE(net->is_training());
  net->eval();
  REQUIRE_FALSE(net->features->is_training());
  REQUIRE_FALSE((*net->features)[1]->is_training());
  net->train();
  REQUIRE((*net->features)[2]->is_training());
  std::vector<std::string> order;
  net->apply([&](nn::Module& m) { order.push_back(m.type_name()); });
  REQUIRE(order ==
          std::vector<std::string>{"Linear", "ReLU", "Linear", "Sequential", "Linear", "Net"});
}

TEST_CASE("module: zero_grad drops every parameter's gradient", "[nn][module]") {
  auto net = std::make_shared<Net>();
  sum((*net)(ones({2, 4}))).backward();
  for (const Tensor& p : net->parameters()) REQUIRE(p.grad().defined());
  net->zero_grad();
  for (const Tensor& p : net->parameters()) REQUIRE_FALSE(p.grad().defined());
}

TEST_CASE("module: registration errors", "[nn][module]") {
  nn::Module m("M");
  m.register_parameter("w", ones({2}));
  REQUIRE_THROWS_WITH(m.register_parameter("w", ones({2})), Catch::Contains("already"));
  REQUIRE_THROWS_WITH(m.register_parameter("a.b", ones({2})), Catch::Contains("'.'"));
  REQUIRE_THROWS_WITH(m.register_parameter("i", arange(3)), Catch::Contains("float32 or float64"));
  REQUIRE_THROWS_WITH(m.forward(ones({1})), Catch::Contains("not implemented"));
}

TEST_CASE("module: state_dict round trip reproduces the outputs exactly", "[nn][module]") {
  manual_seed(1);
  auto a = std::make_shared<Net>();
  manual_seed(2);
  auto b = std::make_shared<Net>();
  const Tensor x = randn({5, 4});
  NoGradGuard ng;
  REQUIRE((*a)(x).to_vector<float>() != (*b)(x).to_vector<float>());
  const nn::StateDict sd = a->state_dict();
  REQUIRE(sd.size() == 6);  // 5 parameters + 1 buffer
  REQUIRE(sd.count("features.2.bias") == 1);
  const Tensor handle = b->head->weight;
  b->load_state_dict(sd);
  REQUIRE((*a)(x).to_vector<float>() == (*b)(x).to_vector<float>());
  REQUIRE(handle.same(b->head->weight));  // copied in place: optimizers keep valid handles
  REQUIRE_FALSE(sd.at("head.weight").storage() == b->head->weight.storage());
}

TEST_CASE("module: load_state_dict lists missing, unexpected and mismatched keys", "[nn][module]") {
  auto net = std::make_shared<Net>();
  nn::StateDict sd = net->state_dict();
  sd.erase("head.weight");
  sd["extra.weight"] = ones({1});
  sd["features.0.bias"] = ones({7});
  try {
    net->load_state_dict(sd);
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("missing keys: head.weight"));
    CHECK_THAT(m, Catch::Contains("unexpected keys: extra.weight"));
    CHECK_THAT(m,
               Catch::Contains(
                   "'features.0.bias': checkpoint has [7] float32, the model expects [8] float32"));
  }
  // Non-strict ignores missing/unexpected keys but never a shape mismatch.
  REQUIRE_THROWS_WITH(net->load_state_dict(sd, false), Catch::Contains("mismatch"));
  sd["features.0.bias"] = zeros({8});
  net->load_state_dict(sd, false);
  tgtest::require_values(net->features->named_parameters()[1].second, std::vector<double>(8, 0.0));
}

TEST_CASE("module: printing and summary", "[nn][module]") {
  auto net = std::make_shared<Net>();
  const std::size_t tape_before = tape().size();  // earlier tests may leave dead entries
  REQUIRE(net->to_string() ==
          "Net(\n"
          "  (features): Sequential(\n"
          "    (0): Linear(in_features=4, out_features=8, bias=true)\n"
          "    (1): ReLU()\n"
          "    (2): Linear(in_features=8, out_features=6, bias=true)\n"
          "  )\n"
          "  (head): Linear(in_features=6, out_features=3, bias=false)\n"
          ")");
  const std::string s = nn::summary(*net, {2, 4});
  CHECK_THAT(s, Catch::Contains("features.0 (Linear)"));
  CHECK_THAT(s, Catch::Contains("[2, 8]"));
  CHECK_THAT(s, Catch::Contains("head (Linear)"));
  CHECK_THAT(s, Catch::Contains("Total params: 112"));
  REQUIRE(net->is_training());            // restored
  REQUIRE(tape().size() == tape_before);  // summary records nothing
}

TEST_CASE("Linear: shapes, PyTorch default init bounds and errors", "[nn][linear]") {
  manual_seed(3);
  nn::Linear lin(400, 300);
  REQUIRE(lin.weight.shape() == Shape{300, 400});
  REQUIRE(lin.bias.shape() == Shape{300});
  const double bound = 1.0 / std::sqrt(400.0);  // kaiming_uniform(a = sqrt(5)) on fan_in 400
  REQUIRE(max(abs(lin.weight)).item() <= bound);
  REQUIRE(max(abs(lin.weight)).item() > 0.99 * bound);
  REQUIRE(tg::std(lin.weight).item() == Approx(bound / std::sqrt(3.0)).epsilon(0.02));
  REQUIRE(max(abs(lin.bias)).item() <= bound);
  REQUIRE_THROWS_WITH(lin(ones({2, 5})), Catch::Contains("Linear") && Catch::Contains("[2, 5]"));
  REQUIRE_THROWS_WITH(nn::Linear(0, 3), Catch::Contains("positive"));
}

TEST_CASE("gradcheck: Linear with respect to input, weight and bias", "[nn][linear]") {
  nn::Linear lin(4, 3, true, DType::Float64);
  Tensor x = leaf({2, 5, 4}, 11);
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) {
        (void)in;
        return lin(x);
      },
      TensorList{x, lin.weight, lin.bias});
  nn::Linear nob(3, 2, false, DType::Float64);
  Tensor x2 = leaf({3, 3}, 12);
  REQUIRE_GRADCHECK([&](const TensorList&) { return nob(x2.t()); }, TensorList{x2, nob.weight},
                    {.check_second_order = true});
}

TEST_CASE("gradcheck: Sequential MLP with every parameter", "[nn][sequential]") {
  nn::Sequential mlp{
      std::make_shared<nn::Linear>(3, 5, true, DType::Float64), std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(5, 2, true, DType::Float64), std::make_shared<nn::Sigmoid>()};
  Tensor x = leaf({4, 3}, 13);
  TensorList inputs{x};
  for (const Tensor& p : mlp.parameters()) inputs.push_back(p);
  REQUIRE_GRADCHECK([&](const TensorList&) { return mlp(x); }, inputs);
  REQUIRE_THROWS_WITH(mlp[7], Catch::Contains("out of range"));
}

TEST_CASE("gradcheck: Dropout with p=0 in train and eval, Flatten, Identity, ReLU", "[nn][basic]") {
  Tensor x = leaf({2, 3, 2}, 14, 0.1, 1.0);
  for (bool training : {true, false}) {
    nn::Dropout d(0.0);
    d.train(training);
    REQUIRE_GRADCHECK([&](const TensorList&) { return d(x); }, TensorList{x});
  }
  nn::Flatten f;
  REQUIRE(f(x).shape() == Shape{2, 6});
  REQUIRE_GRADCHECK([&](const TensorList&) { return f(x); }, TensorList{x});
  nn::Identity id;
  REQUIRE(id(x).same(x));
  nn::ReLU r;
  REQUIRE_GRADCHECK([&](const TensorList&) { return r(x); }, TensorList{x});
}

TEST_CASE("Dropout: eval is the identity, training drops about p", "[nn][basic]") {
  Generator g(5);
  nn::Dropout d(0.25, &g);
  const Tensor x = ones({100000});
  const Tensor y = d(x);
  const double zeros_frac = mean(eq(y, 0.0)).item();
  REQUIRE(zeros_frac == Approx(0.25).margin(0.01));
  REQUIRE(max(y).item() == Approx(1 / 0.75));
  d.eval();
  REQUIRE(d(x).same(x));
  REQUIRE_THROWS_WITH(nn::Dropout(1.5), Catch::Contains("[0, 1]"));
}

TEST_CASE("loss modules match the functional ops; penalties", "[nn][loss]") {
  const Tensor logits = tensor({1.0, 2.0, 0.5, -1.0, 0.0, 3.0}, {2, 3}, DType::Float64);
  const Tensor t = int64_tensor({1, 2});
  nn::CrossEntropyLoss ce;
  REQUIRE(ce(logits, t).item() == cross_entropy(logits, t).item());
  nn::CrossEntropyLoss ces({.label_smoothing = 0.1});
  REQUIRE(ces(logits, t).item() == cross_entropy(logits, t, {.label_smoothing = 0.1}).item());
  nn::NLLLoss nll(Reduction::Sum);
  REQUIRE(nll(log_softmax(logits, 1), t).item() == Approx(2 * cross_entropy(logits, t).item()));
  nn::MSELoss mse;
  // ((1-0)^2 + (2-4)^2) / 2 = 2.5
  REQUIRE(mse(tensor({1.0, 2.0}), tensor({0.0, 4.0})).item() == Approx(2.5));
  nn::BCEWithLogitsLoss bce;
  REQUIRE(bce(tensor({0.0}), tensor({1.0})).item() == Approx(std::log(2.0)));
  const Tensor a = tensor({1.0, -2.0}), b = tensor({3.0});
  REQUIRE(nn::l1_penalty({a, b}).item() == Approx(6.0));   // 1 + 2 + 3
  REQUIRE(nn::l2_penalty({a, b}).item() == Approx(14.0));  // 1 + 4 + 9
  Tensor w = leaf({3, 2}, 15);
  REQUIRE_GRADCHECK(
      [&](const TensorList&) { return add(nn::l2_penalty({w}), nn::l1_penalty({w})); },
      TensorList{w});
  REQUIRE_THROWS_WITH(nn::l2_penalty({}), Catch::Contains("no parameters"));
}
