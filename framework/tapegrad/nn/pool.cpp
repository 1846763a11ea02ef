#include "tapegrad/nn/pool.hpp"

namespace tg::nn {

namespace {

// PyTorch prints what the user passed; a pair with equal halves reads best as one number.
std::string size_repr(const Size2& s) {
  return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("({}, {})", s.h, s.w);
}

// Fails early, at construction, on settings every forward would reject.
void check_window(const char* layer, const Size2& k, const Size2& s, const Size2& p,
                  const Size2& d) {
  if (!k.given || k.h <= 0 || k.w <= 0)
    fail("{}: kernel_size must be positive, got ({}, {})", layer, k.h, k.w);
  if (s.h <= 0 || s.w <= 0) fail("{}: stride must be positive, got ({}, {})", layer, s.h, s.w);
  if (p.h < 0 || p.w < 0) fail("{}: padding must be non-negative, got ({}, {})", layer, p.h, p.w);
  if (d.h <= 0 || d.w <= 0) fail("{}: dilation must be positive, got ({}, {})", layer, d.h, d.w);
  if (p.h > k.h / 2 || p.w > k.w / 2)
    fail(
        "{}: padding should be at most half of the kernel size, got padding ({}, {}) with "
        "kernel ({}, {})",
        layer, p.h, p.w, k.h, k.w);
}

}  // namespace

MaxPool2d::MaxPool2d(Size2 k, Size2 s, Size2 p, Size2 d, bool ceil)
    : Module("MaxPool2d"),
      kernel_size(k),
      stride(s.given ? s : k),
      padding(p.given ? p : Size2(0)),
      dilation(d.given ? d : Size2(1)),
      ceil_mode(ceil) {
  check_window("MaxPool2d", kernel_size, stride, padding, dilation);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode);
}

std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     size_repr(kernel_size), size_repr(stride), size_repr(padding),
                     size_repr(dilation), ceil_mode);
}

AvgPool2d::AvgPool2d(Size2 k, Size2 s, Size2 p, bool ceil, bool cip)
    : Module("AvgPool2d"),
      kernel_size(k),
      stride(s.given ? s : k),
      padding(p.given ? p : Size2(0)),
      ceil_mode(ceil),
      count_include_pad(cip) {
  check_window("AvgPool2d", kernel_size, stride, padding, Size2(1));
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad);
}

std::string AvgPool2d::extra_repr() const {
  // PyTorch prints only these three; the flags are shown when they differ from the defaults.
  std::string r = fmt::format("kernel_size={}, stride={}, padding={}", size_repr(kernel_size),
                              size_repr(stride), size_repr(padding));
  if (ceil_mode) r += ", ceil_mode=true";
  if (!count_include_pad) r += ", count_include_pad=false";
  return r;
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 out) : Module("AdaptiveAvgPool2d"), output_size(out) {
  if (!out.given || out.h <= 0 || out.w <= 0)
    fail("AdaptiveAvgPool2d: output_size must be positive, got ({}, {})", out.h, out.w);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size); }

std::string AdaptiveAvgPool2d::extra_repr() const {
  return fmt::format("output_size={}", size_repr(output_size));
}

}  // namespace tg::nn
