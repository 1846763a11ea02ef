// tg::kernels::gemm<float> on the shapes that matter (Google Benchmark), GFLOPS as a counter.
//
//   TG_THREADS=2 build/release/tests/bench/bench_gemm --benchmark_filter='gemm/square'
//   build/release/tests/bench/bench_gemm --json        # same as --benchmark_format=json
//
// Benchmarks are named "gemm/<case>/<layout>/MxNxK" where layout is NN, NT or TN (op(A), op(B):
// T means the operand is stored transposed and the kernel handles it while packing). Cases:
//   square    M = N = K in 128, 256, 512, 1024, all three layouts;
//   mlp_fwd   MLP 784-256-128-10 at batch 128, forward y = x W^T: [128x784]x[784x256] etc. (NT,
//             as nn::Linear stores W [out, in]; NN too, for the plain layout);
//   mlp_dx    backward input gradient dx = dy W: [128 x out] x [out x in] (NN);
//   mlp_dw    backward weight gradient dW = dy^T x: [out x 128] x [128 x in] (TN);
//   lenet_conv2  LeNet conv2 as im2col GEMM per image: W [16 x 150] x cols [150 x 100] (NN),
//             and its backward: dcols = W^T dY [150x16]x[16x100] (TN), dW = dY cols^T
//             [16x100]x[100x150] (NT).
// Timed in wall-clock time (UseRealTime), like the numpy side: GFLOPS per wall second.
// tests/bench/gemm_reference.py times the same list with numpy (OpenBLAS) and
// tests/bench/compare_gemm.py runs both. Environment: TG_THREADS (default 1).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tapegrad/core/threads.hpp"
#include "tapegrad/kernels/gemm.hpp"

#include "bench_main.hpp"

namespace {

struct Shape {
  std::string group;
  bool ta, tb;
  std::int64_t M, N, K;
};

std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (std::int64_t n : {128, 256, 512, 1024})
    for (auto [ta, tb] : {std::pair{false, false}, {false, true}, {true, false}})
      out.push_back({"square", ta, tb, n, n, n});
  // MLP 784-256-128-10, batch 128: layers (in, out).
  const std::int64_t B = 128;
  for (auto [in, outf] : {std::pair<std::int64_t, std::int64_t>{784, 256}, {256, 128}, {128, 10}}) {
    out.push_back({"mlp_fwd", false, true, B, outf, in});
    out.push_back({"mlp_fwd", false, false, B, outf, in});
    out.push_back({"mlp_dx", false, false, B, in, outf});
    out.push_back({"mlp_dw", true, false, outf, in, B});
  }
  out.push_back({"lenet_conv2", false, false, 16, 100, 150});
  out.push_back({"lenet_conv2", true, false, 150, 100, 16});
  out.push_back({"lenet_conv2", false, true, 16, 150, 100});
  return out;
}

std::string layout(const Shape& s) { return std::string(s.ta ? "T" : "N") + (s.tb ? "T" : "N"); }

void bench(benchmark::State& state, Shape s) {
  // Row-major storage: op(A) is M x K, so A is stored [K x M] when transposed.
  const std::int64_t lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N, ldc = s.N;
  std::vector<float> A(static_cast<std::size_t>(s.M * s.K)), B(static_cast<std::size_t>(s.K * s.N)),
      C(static_cast<std::size_t>(s.M * s.N), 0.0f);
  std::uint32_t r = 12345;
  auto rnd = [&r] {
    r = r * 1664525u + 1013904223u;
    return static_cast<float>(r >> 8) / 16777216.0f - 0.5f;
  };
  for (auto& v : A) v = rnd();
  for (auto& v : B) v = rnd();
  for (auto _ : state) {
    tg::kernels::gemm<float>(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f,
                             C.data(), ldc);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  const double flops =
      2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) * static_cast<double>(s.K);
  state.counters["GFLOPS"] = benchmark::Counter(
      flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["threads"] = benchmark::Counter(tg::get_num_threads());
}

}  // namespace

int main(int argc, char** argv) {
  return tgbench::run_benchmarks(argc, argv, [] {
    for (const Shape& s : shapes()) {
      const std::string name =
          fmt::format("gemm/{}/{}/{}x{}x{}", s.group, layout(s), s.M, s.N, s.K);
      benchmark::RegisterBenchmark(name.c_str(), bench, s)->UseRealTime();
    }
    benchmark::AddCustomContext("tg_gemm_kernel", tg::kernels::gemm_kernel_name());
  });
}
