// Forward + backward of every registered activation on 2^24 float32 elements (Google Benchmark).
//
//   TG_THREADS=2 build/release/tests/bench/bench_activations --benchmark_filter='act/(relu|prelu)$'
//   build/release/tests/bench/bench_activations --json        # same as --benchmark_format=json
//
// One benchmark per registry name ("act/<name>"), found by iterating the registry, so a newly
// registered activation is benchmarked with no edit here. Each iteration times exactly what a
// training step does with the activation: y = act(x); y.backward(g) with g = ones, then drops the
// gradients of x and of the activation's parameters (set-to-none, like PyTorch's zero_grad), so
// every iteration allocates its outputs afresh, as PyTorch's does (tapegrad's from its caching
// allocator, core/storage.hpp, after the first iteration; PyTorch's CPU tensors from glibc malloc,
// which maps and faults in fresh 64 MB pages each time unless --tuned-malloc is used).
//
// Environment: TG_THREADS (default 1) sets tg::set_num_threads; TG_BENCH_ACTS, a comma-separated
// list of names, limits the set (a --benchmark_filter regex works too).
// Counters: ns_per_elem (wall time per element of one forward + backward) and items_per_second.
// tests/bench/compare_activations.py runs this against tests/bench/torch_activations.py.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad/tapegrad.hpp"

#include "bench_main.hpp"

namespace {

constexpr std::int64_t kRows = 16;
constexpr std::int64_t kCols = std::int64_t{1} << 20;
constexpr std::int64_t kNumel = kRows * kCols;  // 2^24

void bench_activation(benchmark::State& state, const std::string& name) {
  tg::Generator gen(42);
  // [16, 2^20]: 16 channels, for the activations whose parameters are always per channel; the
  // ones with a per_channel option (prelu, swish_beta, ...) use their default (shared).
  tg::Tensor x = tg::randn({kRows, kCols}, tg::DType::Float32, &gen);
  x.requires_grad_();
  const tg::Tensor g = tg::ones({kRows, kCols}, tg::DType::Float32);
  std::shared_ptr<tg::act::Activation> act = tg::act::make(name, kRows, tg::DType::Float32);

  double total = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    tg::Tensor y = (*act)(x);
    y.backward(g);
    benchmark::DoNotOptimize(x.grad());
    x.zero_grad();
    act->zero_grad();
    y = tg::Tensor();  // free the output inside the timed region, as Python's refcount does
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(s);
    total += s;
  }
  const double elems = static_cast<double>(state.iterations()) * static_cast<double>(kNumel);
  state.SetItemsProcessed(static_cast<std::int64_t>(elems));
  state.counters["ns_per_elem"] = benchmark::Counter(total * 1e9 / elems);
  state.counters["threads"] = benchmark::Counter(tg::get_num_threads());
}

std::set<std::string> wanted_names() {
  std::set<std::string> out;
  const char* env = std::getenv("TG_BENCH_ACTS");
  if (!env) return out;
  std::stringstream ss(env);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.insert(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  return tgbench::run_benchmarks(argc, argv, [] {
    const std::set<std::string> wanted = wanted_names();
    for (const std::string& name : tg::act::Registry::instance().names()) {
      if (!wanted.empty() && !wanted.contains(name)) continue;
      benchmark::RegisterBenchmark(("act/" + name).c_str(), bench_activation, name)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::AddCustomContext("elements", std::to_string(kNumel));
  });
}
