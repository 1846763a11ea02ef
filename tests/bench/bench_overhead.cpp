// Per-op framework overhead (issue 6: recording a tape entry and dispatching an op must cost
// well under a microsecond). A chain of 64 `mul` ops on 1-element float32 tensors, so that the
// arithmetic is nothing and what is timed is dispatch, allocation and the tape:
//   overhead/op_no_grad      one op under NoGradGuard (dispatch + result tensor);
//   overhead/op_recorded     one op recorded on the tape (the input requires grad);
//   overhead/backward_entry  the backward pass per recorded entry (its closure, one gradient
//                            op, accumulation).
// Times are per op (items_per_second = ops per second). Threads from TG_THREADS (default 1).
//   build/release/tests/bench/bench_overhead
#include <benchmark/benchmark.h>

#include "bench_main.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

constexpr int kChain = 64;

tg::Tensor chain(const tg::Tensor& x, const tg::Tensor& c) {
  tg::Tensor y = x;
  for (int i = 0; i < kChain; ++i) y = tg::mul(y, c);
  return y;
}

void op_no_grad(benchmark::State& state) {
  const tg::Tensor x = tg::full({1}, 1.0, tg::DType::Float32);
  const tg::Tensor c = tg::full({1}, 0.5, tg::DType::Float32);
  tg::NoGradGuard ng;
  for (auto _ : state) benchmark::DoNotOptimize(chain(x, c).impl());
  state.SetItemsProcessed(state.iterations() * kChain);
}

void op_recorded(benchmark::State& state) {
  tg::Tensor x = tg::full({1}, 1.0, tg::DType::Float32).requires_grad_();
  const tg::Tensor c = tg::full({1}, 0.5, tg::DType::Float32);
  for (auto _ : state) {
    tg::Tensor y = chain(x, c);
    state.PauseTiming();
    tg::tape().clear();  // drop the entries untimed, so the tape does not grow
    y = tg::Tensor();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kChain);
}

void backward_entry(benchmark::State& state) {
  tg::Tensor x = tg::full({1}, 1.0, tg::DType::Float32).requires_grad_();
  const tg::Tensor c = tg::full({1}, 0.5, tg::DType::Float32);
  for (auto _ : state) {
    state.PauseTiming();
    tg::Tensor y = chain(x, c).sum();
    state.ResumeTiming();
    y.backward();
    state.PauseTiming();
    x.zero_grad();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (kChain + 1));
}

}  // namespace

int main(int argc, char** argv) {
  return tgbench::run_benchmarks(argc, argv, [] {
    benchmark::RegisterBenchmark("overhead/op_no_grad", op_no_grad)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("overhead/op_recorded", op_recorded)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("overhead/backward_entry", backward_entry)
        ->Unit(benchmark::kMicrosecond);
  });
}
