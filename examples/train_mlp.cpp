// Train an MLP (784-256-128-10 by default) on Fashion-MNIST with any registered activation:
//
//   ./build/release/examples/train_mlp
//   ./build/release/examples/train_mlp --hidden 512,256 --act "prelu(per_channel=true)" --json
//   mlp.json
//
// Defaults: ReLU, He init with the activation's gain, SGD lr 0.05 momentum 0.9, batch 128,
// 5 epochs. Activation parameters get their own optimizer group with no weight decay.
// The installed command runs this file as `tapegrad train-mlp` (tools/tapegrad).
#include "common/classifier.hpp"
#include "common/entry.hpp"

TG_EXAMPLE_MAIN(train_mlp) {
  const std::string program = tg::examples::program_name(argv[0]);
  tg::examples::TrainConfig cfg;
  cfg.model = "mlp";
  cfg.optimizer = "sgd";
  cfg.lr = 0.05;
  cfg.momentum = 0.9;
  cfg.batch_size = 128;
  cfg.epochs = 5;
  CLI::App app{"Train an MLP on Fashion-MNIST (or MNIST) with a chosen activation"};
  tg::examples::name_errors(app, program);
  tg::examples::add_train_flags(app, cfg);
  CLI11_PARSE(app, argc, argv);
  try {
    return tg::examples::run_training(cfg, program);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}
