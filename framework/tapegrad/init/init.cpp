#include "tapegrad/init/init.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/error.hpp"

namespace tg::init {

namespace {

void check_target(const Tensor& t, const char* op) {
  if (!t.defined()) fail("init::{}: the tensor is undefined (default-constructed tg::Tensor)", op);
  if (!is_floating(t.dtype()))
    fail("init::{}: tensor of shape {} has dtype {}; initialisers need float32 or float64", op,
         shape_str(t.shape()), t.dtype());
}

// Writes a freshly made tensor of the same shape into t through the in-place API, without
// recording anything: initialisation is not part of any graph.
Tensor assign(const Tensor& t, const Tensor& src) {
  NoGradGuard no_grad;
  Tensor out = t;
  out.copy_(src);
  return out;
}

Generator& pick(Generator* gen) { return gen ? *gen : default_generator(); }

std::int64_t fan_for(const Tensor& t, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

const char* const kGainNames =
    "linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, "
    "sigmoid, identity, tanh, relu, leaky_relu, selu";

}  // namespace

double calculate_gain(std::string_view nl, std::optional<double> param) {
  static constexpr std::string_view kOne[] = {
      "linear",           "conv1d",           "conv2d",  "conv3d",   "conv_transpose1d",
      "conv_transpose2d", "conv_transpose3d", "sigmoid", "identity",
  };
  for (auto name : kOne)
    if (nl == name) return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") {
    const double slope = param.value_or(0.01);
    if (!std::isfinite(slope))
      fail("init::calculate_gain: leaky_relu negative slope must be finite, got {}", slope);
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  // 3/4 is PyTorch's value for selu: it keeps the variance of SELU networks close to 1.
  if (nl == "selu") return 0.75;
  fail("init::calculate_gain: unknown nonlinearity '{}'; valid names are: {}", nl, kGainNames);
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& w) {
  if (!w.defined()) fail("init::calculate_fan_in_and_fan_out: the tensor is undefined");
  if (w.dim() < 2)
    fail(
        "init::calculate_fan_in_and_fan_out: fan in and fan out need a tensor with at least 2 "
        "dimensions ([out, in, kernel...]), got shape {}",
        shape_str(w.shape()));
  std::int64_t receptive = 1;
  for (std::int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

Tensor uniform_(const Tensor& t, double a, double b, Generator* gen) {
  check_target(t, "uniform_");
  if (!(a <= b)) fail("init::uniform_: lower bound a ({}) must be <= upper bound b ({})", a, b);
  return assign(t, uniform(t.shape(), a, b, t.dtype(), &pick(gen)));
}

Tensor normal_(const Tensor& t, double mean, double std, Generator* gen) {
  check_target(t, "normal_");
  if (!(std >= 0)) fail("init::normal_: std must be >= 0, got {}", std);
  return assign(t, normal(t.shape(), mean, std, t.dtype(), &pick(gen)));
}

Tensor constant_(const Tensor& t, double value) {
  check_target(t, "constant_");
  NoGradGuard no_grad;
  Tensor out = t;
  out.fill_(value);
  return out;
}

Tensor zeros_(const Tensor& t) {
  check_target(t, "zeros_");
  return constant_(t, 0.0);
}

Tensor ones_(const Tensor& t) {
  check_target(t, "ones_");
  return constant_(t, 1.0);
}

Tensor kaiming_uniform_(const Tensor& t, double a, FanMode mode, std::string_view nonlinearity,
                        Generator* gen) {
  check_target(t, "kaiming_uniform_");
  if (t.numel() == 0) return t;
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(double(fan_for(t, mode)));
  const double bound = std::sqrt(3.0) * std;  // U(-b, b) has variance b^2 / 3
  return assign(t, uniform(t.shape(), -bound, bound, t.dtype(), &pick(gen)));
}

Tensor kaiming_normal_(const Tensor& t, double a, FanMode mode, std::string_view nonlinearity,
                       Generator* gen) {
  check_target(t, "kaiming_normal_");
  if (t.numel() == 0) return t;
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(double(fan_for(t, mode)));
  return assign(t, normal(t.shape(), 0.0, std, t.dtype(), &pick(gen)));
}

Tensor xavier_uniform_(const Tensor& t, double gain, Generator* gen) {
  check_target(t, "xavier_uniform_");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  if (t.numel() == 0) return t;
  const double std = gain * std::sqrt(2.0 / double(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * std;
  return assign(t, uniform(t.shape(), -bound, bound, t.dtype(), &pick(gen)));
}

Tensor xavier_normal_(const Tensor& t, double gain, Generator* gen) {
  check_target(t, "xavier_normal_");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  if (t.numel() == 0) return t;
  const double std = gain * std::sqrt(2.0 / double(fan_in + fan_out));
  return assign(t, normal(t.shape(), 0.0, std, t.dtype(), &pick(gen)));
}

Tensor orthogonal_(const Tensor& t, double gain, Generator* gen) {
  check_target(t, "orthogonal_");
  if (t.dim() < 2)
    fail("init::orthogonal_: needs a tensor with at least 2 dimensions, got shape {}",
         shape_str(t.shape()));
  if (t.numel() == 0) return t;
  const std::int64_t rows = t.size(0), cols = t.numel() / rows;
  // Work on the tall orientation m x n (m >= n): orthonormal columns are always possible there.
  const bool wide = rows < cols;
  const std::int64_t m = wide ? cols : rows, n = wide ? rows : cols;

  // Standard-normal rows x cols matrix drawn row-major (as PyTorch fills `flattened`), stored as
  // the n columns of the tall matrix (column j is contiguous in q[j*m .. j*m+m)).
  Generator& g = pick(gen);
  std::vector<double> q(static_cast<std::size_t>(m * n));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      const double v = g.normal();
      if (wide)
        q[static_cast<std::size_t>(r * m + c)] = v;  // column r of the transposed matrix
      else
        q[static_cast<std::size_t>(c * m + r)] = v;
    }

  // Modified Gram-Schmidt, each column orthogonalised twice ("twice is enough"), which keeps
  // ||Q^T Q - I|| at rounding level. R's diagonal (the norms) comes out positive, which is the
  // sign convention PyTorch obtains by multiplying Householder's Q by sign(diag(R)).
  for (std::int64_t j = 0; j < n; ++j) {
    double* v = q.data() + j * m;
    for (int pass = 0; pass < 2; ++pass)
      for (std::int64_t i = 0; i < j; ++i) {
        const double* u = q.data() + i * m;
        double dot = 0;
        for (std::int64_t k = 0; k < m; ++k) dot += u[k] * v[k];
        for (std::int64_t k = 0; k < m; ++k) v[k] -= dot * u[k];
      }
    double norm = 0;
    for (std::int64_t k = 0; k < m; ++k) norm += v[k] * v[k];
    norm = std::sqrt(norm);
    // A Gaussian matrix is rank-deficient with probability 0; guard anyway rather than divide by 0.
    if (!(norm > 1e-300)) fail("init::orthogonal_: the random matrix was singular; try again");
    for (std::int64_t k = 0; k < m; ++k) v[k] /= norm;
  }

  // Back to rows x cols, row-major, times gain.
  std::vector<double> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      out[static_cast<std::size_t>(r * cols + c)] =
          gain *
          (wide ? q[static_cast<std::size_t>(r * m + c)] : q[static_cast<std::size_t>(c * m + r)]);
  return assign(t, from_vector<double>(out, t.shape()));
}

}  // namespace tg::init
