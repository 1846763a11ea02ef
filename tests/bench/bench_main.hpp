#pragma once
// The main() shared by the Google Benchmark programs in tests/bench: "--json" is shorthand for
// --benchmark_format=json, the thread count comes from TG_THREADS (default 1) and is recorded in
// the output's context, then `register_all` adds the benchmarks and they run.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "tapegrad/core/threads.hpp"

namespace tgbench {

template <class Register>
int run_benchmarks(int argc, char** argv, Register&& register_all) {
  std::vector<std::string> args_store;
  for (int i = 0; i < argc; ++i)
    args_store.emplace_back(std::strcmp(argv[i], "--json") == 0 ? "--benchmark_format=json"
                                                                : argv[i]);
  std::vector<char*> args;
  for (std::string& a : args_store) args.push_back(a.data());
  int nargs = static_cast<int>(args.size());

  int threads = 1;
  if (const char* t = std::getenv("TG_THREADS")) threads = std::max(1, std::atoi(t));
  tg::set_num_threads(threads);

  benchmark::Initialize(&nargs, args.data());
  if (benchmark::ReportUnrecognizedArguments(nargs, args.data())) return 1;
  register_all();
  benchmark::AddCustomContext("tg_threads", std::to_string(threads));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace tgbench
