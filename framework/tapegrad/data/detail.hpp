#pragma once
// 8-bit pixel conversions shared by image.cpp and image_folder.cpp (not part of the public API),
// so that decoding, caching and saving all round the same way.
#include <array>
#include <cmath>
#include <cstdint>

namespace tg::data::detail {

// value / 255 for every 8-bit value, computed once so that decoding is a table lookup and the
// results are the exactly rounded quotients.
inline const std::array<float, 256>& u8_to_float() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[static_cast<std::size_t>(i)] = static_cast<float>(i) / 255.0f;
    return t;
  }();
  return table;
}

// v clamped to [0, 1] and rounded to the nearest of 0/255 ... 255/255, as a byte; NaN gives 0.
inline std::uint8_t float_to_u8(float v) {
  const float clamped = v > 0 ? (v < 1 ? v : 1.0f) : 0.0f;
  return static_cast<std::uint8_t>(std::lround(clamped * 255.0f));
}

}  // namespace tg::data::detail
