#pragma once
namespace tg {

// Threads used by kernels (OpenMP). Same seed and same thread count give bit-identical results.
int get_num_threads();
void set_num_threads(int n);

}  // namespace tg
