// The machine's FP32 FMA peak: what the vector units can do at most, the ceiling the GEMM and
// model tables are read against (tests/bench/compare_gemm.py's "% of peak" column).
//
//   build/release/tests/bench/bench_peak                      # 1 and 2 threads, widest ISA
//   build/release/tests/bench/bench_peak --threads 1 --isa avx2 --seconds 0.3 --reps 5
//
// Each thread runs 12 independent chains acc = acc * a + b of vector FMAs (12 accumulators cover
// FMA latency 4 x 2 FMA units with room to spare; a and b come from volatiles, a = 0.9999,
// b = 0.0001, so the values stay near 1: no denormals, nothing for the compiler to fold) for
// --seconds (default 0.4) of its own clock; the threads start together (an OpenMP barrier) and
// GFLOPS = (FMAs of all threads x lanes x 2) / (last thread's end - first thread's start).
// Repeated --reps times (default 3) after a short warm-up, the best kept. The accumulators are
// summed and printed (in the JSON, "checksum"), so GCC keeps the chains.
// The instruction set is chosen at run time (cpuid, __builtin_cpu_supports): avx512 (512-bit,
// 16 lanes, needs avx512f), avx2 (256-bit, 8 lanes, needs avx2 and fma) or sse (128-bit, 4 lanes:
// FMA when the CPU has it, otherwise mulps + addps chains, 1 flop per lane each). Each kernel is a
// function compiled for its target (__attribute__((target(...)))), the program itself for
// baseline x86-64 (no -march, not linked to tapegrad), so the one binary runs on any x86-64; --isa
// forces a narrower set, and is refused when the CPU lacks it.
// Output: one JSON object on stdout ({"cpu": ..., "isa": "avx512", "lanes": 16, "fma": true,
// "gflops": {"1": ..., "2": ...}, "flops_per_cycle_per_thread": {...}, ...}) and a human line
// on stderr. "flops_per_cycle_per_thread" divides by the "cpu MHz" of /proc/cpuinfo (nominal in a
// VM; turbo makes it exceed the hardware's, which is 2 x lanes x the FMA units per core: 64 with
// two 512-bit FMA units, 32 with one or with two 256-bit ones).
// Threads: OpenMP (omp_set_num_threads); OMP_PROC_BIND=close pins them if wanted.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Runtime constants: the compiler cannot fold the chains.
volatile float g_a = 0.9999f;
volatile float g_b = 0.0001f;
volatile float g_one = 1.0f;
volatile float g_zero = 0.0f;

constexpr int kInner = 4096;  // iterations between clock reads (12 x 4096 FMAs per block)

struct Result {
  std::uint64_t ops = 0;  // vector operations of one kind counted as flops below
  double sum = 0;         // the accumulators' sum (consumed, so the chains stay)
};

double elapsed(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The 12 chains, written out: at -O2 GCC keeps them in registers (no unrolling needed).
#define TG_PEAK_CHAINS(FMA)          \
  for (int i = 0; i < kInner; ++i) { \
    c0 = FMA(c0, a, b);              \
    c1 = FMA(c1, a, b);              \
    c2 = FMA(c2, a, b);              \
    c3 = FMA(c3, a, b);              \
    c4 = FMA(c4, a, b);              \
    c5 = FMA(c5, a, b);              \
    c6 = FMA(c6, a, b);              \
    c7 = FMA(c7, a, b);              \
    c8 = FMA(c8, a, b);              \
    c9 = FMA(c9, a, b);              \
    c10 = FMA(c10, a, b);            \
    c11 = FMA(c11, a, b);            \
  }

__attribute__((target("avx512f"))) Result run_avx512(double seconds) {
  const __m512 a = _mm512_set1_ps(g_a), b = _mm512_set1_ps(g_b);
  __m512 c0 = _mm512_set1_ps(0.50f), c1 = _mm512_set1_ps(0.55f), c2 = _mm512_set1_ps(0.60f),
         c3 = _mm512_set1_ps(0.65f), c4 = _mm512_set1_ps(0.70f), c5 = _mm512_set1_ps(0.75f),
         c6 = _mm512_set1_ps(0.80f), c7 = _mm512_set1_ps(0.85f), c8 = _mm512_set1_ps(0.90f),
         c9 = _mm512_set1_ps(0.95f), c10 = _mm512_set1_ps(1.05f), c11 = _mm512_set1_ps(1.10f);
  Result r;
  const auto t0 = Clock::now();
  do {
    TG_PEAK_CHAINS(_mm512_fmadd_ps)
    r.ops += 12ull * kInner;
  } while (elapsed(t0) < seconds);
  const __m512 s =
      _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                                  _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7))),
                    _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
  // (Stored and summed: GCC 12 warns about _mm512_reduce_add_ps's own _mm256_undefined_pd.)
  alignas(64) float v[16];
  _mm512_store_ps(v, s);
  for (float x : v) r.sum += x;
  return r;
}

__attribute__((target("avx2,fma"))) Result run_avx2(double seconds) {
  const __m256 a = _mm256_set1_ps(g_a), b = _mm256_set1_ps(g_b);
  __m256 c0 = _mm256_set1_ps(0.50f), c1 = _mm256_set1_ps(0.55f), c2 = _mm256_set1_ps(0.60f),
         c3 = _mm256_set1_ps(0.65f), c4 = _mm256_set1_ps(0.70f), c5 = _mm256_set1_ps(0.75f),
         c6 = _mm256_set1_ps(0.80f), c7 = _mm256_set1_ps(0.85f), c8 = _mm256_set1_ps(0.90f),
         c9 = _mm256_set1_ps(0.95f), c10 = _mm256_set1_ps(1.05f), c11 = _mm256_set1_ps(1.10f);
  Result r;
  const auto t0 = Clock::now();
  do {
    TG_PEAK_CHAINS(_mm256_fmadd_ps)
    r.ops += 12ull * kInner;
  } while (elapsed(t0) < seconds);
  const __m256 s =
      _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                                  _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7))),
                    _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  alignas(32) float v[8];
  _mm256_store_ps(v, s);
  for (float x : v) r.sum += x;
  return r;
}

// 128-bit FMA (VEX-encoded), for CPUs with FMA when --isa sse is asked for.
__attribute__((target("fma"))) Result run_sse_fma(double seconds) {
  const __m128 a = _mm_set1_ps(g_a), b = _mm_set1_ps(g_b);
  __m128 c0 = _mm_set1_ps(0.50f), c1 = _mm_set1_ps(0.55f), c2 = _mm_set1_ps(0.60f),
         c3 = _mm_set1_ps(0.65f), c4 = _mm_set1_ps(0.70f), c5 = _mm_set1_ps(0.75f),
         c6 = _mm_set1_ps(0.80f), c7 = _mm_set1_ps(0.85f), c8 = _mm_set1_ps(0.90f),
         c9 = _mm_set1_ps(0.95f), c10 = _mm_set1_ps(1.05f), c11 = _mm_set1_ps(1.10f);
  Result r;
  const auto t0 = Clock::now();
  do {
    TG_PEAK_CHAINS(_mm_fmadd_ps)
    r.ops += 12ull * kInner;
  } while (elapsed(t0) < seconds);
  const __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(_mm_add_ps(c0, c1), _mm_add_ps(c2, c3)),
                                         _mm_add_ps(_mm_add_ps(c4, c5), _mm_add_ps(c6, c7))),
                              _mm_add_ps(_mm_add_ps(c8, c9), _mm_add_ps(c10, c11)));
  alignas(16) float v[4];
  _mm_store_ps(v, s);
  for (float x : v) r.sum += x;
  return r;
}

// Baseline SSE2 without FMA: 6 multiply chains (x 1.0) and 6 add chains (+ 0.0), independent,
// each operation 1 flop per lane (ops counts both kinds).
Result run_sse_muladd(double seconds) {
  const __m128 a = _mm_set1_ps(g_one), b = _mm_set1_ps(g_zero);
  __m128 c0 = _mm_set1_ps(0.50f), c1 = _mm_set1_ps(0.55f), c2 = _mm_set1_ps(0.60f),
         c3 = _mm_set1_ps(0.65f), c4 = _mm_set1_ps(0.70f), c5 = _mm_set1_ps(0.75f),
         c6 = _mm_set1_ps(0.80f), c7 = _mm_set1_ps(0.85f), c8 = _mm_set1_ps(0.90f),
         c9 = _mm_set1_ps(0.95f), c10 = _mm_set1_ps(1.05f), c11 = _mm_set1_ps(1.10f);
  Result r;
  const auto t0 = Clock::now();
  do {
    for (int i = 0; i < kInner; ++i) {
      c0 = _mm_mul_ps(c0, a);
      c1 = _mm_add_ps(c1, b);
      c2 = _mm_mul_ps(c2, a);
      c3 = _mm_add_ps(c3, b);
      c4 = _mm_mul_ps(c4, a);
      c5 = _mm_add_ps(c5, b);
      c6 = _mm_mul_ps(c6, a);
      c7 = _mm_add_ps(c7, b);
      c8 = _mm_mul_ps(c8, a);
      c9 = _mm_add_ps(c9, b);
      c10 = _mm_mul_ps(c10, a);
      c11 = _mm_add_ps(c11, b);
    }
    r.ops += 12ull * kInner;
  } while (elapsed(t0) < seconds);
  const __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(_mm_add_ps(c0, c1), _mm_add_ps(c2, c3)),
                                         _mm_add_ps(_mm_add_ps(c4, c5), _mm_add_ps(c6, c7))),
                              _mm_add_ps(_mm_add_ps(c8, c9), _mm_add_ps(c10, c11)));
  alignas(16) float v[4];
  _mm_store_ps(v, s);
  for (float x : v) r.sum += x;
  return r;
}

#undef TG_PEAK_CHAINS

struct Isa {
  std::string name;
  int lanes;
  bool fma;
  Result (*run)(double);
};

bool cpu_has(const std::string& isa) {
  __builtin_cpu_init();
  if (isa == "avx512") return __builtin_cpu_supports("avx512f");
  if (isa == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return isa == "sse";  // SSE2 is part of x86-64
}

Isa make_isa(const std::string& name) {
  __builtin_cpu_init();
  if (name == "avx512") return {name, 16, true, run_avx512};
  if (name == "avx2") return {name, 8, true, run_avx2};
  if (__builtin_cpu_supports("fma")) return {"sse", 4, true, run_sse_fma};
  return {"sse", 4, false, run_sse_muladd};
}

// "model name" and "cpu MHz" of the first processor in /proc/cpuinfo, and the logical CPUs.
struct CpuInfo {
  std::string model = "?";
  double mhz = 0;
  int logical = 0;
};

CpuInfo cpu_info() {
  CpuInfo c;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  auto value = [](const std::string& l) {
    const auto p = l.find(':');
    if (p == std::string::npos) return std::string();
    std::string v = l.substr(p + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  };
  while (std::getline(f, line)) {
    if (line.rfind("processor", 0) == 0) ++c.logical;
    if (c.model == "?" && line.rfind("model name", 0) == 0) c.model = value(line);
    if (c.mhz == 0 && line.rfind("cpu MHz", 0) == 0) c.mhz = std::atof(value(line).c_str());
  }
  return c;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) o += ch;
  }
  return o;
}

// One measurement at `threads` threads: GFLOPS, and the checksum.
double measure(const Isa& isa, int threads, double seconds, double* checksum) {
  omp_set_num_threads(threads);
  std::vector<Result> res(static_cast<std::size_t>(threads));
  std::vector<Clock::time_point> start(res.size()), end(res.size());
  int got = 0;
#pragma omp parallel num_threads(threads)
  {
    const auto me = static_cast<std::size_t>(omp_get_thread_num());
#pragma omp single
    got = omp_get_num_threads();
#pragma omp barrier
    start[me] = Clock::now();
    res[me] = isa.run(seconds);
    end[me] = Clock::now();
  }
  if (got != threads) {
    std::fprintf(stderr, "bench_peak: asked for %d threads, OpenMP gave %d\n", threads, got);
    std::exit(1);
  }
  const double wall = std::chrono::duration<double>(*std::max_element(end.begin(), end.end()) -
                                                    *std::min_element(start.begin(), start.end()))
                          .count();
  double ops = 0;
  for (const Result& r : res) {
    ops += static_cast<double>(r.ops);
    *checksum += r.sum;
  }
  const double flops_per_op = isa.fma ? 2.0 * isa.lanes : 1.0 * isa.lanes;
  return ops * flops_per_op / wall * 1e-9;
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "bench_peak: %s\nusage: bench_peak [--threads 1,2] [--isa avx512|avx2|sse] "
               "[--seconds S] [--reps R]\n",
               msg);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  std::string isa_name;
  double seconds = 0.4;
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "-h" || k == "--help") usage("the machine's FP32 FMA peak, JSON on stdout");
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    const std::string v = argv[++i];
    if (k == "--threads") {
      threads.clear();
      std::size_t p = 0;
      while (p <= v.size()) {
        const std::size_t q = std::min(v.find(',', p), v.size());
        const int t = std::atoi(v.substr(p, q - p).c_str());
        if (t <= 0) usage(("bad --threads " + v).c_str());
        threads.push_back(t);
        p = q + 1;
      }
    } else if (k == "--isa") {
      if (v != "avx512" && v != "avx2" && v != "sse")
        usage(("unknown --isa " + v + " (avx512, avx2 or sse)").c_str());
      isa_name = v;
    } else if (k == "--seconds") {
      seconds = std::atof(v.c_str());
      if (!(seconds > 0)) usage("--seconds must be > 0");
    } else if (k == "--reps") {
      reps = std::atoi(v.c_str());
      if (reps <= 0) usage("--reps must be > 0");
    } else {
      usage(("unknown flag " + k).c_str());
    }
  }
  if (isa_name.empty()) {
    isa_name = cpu_has("avx512") ? "avx512" : cpu_has("avx2") ? "avx2" : "sse";
  } else if (!cpu_has(isa_name)) {
    std::fprintf(stderr, "bench_peak: this CPU does not support %s (%s); pick a narrower --isa\n",
                 isa_name.c_str(), isa_name == "avx512" ? "no avx512f" : "needs avx2 and fma");
    return 2;
  }
  const Isa isa = make_isa(isa_name);
  const CpuInfo cpu = cpu_info();

  double checksum = 0;
  // Warm-up: starts the OpenMP threads and lets the clock settle on the vector units.
  measure(isa, *std::max_element(threads.begin(), threads.end()), 0.1, &checksum);
  std::vector<double> best(threads.size(), 0.0);
  for (int r = 0; r < reps; ++r)
    for (std::size_t i = 0; i < threads.size(); ++i)
      best[i] = std::max(best[i], measure(isa, threads[i], seconds, &checksum));

  std::string gf, fpc, human;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    char buf[160];
    const char* sep = i ? ", " : "";
    std::snprintf(buf, sizeof buf, "%s\"%d\": %.1f", sep, threads[i], best[i]);
    gf += buf;
    if (cpu.mhz > 0) {
      std::snprintf(buf, sizeof buf, "%s\"%d\": %.1f", sep, threads[i],
                    best[i] * 1e3 / cpu.mhz / threads[i]);
      fpc += buf;
    }
    std::snprintf(buf, sizeof buf, "%s%.1f GFLOPS at %d thread%s", sep, best[i], threads[i],
                  threads[i] > 1 ? "s" : "");
    human += buf;
  }
  std::printf(
      "{\"cpu\": \"%s\", \"logical_cpus\": %d, \"cpu_mhz\": %.0f, \"isa\": \"%s\", \"lanes\": "
      "%d, \"fma\": %s, \"seconds\": %g, \"reps\": %d, \"gflops\": {%s}, "
      "\"flops_per_cycle_per_thread\": {%s}, \"checksum\": %.6g}\n",
      json_escape(cpu.model).c_str(), cpu.logical, cpu.mhz, isa.name.c_str(), isa.lanes,
      isa.fma ? "true" : "false", seconds, reps, gf.c_str(), fpc.c_str(), checksum);
  std::fprintf(stderr, "bench_peak: %s, %s x%d%s: %s (best of %d x %g s)\n", cpu.model.c_str(),
               isa.name.c_str(), isa.lanes, isa.fma ? " FMA" : " mul+add", human.c_str(), reps,
               seconds);
  return 0;
}
