// Checkpoints: a model + Adam + epoch + rng saved and restored so that training continues
// bit-identically; numbers in the metadata round-trip exactly; reserved keys and malformed
// values are errors; save_model / load_model.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "helpers.hpp"
#include "tapegrad/io/checkpoint.hpp"
#include "tapegrad/io/safetensors.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/version.hpp"

using namespace tg;
using namespace tg::io;
namespace fs = std::filesystem;
using tgtest::TempDir;

namespace {

std::shared_ptr<nn::Sequential> make_model(std::uint64_t seed) {
  manual_seed(seed);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(4, 2)});
}

void train_step(nn::Module& model, optim::Optimizer& opt, const Tensor& x, const Tensor& y) {
  opt.zero_grad();
  const Tensor d = model(x) - y;
  (d * d).mean().backward();
  opt.step();
}

// Same bytes, not just close values.
bool bit_identical(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.detach().contiguous(), cb = b.detach().contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(),
                     static_cast<std::size_t>(ca.numel()) * dtype_size(ca.dtype())) == 0;
}

}  // namespace

TEST_CASE("checkpoint: resuming Adam training is bit-identical", "[io]") {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  Generator data_gen(5);
  const Tensor x = randn({8, 3}, DType::Float32, &data_gen);
  const Tensor y = randn({8, 2}, DType::Float32, &data_gen);

  auto model = make_model(1);
  optim::Adam opt(model->parameters(), {.lr = 0.01, .weight_decay = 1e-3, .amsgrad = true});
  for (int s = 0; s < 3; ++s) train_step(*model, opt, x, y);

  Generator gen(99);
  (void)gen.normal();  // leaves a cached spare normal: part of the state
  const std::array<std::uint64_t, 7> rng = gen.state();

  Checkpoint c;
  c.model = model->state_dict();
  c.optimizer = opt.state_dict();
  c.epoch = 3;
  c.rng = rng;
  c.metadata = {{"model", "mlp(3, 4, 2)"}, {"activation", "tanh"}};
  save_checkpoint(path, c);

  // A fresh model (other initial values) and an optimizer with other options.
  auto model2 = make_model(2);
  REQUIRE_FALSE(bit_identical(model2->parameters()[0], model->parameters()[0]));
  optim::Adam opt2(model2->parameters(), {.lr = 0.5});
  const Checkpoint back = load_checkpoint(path);
  model2->load_state_dict(back.model);
  opt2.load_state_dict(back.optimizer);

  REQUIRE(back.epoch == 3);
  REQUIRE(back.rng == rng);
  REQUIRE(back.metadata == c.metadata);  // the reserved keys are not echoed into metadata
  REQUIRE(back.optimizer.scalars == c.optimizer.scalars);
  REQUIRE(back.optimizer.tensors.size() == c.optimizer.tensors.size());
  for (const auto& [k, t] : c.optimizer.tensors) {
    INFO(k);
    REQUIRE(bit_identical(back.optimizer.tensors.at(k), t));
  }

  for (int s = 0; s < 2; ++s) {
    train_step(*model, opt, x, y);
    train_step(*model2, opt2, x, y);
  }
  const auto p1 = model->parameters(), p2 = model2->parameters();
  REQUIRE(p1.size() == p2.size());
  for (std::size_t i = 0; i < p1.size(); ++i) {
    INFO("parameter " << i);
    REQUIRE(bit_identical(p1[i], p2[i]));
  }

  // A generator restored from the saved state continues the same stream, spare normal included.
  Generator restored(12345);
  restored.set_state(*back.rng);
  REQUIRE(restored.normal() == gen.normal());
  for (int i = 0; i < 5; ++i) REQUIRE(restored.next_u64() == gen.next_u64());
  REQUIRE(restored.uniform_double() == gen.uniform_double());

  // The file is plain safetensors with the documented names.
  const SafetensorsFile raw = load_safetensors(path);
  REQUIRE(raw.metadata.at("tapegrad_version") == kVersion);
  REQUIRE(raw.metadata.at("epoch") == "3");
  REQUIRE(raw.metadata.at("model") == "mlp(3, 4, 2)");
  REQUIRE(raw.tensors.count("model.0.weight") == 1);
  REQUIRE(raw.tensors.count("model.2.bias") == 1);
  REQUIRE(raw.tensors.count("optim.state.0.0.exp_avg") == 1);
  REQUIRE(raw.metadata.at("optim_scalar.param_groups.0.lr") == "0.01");
}

TEST_CASE("checkpoint: numbers round-trip exactly through the metadata text", "[io]") {
  TempDir dir;
  const std::string path = dir.file("n.safetensors");
  const double inf = std::numeric_limits<double>::infinity();
  Checkpoint c;
  c.optimizer.scalars = {{"third", 1.0 / 3.0},
                         {"tenth", 0.1},
                         {"denorm", std::numeric_limits<double>::denorm_min()},
                         {"max", std::numeric_limits<double>::max()},
                         {"neg_zero", -0.0},
                         {"inf", -inf},
                         {"nan", std::numeric_limits<double>::quiet_NaN()},
                         {"big_int", 9007199254740992.0}};
  c.epoch = std::numeric_limits<std::int64_t>::min();
  c.rng = std::array<std::uint64_t, 7>{0, 1, 2, ~std::uint64_t{0}, 1u << 31, 42, 7};
  c.model["w"] = tensor({1, 2}, {2}, DType::Float64);
  save_checkpoint(path, c);

  const Checkpoint b = load_checkpoint(path);
  REQUIRE(b.epoch == c.epoch);
  REQUIRE(b.rng == c.rng);
  REQUIRE(b.optimizer.scalars.size() == c.optimizer.scalars.size());
  for (const auto& [k, v] : c.optimizer.scalars) {
    INFO(k);
    const double got = b.optimizer.scalars.at(k);
    if (std::isnan(v)) {
      REQUIRE(std::isnan(got));
    } else {
      REQUIRE(std::memcmp(&got, &v, sizeof v) == 0);  // bit for bit, -0.0 included
    }
  }
  REQUIRE(bit_identical(b.model.at("w"), c.model.at("w")));
  REQUIRE(b.optimizer.tensors.empty());
}

TEST_CASE("checkpoint: defaults when epoch and rng are absent", "[io]") {
  TempDir dir;
  const std::string path = dir.file("plain.safetensors");
  save_safetensors(path, {{"model.w", ones({2})}}, {{"note", "from elsewhere"}});
  const Checkpoint c = load_checkpoint(path);
  REQUIRE(c.epoch == 0);
  REQUIRE_FALSE(c.rng.has_value());
  REQUIRE(c.metadata == std::map<std::string, std::string>{{"note", "from elsewhere"}});
  REQUIRE(c.model.size() == 1);
}

TEST_CASE("checkpoint: reserved metadata keys are refused", "[io]") {
  using Catch::Contains;
  TempDir dir;
  const std::string path = dir.file("r.safetensors");
  for (const char* key : {"epoch", "rng", "tapegrad_version", "optim_scalar.lr"}) {
    INFO(key);
    Checkpoint c;
    c.metadata[key] = "1";
    REQUIRE_THROWS_WITH(save_checkpoint(path, c),
                        Contains(fmt::format("'{}' is reserved", key)) && Contains(path));
    nn::Linear lin(2, 2);
    REQUIRE_THROWS_WITH(save_model(path, lin, {{key, "1"}}), Contains("reserved"));
  }
  REQUIRE_FALSE(fs::exists(path));
}

TEST_CASE("checkpoint: malformed values are errors naming the key", "[io]") {
  using Catch::Contains;
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  auto load_with = [&](const std::map<std::string, std::string>& meta) {
    save_safetensors(path, {{"model.w", ones({1})}}, meta);
    return load_checkpoint(path);
  };
  for (const char* epoch : {"", "12abc", "3.5", " 3", "99999999999999999999", "0x10"}) {
    INFO("epoch '" << epoch << "'");
    REQUIRE_THROWS_WITH(load_with({{"epoch", epoch}}),
                        Contains("'epoch' must be an integer") && Contains(path));
  }
  for (const char* rng : {"", "1,2,3", "1,2,3,4,5,6,7,8", "1,2,3,4,5,6,", "1,2,3,4,5,6,-7",
                          "1,2,3,4,5,6,x", "1,,3,4,5,6,7", "1,2,3,4,5,6,18446744073709551616"}) {
    INFO("rng '" << rng << "'");
    REQUIRE_THROWS_WITH(load_with({{"rng", rng}}), Contains("'rng' must be 7 comma-separated"));
  }
  for (const char* v : {"", "fast", "1e", "0.1 ", "1,5"}) {
    INFO("scalar '" << v << "'");
    REQUIRE_THROWS_WITH(load_with({{"optim_scalar.param_groups.0.lr", v}}),
                        Contains("'optim_scalar.param_groups.0.lr' must be a number"));
  }
  save_safetensors(path, {{"weights.w", ones({1})}});
  REQUIRE_THROWS_WITH(load_checkpoint(path),
                      Contains("tensor 'weights.w' is neither 'model.*' nor 'optim.*'"));

  // A saved optimizer state that does not fit the optimizer is refused by load_state_dict.
  auto model = make_model(3);
  optim::Adam opt(model->parameters());
  Checkpoint c;
  c.optimizer.scalars["param_groups.0.params"] = 99;
  save_checkpoint(path, c);
  REQUIRE_THROWS_AS(opt.load_state_dict(load_checkpoint(path).optimizer), tg::Error);
}

TEST_CASE("checkpoint: save_model and load_model", "[io]") {
  using Catch::Contains;
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  auto model = make_model(4);
  save_model(path, *model, {{"activation", "tanh"}});

  auto fresh = make_model(5);
  load_model(path, *fresh);
  const auto a = model->named_parameters(), b = fresh->named_parameters();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    REQUIRE(a[i].first == b[i].first);
    REQUIRE(bit_identical(a[i].second, b[i].second));
    REQUIRE(b[i].second.requires_grad());  // copied in place: still the model's parameters
  }
  const SafetensorsFile raw = load_safetensors(path);
  REQUIRE(raw.metadata.at("activation") == "tanh");
  REQUIRE(raw.metadata.at("tapegrad_version") == kVersion);
  REQUIRE(raw.metadata.count("epoch") == 0);

  // A checkpoint is a model file too.
  Checkpoint c;
  c.model = model->state_dict();
  c.epoch = 9;
  save_checkpoint(dir.file("ckpt.safetensors"), c);
  auto fresh2 = make_model(6);
  load_model(dir.file("ckpt.safetensors"), *fresh2);
  REQUIRE(bit_identical(fresh2->parameters()[0], model->parameters()[0]));

  // Wrong architecture: strict load reports it; non-strict loads what matches.
  nn::Sequential other{std::make_shared<nn::Linear>(3, 4)};
  REQUIRE_THROWS_AS(load_model(path, other), tg::Error);
  load_model(path, other, /*strict=*/false);
  REQUIRE(bit_identical(other.parameters()[0], model->parameters()[0]));

  save_safetensors(dir.file("none.safetensors"), {{"w", ones({2})}});
  REQUIRE_THROWS_WITH(load_model(dir.file("none.safetensors"), *fresh),
                      Contains("has no model tensors"));
  REQUIRE_THROWS_WITH(load_model(dir.file("missing.safetensors"), *fresh), Contains("cannot open"));
}
