// conv2d (ops/conv.hpp), its two gradient ops and the Conv2d layer (nn/conv.hpp): values by hand,
// a naive direct-loop reference (forward and both gradients) over many configurations, first- and
// second-order gradchecks with respect to input, weight and bias, error messages, the layer's
// parameters, initialisation and printing.
#include <cmath>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/ops/conv.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {

struct Config {
  std::int64_t N, C, H, W, Co, kH, kW;
  Conv2dOptions o;
  bool bias;
};

std::string describe(const Config& c) {
  return fmt::format(
      "x [{}, {}, {}, {}] w [{}, {}, {}, {}] stride ({}, {}) pad ({}, {}) dil ({}, {}) "
      "groups {} bias {}",
      c.N, c.C, c.H, c.W, c.Co, c.C / c.o.groups, c.kH, c.kW, c.o.stride[0], c.o.stride[1],
      c.o.padding[0], c.o.padding[1], c.o.dilation[0], c.o.dilation[1], c.o.groups, c.bias);
}

// Direct convolution straight from the definition, in double:
//   y[n, co, oh, ow] = b[co] + sum_{c in group(co), i, j} w[co, c, i, j] * x[n, g*Cg + c, ih, iw]
//   with ih = oh*s - p + i*d (zero outside the input); and, for a given gy, the gradients
//   gx[n, c, ih, iw] += w * gy,  gw[co, c, i, j] += x * gy  over the same index tuples.
struct Reference {
  std::vector<double> y, gx, gw;
  std::int64_t OH, OW;
};
Reference naive(const Config& c, const std::vector<double>& x, const std::vector<double>& w,
                const std::vector<double>& b, const std::vector<double>* gy) {
  const auto& o = c.o;
  Reference r;
  r.OH = (c.H + 2 * o.padding[0] - o.dilation[0] * (c.kH - 1) - 1) / o.stride[0] + 1;
  r.OW = (c.W + 2 * o.padding[1] - o.dilation[1] * (c.kW - 1) - 1) / o.stride[1] + 1;
  const std::int64_t Cg = c.C / o.groups, Cog = c.Co / o.groups;
  r.y.assign(static_cast<std::size_t>(c.N * c.Co * r.OH * r.OW), 0.0);
  r.gx.assign(x.size(), 0.0);
  r.gw.assign(w.size(), 0.0);
  for (std::int64_t n = 0; n < c.N; ++n)
    for (std::int64_t co = 0; co < c.Co; ++co)
      for (std::int64_t oh = 0; oh < r.OH; ++oh)
        for (std::int64_t ow = 0; ow < r.OW; ++ow) {
          const auto yi = static_cast<std::size_t>(((n * c.Co + co) * r.OH + oh) * r.OW + ow);
          double s = c.bias ? b[static_cast<std::size_t>(co)] : 0.0;
          const double g = gy ? (*gy)[yi] : 0.0;
          const std::int64_t grp = co / Cog;
          for (std::int64_t ci = 0; ci < Cg; ++ci)
            for (std::int64_t i = 0; i < c.kH; ++i)
              for (std::int64_t j = 0; j < c.kW; ++j) {
                const std::int64_t ih = oh * o.stride[0] - o.padding[0] + i * o.dilation[0];
                const std::int64_t iw = ow * o.stride[1] - o.padding[1] + j * o.dilation[1];
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const auto xi =
                    static_cast<std::size_t>(((n * c.C + grp * Cg + ci) * c.H + ih) * c.W + iw);
                const auto wi = static_cast<std::size_t>(((co * Cg + ci) * c.kH + i) * c.kW + j);
                s += w[wi] * x[xi];
                r.gx[xi] += w[wi] * g;
                r.gw[wi] += x[xi] * g;
              }
          r.y[yi] = s;
        }
  return r;
}

void require_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(tol).epsilon(tol));
  }
}

GradcheckOptions second_order() {
  GradcheckOptions o;
  o.check_second_order = true;
  return o;
}

// 1..9 as a [1, 1, 3, 3] image.
Tensor image3x3(DType dt = DType::Float64) {
  return tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, dt);
}

}  // namespace

// ---------------------------------------------------------------- values by hand

TEST_CASE("conv2d: 3x3 image, 2x2 kernel, values and gradients by hand", "[nn][conv]") {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], b = 0.5
  // y00 = 1*1 + 2*2 + 3*4 + 4*5 = 37, y01 = 1*2 + 2*3 + 3*5 + 4*6 = 47,
  // y10 = 1*4 + 2*5 + 3*7 + 4*8 = 67, y11 = 1*5 + 2*6 + 3*8 + 4*9 = 77; plus the bias 0.5.
  for (DType dt : {DType::Float64, DType::Float32}) {
    Tensor x = image3x3(dt).requires_grad_();
    Tensor w = tensor({1, 2, 3, 4}, {1, 1, 2, 2}, dt).requires_grad_();
    Tensor b = tensor({0.5}, {1}, dt).requires_grad_();
    Tensor y = conv2d(x, w, b);
    REQUIRE(y.shape() == Shape{1, 1, 2, 2});
    REQUIRE(y.dtype() == dt);
    require_values(y, {37.5, 47.5, 67.5, 77.5});
    sum(y).backward();
    // d sum(y) / dx[i, j] = sum of the kernel entries that cover (i, j):
    //   corners 1, 2, 3, 4; edges 1+2, 1+3, 2+4, 3+4; centre 1+2+3+4.
    require_values(x.grad(), {1, 3, 2, 4, 10, 6, 3, 7, 4});
    // d sum(y) / dw[a, b] = sum of the 2x2 block of x starting at (a, b):
    //   1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28.
    require_values(w.grad(), {12, 16, 24, 28});
    // d sum(y) / db = number of outputs = 4.
    require_values(b.grad(), {4});
  }
}

TEST_CASE("conv2d: stride, padding, dilation and groups by hand", "[nn][conv]") {
  SECTION("stride 2, padding 1, ones kernel") {
    // Padded 5x5, OH = (5 - 2) / 2 + 1 = 2. Windows cover rows {-1,0} or {1,2} and the same
    // columns: x00 = 1; x01 + x02 = 5; x10 + x20 = 11; x11 + x12 + x21 + x22 = 28.
    Tensor y = conv2d(image3x3(), ones({1, 1, 2, 2}, DType::Float64), {},
                      {.stride = {2, 2}, .padding = {1, 1}});
    REQUIRE(y.shape() == Shape{1, 1, 2, 2});
    require_values(y, {1, 5, 11, 28});
  }
  SECTION("dilation 2") {
    // The 2x2 kernel spread to 3x3 reads the corners: 1*1 + 2*3 + 3*7 + 4*9 = 64.
    Tensor y = conv2d(image3x3(), tensor({1, 2, 3, 4}, {1, 1, 2, 2}, DType::Float64), {},
                      {.dilation = {2, 2}});
    REQUIRE(y.shape() == Shape{1, 1, 1, 1});
    require_values(y, {64});
  }
  SECTION("groups 2: each output channel sees only its own input channel") {
    // ch0 = [1,2,3,4] * 2, ch1 = [5,6,7,8] * 3.
    Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2}, DType::Float64);
    Tensor w = tensor({2, 3}, {2, 1, 1, 1}, DType::Float64);
    Tensor y = conv2d(x, w, {}, {.groups = 2});
    require_values(y, {2, 4, 6, 8, 15, 18, 21, 24});
  }
  SECTION("non-square kernel 1x3 with horizontal padding") {
    // Row sums of three neighbours with zero padding of one column on each side:
    //   row 0: [0+1+2, 1+2+3, 2+3+0] = [3, 6, 5]; row 1: [9, 15, 11]; row 2: [15, 24, 17].
    Tensor y = conv2d(image3x3(), ones({1, 1, 1, 3}, DType::Float64), {}, {.padding = {0, 1}});
    REQUIRE(y.shape() == Shape{1, 1, 3, 3});
    require_values(y, {3, 6, 5, 9, 15, 11, 15, 24, 17});
  }
  SECTION("unbatched [C, H, W] input gives [C_out, OH, OW]") {
    Tensor y =
        conv2d(image3x3().reshape({1, 3, 3}), tensor({1, 2, 3, 4}, {1, 1, 2, 2}, DType::Float64));
    REQUIRE(y.shape() == Shape{1, 2, 2});
    require_values(y, {37, 47, 67, 77});
  }
}

// ---------------------------------------------------------------- against the naive loop

TEST_CASE("conv2d: forward and both gradients match a direct loop over many configurations",
          "[nn][conv]") {
  const std::vector<Config> configs = {
      {1, 1, 5, 5, 1, 3, 3, {}, true},
      {2, 3, 7, 6, 4, 3, 3, {}, false},
      {2, 3, 7, 6, 4, 3, 3, {.stride = {2, 2}}, true},
      {2, 3, 7, 6, 4, 3, 3, {.padding = {1, 1}}, true},
      {2, 4, 8, 9, 6, 3, 2, {.stride = {2, 1}, .padding = {1, 0}, .groups = 2}, true},
      {2, 2, 9, 8, 3, 3, 3, {.padding = {2, 1}, .dilation = {2, 1}}, false},
      {1, 6, 6, 6, 6, 3, 3, {.padding = {1, 1}, .groups = 6}, true},  // depthwise
      {2, 4, 5, 7, 8, 1, 1, {}, true},                                // pointwise fast path
      {2, 4, 5, 7, 8, 1, 1, {.stride = {2, 2}}, false},               // 1x1 with stride
      {2, 3, 4, 11, 2, 2, 5, {.stride = {1, 3}, .padding = {1, 2}, .dilation = {1, 2}}, true},
      {3, 6, 10, 10, 9, 4, 4, {.stride = {3, 3}, .padding = {2, 2}, .groups = 3}, true},
      {2, 2, 3, 3, 2, 3, 3, {.padding = {1, 1}}, true},   // kernel as big as the input
      {2, 1, 2, 2, 1, 3, 3, {.padding = {1, 1}}, false},  // kernel bigger than the input
      {4, 3, 5, 5, 2, 2, 2, {.stride = {2, 2}}, true},    // drops the last row and column
      // Big enough per sample for the samples to run on several threads.
      {4, 8, 16, 16, 16, 3, 3, {.padding = {1, 1}}, true},
      {3, 8, 12, 12, 16, 3, 3, {.stride = {2, 2}, .groups = 2}, false},
  };
  for (const Config& c : configs) {
    INFO(describe(c));
    Tensor x = leaf({c.N, c.C, c.H, c.W}, 11);
    Tensor w = leaf({c.Co, c.C / c.o.groups, c.kH, c.kW}, 12);
    Tensor b = leaf({c.Co}, 13);
    Tensor y = conv2d(x, w, c.bias ? b : Tensor(), c.o);
    const Tensor gy = tgtest::leaf(y.shape(), 14).detach();
    const auto gyv = gy.to_vector<double>();
    const Reference r =
        naive(c, x.to_vector<double>(), w.to_vector<double>(), b.to_vector<double>(), &gyv);
    REQUIRE(y.shape() == Shape{c.N, c.Co, r.OH, r.OW});
    require_close(y.to_vector<double>(), r.y, 1e-12);
    y.backward(gy);
    require_close(x.grad().to_vector<double>(), r.gx, 1e-12);
    require_close(w.grad().to_vector<double>(), r.gw, 1e-12);
    if (c.bias) {
      // d/db[co] = sum of gy over batch and positions.
      const Tensor gb = sum(gy, {0, 2, 3});
      require_close(b.grad().to_vector<double>(), gb.to_vector<double>(), 1e-12);
    } else {
      REQUIRE_FALSE(b.grad().defined());
    }
    // float32 gives the same numbers to float precision.
    Tensor y32 = conv2d(x.detach().to(DType::Float32), w.detach().to(DType::Float32),
                        c.bias ? b.detach().to(DType::Float32) : Tensor(), c.o);
    REQUIRE(y32.dtype() == DType::Float32);
    require_close(y32.to_vector<double>(), r.y, 1e-5);
  }
}

TEST_CASE("conv2d: the same inputs give bit-identical outputs and gradients", "[nn][conv]") {
  // Weight gradients sum over samples in per-thread chunks; the chunks depend only on the thread
  // count, so repeated runs agree exactly. One layer per kernel path: Winograd (3x3, 8 -> 16,
  // both gradients from one pass), the implicit GEMM (5x5, 6 -> 16) and the direct path (one
  // input channel, 5x5, pad 2).
  struct Layer {
    Shape x, w;
    Conv2dOptions o;
  };
  for (const Layer& l : {Layer{{6, 8, 14, 14}, {16, 8, 3, 3}, {.padding = {1, 1}}},
                         Layer{{6, 6, 14, 14}, {16, 6, 5, 5}, {}},
                         Layer{{6, 1, 28, 28}, {6, 1, 5, 5}, {.padding = {2, 2}}}}) {
    Tensor x = randn(l.x), w = randn(l.w);
    x.requires_grad_();
    w.requires_grad_();
    std::vector<std::vector<float>> runs;
    for (int r = 0; r < 3; ++r) {
      x.zero_grad();
      w.zero_grad();
      Tensor y = conv2d(x, w, {}, l.o);
      sum(mul(y, y)).backward();
      std::vector<float> v = y.to_vector<float>();
      for (const Tensor& t : {x.grad(), w.grad()}) {
        const auto g = t.to_vector<float>();
        v.insert(v.end(), g.begin(), g.end());
      }
      runs.push_back(v);
    }
    INFO("weight " << shape_str(l.w));
    REQUIRE(runs[0] == runs[1]);
    REQUIRE(runs[0] == runs[2]);
  }
}

TEST_CASE("conv2d: non-contiguous input and weight give the contiguous result", "[nn][conv]") {
  // x stored as [N, H, C, W] and permuted to [N, C, H, W]; w stored transposed in its kernel.
  Tensor xs = leaf({2, 5, 3, 6}, 21).detach();
  Tensor ws = leaf({4, 3, 3, 2}, 22).detach();
  Tensor x = xs.permute({0, 2, 1, 3});
  Tensor w = ws.transpose(2, 3);
  REQUIRE_FALSE(x.is_contiguous());
  REQUIRE_FALSE(w.is_contiguous());
  const Conv2dOptions o{.stride = {1, 2}, .padding = {1, 1}};
  require_close(conv2d(x, w, {}, o).to_vector<double>(),
                conv2d(x.contiguous(), w.contiguous(), {}, o).to_vector<double>(), 1e-14);
}

TEST_CASE("conv2d: an empty batch gives an empty output", "[nn][conv]") {
  Tensor y = conv2d(zeros({0, 3, 5, 5}), zeros({2, 3, 3, 3}), zeros({2}));
  REQUIRE(y.shape() == Shape{0, 2, 3, 3});
}

TEST_CASE("conv2d: records one tape entry, and the gradient ops record theirs", "[nn][conv]") {
  tape().clear();
  Tensor x = leaf({1, 2, 4, 4}, 31), w = leaf({3, 2, 3, 3}, 32), b = leaf({3}, 33);
  Tensor y = conv2d(x, w, b);
  REQUIRE(tape().size() == 1);
  REQUIRE(std::string(tape()[0].name) == "conv2d");
  // create_graph: the backward itself is recorded with the gradient ops.
  auto gs = tg::grad({sum(mul(y, y))}, {x, w}, {.create_graph = true});
  REQUIRE(gs[0].requires_grad());
  REQUIRE(gs[1].requires_grad());
  const std::string t = tape().to_string();
  REQUIRE_THAT(t, Catch::Contains("conv2d_input_grad"));
  REQUIRE_THAT(t, Catch::Contains("conv2d_weight_grad"));
  tape().clear();
}

// ---------------------------------------------------------------- gradcheck

TEST_CASE("gradcheck: conv2d 3x3 kernel with bias", "[nn][conv]") {
  Tensor x = leaf({2, 2, 5, 5}, 41), w = leaf({3, 2, 3, 3}, 42), b = leaf({3}, 43);
  REQUIRE_GRADCHECK([](const TensorList& t) { return conv2d(t[0], t[1], t[2]); },
                    TensorList{x, w, b});
}

TEST_CASE("gradcheck: conv2d stride 2 padding 1 groups 2", "[nn][conv]") {
  Tensor x = leaf({2, 4, 5, 6}, 44), w = leaf({4, 2, 3, 3}, 45), b = leaf({4}, 46);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], t[2], {.stride = {2, 2}, .padding = {1, 1}, .groups = 2});
      },
      TensorList{x, w, b});
}

TEST_CASE("gradcheck: conv2d dilation 2, non-square kernel and stride, no bias", "[nn][conv]") {
  Tensor x = leaf({2, 2, 7, 6}, 47), w = leaf({2, 2, 2, 3}, 48);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], {}, {.stride = {2, 1}, .padding = {1, 2}, .dilation = {2, 2}});
      },
      TensorList{x, w});
}

TEST_CASE("gradcheck: conv2d pointwise 1x1 and depthwise", "[nn][conv]") {
  Tensor x = leaf({2, 3, 4, 4}, 49), w1 = leaf({2, 3, 1, 1}, 50), b = leaf({2}, 51);
  REQUIRE_GRADCHECK([](const TensorList& t) { return conv2d(t[0], t[1], t[2]); },
                    TensorList{x, w1, b});
  Tensor wd = leaf({3, 1, 3, 3}, 52), bd = leaf({3}, 53);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], t[2], {.padding = {1, 1}, .groups = 3});
      },
      TensorList{x, wd, bd});
}

TEST_CASE("gradcheck: conv2d non-contiguous input and weight, unbatched input", "[nn][conv]") {
  // Leaves stored permuted / transposed; the views are taken inside fn.
  Tensor xs = leaf({2, 5, 3, 4}, 54), ws = leaf({2, 3, 3, 2}, 55), b = leaf({2}, 56);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0].permute({0, 2, 1, 3}), t[1].transpose(2, 3), t[2], {.padding = {1, 0}});
      },
      TensorList{xs, ws, b});
  Tensor x3 = leaf({3, 5, 4}, 57);
  REQUIRE_GRADCHECK([](const TensorList& t) { return conv2d(t[0], t[1].transpose(2, 3), t[2]); },
                    TensorList{x3, ws, b});
}

TEST_CASE("gradcheck: conv2d on the Winograd path (3x3, stride 1, >= 8 channels)", "[nn][conv]") {
  // kernels/winograd.cpp: F(2x2, 3x3) for the forward pass and both gradients; odd output sizes
  // leave partial tiles. Second order through tanh checks the recorded gradient ops on it too.
  Tensor x = leaf({2, 8, 5, 6}, 58), w = leaf({9, 8, 3, 3}, 59), b = leaf({9}, 60);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], t[2], {.padding = {1, 2}});
      },
      TensorList{x, w, b});
  Tensor x2 = leaf({1, 8, 3, 4}, 69), w2 = leaf({8, 8, 3, 3}, 70);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return tanh(conv2d(t[0], t[1], {}, {.padding = {1, 1}}));
      },
      TensorList{x2, w2}, second_order());
}

TEST_CASE("gradcheck: conv2d on the implicit GEMM path (>= 8 output channels)", "[nn][conv]") {
  // kernels/implicit_conv.cpp: the forward pass and the weight gradient without im2col columns;
  // for stride 1 with rows of >= 8 the input gradient too (test_conv_kernels checks which
  // geometries take it). 6 -> 9 channels with dilation 2 (not Winograd), rows of 14; stride 2;
  // and second order through tanh on a 2x2 kernel.
  Tensor x = leaf({2, 6, 5, 14}, 71), w = leaf({9, 6, 3, 3}, 72), b = leaf({9}, 73);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], t[2], {.padding = {2, 2}, .dilation = {2, 2}});
      },
      TensorList{x, w, b});
  Tensor xs = leaf({2, 6, 7, 9}, 74), ws = leaf({8, 6, 3, 3}, 75);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], {}, {.stride = {2, 2}, .padding = {1, 1}});
      },
      TensorList{xs, ws});
  Tensor x2 = leaf({1, 6, 4, 14}, 76), w2 = leaf({8, 6, 2, 2}, 77);
  REQUIRE_GRADCHECK([](const TensorList& t) { return tanh(conv2d(t[0], t[1])); },
                    TensorList{x2, w2}, second_order());
}

TEST_CASE("gradcheck: conv2d second order", "[nn][conv]") {
  Tensor x = leaf({2, 2, 4, 4}, 61), w = leaf({2, 1, 2, 3}, 62), b = leaf({2}, 63);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], t[2], {.stride = {2, 1}, .padding = {1, 1}, .groups = 2});
      },
      TensorList{x, w, b}, second_order());
  Tensor x2 = leaf({1, 2, 5, 5}, 64), w2 = leaf({3, 2, 2, 2}, 65);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return conv2d(t[0], t[1], {}, {.dilation = {2, 2}});
      },
      TensorList{x2, w2}, second_order());
}

TEST_CASE("gradcheck: conv2d second order through a nonlinearity", "[nn][conv]") {
  // tanh makes the Hessian with respect to x and w non-trivial (conv alone is bilinear).
  Tensor x = leaf({1, 2, 4, 4}, 66), w = leaf({2, 2, 3, 3}, 67), b = leaf({2}, 68);
  REQUIRE_GRADCHECK(
      [](const TensorList& t) {
        return tanh(conv2d(t[0], t[1], t[2], {.padding = {1, 1}}));
      },
      TensorList{x, w, b}, second_order());
}

TEST_CASE("gradcheck: conv2d_input_grad and conv2d_weight_grad, first and second order",
          "[nn][conv]") {
  const Conv2dOptions o{.stride = {2, 1}, .padding = {1, 1}, .groups = 2};
  const Shape xs{2, 4, 5, 4}, wsh{2, 2, 3, 2};
  // Output of the convolution: OH = (5 + 2 - 3) / 2 + 1 = 3, OW = (4 + 2 - 2) / 1 + 1 = 5.
  Tensor g = leaf({2, 2, 3, 5}, 71), w = leaf(wsh, 72), x = leaf(xs, 73);
  REQUIRE_GRADCHECK([&](const TensorList& t) { return conv2d_input_grad(t[0], t[1], xs, o); },
                    TensorList{g, w}, second_order());
  REQUIRE_GRADCHECK([&](const TensorList& t) { return conv2d_weight_grad(t[0], t[1], wsh, o); },
                    TensorList{x, g}, second_order());
}

TEST_CASE("conv2d_input_grad: an input size the output does not cover gets zero gradient",
          "[nn][conv]") {
  // Stride 2 on a 4-wide input with a 1x1 kernel reads columns 0 and 2 only: columns 1 and 3 get
  // nothing; column 0 gets g[.., 0], column 2 gets g[.., 1].
  Tensor g = tensor({1, 2, 3, 4}, {1, 1, 2, 2}, DType::Float64);
  Tensor gx =
      conv2d_input_grad(g, ones({1, 1, 1, 1}, DType::Float64), {1, 1, 3, 4}, {.stride = {2, 2}});
  require_values(gx, {1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0});
}

// ---------------------------------------------------------------- errors

TEST_CASE("conv2d: errors name the op and the shapes", "[nn][conv]") {
  const Tensor x = zeros({1, 3, 5, 5});
  SECTION("channel mismatch") {
    REQUIRE_THROWS_WITH(conv2d(x, zeros({2, 1, 3, 3})),
                        Catch::Contains("conv2d: input has 3 channels but the weight expects 1") &&
                            Catch::Contains("[1, 3, 5, 5]") && Catch::Contains("[2, 1, 3, 3]"));
  }
  SECTION("kernel bigger than the padded input") {
    REQUIRE_THROWS_WITH(conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 3, 3})),
                        Catch::Contains("conv2d") &&
                            Catch::Contains("bigger than the padded input") &&
                            Catch::Contains("[1, 1, 2, 2]"));
    // Dilation counts: 2x2 dilated by 3 spans 4 > 3.
    REQUIRE_THROWS_WITH(conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 2, 2}), {}, {.dilation = {3, 3}}),
                        Catch::Contains("bigger than the padded input"));
    // Padding makes it fit.
    REQUIRE(conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 3, 3}), {}, {.padding = {1, 1}}).shape() ==
            Shape{1, 1, 2, 2});
  }
  SECTION("groups not dividing the channels") {
    REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 1, 3, 3}), {}, {.groups = 2}),
                        Catch::Contains("conv2d: groups=2 does not divide the input's 3 channels"));
    REQUIRE_THROWS_WITH(
        conv2d(zeros({1, 4, 5, 5}), zeros({3, 2, 3, 3}), {}, {.groups = 2}),
        Catch::Contains("conv2d: groups=2 does not divide the weight's 3 output channels"));
  }
  SECTION("bad ranks, bias, dtypes and options") {
    REQUIRE_THROWS_WITH(
        conv2d(zeros({3, 5}), zeros({1, 3, 3, 3})),
        Catch::Contains("conv2d: expected a 4-D input") && Catch::Contains("[3, 5]"));
    REQUIRE_THROWS_WITH(
        conv2d(x, zeros({1, 3, 3})),
        Catch::Contains("conv2d: expected a 4-D weight") && Catch::Contains("[1, 3, 3]"));
    REQUIRE_THROWS_WITH(
        conv2d(x, zeros({2, 3, 3, 3}), zeros({3})),
        Catch::Contains("conv2d: bias of shape [3]") && Catch::Contains("expected [2]"));
    REQUIRE_THROWS_WITH(conv2d(x, zeros({2, 3, 3, 3}, DType::Float64)),
                        Catch::Contains("conv2d: dtype mismatch"));
    REQUIRE_THROWS_WITH(
        conv2d(zeros({1, 3, 5, 5}, DType::Int64), zeros({2, 3, 3, 3}, DType::Int64)),
        Catch::Contains("conv2d") && Catch::Contains("int64"));
    REQUIRE_THROWS_WITH(conv2d(x, zeros({2, 3, 3, 3}), {}, {.stride = {0, 1}}),
                        Catch::Contains("conv2d: stride must be positive"));
    REQUIRE_THROWS_WITH(conv2d(x, zeros({2, 3, 3, 3}), {}, {.padding = {-1, 0}}),
                        Catch::Contains("conv2d: padding must be non-negative"));
    REQUIRE_THROWS_WITH(conv2d(x, zeros({2, 3, 3, 3}), {}, {.dilation = {1, 0}}),
                        Catch::Contains("conv2d: dilation must be positive"));
    REQUIRE_THROWS_WITH(conv2d(x, zeros({2, 3, 3, 3}), {}, {.groups = 0}),
                        Catch::Contains("conv2d: groups must be positive"));
    REQUIRE_THROWS_AS(conv2d(Tensor(), zeros({2, 3, 3, 3})), tg::Error);
  }
  SECTION("gradient ops check grad_output against the shapes") {
    REQUIRE_THROWS_WITH(conv2d_input_grad(zeros({1, 2, 4, 4}), zeros({2, 3, 3, 3}), {1, 3, 5, 5}),
                        Catch::Contains("conv2d_input_grad: grad_output of shape [1, 2, 4, 4]") &&
                            Catch::Contains("[1, 2, 3, 3]"));
    REQUIRE_THROWS_WITH(conv2d_weight_grad(x, zeros({1, 2, 4, 4}), {2, 3, 3, 3}),
                        Catch::Contains("conv2d_weight_grad: grad_output of shape [1, 2, 4, 4]"));
  }
}

// ---------------------------------------------------------------- the layer

TEST_CASE("Conv2d: parameter shapes, registration and forward", "[nn][conv]") {
  nn::Conv2d conv(4, 6, {3, 5}, {.stride = {2, 2}, .padding = {1, 2}, .groups = 2});
  REQUIRE(conv.weight.shape() == Shape{6, 2, 3, 5});
  REQUIRE(conv.bias.shape() == Shape{6});
  REQUIRE(conv.weight.requires_grad());
  REQUIRE(conv.weight.dtype() == DType::Float32);
  const auto named = conv.named_parameters();
  REQUIRE(named.size() == 2);
  REQUIRE(named[0].first == "weight");
  REQUIRE(named[1].first == "bias");
  REQUIRE(conv.num_parameters() == 6 * 2 * 3 * 5 + 6);

  Tensor x = randn({2, 4, 7, 9});
  Tensor y = conv(x);
  // OH = (7 + 2 - 3) / 2 + 1 = 4, OW = (9 + 4 - 5) / 2 + 1 = 5.
  REQUIRE(y.shape() == Shape{2, 6, 4, 5});
  require_close(y.to_vector<double>(),
                conv2d(x, conv.weight, conv.bias, conv.options).to_vector<double>(), 1e-6);
  sum(y).backward();
  REQUIRE(conv.weight.grad().shape() == conv.weight.shape());
  REQUIRE(conv.bias.grad().shape() == Shape{6});

  nn::Conv2d nobias(3, 2, 3, {}, false, DType::Float64);
  REQUIRE_FALSE(nobias.bias.defined());
  REQUIRE(nobias.parameters().size() == 1);
  REQUIRE(nobias.weight.dtype() == DType::Float64);
  REQUIRE(nobias.weight.shape() == Shape{2, 3, 3, 3});
}

TEST_CASE("Conv2d: default init is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias",
          "[nn][conv]") {
  // kaiming_uniform(a = sqrt(5)): gain = sqrt(2 / (1 + 5)), bound = sqrt(3) * gain / sqrt(fan_in)
  // = 1 / sqrt(fan_in). fan_in = (16 / groups 2) * 5 * 5 = 200 -> bound 0.0707107.
  manual_seed(123);
  nn::Conv2d conv(16, 64, 5, {.groups = 2});
  const double bound = 1.0 / std::sqrt(200.0);
  auto check = [&](const Tensor& t, double spread) {
    const auto v = t.to_vector<double>();
    double lo = v[0], hi = v[0];
    for (double e : v) {
      lo = std::min(lo, e);
      hi = std::max(hi, e);
    }
    INFO("min " << lo << " max " << hi << " bound " << bound);
    REQUIRE(lo >= -bound);
    REQUIRE(hi <= bound);
    // With n samples the extremes lie within about bound * 2/n of the ends.
    REQUIRE(lo < -spread * bound);
    REQUIRE(hi > spread * bound);
  };
  check(conv.weight, 0.99);  // 12800 samples
  check(conv.bias, 0.7);     // 64 samples: P(max < 0.7 bound) = 0.85^64 ~ 3e-5
}

TEST_CASE("Conv2d: extra_repr like PyTorch's, and the module tree", "[nn][conv]") {
  REQUIRE(nn::Conv2d(1, 6, 5).extra_repr() == "1, 6, kernel_size=(5, 5), stride=(1, 1)");
  REQUIRE(nn::Conv2d(1, 6, 5, {.padding = {2, 2}}).extra_repr() ==
          "1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)");
  REQUIRE(nn::Conv2d(4, 8, {3, 1}, {.stride = {2, 1}, .dilation = {2, 2}, .groups = 4}, false)
              .extra_repr() ==
          "4, 8, kernel_size=(3, 1), stride=(2, 1), dilation=(2, 2), groups=4, bias=false");
  nn::Conv2d conv(3, 16, 3, {.padding = {1, 1}});
  REQUIRE_THAT(conv.to_string(),
               Catch::Contains("Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"));
  // summary() runs a forward on zeros and lists the output shape and parameter count.
  const std::string s = nn::summary(conv, {1, 3, 8, 8});
  REQUIRE_THAT(s, Catch::Contains("Conv2d"));
  REQUIRE_THAT(s, Catch::Contains("448"));  // 16 * 3 * 3 * 3 + 16
}

TEST_CASE("Conv2d: errors name the layer", "[nn][conv]") {
  nn::Conv2d conv(1, 4, 3);
  REQUIRE_THROWS_WITH(conv(zeros({2, 3, 8, 8})),
                      Catch::Contains("Conv2d: input has 3 channels but the layer expects 1") &&
                          Catch::Contains("[2, 3, 8, 8]"));
  REQUIRE_THROWS_WITH(nn::Conv2d(3, 4, 3, {.groups = 2}),
                      Catch::Contains("Conv2d: in_channels=3 is not divisible by groups=2"));
  REQUIRE_THROWS_WITH(nn::Conv2d(4, 3, 3, {.groups = 2}),
                      Catch::Contains("Conv2d: out_channels=3 is not divisible by groups=2"));
  REQUIRE_THROWS_WITH(nn::Conv2d(0, 3, 3), Catch::Contains("Conv2d: in_channels and out_channels"));
  REQUIRE_THROWS_WITH(nn::Conv2d(1, 3, 0), Catch::Contains("Conv2d: kernel_size must be positive"));
  REQUIRE_THROWS_AS(nn::Conv2d(1, 3, 3, {}, true, DType::Int64), tg::Error);
}
