#pragma once
/// @file
/// Image files to and from tensors: decoding with stb_image (PNG, JPEG, BMP, GIF), writing with
/// stb_image_write (PNG, BMP, JPEG), and resizing. Images are float [C, H, W] with values in
/// [0, 1], as torchvision's ToTensor() gives.
#include <cstdint>
#include <string>

#include "tapegrad/core/tensor.hpp"

namespace tg::data {

/// Files whose header claims more than this are refused before any pixel memory is allocated, so
/// a corrupt or hostile header cannot ask for gigabytes: the largest width or height.
inline constexpr std::int64_t kMaxImageSide = 16384;
/// The largest number of pixels (width x height) an image file may claim (see kMaxImageSide).
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 27;

/// What an image file's header says.
struct ImageInfo {
  int height = 0;    ///< in pixels
  int width = 0;     ///< in pixels
  int channels = 0;  ///< as stored in the file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
};

/// Reads only the header. Throws tg::Error naming the path if the file is missing, is not an
/// image stb_image understands, or claims a size beyond kMaxImageSide or kMaxImagePixels.
ImageInfo read_image_info(const std::string& path);

/// Decodes `path` into float32 [channels, H, W] in [0, 1] (8-bit value / 255). channels is 1
/// (gray) or 3 (RGB). Conversion is stb_image's: gray from RGB is (77 r + 150 g + 29 b) >> 8,
/// gray to RGB replicates, an alpha channel is dropped (not composited), 16-bit PNGs are reduced
/// to 8 bits, and an animated GIF gives its first frame.
Tensor load_image(const std::string& path, int channels);

/// Resizes float [C, H, W] (float32 or float64; any strides) to [C, height, width] with PIL's
/// bilinear filter (Image.resize(BILINEAR), torchvision Resize(antialias=True)): a triangle filter
/// whose width grows with the shrink factor, so that downscaling averages every input pixel
/// instead of skipping some. For enlarging this is exactly bilinear interpolation with
/// align_corners=false (torch.nn.functional.interpolate), edge pixels repeated. Unlike PIL on
/// 8-bit images there is no rounding between the horizontal and the vertical pass.
Tensor resize_image(const Tensor& img, int height, int width);

/// @name Writing images
/// Write float [C, H, W] (C = 1, 3 or 4; float32 or float64) as 8-bit: each value is clamped to
/// [0, 1] and rounded to the nearest of 0/255 ... 255/255. Throws tg::Error if the file cannot be
/// written. JPEG quality is 1..100.
/// @{

/// Writes img as a PNG file.
void save_png(const std::string& path, const Tensor& img);
/// Writes img as a BMP file.
void save_bmp(const std::string& path, const Tensor& img);
/// Writes img as a JPEG file of the given quality (1..100).
void save_jpg(const std::string& path, const Tensor& img, int quality = 95);
/// @}

}  // namespace tg::data
