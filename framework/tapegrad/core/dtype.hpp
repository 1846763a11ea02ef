#pragma once
/// @file
/// Element types (DType) and dispatch on them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

namespace tg {

/// float32 is the compute type; float64 is for gradcheck and users who want it; int64 holds
/// labels and indices.
enum class DType : std::uint8_t { Float32, Float64, Int64 };

/// Bytes per element: 4 for float32, 8 for float64 and int64.
constexpr std::size_t dtype_size(DType d) { return d == DType::Float32 ? 4 : 8; }
/// True for float32 and float64.
constexpr bool is_floating(DType d) { return d != DType::Int64; }
/// "float32", "float64" or "int64".
constexpr std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::Int64:
      return "int64";
  }
  return "?";
}

/// The DType of the C++ element type T (float, double or std::int64_t) as `value`.
template <class T>
struct dtype_of;
/// float is DType::Float32.
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::Float32;  ///< DType::Float32
};
/// double is DType::Float64.
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::Float64;  ///< DType::Float64
};
/// std::int64_t is DType::Int64.
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = DType::Int64;  ///< DType::Int64
};
/// The DType of the C++ element type T: dtype_of<T>::value.
template <class T>
inline constexpr DType dtype_v = dtype_of<T>::value;

/// Calls f with a value of the C++ type matching d: f(float{}), f(double{}) or f(int64_t{}).
/// Usage: dispatch(t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      return f(double{});
    case DType::Int64:
      break;
  }
  return f(std::int64_t{});
}

}  // namespace tg

/// @cond internal
// fmt::format("{}", dtype) prints dtype_name(dtype).
template <>
struct fmt::formatter<tg::DType> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(tg::DType d, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(tg::dtype_name(d), ctx);
  }
};
/// @endcond
