// Train a CNN (LeNet-5 by default) on Fashion-MNIST with any registered activation:
//
//   ./build/release/examples/train_cnn --act prelu
//   ./build/release/examples/train_cnn --model resnet_small --act "swish_beta(per_channel=true)"
//     --epochs 5 --save resnet.safetensors --json resnet.json
//
// Defaults: LeNet-5, ReLU, He init with the activation's gain, Adam lr 1e-3 with weight decay
// 1e-4 (L2), batch 64, 3 epochs. Activation parameters get their own optimizer group with no
// weight decay. --save writes a checkpoint after every epoch; --resume continues one exactly.
#include "common/classifier.hpp"

int main(int argc, char** argv) {
  tg::examples::TrainConfig cfg;
  cfg.model = "lenet5";
  cfg.optimizer = "adam";
  cfg.lr = 1e-3;
  cfg.weight_decay = 1e-4;
  cfg.batch_size = 64;
  cfg.epochs = 3;
  CLI::App app{"Train a CNN on Fashion-MNIST (or MNIST) with a chosen activation"};
  tg::examples::add_train_flags(app, cfg);
  CLI11_PARSE(app, argc, argv);
  try {
    return tg::examples::run_training(cfg, "train_cnn");
  } catch (const std::exception& e) {
    fmt::print(stderr, "train_cnn: {}\n", e.what());
    return 1;
  }
}
