#include "tapegrad/activations/pointwise.hpp"

namespace tg::act::detail {

PointwiseLayout pointwise_layout(const Tensor& x, const std::vector<Tensor>& params,
                                 const char* name) {
  if (!x.defined()) fail("{}: input is an undefined tensor", name);
  if (!is_floating(x.dtype()))
    fail("{}: expected a float32 or float64 input, got {}", name, x.dtype());
  PointwiseLayout L;
  std::int64_t channels = 1;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Tensor& p = params[k];
    if (!p.defined() || p.dim() != 1)
      fail("{}: parameter {} must be a 1-D tensor of size 1 or the channel count", name, k);
    if (p.numel() == 1) continue;
    if (x.dim() < 2)
      fail(
          "{}: per-channel parameters ({} channels) need an input with a channel dimension "
          "(dimension 1), got shape {}",
          name, p.numel(), shape_str(x.shape()));
    if (p.numel() != x.shape()[1])
      fail(
          "{}: input has {} channels (dimension 1 of shape {}) but the activation has {} "
          "per-channel values",
          name, x.shape()[1], shape_str(x.shape()), p.numel());
    channels = p.numel();
  }
  if (channels > 1) {
    L.outer = x.shape()[0];
    L.channels = channels;
    L.inner = 1;
    for (std::int64_t d = 2; d < x.dim(); ++d) L.inner *= x.shape()[d];
  } else {
    L.inner = x.numel();
  }
  return L;
}

}  // namespace tg::act::detail
