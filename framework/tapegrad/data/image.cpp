#include "tapegrad/data/image.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/data/detail.hpp"

namespace tg::data {

namespace {

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown reason";
}

// The format whose magic bytes start the file, or nullptr.
const char* signature_format(const std::string& path) {
  unsigned char b[8] = {};
  std::ifstream f(path, std::ios::binary);
  f.read(reinterpret_cast<char*>(b), sizeof b);
  const auto got = f.gcount();
  if (got >= 8 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return "PNG";
  if (got >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return "JPEG";
  if (got >= 4 && std::memcmp(b, "GIF8", 4) == 0) return "GIF";
  if (got >= 2 && b[0] == 'B' && b[1] == 'M') return "BMP";
  return nullptr;
}

// Checks that `path` names a readable file and that its header is sane; `op` prefixes errors.
ImageInfo checked_info(const std::string& path, const char* op) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail("{}: '{}' does not exist", op, path);
  if (std::filesystem::is_directory(status))
    fail("{}: '{}' is a directory, not an image", op, path);
  int w = 0, h = 0, n = 0;
  if (!stbi_info(path.c_str(), &w, &h, &n)) {
    // stbi_info tries every format and reports the last failure ("unknown image type"), which
    // hides why a file with a known signature was refused, so name the format ourselves.
    const char* format = signature_format(path);
    if (format)
      fail(
          "{}: '{}' has a {} signature but its header cannot be read (corrupt or truncated, or "
          "an image too large to decode)",
          op, path, format);
    fail("{}: '{}' is not a readable image ({}); supported formats are PNG, JPEG, BMP and GIF", op,
         path, stb_reason());
  }
  if (w <= 0 || h <= 0 || n <= 0)
    fail("{}: '{}' has an invalid header ({}x{} pixels, {} channels)", op, path, w, h, n);
  const std::int64_t pixels = std::int64_t{w} * h;
  if (w > kMaxImageSide || h > kMaxImageSide || pixels > kMaxImagePixels)
    fail(
        "{}: '{}' claims {}x{} pixels (width x height), beyond the limit of {} per side and {} "
        "pixels; the file is corrupt or not meant to be decoded whole",
        op, path, w, h, kMaxImageSide, kMaxImagePixels);
  return {h, w, n};
}

// One output position of a separable resampling filter: input indices [first, first + count)
// with their (normalised) weights.
struct Taps {
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::vector<double> weights;
};

// PIL's precompute_coeffs for the bilinear (triangle) filter, support 1 scaled by the shrink
// factor.
std::vector<Taps> bilinear_taps(std::int64_t in_size, std::int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;
  std::vector<Taps> taps(static_cast<std::size_t>(out_size));
  for (std::int64_t o = 0; o < out_size; ++o) {
    const double center = (static_cast<double>(o) + 0.5) * scale;
    auto lo = static_cast<std::int64_t>(center - support + 0.5);  // truncation, as PIL
    auto hi = static_cast<std::int64_t>(center + support + 0.5);
    lo = std::max<std::int64_t>(lo, 0);
    hi = std::min(hi, in_size);
    Taps& t = taps[static_cast<std::size_t>(o)];
    t.first = lo;
    t.count = hi - lo;
    double total = 0;
    for (std::int64_t i = lo; i < hi; ++i) {
      const double x = std::abs((static_cast<double>(i) - center + 0.5) / filter_scale);
      const double w = x < 1 ? 1 - x : 0;
      t.weights.push_back(w);
      total += w;
    }
    if (total != 0)
      for (double& w : t.weights) w /= total;
  }
  return taps;
}

template <class T>
void resize_plane_rows(const T* in, T* out, std::int64_t rows, std::int64_t in_w,
                       const std::vector<Taps>& taps) {
  const auto out_w = static_cast<std::int64_t>(taps.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* src = in + r * in_w;
    T* dst = out + r * out_w;
    for (std::int64_t o = 0; o < out_w; ++o) {
      const Taps& t = taps[static_cast<std::size_t>(o)];
      T acc = 0;
      for (std::int64_t k = 0; k < t.count; ++k)
        acc += static_cast<T>(t.weights[static_cast<std::size_t>(k)]) * src[t.first + k];
      dst[o] = acc;
    }
  }
}

template <class T>
void resize_plane_cols(const T* in, T* out, std::int64_t width, const std::vector<Taps>& taps) {
  const auto out_h = static_cast<std::int64_t>(taps.size());
  for (std::int64_t o = 0; o < out_h; ++o) {
    const Taps& t = taps[static_cast<std::size_t>(o)];
    T* dst = out + o * width;
    std::fill(dst, dst + width, T(0));
    for (std::int64_t k = 0; k < t.count; ++k) {
      const T w = static_cast<T>(t.weights[static_cast<std::size_t>(k)]);
      const T* src = in + (t.first + k) * width;
      for (std::int64_t x = 0; x < width; ++x) dst[x] += w * src[x];
    }
  }
}

// [C, H, W] float in [0, 1] -> interleaved 8-bit HWC, as stb_image_write wants it.
struct Interleaved {
  std::vector<unsigned char> bytes;
  int height = 0, width = 0, channels = 0;
};

Interleaved to_interleaved_u8(const Tensor& img, const char* op, const std::string& path) {
  TG_CHECK(img.defined(), "{}: undefined tensor for '{}'", op, path);
  TG_CHECK(img.dim() == 3 && (img.size(0) == 1 || img.size(0) == 3 || img.size(0) == 4),
           "{}: expected an image [C, H, W] with C = 1, 3 or 4, got shape {} for '{}'", op,
           shape_str(img.shape()), path);
  TG_CHECK(is_floating(img.dtype()), "{}: expected a float32 or float64 image, got {} for '{}'", op,
           dtype_name(img.dtype()), path);
  const std::int64_t c = img.size(0), h = img.size(1), w = img.size(2);
  TG_CHECK(h >= 1 && w >= 1 && h <= kMaxImageSide && w <= kMaxImageSide,
           "{}: image size {}x{} (height x width) is outside 1..{} for '{}'", op, h, w,
           kMaxImageSide, path);
  const Tensor f = img.contiguous().to(DType::Float32);
  const float* p = f.data_ptr<float>();
  Interleaved out;
  out.height = static_cast<int>(h);
  out.width = static_cast<int>(w);
  out.channels = static_cast<int>(c);
  out.bytes.resize(static_cast<std::size_t>(c * h * w));
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t i = 0; i < h * w; ++i) {
      out.bytes[static_cast<std::size_t>(i * c + ch)] = detail::float_to_u8(p[ch * h * w + i]);
    }
  return out;
}

[[noreturn]] void write_failed(const char* op, const std::string& path) {
  fail("{}: cannot write '{}' (does the directory exist and is it writable?)", op, path);
}

}  // namespace

ImageInfo read_image_info(const std::string& path) { return checked_info(path, "read_image_info"); }

Tensor load_image(const std::string& path, int channels) {
  TG_CHECK(channels == 1 || channels == 3,
           "load_image: channels must be 1 (gray) or 3 (RGB), got {} for '{}'", channels, path);
  checked_info(path, "load_image");
  int w = 0, h = 0, file_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load(path.c_str(), &w, &h, &file_channels, channels), &stbi_image_free);
  if (!pixels) fail("load_image: cannot decode '{}': {}", path, stb_reason());
  // The header was checked, but the file may have changed since; check what was decoded.
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
    fail("load_image: '{}' decoded to an invalid size {}x{}", path, w, h);
  const std::int64_t plane = std::int64_t{w} * h;
  Tensor out = Tensor::empty({channels, h, w}, DType::Float32);
  float* o = out.data_ptr<float>();
  const stbi_uc* src = pixels.get();
  const auto& table = detail::u8_to_float();
  for (std::int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < channels; ++c) o[c * plane + i] = table[src[i * channels + c]];
  return out;
}

Tensor resize_image(const Tensor& img, int height, int width) {
  TG_CHECK(img.defined(), "resize_image: undefined tensor");
  TG_CHECK(img.dim() == 3, "resize_image: expected an image [C, H, W], got shape {}",
           shape_str(img.shape()));
  TG_CHECK(is_floating(img.dtype()), "resize_image: expected a float32 or float64 image, got {}",
           dtype_name(img.dtype()));
  TG_CHECK(height >= 1 && width >= 1,
           "resize_image: target size {}x{} (height x width) must be >= 1", height, width);
  const std::int64_t c = img.size(0), h = img.size(1), w = img.size(2);
  TG_CHECK(c >= 1 && h >= 1 && w >= 1, "resize_image: cannot resize an empty image of shape {}",
           shape_str(img.shape()));
  const Tensor src = img.contiguous().detach();
  if (h == height && w == width) return src.clone();
  return dispatch(img.dtype(), [&](auto tag) -> Tensor {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, std::int64_t>) {
      return Tensor();  // unreachable: checked above
    } else {
      const T* in = src.data_ptr<T>();
      // Horizontal pass over all C*H rows, then vertical pass per channel.
      std::vector<T> tmp;
      const T* rows = in;
      if (w != width) {
        tmp.resize(static_cast<std::size_t>(c * h * width));
        resize_plane_rows(in, tmp.data(), c * h, w, bilinear_taps(w, width));
        rows = tmp.data();
      }
      Tensor out = Tensor::empty({c, height, width}, img.dtype());
      T* o = out.data_ptr<T>();
      if (h != height) {
        const auto taps = bilinear_taps(h, height);
        for (std::int64_t ch = 0; ch < c; ++ch)
          resize_plane_cols(rows + ch * h * width, o + ch * std::int64_t{height} * width, width,
                            taps);
      } else {
        std::copy(rows, rows + c * h * width, o);
      }
      return out;
    }
  });
}

void save_png(const std::string& path, const Tensor& img) {
  const Interleaved im = to_interleaved_u8(img, "save_png", path);
  if (!stbi_write_png(path.c_str(), im.width, im.height, im.channels, im.bytes.data(),
                      im.width * im.channels))
    write_failed("save_png", path);
}

void save_bmp(const std::string& path, const Tensor& img) {
  const Interleaved im = to_interleaved_u8(img, "save_bmp", path);
  if (!stbi_write_bmp(path.c_str(), im.width, im.height, im.channels, im.bytes.data()))
    write_failed("save_bmp", path);
}

void save_jpg(const std::string& path, const Tensor& img, int quality) {
  TG_CHECK(quality >= 1 && quality <= 100, "save_jpg: quality must be in 1..100, got {} for '{}'",
           quality, path);
  const Interleaved im = to_interleaved_u8(img, "save_jpg", path);
  if (!stbi_write_jpg(path.c_str(), im.width, im.height, im.channels, im.bytes.data(), quality))
    write_failed("save_jpg", path);
}

}  // namespace tg::data
