#pragma once
/// @file
/// Normalisation layers with PyTorch's semantics: BatchNorm1d, BatchNorm2d and LayerNorm. The
/// forward is composed from differentiable ops, so backward and double backward come from autograd.
#include <optional>

#include "tapegrad/nn/module.hpp"

namespace tg::nn {

/// Shared by BatchNorm1d and BatchNorm2d (PyTorch's _BatchNorm). Normalises over every dimension
/// except the channel dimension 1.
///
/// Training (or track_running_stats = false): batch mean and biased batch variance. When running
/// stats are tracked, training also updates them (without recording on the tape):
/// @verbatim
///   running_mean = (1 - m) * running_mean + m * batch_mean
///   running_var  = (1 - m) * running_var  + m * unbiased batch_var
/// @endverbatim
/// and num_batches_tracked += 1. With momentum = std::nullopt, m = 1 / num_batches_tracked (a
/// cumulative moving average), as PyTorch's momentum=None.
/// Eval with tracked stats: normalises with running_mean and running_var.
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  void reset_running_stats();  ///< running_mean = 0, running_var = 1, num_batches_tracked = 0
  void reset_parameters();     ///< also weight = 1, bias = 0

  std::int64_t num_features;       ///< C, the size of dimension 1
  double eps;                      ///< added to the variance before the square root
  std::optional<double> momentum;  ///< m above; std::nullopt: cumulative moving average
  /// Learn a per-channel scale (weight) and shift (bias).
  bool affine, track_running_stats;
  /// @var track_running_stats
  /// Keep running_mean and running_var, and use them in eval mode.

  /// [C]; undefined when affine = false.
  Tensor weight, bias;  ///< [C]; undefined when affine = false
  /// [C]; undefined when not tracking.
  Tensor running_mean, running_var, num_batches_tracked;

  /// @var running_var
  /// [C]; undefined when not tracking.
  /// @var num_batches_tracked
  /// Training batches seen (a 0-d int64 tensor); undefined when not tracking.

 protected:
  /// Called by BatchNorm1d and BatchNorm2d; `name` is the type name.
  BatchNorm(std::string name, std::int64_t num_features, double eps, std::optional<double> momentum,
            bool affine, bool track_running_stats, DType dtype);
  /// Throws if x has a dimension count this layer does not accept.
  virtual void check_input_dim(const Tensor& x) const = 0;
};

/// Input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNorm {
 public:
  /// num_features channels (C).
  explicit BatchNorm1d(std::int64_t num_features, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool track_running_stats = true, DType dtype = DType::Float32);

 protected:
  void check_input_dim(const Tensor& x) const override;
};

/// Input [N, C, H, W].
class BatchNorm2d : public BatchNorm {
 public:
  /// num_features channels (C).
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool track_running_stats = true, DType dtype = DType::Float32);

 protected:
  void check_input_dim(const Tensor& x) const override;
};

/// Normalises over the trailing dimensions given by normalized_shape (mean and biased variance
/// per sample), then applies weight (init 1) and bias (init 0) of shape normalized_shape when
/// elementwise_affine. Same in training and eval.
class LayerNorm : public Module {
 public:
  /// Normalises over the trailing dimensions normalized_shape.
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  /// weight = 1, bias = 0.
  void reset_parameters();

  Shape normalized_shape;   ///< the trailing dimensions normalised over
  double eps;               ///< added to the variance before the square root
  bool elementwise_affine;  ///< apply weight and bias
  /// Of shape normalized_shape; undefined when elementwise_affine = false.
  Tensor weight, bias;  ///< undefined when elementwise_affine = false
};

}  // namespace tg::nn
