// One optimizer step over the parameters of the benchmark models (Google Benchmark).
//
//   TG_THREADS=2 build/release/tests/bench/bench_optim --benchmark_filter='optim/mlp'
//   build/release/tests/bench/bench_optim --json        # same as --benchmark_format=json
//
// Models: models::mlp 784-256-128-10 (235,146 parameters) and models::lenet5 (61,706), relu,
// float32. Optimizers: SGD lr 0.01 momentum 0.9; Adam lr 1e-3; AdamW lr 1e-3 weight_decay 0.01.
// Every parameter gets a fixed random gradient (randn) once; the optimizer takes one untimed step
// (so its state exists, as after the first batch of training), then each iteration times one
// step() over all parameters. The gradients stay in place (a step does not consume them).
// Counters: params, and bytes_per_second, an estimate of the memory traffic a fused one-pass
// update needs: params * 4 bytes * accesses, where accesses per element are SGD momentum 5
// (read p, g, buf; write p, buf) and Adam / AdamW 7 (read p, g, m, v; write p, m, v).
// Timed in wall-clock time. tests/bench/torch_micro.py times the same cases in PyTorch and
// tests/bench/compare_micro.py runs both. Environment: TG_THREADS (default 1).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "models/models.hpp"
#include "tapegrad/tapegrad.hpp"

#include "bench_main.hpp"

namespace {

std::shared_ptr<tg::nn::Sequential> make_model(const std::string& name) {
  tg::Generator gen(1);
  if (name == "mlp") return tg::models::mlp({784, 256, 128, 10}, {}, &gen);
  return tg::models::lenet5({}, &gen);
}

std::unique_ptr<tg::optim::Optimizer> make_optimizer(const std::string& name,
                                                     const std::vector<tg::Tensor>& params) {
  if (name == "sgd")
    return std::make_unique<tg::optim::SGD>(params,
                                            tg::optim::SGDOptions{.lr = 0.01, .momentum = 0.9});
  if (name == "adam")
    return std::make_unique<tg::optim::Adam>(params, tg::optim::AdamOptions{.lr = 1e-3});
  return std::make_unique<tg::optim::AdamW>(
      params, tg::optim::AdamWOptions{.lr = 1e-3, .weight_decay = 0.01});
}

void bench_step(benchmark::State& state, const std::string& model, const std::string& opt) {
  auto net = make_model(model);
  const std::vector<tg::Tensor> params = net->parameters();
  tg::Generator gen(2);
  std::int64_t count = 0;
  for (tg::Tensor p : params) {
    p.set_grad(tg::randn(p.shape(), p.dtype(), &gen));
    count += p.numel();
  }
  auto optimizer = make_optimizer(opt, params);
  optimizer->step();  // creates the state (momentum buffer, exp_avg, exp_avg_sq)
  for (auto _ : state) {
    optimizer->step();
    benchmark::ClobberMemory();
  }
  const double accesses = opt == "sgd" ? 5.0 : 7.0;
  state.counters["params"] = benchmark::Counter(static_cast<double>(count));
  state.counters["bytes_per_second"] = benchmark::Counter(
      static_cast<double>(count) * 4.0 * accesses * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["threads"] = benchmark::Counter(tg::get_num_threads());
}

}  // namespace

int main(int argc, char** argv) {
  return tgbench::run_benchmarks(argc, argv, [] {
    for (const char* model : {"mlp", "lenet5"})
      for (const char* opt : {"sgd", "adam", "adamw"})
        benchmark::RegisterBenchmark((std::string("optim/") + model + "/" + opt).c_str(),
                                     bench_step, std::string(model), std::string(opt))
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
  });
}
