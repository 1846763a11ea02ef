#pragma once
/// @file
/// Parameter initialisers with PyTorch's semantics (torch.nn.init).
///
/// Every function fills its tensor IN PLACE and returns a handle to it. The fill runs under an
/// internal NoGradGuard, so it works on parameters (leaves that require grad) and keeps their
/// requires_grad flag; it is never recorded on the tape. Tensors of dtype float32 and float64 are
/// accepted; int64 raises tg::Error. Views (transposed, sliced) are filled through their strides.
/// Random initialisers draw from `gen`, or from tg::default_generator() when it is null, so
/// tg::manual_seed(s) makes them reproducible.
///
/// @code{.cpp}
///   auto w = tg::empty({out, in});
///   tg::init::kaiming_uniform_(w, std::sqrt(5.0));  // what nn.Linear does in PyTorch
///   tg::init::xavier_normal_(w, tg::init::calculate_gain("tanh"));
/// @endcode
///
/// Fans (see calculate_fan_in_and_fan_out) follow PyTorch's layout: dim 0 is the number of output
/// features / channels, dim 1 the number of inputs, dims 2.. the receptive field (kernel).
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "tapegrad/core/random.hpp"
#include "tapegrad/core/tensor.hpp"

/// Parameter initialisers (PyTorch's torch.nn.init).
namespace tg::init {

/// Which fan kaiming_* preserves: FanIn keeps the variance of the forward activations, FanOut
/// that of the backward gradients.
enum class FanMode {
  FanIn,  ///< std from fan_in (forward activations)
  FanOut  ///< std from fan_out (backward gradients)
};

/// Recommended gain for a nonlinearity, as torch.nn.init.calculate_gain:
/// @verbatim
///   linear, conv1d, conv2d, conv3d, conv_transpose1d/2d/3d, sigmoid, identity -> 1
///   tanh -> 5/3
///   relu -> sqrt(2)
///   leaky_relu -> sqrt(2 / (1 + slope^2)), slope = param (default 0.01)
///   selu -> 3/4
/// @endverbatim
/// `param` is used by leaky_relu only. An unknown name raises tg::Error listing the valid names.
double calculate_gain(std::string_view nonlinearity, std::optional<double> param = std::nullopt);

/// (fan_in, fan_out) of a weight: fan_in = size(1) * receptive field, fan_out = size(0) *
/// receptive field, with receptive field = product of dims 2.. (1 for a 2-D weight). A Linear
/// weight [out, in] gives (in, out); a Conv2d weight [out, in, kh, kw] gives (in*kh*kw,
/// out*kh*kw). Tensors with fewer than 2 dimensions raise tg::Error naming the shape.
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& w);

/// Uniform on [a, b) (a <= b required).
Tensor uniform_(const Tensor& t, double a = 0, double b = 1, Generator* gen = nullptr);
/// Normal(mean, std) (std >= 0 required).
Tensor normal_(const Tensor& t, double mean = 0, double std = 1, Generator* gen = nullptr);
/// Every element = value.
Tensor constant_(const Tensor& t, double value);
/// Every element = 0.
Tensor zeros_(const Tensor& t);
/// Every element = 1.
Tensor ones_(const Tensor& t);

/// He et al. (2015). std = gain / sqrt(fan) with gain = calculate_gain(nonlinearity, a) and fan
/// chosen by `mode`; kaiming_uniform_ draws from U(-bound, bound) with bound = sqrt(3) * std,
/// kaiming_normal_ from N(0, std). `a` is the negative slope of leaky_relu (ignored for other
/// nonlinearities). PyTorch's nn.Linear / nn.Conv2d default is kaiming_uniform_(w, sqrt(5)).
/// Zero-element tensors are left untouched (PyTorch warns and returns).
Tensor kaiming_uniform_(const Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                        std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
/// He et al. (2015), normal: N(0, std), std as kaiming_uniform_.
Tensor kaiming_normal_(const Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                       std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);

/// Glorot & Bengio (2010). std = gain * sqrt(2 / (fan_in + fan_out)); xavier_uniform_ draws from
/// U(-bound, bound) with bound = sqrt(3) * std, xavier_normal_ from N(0, std).
Tensor xavier_uniform_(const Tensor& t, double gain = 1, Generator* gen = nullptr);
/// Glorot & Bengio (2010), normal: N(0, std), std as xavier_uniform_.
Tensor xavier_normal_(const Tensor& t, double gain = 1, Generator* gen = nullptr);

/// Saxe et al. (2013). The tensor, viewed as a rows x cols matrix with rows = size(0) and cols =
/// numel / rows, becomes gain times a (semi-)orthogonal matrix: W W^T = gain^2 I when rows <= cols,
/// W^T W = gain^2 I otherwise. Q comes from the QR decomposition of a standard-normal matrix
/// (transposed first when rows < cols) with the signs fixed so that diag(R) > 0, which makes Q
/// Haar-distributed, as PyTorch does. The QR is modified Gram-Schmidt with re-orthogonalisation,
/// in double; it costs O(rows * cols * min(rows, cols)). Needs at least 2 dimensions.
Tensor orthogonal_(const Tensor& t, double gain = 1, Generator* gen = nullptr);

}  // namespace tg::init
