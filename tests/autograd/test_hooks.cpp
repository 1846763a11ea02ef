// Hooks: tensor gradient hooks, post-accumulate-grad hooks, module forward and backward hooks.
#include "helpers.hpp"

using namespace tg;

namespace {

Tensor f64(std::initializer_list<double> v, const Shape& s = {}) {
  return tensor(v, s, DType::Float64);
}

// d/dx sum(tanh(x)^2) = 2 tanh(x) (1 - tanh(x)^2), by hand.
std::vector<double> dtanh2(const std::vector<double>& xs, double scale = 1) {
  std::vector<double> out;
  for (double x : xs) {
    const double t = std::tanh(x);
    out.push_back(scale * 2 * t * (1 - t * t));
  }
  return out;
}

}  // namespace

TEST_CASE("hooks: an observing tensor hook sees the exact gradient and changes nothing",
          "[autograd][hooks]") {
  Tensor x = f64({0.3, -1.2, 2.0}).requires_grad_();
  Tensor h = tanh(x);
  Tensor seen_h, seen_x;
  h.register_hook([&](const Tensor& g) -> std::optional<Tensor> {
    seen_h = g.clone();
    return std::nullopt;
  });
  x.register_hook([&](const Tensor& g) -> std::optional<Tensor> {
    seen_x = g.clone();
    return std::nullopt;
  });
  mul(h, h).sum().backward();
  // dL/dh = 2h; dL/dx as by hand; the leaf's hook saw what .grad then holds.
  tgtest::require_values(seen_h, (h * 2.0).detach().to_vector<double>(), 1e-15);
  tgtest::require_values(seen_x, dtanh2({0.3, -1.2, 2.0}), 1e-12);
  tgtest::require_values(x.grad(), dtanh2({0.3, -1.2, 2.0}), 1e-12);
}

TEST_CASE("hooks: gradcheck passes with observing hooks on a leaf and an intermediate",
          "[autograd][hooks]") {
  Tensor x = tgtest::leaf({2, 3}, 3);
  Tensor w = tgtest::leaf({2, 3}, 4);
  int calls = 0;
  auto observe = [&](const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return std::nullopt;
  };
  x.register_hook(observe);
  const auto fn = [&](const TensorList& in) {
    Tensor h = tanh(mul(in[0], in[1]));
    if (h.requires_grad()) h.register_hook(observe);  // not in gradcheck's no-grad evaluations
    return mul(h, in[0]);
  };
  REQUIRE(gradcheck(fn, {x, w}));
  REQUIRE(calls > 0);
}

TEST_CASE("hooks: a hook that replaces a gradient changes everything upstream (gradcheck)",
          "[autograd][hooks]") {
  // f = h^2 + detach(h^2) with h = tanh(x): its value changes twice as fast as autograd sees
  // through h^2 alone. A hook doubling dL/dh makes the analytic gradient match the numeric one
  // exactly, so gradcheck passes only if the replacement reaches x.
  Tensor x = tgtest::leaf({5}, 8);
  const auto fn = [&](const TensorList& in) {
    Tensor h = tanh(in[0]);
    if (h.requires_grad())  // not in gradcheck's no-grad evaluations
      h.register_hook([](const Tensor& g) -> std::optional<Tensor> { return g * 2.0; });
    Tensor sq = mul(h, h);
    return add(sq, sq.detach());
  };
  REQUIRE(gradcheck(fn, {x}));
  // Without the hook the same function fails gradcheck (the check can fail).
  const auto no_hook = [&](const TensorList& in) {
    Tensor h = tanh(in[0]);
    Tensor sq = mul(h, h);
    return add(sq, sq.detach());
  };
  REQUIRE_FALSE(gradcheck(no_hook, {x}));
}

TEST_CASE("hooks: leaf hooks run before accumulation, in registration order, each on the last",
          "[autograd][hooks]") {
  Tensor x = f64({1.0, -2.0}).requires_grad_();
  x.register_hook([](const Tensor& g) -> std::optional<Tensor> { return g + 1.0; });
  x.register_hook([](const Tensor& g) -> std::optional<Tensor> { return g * 2.0; });
  mul(x, 3.0).sum().backward();  // g = 3 -> (3 + 1) * 2 = 8
  tgtest::require_values(x.grad(), {8.0, 8.0}, 0);
  mul(x, x).sum().backward();  // g = 2x -> (2x + 1) * 2, added to 8
  tgtest::require_values(x.grad(), {8.0 + 6.0, 8.0 - 6.0}, 0);
}

TEST_CASE("hooks: remove() detaches a hook, twice is harmless, and so is a dead tensor",
          "[autograd][hooks]") {
  Tensor x = f64({2.0}).requires_grad_();
  HookHandle hd =
      x.register_hook([](const Tensor& g) -> std::optional<Tensor> { return g * 10.0; });
  mul(x, x).sum().backward();
  tgtest::require_values(x.grad(), {40.0}, 0);
  REQUIRE(hd.attached());
  hd.remove();
  REQUIRE_FALSE(hd.attached());
  hd.remove();
  x.zero_grad();
  mul(x, x).sum().backward();
  tgtest::require_values(x.grad(), {4.0}, 0);
  HookHandle gone;
  {
    Tensor t = f64({1.0}).requires_grad_();
    gone = t.register_hook([](const Tensor&) -> std::optional<Tensor> { return std::nullopt; });
  }
  gone.remove();
}

TEST_CASE("hooks: grad() runs tensor hooks too", "[autograd][hooks]") {
  Tensor x = f64({0.5, 1.5}).requires_grad_();
  Tensor h = tanh(x);
  h.register_hook([](const Tensor& g) -> std::optional<Tensor> { return g * 3.0; });
  const Tensor gx = grad(mul(h, h).sum(), x);
  tgtest::require_values(gx, dtanh2({0.5, 1.5}, 3.0), 1e-12);
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("hooks: a leaf given twice to grad() runs its hooks once, and both results agree",
          "[autograd][hooks]") {
  Tensor x = f64({0.5, 1.5}).requires_grad_();
  int calls = 0;
  x.register_hook([&](const Tensor& g) -> std::optional<Tensor> {
    ++calls;
    return g * 2.0;
  });
  const TensorList g = grad({mul(x, x).sum()}, {x, x});
  REQUIRE(calls == 1);
  REQUIRE(g.size() == 2);
  tgtest::require_values(g[0], {2.0, 6.0}, 1e-15);  // 2 * (2x), doubled once
  tgtest::require_values(g[1], {2.0, 6.0}, 1e-15);
}

TEST_CASE("hooks: bad registrations and bad replacements are clear errors", "[autograd][hooks]") {
  Tensor c = f64({1.0});
  REQUIRE_THROWS_WITH(
      c.register_hook([](const Tensor&) -> std::optional<Tensor> { return std::nullopt; }),
      Catch::Contains("does not require grad"));
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor h = mul(x, 2.0);
  REQUIRE_THROWS_WITH(h.register_post_accumulate_grad_hook([](const Tensor&) {}),
                      Catch::Contains("not a leaf"));
  h.register_hook([](const Tensor&) -> std::optional<Tensor> { return f64({1.0, 2.0, 3.0}); });
  REQUIRE_THROWS_WITH(h.sum().backward(),
                      Catch::Contains("shape [3]") && Catch::Contains("shape [2]"));
}

TEST_CASE("hooks: a post-accumulate hook runs once per backward, after .grad is complete",
          "[autograd][hooks]") {
  Tensor w = f64({1.5, -0.5}).requires_grad_();
  std::vector<std::vector<double>> seen;
  w.register_post_accumulate_grad_hook(
      [&](const Tensor& leaf) { seen.push_back(leaf.grad().to_vector<double>()); });
  // w is used twice: the hook still runs once, with both contributions summed.
  add(mul(w, w), mul(w, 4.0)).sum().backward();  // 2w + 4
  REQUIRE(seen.size() == 1);
  REQUIRE(seen[0] == std::vector<double>{7.0, 3.0});
  mul(w, 2.0).sum().backward();  // accumulates + 2
  REQUIRE(seen.size() == 2);
  REQUIRE(seen[1] == std::vector<double>{9.0, 5.0});
}

TEST_CASE("module hooks: forward pre-hook and forward hook observe and replace",
          "[autograd][hooks][nn]") {
  auto lin = std::make_shared<nn::Linear>(2, 1, true, DType::Float64);
  {
    NoGradGuard ng;
    lin->weight.copy_(f64({1.0, 2.0}, {1, 2}));
    lin->bias.copy_(f64({0.5}, {1}));
  }
  Tensor x = f64({1.0, 1.0}, {1, 2});
  tgtest::require_values((*lin)(x), {3.5}, 0);
  auto pre = lin->register_forward_pre_hook(
      [](nn::Module&, const Tensor& in) -> std::optional<Tensor> { return in * 2.0; });
  tgtest::require_values((*lin)(x), {6.5}, 0);  // W (2x) + b
  Tensor seen_in, seen_out;
  auto post = lin->register_forward_hook(
      [&](nn::Module& m, const Tensor& in, const Tensor& out) -> std::optional<Tensor> {
        REQUIRE(m.type_name() == "Linear");
        seen_in = in;
        seen_out = out;
        return out + 1.0;
      });
  tgtest::require_values((*lin)(x), {7.5}, 0);
  tgtest::require_values(seen_in, {2.0, 2.0}, 0);  // after the pre-hook
  tgtest::require_values(seen_out, {6.5}, 0);
  pre.remove();
  post.remove();
  tgtest::require_values((*lin)(x), {3.5}, 0);
}

TEST_CASE(
    "module hooks: a full backward hook sees dL/d(input) and dL/d(output), and may replace "
    "dL/d(input)",
    "[autograd][hooks][nn]") {
  Generator gen(5);
  auto lin = std::make_shared<nn::Linear>(3, 2, true, DType::Float64);
  Tensor x = randn({4, 3}, DType::Float64, &gen).requires_grad_();
  Tensor gi_seen, go_seen;
  auto hd = lin->register_full_backward_hook(
      [&](nn::Module&, const Tensor& gi, const Tensor& go) -> std::optional<Tensor> {
        gi_seen = gi.clone();
        go_seen = go.clone();
        return std::nullopt;
      });
  Tensor y = (*lin)(x);
  Tensor loss = mul(y, y).sum();
  loss.backward();
  // dL/dy = 2y; dL/dx = 2y W.
  tgtest::require_values(go_seen, (y * 2.0).detach().to_vector<double>(), 1e-14);
  tgtest::require_values(gi_seen,
                         matmul(y.detach() * 2.0, lin->weight.detach()).to_vector<double>(), 1e-12);
  tgtest::require_values(x.grad(), gi_seen.to_vector<double>(), 0);
  hd.remove();
  // A replacement: x's gradient becomes what the hook returned.
  lin->register_full_backward_hook(
      [](nn::Module&, const Tensor& gi, const Tensor&) -> std::optional<Tensor> {
        return zeros(gi.shape(), gi.dtype());
      });
  x.zero_grad();
  lin->zero_grad();
  Tensor y2 = (*lin)(x);
  mul(y2, y2).sum().backward();
  tgtest::require_values(x.grad(), std::vector<double>(12, 0.0), 0);
  REQUIRE(lin->weight.grad().defined());  // the parameters still get theirs
}

TEST_CASE("module hooks: a backward hook on a module whose input needs no grad still runs",
          "[autograd][hooks][nn]") {
  auto lin = std::make_shared<nn::Linear>(2, 2, true, DType::Float64);
  int calls = 0;
  lin->register_full_backward_hook(
      [&](nn::Module&, const Tensor& gi, const Tensor& go) -> std::optional<Tensor> {
        ++calls;
        REQUIRE_FALSE(gi.defined());
        REQUIRE(go.shape() == Shape{1, 2});
        return std::nullopt;
      });
  Tensor y = (*lin)(f64({1.0, 2.0}, {1, 2}));
  y.sum().backward();
  REQUIRE(calls == 1);
}

TEST_CASE("module hooks: gradcheck through a module with an identity backward hook",
          "[autograd][hooks][nn]") {
  auto lin = std::make_shared<nn::Linear>(3, 2, true, DType::Float64);
  lin->register_full_backward_hook(
      [](nn::Module&, const Tensor& gi, const Tensor&) -> std::optional<Tensor> { return gi; });
  Tensor x = tgtest::leaf({2, 3}, 12);
  REQUIRE(gradcheck([&](const TensorList& in) { return tanh((*lin)(in[0])); },
                    {x, lin->weight, lin->bias}));
}

TEST_CASE("module hooks: global hooks see every module call, until removed",
          "[autograd][hooks][nn]") {
  auto net = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 3, true, DType::Float64),
      std::make_shared<nn::Linear>(3, 1, true, DType::Float64)});
  std::vector<nn::Module*> forward, backward;
  auto f = nn::register_module_forward_hook(
      [&](nn::Module& m, const Tensor&, const Tensor&) -> std::optional<Tensor> {
        forward.push_back(&m);
        return std::nullopt;
      });
  auto b = nn::register_module_full_backward_hook(
      [&](nn::Module& m, const Tensor&, const Tensor&) -> std::optional<Tensor> {
        backward.push_back(&m);
        return std::nullopt;
      });
  Tensor x = f64({1.0, 2.0}, {1, 2}).requires_grad_();
  (*net)(x).sum().backward();
  nn::Module* first = net->children()[0].get();
  nn::Module* second = net->children()[1].get();
  // Forward hooks run as each call ends (children first). A backward hook runs when the gradient
  // with respect to its module's input is known: the last layer first, the whole net last.
  REQUIRE(forward == std::vector<nn::Module*>{first, second, net.get()});
  REQUIRE(backward == std::vector<nn::Module*>{second, first, net.get()});
  f.remove();
  b.remove();
  forward.clear();
  backward.clear();
  (*net)(x).sum().backward();
  REQUIRE(forward.empty());
  REQUIRE(backward.empty());
}
