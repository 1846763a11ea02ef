// Anomaly mode: the first NaN or Inf names the op that made it, its tape index, shapes, the
// number of bad values and the line of the call that recorded it.
#include "helpers.hpp"

using namespace tg;
using Catch::Matchers::Contains;

namespace {

// The message of the tg::Error that fn throws ("" when it throws none).
template <class F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string here(int line) { return fmt::format("test_anomaly.cpp:{}", line); }

struct Net : nn::Module {
  Net() : Module("Net") {
    fc = register_module("fc", std::make_shared<nn::Linear>(3, 2));
    act = register_module("act", std::make_shared<nn::Tanh>());
  }
  Tensor forward(const Tensor& x) override { return log((*act)((*fc)(x))); }
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<nn::Tanh> act;
};

}  // namespace

TEST_CASE("anomaly: count_non_finite tells NaN from Inf, float32 and float64, strided",
          "[autograd][anomaly]") {
  const double nan = std::nan(""), inf = INFINITY;
  Tensor d = tensor({1.0, nan, -inf, 2.0, inf, nan, 0.0, -0.0}, {2, 4}, DType::Float64);
  autograd::NonFinite nf = autograd::count_non_finite(d);
  REQUIRE(nf.nan == 2);
  REQUIRE(nf.inf == 2);
  nf = autograd::count_non_finite(d.to(DType::Float32));
  REQUIRE(nf.nan == 2);
  REQUIRE(nf.inf == 2);
  // Column 1 of the transpose view: {nan, nan}? no: rows of d^T are d's columns.
  nf = autograd::count_non_finite(d.t().slice(0, 1, 2));  // column 1 of d: nan, nan
  REQUIRE(nf.nan == 2);
  REQUIRE(nf.inf == 0);
  REQUIRE(autograd::count_non_finite(tensor({1.0, 2.0}, {2})).total() == 0);
  REQUIRE(autograd::count_non_finite(arange(0, 5, 1, DType::Int64)).total() == 0);
}

TEST_CASE("anomaly: a NaN made in forward names log, its tape index, shapes and the line",
          "[autograd][anomaly]") {
  Tensor x = tensor({1.0, -2.0, 3.0}, {3}, DType::Float64).requires_grad_();
  DetectAnomalyGuard guard;
  REQUIRE(is_anomaly_enabled());
  tape().clear();
  Tensor y = mul(x, 2.0);
  int line = 0;
  const std::string msg = error_of([&] {
    line = __LINE__ + 1;
    Tensor z = log(y);
  });
  INFO(msg);
  REQUIRE_THAT(msg, Contains("forward of 'log' produced 1 NaN of 3 values"));
  REQUIRE_THAT(msg, Contains("tape index 1"));
  REQUIRE_THAT(msg, Contains(here(line)));
  REQUIRE_THAT(msg, Contains("input 0: float64 [3] (finite)"));
  REQUIRE_THAT(msg, Contains("output: float64 [3]"));
  REQUIRE_THAT(msg, Contains("this op made them"));
}

TEST_CASE("anomaly: a C++ operator reports the line where it is used", "[autograd][anomaly]") {
  Tensor a = tensor({0.0, 1.0}, {2}, DType::Float64).requires_grad_();
  Tensor b = tensor({0.0, 2.0}, {2}, DType::Float64);
  DetectAnomalyGuard guard;
  int line = 0;
  const std::string msg = error_of([&] {
    line = __LINE__ + 1;
    Tensor q = a / b;  // 0 / 0
  });
  INFO(msg);
  REQUIRE_THAT(msg, Contains("forward of 'div' produced 1 NaN of 2 values"));
  REQUIRE_THAT(msg, Contains(here(line)));
}

TEST_CASE("anomaly: a value that is only infinite in backward names sqrt and its forward line",
          "[autograd][anomaly]") {
  Tensor x = tensor({0.0, 1.0, 4.0}, {3}, DType::Float64).requires_grad_();
  DetectAnomalyGuard guard;
  tape().clear();
  const int line = __LINE__ + 1;
  Tensor s = sqrt(x);  // finite: 0, 1, 2
  Tensor loss = sum(s);
  const std::string msg = error_of([&] { loss.backward(); });
  INFO(msg);
  REQUIRE_THAT(msg, Contains("backward of 'sqrt' produced 1 Inf of 3 values"));
  REQUIRE_THAT(msg, Contains("gradient for its input 0"));
  REQUIRE_THAT(msg, Contains("tape index 0"));
  REQUIRE_THAT(msg, Contains(here(line)));
  REQUIRE_THAT(msg, Contains("incoming gradient: float64 [3] (finite)"));
}

TEST_CASE("anomaly: a NaN inside a module names the module path and the model call",
          "[autograd][anomaly]") {
  Generator g(3);
  auto net = std::make_shared<Net>();
  Tensor x = tensor({-5.0, -5.0, -5.0}, {1, 3}).requires_grad_();
  {
    NoGradGuard ng;
    net->fc->weight.fill_(1.0);
    net->fc->bias.fill_(0.0);
  }
  DetectAnomalyGuard guard;
  int line = 0;
  const std::string msg = error_of([&] {
    line = __LINE__ + 1;
    Tensor y = (*net)(x);  // log(tanh(-15)) = log(negative)
  });
  INFO(msg);
  REQUIRE_THAT(msg, Contains("forward of 'log' produced 2 NaN of 2 values"));
  REQUIRE_THAT(msg, Contains("in module (Net)"));
  REQUIRE_THAT(msg, Contains(here(line)));
  // The tanh inside the module is attributed to it.
  Tensor h;
  const std::string ok = error_of([&] { h = (*net->act)((*net->fc)(x)); });
  REQUIRE(ok.empty());
  REQUIRE(tape().entries().back().module != nullptr);
  REQUIRE(tape().entries().back().module->label() == "(Tanh)");
}

TEST_CASE("anomaly: non-finite data is reported as coming from outside the tape",
          "[autograd][anomaly]") {
  Tensor x = tensor({1.0, std::nan("")}, {2}, DType::Float64).requires_grad_();
  DetectAnomalyGuard guard;
  const std::string msg = error_of([&] { Tensor y = exp(x); });
  INFO(msg);
  REQUIRE_THAT(msg, Contains("forward of 'exp' produced 1 NaN of 2 values"));
  REQUIRE_THAT(msg, Contains("input 0: float64 [2] (1 NaN of 2 values)"));
  REQUIRE_THAT(msg, Contains("from outside the checked tape"));
}

TEST_CASE("anomaly: off by default and after the guard; results are unchanged when on",
          "[autograd][anomaly]") {
  REQUIRE_FALSE(is_anomaly_enabled());
  Tensor x = tensor({-1.0, 4.0}, {2}, DType::Float64).requires_grad_();
  Tensor y = log(x);  // NaN, no error
  REQUIRE(std::isnan(y.to_vector<double>()[0]));
  {
    DetectAnomalyGuard guard;
    REQUIRE(is_anomaly_enabled());
  }
  REQUIRE_FALSE(is_anomaly_enabled());
  REQUIRE(error_of([&] { Tensor z = log(x); }).empty());

  // A finite computation gives the same bits with the guard as without.
  Tensor w = tgtest::leaf({4, 3}, 5);
  auto run = [&] {
    w.zero_grad();
    Tensor l = sum(tanh(matmul(tgtest::leaf({2, 4}, 6), w)));
    l.backward();
    return w.grad().to_vector<double>();
  };
  const auto plain = run();
  std::vector<double> checked;
  {
    DetectAnomalyGuard guard;
    checked = run();
  }
  REQUIRE(plain == checked);
}

TEST_CASE("anomaly: a NaN in the seed gradient is blamed on the seed", "[autograd][anomaly]") {
  Tensor x = tensor({1.0, 2.0}, {2}, DType::Float64).requires_grad_();
  DetectAnomalyGuard guard;
  Tensor y = exp(x);
  const std::string msg = error_of([&] {
    backward({y}, {tensor({std::nan(""), 1.0}, {2}, DType::Float64)});
  });
  INFO(msg);
  REQUIRE_THAT(msg, Contains("the gradient arriving at the backward of 'exp' already holds 1 NaN"));
  REQUIRE_THAT(msg, Contains("from the seed"));
}
