// The ONNX graph a model becomes (io::onnx_graph, no protobuf): its operators, constants, shapes
// of per-channel parameters, and the errors for what ONNX cannot express. That ONNX Runtime
// computes what tapegrad computes is checked by tests/onnx (onnx/onnxruntime_matches_tapegrad).
#include <catch2/catch.hpp>

#include "models/models.hpp"
#include "tapegrad/io/onnx_graph.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

std::vector<std::string> op_types(const io::OnnxGraph& g) {
  std::vector<std::string> out;
  for (const io::OnnxNode& n : g.nodes()) out.push_back(n.op_type);
  return out;
}

const io::OnnxInitializer& initializer(const io::OnnxGraph& g, const std::string& name) {
  for (const io::OnnxInitializer& c : g.initializers())
    if (c.name == name) return c;
  FAIL("no initializer named " << name);
  throw;
}

std::string export_error(nn::Module& m, const Tensor& x) {
  try {
    io::onnx_graph(m, x);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// An activation that has no ONNX form (a user's own, say).
class Cube : public act::Activation {
 public:
  Cube() : Activation("my_cube") {}
  Tensor forward(const Tensor& x) override { return mul(mul(x, x), x); }
};

}  // namespace

TEST_CASE("onnx graph: LeNet-5 with relu is Conv, Relu, MaxPool ... Gemm, with its weights") {
  Generator gen(1);
  auto net = models::lenet5({.activation = "relu"}, &gen);
  net->train();
  const io::OnnxGraph g = io::onnx_graph(*net, zeros({2, 1, 28, 28}));
  CHECK(op_types(g) == std::vector<std::string>{"Conv", "Relu", "MaxPool", "Conv", "Relu",
                                                "MaxPool", "Flatten", "Gemm", "Relu", "Gemm",
                                                "Relu", "Gemm", "Identity"});
  CHECK(net->is_training());  // restored
  CHECK(g.input_shape() == Shape{-1, 1, 28, 28});
  CHECK(g.output_shape() == Shape{-1, 10});
  CHECK(g.output_name() == "output");
  // The constants are named by module path and hold the parameters' values.
  const auto params = net->named_parameters();
  REQUIRE(g.initializers().size() == params.size());
  for (const auto& [name, p] : params) {
    const io::OnnxInitializer& c = initializer(g, name);
    CHECK(c.shape == p.shape());
    CHECK(c.floats == p.to_vector<float>());
  }
  // The first convolution: 5x5, padding 2 on both sides of H and W.
  const io::OnnxNode& conv = g.nodes()[0];
  CHECK(conv.inputs == std::vector<std::string>{"input", "0.weight", "0.bias"});
  bool pads_seen = false;
  for (const io::OnnxAttribute& a : conv.attributes)
    if (a.name == "pads") {
      pads_seen = true;
      CHECK(std::get<std::vector<std::int64_t>>(a.value) == std::vector<std::int64_t>{2, 2, 2, 2});
    }
  CHECK(pads_seen);
}

TEST_CASE("onnx graph: per-channel parameters broadcast along dimension 1") {
  Generator gen(2);
  SECTION("after a convolution: [C, 1, 1]") {
    auto net = models::lenet5({.activation = "prelu(per_channel=true)"}, &gen);
    const io::OnnxGraph g = io::onnx_graph(*net, zeros({1, 1, 28, 28}));
    CHECK(initializer(g, "1.weight").shape == Shape{6, 1, 1});
    CHECK(initializer(g, "4.weight").shape == Shape{16, 1, 1});
    CHECK(initializer(g, "8.weight").shape == Shape{120});  // after a Linear: [N, 120]
    CHECK(op_types(g)[1] == "PRelu");
  }
  SECTION("a shared parameter is a scalar") {
    auto net = models::lenet5({.activation = "swish_beta"}, &gen);
    const io::OnnxGraph g = io::onnx_graph(*net, zeros({1, 1, 28, 28}));
    CHECK(initializer(g, "1.beta").shape == Shape{});
  }
  SECTION("a constrained parameter is exported as its constrained value") {
    auto net = models::lenet5({.activation = "learnable_celu(init=2)"}, &gen);
    const io::OnnxGraph g = io::onnx_graph(*net, zeros({1, 1, 28, 28}));
    // alpha = softplus(alpha_raw) = 2, not the raw value log(e^2 - 1) = 1.8546.
    CHECK(initializer(g, "1.alpha").floats.at(0) == Approx(2.0).epsilon(1e-6));
  }
  SECTION("PAU's denominator enters as |b|") {
    auto net = models::lenet5({.activation = "pau"}, &gen);
    auto& pau = dynamic_cast<act::Activation&>(*(*net)[1]);
    const Tensor den = pau.named_parameters().at(1).second;
    REQUIRE(pau.named_parameters().at(1).first == "denominator");
    {
      NoGradGuard no_grad;
      den.copy_(tensor({-0.5, 2.0, -3.0, 0.25}, {4, 1}));
    }
    const io::OnnxGraph g = io::onnx_graph(*net, zeros({1, 1, 28, 28}));
    CHECK(initializer(g, "1.abs_b1").floats.at(0) == 0.5f);
    CHECK(initializer(g, "1.abs_b3").floats.at(0) == 3.0f);
  }
}

TEST_CASE("onnx graph: what ONNX cannot express is an error that names it") {
  Generator gen(3);
  SECTION("an activation without to_onnx") {
    nn::Sequential net{std::make_shared<nn::Linear>(4, 3), std::make_shared<Cube>()};
    const std::string e = export_error(net, zeros({2, 4}));
    CHECK_THAT(e, Catch::Contains("'my_cube'") && Catch::Contains("cannot be expressed in ONNX"));
  }
  SECTION("a recurrent model") {
    auto net = models::make("lstm", {}, &gen);
    CHECK_THAT(export_error(*net, zeros({2, 1, 28, 28})),
               Catch::Contains("cannot be expressed in ONNX"));
  }
  SECTION("adaptive pooling to a size other than 1") {
    nn::Sequential net{std::make_shared<nn::AdaptiveAvgPool2d>(2)};
    CHECK_THAT(export_error(net, zeros({1, 3, 8, 8})),
               Catch::Contains("AdaptiveAvgPool2d with output_size (2, 2)"));
  }
  SECTION("BatchNorm without running statistics") {
    nn::Sequential net{std::make_shared<nn::BatchNorm2d>(3, 1e-5, 0.1, true, false)};
    CHECK_THAT(export_error(net, zeros({2, 3, 4, 4})),
               Catch::Contains("BatchNorm2d without running statistics"));
  }
  SECTION("a wrong example input is reported as the model reports it") {
    auto net = models::lenet5({}, &gen);
    CHECK_THAT(export_error(*net, zeros({2, 3, 28, 28})),
               Catch::Contains("input has 3 channels but the layer expects 1"));
  }
}

TEST_CASE("onnx graph: Flatten of inner dimensions is a Reshape, Linear on 3-D input a MatMul") {
  nn::Sequential net{std::make_shared<nn::Flatten>(2, 3), std::make_shared<nn::Linear>(20, 3)};
  const io::OnnxGraph g = io::onnx_graph(net, zeros({2, 3, 4, 5}));
  CHECK(op_types(g) == std::vector<std::string>{"Reshape", "MatMul", "Add", "Identity"});
  const io::OnnxInitializer& shape = initializer(g, "0.shape");
  CHECK(shape.is_int64);
  CHECK(shape.ints == std::vector<std::int64_t>{0, 0, -1});
  CHECK(g.rank(g.nodes()[1].output) == 3);
  CHECK(g.output_shape() == Shape{-1, 3, 3});
  // W^T: [20, 3], element (i, j) = W(j, i).
  const auto& lin = dynamic_cast<nn::Linear&>(*net[1]);
  const std::vector<float> w = lin.weight.to_vector<float>();
  const io::OnnxInitializer& wt = initializer(g, "1.weight_t");
  CHECK(wt.shape == Shape{20, 3});
  CHECK(wt.floats[7 * 3 + 2] == w[2 * 20 + 7]);
}
