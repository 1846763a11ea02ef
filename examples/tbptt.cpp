// Truncated backpropagation through time: an LSTM learns to predict the next value of a long,
// noisy sum of two sines, read in chunks of K steps. For each chunk: forward from the states the
// previous chunk ended with, backward, clip the gradient norm, step, and detach the final states
// for the next chunk. The forward pass thus sees the whole past, while the backward pass (and
// the memory it needs) stops at the chunk boundary.
//
//   ./build/release/examples/tbptt [--length 20000] [--chunk 50] [--streams 16] [--epochs 2]
//
// The sequence is cut into `streams` parallel streams (the batch), as language models do with a
// long text, so that one chunk is a [K, streams, 1] tensor.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

#include "common/guarded_main.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

// `streams` sequences of length + 1 steps, each sin(2 pi t / 40 + a) + 0.5 sin(2 pi t / 13 + b)
// with its own phases a and b, plus N(0, noise^2). Returns the inputs x [length, streams, 1]
// (steps 0 .. length - 1) and the targets y (steps 1 .. length: the next value).
std::pair<Tensor, Tensor> noisy_sines(std::int64_t length, std::int64_t streams, double noise,
                                      Generator& gen) {
  constexpr double two_pi = 2 * std::numbers::pi;
  std::vector<double> a(static_cast<std::size_t>(streams)), b(a.size());
  for (std::size_t s = 0; s < a.size(); ++s) {
    a[s] = two_pi * gen.uniform_double();
    b[s] = two_pi * gen.uniform_double();
  }
  std::vector<float> v(static_cast<std::size_t>((length + 1) * streams));
  for (std::int64_t t = 0; t <= length; ++t)
    for (std::size_t s = 0; s < a.size(); ++s)
      v[static_cast<std::size_t>(t * streams) + s] = static_cast<float>(
          std::sin(two_pi * static_cast<double>(t) / 40 + a[s]) +
          0.5 * std::sin(two_pi * static_cast<double>(t) / 13 + b[s]) + noise * gen.normal());
  const Tensor all = from_vector(v, {length + 1, streams, 1});
  return {all.slice(0, 0, length), all.slice(0, 1, length + 1)};
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"Truncated BPTT: an LSTM predicts the next value of a long noisy signal, in chunks"};
  std::int64_t length = 20000, chunk = 50, streams = 16, hidden = 32;
  int epochs = 2, print_every = 50;
  double lr = 1e-2, clip = 1.0, noise = 0.1, require = 0;
  std::uint64_t seed = 0;
  app.add_option("--length", length, "steps per stream")->check(CLI::PositiveNumber);
  app.add_option("--chunk", chunk, "K: steps per chunk (how far back gradients flow)")
      ->check(CLI::PositiveNumber);
  app.add_option("--streams", streams, "parallel streams (the batch)")->check(CLI::PositiveNumber);
  app.add_option("--hidden", hidden, "LSTM hidden size")->check(CLI::PositiveNumber);
  app.add_option("--epochs", epochs, "passes over the sequence")->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam learning rate");
  app.add_option("--clip", clip, "maximum global gradient norm");
  app.add_option("--noise", noise, "standard deviation of the noise added to the signal");
  app.add_option("--print-every", print_every, "chunks between progress lines")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "random seed");
  app.add_option("--require-mse", require,
                 "exit with status 1 unless the test MSE is below this value and below the MSE "
                 "with the states reset at every chunk");
  CLI11_PARSE(app, argc, argv);

  manual_seed(seed);  // the Linear head's initial weights
  Generator gen(seed);
  const auto [x, y] = noisy_sines(length, streams, noise, gen);
  const auto [x_test, y_test] = noisy_sines(length, 4, noise, gen);  // new phases and noise
  nn::LSTM lstm(1, hidden, {.gen = &gen});                           // inputs [T, B, 1]
  nn::Linear head(hidden, 1);
  std::vector<Tensor> params = lstm.parameters();
  for (const Tensor& p : head.parameters()) params.push_back(p);
  optim::Adam opt(params, {.lr = lr});
  const std::int64_t chunks = (length + chunk - 1) / chunk;
  fmt::print("tbptt: {} streams of {} steps, {} chunks of {} steps; LSTM 1-{}-1, {} parameters\n",
             streams, length, chunks, chunk, hidden, lstm.num_parameters() + head.num_parameters());

  const auto t0 = std::chrono::steady_clock::now();
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    Tensor h, c;                   // undefined: the sequence starts from zero states
    double window = 0, total = 0;  // loss sums: since the last progress line, over the epoch
    std::int64_t in_window = 0;
    for (std::int64_t k = 0; k < chunks; ++k) {
      const std::int64_t start = k * chunk, end = std::min(start + chunk, length);
      const Tensor xk = x.slice(0, start, end), yk = y.slice(0, start, end);

      opt.zero_grad();
      const nn::RecurrentOutput out = lstm.forward_state(xk, h, c);  // continues from h, c
      const Tensor loss = mse_loss(head(out.output), yk);
      loss.backward();  // through this chunk only: h and c were detached
      const double norm = optim::clip_grad_norm_(params, clip);
      opt.step();
      // The next chunk starts from these states, but its gradients must stop here: detached,
      // they carry the values without the graph (which would otherwise grow without end).
      h = out.h_n.detach();
      c = out.c_n.detach();

      window += loss.item();
      total += loss.item();
      ++in_window;
      if (k == 0 || (k + 1) % print_every == 0 || k + 1 == chunks) {
        // grad norm: the norm before clipping, of this chunk's gradient
        fmt::print("epoch {}/{}  chunk {:>4}/{}  loss {:.4f}  grad norm {:.3f}\n", epoch, epochs,
                   k + 1, chunks, window / static_cast<double>(in_window), norm);
        window = 0;
        in_window = 0;
      }
    }
    fmt::print("epoch {}/{}  mean loss {:.4f}  {:.1f} s\n", epoch, epochs,
               total / static_cast<double>(chunks),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  // On the test streams: the states carried across chunks as in training, the same chunks from
  // zero states (what the model predicts without its past), and two predictions without a model.
  NoGradGuard ng;
  auto test_mse = [&](bool carry) {
    Tensor h, c;
    double sum = 0;
    for (std::int64_t start = 0; start < length; start += chunk) {
      const std::int64_t end = std::min(start + chunk, length);
      const nn::RecurrentOutput out = lstm.forward_state(x_test.slice(0, start, end), h, c);
      sum += mse_loss(head(out.output), y_test.slice(0, start, end), Reduction::Sum).item();
      if (carry) {
        h = out.h_n;
        c = out.c_n;
      }
    }
    return sum / static_cast<double>(y_test.numel());
  };
  const double carried = test_mse(true), reset = test_mse(false);
  const double last_value = mse_loss(x_test, y_test).item();
  const double zero = mean(mul(y_test, y_test)).item();
  fmt::print(
      "test MSE {:.4f} (states reset at every chunk: {:.4f}; predicting the last value: "
      "{:.4f}; predicting 0: {:.4f}; noise variance: {:.4f})\n",
      carried, reset, last_value, zero, noise * noise);
  if (require > 0 && !(carried < require && carried < reset)) {
    fmt::print(stderr, "tbptt: test MSE {:.4f} is not below both the required {:.4f} and {:.4f}\n",
               carried, require, reset);
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  return tg::examples::guarded_main("tbptt", [&] { return run(argc, argv); });
}
