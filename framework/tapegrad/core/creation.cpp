#include "tapegrad/core/creation.hpp"

#include <cmath>

#include "tapegrad/kernels/parallel.hpp"

namespace tg {

namespace {
void check_shape(const Shape& shape, const char* op) {
  for (auto s : shape)
    if (s < 0) fail("{}: negative dimension in shape {}", op, shape_str(shape));
}

template <class Fill>
Tensor make_filled(const Shape& shape, DType dtype, const char* op, Fill&& fill) {
  check_shape(shape, op);
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    fill(t.data_ptr<T>(), t.numel());
  });
  return t;
}

template <class T>
void fill_const(T* p, std::int64_t n, T v) {
  kernels::parallel_for(0, n, 1 << 16, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) p[i] = v;
  });
}
}  // namespace

Tensor empty(const Shape& shape, DType dtype) {
  check_shape(shape, "empty");
  return Tensor::empty(shape, dtype);
}

Tensor full(const Shape& shape, double value, DType dtype) {
  return make_filled(shape, dtype, "full", [&](auto* p, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(p)>;
    fill_const<T>(p, n, static_cast<T>(value));
  });
}
Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double v) { return full(t.shape(), v, t.dtype()); }
Tensor scalar_tensor(double value, DType dtype) { return full({}, value, dtype); }

Tensor arange(double end, DType dtype) { return arange(0, end, 1, dtype); }
Tensor arange(double start, double end, double step, DType dtype) {
  if (step == 0) fail("arange: step must be non-zero");
  if (!std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
    fail("arange: start, end and step must be finite (got {}, {}, {})", start, end, step);
  const double count = std::ceil((end - start) / step);
  const auto n = static_cast<std::int64_t>(count > 0 ? count : 0);
  return make_filled({n}, dtype, "arange", [&](auto* p, std::int64_t m) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (std::int64_t i = 0; i < m; ++i)
      p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
}

Tensor linspace(double start, double end, std::int64_t steps, DType dtype) {
  if (steps < 0) fail("linspace: steps must be >= 0, got {}", steps);
  return make_filled({steps}, dtype, "linspace", [&](auto* p, std::int64_t m) {
    using T = std::remove_pointer_t<decltype(p)>;
    const double d = m > 1 ? (end - start) / static_cast<double>(m - 1) : 0.0;
    // Fill from both ends so that the last value is exactly `end`, as PyTorch does.
    for (std::int64_t i = 0; i < m; ++i)
      p[i] = static_cast<T>(i < m / 2 ? start + d * static_cast<double>(i)
                                      : end - d * static_cast<double>(m - 1 - i));
  });
}

Tensor eye(std::int64_t n, std::int64_t m, DType dtype) {
  if (m < 0) m = n;
  Tensor t = zeros({n, m}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    for (std::int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return t;
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape_in) {
  const Shape shape = shape_in.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape_in;
  check_shape(shape, "from_vector");
  if (numel_of(shape) != static_cast<std::int64_t>(values.size()))
    fail("from_vector: {} values do not fill shape {} ({} elements)", values.size(),
         shape_str(shape), numel_of(shape));
  Tensor t = Tensor::empty(shape, dtype_v<T>);
  std::copy(values.begin(), values.end(), t.data_ptr<T>());
  return t;
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&);
template Tensor from_vector<std::int64_t>(const std::vector<std::int64_t>&, const Shape&);

Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  const Tensor t = from_vector<double>(values, shape);
  return dtype == DType::Float64 ? t : t.to(dtype);
}
Tensor tensor(std::initializer_list<double> values, const Shape& shape, DType dtype) {
  return tensor(std::vector<double>(values), shape, dtype);
}
Tensor int64_tensor(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_vector<std::int64_t>(values, shape);
}

// Random fills are sequential: one generator stream, so results do not depend on thread count.
Tensor uniform(const Shape& shape, double low, double high, DType dtype, Generator* gen) {
  if (!is_floating(dtype)) fail("uniform: dtype must be float32 or float64, got {}", dtype);
  if (!(low <= high)) fail("uniform: low ({}) must be <= high ({})", low, high);
  Generator& g = gen ? *gen : default_generator();
  return make_filled(shape, dtype, "uniform", [&](auto* p, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (std::int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, float>)
        p[i] = static_cast<float>(low + (high - low) * static_cast<double>(g.uniform_float()));
      else
        p[i] = static_cast<T>(low + (high - low) * g.uniform_double());
    }
  });
}
Tensor rand(const Shape& shape, DType dtype, Generator* gen) {
  return uniform(shape, 0, 1, dtype, gen);
}

Tensor normal(const Shape& shape, double mean, double std, DType dtype, Generator* gen) {
  if (!is_floating(dtype)) fail("normal: dtype must be float32 or float64, got {}", dtype);
  if (!(std >= 0)) fail("normal: std must be >= 0, got {}", std);
  Generator& g = gen ? *gen : default_generator();
  return make_filled(shape, dtype, "normal", [&](auto* p, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(mean + std * g.normal());
  });
}
Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
  return normal(shape, 0, 1, dtype, gen);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen) {
  if (low >= high) fail("randint: low ({}) must be < high ({})", low, high);
  Generator& g = gen ? *gen : default_generator();
  const auto range = static_cast<std::uint64_t>(high - low);
  return make_filled(shape, DType::Int64, "randint", [&](auto* p, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (std::int64_t i = 0; i < n; ++i)
      p[i] = static_cast<T>(low + static_cast<std::int64_t>(g.below(range)));
  });
}

Tensor bernoulli(const Shape& shape, double prob, DType dtype, Generator* gen) {
  if (!(prob >= 0 && prob <= 1)) fail("bernoulli: p must be in [0, 1], got {}", prob);
  Generator& g = gen ? *gen : default_generator();
  return make_filled(shape, dtype, "bernoulli", [&](auto* p, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(g.uniform_double() < prob ? 1 : 0);
  });
}

Tensor randperm(std::int64_t n, Generator* gen) {
  if (n < 0) fail("randperm: n must be >= 0, got {}", n);
  Generator& g = gen ? *gen : default_generator();
  Tensor t = arange(static_cast<double>(n));
  auto* p = t.data_ptr<std::int64_t>();
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(i + 1)))]);
  return t;
}

}  // namespace tg
