// Optimizer base behaviour: state_dict round trips, zero_grad, skipping parameters without a
// gradient, version counters, and the errors (bad options, bad parameters, bad state).
#include <cstring>
#include <functional>
#include <memory>

#include "helpers.hpp"
#include "tapegrad/optim/optim.hpp"

using namespace tg;
using namespace tg::optim;

namespace {

Tensor param(std::initializer_list<double> v, const Shape& shape = {}) {
  Tensor p = tensor(v, shape, DType::Float64);
  p.requires_grad_();
  return p;
}

// Two groups: {a [2,3], b [4]} and {c [3]}.
struct Params {
  Tensor a, b, c;
  Params() : a(tgtest::leaf({2, 3}, 11)), b(tgtest::leaf({4}, 12)), c(tgtest::leaf({3}, 13)) {}
  Params copy() const {
    Params q;
    q.a = a.detach().clone();
    q.b = b.detach().clone();
    q.c = c.detach().clone();
    q.a.requires_grad_();
    q.b.requires_grad_();
    q.c.requires_grad_();
    return q;
  }
  std::vector<ParamGroup> groups() const { return {{{a, b}, {}}, {{c}, {{"lr", 0.02}}}}; }
  std::vector<Tensor> all() const { return {a, b, c}; }
};

// Deterministic gradient depending on the step and the current values: g = sin(3x + s) + 0.1*s.
void set_grads(const Params& p, int s) {
  NoGradGuard ng;
  for (Tensor t : p.all()) {
    std::vector<double> v = t.to_vector<double>();
    for (double& x : v) x = std::sin(3 * x + s) + 0.1 * s;
    t.set_grad(tensor(v, t.shape(), DType::Float64));
  }
}

bool bit_identical(const Tensor& x, const Tensor& y) {
  const auto a = x.to_vector<double>(), b = y.to_vector<double>();
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup>)>;

// Runs k steps, saves, builds a fresh optimizer on copies of the parameters (with a different
// lr, which load must overwrite), loads, and runs one more step on both.
void check_round_trip(const Factory& make, int k = 4) {
  Params p;
  auto opt = make(p.groups());
  for (int s = 0; s < k; ++s) {
    set_grads(p, s);
    opt->step();
  }
  const OptimizerState saved = opt->state_dict();
  Params q = p.copy();
  auto fresh = make(q.groups());
  fresh->param_groups()[0].options["lr"] = 123.0;  // must be replaced by the saved value
  fresh->load_state_dict(saved);
  REQUIRE(fresh->param_groups()[0].options == opt->param_groups()[0].options);
  REQUIRE(fresh->param_groups()[1].options == opt->param_groups()[1].options);
  set_grads(p, k);
  set_grads(q, k);
  opt->step();
  fresh->step();
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("parameter " << i);
    REQUIRE(bit_identical(p.all()[i], q.all()[i]));
  }
  // The saved state was a copy: the step above did not change it.
  const OptimizerState after = opt->state_dict();
  for (const auto& [key, t] : saved.tensors) {
    INFO(key);
    REQUIRE(after.tensors.count(key));
    REQUIRE_FALSE(bit_identical(t, after.tensors.at(key)));
  }
  // Step counts continued from the saved ones.
  for (const auto& [key, v] : after.scalars)
    if (key.ends_with(".step")) REQUIRE(v == k + 1);
}

}  // namespace

TEST_CASE("state_dict round trip: SGD with momentum", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(
        std::move(g),
        SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01});
  });
}

TEST_CASE("state_dict round trip: SGD nesterov", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(std::move(g),
                                 SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  });
}

TEST_CASE("state_dict round trip: Adam amsgrad", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<Adam>(std::move(g),
                                  AdamOptions{.lr = 0.1, .weight_decay = 0.01, .amsgrad = true});
  });
}

TEST_CASE("state_dict round trip: Adam", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<Adam>(std::move(g), AdamOptions{.lr = 0.05});
  });
}

TEST_CASE("state_dict round trip: AdamW", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<AdamW>(std::move(g), AdamWOptions{.lr = 0.05, .weight_decay = 0.1});
  });
}

TEST_CASE("state_dict round trip: RMSprop centered with momentum", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<RMSprop>(
        std::move(g),
        RMSpropOptions{.lr = 0.01, .weight_decay = 0.01, .momentum = 0.5, .centered = true});
  });
}

TEST_CASE("state_dict round trip: RMSprop plain", "[optim]") {
  check_round_trip([](std::vector<ParamGroup> g) {
    return std::make_unique<RMSprop>(std::move(g), RMSpropOptions{.lr = 0.01});
  });
}

TEST_CASE("state_dict layout", "[optim]") {
  Tensor p = param({1, 2, 3}), q = param({4, 5});
  Adam opt(std::vector<ParamGroup>{{{p}, {}}, {{q}, {{"lr", 0.5}}}}, {.lr = 0.1});
  p.set_grad(tensor({1, 1, 1}, {3}, DType::Float64));
  opt.step();
  p.set_grad(tensor({1, 1, 1}, {3}, DType::Float64));
  opt.step();
  const OptimizerState s = opt.state_dict();
  // q never had a gradient: it has no state.
  std::vector<std::string> keys;
  for (const auto& [k, t] : s.tensors) keys.push_back(k);
  REQUIRE(keys == std::vector<std::string>{"state.0.0.exp_avg", "state.0.0.exp_avg_sq"});
  REQUIRE(s.scalars.at("state.0.0.step") == 2);
  REQUIRE_FALSE(s.scalars.count("state.1.0.step"));
  REQUIRE(s.scalars.at("param_groups.0.lr") == 0.1);
  REQUIRE(s.scalars.at("param_groups.1.lr") == 0.5);
  REQUIRE(s.scalars.at("param_groups.1.beta2") == 0.999);
  REQUIRE(s.scalars.at("param_groups.0.amsgrad") == 0);
  REQUIRE(s.scalars.at("param_groups.0.params") == 1);
  // exp_avg after two steps with g = 1: 0.9*0.1 + 0.1 = 0.19
  tgtest::require_values(s.tensors.at("state.0.0.exp_avg"), {0.19, 0.19, 0.19}, 1e-12);
  // q is unchanged.
  tgtest::require_values(q, {4, 5}, 0);
}

TEST_CASE("load_state_dict converts state to the parameter dtype", "[optim]") {
  // Saved from a float64 run, loaded into float32 parameters.
  Tensor p = param({1, 2});
  SGD a({p}, {.lr = 0.1, .momentum = 0.5});
  p.set_grad(tensor({1, -1}, {2}, DType::Float64));
  a.step();  // buf = [1, -1], p = [0.9, 2.1]
  Tensor f = tensor({0.9, 2.1}, {2}, DType::Float32);
  f.requires_grad_();
  SGD b({f}, {.lr = 0.1, .momentum = 0.5});
  b.load_state_dict(a.state_dict());
  f.set_grad(tensor({1, -1}, {2}, DType::Float32));
  b.step();  // buf = 0.5*[1,-1] + [1,-1] = [1.5, -1.5]; f = [0.9-0.15, 2.1+0.15]
  tgtest::require_values(f, {0.75, 2.25}, 1e-6);
  REQUIRE(b.state_dict().tensors.at("state.0.0.momentum_buffer").dtype() == DType::Float32);
}

TEST_CASE("zero_grad drops gradients; parameters without grad are skipped", "[optim]") {
  Tensor p = param({1, 2}), q = param({3, 4});
  SGD opt({p, q}, {.lr = 0.5, .momentum = 0.9});
  mul(p, p).sum().backward();  // grad p = 2p = [2, 4]; q gets none
  REQUIRE(p.grad().defined());
  REQUIRE_FALSE(q.grad().defined());
  const auto vp = p.version(), vq = q.version();
  opt.step();
  tgtest::require_values(p, {0, 0}, 1e-12);  // [1 - 0.5*2, 2 - 0.5*4]
  tgtest::require_values(q, {3, 4}, 0);
  REQUIRE(p.version() > vp);  // prepare_inplace moved the version counter
  REQUIRE(q.version() == vq);
  REQUIRE(opt.state_dict().tensors.size() == 1);  // only p has a momentum buffer
  opt.zero_grad();
  REQUIRE_FALSE(p.grad().defined());
  REQUIRE_FALSE(q.grad().defined());
  opt.step();  // no gradients: nothing happens
  tgtest::require_values(p, {0, 0}, 0);
}

TEST_CASE("errors: invalid option values", "[optim]") {
  Tensor p = param({1, 2});
  REQUIRE_THROWS_WITH(SGD({p}, {.lr = -0.1}), Catch::Contains("SGD") && Catch::Contains("lr"));
  REQUIRE_THROWS_WITH(SGD({p}, {.momentum = -0.5}), Catch::Contains("momentum"));
  REQUIRE_THROWS_WITH(SGD({p}, {.weight_decay = -1}), Catch::Contains("weight_decay"));
  REQUIRE_THROWS_WITH(SGD({p}, {.nesterov = true}), Catch::Contains("Nesterov"));
  REQUIRE_THROWS_WITH(SGD({p}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                      Catch::Contains("dampening"));
  REQUIRE_NOTHROW(SGD({p}, {.momentum = 0.9, .nesterov = true}));
  REQUIRE_THROWS_WITH(Adam({p}, {.lr = -1e-3}), Catch::Contains("Adam") && Catch::Contains("lr"));
  REQUIRE_THROWS_WITH(Adam({p}, {.eps = -1e-8}), Catch::Contains("eps"));
  REQUIRE_THROWS_WITH(Adam({p}, {.beta1 = 1.0}), Catch::Contains("beta1"));
  REQUIRE_THROWS_WITH(Adam({p}, {.beta2 = -0.1}), Catch::Contains("beta2"));
  REQUIRE_THROWS_WITH(AdamW({p}, {.beta2 = 1.5}),
                      Catch::Contains("AdamW") && Catch::Contains("beta2"));
  REQUIRE_NOTHROW(Adam({p}, {.beta1 = 0.0}));  // 0 is inside [0, 1)
  REQUIRE_THROWS_WITH(RMSprop({p}, {.lr = -0.01}), Catch::Contains("RMSprop"));
  REQUIRE_THROWS_WITH(RMSprop({p}, {.eps = -1}), Catch::Contains("eps"));
  REQUIRE_THROWS_WITH(RMSprop({p}, {.momentum = -0.1}), Catch::Contains("momentum"));
  REQUIRE_THROWS_WITH(RMSprop({p}, {.alpha = -0.1}), Catch::Contains("alpha"));
  // Booleans are 0/1 in the options map.
  REQUIRE_THROWS_WITH(SGD(std::vector<ParamGroup>{{{p}, {{"nesterov", 2}}}}),
                      Catch::Contains("nesterov") && Catch::Contains("0 or 1"));
}

TEST_CASE("errors: unknown option names list the valid ones", "[optim]") {
  Tensor p = param({1, 2}), q = param({3});
  SGD opt({p});
  REQUIRE_THROWS_WITH(opt.add_param_group({{q}, {{"learning_rate", 0.1}}}),
                      Catch::Contains("unknown option 'learning_rate'") &&
                          Catch::Contains("dampening, lr, momentum, nesterov, weight_decay"));
  REQUIRE(opt.param_groups().size() == 1);  // the failed group was not added
  REQUIRE_THROWS_WITH(Adam(std::vector<ParamGroup>{{{q}, {{"momentum", 0.9}}}}),
                      Catch::Contains("unknown option 'momentum'") && Catch::Contains("beta1"));
  // An option edited to something invalid is caught at the next step.
  p.set_grad(tensor({1, 1}, {2}, DType::Float64));
  opt.param_groups()[0].options["lr"] = -1;
  REQUIRE_THROWS_WITH(opt.step(), Catch::Contains("invalid lr"));
  opt.param_groups()[0].options["lr"] = 0.1;
  opt.param_groups()[0].options["betas"] = 0.1;
  REQUIRE_THROWS_WITH(opt.step(), Catch::Contains("unknown option 'betas'"));
}

TEST_CASE("errors: bad parameters", "[optim]") {
  Tensor p = param({1, 2}), q = param({3});
  REQUIRE_THROWS_WITH(SGD({p, q, p}), Catch::Contains("more than once"));
  SGD opt({p});
  REQUIRE_THROWS_WITH(opt.add_param_group({{q, p}, {}}), Catch::Contains("more than once"));
  REQUIRE_THROWS_WITH(SGD({int64_tensor({1, 2})}),
                      Catch::Contains("int64") && Catch::Contains("floating"));
  REQUIRE_THROWS_WITH(SGD({tensor({1.0, 2.0})}), Catch::Contains("does not require grad"));
  REQUIRE_THROWS_WITH(SGD({mul(p, p)}), Catch::Contains("not a leaf"));
  REQUIRE_THROWS_WITH(SGD({Tensor()}), Catch::Contains("undefined"));
  REQUIRE_THROWS_WITH(SGD(std::vector<Tensor>{}), Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(Adam(std::vector<ParamGroup>{}), Catch::Contains("empty"));
  REQUIRE_THROWS_AS(SGD({q, q}), tg::Error);
}

TEST_CASE("errors: a parameter the tape still needs is not updated", "[optim]") {
  Tensor p = param({1, 2});
  SGD opt({p}, {.lr = 0.1});
  const Tensor y = mul(p, p).sum();  // saves p for its backward
  p.set_grad(tensor({1, 1}, {2}, DType::Float64));
  REQUIRE_THROWS_WITH(opt.step(), Catch::Contains("SGD.step"));
  y.backward();  // frees the tape
  REQUIRE_NOTHROW(opt.step());
}

TEST_CASE("errors: load_state_dict validates before changing anything", "[optim]") {
  Tensor p = param({1, 2}), q = param({3, 4, 5});
  Adam opt(std::vector<ParamGroup>{{{p}, {}}, {{q}, {}}}, {.lr = 0.1});
  p.set_grad(tensor({1, 1}, {2}, DType::Float64));
  opt.step();
  const OptimizerState good = opt.state_dict();

  SECTION("wrong number of groups") {
    Tensor r = param({1, 2});
    Adam one({r});
    REQUIRE_THROWS_WITH(one.load_state_dict(good),
                        Catch::Contains("parameter group 1") && Catch::Contains("1 groups"));
    Tensor s = param({1, 2}), t = param({3, 4, 5}), u = param({6});
    Adam three(std::vector<ParamGroup>{{{s}, {}}, {{t}, {}}, {{u}, {}}});
    REQUIRE_THROWS_WITH(three.load_state_dict(good), Catch::Contains("no parameter group 2"));
  }
  SECTION("wrong number of parameters in a group") {
    Tensor r = param({1, 2}), s = param({3, 4, 5}), t = param({6});
    Adam other(std::vector<ParamGroup>{{{r}, {}}, {{s, t}, {}}});
    REQUIRE_THROWS_WITH(other.load_state_dict(good),
                        Catch::Contains("group 1 has 1 parameters") && Catch::Contains("has 2"));
  }
  SECTION("wrong shape") {
    Tensor r = param({1, 2, 3}), s = param({3, 4, 5});
    Adam other(std::vector<ParamGroup>{{{r}, {}}, {{s}, {}}}, {.lr = 0.7});
    REQUIRE_THROWS_WITH(other.load_state_dict(good), Catch::Contains("[2]") &&
                                                         Catch::Contains("[3]") &&
                                                         Catch::Contains("state.0.0.exp_avg"));
    REQUIRE(other.param_groups()[0].options.at("lr") == 0.7);  // untouched
  }
  SECTION("unknown keys and options") {
    Tensor r = param({1, 2}), s = param({3, 4, 5});
    Adam other(std::vector<ParamGroup>{{{r}, {}}, {{s}, {}}});
    OptimizerState bad = good;
    bad.scalars["param_groups.0.momentum"] = 0.9;
    REQUIRE_THROWS_WITH(other.load_state_dict(bad), Catch::Contains("unknown option 'momentum'"));
    bad = good;
    bad.scalars["whatever"] = 1;
    REQUIRE_THROWS_WITH(other.load_state_dict(bad), Catch::Contains("unknown key 'whatever'"));
    bad = good;
    bad.tensors["state.0.5.exp_avg"] = zeros({2}, DType::Float64);
    REQUIRE_THROWS_WITH(other.load_state_dict(bad), Catch::Contains("parameter 5 of group 0"));
    bad = good;
    bad.scalars["param_groups.0.beta1"] = 1.5;
    REQUIRE_THROWS_WITH(other.load_state_dict(bad), Catch::Contains("beta1"));
    // A state saved by a different optimizer has options this one does not know.
    Tensor a = param({1, 2}), b = param({3, 4, 5});
    SGD sgd(std::vector<ParamGroup>{{{a}, {}}, {{b}, {}}});
    REQUIRE_THROWS_WITH(sgd.load_state_dict(good), Catch::Contains("unknown option"));
  }
}
