#include "tapegrad/nn/conv.hpp"

#include <cmath>

#include "tapegrad/core/creation.hpp"
#include "tapegrad/init/init.hpp"

namespace tg::nn {

Conv2d::Conv2d(std::int64_t in, std::int64_t out, std::int64_t k, Conv2dOptions o, bool has_bias,
               DType dtype)
    : Conv2d(in, out, std::array<std::int64_t, 2>{k, k}, o, has_bias, dtype) {}

Conv2d::Conv2d(std::int64_t in, std::int64_t out, std::array<std::int64_t, 2> k, Conv2dOptions o,
               bool has_bias, DType dtype)
    : Module("Conv2d"), in_channels(in), out_channels(out), kernel_size(k), options(o) {
  if (in <= 0 || out <= 0)
    fail("Conv2d: in_channels and out_channels must be positive, got {} and {}", in, out);
  if (k[0] <= 0 || k[1] <= 0)
    fail("Conv2d: kernel_size must be positive, got ({}, {})", k[0], k[1]);
  if (o.groups <= 0) fail("Conv2d: groups must be positive, got {}", o.groups);
  if (in % o.groups != 0)
    fail("Conv2d: in_channels={} is not divisible by groups={}", in, o.groups);
  if (out % o.groups != 0)
    fail("Conv2d: out_channels={} is not divisible by groups={}", out, o.groups);
  if (o.stride[0] <= 0 || o.stride[1] <= 0 || o.dilation[0] <= 0 || o.dilation[1] <= 0 ||
      o.padding[0] < 0 || o.padding[1] < 0)
    fail(
        "Conv2d: stride and dilation must be positive and padding non-negative, got stride "
        "({}, {}), padding ({}, {}), dilation ({}, {})",
        o.stride[0], o.stride[1], o.padding[0], o.padding[1], o.dilation[0], o.dilation[1]);
  if (!is_floating(dtype)) fail("Conv2d: dtype must be float32 or float64, got {}", dtype);
  weight = register_parameter("weight", empty({out, in / o.groups, k[0], k[1]}, dtype));
  if (has_bias) bias = register_parameter("bias", empty({out}, dtype));
  reset_parameters();
}

void Conv2d::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double fan_in =
        static_cast<double>(in_channels / options.groups * kernel_size[0] * kernel_size[1]);
    const double bound = 1.0 / std::sqrt(fan_in);
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  if (x.defined() && (x.dim() == 3 || x.dim() == 4)) {
    const std::int64_t c = x.shape()[static_cast<std::size_t>(x.dim() - 3)];
    if (c != in_channels)
      fail("Conv2d: input has {} channels but the layer expects {} (input {})", c, in_channels,
           shape_str(x.shape()));
  }
  return conv2d(x, weight, bias, options);
}

std::string Conv2d::extra_repr() const {
  auto pair = [](const std::array<std::int64_t, 2>& a) {
    return fmt::format("({}, {})", a[0], a[1]);
  };
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels, out_channels,
                              pair(kernel_size), pair(options.stride));
  if (options.padding != std::array<std::int64_t, 2>{0, 0})
    s += fmt::format(", padding={}", pair(options.padding));
  if (options.dilation != std::array<std::int64_t, 2>{1, 1})
    s += fmt::format(", dilation={}", pair(options.dilation));
  if (options.groups != 1) s += fmt::format(", groups={}", options.groups);
  if (!bias.defined()) s += ", bias=false";
  return s;
}

}  // namespace tg::nn
