#pragma once
/// @file
/// Functions that make new tensors. Random ones take an optional Generator (default: the global
/// one seeded by tg::manual_seed).
#include <initializer_list>
#include <vector>

#include "tapegrad/core/random.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg {

/// A new contiguous tensor with uninitialised values. A negative dimension is a tg::Error.
Tensor empty(const Shape& shape, DType dtype = DType::Float32);
/// A new tensor of zeros.
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
/// A new tensor of ones.
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
/// A new tensor filled with `value` (converted to dtype).
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
/// Zeros with t's shape and dtype.
Tensor zeros_like(const Tensor& t);
/// Ones with t's shape and dtype.
Tensor ones_like(const Tensor& t);
/// `value` with t's shape and dtype.
Tensor full_like(const Tensor& t, double value);
/// A 0-d tensor.
Tensor scalar_tensor(double value, DType dtype = DType::Float32);
/// [0, end) in steps of 1; dtype Int64 unless given.
Tensor arange(double end, DType dtype = DType::Int64);
/// [start, end) in steps of `step`; dtype Int64 unless given. A zero or non-finite step is a
/// tg::Error.
Tensor arange(double start, double end, double step = 1, DType dtype = DType::Int64);
/// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::Float32);
/// An n x m matrix with ones on the diagonal (m = n when negative).
Tensor eye(std::int64_t n, std::int64_t m = -1, DType dtype = DType::Float32);

/// From values, row-major. With an empty shape the result is 1-D.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape = {});
/// From values, row-major, converted to dtype. With an empty shape the result is 1-D; a shape
/// that the values do not fill exactly is a tg::Error.
Tensor tensor(std::initializer_list<double> values, const Shape& shape = {},
              DType dtype = DType::Float32);
/// From values, row-major, converted to dtype. With an empty shape the result is 1-D.
Tensor tensor(const std::vector<double>& values, const Shape& shape = {},
              DType dtype = DType::Float32);
/// int64 values (class labels, indices).
Tensor int64_tensor(const std::vector<std::int64_t>& values, const Shape& shape = {});

/// Uniform in [0, 1).
Tensor rand(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
/// Uniform in [low, high). dtype must be floating and low <= high (else tg::Error).
Tensor uniform(const Shape& shape, double low, double high, DType dtype = DType::Float32,
               Generator* gen = nullptr);
/// Standard normal: Normal(0, 1).
Tensor randn(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
/// Normal(mean, std). dtype must be floating and std >= 0 (else tg::Error).
Tensor normal(const Shape& shape, double mean, double std, DType dtype = DType::Float32,
              Generator* gen = nullptr);
/// Integers uniform in [low, high), int64.
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen = nullptr);
/// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::Float32,
                 Generator* gen = nullptr);
/// A random permutation of 0..n-1 (int64).
Tensor randperm(std::int64_t n, Generator* gen = nullptr);

}  // namespace tg
