#include "tapegrad/data/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"

namespace tg::data {

namespace {

// The input as contiguous [C, H, W] float data, without history.
Tensor checked_image(const Tensor& x, const char* op) {
  TG_CHECK(x.defined(), "{}: undefined tensor", op);
  TG_CHECK(x.dim() == 3, "{}: expected one image [C, H, W], got shape {}", op,
           shape_str(x.shape()));
  TG_CHECK(is_floating(x.dtype()), "{}: expected a float32 or float64 image, got {}", op,
           dtype_name(x.dtype()));
  return x.detach().contiguous();
}

// Calls f(T{}) for the floating dtype of x (checked_image has refused int64).
template <class F>
Tensor dispatch_float(const Tensor& x, F&& f) {
  if (x.dtype() == DType::Float64) return f(double{});
  return f(float{});
}

}  // namespace

Transform normalize(std::vector<double> mean, std::vector<double> std_dev) {
  TG_CHECK(!mean.empty() && !std_dev.empty(), "normalize: mean and std must not be empty");
  for (double s : std_dev)
    TG_CHECK(s > 0 && std::isfinite(s), "normalize: every std must be > 0 and finite, got {}", s);
  for (double m : mean)
    TG_CHECK(std::isfinite(m), "normalize: every mean must be finite, got {}", m);
  return [mean = std::move(mean), std_dev = std::move(std_dev)](const Tensor& input, Generator&) {
    const Tensor x = checked_image(input, "normalize");
    const std::int64_t c = x.size(0), plane = x.size(1) * x.size(2);
    for (const auto* v : {&mean, &std_dev})
      TG_CHECK(
          v->size() == 1 || static_cast<std::int64_t>(v->size()) == c,
          "normalize: image has {} channels but mean has {} and std has {} values (give 1 or {})",
          c, mean.size(), std_dev.size(), c);
    return dispatch_float(x, [&](auto tag) {
      using T = decltype(tag);
      Tensor out = Tensor::empty(x.shape(), x.dtype());
      const T* in = x.data_ptr<T>();
      T* o = out.data_ptr<T>();
      for (std::int64_t ch = 0; ch < c; ++ch) {
        const auto k = static_cast<std::size_t>(ch);
        const double m = mean.size() == 1 ? mean[0] : mean[k];
        const double s = std_dev.size() == 1 ? std_dev[0] : std_dev[k];
        // Dividing (not multiplying by 1/s) gives the same rounding as torchvision's sub_().div_().
        const T mt = static_cast<T>(m), st = static_cast<T>(s);
        const T* src = in + ch * plane;
        T* dst = o + ch * plane;
        for (std::int64_t i = 0; i < plane; ++i) dst[i] = (src[i] - mt) / st;
      }
      return out;
    });
  };
}

Transform random_crop(int size_h, int size_w, int padding) {
  TG_CHECK(size_h >= 1 && size_w >= 1, "random_crop: size {}x{} (height x width) must be >= 1",
           size_h, size_w);
  TG_CHECK(padding >= 0, "random_crop: padding must be >= 0, got {}", padding);
  return [size_h, size_w, padding](const Tensor& input, Generator& gen) {
    const Tensor x = checked_image(input, "random_crop");
    const std::int64_t c = x.size(0), h = x.size(1), w = x.size(2);
    const std::int64_t ph = h + 2 * std::int64_t{padding}, pw = w + 2 * std::int64_t{padding};
    TG_CHECK(ph >= size_h && pw >= size_w,
             "random_crop: image {} padded by {} is {}x{}, smaller than the crop {}x{}",
             shape_str(x.shape()), padding, ph, pw, size_h, size_w);
    const auto top =
        static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(ph - size_h + 1)));
    const auto left =
        static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(pw - size_w + 1)));
    // Output pixel (i, j) is padded pixel (top + i, left + j), i.e. input pixel
    // (top + i - padding, left + j - padding) when that is inside the image, else 0.
    const std::int64_t y0 = top - padding, x0 = left - padding;
    return dispatch_float(x, [&](auto tag) {
      using T = decltype(tag);
      Tensor out = Tensor::empty({c, size_h, size_w}, x.dtype());
      const T* in = x.data_ptr<T>();
      T* o = out.data_ptr<T>();
      // Columns of the window that fall inside the image: [j_lo, j_hi).
      const std::int64_t j_lo = std::clamp<std::int64_t>(-x0, 0, size_w);
      const std::int64_t j_hi = std::clamp<std::int64_t>(w - x0, j_lo, size_w);
      for (std::int64_t ch = 0; ch < c; ++ch)
        for (std::int64_t i = 0; i < size_h; ++i) {
          T* dst = o + (ch * size_h + i) * size_w;
          const std::int64_t y = y0 + i;
          if (y < 0 || y >= h) {
            std::fill(dst, dst + size_w, T(0));
            continue;
          }
          const T* src = in + (ch * h + y) * w + x0;
          std::fill(dst, dst + j_lo, T(0));
          std::copy(src + j_lo, src + j_hi, dst + j_lo);
          std::fill(dst + j_hi, dst + size_w, T(0));
        }
      return out;
    });
  };
}

Transform random_horizontal_flip(double p) {
  TG_CHECK(p >= 0 && p <= 1, "random_horizontal_flip: p must be in [0, 1], got {}", p);
  return [p](const Tensor& input, Generator& gen) {
    const Tensor x = checked_image(input, "random_horizontal_flip");
    const bool flip = gen.uniform_double() < p;
    if (!flip) return x;
    return dispatch_float(x, [&](auto tag) {
      using T = decltype(tag);
      const std::int64_t rows = x.size(0) * x.size(1), w = x.size(2);
      Tensor out = Tensor::empty(x.shape(), x.dtype());
      const T* in = x.data_ptr<T>();
      T* o = out.data_ptr<T>();
      for (std::int64_t r = 0; r < rows; ++r)
        std::reverse_copy(in + r * w, in + (r + 1) * w, o + r * w);
      return out;
    });
  };
}

Transform compose(std::vector<Transform> transforms) {
  for (std::size_t i = 0; i < transforms.size(); ++i)
    TG_CHECK(static_cast<bool>(transforms[i]), "compose: transform {} is empty", i);
  return [ts = std::move(transforms)](const Tensor& input, Generator& gen) {
    Tensor x = input;
    for (const Transform& t : ts) x = t(x, gen);
    return x;
  };
}

}  // namespace tg::data
