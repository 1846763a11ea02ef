// RNN, LSTM and GRU layers and cells: one step computed by hand from torch.nn's equations,
// float64 gradchecks of every cell and layer (inputs, initial states, every parameter, learnable
// activations included; uni- and bidirectional, 1 and 2 layers), the layer against a loop of its
// cell, the reverse direction against a reversed sequence, batch_first, PyTorch's parameter names,
// a 10,000-step sequence, and errors.
#include "helpers.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tapegrad/io/safetensors.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/ops/recurrent.hpp"

using namespace tg;
using tgtest::leaf;

namespace {

constexpr DType F64 = DType::Float64;

void set_values(const Tensor& t, const std::vector<double>& v) {
  NoGradGuard no_grad;
  t.copy_(tensor(v, t.shape(), t.dtype()));
}

double sigmoid_d(double x) { return 1 / (1 + std::exp(-x)); }

nn::RecurrentOptions f64(nn::RecurrentOptions o = {}) {
  o.dtype = F64;
  return o;
}

// Every input that the output depends on: the tensors given and the module's parameters.
TensorList with_parameters(TensorList inputs, nn::Module& m) {
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  return inputs;
}

// The sum of every output (the sequence and the final states) weighted by fixed random tensors, so
// that gradcheck sees all of them in one scalar-valued function.
Tensor weighted(const nn::RecurrentOutput& o) {
  auto w = [&](const Tensor& t, std::uint64_t seed) { return leaf(t.shape(), seed).to(t.dtype()); };
  Tensor s = sum(mul(o.output, w(o.output, 90)));
  s = add(s, sum(mul(o.h_n, w(o.h_n, 91))));
  if (o.c_n.defined()) s = add(s, sum(mul(o.c_n, w(o.c_n, 92))));
  return s;
}

void require_layer_gradcheck(nn::Recurrent& layer, const Tensor& x, const Tensor& h0,
                             const Tensor& c0) {
  TensorList inputs{x, h0};
  if (c0.defined()) inputs.push_back(c0);
  const auto r = gradcheck(
      [&](const TensorList& t) {
        return weighted(layer.forward_state(t[0], t[1], c0.defined() ? t[2] : Tensor()));
      },
      with_parameters(inputs, layer));
  INFO(r.message);
  REQUIRE(r.ok);
}

}  // namespace

TEST_CASE("recurrent: one step of each cell equals torch.nn's equations by hand", "[nn][rnn]") {
  // Hidden size 1, input size 2: weights and biases set by hand.
  const Tensor x = tensor({0.5, -1.0}, {1, 2}, F64);
  const double h = 0.3, c = -0.2;
  const Tensor h0 = tensor({h}, {1, 1}, F64), c0 = tensor({c}, {1, 1}, F64);

  nn::RNNCell rnn(2, 1, f64());
  set_values(rnn.weight_ih, {0.4, -0.3});
  set_values(rnn.weight_hh, {0.7});
  set_values(rnn.bias_ih, {0.1});
  set_values(rnn.bias_hh, {-0.05});
  const double pre = 0.4 * 0.5 - 0.3 * -1.0 + 0.1 + 0.7 * h - 0.05;
  REQUIRE(rnn.step(x, h0)[0].item<double>() == Approx(std::tanh(pre)).epsilon(1e-14));

  nn::LSTMCell lstm(2, 1, f64());
  // Rows i, f, g, o.
  set_values(lstm.weight_ih, {0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8});
  set_values(lstm.weight_hh, {0.9, -1.0, 1.1, -1.2});
  set_values(lstm.bias_ih, {0.01, 0.02, 0.03, 0.04});
  set_values(lstm.bias_hh, {-0.05, 0.06, -0.07, 0.08});
  auto z = [&](int k, double a, double b, double w, double bi, double bh) {
    (void)k;
    return a * 0.5 + b * -1.0 + bi + w * h + bh;
  };
  const double i = sigmoid_d(z(0, 0.1, 0.2, 0.9, 0.01, -0.05));
  const double f = sigmoid_d(z(1, -0.3, 0.4, -1.0, 0.02, 0.06));
  const double g = std::tanh(z(2, 0.5, -0.6, 1.1, 0.03, -0.07));
  const double o = sigmoid_d(z(3, 0.7, 0.8, -1.2, 0.04, 0.08));
  const double c1 = f * c + i * g, h1 = o * std::tanh(c1);
  const std::vector<Tensor> hc = lstm.step(x, h0, c0);
  REQUIRE(hc.size() == 2);
  REQUIRE(hc[0].item<double>() == Approx(h1).epsilon(1e-14));
  REQUIRE(hc[1].item<double>() == Approx(c1).epsilon(1e-14));

  nn::GRUCell gru(2, 1, f64());
  // Rows r, z, n.
  set_values(gru.weight_ih, {0.3, -0.2, 0.6, 0.1, -0.4, 0.5});
  set_values(gru.weight_hh, {0.8, -0.7, 0.25});
  set_values(gru.bias_ih, {0.02, -0.03, 0.04});
  set_values(gru.bias_hh, {0.05, 0.06, -0.08});
  const double r = sigmoid_d(0.3 * 0.5 + 0.2 + 0.02 + 0.8 * h + 0.05);
  const double zz = sigmoid_d(0.6 * 0.5 - 0.1 - 0.03 - 0.7 * h + 0.06);
  const double n = std::tanh(-0.4 * 0.5 - 0.5 + 0.04 + r * (0.25 * h - 0.08));
  REQUIRE(gru.step(x, h0)[0].item<double>() == Approx((1 - zz) * n + zz * h).epsilon(1e-14));

  // Unbatched input and zero initial states.
  REQUIRE(gru.step(tensor({0.5, -1.0}, {2}, F64))[0].shape() == Shape{1});
  REQUIRE(rnn.forward(x).item<double>() ==
          Approx(std::tanh(0.4 * 0.5 + 0.3 + 0.1 - 0.05)).epsilon(1e-14));
}

TEST_CASE("recurrent: gradcheck of every cell, states and parameters", "[nn][rnn]") {
  const Tensor x = leaf({3, 4}, 1), h = leaf({3, 5}, 2), c = leaf({3, 5}, 3);
  for (auto kind : {nn::RecurrentKind::RNN, nn::RecurrentKind::LSTM, nn::RecurrentKind::GRU}) {
    for (const char* cell : {"tanh", "relu", "swish_beta(per_channel=true)"}) {
      if (std::string(cell) == "relu" && kind != nn::RecurrentKind::RNN) continue;
      INFO("kind " << static_cast<int>(kind) << ", cell " << cell);
      nn::RecurrentCell m(kind, 4, 5, f64({.cell = cell}));
      const bool lstm = kind == nn::RecurrentKind::LSTM;
      TensorList in{x, h};
      if (lstm) in.push_back(c);
      const auto r = gradcheck(
          [&](const TensorList& t) {
            const std::vector<Tensor> out = m.step(t[0], t[1], lstm ? t[2] : Tensor());
            Tensor s = sum(mul(out[0], leaf(out[0].shape(), 7)));
            if (lstm) s = add(s, sum(mul(out[1], leaf(out[1].shape(), 8))));
            return s;
          },
          with_parameters(in, m));
      INFO(r.message);
      REQUIRE(r.ok);
    }
  }
}

TEST_CASE("recurrent: gradcheck of RNN, LSTM and GRU layers: 1 and 2 layers, bidirectional",
          "[nn][rnn]") {
  for (auto kind : {nn::RecurrentKind::RNN, nn::RecurrentKind::LSTM, nn::RecurrentKind::GRU}) {
    for (std::int64_t layers : {1, 2}) {
      for (bool bidi : {false, true}) {
        // The fused op (the default activations) and the same layer as separate ops.
        for (bool fused : {true, false}) {
          INFO("kind " << static_cast<int>(kind) << ", layers " << layers << ", bidirectional "
                       << bidi << ", fused " << fused);
          const std::int64_t D = bidi ? 2 : 1;
          nn::Recurrent m(kind, 3, 4,
                          f64({.num_layers = layers, .bidirectional = bidi, .fused = fused}));
          const Tensor x = leaf({5, 2, 3}, 10), h0 = leaf({layers * D, 2, 4}, 11);
          const Tensor c0 =
              kind == nn::RecurrentKind::LSTM ? leaf({layers * D, 2, 4}, 12) : Tensor();
          require_layer_gradcheck(m, x, h0, c0);
        }
      }
    }
  }
}

TEST_CASE("recurrent: gradcheck with learnable activations, per gate and batch first",
          "[nn][rnn]") {
  nn::LSTM lstm(
      3, 4, f64({.batch_first = true, .cell = "swish_beta(per_channel=true)", .per_gate = true}));
  nn::GRU gru(3, 4, f64({.num_layers = 2, .cell = "pau"}));
  // The learnable parameters are the layers' own, and reported as activation parameters.
  std::int64_t act_params = 0;
  for (const Tensor& p : nn::activation_parameters(lstm)) act_params += p.numel();
  REQUIRE(act_params == 4);
  REQUIRE(nn::activation_parameters(gru).size() == 4);  // pau's two tables in each layer
  // pau's initial b_2 and b_4 (3.3e-6, 5.1e-7) are closer to |b|'s kink at 0 than gradcheck's
  // step (1e-6): move them away from it.
  for (const Tensor& p : nn::activation_parameters(gru))
    if (p.shape() == Shape{4, 1}) set_values(p, {0.3, 3.98, 0.2, 0.3});
  require_layer_gradcheck(lstm, leaf({2, 5, 3}, 20), leaf({1, 2, 4}, 21), leaf({1, 2, 4}, 22));
  require_layer_gradcheck(gru, leaf({4, 2, 3}, 23), leaf({2, 2, 4}, 24), Tensor());
}

TEST_CASE("recurrent: a layer equals a loop of its cell; reverse runs the sequence backwards",
          "[nn][rnn]") {
  nn::LSTM layer(3, 4, f64({.bidirectional = true}));
  nn::LSTMCell fwd(3, 4, f64()), bwd(3, 4, f64());
  const auto params = layer.named_parameters();
  auto get = [&](const std::string& name) {
    for (const auto& [n, p] : params)
      if (n == name) return p;
    FAIL("no parameter " << name);
    return Tensor();
  };
  for (nn::LSTMCell* cell : {&fwd, &bwd}) {
    const std::string sfx = cell == &fwd ? "_l0" : "_l0_reverse";
    set_values(cell->weight_ih, get("weight_ih" + sfx).to_vector<double>());
    set_values(cell->weight_hh, get("weight_hh" + sfx).to_vector<double>());
    set_values(cell->bias_ih, get("bias_ih" + sfx).to_vector<double>());
    set_values(cell->bias_hh, get("bias_hh" + sfx).to_vector<double>());
  }
  const Tensor x = leaf({6, 2, 3}, 30);
  const nn::RecurrentOutput out = layer.forward_state(x);
  REQUIRE(out.output.shape() == Shape{6, 2, 8});
  REQUIRE(out.h_n.shape() == Shape{2, 2, 4});
  REQUIRE(out.c_n.shape() == Shape{2, 2, 4});
  Tensor h, c;
  for (std::int64_t t = 0; t < 6; ++t) {
    const std::vector<Tensor> hc = fwd.step(x.narrow(0, t, 1).reshape({2, 3}), h, c);
    h = hc[0];
    c = hc[1];
    tgtest::require_values(out.output.narrow(0, t, 1).narrow(2, 0, 4).reshape({2, 4}),
                           h.to_vector<double>(), 1e-15);
  }
  tgtest::require_values(out.h_n.narrow(0, 0, 1).reshape({2, 4}), h.to_vector<double>(), 1e-15);
  tgtest::require_values(out.c_n.narrow(0, 0, 1).reshape({2, 4}), c.to_vector<double>(), 1e-15);
  h = Tensor();
  c = Tensor();
  for (std::int64_t t = 5; t >= 0; --t) {
    const std::vector<Tensor> hc = bwd.step(x.narrow(0, t, 1).reshape({2, 3}), h, c);
    h = hc[0];
    c = hc[1];
    tgtest::require_values(out.output.narrow(0, t, 1).narrow(2, 4, 4).reshape({2, 4}),
                           h.to_vector<double>(), 1e-15);
  }
  tgtest::require_values(out.h_n.narrow(0, 1, 1).reshape({2, 4}), h.to_vector<double>(), 1e-15);
}

TEST_CASE("recurrent: batch_first and unbatched inputs give the same numbers", "[nn][rnn]") {
  Generator g1(5), g2(5), g3(5);
  nn::GRU a(3, 4, f64({.num_layers = 2, .gen = &g1}));
  nn::GRU b(3, 4, f64({.num_layers = 2, .batch_first = true, .gen = &g2}));
  nn::GRU u(3, 4, f64({.num_layers = 2, .gen = &g3}));
  const Tensor x = leaf({5, 2, 3}, 40);
  const nn::RecurrentOutput oa = a.forward_state(x);
  const nn::RecurrentOutput ob = b.forward_state(x.transpose(0, 1).contiguous());
  REQUIRE(ob.output.shape() == Shape{2, 5, 4});
  tgtest::require_values(ob.output.transpose(0, 1), oa.output.to_vector<double>(), 0);
  tgtest::require_values(ob.h_n, oa.h_n.to_vector<double>(), 0);
  const nn::RecurrentOutput ou = u.forward_state(x.narrow(1, 1, 1).reshape({5, 3}));
  REQUIRE(ou.output.shape() == Shape{5, 4});
  REQUIRE(ou.h_n.shape() == Shape{2, 4});
  tgtest::require_values(ou.output, oa.output.narrow(1, 1, 1).to_vector<double>(), 1e-15);
}

TEST_CASE("recurrent: PyTorch's parameter names, shapes and initial range", "[nn][rnn]") {
  nn::LSTM lstm(10, 20, {.num_layers = 2, .bidirectional = true});
  std::vector<std::string> names;
  for (const auto& [n, p] : lstm.named_parameters()) {
    names.push_back(n);
    const double k = 1 / std::sqrt(20.0);
    for (double v : p.to_vector<double>()) REQUIRE(std::abs(v) <= k);
  }
  const std::vector<std::string> expected{
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  REQUIRE(names == expected);
  const auto sd = lstm.state_dict();
  REQUIRE(sd.size() == 16);  // the default sigmoid and tanh have no parameters
  REQUIRE(lstm.named_parameters()[0].second.shape() == Shape{80, 10});
  REQUIRE(lstm.named_parameters()[8].second.shape() == Shape{80, 40});  // 2 directions x 20
  nn::GRU gru(3, 6, {.bias = false});
  REQUIRE(gru.named_parameters().size() == 2);
  REQUIRE(gru.named_parameters()[1].second.shape() == Shape{18, 6});
  nn::RNN rnn(3, 6, {.cell = "relu"});
  REQUIRE(rnn.named_parameters()[0].second.shape() == Shape{6, 3});
}

namespace {

// How many entries named `op` the tape gained since it had `from` entries.
std::size_t entries_since(std::size_t from, const char* op) {
  std::size_t n = 0;
  for (std::size_t i = from; i < tape().size(); ++i) n += std::string(tape()[i].name) == op;
  return n;
}

struct PathResult {
  std::vector<double> output, h_n, c_n;
  std::vector<std::vector<double>> grads;  // x, h0, c0 (LSTM), then every parameter
};

// One forward and backward of a layer built from `o` with seed 7, for the fused and unfused
// comparison.
PathResult run_path(nn::RecurrentKind kind, nn::RecurrentOptions o, const Tensor& x_in,
                    const Tensor& h0_in, const Tensor& c0_in) {
  Generator gen(7);
  o.gen = &gen;
  nn::Recurrent m(kind, x_in.size(2), h0_in.size(2), o);
  const Tensor x = x_in.detach().requires_grad_(), h0 = h0_in.detach().requires_grad_();
  const Tensor c0 = c0_in.defined() ? c0_in.detach().requires_grad_() : Tensor();
  const nn::RecurrentOutput out = m.forward_state(x, h0, c0);
  weighted(out).backward();
  PathResult r{out.output.to_vector<double>(), out.h_n.to_vector<double>(), {}, {}};
  if (out.c_n.defined()) r.c_n = out.c_n.to_vector<double>();
  for (const Tensor& t :
       with_parameters(c0.defined() ? TensorList{x, h0, c0} : TensorList{x, h0}, m))
    r.grads.push_back(t.grad().to_vector<double>());
  return r;
}

void require_close(const std::vector<double>& a, const std::vector<double>& b, double tol) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(b[i]).margin(tol).epsilon(tol));
}

}  // namespace

TEST_CASE("recurrent: the fused path equals the separate ops, values and every gradient",
          "[nn][rnn]") {
  struct Case {
    nn::RecurrentKind kind;
    const char* cell;
  };
  for (const Case& c :
       {Case{nn::RecurrentKind::LSTM, "tanh"}, Case{nn::RecurrentKind::GRU, "tanh"},
        Case{nn::RecurrentKind::RNN, "tanh"}, Case{nn::RecurrentKind::RNN, "relu"}}) {
    for (bool bias : {true, false}) {
      for (DType dt : {DType::Float64, DType::Float32}) {
        INFO("kind " << static_cast<int>(c.kind) << ", cell " << c.cell << ", bias " << bias << ", "
                     << dtype_name(dt));
        const bool lstm = c.kind == nn::RecurrentKind::LSTM;
        const Tensor x = leaf({7, 3, 5}, 50).to(dt), h0 = leaf({4, 3, 6}, 51).to(dt);
        const Tensor c0 = lstm ? leaf({4, 3, 6}, 52).to(dt) : Tensor();
        nn::RecurrentOptions o{
            .num_layers = 2, .bias = bias, .bidirectional = true, .cell = c.cell, .dtype = dt};
        const PathResult fused = run_path(c.kind, o, x, h0, c0);
        o.fused = false;
        const PathResult ops = run_path(c.kind, o, x, h0, c0);
        // float64: rounding differences only (the fused kernel adds the biases in another
        // order); float32: a few ulps of the values, accumulated over the steps.
        const double tol = dt == DType::Float64 ? 1e-12 : 2e-5;
        require_close(fused.output, ops.output, tol);
        require_close(fused.h_n, ops.h_n, tol);
        require_close(fused.c_n, ops.c_n, tol);
        REQUIRE(fused.grads.size() == ops.grads.size());
        for (std::size_t i = 0; i < fused.grads.size(); ++i) {
          INFO("gradient " << i);
          require_close(fused.grads[i], ops.grads[i], dt == DType::Float64 ? 1e-11 : 1e-4);
        }
      }
    }
  }
}

TEST_CASE("recurrent: 2 threads split the batch rows of the fused op and agree with 1 thread",
          "[nn][rnn]") {
  // Large enough that each thread takes a block of rows: a block has at least 8 rows and about
  // 64K multiply-adds per step (28 rows for the RNN with H = 48); 33 rows do not split evenly.
  const int saved = get_num_threads();
  struct Restore {
    int n;
    ~Restore() { set_num_threads(n); }
  } restore{saved};
  for (auto kind : {nn::RecurrentKind::LSTM, nn::RecurrentKind::GRU, nn::RecurrentKind::RNN}) {
    INFO("kind " << static_cast<int>(kind));
    const bool lstm = kind == nn::RecurrentKind::LSTM;
    const Tensor x = leaf({6, 33, 5}, 80), h0 = leaf({2, 33, 48}, 81);
    const Tensor c0 = lstm ? leaf({2, 33, 48}, 82) : Tensor();
    const nn::RecurrentOptions o{.bidirectional = true, .dtype = F64};
    set_num_threads(1);
    const PathResult one = run_path(kind, o, x, h0, c0);
    set_num_threads(2);
    const PathResult two = run_path(kind, o, x, h0, c0);
    nn::RecurrentOptions separate = o;
    separate.fused = false;
    const PathResult ops = run_path(kind, separate, x, h0, c0);
    for (const PathResult* r : {&two, &ops}) {
      require_close(r->output, one.output, 1e-12);
      require_close(r->h_n, one.h_n, 1e-12);
      require_close(r->c_n, one.c_n, 1e-12);
      for (std::size_t i = 0; i < one.grads.size(); ++i) {
        INFO("gradient " << i);
        require_close(r->grads[i], one.grads[i], 1e-11);
      }
    }
  }
}

TEST_CASE("recurrent: which path runs: one fused entry per direction, hooks see every call",
          "[nn][rnn]") {
  const Tensor x = leaf({5, 2, 3}, 60);
  {
    nn::LSTM lstm(3, 4, f64({.num_layers = 2, .bidirectional = true}));
    const std::size_t from = tape().size();
    const nn::RecurrentOutput o = lstm.forward_state(x);
    REQUIRE(entries_since(from, "fused_recurrence") == 4);
    REQUIRE(entries_since(from, "sigmoid") == 0);
    // A forward hook on a gate: the layer calls its gate module at every step instead.
    std::int64_t calls = 0;
    std::shared_ptr<nn::Module> gate;
    for (const auto& [name, m] : lstm.named_children())
      if (name == "gate_l1_reverse") gate = m;
    REQUIRE(gate);
    HookHandle h = gate->register_forward_hook(
        [&](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> {
          ++calls;
          return std::nullopt;
        });
    const std::size_t from2 = tape().size();
    const nn::RecurrentOutput hooked = lstm.forward_state(x);
    REQUIRE(calls == 5 * 3);                                 // 5 steps, gates i, f, o
    REQUIRE(entries_since(from2, "fused_recurrence") == 3);  // the other three directions
    require_close(hooked.output.to_vector<double>(), o.output.to_vector<double>(), 1e-13);
    h.remove();
    const std::size_t from3 = tape().size();
    (void)lstm.forward_state(x);
    REQUIRE(entries_since(from3, "fused_recurrence") == 4);
  }
  {
    // Learnable gates take the separate ops; so does fused = false.
    nn::GRU learnable(3, 4, f64({.gate = "sigmoid_beta"}));
    nn::GRU unfused(3, 4, f64({.fused = false}));
    const std::size_t from = tape().size();
    (void)learnable.forward_state(x);
    (void)unfused.forward_state(x);
    REQUIRE(entries_since(from, "fused_recurrence") == 0);
  }
  {
    // Without grad the fused op records nothing and gives the same values.
    nn::RNN rnn(3, 4, f64({.cell = "relu"}));
    const nn::RecurrentOutput with_grad = rnn.forward_state(x);
    NoGradGuard no_grad;
    const std::size_t from = tape().size();
    const nn::RecurrentOutput without = rnn.forward_state(x);
    REQUIRE(tape().size() == from);
    tgtest::require_values(without.output, with_grad.output.to_vector<double>(), 0);
  }
}

TEST_CASE("recurrent: double backward through the fused op is refused, naming it", "[nn][rnn]") {
  using Catch::Matchers::Contains;
  const Tensor x = leaf({4, 2, 3}, 70);
  for (bool fused : {true, false}) {
    INFO("fused " << fused);
    nn::LSTM lstm(3, 4, f64({.fused = fused}));
    const Tensor loss = sum(mul(lstm.forward_state(x).output, lstm.forward_state(x).output));
    const TensorList g = grad({loss}, {x}, {.create_graph = true});
    const Tensor gg = sum(mul(g[0], g[0]));
    // Separate ops: the registry's sigmoid is a fused kernel too, and says so.
    REQUIRE_THROWS_WITH(grad({gg}, {x}), Contains(fused ? "'fused_recurrence'" : "'sigmoid'"));
  }
}

TEST_CASE("recurrent: fused_recurrence checks its arguments", "[nn][rnn]") {
  using Catch::Matchers::Contains;
  const Tensor xp = zeros({3, 2, 8}), w = zeros({8, 2}), h0 = zeros({2, 2}), c0 = zeros({2, 2});
  REQUIRE(fused_recurrence(FusedRecurrence::lstm, xp, w, Tensor(), h0, c0, false).shape() ==
          Shape{4, 2, 2});
  REQUIRE_THROWS_WITH(fused_recurrence(FusedRecurrence::gru, xp, w, Tensor(), h0, Tensor(), false),
                      Contains("w_hh must be [3 * H, H]"));
  REQUIRE_THROWS_WITH(fused_recurrence(FusedRecurrence::lstm, xp, w, Tensor(), h0, Tensor(), false),
                      Contains("c0"));
  REQUIRE_THROWS_WITH(
      fused_recurrence(FusedRecurrence::lstm, zeros({3, 2, 6}), w, Tensor(), h0, c0, false),
      Contains("xp must be [T >= 1, B, 8]"));
  REQUIRE_THROWS_WITH(
      fused_recurrence(FusedRecurrence::lstm, xp, w, Tensor(), zeros({3, 2}), c0, false),
      Contains("h0 must be [2, 2]"));
  REQUIRE_THROWS_WITH(
      fused_recurrence(FusedRecurrence::lstm, xp, w, zeros({8}, DType::Float64), h0, c0, false),
      Contains("dtype"));
}

TEST_CASE("recurrent: a 10,000-step sequence runs forward and backward", "[nn][rnn]") {
  nn::LSTM lstm(2, 3);
  const Tensor x = randn({10000, 1, 2});
  const nn::RecurrentOutput o = lstm.forward_state(x);
  REQUIRE(o.output.shape() == Shape{10000, 1, 3});
  sum(o.h_n).backward();
  for (const Tensor& p : lstm.parameters()) {
    REQUIRE(p.grad().defined());
    for (double v : p.grad().to_vector<double>()) REQUIRE(std::isfinite(v));
  }
}

TEST_CASE("recurrent: bad shapes and options are errors that say what was expected", "[nn][rnn]") {
  using Catch::Matchers::Contains;
  nn::LSTM lstm(3, 4, {.num_layers = 2});
  REQUIRE_THROWS_WITH(lstm.forward(zeros({5, 2, 7})),
                      Contains("input has 7 features") && Contains("expects 3"));
  REQUIRE_THROWS_WITH(lstm.forward_state(zeros({5, 2, 3}), zeros({1, 2, 4})),
                      Contains("h0: expected shape [2, 2, 4]"));
  REQUIRE_THROWS_WITH(lstm.forward(zeros({5, 2, 3, 1})), Contains("expected an input [T, B, 3]"));
  nn::GRU gru(3, 4);
  REQUIRE_THROWS_WITH(gru.forward_state(zeros({5, 2, 3}), Tensor(), zeros({1, 2, 4})),
                      Contains("only an LSTM takes a c0"));
  REQUIRE_THROWS_WITH(nn::LSTM(3, 4, {.dropout = 1.0}), Contains("dropout must be in [0, 1)"));
  REQUIRE_THROWS_WITH(nn::LSTM(3, 4, {.gate = "sigmoidd"}), Contains("sigmoid"));
  REQUIRE_THROWS_WITH(nn::RNN(0, 4), Contains("must be positive"));
  REQUIRE_THROWS_WITH(lstm.forward(zeros({5, 2, 3}, DType::Float64)),
                      Contains("input dtype float64 differs"));
}

// ---------------------------------------------------------------- against PyTorch

namespace {

std::filesystem::path torch_script() {
  return std::filesystem::path(__FILE__).parent_path() / "torch_recurrent.py";
}

// python3 on PATH may be a build without torch; Debian's python3-torch installs into
// /usr/bin/python3.
std::string python_with_torch() {
  for (const char* py : {"python3", "/usr/bin/python3"}) {
    const std::string cmd = fmt::format("{} -c \"import torch\" >/dev/null 2>&1", py);
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

}  // namespace

TEST_CASE("recurrent: outputs and gradients equal PyTorch's for the same weights", "[nn][rnn]") {
  const std::string py = python_with_torch();
  if (py.empty()) {
    WARN("skipped: no python3 with torch (Debian: apt-get install python3-torch)");
    return;
  }
  tgtest::TempDir dir;
  const std::string ref = dir.file("torch_recurrent.safetensors");
  const std::string cmd = fmt::format("{} {} {}", py, torch_script().string(), ref);
  REQUIRE(std::system(cmd.c_str()) == 0);
  const io::SafetensorsFile f = io::load_safetensors(ref);
  auto get = [&](const std::string& key) {
    const auto it = f.tensors.find(key);
    INFO(key);
    REQUIRE(it != f.tensors.end());
    return it->second;
  };
  struct Config {
    std::string name;
    nn::RecurrentKind kind;
    nn::RecurrentOptions options;
  };
  const std::vector<Config> configs{
      {"lstm", nn::RecurrentKind::LSTM,
       f64({.num_layers = 2, .batch_first = true, .bidirectional = true})},
      {"gru", nn::RecurrentKind::GRU, f64({.num_layers = 2})},
      {"rnn_tanh", nn::RecurrentKind::RNN, f64()},
      {"rnn_relu", nn::RecurrentKind::RNN, f64({.bidirectional = true, .cell = "relu"})}};
  // float64 on both sides; the sums of products differ only in rounding order.
  constexpr double kTol = 1e-12;
  for (const Config& c : configs) {
    INFO(c.name);
    nn::Recurrent m(c.kind, 3, 4, c.options);
    nn::StateDict sd;
    for (const auto& [name, p] : m.named_parameters()) sd[name] = get(c.name + ".param." + name);
    m.load_state_dict(sd);
    const bool lstm = c.kind == nn::RecurrentKind::LSTM;
    Tensor x = get(c.name + ".x").requires_grad_(), h0 = get(c.name + ".h0").requires_grad_();
    Tensor c0 = lstm ? get(c.name + ".c0").requires_grad_() : Tensor();
    const nn::RecurrentOutput o = m.forward_state(x, h0, c0);
    tgtest::require_values(o.output, get(c.name + ".output").to_vector<double>(), kTol);
    tgtest::require_values(o.h_n, get(c.name + ".h_n").to_vector<double>(), kTol);
    Tensor loss =
        add(sum(mul(o.output, get(c.name + ".w_out"))), sum(mul(o.h_n, get(c.name + ".w_h"))));
    if (lstm) {
      tgtest::require_values(o.c_n, get(c.name + ".c_n").to_vector<double>(), kTol);
      loss = add(loss, sum(mul(o.c_n, get(c.name + ".w_c"))));
    }
    loss.backward();
    tgtest::require_values(x.grad(), get(c.name + ".grad.x").to_vector<double>(), kTol);
    tgtest::require_values(h0.grad(), get(c.name + ".grad.h0").to_vector<double>(), kTol);
    if (lstm) tgtest::require_values(c0.grad(), get(c.name + ".grad.c0").to_vector<double>(), kTol);
    for (const auto& [name, p] : m.named_parameters()) {
      INFO(name);
      tgtest::require_values(p.grad(), get(c.name + ".grad." + name).to_vector<double>(), kTol);
    }
  }
}
