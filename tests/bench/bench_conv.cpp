// tg::conv2d forward, and forward + backward, on the conv layers of the benchmark models
// (Google Benchmark), with GFLOPS as a counter.
//
//   TG_THREADS=2 build/release/tests/bench/bench_conv --benchmark_filter='conv/lenet'
//   build/release/tests/bench/bench_conv --json        # same as --benchmark_format=json
//
// Layers (float32, NCHW, bias on, stride 1):
//   lenet_conv1  N=64,  1 -> 6,   5x5, pad 2, 28x28 -> 28x28   (LeNet-5 conv1)
//   lenet_conv2  N=64,  6 -> 16,  5x5, pad 0, 14x14 -> 10x10   (LeNet-5 conv2)
//   cnn_conv1    N=128, 1 -> 32,  3x3, pad 1, 28x28 -> 28x28   (wider CNN conv1)
//   cnn_conv2    N=128, 32 -> 64, 3x3, pad 1, 14x14 -> 14x14   (wider CNN conv2)
// Benchmarks "conv/<layer>/fwd": y = conv2d(x, w, b) under NoGradGuard (inference forward,
// nothing recorded). "conv/<layer>/fwdbwd": what a training step does with the layer: y =
// conv2d(x, w, b) recorded, y.backward(g) with a fixed random upstream gradient g, then the
// gradients dropped (set-to-none). w and b require grad; x requires grad except for the first
// layers (conv1: the images), exactly as in training, so conv1's backward has no input gradient.
// GFLOPS counts 2*N*Co*Cin*kH*kW*OH*OW per direction: forward, weight gradient, and input
// gradient when x requires grad (the bias gradient and col2im adds are not counted).
// Timed in wall-clock time. tests/bench/torch_micro.py times the same cases in PyTorch and
// tests/bench/compare_micro.py runs both. Environment: TG_THREADS (default 1).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tapegrad/tapegrad.hpp"

#include "bench_main.hpp"

namespace {

struct Layer {
  std::string name;
  std::int64_t N, Ci, Co, k, pad, HW;
  bool input_grad;  // false for the first layer of a model (x is the data)
};

std::vector<Layer> layers() {
  return {{"lenet_conv1", 64, 1, 6, 5, 2, 28, false},
          {"lenet_conv2", 64, 6, 16, 5, 0, 14, true},
          {"cnn_conv1", 128, 1, 32, 3, 1, 28, false},
          {"cnn_conv2", 128, 32, 64, 3, 1, 14, true}};
}

std::int64_t out_size(const Layer& l) { return l.HW + 2 * l.pad - l.k + 1; }

double flops_per_direction(const Layer& l) {
  const double o = static_cast<double>(out_size(l));
  return 2.0 * static_cast<double>(l.N * l.Co * l.Ci * l.k * l.k) * o * o;
}

struct Inputs {
  tg::Tensor x, w, b, g;
  tg::Conv2dOptions opt;
};

Inputs make_inputs(const Layer& l, bool training) {
  tg::Generator gen(7);
  Inputs in;
  in.x = tg::randn({l.N, l.Ci, l.HW, l.HW}, tg::DType::Float32, &gen);
  in.w = tg::randn({l.Co, l.Ci, l.k, l.k}, tg::DType::Float32, &gen);
  in.b = tg::randn({l.Co}, tg::DType::Float32, &gen);
  const std::int64_t o = out_size(l);
  in.g = tg::randn({l.N, l.Co, o, o}, tg::DType::Float32, &gen);
  in.opt.padding = {l.pad, l.pad};
  if (training) {
    in.w.requires_grad_();
    in.b.requires_grad_();
    if (l.input_grad) in.x.requires_grad_();
  }
  return in;
}

void set_counters(benchmark::State& state, double flops) {
  state.counters["GFLOPS"] = benchmark::Counter(
      flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["threads"] = benchmark::Counter(tg::get_num_threads());
}

void bench_fwd(benchmark::State& state, const Layer& l) {
  const Inputs in = make_inputs(l, false);
  tg::NoGradGuard no_grad;
  for (auto _ : state) {
    tg::Tensor y = tg::conv2d(in.x, in.w, in.b, in.opt);
    benchmark::DoNotOptimize(y);
  }
  set_counters(state, flops_per_direction(l));
}

void bench_fwdbwd(benchmark::State& state, const Layer& l) {
  Inputs in = make_inputs(l, true);
  for (auto _ : state) {
    tg::Tensor y = tg::conv2d(in.x, in.w, in.b, in.opt);
    y.backward(in.g);
    benchmark::DoNotOptimize(in.w.grad());
    in.w.zero_grad();
    in.b.zero_grad();
    if (l.input_grad) in.x.zero_grad();
  }
  set_counters(state, flops_per_direction(l) * (l.input_grad ? 3.0 : 2.0));
}

}  // namespace

int main(int argc, char** argv) {
  return tgbench::run_benchmarks(argc, argv, [] {
    for (const Layer& l : layers()) {
      benchmark::RegisterBenchmark(("conv/" + l.name + "/fwd").c_str(), bench_fwd, l)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("conv/" + l.name + "/fwdbwd").c_str(), bench_fwdbwd, l)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  });
}
