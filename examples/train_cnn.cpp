// Train a CNN (LeNet-5 by default) on Fashion-MNIST with any registered activation:
//
//   ./build/release/examples/train_cnn --act prelu
//   ./build/release/examples/train_cnn --model resnet_small --act "swish_beta(per_channel=true)"
//     --epochs 5 --save resnet.safetensors --json resnet.json
//
// Defaults: LeNet-5, ReLU, He init with the activation's gain, Adam lr 1e-3 with weight decay
// 1e-4 (L2), batch 64, 3 epochs. Activation parameters get their own optimizer group with no
// weight decay. --save writes a checkpoint after every epoch; --resume continues one exactly.
// The installed command runs this file as `tapegrad train-cnn` (tools/tapegrad).
#include "common/classifier.hpp"
#include "common/entry.hpp"

TG_EXAMPLE_MAIN(train_cnn) {
  const std::string program = tg::examples::program_name(argv[0]);
  tg::examples::TrainConfig cfg;
  cfg.model = "lenet5";
  cfg.optimizer = "adam";
  cfg.lr = 1e-3;
  cfg.weight_decay = 1e-4;
  cfg.batch_size = 64;
  cfg.epochs = 3;
  CLI::App app{"Train a CNN on Fashion-MNIST (or MNIST) with a chosen activation"};
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
