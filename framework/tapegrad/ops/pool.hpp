#pragma once
/// @file
/// 2-D pooling (torch.nn.functional.max_pool2d / avg_pool2d / adaptive_avg_pool2d) on
/// [N, C, H, W] or unbatched [C, H, W] inputs, float32 and float64.
///
/// Every backward is a recorded op whose own backward is the forward's linear map again (pooling
/// is linear in x once the max positions are fixed), so gradients of any order work.
#include <array>
#include <cstdint>

#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// A size or step along (H, W): one number for both (2), or a pair ({2, 3}). Default-constructed
/// means "not given" (a stride that is not given equals the kernel size, as PyTorch).
struct Size2 {
  /// Not given.
  constexpr Size2() = default;
  /// v along both H and W.
  constexpr Size2(std::int64_t v) : h(v), w(v), given(true) {}  // NOLINT: implicit on purpose
  /// h_ along H, w_ along W.
  constexpr Size2(std::int64_t h_, std::int64_t w_) : h(h_), w(w_), given(true) {}
  /// a[0] along H, a[1] along W.
  constexpr Size2(const std::array<std::int64_t, 2>& a)  // NOLINT: implicit on purpose
      : h(a[0]), w(a[1]), given(true) {}
  /// Along H.
  std::int64_t h = 0, w = 0;
  /// @var w
  /// Along W.

  bool given = false;  ///< false when default-constructed
  /// Equal sizes, both given or both not.
  friend constexpr bool operator==(const Size2& a, const Size2& b) {
    return a.h == b.h && a.w == b.w && a.given == b.given;
  }
};

/// Maximum over each window of kernel positions spaced by dilation; padding counts as -inf. The
/// gradient goes to the position of the maximum (the first one on ties, as PyTorch).
/// Output size = floor or ceil((H + 2p - d(k-1) - 1) / s) + 1; with ceil_mode, a last window
/// that would start inside the right padding is dropped. padding <= kernel / 2 is required.
Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride = {}, Size2 padding = 0,
                  Size2 dilation = 1, bool ceil_mode = false,
                  std::source_location loc = std::source_location::current());

/// Mean over each window. Zero padding; count_include_pad divides by the window size clipped to
/// the padded input, otherwise by the number of real input elements in the window.
Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride = {}, Size2 padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::source_location loc = std::source_location::current());

/// Output cell (i, j) averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)) and the columns
/// likewise.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size,
                           std::source_location loc = std::source_location::current());

}  // namespace tg
