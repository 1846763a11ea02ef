// Train a recurrent classifier on sequential Fashion-MNIST: each image is read as 28 steps of 28
// pixels (one row per step), and the last step's output is classified. Any registered activation
// can be the gates' or the cell's:
//
//   ./build/release/examples/train_rnn                       # LSTM, hidden 128, 5 epochs
//   ./build/release/examples/train_rnn --cell gru --gate "sigmoid_beta(per_channel=true)"
//   ./build/release/examples/train_rnn --cell rnn --act relu --hidden 64
//
// Defaults: LSTM with hidden size 128, sigmoid gates and tanh cell, Adam lr 1e-3, batch 128,
// gradients clipped to a global norm of 1 (recurrent networks need it), 5 epochs. Everything else
// (--save, --resume, --json, --val-split, --profile, ...) works as in train_cnn.
// The installed command runs this file as `tapegrad train-rnn` (tools/tapegrad).
#include "common/classifier.hpp"
#include "common/entry.hpp"

TG_EXAMPLE_MAIN(train_rnn) {
  const std::string program = tg::examples::program_name(argv[0]);
  tg::examples::TrainConfig cfg;
  cfg.model = "lstm";
  cfg.activation = "sigmoid";
  cfg.cell_act = "tanh";
  cfg.rnn_hidden = 128;
  cfg.optimizer = "adam";
  cfg.lr = 1e-3;
  cfg.batch_size = 128;
  cfg.clip_grad_norm = 1.0;
  cfg.epochs = 5;
  CLI::App app{"Train an LSTM, GRU or RNN on Fashion-MNIST read row by row"};
  tg::examples::name_errors(app, program);
  tg::examples::add_train_flags(app, cfg, /*sequence=*/true);
  CLI11_PARSE(app, argc, argv);
  try {
    return tg::examples::run_training(cfg, program);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}
