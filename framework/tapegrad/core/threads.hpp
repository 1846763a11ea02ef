#pragma once
/// @file
/// The number of threads kernels use.
namespace tg {

/// Threads used by kernels (OpenMP). Same seed and same thread count give bit-identical results.
int get_num_threads();
/// Sets the number of threads kernels use (values below 1 mean 1).
void set_num_threads(int n);

}  // namespace tg
