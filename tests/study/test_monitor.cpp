// The activation study's diagnostics monitor: dead and saturated fractions, pre-activation
// statistics, the output gradient's norm and learnable parameters on tiny models whose values are
// worked out by hand; the histogram and shape series; the elementwise derivative against analytic
// ones; and that measuring leaves the training state (grads, modes, tape, dropout's generator,
// the next optimizer step) exactly as it was.
#include "helpers.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "models/models.hpp"
#include "tapegrad/study/monitor.hpp"

using namespace tg;
using study::ActivationMonitor;
using study::DiagnosticRow;
using study::SeriesRow;

namespace {

constexpr DType F64 = DType::Float64;

void set_values(const Tensor& t, const std::vector<double>& v) {
  NoGradGuard no_grad;
  t.copy_(tensor(v, t.shape(), t.dtype()));
}

// Linear(2, 4) -> activation -> [Dropout] -> Linear(4, 2), float64, weights set by hand. On the
// probe below, hidden unit 3 (pre-activation -x0 - x1 - 1) is never positive; unit 1 is exactly 0
// on the first example and positive on the second.
struct TinyNet {
  std::shared_ptr<nn::Sequential> net = std::make_shared<nn::Sequential>();
  std::shared_ptr<nn::Linear> l1 = std::make_shared<nn::Linear>(2, 4, true, F64);
  std::shared_ptr<nn::Linear> l2 = std::make_shared<nn::Linear>(4, 2, true, F64);
  std::shared_ptr<act::Activation> act;
  Generator dropout_gen{7};

  explicit TinyNet(const std::string& spec, bool dropout = false) : act(act::make(spec, 4, F64)) {
    set_values(l1->weight, {1, 0, 0, 1, 1, 1, -1, -1});
    set_values(l1->bias, {0, 0, -0.5, -1});
    set_values(l2->weight, {1, -1, 0.5, 2, -0.5, 1, 1, -1});
    set_values(l2->bias, {0.1, -0.2});
    net->push_back(l1);
    net->push_back(act);
    if (dropout) net->push_back(std::make_shared<nn::Dropout>(0.5, &dropout_gen));
    net->push_back(l2);
  }
};

const std::vector<double> kProbe = {1, 0, 0, 1, 1, 1};  // [3, 2]
const std::vector<std::int64_t> kTargets = {0, 1, 1};
// The hidden pre-activations of TinyNet on kProbe, by hand.
const std::vector<double> kPre = {1, 0, 0.5, -2, 0, 1, 0.5, -2, 1, 1, 1.5, -3};

Tensor probe() { return tensor(kProbe, {3, 2}, F64); }
Tensor targets() { return int64_tensor(kTargets); }

double value_of(const std::vector<DiagnosticRow>& rows, const std::string& layer,
                const std::string& metric) {
  const DiagnosticRow* found = nullptr;
  for (const auto& r : rows)
    if (r.layer == layer && r.metric == metric) {
      INFO(layer << " " << metric << " appears twice");
      REQUIRE(found == nullptr);
      found = &r;
    }
  INFO("no row " << layer << " " << metric);
  REQUIRE(found != nullptr);
  return found->value;
}

const std::vector<double>& series_of(const std::vector<SeriesRow>& series, const std::string& layer,
                                     const std::string& name) {
  for (const auto& s : series)
    if (s.layer == layer && s.name == name) return s.data;
  FAIL("no series " << layer << " " << name);
  throw std::logic_error("unreachable");
}

double total(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

TEST_CASE("monitor: one never-positive relu unit of four is dead; leaky_relu has none",
          "[study][monitor]") {
  TinyNet relu("relu");
  ActivationMonitor m(*relu.net);
  REQUIRE(m.layers() == std::vector<std::string>{"1"});
  const auto rows = m.measure(probe(), targets(), 3);
  // Unit 3 is negative on every example; unit 1 is 0 (derivative 0) once but positive once.
  CHECK(value_of(rows, "1", "dead_fraction") == 0.25);
  // f'(x) = 0 where x <= 0: units 1 and 3 of example 0, 0 and 3 of example 1, 3 of example 2.
  CHECK(value_of(rows, "1", "saturated_fraction") == 5.0 / 12.0);
  for (const auto& r : rows) CHECK(r.epoch == 3);

  TinyNet leaky("leaky_relu");
  const auto lrows = ActivationMonitor(*leaky.net).measure(probe(), targets(), 3);
  CHECK(value_of(lrows, "1", "dead_fraction") == 0.0);

  // prelu with slope 0 is relu; a negative slope is a nonzero derivative, not a dead unit.
  TinyNet prelu("prelu(per_channel=true)");
  const Tensor slopes = prelu.act->named_parameters()[0].second;
  set_values(slopes, {0, 0, 0, 0});
  CHECK(value_of(ActivationMonitor(*prelu.net).measure(probe(), targets(), 3), "1",
                 "dead_fraction") == 0.25);
  set_values(slopes, {0, 0, 0, -0.5});
  CHECK(value_of(ActivationMonitor(*prelu.net).measure(probe(), targets(), 3), "1",
                 "dead_fraction") == 0.0);
}

TEST_CASE("monitor: preact mean and population std by hand", "[study][monitor]") {
  TinyNet t("relu");
  const auto rows = ActivationMonitor(*t.net).measure(probe(), targets(), 1);
  // Sum of kPre = -0.5, sum of squares = 5.25 + 5.25 + 13.25 = 23.75, over 12 elements.
  const double mean = -0.5 / 12;
  CHECK(value_of(rows, "1", "preact_mean") == Approx(mean).epsilon(1e-14));
  CHECK(value_of(rows, "1", "preact_std") ==
        Approx(std::sqrt(23.75 / 12 - mean * mean)).epsilon(1e-14));
}

TEST_CASE("monitor: grad_norm equals a manual backward of the mean cross-entropy",
          "[study][monitor]") {
  TinyNet t("relu");
  const auto rows = ActivationMonitor(*t.net).measure(probe(), targets(), 1);
  // h = relu(pre), z = W2 h + b2, dL/dz = (softmax(z) - onehot) / N, dL/dh = W2^T dL/dz.
  const double w2[2][4] = {{1, -1, 0.5, 2}, {-0.5, 1, 1, -1}};
  const double b2[2] = {0.1, -0.2};
  double sq = 0;
  for (int n = 0; n < 3; ++n) {
    double h[4], z[2];
    for (int j = 0; j < 4; ++j) h[j] = std::max(0.0, kPre[static_cast<std::size_t>(n * 4 + j)]);
    for (int k = 0; k < 2; ++k) {
      z[k] = b2[k];
      for (int j = 0; j < 4; ++j) z[k] += w2[k][j] * h[j];
    }
    const double p1 = 1 / (1 + std::exp(z[0] - z[1]));
    const double dz[2] = {(1 - p1 - (kTargets[n] == 0)) / 3, (p1 - (kTargets[n] == 1)) / 3};
    for (int j = 0; j < 4; ++j) {
      const double dh = w2[0][j] * dz[0] + w2[1][j] * dz[1];
      sq += dh * dh;
    }
  }
  CHECK(sq > 0);
  CHECK(value_of(rows, "1", "grad_norm") == Approx(std::sqrt(sq)).epsilon(1e-12));
}

TEST_CASE(
    "monitor: sigmoid's saturated fraction follows the threshold; the histogram "
    "clips into its end bins",
    "[study][monitor]") {
  auto lin = std::make_shared<nn::Linear>(2, 2, true, F64);
  set_values(lin->weight, {1, 0, 0, 1});
  set_values(lin->bias, {0, 0});
  auto head = std::make_shared<nn::Linear>(2, 2, true, F64);
  set_values(head->weight, {1, 2, 3, 4});
  auto net = std::make_shared<nn::Sequential>(
      std::initializer_list<std::shared_ptr<nn::Module>>{lin, act::make("sigmoid", 2, F64), head});
  // sigmoid'(x) = s (1 - s): 0.25, 0.197, 0.0452, 0.0110, 0.00899, 0.00665, 3.35e-4, 4.54e-5.
  const std::vector<double> x = {0, 1, -3, 4.5, 4.7, -5, 8, -10};
  std::int64_t below_1e2 = 0, below_1e1 = 0;
  for (double v : x) {
    const double s = 1 / (1 + std::exp(-v));
    below_1e2 += s * (1 - s) < 1e-2;
    below_1e1 += s * (1 - s) < 1e-1;
  }
  REQUIRE(below_1e2 == 4);  // 4.7, -5, 8, -10
  REQUIRE(below_1e1 == 6);
  const Tensor in = tensor(x, {4, 2}, F64);
  const Tensor y = int64_tensor({0, 1, 0, 1});

  std::vector<SeriesRow> series;
  const auto rows = ActivationMonitor(*net).measure(in, y, 1, &series);
  CHECK(value_of(rows, "1", "saturated_fraction") == 0.5);
  CHECK(value_of(rows, "1", "dead_fraction") == 0.0);
  const auto rows01 =
      ActivationMonitor(*net, {.saturation_threshold = 0.1}).measure(in, y, 1, nullptr);
  CHECK(value_of(rows01, "1", "saturated_fraction") == 0.75);
  // Saturated everywhere (sigmoid' <= 0.25) is still not dead.
  const auto rows_all = ActivationMonitor(*net, {.saturation_threshold = 0.3}).measure(in, y, 1);
  CHECK(value_of(rows_all, "1", "saturated_fraction") == 1.0);
  CHECK(value_of(rows_all, "1", "dead_fraction") == 0.0);

  // Bins of width 0.25 from -6: 0 -> 24, 1 -> 28, -3 -> 12, 4.5 -> 42, 4.7 -> 42, -5 -> 4; 8 is
  // clipped into bin 47, -10 into bin 0.
  std::vector<double> expected(48, 0.0);
  for (int bin : {24, 28, 12, 42, 42, 4, 47, 0}) expected[static_cast<std::size_t>(bin)] += 1;
  CHECK(series_of(series, "1", "preact_hist") == expected);
  const auto edges = study::hist_edges({});
  REQUIRE(edges.size() == 49);
  CHECK(edges.front() == -6.0);
  CHECK(edges[24] == 0.0);
  CHECK(edges.back() == 6.0);
}

TEST_CASE("monitor: elementwise_derivative matches analytic derivatives", "[study][monitor]") {
  const std::vector<double> xs = {-2.5, -1, -0.25, 0.3, 1, 4, -0.7, 2, -3, 0.5, 1.5, -0.1};
  const Tensor x = tensor(xs, {4, 3}, F64);
  const std::size_t tape_before = tape().size();
  auto deriv = [&](const std::string& spec, const Tensor& in, std::int64_t channels = 1) {
    auto a = act::make(spec, channels, F64);
    return study::elementwise_derivative(*a, in).to_vector<double>();
  };
  auto expect = [&](auto f) {
    std::vector<double> d;
    for (double v : xs) d.push_back(f(v));
    return d;
  };
  CHECK(deriv("relu", x) == expect([](double v) { return v > 0 ? 1.0 : 0.0; }));
  CHECK(deriv("leaky_relu(slope=0.1)", x) == expect([](double v) { return v > 0 ? 1.0 : 0.1; }));
  tgtest::require_values(tensor(deriv("tanh", x), {12}, F64),
                         expect([](double v) { return 1 - std::tanh(v) * std::tanh(v); }), 1e-12);
  // relu at exactly 0: derivative 0 (PyTorch's convention), which the dead count relies on.
  CHECK(deriv("relu", tensor({0.0, -0.0}, {2}, F64)) == std::vector<double>{0, 0});

  // prelu with one slope per channel, on [N, C] and [N, C, H, W]: f'(x) = x > 0 ? 1 : a_c.
  auto prelu = act::make("prelu(per_channel=true)", 3, F64);
  const double slope[3] = {0.1, 0.2, 0.3};
  set_values(prelu->named_parameters()[0].second, {slope[0], slope[1], slope[2]});
  const auto d2 = study::elementwise_derivative(*prelu, x).to_vector<double>();
  for (std::size_t i = 0; i < xs.size(); ++i) CHECK(d2[i] == (xs[i] > 0 ? 1.0 : slope[i % 3]));
  Generator gen(3);
  const Tensor x4 = normal({2, 3, 2, 2}, 0, 1, F64, &gen);
  const auto v4 = x4.to_vector<double>();
  const auto d4 = study::elementwise_derivative(*prelu, x4).to_vector<double>();
  for (std::size_t i = 0; i < v4.size(); ++i) CHECK(d4[i] == (v4[i] > 0 ? 1.0 : slope[i / 4 % 3]));
  // No .grad, nothing left on the tape.
  CHECK_FALSE(prelu->named_parameters()[0].second.grad().defined());
  CHECK(tape().size() == tape_before);
}

TEST_CASE("monitor: prelu's per-channel slopes: parameter mean and std, the shape spread",
          "[study][monitor]") {
  TinyNet t("prelu(per_channel=true)");
  set_values(t.act->named_parameters()[0].second, {0.1, 0.2, 0.3, 0.6});
  std::vector<SeriesRow> series;
  const auto rows = ActivationMonitor(*t.net).measure(probe(), targets(), 2, &series);
  CHECK(value_of(rows, "1", "param.weight.mean") == Approx(0.3).epsilon(1e-14));
  // Deviations -0.2, -0.1, 0, 0.3: population variance 0.14 / 4.
  CHECK(value_of(rows, "1", "param.weight.std") == Approx(std::sqrt(0.035)).epsilon(1e-12));
  CHECK(value_of(rows, "1", "dead_fraction") == 0.0);

  const auto grid = study::shape_grid({});
  REQUIRE(grid.size() == 121);
  const auto& mean = series_of(series, "1", "shape");
  const auto& lo = series_of(series, "1", "shape_lo");
  const auto& hi = series_of(series, "1", "shape_hi");
  REQUIRE(mean.size() == 121);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const double x = grid[i];
    INFO("x = " << x);
    CHECK(mean[i] == Approx(x > 0 ? x : 0.3 * x).margin(1e-12));
    CHECK(lo[i] == Approx(x > 0 ? x : 0.6 * x).margin(1e-12));
    CHECK(hi[i] == Approx(x > 0 ? x : 0.1 * x).margin(1e-12));
  }
}

TEST_CASE(
    "monitor: relu's shape is max(0, x) on the grid; histogram counts sum to the "
    "number of elements",
    "[study][monitor]") {
  TinyNet t("relu");
  std::vector<SeriesRow> series;
  const auto rows = ActivationMonitor(*t.net).measure(probe(), targets(), 1, &series);
  // A fixed activation has no parameter rows.
  CHECK(rows.size() == 5);
  REQUIRE(series.size() == 4);
  const auto grid = study::shape_grid({});
  CHECK(grid.front() == -6.0);
  CHECK(grid[60] == 0.0);
  CHECK(grid[70] == 1.0);
  CHECK(grid[59] == Approx(-0.1).margin(1e-12));
  CHECK(grid.back() == 6.0);
  for (const char* name : {"shape", "shape_lo", "shape_hi"}) {
    const auto& s = series_of(series, "1", name);
    REQUIRE(s.size() == grid.size());
    for (std::size_t i = 0; i < grid.size(); ++i) CHECK(s[i] == std::max(0.0, grid[i]));
  }
  const auto& hist = series_of(series, "1", "preact_hist");
  CHECK(hist.size() == 48);
  CHECK(total(hist) == 12);
}

TEST_CASE("monitor: measuring leaves grads, modes, the tape and the next step unchanged",
          "[study][monitor]") {
  TinyNet a("prelu(per_channel=true)", /*dropout=*/true);
  TinyNet b("prelu(per_channel=true)", /*dropout=*/true);
  a.net->train();
  b.net->train();
  (*a.net)[3]->eval();  // a child in another mode than the model's stays so
  (*b.net)[3]->eval();
  const Tensor g0 = tensor({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}, F64);
  a.l1->weight.set_grad(g0);
  b.l1->weight.set_grad(g0.clone());
  const std::size_t tape_before = tape().size();

  std::vector<SeriesRow> series;
  const auto rows = ActivationMonitor(*a.net).measure(probe(), targets(), 1, &series);
  CHECK(value_of(rows, "1", "grad_norm") > 0);
  CHECK(a.l1->weight.grad().same(g0));
  CHECK(g0.to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8});
  for (const auto& [name, p] : a.net->named_parameters())
    if (name != "0.weight") {
      INFO(name);
      CHECK_FALSE(p.grad().defined());
    }
  CHECK(a.net->is_training());
  CHECK((*a.net)[0]->is_training());
  CHECK((*a.net)[1]->is_training());
  CHECK((*a.net)[2]->is_training());
  CHECK_FALSE((*a.net)[3]->is_training());
  CHECK(tape().size() == tape_before);

  // The same training step on both (dropout draws from each net's own generator): bit-identical.
  const Tensor x = tensor({0.5, -1, 2, 0.25, -0.5, 1.5, 1, 1}, {4, 2}, F64);
  const Tensor y = int64_tensor({1, 0, 1, 0});
  for (TinyNet* t : {&a, &b}) {
    optim::SGD opt(t->net->parameters(), {.lr = 0.1, .momentum = 0.9});
    cross_entropy((*t->net)(x), y).backward();
    opt.step();
  }
  const auto pa = a.net->named_parameters(), pb = b.net->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].first);
    CHECK(pa[i].second.to_vector<double>() == pb[i].second.to_vector<double>());
  }
}

TEST_CASE("monitor: a module called twice is one layer measured over both calls",
          "[study][monitor]") {
  auto shared = act::make("relu", 4, F64);
  auto l1 = std::make_shared<nn::Linear>(2, 4, true, F64);
  auto l2 = std::make_shared<nn::Linear>(4, 4, true, F64);
  auto l3 = std::make_shared<nn::Linear>(4, 2, true, F64);
  auto net = std::make_shared<nn::Sequential>(
      std::initializer_list<std::shared_ptr<nn::Module>>{l1, shared, l2, shared, l3});
  ActivationMonitor m(*net);
  REQUIRE(m.layers() == std::vector<std::string>{"1"});
  std::vector<SeriesRow> series;
  const auto rows = m.measure(probe(), targets(), 1, &series);
  CHECK(rows.size() == 5);
  CHECK(total(series_of(series, "1", "preact_hist")) == 24);
}

TEST_CASE("monitor: lenet5 with prelu: layer names, rows and series", "[study][monitor]") {
  Generator gen(11);
  auto net = models::make("lenet5", {.activation = "prelu"}, &gen);
  ActivationMonitor m(*net);
  const std::vector<std::string> layers = {"1", "4", "8", "10"};
  REQUIRE(m.layers() == layers);
  const Tensor x = randn({8, 1, 28, 28}, DType::Float32, &gen);
  const Tensor y = randint(0, 10, {8}, &gen);
  std::vector<SeriesRow> series;
  const auto rows = m.measure(x, y, 5, &series);
  // Five metrics and a shared slope's mean and std per layer, in layer order.
  REQUIRE(rows.size() == 4 * 7);
  const std::vector<std::string> metrics = {
      "dead_fraction", "saturated_fraction", "preact_mean",     "preact_std",
      "grad_norm",     "param.weight.mean",  "param.weight.std"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].layer == layers[i / 7]);
    CHECK(rows[i].metric == metrics[i % 7]);
    CHECK(rows[i].epoch == 5);
  }
  for (const auto& l : layers) {
    CHECK(value_of(rows, l, "dead_fraction") == 0.0);
    CHECK(value_of(rows, l, "grad_norm") > 0);
    CHECK(value_of(rows, l, "param.weight.mean") == Approx(0.25));
    CHECK(value_of(rows, l, "param.weight.std") == 0.0);
  }
  REQUIRE(series.size() == 4 * 4);
  // Elements per layer: conv outputs [8, 6, 28, 28] and [8, 16, 10, 10], then [8, 120], [8, 84].
  const std::vector<double> elements = {8 * 6 * 28 * 28, 8 * 16 * 10 * 10, 8 * 120, 8 * 84};
  for (std::size_t i = 0; i < layers.size(); ++i) {
    CHECK(total(series_of(series, layers[i], "preact_hist")) == elements[i]);
    CHECK(series_of(series, layers[i], "shape").size() == 121);
  }
}

TEST_CASE("monitor: relu before a max-pool is measured on the unpooled pre-activation",
          "[study][monitor]") {
  // Sequential runs relu after the pool that follows it; the monitor still reports what relu
  // sees in the model's own order, as it does for prelu.
  Generator gen(5);
  auto net = models::make("lenet5", {.activation = "relu"}, &gen);
  net->eval();
  const Tensor x = randn({4, 1, 28, 28}, DType::Float32, &gen);
  const Tensor y = randint(0, 10, {4}, &gen);
  std::vector<SeriesRow> series;
  const auto rows = ActivationMonitor(*net).measure(x, y, 1, &series);

  // The model in its own order, layer by layer, keeping the first relu's input and output.
  Tensor h = x, pre, out;
  {
    EnableGradGuard grad_on;
    for (std::size_t i = 0; i < 12; ++i) {
      if (i == 1) pre = h;
      h = (*(*net)[i])(h);
      if (i == 1) out = h;
    }
    const Tensor g = grad(cross_entropy(h, y), out);
    double sq = 0;
    for (double v : g.to_vector<double>()) sq += v * v;
    CHECK(value_of(rows, "1", "grad_norm") == Approx(std::sqrt(sq)).epsilon(1e-5));
  }
  const auto v = pre.to_vector<double>();
  REQUIRE(v.size() == 4 * 6 * 28 * 28);
  double sum = 0, sq = 0, nonpositive = 0;
  for (double e : v) {
    sum += e;
    sq += e * e;
    nonpositive += e <= 0;
  }
  const double n = static_cast<double>(v.size()), mean = sum / n;
  CHECK(value_of(rows, "1", "preact_mean") == Approx(mean).epsilon(1e-9));
  CHECK(value_of(rows, "1", "preact_std") == Approx(std::sqrt(sq / n - mean * mean)).epsilon(1e-6));
  CHECK(value_of(rows, "1", "saturated_fraction") == nonpositive / n);
  CHECK(total(series_of(series, "1", "preact_hist")) == n);
  CHECK(total(series_of(series, "4", "preact_hist")) == 4 * 16 * 10 * 10);
}

TEST_CASE("monitor: a model without activation modules and bad options are errors",
          "[study][monitor]") {
  auto plain = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 4), std::make_shared<nn::ReLU>()});
  CHECK_THROWS_AS(ActivationMonitor(*plain), Error);
  TinyNet t("relu");
  CHECK_THROWS_AS(ActivationMonitor(*t.net, {.hist_bins = 0}), Error);
  CHECK_THROWS_AS(ActivationMonitor(*t.net, {.shape_lo = 1, .shape_hi = 1}), Error);
  ActivationMonitor m(*t.net);
  CHECK_THROWS_AS(m.measure(probe(), int64_tensor({0, 1}), 1), Error);
  CHECK_FALSE(t.l1->weight.grad().defined());
}
