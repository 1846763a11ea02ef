#include "tapegrad/nn/norm.hpp"

#include <fmt/format.h>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::nn {

namespace {

void check_float_input(const Tensor& x, const Tensor& like, const std::string& layer) {
  if (!is_floating(x.dtype()))
    fail("{}: input must be float32 or float64, got {} (shape {})", layer, x.dtype(),
         shape_str(x.shape()));
  if (like.defined() && like.dtype() != x.dtype())
    fail("{}: input is {} but the layer's parameters and buffers are {}; convert one of them",
         layer, x.dtype(), like.dtype());
}

}  // namespace

// ---------------------------------------------------------------- BatchNorm

BatchNorm::BatchNorm(std::string name, std::int64_t num_features_, double eps_,
                     std::optional<double> momentum_, bool affine_, bool track, DType dtype)
    : Module(std::move(name)),
      num_features(num_features_),
      eps(eps_),
      momentum(momentum_),
      affine(affine_),
      track_running_stats(track) {
  if (num_features <= 0)
    fail("{}: num_features must be positive, got {}", type_name(), num_features);
  if (!(eps > 0)) fail("{}: eps must be positive, got {}", type_name(), eps);
  if (momentum && !(*momentum >= 0 && *momentum <= 1))
    fail("{}: momentum must be in [0, 1], got {}", type_name(), *momentum);
  if (!is_floating(dtype)) fail("{}: dtype must be float32 or float64, got {}", type_name(), dtype);
  if (affine) {
    weight = register_parameter("weight", empty({num_features}, dtype));
    bias = register_parameter("bias", empty({num_features}, dtype));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}, dtype));
    running_var = register_buffer("running_var", ones({num_features}, dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, DType::Int64));
  }
  reset_parameters();
}

void BatchNorm::reset_running_stats() {
  if (!track_running_stats) return;
  NoGradGuard ng;
  running_mean.fill_(0);
  running_var.fill_(1);
  num_batches_tracked.fill_(0);
}

void BatchNorm::reset_parameters() {
  reset_running_stats();
  if (affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  check_input_dim(x);
  check_float_input(x, affine ? weight : running_mean, type_name());
  if (x.shape()[1] != num_features)
    fail("{}: input has {} channels but the layer expects num_features={} (input shape {})",
         type_name(), x.shape()[1], num_features, shape_str(x.shape()));

  Dims reduce_dims{0};
  Shape param_shape(static_cast<std::size_t>(x.dim()), 1);
  param_shape[1] = num_features;
  for (std::int64_t d = 2; d < x.dim(); ++d) reduce_dims.push_back(d);
  const std::int64_t per_channel = x.numel() / num_features;

  const bool use_batch_stats = is_training() || !track_running_stats;
  Tensor xhat;
  if (use_batch_stats) {
    if (per_channel <= 1)
      fail("{}: expected more than 1 value per channel when training, got input size {}",
           type_name(), shape_str(x.shape()));
    const Tensor mu = mean(x, reduce_dims, true);
    const Tensor centred = sub(x, mu);
    const Tensor var_biased = mean(mul(centred, centred), reduce_dims, true);
    xhat = mul(centred, rsqrt(add(var_biased, eps)));
    if (is_training() && track_running_stats) {
      NoGradGuard ng;
      const std::int64_t batches = num_batches_tracked.item<std::int64_t>() + 1;
      num_batches_tracked.fill_(static_cast<double>(batches));
      const double m = momentum ? *momentum : 1.0 / static_cast<double>(batches);
      const double bessel = static_cast<double>(per_channel) / static_cast<double>(per_channel - 1);
      running_mean.mul_(1 - m).add_(mu.detach().reshape({num_features}), m);
      running_var.mul_(1 - m).add_(var_biased.detach().reshape({num_features}), m * bessel);
    }
  } else {
    const Tensor rm = running_mean.reshape(param_shape);
    const Tensor rv = running_var.reshape(param_shape);
    xhat = mul(sub(x, rm), rsqrt(add(rv, eps)));
  }
  if (!affine) return xhat;
  return add(mul(xhat, weight.reshape(param_shape)), bias.reshape(param_shape));
}

std::string BatchNorm::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features,
                     eps, momentum ? fmt::format("{}", *momentum) : std::string("None"), affine,
                     track_running_stats);
}

BatchNorm1d::BatchNorm1d(std::int64_t num_features, double eps, std::optional<double> momentum,
                         bool affine, bool track_running_stats, DType dtype)
    : BatchNorm("BatchNorm1d", num_features, eps, momentum, affine, track_running_stats, dtype) {}

void BatchNorm1d::check_input_dim(const Tensor& x) const {
  if (x.dim() != 2 && x.dim() != 3)
    fail("BatchNorm1d: expected 2D [N, C] or 3D [N, C, L] input, got {}D input of shape {}",
         x.dim(), shape_str(x.shape()));
}

BatchNorm2d::BatchNorm2d(std::int64_t num_features, double eps, std::optional<double> momentum,
                         bool affine, bool track_running_stats, DType dtype)
    : BatchNorm("BatchNorm2d", num_features, eps, momentum, affine, track_running_stats, dtype) {}

void BatchNorm2d::check_input_dim(const Tensor& x) const {
  if (x.dim() != 4)
    fail("BatchNorm2d: expected 4D [N, C, H, W] input, got {}D input of shape {}", x.dim(),
         shape_str(x.shape()));
}

// ---------------------------------------------------------------- LayerNorm

LayerNorm::LayerNorm(Shape normalized_shape_, double eps_, bool affine, DType dtype)
    : Module("LayerNorm"),
      normalized_shape(std::move(normalized_shape_)),
      eps(eps_),
      elementwise_affine(affine) {
  if (normalized_shape.empty()) fail("LayerNorm: normalized_shape must not be empty");
  for (const std::int64_t s : normalized_shape)
    if (s <= 0)
      fail("LayerNorm: normalized_shape {} must have positive sizes", shape_str(normalized_shape));
  if (!(eps > 0)) fail("LayerNorm: eps must be positive, got {}", eps);
  if (!is_floating(dtype)) fail("LayerNorm: dtype must be float32 or float64, got {}", dtype);
  if (elementwise_affine) {
    weight = register_parameter("weight", empty(normalized_shape, dtype));
    bias = register_parameter("bias", empty(normalized_shape, dtype));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  if (!elementwise_affine) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& x) {
  check_float_input(x, weight, "LayerNorm");
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  bool ok = x.dim() >= k;
  for (std::int64_t i = 0; ok && i < k; ++i) ok = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!ok)
    fail("LayerNorm: input shape {} does not end in normalized_shape {} (expected [*, {}])",
         shape_str(x.shape()), shape_str(normalized_shape),
         shape_str(normalized_shape).substr(1, shape_str(normalized_shape).size() - 2));
  Dims dims;
  for (std::int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  const Tensor centred = sub(x, mean(x, dims, true));
  const Tensor var_biased = mean(mul(centred, centred), dims, true);
  const Tensor xhat = mul(centred, rsqrt(add(var_biased, eps)));
  if (!elementwise_affine) return xhat;
  return add(mul(xhat, weight), bias);
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", shape_str(normalized_shape), eps,
                     elementwise_affine);
}

}  // namespace tg::nn
