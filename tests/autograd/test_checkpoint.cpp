// Gradient checkpointing (autograd/checkpoint.hpp) and backward functions that run a nested
// backward pass (the engine's reentrancy).
#include <fmt/format.h>

#include <tuple>

#include "helpers.hpp"
#include "tapegrad/autograd/checkpoint.hpp"

using namespace tg;

namespace {

// Element-by-element equality of the bits (as float64 values: every float32 is exact there).
void require_identical(const Tensor& a, const Tensor& b) {
  REQUIRE(a.defined());
  REQUIRE(b.defined());
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::size_t differ = 0;
  for (std::size_t k = 0; k < va.size(); ++k) differ += va[k] != vb[k];
  INFO(differ << " of " << va.size() << " elements differ");
  REQUIRE(differ == 0);
}

TensorList grads_of(const TensorList& ts) {
  TensorList g;
  for (const Tensor& t : ts) g.push_back(t.grad());
  return g;
}

void zero_grads(const TensorList& ts) {
  for (Tensor t : ts) t.zero_grad();
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no tg::Error)";
}

// 8 x (Linear(256, 256) + Tanh), float32, split into `segments` Sequentials sharing the layers.
struct Mlp {
  std::vector<std::shared_ptr<nn::Sequential>> blocks;
  TensorList params;
  Mlp(int layers, int segments) {
    manual_seed(2024);
    const int per = layers / segments;
    for (int s = 0; s < segments; ++s) {
      auto b = std::make_shared<nn::Sequential>();
      for (int l = 0; l < per; ++l) {
        b->push_back(std::make_shared<nn::Linear>(256, 256));
        b->push_back(std::make_shared<nn::Tanh>());
      }
      blocks.push_back(b);
      for (const Tensor& p : b->parameters()) params.push_back(p);
    }
  }
};

struct RunResult {
  TensorList grads;            // input, then parameters
  std::size_t peak_saved = 0;  // over the forward pass
  // Over the backward pass: the plain run's tape keeps every saved tensor until the pass ends;
  // a checkpointed run's holds the segments' inputs plus one recomputed segment at a time.
  std::size_t peak_saved_backward = 0;
  double loss = 0;
};

enum class Mode { plain, checkpoint, checkpoint_declared };

RunResult run_mlp(Mlp& m, const Tensor& x, Mode mode) {
  zero_grads(m.params);
  Tensor xin = x.detach();
  xin.requires_grad_();
  RunResult r;
  Tensor h = xin;
  for (auto& b : m.blocks) {
    if (mode == Mode::plain) {
      h = (*b)(h);
    } else {
      CheckpointOptions o;
      if (mode == Mode::checkpoint_declared) o.params = b->parameters();
      h = checkpoint(
          [b, &r](const Tensor& t) {
            Tensor out = (*b)(t);
            // With grad mode on this is the recomputation, its entries now on the tape.
            if (is_grad_enabled())
              r.peak_saved_backward = std::max(r.peak_saved_backward, saved_bytes());
            return out;
          },
          h, o);
    }
    r.peak_saved = std::max(r.peak_saved, saved_bytes());
  }
  Tensor loss = mean(square(h));
  r.peak_saved = std::max(r.peak_saved, saved_bytes());
  r.loss = loss.item();
  if (mode == Mode::plain) r.peak_saved_backward = r.peak_saved;
  loss.backward();
  r.grads.push_back(xin.grad());
  for (const Tensor& g : grads_of(m.params)) r.grads.push_back(g);
  return r;
}

}  // namespace

TEST_CASE("a checkpointed MLP has bit-identical gradients and a lower peak of saved bytes",
          "[autograd][checkpoint]") {
  Generator g(7);
  const Tensor x = randn({64, 256}, DType::Float32, &g);
  Mlp plain_model(8, 1);
  const RunResult plain = run_mlp(plain_model, x, Mode::plain);
  tape().prune();  // dead entries of earlier cases (unused outputs)
  INFO(tape().to_string());
  REQUIRE(tape().empty());
  for (int segments : {2, 4}) {
    Mlp m(8, segments);
    for (Mode mode : {Mode::checkpoint, Mode::checkpoint_declared}) {
      const RunResult ck = run_mlp(m, x, mode);
      const char* how = mode == Mode::checkpoint ? "parameters found" : "parameters declared";
      INFO(segments << " segments, " << how);
      fmt::print(
          "checkpoint MLP 8 x Linear(256)+Tanh, batch 64, float32, {} segments ({}): peak saved "
          "bytes in forward {} (plain {}), in backward {} (plain {})\n",
          segments, how, ck.peak_saved, plain.peak_saved, ck.peak_saved_backward,
          plain.peak_saved_backward);
      REQUIRE(ck.loss == plain.loss);
      REQUIRE(ck.grads.size() == plain.grads.size());
      for (std::size_t i = 0; i < ck.grads.size(); ++i) {
        INFO("gradient " << i << " (0: input, then weight/bias of each layer)");
        require_identical(ck.grads[i], plain.grads[i]);
      }
      REQUIRE(ck.peak_saved < plain.peak_saved);
      REQUIRE(ck.peak_saved_backward > ck.peak_saved);  // the recomputation was measured
      REQUIRE(ck.peak_saved_backward < plain.peak_saved_backward);
      INFO(tape().to_string());
      REQUIRE(tape().empty());
    }
  }
}

TEST_CASE("checkpoint: an input that does not require grad still gives the weights gradients",
          "[autograd][checkpoint]") {
  // PyTorch's reentrant checkpoint returns no gradient for the weights here.
  Generator g(3);
  const Tensor x = randn({4, 6}, DType::Float64, &g);  // data: no grad
  Tensor W = randn({6, 5}, DType::Float64, &g).requires_grad_();
  Tensor b = randn({5}, DType::Float64, &g).requires_grad_();
  auto fn = [&](const Tensor& t) { return tanh(add(matmul(t, W), b)); };
  sum(square(fn(x))).backward();
  const Tensor gW = W.grad(), gb = b.grad();
  zero_grads({W, b});
  Tensor y = checkpoint(fn, x);
  REQUIRE(y.requires_grad());
  sum(square(y)).backward();
  require_identical(W.grad(), gW);
  require_identical(b.grad(), gb);
  // Declared, they are reachable by tg::grad() too (and .grad() is left alone).
  zero_grads({W, b});
  Tensor y2 = checkpoint(fn, x, {.params = {W, b}});
  const TensorList gs = grad({sum(square(y2))}, {W, b});
  require_identical(gs[0], gW);
  require_identical(gs[1], gb);
  REQUIRE_FALSE(W.grad().defined());
}

TEST_CASE("checkpoint: several outputs, one of them unused", "[autograd][checkpoint]") {
  Generator g(5);
  Tensor x = randn({3, 4}, DType::Float64, &g).requires_grad_();
  Tensor z = randn({3, 2}, DType::Float64, &g).requires_grad_();
  Tensor W = randn({4, 2}, DType::Float64, &g).requires_grad_();
  auto fn = [&](const TensorList& in) {
    Tensor a = matmul(in[0], W);
    return TensorList{tanh(a), mul(sigmoid(a), in[1]), exp(a)};
  };
  auto loss_of = [](const TensorList& o) {
    return add(sum(square(o[0])), sum(mul(o[1], o[0])));  // o[2] unused
  };
  loss_of(fn({x, z})).backward();
  const TensorList plain = grads_of({x, z, W});
  zero_grads({x, z, W});
  const TensorList outs = checkpoint(fn, {x, z});
  REQUIRE(outs.size() == 3);
  loss_of(outs).backward();
  const TensorList ck = grads_of({x, z, W});
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("gradient " << i);
    require_identical(ck[i], plain[i]);
  }
  // Only the unused output: no gradient flows, and nothing fails.
  zero_grads({x, z, W});
  const TensorList o2 = checkpoint(fn, {x, z});
  const TensorList gz = grad({sum(o2[2])}, {x}, {.allow_unused = true});
  const Tensor a = matmul(x, W).detach();
  tgtest::require_values(gz[0], matmul(exp(a), W.detach().t()).to_vector<double>(), 1e-12);
}

TEST_CASE("checkpoint: sequential and nested segments", "[autograd][checkpoint]") {
  Generator g(11);
  Tensor x = randn({5, 3}, DType::Float64, &g).requires_grad_();
  Tensor W1 = randn({3, 3}, DType::Float64, &g).requires_grad_();
  Tensor W2 = randn({3, 3}, DType::Float64, &g).requires_grad_();
  auto l1 = [&](const Tensor& t) { return tanh(matmul(t, W1)); };
  auto l2 = [&](const Tensor& t) { return sin(matmul(t, W2)); };
  sum(l2(l1(l2(l1(x))))).backward();
  const TensorList plain = grads_of({x, W1, W2});

  zero_grads({x, W1, W2});
  Tensor h = checkpoint(l1, x);
  h = checkpoint(l2, h);
  h = checkpoint(l1, h);
  sum(checkpoint(l2, h)).backward();
  TensorList ck = grads_of({x, W1, W2});
  for (std::size_t i = 0; i < 3; ++i) require_identical(ck[i], plain[i]);

  // A checkpoint inside a checkpoint: the outer recomputation records the inner one, whose own
  // recomputation is a backward pass nested two deep.
  zero_grads({x, W1, W2});
  auto block = [&](const Tensor& t) { return l2(checkpoint(l1, t)); };
  Tensor o = checkpoint([&](const Tensor& t) { return block(checkpoint(block, t)); }, x);
  sum(o).backward();
  ck = grads_of({x, W1, W2});
  for (std::size_t i = 0; i < 3; ++i) require_identical(ck[i], plain[i]);
  tape().prune();  // dead entries of earlier cases (unused outputs)
  INFO(tape().to_string());
  REQUIRE(tape().empty());
}

TEST_CASE("checkpoint: dropout draws the same mask in the recomputation",
          "[autograd][checkpoint]") {
  Generator g(13);
  const Tensor x0 = randn({16, 32}, DType::Float32, &g);
  manual_seed(99);
  auto lin = std::make_shared<nn::Linear>(32, 32);
  auto drop = std::make_shared<nn::Dropout>(0.5);
  nn::Sequential net{lin, drop};
  auto run = [&](bool ck, bool preserve) {
    lin->weight.zero_grad();
    Tensor x = x0.detach();
    x.requires_grad_();
    manual_seed(1234);
    Tensor y = ck ? checkpoint([&](const Tensor& t) { return net(t); }, x,
                               {.preserve_rng_state = preserve})
                  : net(x);
    sum(square(y)).backward();
    return std::make_tuple(x.grad(), lin->weight.grad(), default_generator().state());
  };
  const auto [gx, gw, state] = run(false, true);
  const auto [cx, cw, cstate] = run(true, true);
  require_identical(cx, gx);
  require_identical(cw, gw);
  REQUIRE(cstate == state);  // the recomputation does not shift the user's random sequence
  // Without the saved state the recomputation draws another mask: the gradient is wrong.
  const auto [bx, bw, bstate] = run(true, false);
  const auto bv = bx.to_vector<double>(), gv = gx.to_vector<double>();
  REQUIRE(bv != gv);
}

TEST_CASE("checkpoint: gradients from retain_graph passes and from tg::grad",
          "[autograd][checkpoint]") {
  Generator g(17);
  Tensor x = randn({4, 4}, DType::Float64, &g).requires_grad_();
  Tensor W = randn({4, 4}, DType::Float64, &g).requires_grad_();
  auto fn = [&](const Tensor& t) { return tanh(matmul(t, W)); };
  Tensor plain_loss = sum(square(fn(x)));
  const TensorList plain = grad({plain_loss}, {x, W});
  Tensor loss = sum(square(checkpoint(fn, x, {.params = {W}})));
  const TensorList first = grad({loss}, {x, W}, {.retain_graph = true});
  const TensorList second = grad({loss}, {x, W});
  for (std::size_t i = 0; i < 2; ++i) {
    require_identical(first[i], plain[i]);
    require_identical(second[i], plain[i]);
  }
}

TEST_CASE("checkpoint: clear errors", "[autograd][checkpoint]") {
  Generator g(19);
  Tensor x = randn({3, 3}, DType::Float64, &g).requires_grad_();
  Tensor W = randn({3, 3}, DType::Float64, &g).requires_grad_();
  SECTION("create_graph is refused") {
    Tensor y = checkpoint([&](const Tensor& t) { return tanh(matmul(t, W)); }, x);
    CHECK_THAT(error_of([&] { grad({sum(y)}, {x}, {.create_graph = true}); }),
               Catch::Contains("checkpoint: create_graph=true through a checkpointed segment is "
                               "not supported"));
  }
  SECTION("a closed-over tensor with history must be an input") {
    Tensor h = exp(x);
    Tensor y = checkpoint([&](const Tensor& t) { return mul(t, h); }, x);
    CHECK_THAT(error_of([&] { sum(y).backward(); }),
               Catch::Contains("without receiving it as an input; pass it in the inputs"));
  }
  SECTION("an input modified in place before backward") {
    Tensor c = randn({3, 3}, DType::Float64, &g);
    Tensor y = checkpoint([&](const Tensor& t) { return tanh(matmul(t, W)); }, c);
    CHECK_THAT(error_of([&] {
                 c.add_(ones({3, 3}, DType::Float64));
               }),
               Catch::Contains("is saved by 'checkpoint' (entry"));
  }
  tape().clear();
}

namespace {
// An identity op whose backward runs a nested grad() over `graph` (which it consumes).
Tensor identity_with_nested_pass(const Tensor& x, std::function<void()> nested) {
  Tensor y = x.detach().clone();
  autograd::record("nested_identity", {x}, y, {},
                   [nested](const Tensor& gy, const Tensor&) -> TensorList {
                     nested();
                     return {gy};
                   });
  return y;
}
}  // namespace

TEST_CASE("a backward function may run a nested backward pass", "[autograd][checkpoint]") {
  SECTION("over a graph recorded before the outer one (the outer entries keep their indices)") {
    Tensor p = tgtest::leaf({3}, 1);
    Tensor x = tgtest::leaf({3}, 2);
    Tensor a = mul(exp(p), 3.0);  // graph A: two entries before the outer graph
    Tensor inner_grad;
    Tensor y = tanh(x);
    Tensor z = identity_with_nested_pass(y, [&] {
      EnableGradGuard eg;  // backward functions run under NoGradGuard without create_graph
      inner_grad = grad({sum(square(a))}, {p})[0];  // consumes graph A
    });
    Tensor loss = sum(exp(z));
    loss.backward();
    const Tensor xd = x.detach(), pd = p.detach();
    // d/dx sum(exp(tanh x)) = exp(tanh x) (1 - tanh^2 x); d/dp sum(9 exp(2p)) = 18 exp(2p).
    const Tensor t = tanh(xd);
    tgtest::require_values(x.grad(), mul(exp(t), sub(ones_like(t), square(t))).to_vector<double>(),
                           1e-12);
    tgtest::require_values(inner_grad, mul(exp(mul(pd, 2.0)), 18.0).to_vector<double>(), 1e-12);
    // Both graphs were consumed, graph A at the end of the outer pass.
    tape().prune();
    INFO(tape().to_string());
    REQUIRE(tape().empty());
    CHECK_THAT(error_of([&] { sum(a).backward(); }), Catch::Contains("consumed"));
  }
  SECTION("touching a leaf that the outer pass is accumulating") {
    // loss = sum(c * p) with c = 2p: dloss/dp = 4p, half of it from each use of p. The nested
    // pass in between also differentiates through p.
    Tensor p = tgtest::leaf({4}, 3);
    Tensor inner;
    Tensor c = identity_with_nested_pass(mul(p, 2.0), [&] {
      EnableGradGuard eg;
      inner = grad({sum(mul(p, p))}, {p})[0];
    });
    sum(mul(c, p)).backward();
    tgtest::require_values(p.grad(), mul(p.detach(), 4.0).to_vector<double>(), 1e-12);
    tgtest::require_values(inner, mul(p.detach(), 2.0).to_vector<double>(), 1e-12);
    tape().prune();
    INFO(tape().to_string());
    REQUIRE(tape().empty());
  }
}
