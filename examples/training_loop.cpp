// A complete training loop with the training stack: nn modules, an activation from the registry,
// PyTorch-style default init, AdamW with two parameter groups (activation parameters without
// weight decay), a cosine learning-rate schedule, gradient clipping and a state_dict round trip.
//
//   ./build/release/examples/training_loop [--epochs 60] [--act "prelu(per_channel=true)"]
#include <CLI/CLI.hpp>

#include "common/guarded_main.hpp"
#include "tapegrad/activations/activation.hpp"
#include "tapegrad/data/synthetic.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/nn/sequential.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

int run(int argc, char** argv) {
  CLI::App app{"Train an MLP on the spiral with modules, AdamW and a cosine schedule"};
  int epochs = 60;
  std::string act_spec = "prelu(per_channel=true)";
  std::uint64_t seed = 0;
  app.add_option("--epochs", epochs, "passes over the data")->check(CLI::PositiveNumber);
  app.add_option("--act", act_spec, "activation spec, e.g. relu, prelu(init=0.1)");
  app.add_option("--seed", seed, "random seed");
  CLI11_PARSE(app, argc, argv);

  manual_seed(seed);  // parameter init draws from the default generator
  Generator gen(seed);
  const auto [X, Y] = data::make_spiral(100, 3, gen);

  // 1. The model: layers built at run time, the activation chosen by a spec string.
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 64), act::make(act_spec, 64),
      std::make_shared<nn::Linear>(64, 64), act::make(act_spec, 64),
      std::make_shared<nn::Linear>(64, 3)});
  fmt::print("{}\n\n{}\n", model->to_string(), nn::summary(*model, {32, 2}));

  // 2. The optimizer: activation parameters in their own group, without weight decay.
  optim::AdamW opt({{nn::non_activation_parameters(*model), {}},
                    {nn::activation_parameters(*model), {{"weight_decay", 0.0}}}},
                   {.lr = 1e-2, .weight_decay = 1e-2});
  optim::CosineAnnealingLR schedule(opt, epochs);
  nn::CrossEntropyLoss loss_fn;

  // 3. The loop: forward, loss, backward, clip, step; once per mini-batch.
  const std::int64_t n = X.shape()[0], batch = 32;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model->train();
    const Tensor perm = randperm(n, &gen);
    double total = 0;
    for (std::int64_t s = 0; s < n; s += batch) {
      const Tensor idx = perm.slice(0, s, s + batch);
      const Tensor xb = index_select(X, 0, idx), yb = index_select(Y, 0, idx);
      opt.zero_grad();
      const Tensor loss = loss_fn((*model)(xb), yb);
      loss.backward();
      optim::clip_grad_norm_(model->parameters(), 5.0);
      opt.step();
      total += loss.item() * static_cast<double>(xb.shape()[0]);
    }
    schedule.step();
    if (epoch % 10 == 0 || epoch == 1) {
      NoGradGuard ng;
      model->eval();
      const double acc = mean(eq(argmax((*model)(X), 1), Y).to(DType::Float32)).item();
      fmt::print("epoch {:>3}  loss {:.4f}  accuracy {:.2f}%  lr {:.5f}\n", epoch,
                 total / static_cast<double>(n), 100 * acc, schedule.get_last_lr()[0]);
    }
  }

  // 4. Save and restore: a fresh model with the loaded state dict predicts identically.
  const nn::StateDict sd = model->state_dict();
  auto copy = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 64), act::make(act_spec, 64),
      std::make_shared<nn::Linear>(64, 64), act::make(act_spec, 64),
      std::make_shared<nn::Linear>(64, 3)});
  copy->load_state_dict(sd);
  NoGradGuard ng;
  model->eval();
  copy->eval();
  const bool same = (*model)(X).to_vector<float>() == (*copy)(X).to_vector<float>();
  fmt::print("state_dict: {} tensors; reloaded model gives {} outputs\n", sd.size(),
             same ? "identical" : "DIFFERENT");
  const auto slopes = nn::activation_parameters(*model);
  fmt::print("learned activation parameters: {} tensors, first values {:.3f} {:.3f} {:.3f}\n",
             slopes.size(), slopes[0].at({0}), slopes[0].at({1}), slopes[0].at({2}));
  return same ? 0 : 1;
}

int main(int argc, char** argv) {
  return tg::examples::guarded_main("training_loop", [&] { return run(argc, argv); });
}
