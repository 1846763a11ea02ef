#pragma once
// Functions that make new tensors. Random ones take an optional Generator (default: the global
// one seeded by tg::manual_seed).
#include <initializer_list>
#include <vector>

#include "tapegrad/core/random.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg {

Tensor empty(const Shape& shape, DType dtype = DType::Float32);
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// A 0-d tensor.
Tensor scalar_tensor(double value, DType dtype = DType::Float32);
// [start, end) in steps of `step`; dtype Int64 unless given.
Tensor arange(double end, DType dtype = DType::Int64);
Tensor arange(double start, double end, double step = 1, DType dtype = DType::Int64);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::Float32);
Tensor eye(std::int64_t n, std::int64_t m = -1, DType dtype = DType::Float32);

// From values, row-major. With an empty shape the result is 1-D.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape = {});
Tensor tensor(std::initializer_list<double> values, const Shape& shape = {},
              DType dtype = DType::Float32);
Tensor tensor(const std::vector<double>& values, const Shape& shape = {},
              DType dtype = DType::Float32);
// int64 values (class labels, indices).
Tensor int64_tensor(const std::vector<std::int64_t>& values, const Shape& shape = {});

// Uniform in [low, high).
Tensor rand(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
Tensor uniform(const Shape& shape, double low, double high, DType dtype = DType::Float32,
               Generator* gen = nullptr);
// Normal(mean, std).
Tensor randn(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
Tensor normal(const Shape& shape, double mean, double std, DType dtype = DType::Float32,
              Generator* gen = nullptr);
// Integers uniform in [low, high), int64.
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen = nullptr);
// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::Float32,
                 Generator* gen = nullptr);
// A random permutation of 0..n-1 (int64).
Tensor randperm(std::int64_t n, Generator* gen = nullptr);

}  // namespace tg
