// One recurrent layer, forward and forward + backward, at train_rnn's sizes (Google Benchmark).
//
//   TG_THREADS=2 build/release/tests/bench/bench_lstm --benchmark_filter='rnn/lstm'
//   build/release/tests/bench/bench_lstm --json        # same as --benchmark_format=json
//
// Workload: one nn::LSTM (or nn::GRU) layer, input 28, hidden 128, float32, default layout
// [T, B, F] (PyTorch's batch_first=False) with T = 28 steps and B = 64; the weights from
// U(-1/sqrt(H), 1/sqrt(H)) (Generator 7), the input x ~ N(0, 1) (Generator 8), no initial state.
// Benchmarks "rnn/<cell>/fwd": y = layer(x) under NoGradGuard (inference, nothing recorded).
// "rnn/<cell>/fwdbwd": what a training step does with the layer: y = layer(x) recorded,
// sum(y).backward(), then the parameter gradients dropped (zero_grad, set-to-none). x is data
// and does not require grad, as in train_rnn. GFLOPS counts the gate GEMMs only, with G = 4
// (LSTM) or 3 (GRU) gates: forward 2*T*B*G*H*(in + H); fwd+bwd adds the weight gradients (the
// same again) and the state gradients 2*T*B*G*H*H (no input gradient: x needs none).
// Timed in wall-clock time, after one untimed call (the caching allocator's first fill).
// tests/bench/torch_lstm.py times the same cases in PyTorch and tests/bench/compare_lstm.py runs
// both. Environment: TG_THREADS (default 1).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "tapegrad/tapegrad.hpp"

#include "bench_main.hpp"

namespace {

constexpr std::int64_t kSteps = 28, kBatch = 64, kInput = 28, kHidden = 128;

std::shared_ptr<tg::nn::Recurrent> make_layer(const std::string& cell, tg::Generator* gen) {
  if (cell == "lstm")
    return std::make_shared<tg::nn::LSTM>(kInput, kHidden, tg::nn::RecurrentOptions{.gen = gen});
  return std::make_shared<tg::nn::GRU>(kInput, kHidden, tg::nn::RecurrentOptions{.gen = gen});
}

double gemm_flops(const std::string& cell, bool backward) {
  const std::int64_t gates = cell == "lstm" ? 4 : 3;
  const std::int64_t k = backward ? 2 * (kInput + kHidden) + kHidden : kInput + kHidden;
  return 2.0 * static_cast<double>(kSteps * kBatch * gates * kHidden * k);
}

void set_counters(benchmark::State& state, double flops) {
  state.counters["GFLOPS"] = benchmark::Counter(
      flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["threads"] = benchmark::Counter(tg::get_num_threads());
}

void bench_fwd(benchmark::State& state, const std::string& cell) {
  tg::Generator gen(7), data_gen(8);
  auto layer = make_layer(cell, &gen);
  const tg::Tensor x = tg::randn({kSteps, kBatch, kInput}, tg::DType::Float32, &data_gen);
  tg::NoGradGuard no_grad;
  benchmark::DoNotOptimize(layer->forward(x));
  for (auto _ : state) {
    tg::Tensor y = layer->forward(x);
    benchmark::DoNotOptimize(y);
  }
  set_counters(state, gemm_flops(cell, false));
}

void bench_fwdbwd(benchmark::State& state, const std::string& cell) {
  tg::Generator gen(7), data_gen(8);
  auto layer = make_layer(cell, &gen);
  const tg::Tensor x = tg::randn({kSteps, kBatch, kInput}, tg::DType::Float32, &data_gen);
  const tg::Tensor w_hh = layer->parameters().at(1);
  auto step = [&] {
    tg::Tensor loss = tg::sum(layer->forward(x));
    loss.backward();
    benchmark::DoNotOptimize(w_hh.grad());
    layer->zero_grad();
  };
  step();
  for (auto _ : state) step();
  set_counters(state, gemm_flops(cell, true));
}

}  // namespace

int main(int argc, char** argv) {
  return tgbench::run_benchmarks(argc, argv, [] {
    for (const std::string cell : {"lstm", "gru"}) {
      benchmark::RegisterBenchmark(("rnn/" + cell + "/fwd").c_str(), bench_fwd, cell)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("rnn/" + cell + "/fwdbwd").c_str(), bench_fwdbwd, cell)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  });
}
