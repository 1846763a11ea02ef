// Tests for the fast paths of the convolution and pooling kernels (direct convolution for stride
// 1 and small kernels, unit-stride im2col/col2im, the 2x2 max pool) against naive loops in
// double, and through the ops with gradcheck.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "helpers.hpp"
#include "tapegrad/kernels/im2col.hpp"
#include "tapegrad/kernels/implicit_conv.hpp"
#include "tapegrad/kernels/pool.hpp"

using tg::kernels::Conv2dGeometry;
using tg::kernels::Pool2dGeometry;

namespace {

Conv2dGeometry make_geom(std::int64_t N, std::int64_t C, std::int64_t H, std::int64_t W,
                         std::int64_t Co, std::int64_t kH, std::int64_t kW, std::int64_t s,
                         std::int64_t p, std::int64_t d, std::int64_t groups) {
  Conv2dGeometry g;
  g.N = N;
  g.C = C;
  g.H = H;
  g.W = W;
  g.Co = Co;
  g.kH = kH;
  g.kW = kW;
  g.sH = g.sW = s;
  g.pH = g.pW = p;
  g.dH = g.dW = d;
  g.groups = groups;
  g.OH = (H + 2 * p - d * (kH - 1) - 1) / s + 1;
  g.OW = (W + 2 * p - d * (kW - 1) - 1) / s + 1;
  return g;
}

std::string describe(const Conv2dGeometry& g) {
  return fmt::format("N={} C={} H={} W={} Co={} k={}x{} s={} p={} d={} groups={} out={}x{}", g.N,
                     g.C, g.H, g.W, g.Co, g.kH, g.kW, g.sH, g.pH, g.dH, g.groups, g.OH, g.OW);
}

// x value at (n, c, ih, iw) or 0 in the padding.
double xval(const std::vector<double>& x, const Conv2dGeometry& g, std::int64_t n, std::int64_t c,
            std::int64_t ih, std::int64_t iw) {
  if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return 0;
  return x[static_cast<std::size_t>(((n * g.C + c) * g.H + ih) * g.W + iw)];
}

// y[n, co, oh, ow] = b[co] + sum_{c in group, i, j} w[co, c, i, j] x[n, c, oh*s-p+i*d, ...]
std::vector<double> naive_forward(const std::vector<double>& x, const std::vector<double>& w,
                                  const std::vector<double>& b, const Conv2dGeometry& g) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  std::vector<double> y(static_cast<std::size_t>(g.N * g.Co * g.OH * g.OW));
  for (std::int64_t n = 0; n < g.N; ++n)
    for (std::int64_t co = 0; co < g.Co; ++co)
      for (std::int64_t oh = 0; oh < g.OH; ++oh)
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          double s = b[static_cast<std::size_t>(co)];
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t i = 0; i < g.kH; ++i)
              for (std::int64_t j = 0; j < g.kW; ++j)
                s += w[static_cast<std::size_t>(((co * Cg + c) * g.kH + i) * g.kW + j)] *
                     xval(x, g, n, (co / Cog) * Cg + c, oh * g.sH - g.pH + i * g.dH,
                          ow * g.sW - g.pW + j * g.dW);
          y[static_cast<std::size_t>(((n * g.Co + co) * g.OH + oh) * g.OW + ow)] = s;
        }
  return y;
}

// gw[co, c, i, j] = sum_{n, oh, ow} gy[n, co, oh, ow] x[n, c', oh*s-p+i*d, ow*s-p+j*d]
std::vector<double> naive_wgrad(const std::vector<double>& x, const std::vector<double>& gy,
                                const Conv2dGeometry& g) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  std::vector<double> gw(static_cast<std::size_t>(g.Co * Cg * g.kH * g.kW));
  for (std::int64_t co = 0; co < g.Co; ++co)
    for (std::int64_t c = 0; c < Cg; ++c)
      for (std::int64_t i = 0; i < g.kH; ++i)
        for (std::int64_t j = 0; j < g.kW; ++j) {
          double s = 0;
          for (std::int64_t n = 0; n < g.N; ++n)
            for (std::int64_t oh = 0; oh < g.OH; ++oh)
              for (std::int64_t ow = 0; ow < g.OW; ++ow)
                s += gy[static_cast<std::size_t>(((n * g.Co + co) * g.OH + oh) * g.OW + ow)] *
                     xval(x, g, n, (co / Cog) * Cg + c, oh * g.sH - g.pH + i * g.dH,
                          ow * g.sW - g.pW + j * g.dW);
          gw[static_cast<std::size_t>(((co * Cg + c) * g.kH + i) * g.kW + j)] = s;
        }
  return gw;
}

// gx = adjoint of the forward (without bias) applied to gy.
std::vector<double> naive_igrad(const std::vector<double>& w, const std::vector<double>& gy,
                                const Conv2dGeometry& g) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  std::vector<double> gx(static_cast<std::size_t>(g.N * g.C * g.H * g.W));
  for (std::int64_t n = 0; n < g.N; ++n)
    for (std::int64_t co = 0; co < g.Co; ++co)
      for (std::int64_t oh = 0; oh < g.OH; ++oh)
        for (std::int64_t ow = 0; ow < g.OW; ++ow)
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t i = 0; i < g.kH; ++i)
              for (std::int64_t j = 0; j < g.kW; ++j) {
                const std::int64_t ih = oh * g.sH - g.pH + i * g.dH,
                                   iw = ow * g.sW - g.pW + j * g.dW;
                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                gx[static_cast<std::size_t>(((n * g.C + (co / Cog) * Cg + c) * g.H + ih) * g.W +
                                            iw)] +=
                    w[static_cast<std::size_t>(((co * Cg + c) * g.kH + i) * g.kW + j)] *
                    gy[static_cast<std::size_t>(((n * g.Co + co) * g.OH + oh) * g.OW + ow)];
              }
  return gx;
}

std::vector<double> random_vec(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> v(n);
  for (auto& e : v) e = u(rng);
  return v;
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <class T>
void check_close(const std::vector<T>& got, const std::vector<double>& want, double tol,
                 const std::string& what) {
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    INFO(what << " at " << k);
    REQUIRE(std::abs(static_cast<double>(got[k]) - want[k]) <= tol * (1 + std::abs(want[k])));
  }
}

template <class T>
void check_conv(const Conv2dGeometry& g, std::uint32_t seed) {
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  const std::int64_t Cg = g.C / g.groups;
  const auto x = random_vec(static_cast<std::size_t>(g.N * g.C * g.H * g.W), seed);
  const auto w = random_vec(static_cast<std::size_t>(g.Co * Cg * g.kH * g.kW), seed + 1);
  const auto b = random_vec(static_cast<std::size_t>(g.Co), seed + 2);
  const auto gy = random_vec(static_cast<std::size_t>(g.N * g.Co * g.OH * g.OW), seed + 3);
  const auto xt = cast<T>(x), wt = cast<T>(w), bt = cast<T>(b), gyt = cast<T>(gy);
  const std::string what = describe(g);
  std::vector<T> y(gy.size()), gx(x.size(), T(7)), gw(w.size(), T(7));
  tg::kernels::conv2d_forward<T>(xt.data(), wt.data(), bt.data(), g, y.data());
  check_close(y, naive_forward(x, w, b, g), tol * 10, "forward " + what);
  tg::kernels::conv2d_forward<T>(xt.data(), wt.data(), nullptr, g, y.data());
  check_close(y, naive_forward(x, w, std::vector<double>(b.size()), g), tol * 10,
              "forward no bias " + what);
  tg::kernels::conv2d_backward_weight<T>(xt.data(), gyt.data(), g, gw.data());
  check_close(gw, naive_wgrad(x, gy, g), tol * 100, "weight grad " + what);
  // With the bias gradient from the same pass: gw unchanged, gb = gy summed per channel.
  std::vector<double> want_gb(static_cast<std::size_t>(g.Co), 0.0);
  for (std::int64_t n = 0; n < g.N; ++n)
    for (std::int64_t co = 0; co < g.Co; ++co)
      for (std::int64_t l = 0; l < g.OH * g.OW; ++l)
        want_gb[co] += gy[static_cast<std::size_t>((n * g.Co + co) * g.OH * g.OW + l)];
  std::vector<T> gw_b(w.size(), T(7)), gb(static_cast<std::size_t>(g.Co), T(7));
  tg::kernels::conv2d_backward_weight<T>(xt.data(), gyt.data(), g, gw_b.data(), gb.data());
  REQUIRE(gw_b == gw);
  check_close(gb, want_gb, tol * 10, "bias grad " + what);
  tg::kernels::conv2d_backward_input<T>(gyt.data(), wt.data(), g, gx.data());
  check_close(gx, naive_igrad(w, gy, g), tol * 10, "input grad " + what);
  if (tg::kernels::conv2d_has_columns(g)) {
    // The forward that keeps its columns gives the same output bits, and the weight gradient
    // from those columns matches the naive one.
    std::vector<T> cols(static_cast<std::size_t>(tg::kernels::conv2d_columns_size(g)));
    std::vector<T> y2(y.size()), gw2(w.size(), T(7));
    tg::kernels::conv2d_forward<T>(xt.data(), wt.data(), nullptr, g, y2.data(), cols.data());
    REQUIRE(y2 == y);
    tg::kernels::conv2d_backward_weight_columns<T>(cols.data(), gyt.data(), g, gw2.data());
    check_close(gw2, naive_wgrad(x, gy, g), tol * 100, "weight grad from columns " + what);
    std::vector<T> gw3(w.size(), T(7)), gb3(static_cast<std::size_t>(g.Co), T(7));
    tg::kernels::conv2d_backward_weight_columns<T>(cols.data(), gyt.data(), g, gw3.data(),
                                                   gb3.data());
    REQUIRE(gw3 == gw2);
    check_close(gb3, want_gb, tol * 10, "bias grad from columns " + what);
    if (tg::kernels::conv2d_has_fused_backward(g)) {
      // Both gradients in one pass, from the columns and from x: gw and gb bit-identical to the
      // weight gradient's, gx close to the naive one.
      for (const T* c : {static_cast<const T*>(cols.data()), static_cast<const T*>(nullptr)}) {
        std::vector<T> gx4(x.size(), T(7)), gw4(w.size(), T(7)), gb4(gb3.size(), T(7));
        tg::kernels::conv2d_backward_both<T>(c ? nullptr : xt.data(), c, gyt.data(), wt.data(), g,
                                             gx4.data(), gw4.data(), gb4.data());
        REQUIRE(gw4 == gw3);
        REQUIRE(gb4 == gb3);
        check_close(gx4, naive_igrad(w, gy, g), tol * 10, "fused input grad " + what);
      }
    }
  }
}

}  // namespace

TEST_CASE("conv kernels: direct path (stride 1, small kernels) matches naive loops", "[kernels]") {
  // (N, C, H, W, Co, kH, kW, stride, pad, dil, groups); OW >= 8 and C*kH*kW <= 32 take the
  // direct path; widths around the vector length (8 floats, 4 doubles) and its multiples.
  const std::vector<Conv2dGeometry> geoms = {
      make_geom(3, 1, 28, 28, 6, 5, 5, 1, 2, 1, 1),  // LeNet conv1
      make_geom(2, 1, 9, 8, 3, 1, 1, 1, 0, 1, 1),   make_geom(2, 1, 7, 12, 2, 3, 3, 1, 1, 1, 1),
      make_geom(2, 2, 6, 17, 4, 3, 2, 1, 0, 1, 1),  make_geom(1, 1, 5, 40, 2, 2, 8, 1, 3, 1, 1),
      make_geom(2, 2, 5, 33, 4, 3, 3, 1, 1, 1, 2),  make_geom(1, 3, 4, 16, 3, 2, 7, 1, 3, 1, 3),
      make_geom(1, 1, 3, 9, 1, 3, 4, 1, 1, 1, 1),   make_geom(5, 1, 6, 25, 7, 4, 6, 1, 2, 1, 1),
  };
  for (const auto& g : geoms) {
    check_conv<float>(g, 11);
    check_conv<double>(g, 12);
  }
}

TEST_CASE("conv kernels: generic paths (stride, dilation, wide kernels, narrow outputs)",
          "[kernels]") {
  const std::vector<Conv2dGeometry> geoms = {
      make_geom(2, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1),  // LeNet conv2 (implicit GEMM)
      make_geom(2, 2, 9, 11, 3, 3, 3, 2, 1, 1, 1),   make_geom(2, 2, 12, 13, 4, 3, 3, 1, 2, 2, 2),
      make_geom(1, 1, 6, 7, 2, 3, 3, 1, 1, 1, 1),   // OW < 8
      make_geom(1, 1, 5, 20, 2, 3, 9, 1, 4, 1, 1),  // kW > 8
      make_geom(2, 4, 5, 9, 4, 1, 1, 1, 0, 1, 2),   // pointwise
      make_geom(1, 3, 7, 30, 2, 4, 4, 1, 1, 1, 1),  // C*kH*kW > 32
  };
  for (const auto& g : geoms) {
    check_conv<float>(g, 21);
    check_conv<double>(g, 22);
  }
}

TEST_CASE("conv kernels: several images per GEMM, with a partial last group", "[kernels]") {
  // The im2col drivers put nb = 2^16 / (K * L) images side by side in one GEMM (clamped to
  // [1, N]). C=6, 5x5 on 10x10: K = 150, L = 36, nb = 12, so N = 13 is 12 + 1; C=12, 3x3,
  // pad 1 on 8x8: K = 108, L = 64, nb = 9, so N = 11 is 9 + 2; C=8 in groups=2, 3x3, pad 1 on
  // 20x20: K = 36 per group, L = 400, nb = 4, so N = 7 is 4 + 3; C=12, 3x3, pad 1 on 32x32:
  // K = 108, L = 1024, one image per GEMM.
  const std::vector<Conv2dGeometry> geoms = {
      make_geom(13, 6, 10, 10, 4, 5, 5, 1, 0, 1, 1),
      make_geom(11, 12, 8, 8, 5, 3, 3, 1, 1, 1, 1),
      make_geom(7, 8, 20, 20, 4, 3, 3, 1, 1, 1, 2),
      make_geom(5, 12, 32, 32, 5, 3, 3, 1, 1, 1, 1),
  };
  for (const auto& g : geoms) {
    check_conv<float>(g, 31);
    check_conv<double>(g, 32);
  }
}

TEST_CASE("conv kernels: implicit GEMM path matches naive loops", "[kernels]") {
  // kernels/implicit_conv.cpp: tiles of 6 positions (forward) or 6 kernel taps (weight
  // gradient) x 16 output channels (8 in double), and for stride 1 the input gradient's tiles of
  // 6 input channels x 2 vectors along a row. The geometries leave partial tiles everywhere:
  // Co = 9 and 20 (channel blocks of 16 padded), C = 11 (channel blocks 6 + 5), P = 261 (43
  // tiles of 6 and one of 3), K = 99, rows of 14 (one partial block of 16) and 29 (16 + 13), and
  // N = 5 samples where the weight gradient takes 2 per group in float (2 + 2 + 1).
  auto holes = make_geom(2, 6, 12, 16, 8, 2, 3, 1, 0, 1, 1);
  holes.dH = 8;  // kernel rows 8 apart: OH = 4, and input rows 4..7 get no gradient at all
  holes.OH = 4;
  const std::vector<Conv2dGeometry> geoms = {
      make_geom(2, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1),  // LeNet-5's conv2
      make_geom(3, 11, 9, 14, 9, 3, 3, 1, 1, 2, 1),   // dilation 2 (not Winograd)
      make_geom(5, 6, 9, 29, 20, 5, 5, 1, 2, 1, 1),   // two blocks along a row, P = 261
      make_geom(2, 5, 13, 11, 16, 3, 3, 2, 1, 1, 1),  // stride 2: the input gradient by col2im
      holes,
  };
  for (const auto& g : geoms) {
    INFO(describe(g));
    REQUIRE(tg::kernels::implicit::applicable(g));
    REQUIRE_FALSE(tg::kernels::conv2d_has_columns(g));
    REQUIRE(tg::kernels::implicit::applicable_input(g) == (g.sH == 1));
    check_conv<float>(g, 71);
    check_conv<double>(g, 72);
  }
}

TEST_CASE("conv kernels: Winograd F(2x2, 3x3) path matches naive loops", "[kernels]") {
  // 3x3, stride 1, one group, padding 0..2 and >= 8 channels each side take the Winograd path:
  // even and odd output sizes (partial last tiles), each padding, unequal paddings, and
  // C = 16, Co = 8 on 16x16 (P = 64 tiles: 2^18 / (16 * 16 * 64) = 16 images per group, so
  // N = 17 is a full group and a group of one).
  auto uneven = make_geom(2, 8, 9, 6, 12, 3, 3, 1, 1, 1, 1);
  uneven.pH = 2;
  uneven.pW = 0;
  uneven.OH = 11;
  uneven.OW = 4;
  const std::vector<Conv2dGeometry> geoms = {
      make_geom(3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1),  // the wider CNN's conv2
      make_geom(2, 8, 7, 9, 9, 3, 3, 1, 1, 1, 1),      // odd outputs
      make_geom(2, 9, 10, 11, 8, 3, 3, 1, 0, 1, 1),    // no padding
      make_geom(1, 8, 5, 6, 10, 3, 3, 1, 2, 1, 1),     // padding 2
      uneven,
      make_geom(17, 16, 16, 16, 8, 3, 3, 1, 1, 1, 1),  // 16 + 1 images
  };
  for (const auto& g : geoms) {
    check_conv<float>(g, 41);
    check_conv<double>(g, 42);
  }
}

TEST_CASE("conv kernels: direct weight gradient ignores the input past the last output column",
          "[kernels]") {
  // W = 12, 3x3, no padding: OW = 10, so the second vector of a row has live lanes for ow < 10
  // only; the input columns it would also touch hold inf. Every weight gradient must stay finite
  // and equal the naive sum (the inf columns 10, 11 are reached by ow + j only for j >= 1 with a
  // live ow: put inf in column 11 of row 0 -> it contributes to (i=0, j=2) via ow=9: finite
  // expected there only if gy is finite -> inf. Use a column that no live lane reaches instead:
  // none exists for a full conv, so check against the naive result including the infinities.
  Conv2dGeometry g = make_geom(1, 1, 3, 12, 1, 3, 3, 1, 0, 1, 1);
  std::vector<double> x(36, 0.5), gy(10, 1.0);
  x[11] = std::numeric_limits<double>::infinity();  // row 0, column 11
  // Only ow + j == 11 reaches it: (ow=9, j=2), so only gw[0, 0, 0, 2] is inf; the rest are
  // 0.5 * 10 = 5 (one output row, ten columns).
  const auto want = naive_wgrad(x, gy, g);
  REQUIRE(std::isinf(want[2]));
  REQUIRE(want[0] == 5.0);
  const auto xt = cast<float>(x), gyt = cast<float>(gy);
  std::vector<float> gw(9);
  tg::kernels::conv2d_backward_weight<float>(xt.data(), gyt.data(), g, gw.data());
  for (std::size_t k = 0; k < 9; ++k) {
    INFO("k=" << k);
    if (k == 2)
      REQUIRE(std::isinf(gw[k]));
    else
      REQUIRE(gw[k] == 5.0f);
  }
}

TEST_CASE("conv kernels: results are identical for repeated calls and 1 vs many samples",
          "[kernels]") {
  const Conv2dGeometry g = make_geom(4, 1, 28, 28, 6, 5, 5, 1, 2, 1, 1);
  const auto x = cast<float>(random_vec(4 * 784, 5)), w = cast<float>(random_vec(150, 6));
  std::vector<float> y1(4 * 6 * 784), y2(y1.size());
  tg::kernels::conv2d_forward<float>(x.data(), w.data(), nullptr, g, y1.data());
  tg::kernels::conv2d_forward<float>(x.data(), w.data(), nullptr, g, y2.data());
  REQUIRE(y1 == y2);
  // Sample 2 alone gives the same values as within the batch (no cross-sample state).
  Conv2dGeometry g1 = g;
  g1.N = 1;
  std::vector<float> y3(6 * 784);
  tg::kernels::conv2d_forward<float>(x.data() + 2 * 784, w.data(), nullptr, g1, y3.data());
  REQUIRE(std::equal(y3.begin(), y3.end(), y1.begin() + 2 * 6 * 784));
}

// ---------------------------------------------------------------- max pool

namespace {

// Reference: first maximum wins, NaN always wins (the last NaN), windows fully inside.
template <class T>
void naive_max_pool(const std::vector<T>& x, const Pool2dGeometry& g, std::vector<T>& y,
                    std::vector<std::int64_t>& idx) {
  for (std::int64_t p = 0; p < g.planes; ++p)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        T m = -std::numeric_limits<T>::infinity();
        std::int64_t best = 2 * oh * g.W + 2 * ow;
        for (std::int64_t h = 2 * oh; h < 2 * oh + 2; ++h)
          for (std::int64_t w = 2 * ow; w < 2 * ow + 2; ++w) {
            const T v = x[static_cast<std::size_t>(p * g.H * g.W + h * g.W + w)];
            if (v > m || std::isnan(v)) {
              m = v;
              best = h * g.W + w;
            }
          }
        y[static_cast<std::size_t>((p * g.OH + oh) * g.OW + ow)] = m;
        idx[static_cast<std::size_t>((p * g.OH + oh) * g.OW + ow)] = best;
      }
}

template <class T>
void check_pool(std::int64_t planes, std::int64_t H, std::int64_t W, std::uint32_t seed) {
  Pool2dGeometry g;
  g.planes = planes;
  g.H = H;
  g.W = W;
  g.OH = H / 2;
  g.OW = W / 2;
  g.kH = g.kW = g.sH = g.sW = 2;
  // Values from a small set so that ties are common; some NaN and -inf.
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, 11);
  std::vector<T> x(static_cast<std::size_t>(planes * H * W));
  for (auto& v : x) {
    const int r = pick(rng);
    v = r == 10   ? std::numeric_limits<T>::quiet_NaN()
        : r == 11 ? -std::numeric_limits<T>::infinity()
                  : static_cast<T>(r % 4);
  }
  const std::size_t out = static_cast<std::size_t>(planes * g.OH * g.OW);
  // 16 sentinels after the outputs: a vector group must not write past the last row.
  std::vector<T> y(out + 16, T(-7)), yr(out);
  std::vector<std::int64_t> idx(out + 16, -7), idxr(out);
  tg::kernels::max_pool2d_forward<T>(x.data(), g, y.data(), idx.data());
  naive_max_pool(x, g, yr, idxr);
  INFO("planes=" << planes << " H=" << H << " W=" << W);
  for (std::size_t k = out; k < out + 16; ++k) {
    REQUIRE(y[k] == T(-7));
    REQUIRE(idx[k] == -7);
  }
  for (std::size_t k = 0; k < out; ++k) {
    INFO("k=" << k);
    REQUIRE(idx[k] == idxr[k]);
    REQUIRE((std::isnan(y[k]) ? std::isnan(yr[k]) : y[k] == yr[k]));
  }
}

}  // namespace

TEST_CASE("pool kernels: 2x2 stride 2 max pool matches the reference with ties, NaN, -inf",
          "[kernels]") {
  for (auto [H, W] : {std::pair<std::int64_t, std::int64_t>{28, 28},
                      {10, 10},
                      {14, 14},
                      {9, 13},
                      {2, 2},
                      {5, 7},
                      {4, 16},
                      {6, 17},
                      {3, 33},
                      {8, 34}}) {
    check_pool<float>(3, H, W, static_cast<std::uint32_t>(H * 100 + W));
    check_pool<double>(3, H, W, static_cast<std::uint32_t>(H * 100 + W + 1));
  }
}

TEST_CASE("pool kernels: 2x2 by-hand values", "[kernels]") {
  // One plane 2 x 4: windows {1, 5, 2, 5} and {3, 3, 3, 3}: max 5 at its first position (0, 1)
  // = index 1; max 3 at the first position (0, 2) = index 2.
  Pool2dGeometry g;
  g.planes = 1;
  g.H = 2;
  g.W = 4;
  g.OH = 1;
  g.OW = 2;
  g.kH = g.kW = g.sH = g.sW = 2;
  const std::vector<float> x = {1, 5, 3, 3, 2, 5, 3, 3};
  std::vector<float> y(2);
  std::vector<std::int64_t> idx(2);
  tg::kernels::max_pool2d_forward<float>(x.data(), g, y.data(), idx.data());
  REQUIRE(y == std::vector<float>{5, 3});
  REQUIRE(idx == std::vector<std::int64_t>{1, 2});
}

// ---------------------------------------------------------------- through the ops

TEST_CASE("gradcheck: conv2d on the direct path (1 channel, pad, OW >= 8)", "[kernels]") {
  // 9 x 10 input, 3x3 kernel, padding 1: output 9 x 10 (OW = 10, direct path).
  auto x = tgtest::leaf({2, 1, 9, 10}, 1, -1, 1);
  auto w = tgtest::leaf({3, 1, 3, 3}, 2, -1, 1);
  auto b = tgtest::leaf({3}, 3, -1, 1);
  REQUIRE_GRADCHECK(
      [](const tg::TensorList& in) {
        return tg::conv2d(in[0], in[1], in[2], {.padding = {1, 1}});
      },
      tg::TensorList{x, w, b});
  REQUIRE_GRADCHECK(
      [](const tg::TensorList& in) {
        return tg::conv2d(in[0], in[1], {}, {.padding = {1, 1}});
      },
      tg::TensorList{x, w}, {.check_second_order = true});
}

TEST_CASE("gradcheck: max_pool2d 2x2 fast path, odd input cut off", "[kernels]") {
  // 2 x 2 x 7 x 9: output 3 x 4, the last row and column unused (their gradient is zero).
  auto x = tgtest::leaf({2, 2, 7, 9}, 4, -1, 1);
  REQUIRE_GRADCHECK([](const tg::TensorList& in) { return tg::max_pool2d(in[0], 2); },
                    tg::TensorList{x}, {.check_second_order = true});
}

TEST_CASE("conv kernels: float direct path through the op matches float64", "[kernels]") {
  tg::Generator gen(3);
  auto x = tg::randn({4, 1, 28, 28}, tg::DType::Float64, &gen);
  auto w = tg::randn({6, 1, 5, 5}, tg::DType::Float64, &gen);
  const auto y64 = tg::conv2d(x, w, {}, {.padding = {2, 2}}).to_vector<double>();
  const auto y32 =
      tg::conv2d(x.to(tg::DType::Float32), w.to(tg::DType::Float32), {}, {.padding = {2, 2}})
          .to_vector<double>();
  REQUIRE(y64.size() == y32.size());
  for (std::size_t k = 0; k < y64.size(); ++k) REQUIRE(std::abs(y64[k] - y32[k]) < 1e-4);
}
