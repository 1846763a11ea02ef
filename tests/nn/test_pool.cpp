// Pooling ops (ops/pool.hpp) and layers (nn/pool.hpp): values and gradients by hand, PyTorch's
// output-size and window rules (padding, dilation, ceil_mode, count_include_pad, adaptive
// windows), the tie convention of max pooling, a naive reference over many configurations,
// first- and second-order gradchecks, errors and printing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/activations/activation.hpp"
#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/pool.hpp"
#include "tapegrad/nn/sequential.hpp"
#include "tapegrad/ops/pool.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {

// 0, 1, ..., h*w-1 as a [1, 1, h, w] image.
Tensor ramp(std::int64_t h, std::int64_t w, DType dt = DType::Float64) {
  return arange(0, static_cast<double>(h * w), 1, dt).reshape({1, 1, h, w});
}

GradcheckOptions second_order() {
  GradcheckOptions o;
  o.check_second_order = true;
  return o;
}

void require_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(tol).epsilon(tol));
  }
}

struct PoolConfig {
  std::int64_t N, C, H, W, kH, kW, sH, sW, pH, pW, dH, dW;
  bool ceil;
};

// PyTorch's output size: floor or ceil of (H + 2p - d(k-1) - 1) / s, plus 1; in ceil mode a
// last window starting at or beyond H + p is dropped.
std::int64_t out_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p,
                      std::int64_t d, bool ceil) {
  const std::int64_t span = in + 2 * p - d * (k - 1) - 1;
  std::int64_t o = (ceil ? (span + s - 1) / s : span / s) + 1;
  if (ceil && (o - 1) * s >= in + p) --o;
  return o;
}

// Direct max pooling and average pooling (avg: d = 1), in double.
std::vector<double> naive_max(const PoolConfig& c, const std::vector<double>& x) {
  const std::int64_t OH = out_size(c.H, c.kH, c.sH, c.pH, c.dH, c.ceil);
  const std::int64_t OW = out_size(c.W, c.kW, c.sW, c.pW, c.dW, c.ceil);
  std::vector<double> y;
  for (std::int64_t p = 0; p < c.N * c.C; ++p)
    for (std::int64_t oh = 0; oh < OH; ++oh)
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        double m = -INFINITY;
        for (std::int64_t i = 0; i < c.kH; ++i)
          for (std::int64_t j = 0; j < c.kW; ++j) {
            const std::int64_t h = oh * c.sH - c.pH + i * c.dH, w = ow * c.sW - c.pW + j * c.dW;
            if (h >= 0 && h < c.H && w >= 0 && w < c.W)
              m = std::max(m, x[static_cast<std::size_t>((p * c.H + h) * c.W + w)]);
          }
        y.push_back(m);
      }
  return y;
}

std::vector<double> naive_avg(const PoolConfig& c, const std::vector<double>& x, bool cip) {
  const std::int64_t OH = out_size(c.H, c.kH, c.sH, c.pH, 1, c.ceil);
  const std::int64_t OW = out_size(c.W, c.kW, c.sW, c.pW, 1, c.ceil);
  std::vector<double> y;
  for (std::int64_t p = 0; p < c.N * c.C; ++p)
    for (std::int64_t oh = 0; oh < OH; ++oh)
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        double s = 0;
        std::int64_t real = 0, padded = 0;
        for (std::int64_t i = 0; i < c.kH; ++i)
          for (std::int64_t j = 0; j < c.kW; ++j) {
            const std::int64_t h = oh * c.sH - c.pH + i, w = ow * c.sW - c.pW + j;
            // Positions past the right/bottom padding are not part of the window at all.
            if (h >= c.H + c.pH || w >= c.W + c.pW) continue;
            ++padded;
            if (h >= 0 && h < c.H && w >= 0 && w < c.W) {
              s += x[static_cast<std::size_t>((p * c.H + h) * c.W + w)];
              ++real;
            }
          }
        y.push_back(s / static_cast<double>(cip ? padded : real));
      }
  return y;
}

}  // namespace

// ---------------------------------------------------------------- max_pool2d by hand

TEST_CASE("max_pool2d: values and gradient by hand", "[nn][pool]") {
  // ramp(4, 4) = [[0..3], [4..7], [8..11], [12..15]]; 2x2 windows, stride 2: bottom-right of
  // each block: 5, 7, 13, 15.
  for (DType dt : {DType::Float64, DType::Float32}) {
    Tensor x = ramp(4, 4, dt).requires_grad_();
    Tensor y = max_pool2d(x, 2);
    REQUIRE(y.shape() == Shape{1, 1, 2, 2});
    REQUIRE(y.dtype() == dt);
    require_values(y, {5, 7, 13, 15});
    sum(y).backward();
    require_values(x.grad(), {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1});
  }
}

TEST_CASE("max_pool2d: padding, stride 1, dilation, ceil_mode", "[nn][pool]") {
  SECTION("padding 1 stride 1: the padding never wins") {
    // x = 1..9 (3x3); kernel 2, stride 1, pad 1 -> 4x4; window (oh, ow) covers rows oh-1..oh and
    // columns ow-1..ow, so its max is x[min(oh, 2), min(ow, 2)].
    Tensor x = (ramp(3, 3) + 1.0).detach().requires_grad_();
    Tensor y = max_pool2d(x, 2, 1, 1);
    require_values(y, {1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 7, 8, 9, 9});
    // x[r][c] is the max of (r == 2 ? 2 : 1) * (c == 2 ? 2 : 1) windows.
    sum(y).backward();
    require_values(x.grad(), {1, 1, 2, 1, 1, 2, 2, 2, 4});
  }
  SECTION("negative inputs with padding: padding counts as -inf, not 0") {
    // x = -1..-9; kernel 2, stride 2, pad 1 -> 2x2 windows {x00}, {x01, x02}, {x10, x20},
    // {x11, x12, x21, x22}: -1, -2, -4, -5.
    Tensor x = neg(ramp(3, 3) + 1.0);
    require_values(max_pool2d(x, 2, 2, 1), {-1, -2, -4, -5});
  }
  SECTION("dilation 2") {
    // ramp(4, 4), kernel 2 dilated to span 3, stride 1 -> 2x2: max of x[oh, ow], x[oh, ow+2],
    // x[oh+2, ow], x[oh+2, ow+2] = x[oh+2, ow+2]: 10, 11, 14, 15.
    require_values(max_pool2d(ramp(4, 4), 2, 1, 0, 2), {10, 11, 14, 15});
  }
  SECTION("ceil_mode keeps the partial last window") {
    // ramp(5, 5), kernel 2, stride 2: floor -> 2x2 {6, 8, 16, 18}; ceil -> 3x3 with the last
    // row/column windows holding row/column 4 only: 9, 19, 21, 23, 24.
    require_values(max_pool2d(ramp(5, 5), 2, 2), {6, 8, 16, 18});
    Tensor y = max_pool2d(ramp(5, 5), 2, 2, 0, 1, true);
    REQUIRE(y.shape() == Shape{1, 1, 3, 3});
    require_values(y, {6, 8, 9, 16, 18, 19, 21, 23, 24});
  }
  SECTION("ceil_mode drops a window that would start in the right padding") {
    // H = 3, k = 2, s = 4, p = 1: ceil((3 + 2 - 1 - 1) / 4) + 1 = 2, but the second window would
    // start at 4 - 1 = 3 >= H, so it is dropped: 1x1, as PyTorch.
    REQUIRE(max_pool2d(zeros({1, 1, 3, 3}), 2, 4, 1, 1, true).shape() == Shape{1, 1, 1, 1});
  }
  SECTION("non-square kernel and stride, unbatched [C, H, W] input") {
    // ramp(4, 6) as [1, 4, 6]; kernel (2, 3), stride (2, 3): maxima at the bottom-right of each
    // 2x3 block: 8, 11, 20, 23.
    Tensor y = max_pool2d(ramp(4, 6).reshape({1, 4, 6}), {2, 3});
    REQUIRE(y.shape() == Shape{1, 2, 2});
    require_values(y, {8, 11, 20, 23});
  }
}

TEST_CASE("max_pool2d: ties send the whole gradient to the first maximum, as PyTorch",
          "[nn][pool]") {
  // All four equal: the first (row-major) position gets it all.
  Tensor a = ones({1, 1, 2, 2}, DType::Float64).requires_grad_();
  sum(max_pool2d(a, 2)).backward();
  require_values(a.grad(), {1, 0, 0, 0});
  // [[1, 3], [3, 2]]: the 3 at (0, 1) comes first.
  Tensor b = tensor({1, 3, 3, 2}, {1, 1, 2, 2}, DType::Float64).requires_grad_();
  sum(max_pool2d(b, 2)).backward();
  require_values(b.grad(), {0, 1, 0, 0});
  // Overlapping windows (stride 1) each pick their own first maximum: windows over
  // [[2, 2, 2]] give (0,0) then (0,1) -> gradient [1, 1, 0].
  Tensor c = full({1, 1, 1, 3}, 2.0, DType::Float64).requires_grad_();
  sum(max_pool2d(c, {1, 2}, 1)).backward();
  require_values(c.grad(), {1, 1, 0});
}

TEST_CASE("max_pool2d: NaN propagates", "[nn][pool]") {
  Tensor x =
      tensor({1, std::numeric_limits<double>::quiet_NaN(), 3, 4}, {1, 1, 2, 2}, DType::Float64);
  REQUIRE(std::isnan(max_pool2d(x, 2).item<double>()));
}

// ---------------------------------------------------------------- avg_pool2d by hand

TEST_CASE("avg_pool2d: values and gradient by hand", "[nn][pool]") {
  // ramp(4, 4), 2x2 blocks: (0+1+4+5)/4 = 2.5, 4.5, 10.5, 12.5.
  for (DType dt : {DType::Float64, DType::Float32}) {
    Tensor x = ramp(4, 4, dt).requires_grad_();
    Tensor y = avg_pool2d(x, 2);
    require_values(y, {2.5, 4.5, 10.5, 12.5});
    sum(y).backward();
    // Every input is in exactly one window of 4.
    require_values(x.grad(), std::vector<double>(16, 0.25));
  }
}

TEST_CASE("avg_pool2d: padding with and without count_include_pad", "[nn][pool]") {
  // x = 1..9, kernel 2, stride 2, pad 1: windows {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}.
  Tensor x = ramp(3, 3) + 1.0;
  // count_include_pad: always divide by 4: 0.25, 1.25, 2.75, 7.
  require_values(avg_pool2d(x, 2, 2, 1), {0.25, 1.25, 2.75, 7});
  // Otherwise divide by the real elements: 1/1, 5/2, 11/2, 28/4.
  require_values(avg_pool2d(x, 2, 2, 1, false, false), {1, 2.5, 5.5, 7});
  // Gradient without count_include_pad: x00 gets 1/1, x01 and x02 1/2, x10 and x20 1/2, the
  // lower-right block 1/4.
  Tensor xl = x.detach().requires_grad_();
  sum(avg_pool2d(xl, 2, 2, 1, false, false)).backward();
  require_values(xl.grad(), {1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.5, 0.25, 0.25});
}

TEST_CASE("avg_pool2d: ceil_mode windows are clipped to the padded input", "[nn][pool]") {
  SECTION("no padding") {
    // ramp(5, 5), k 2, s 2, ceil -> 3x3; the last column window holds one column, so it divides
    // by 2 (not 4): (4 + 9) / 2 = 6.5; the corner holds x44 alone: 24.
    Tensor y = avg_pool2d(ramp(5, 5), 2, 2, 0, true);
    REQUIRE(y.shape() == Shape{1, 1, 3, 3});
    require_values(y, {3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24});
  }
  SECTION("with padding") {
    // ones 4x4, k 3, s 2, p 1, ceil -> 3 windows per axis: [-1, 2), [1, 4), [3, 5) (clipped to
    // H + p = 5). Real sizes 2, 3, 1; padded sizes 3, 3, 2; ratios r = 2/3, 1, 1/2.
    // count_include_pad: y[i][j] = r_i * r_j.
    Tensor y = avg_pool2d(ones({1, 1, 4, 4}, DType::Float64), 3, 2, 1, true, true);
    const double a = 2.0 / 3, c = 0.5;
    require_values(y, {a * a, a, a * c, a, 1, c, c * a, c, c * c});
    // Without count_include_pad every window averages ones: 1.
    require_values(avg_pool2d(ones({1, 1, 4, 4}, DType::Float64), 3, 2, 1, true, false),
                   std::vector<double>(9, 1.0));
  }
}

// ---------------------------------------------------------------- adaptive_avg_pool2d by hand

TEST_CASE("adaptive_avg_pool2d: PyTorch's overlapping windows by hand", "[nn][pool]") {
  SECTION("5x5 -> 2x2: windows rows/cols [0, 3) and [2, 5) overlap at 2") {
    // mean of (5r + c) over r, c in a window = 5 mean(r) + mean(c); means 1 and 3.
    require_values(adaptive_avg_pool2d(ramp(5, 5), 2), {6, 8, 16, 18});
  }
  SECTION("5 -> 3 along H: rows [0, 2), [1, 4), [3, 5); gradient by hand") {
    Tensor x = ramp(5, 1).requires_grad_();
    Tensor y = adaptive_avg_pool2d(x, {3, 1});
    // means of {0, 1}, {1, 2, 3}, {3, 4}
    require_values(y, {0.5, 2, 3.5});
    sum(y).backward();
    // x0: 1/2; x1: 1/2 + 1/3; x2: 1/3; x3: 1/3 + 1/2; x4: 1/2.
    require_values(x.grad(), {0.5, 5.0 / 6, 1.0 / 3, 5.0 / 6, 0.5});
  }
  SECTION("global average and identity") {
    // mean(0..24) = 12.
    require_values(adaptive_avg_pool2d(ramp(5, 5), 1), {12});
    const Tensor x = ramp(3, 4);
    require_values(adaptive_avg_pool2d(x, {3, 4}), x.to_vector<double>());
  }
  SECTION("upsampling: output larger than the input repeats values") {
    // 2 -> 3: rows [0, 1), [0, 2), [1, 2): x0, (x0 + x1) / 2, x1.
    require_values(adaptive_avg_pool2d(tensor({2, 4}, {1, 1, 1, 2}, DType::Float64), {1, 3}),
                   {2, 3, 4});
  }
  SECTION("unbatched input, float32") {
    Tensor y = adaptive_avg_pool2d(ramp(4, 4, DType::Float32).reshape({1, 4, 4}), 2);
    REQUIRE(y.shape() == Shape{1, 2, 2});
    REQUIRE(y.dtype() == DType::Float32);
    require_values(y, {2.5, 4.5, 10.5, 12.5});
  }
}

// ---------------------------------------------------------------- against a naive loop

TEST_CASE("max_pool2d and avg_pool2d match a direct loop over many configurations", "[nn][pool]") {
  const std::vector<PoolConfig> configs = {
      {2, 3, 6, 6, 2, 2, 2, 2, 0, 0, 1, 1, false}, {2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, false},
      {2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, true},  {1, 2, 8, 5, 2, 3, 1, 2, 1, 1, 1, 1, false},
      {1, 2, 9, 9, 3, 2, 3, 2, 1, 0, 1, 1, true},  {2, 1, 5, 6, 4, 4, 3, 3, 2, 2, 1, 1, true},
      {1, 4, 6, 7, 2, 2, 1, 1, 0, 0, 1, 1, false},
  };
  for (const PoolConfig& c : configs) {
    INFO("x [" << c.N << ", " << c.C << ", " << c.H << ", " << c.W << "] k (" << c.kH << ", "
               << c.kW << ") s (" << c.sH << ", " << c.sW << ") p (" << c.pH << ", " << c.pW
               << ") ceil " << c.ceil);
    const Tensor x = leaf({c.N, c.C, c.H, c.W}, 5).detach();
    const auto xv = x.to_vector<double>();
    require_close(
        max_pool2d(x, {c.kH, c.kW}, {c.sH, c.sW}, {c.pH, c.pW}, 1, c.ceil).to_vector<double>(),
        naive_max(c, xv), 1e-14);
    for (bool cip : {true, false})
      require_close(
          avg_pool2d(x, {c.kH, c.kW}, {c.sH, c.sW}, {c.pH, c.pW}, c.ceil, cip).to_vector<double>(),
          naive_avg(c, xv, cip), 1e-12);
  }
  // Dilation for max pooling.
  const std::vector<PoolConfig> dilated = {
      {2, 2, 7, 7, 2, 2, 1, 1, 1, 1, 2, 2, false},
      {1, 2, 9, 8, 3, 2, 2, 1, 1, 1, 2, 3, true},
  };
  for (const PoolConfig& c : dilated) {
    const Tensor x = leaf({c.N, c.C, c.H, c.W}, 6).detach();
    require_close(max_pool2d(x, {c.kH, c.kW}, {c.sH, c.sW}, {c.pH, c.pW}, {c.dH, c.dW}, c.ceil)
                      .to_vector<double>(),
                  naive_max(c, x.to_vector<double>()), 1e-14);
  }
}

TEST_CASE("pooling: non-contiguous inputs give the contiguous result", "[nn][pool]") {
  const Tensor xs = leaf({2, 6, 3, 5}, 7).detach();
  const Tensor x = xs.permute({0, 2, 1, 3});  // [2, 3, 6, 5]
  REQUIRE_FALSE(x.is_contiguous());
  const Tensor xc = x.contiguous();
  require_close(max_pool2d(x, 2, 1, 1).to_vector<double>(),
                max_pool2d(xc, 2, 1, 1).to_vector<double>(), 0);
  require_close(avg_pool2d(x, 3, 2, 1).to_vector<double>(),
                avg_pool2d(xc, 3, 2, 1).to_vector<double>(), 0);
  require_close(adaptive_avg_pool2d(x, {4, 3}).to_vector<double>(),
                adaptive_avg_pool2d(xc, {4, 3}).to_vector<double>(), 0);
}

// ---------------------------------------------------------------- gradcheck

TEST_CASE("gradcheck: max_pool2d", "[nn][pool]") {
  // Uniform random leaves have no ties; the eps perturbation cannot change an argmax.
  Tensor x = leaf({2, 2, 6, 6}, 81);
  REQUIRE_GRADCHECK([](const TensorList& t) { return max_pool2d(t[0], 2); }, TensorList{x});
  REQUIRE_GRADCHECK([](const TensorList& t) { return max_pool2d(t[0], 3, 2, 1); }, TensorList{x});
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return max_pool2d(t[0], {2, 3}, {1, 2}, {1, 1}, 2);
      },
      TensorList{x});
  REQUIRE_GRADCHECK([](const TensorList& t) { return max_pool2d(t[0], 2, 2, 1, 1, true); },
                    TensorList{x});
  // The backward writes a plane in one pass when every argmax lies in its own 2x2 window: a 2x2
  // pool with an odd last row and column (left at zero), and a 3x3 stride-2 pool whose outputs
  // fit that test's shape (2 * OH <= H) but whose argmaxes may lie outside it (the scatter then
  // starts the plane again).
  Tensor xo = leaf({2, 2, 7, 19}, 82);  // 9 outputs per row: 8 vectorised, 1 scalar
  REQUIRE_GRADCHECK([](const TensorList& t) { return max_pool2d(t[0], 2); }, TensorList{xo});
  REQUIRE_GRADCHECK([](const TensorList& t) { return max_pool2d(t[0], 3, 2); }, TensorList{xo});
}

TEST_CASE("max_pool2d backward in float32 equals the float64 one", "[nn][pool]") {
  // The float32 2x2 backward has a vectorised row (8 outputs at a time); the gradient values are
  // only moved, so float32 and float64 agree exactly. Rows of 9 and 14 outputs (vector + scalar
  // tail, the LeNet / CNN pools; 8, no tail), and a 3x3 stride-2 pool whose argmaxes may leave
  // the 2x2 window.
  for (const Shape& xs : {Shape{2, 3, 7, 19}, Shape{2, 3, 7, 17}, Shape{2, 2, 28, 28}}) {
    for (int k : {2, 3}) {
      INFO("x " << shape_str(xs) << " kernel " << k);
      Tensor x64 = leaf(xs, 83), x32 = x64.detach().to(DType::Float32);
      x32.requires_grad_();
      Tensor y64 = max_pool2d(x64, k, 2), y32 = max_pool2d(x32, k, 2);
      const Tensor gy = leaf(y64.shape(), 84).detach();
      y64.backward(gy);
      y32.backward(gy.to(DType::Float32));
      const auto g64 = x64.grad().to_vector<double>();
      const auto g32 = x32.grad().to_vector<float>();
      REQUIRE(g32.size() == g64.size());
      for (std::size_t i = 0; i < g64.size(); ++i) {
        INFO("at " << i);
        // 2x2: each input gets at most one gradient, moved exactly; 3x3 stride 2 windows
        // overlap, so a float32 sum of up to four of them may round differently.
        const double want = static_cast<float>(g64[i]);
        if (k == 2)
          REQUIRE(static_cast<double>(g32[i]) == want);
        else
          REQUIRE(std::abs(static_cast<double>(g32[i]) - g64[i]) <= 1e-6 * (1 + std::abs(g64[i])));
      }
    }
  }
}

TEST_CASE("gradcheck: max_pool2d non-contiguous and unbatched, second order", "[nn][pool]") {
  Tensor xs = leaf({2, 5, 3, 4}, 82);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return max_pool2d(t[0].permute({0, 2, 1, 3}), 2, 1);
      },
      TensorList{xs}, second_order());
  Tensor x3 = leaf({3, 5, 5}, 83);
  // Through a nonlinearity so that the second derivative is not identically zero.
  REQUIRE_GRADCHECK([](const TensorList& t) { return max_pool2d(tanh(t[0]), 3, 2, 1); },
                    TensorList{x3}, second_order());
}

TEST_CASE("gradcheck: avg_pool2d", "[nn][pool]") {
  Tensor x = leaf({2, 2, 6, 7}, 84);
  REQUIRE_GRADCHECK([](const TensorList& t) { return avg_pool2d(t[0], 2); }, TensorList{x});
  REQUIRE_GRADCHECK([](const TensorList& t) { return avg_pool2d(t[0], 3, 2, 1); }, TensorList{x});
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return avg_pool2d(t[0], {3, 2}, {2, 3}, {1, 1}, true, false);
      },
      TensorList{x});
  REQUIRE_GRADCHECK(
      [](const TensorList& t) { return avg_pool2d(t[0].transpose(2, 3), 2, 1, 1, true, true); },
      TensorList{x});
}

TEST_CASE("gradcheck: avg_pool2d second order", "[nn][pool]") {
  Tensor x = leaf({1, 2, 5, 5}, 85);
  REQUIRE_GRADCHECK([](const TensorList& t) { return avg_pool2d(tanh(t[0]), 3, 2, 1, true); },
                    TensorList{x}, second_order());
}

TEST_CASE("gradcheck: adaptive_avg_pool2d", "[nn][pool]") {
  Tensor x = leaf({2, 2, 7, 5}, 86);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return adaptive_avg_pool2d(t[0], {3, 2});
      },
      TensorList{x});
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return adaptive_avg_pool2d(t[0], {4, 8});
      },
      TensorList{x});
  REQUIRE_GRADCHECK(
      [](const TensorList& t) { return adaptive_avg_pool2d(t[0].slice(2, 1, 7, 2), 2); },
      TensorList{x});
  Tensor x3 = leaf({2, 6, 6}, 87);
  REQUIRE_GRADCHECK([](const TensorList& t) { return adaptive_avg_pool2d(mul(t[0], t[0]), 4); },
                    TensorList{x3}, second_order());
}

// ---------------------------------------------------------------- errors

TEST_CASE("pooling: errors name the op and the shapes", "[nn][pool]") {
  const Tensor x = zeros({1, 2, 5, 5});
  REQUIRE_THROWS_WITH(
      max_pool2d(zeros({5, 5}), 2),
      Catch::Contains("max_pool2d: expected a 3-D [C, H, W] or 4-D") && Catch::Contains("[5, 5]"));
  REQUIRE_THROWS_WITH(avg_pool2d(zeros({1, 1, 1, 5, 5}), 2),
                      Catch::Contains("avg_pool2d: expected a 3-D"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 2, 2, 2),
                      Catch::Contains("max_pool2d: padding should be at most half of the kernel"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 6), Catch::Contains("max_pool2d: output size is too small") &&
                                            Catch::Contains("[1, 2, 5, 5]"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, 0),
                      Catch::Contains("avg_pool2d: kernel size must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 2, 0), Catch::Contains("max_pool2d: stride must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(x, 2, 1, 0, 0),
                      Catch::Contains("max_pool2d: dilation must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(zeros({1, 2, 5, 5}, DType::Int64), 2),
                      Catch::Contains("max_pool2d") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(max_pool2d(zeros({1, 0, 5, 5}), 2),
                      Catch::Contains("max_pool2d: input of shape [1, 0, 5, 5]"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(x, {0, 2}),
                      Catch::Contains("adaptive_avg_pool2d: output_size must be positive"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(zeros({4}), 2),
                      Catch::Contains("adaptive_avg_pool2d: expected a 3-D"));
  REQUIRE_THROWS_AS(avg_pool2d(Tensor(), 2), tg::Error);
}

TEST_CASE("pooling: an empty batch gives an empty output", "[nn][pool]") {
  REQUIRE(max_pool2d(zeros({0, 2, 4, 4}), 2).shape() == Shape{0, 2, 2, 2});
  REQUIRE(avg_pool2d(zeros({0, 2, 4, 4}), 2).shape() == Shape{0, 2, 2, 2});
  REQUIRE(adaptive_avg_pool2d(zeros({0, 2, 4, 4}), 3).shape() == Shape{0, 2, 3, 3});
}

// ---------------------------------------------------------------- layers

TEST_CASE("pooling layers: forward, no parameters, extra_repr like PyTorch's", "[nn][pool]") {
  const Tensor x = leaf({2, 3, 8, 8}, 91).detach();
  nn::MaxPool2d mp(2);
  REQUIRE(mp.parameters().empty());
  require_close(mp(x).to_vector<double>(), max_pool2d(x, 2).to_vector<double>(), 0);
  REQUIRE(mp.extra_repr() == "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false");
  REQUIRE(nn::MaxPool2d({3, 2}, 1, {1, 0}, 1, true).extra_repr() ==
          "kernel_size=(3, 2), stride=1, padding=(1, 0), dilation=1, ceil_mode=true");

  nn::AvgPool2d ap(3, 2, 1);
  require_close(ap(x).to_vector<double>(), avg_pool2d(x, 3, 2, 1).to_vector<double>(), 0);
  REQUIRE(ap.extra_repr() == "kernel_size=3, stride=2, padding=1");
  REQUIRE(nn::AvgPool2d(2, {}, 0, false, false).extra_repr() ==
          "kernel_size=2, stride=2, padding=0, count_include_pad=false");

  nn::AdaptiveAvgPool2d aap({5, 7});
  REQUIRE(aap(x).shape() == Shape{2, 3, 5, 7});
  REQUIRE(aap.extra_repr() == "output_size=(5, 7)");
  REQUIRE(nn::AdaptiveAvgPool2d(1).extra_repr() == "output_size=1");
  REQUIRE_THAT(mp.to_string(), Catch::Contains("MaxPool2d(kernel_size=2, stride=2"));
  REQUIRE_THAT(nn::summary(aap, {1, 3, 8, 8}), Catch::Contains("AdaptiveAvgPool2d"));
}

TEST_CASE("pooling layers: bad settings fail at construction", "[nn][pool]") {
  REQUIRE_THROWS_WITH(nn::MaxPool2d(0), Catch::Contains("MaxPool2d: kernel_size must be positive"));
  REQUIRE_THROWS_WITH(nn::MaxPool2d(2, 2, 2),
                      Catch::Contains("MaxPool2d: padding should be at most half"));
  REQUIRE_THROWS_WITH(nn::AvgPool2d(2, -1), Catch::Contains("AvgPool2d: stride must be positive"));
  REQUIRE_THROWS_WITH(nn::AdaptiveAvgPool2d({2, 0}),
                      Catch::Contains("AdaptiveAvgPool2d: output_size must be positive"));
}

// ------------------------------------------------------------------ Sequential: relu, then pool

namespace {
// Values with many ties, zeros of both signs, negative-only windows and a NaN, so that the
// argmax rule, relu's flat part and NaN propagation are all exercised.
Tensor tricky_images(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<double> pool = {-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 1.0, 3.0};
  std::size_t n = 1;
  for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  std::vector<double> v(n);
  for (auto& e : v) e = pool[rng() % pool.size()];
  for (std::size_t i = 0; i < 12 && i < v.size(); ++i) v[i] = -1.0 - static_cast<double>(i % 3);
  v[v.size() / 2] = std::numeric_limits<double>::quiet_NaN();
  return tensor(v, shape, DType::Float32);
}

bool same_bits(const Tensor& a, const Tensor& b) {
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(ca.raw_data(), cb.raw_data(),
                     static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

struct Run {
  Tensor y, gx;
  std::vector<std::string> ops;  // the tape's op names, in order, before backward
};

// f(x) then, through backward of sum(y * w), x's gradient; `w` has NaN-free weights.
Run run(const std::function<Tensor(const Tensor&)>& f, const Tensor& x0) {
  tape().clear();
  Tensor x = x0.detach().requires_grad_(true);
  Tensor y = f(x);
  Run r;
  for (const auto& e : tape().entries()) r.ops.emplace_back(e.name);
  std::vector<double> wv(static_cast<std::size_t>(y.numel()));
  for (std::size_t i = 0; i < wv.size(); ++i) wv[i] = 0.25 + static_cast<double>(i % 7);
  sum(mul(y, tensor(wv, y.shape(), y.dtype()))).backward();
  r.y = y.detach();
  r.gx = x.grad();
  return r;
}
}  // namespace

TEST_CASE("Sequential: relu then MaxPool2d runs the pool first, with the same bits",
          "[nn][pool][sequential]") {
  const Shape shape{2, 3, 9, 11};
  const Tensor x = tricky_images(shape, 5);
  struct Geometry {
    Size2 k, s, p, d;
    bool ceil;
  };
  for (const Geometry& g :
       {Geometry{2, 2, 0, 1, false}, Geometry{3, 2, 1, 1, true}, Geometry{2, 1, 0, 2, false}}) {
    for (int which = 0; which < 2; ++which) {
      CAPTURE(g.k.h, g.s.h, g.p.h, g.d.h, g.ceil, which);
      std::shared_ptr<nn::Module> act =
          which == 0 ? std::shared_ptr<nn::Module>(std::make_shared<nn::ReLU>())
                     : std::shared_ptr<nn::Module>(act::make("relu", 3));
      auto pool = std::make_shared<nn::MaxPool2d>(g.k, g.s, g.p, g.d, g.ceil);
      REQUIRE(act->commutes_with_max_pool());
      nn::Sequential seq{act, pool};
      const Run plain = run([&](const Tensor& t) { return (*pool)((*act)(t)); }, x);
      const Run fused = run([&](const Tensor& t) { return seq(t); }, x);
      // The reorder happened: the tape has the pool before the activation.
      REQUIRE(plain.ops.size() == 2);
      REQUIRE(fused.ops.size() == 2);
      REQUIRE(plain.ops[0] == fused.ops[1]);
      REQUIRE(fused.ops[0] == "max_pool2d");
      // And changed nothing: the NaN window is NaN in both, every other value and every
      // gradient is the same bit pattern.
      REQUIRE(std::isnan(fused.y.contiguous().to_vector<double>()[0]) ==
              std::isnan(plain.y.contiguous().to_vector<double>()[0]));
      REQUIRE(same_bits(plain.y, fused.y));
      REQUIRE(same_bits(plain.gx, fused.gx));
      // Some windows hold only non-positive values and some a positive one, and the gradient
      // reaches x somewhere: the cases that could differ are present.
      const auto yv = fused.y.to_vector<double>();
      REQUIRE(std::count(yv.begin(), yv.end(), 0.0) > 0);
      REQUIRE(std::count_if(yv.begin(), yv.end(), [](double v) { return v > 0; }) > 0);
      REQUIRE(std::count_if(yv.begin(), yv.end(), [](double v) { return std::isnan(v); }) > 0);
      const auto gv = fused.gx.to_vector<double>();
      REQUIRE(std::count_if(gv.begin(), gv.end(), [](double v) { return v != 0; }) > 0);
    }
  }
}

TEST_CASE("Sequential: other activations and summary() keep the modules' order",
          "[nn][pool][sequential]") {
  const Tensor x = tricky_images({1, 2, 6, 6}, 7);
  // leaky_relu is increasing, but not flat where its derivative is zero: no reorder.
  for (const char* spec : {"leaky_relu", "relu6", "tanh", "prelu"}) {
    CAPTURE(spec);
    auto a = act::make(spec, 2);
    REQUIRE_FALSE(a->commutes_with_max_pool());
    nn::Sequential seq{a, std::make_shared<nn::MaxPool2d>(2)};
    const Run r = run([&](const Tensor& t) { return seq(t); }, x);
    REQUIRE(r.ops.back() == "max_pool2d");
  }
  // Subclasses keep their order: their forward may not be relu or max-pooling.
  struct ScaledReLU : nn::ReLU {
    Tensor forward(const Tensor& t) override { return nn::ReLU::forward(mul(t, -1.0)); }
  };
  struct MinPool : nn::MaxPool2d {
    MinPool() : nn::MaxPool2d(2) {}
    Tensor forward(const Tensor& t) override { return neg(nn::MaxPool2d::forward(neg(t))); }
  };
  {
    nn::Sequential seq{std::make_shared<ScaledReLU>(), std::make_shared<nn::MaxPool2d>(2)};
    REQUIRE(run([&](const Tensor& t) { return seq(t); }, x).ops.back() == "max_pool2d");
    nn::Sequential seq2{std::make_shared<nn::ReLU>(), std::make_shared<MinPool>()};
    REQUIRE(run([&](const Tensor& t) { return seq2(t); }, x).ops.front() == "relu");
  }
  // summary() lists the relu with its own (unpooled) output shape.
  nn::Sequential seq{std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2)};
  const std::string s = nn::summary(seq, {1, 2, 6, 6});
  CAPTURE(s);
  REQUIRE(s.find("0 (ReLU)") != std::string::npos);
  REQUIRE(s.find("[1, 2, 6, 6]") != std::string::npos);
  REQUIRE(s.find("[1, 2, 3, 3]") != std::string::npos);
  REQUIRE(s.find("0 (ReLU)") < s.find("1 (MaxPool2d)"));
}
