// Tests for ops/reduce.hpp: sum, mean, max, min, var, std, logsumexp, argmax, argmin, sum_to.
#include <cstring>
#include <limits>

#include "helpers.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

#define GRADCHECK(...) REQUIRE_GRADCHECK(__VA_ARGS__)

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// [[1, 2, 3], [4, 5, 6]] in float64.
Tensor m23() { return tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64); }

// One reduction configuration: the dims list and keepdim.
struct Cfg {
  Dims dims;
  bool keepdim;
};

// Shapes and dims lists covering: one dim, negative dims, several dims, all dims (empty list).
struct Case {
  Shape shape;
  std::vector<Cfg> cfgs;
};

std::vector<Case> cases() {
  return {
      {{5}, {{{0}, false}, {{-1}, true}, {{}, false}}},
      {{3, 4}, {{{0}, false}, {{1}, true}, {{-1}, false}, {{0, 1}, false}, {{}, true}}},
      {{2, 3, 4}, {{{0, 2}, false}, {{-1, 0}, true}, {{1}, false}, {{2, 0, 1}, false}}},
  };
}

std::string describe(const Shape& s, const Cfg& c) {
  return shape_str(s) + " dims " + shape_str(c.dims) + (c.keepdim ? " keepdim" : "");
}

// Runs fn(x, cfg) through gradcheck for each case; x is a contiguous leaf, its transpose (the
// leaf has the reversed shape) and a strided slice of a larger leaf.
template <class F>
void gradcheck_cases(F f, GradcheckOptions opts = {}, double lo = -1, double hi = 1) {
  std::uint64_t seed = 10;
  for (const auto& c : cases()) {
    for (const auto& cfg : c.cfgs) {
      INFO(describe(c.shape, cfg));
      // Contiguous.
      {
        Tensor x = leaf(c.shape, seed++, lo, hi);
        GRADCHECK([&](const TensorList& in) { return f(in[0], cfg); }, TensorList{x}, opts);
      }
      // Transposed view: leaf of the reversed shape, permuted back inside fn.
      {
        Shape rev(c.shape.rbegin(), c.shape.rend());
        std::vector<std::int64_t> perm;
        for (std::int64_t d = static_cast<std::int64_t>(c.shape.size()) - 1; d >= 0; --d)
          perm.push_back(d);
        Tensor x = leaf(rev, seed++, lo, hi);
        GRADCHECK(
            [&](const TensorList& in) {
              Tensor v = permute(in[0], perm);
              REQUIRE((c.shape.size() < 2 || !v.is_contiguous()));
              return f(v, cfg);
            },
            TensorList{x}, opts);
      }
      // Slice with step 2 along the last dim of a leaf twice as wide (plus one).
      {
        Shape big = c.shape;
        big.back() = 2 * big.back() + 1;
        Tensor x = leaf(big, seed++, lo, hi);
        const std::int64_t last = static_cast<std::int64_t>(c.shape.size()) - 1;
        GRADCHECK(
            [&](const TensorList& in) {
              Tensor v = in[0].slice(last, 1, big.back(), 2);
              REQUIRE(v.shape() == c.shape);
              return f(v, cfg);
            },
            TensorList{x}, opts);
      }
    }
  }
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// Restores the thread count when a test ends, even when it fails.
struct ThreadsGuard {
  int saved = get_num_threads();
  ~ThreadsGuard() { set_num_threads(saved); }
};

}  // namespace

// ------------------------------------------------------------------------------------- values

TEST_CASE("sum: values by hand", "[ops][reduce]") {
  const Tensor x = m23();
  // 1+2+3+4+5+6 = 21
  REQUIRE(sum(x).dim() == 0);
  REQUIRE(sum(x).item() == 21.0);
  REQUIRE(x.sum().item() == 21.0);
  // columns: 1+4, 2+5, 3+6
  REQUIRE(sum(x, {0}).shape() == Shape{3});
  require_values(sum(x, {0}), {5, 7, 9});
  // rows: 1+2+3, 4+5+6
  require_values(sum(x, {1}), {6, 15});
  require_values(sum(x, {-1}), {6, 15});
  REQUIRE(sum(x, {-1}, true).shape() == Shape{2, 1});
  REQUIRE(sum(x, {0, 1}, true).shape() == Shape{1, 1});
  REQUIRE(sum(x, {}, true).shape() == Shape{1, 1});
  REQUIRE(sum(x, {1, 0}).item() == 21.0);

  // arange(24) as [2,3,4]: element (i,j,k) = 12i + 4j + k. Summing over i and k:
  // sum_{i,k} (12i + 4j + k) = 12*4 (i=1) + 8*4j + 2*(0+1+2+3) = 60 + 32j -> 60, 92, 124.
  const Tensor a = arange(24, DType::Float64).reshape({2, 3, 4});
  require_values(sum(a, {0, 2}), {60, 92, 124});
  REQUIRE(sum(a, {-1, 0}, true).shape() == Shape{1, 3, 1});
  require_values(sum(a, {-1, 0}, true), {60, 92, 124});
  // Over a transposed view: sum over dim 1 of a.T ([4,3,2]) equals sum over dim 1 of a.
  require_values(sum(a.permute({2, 1, 0}), {0, 2}), {60, 92, 124});

  // dtypes: float32 stays float32, int64 sums exactly to int64.
  REQUIRE(sum(x.to(DType::Float32)).dtype() == DType::Float32);
  const Tensor i = int64_tensor({1, 2, 3, 4}, {2, 2});
  REQUIRE(sum(i).dtype() == DType::Int64);
  REQUIRE(sum(i).item() == 10.0);
  require_values(sum(i, {0}), {4, 6});
  // A scalar reduces to itself; dims 0 and -1 are valid for a 0-d tensor (as in PyTorch).
  const Tensor s = scalar_tensor(2.5, DType::Float64);
  REQUIRE(sum(s).item() == 2.5);
  REQUIRE(sum(s, {0}).item() == 2.5);
  REQUIRE(sum(s, {-1}).dim() == 0);
  // Empty reductions sum to 0.
  REQUIRE(sum(zeros({0, 3}, DType::Float64)).item() == 0.0);
  require_values(sum(zeros({0, 3}, DType::Float64), {0}), {0, 0, 0});
}

TEST_CASE("mean: values by hand", "[ops][reduce]") {
  const Tensor x = m23();
  // 21 / 6
  REQUIRE(mean(x).item() == Approx(3.5));
  REQUIRE(x.mean().item() == Approx(3.5));
  // columns: (1+4)/2, (2+5)/2, (3+6)/2
  require_values(mean(x, {0}), {2.5, 3.5, 4.5});
  // rows: 6/3, 15/3
  require_values(mean(x, {-1}, true), {2, 5});
  REQUIRE(mean(x, {-1}, true).shape() == Shape{2, 1});
  REQUIRE(mean(x.to(DType::Float32)).dtype() == DType::Float32);
}

TEST_CASE("max/min: values by hand", "[ops][reduce]") {
  const Tensor x = tensor({3, -1, 7, 2, 9, -4}, {2, 3}, DType::Float64);
  REQUIRE(max(x).item() == 9.0);
  REQUIRE(min(x).item() == -4.0);
  REQUIRE(max(x).dim() == 0);
  // columns: max(3,2), max(-1,9), max(7,-4)
  require_values(max(x, {0}), {3, 9, 7});
  require_values(min(x, {0}), {2, -1, -4});
  // rows
  require_values(max(x, {-1}), {7, 9});
  require_values(min(x, {1}, true), {-1, -4});
  REQUIRE(min(x, {1}, true).shape() == Shape{2, 1});
  require_values(max(x.t(), {0}), {7, 9});
  REQUIRE(max(x, {0, 1}).item() == 9.0);
  // int64 works (no gradient needed).
  REQUIRE(max(int64_tensor({4, -2, 8}, {3})).item() == 8.0);
  REQUIRE(max(int64_tensor({4, -2, 8}, {3})).dtype() == DType::Int64);
  // NaN propagates (as torch.amax).
  REQUIRE(std::isnan(max(tensor({1, kNaN, 3}, {3}, DType::Float64)).item()));
  REQUIRE(std::isnan(min(tensor({1, 3, kNaN}, {3}, DType::Float64)).item()));
  // -inf is an ordinary value.
  REQUIRE(max(tensor({-kInf, -kInf}, {2}, DType::Float64)).item() == -kInf);
}

TEST_CASE("max/min: gradient shared equally among ties", "[ops][reduce]") {
  {
    // max of [1, 3, 3, 2] = 3 at positions 1 and 2: each gets 1/2.
    Tensor x = tensor({1, 3, 3, 2}, {4}, DType::Float64).requires_grad_();
    max(x).backward();
    require_values(x.grad(), {0, 0.5, 0.5, 0}, 1e-15);
  }
  {
    // Row maxima with ties: row 0 max 3 twice, row 1 max 5 twice; upstream gradient [2, 4].
    Tensor x = tensor({3, 3, 1, 2, 5, 5}, {2, 3}, DType::Float64).requires_grad_();
    Tensor y = max(x, {1});
    sum(mul(y, tensor({2, 4}, {2}, DType::Float64))).backward();
    require_values(x.grad(), {1, 1, 0, 0, 2, 2}, 1e-15);
  }
  {
    // All equal: 1/4 each. min of the same.
    Tensor x = full({2, 2}, 7.0, DType::Float64).requires_grad_();
    min(x).backward();
    require_values(x.grad(), {0.25, 0.25, 0.25, 0.25}, 1e-15);
  }
  {
    // min over columns of [[1, 2], [1, 0]]: column 0 tied (1, 1), column 1 min at row 1.
    Tensor x = tensor({1, 2, 1, 0}, {2, 2}, DType::Float64).requires_grad_();
    sum(min(x, {0}, true)).backward();
    require_values(x.grad(), {0.5, 0, 0.5, 1}, 1e-15);
  }
  {
    // Ties over several dims of a transposed input: [[4, 1], [4, 4]].T has max 4 three times.
    Tensor x = tensor({4, 1, 4, 4}, {2, 2}, DType::Float64).requires_grad_();
    max(x.t(), {0, 1}).backward();
    require_values(x.grad(), {1.0 / 3, 0, 1.0 / 3, 1.0 / 3}, 1e-15);
  }
}

TEST_CASE("var/std: values by hand", "[ops][reduce]") {
  const Tensor x = m23();
  // 1..6: mean 3.5, squared deviations 6.25+2.25+0.25+0.25+2.25+6.25 = 17.5.
  REQUIRE(var(x).item() == Approx(17.5 / 5));
  REQUIRE(var(x, {}, 0).item() == Approx(17.5 / 6));
  REQUIRE(var(x, {0, 1}).item() == Approx(3.5));
  REQUIRE(tg::std(x).item() == Approx(std::sqrt(3.5)));
  REQUIRE(tg::std(x, {}, 0).item() == Approx(std::sqrt(17.5 / 6)));
  // Rows [1,2,3] and [4,5,6]: deviations -1,0,1 -> 2 / (3-1) = 1; with correction 0: 2/3.
  require_values(var(x, {1}), {1, 1});
  require_values(var(x, {-1}, 0, true), {2.0 / 3, 2.0 / 3});
  REQUIRE(var(x, {-1}, 0, true).shape() == Shape{2, 1});
  // Columns (1,4), (2,5), (3,6): deviations +-1.5 -> 4.5 / 1.
  require_values(var(x, {0}), {4.5, 4.5, 4.5});
  require_values(tg::std(x, {0}), {std::sqrt(4.5), std::sqrt(4.5), std::sqrt(4.5)});
  // Over a transposed view: the same columns are rows of x.T.
  require_values(var(x.t(), {1}), {4.5, 4.5, 4.5});
  // Float32 input stays float32.
  REQUIRE(var(x.to(DType::Float32)).dtype() == DType::Float32);
  // Constant input: variance 0, std 0.
  REQUIRE(tg::std(full({4}, 2.0, DType::Float64)).item() == 0.0);
}

TEST_CASE("logsumexp: values by hand and stability", "[ops][reduce]") {
  // log(e^0 + e^{ln 3}) = log 4
  const Tensor x = tensor({0, std::log(3.0)}, {2}, DType::Float64);
  REQUIRE(logsumexp(x, {0}).item() == Approx(std::log(4.0)));
  REQUIRE(logsumexp(x, {}).item() == Approx(std::log(4.0)));
  REQUIRE(logsumexp(x, {0}).dim() == 0);
  // Rows of [[1,2,3],[4,5,6]]: log(e + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2), same +3 for row 1.
  const double r0 = 3 + std::log(1 + std::exp(-1.0) + std::exp(-2.0));
  require_values(logsumexp(m23(), {1}), {r0, r0 + 3}, 1e-12);
  REQUIRE(logsumexp(m23(), {-1}, true).shape() == Shape{2, 1});
  require_values(logsumexp(m23().t(), {0}, true), {r0, r0 + 3}, 1e-12);
  REQUIRE(logsumexp(m23().t(), {0}, true).shape() == Shape{1, 2});

  // Large values do not overflow: log(2 e^1000) = 1000 + log 2.
  const Tensor big = tensor({1000, 1000}, {2}, DType::Float64);
  REQUIRE(logsumexp(big, {0}).item() == Approx(1000 + std::log(2.0)).epsilon(1e-14));
  const Tensor bigf = tensor({1000, 1000}, {2}, DType::Float32);
  REQUIRE(logsumexp(bigf, {0}).item() == Approx(1000 + std::log(2.0)).epsilon(1e-6));
  // Very negative values do not underflow to -inf: -1000 + log 2.
  const Tensor small = tensor({-1000, -1000}, {2}, DType::Float64);
  REQUIRE(logsumexp(small, {0}).item() == Approx(-1000 + std::log(2.0)).epsilon(1e-14));
  // Rows: all -inf -> -inf (not nan); one -inf -> the other value; +inf -> +inf.
  const Tensor inf_rows =
      tensor({-kInf, -kInf, -kInf, 0, 5, -kInf, 1, kInf}, {4, 2}, DType::Float64);
  const auto v = logsumexp(inf_rows, {1}).to_vector<double>();
  REQUIRE(v[0] == -kInf);
  REQUIRE(v[1] == Approx(0.0));
  REQUIRE(v[2] == Approx(5.0));
  REQUIRE(v[3] == kInf);
  // An empty reduction is log(0) = -inf (as in PyTorch).
  const Tensor e = logsumexp(zeros({0, 3}, DType::Float64), {0});
  REQUIRE(e.shape() == Shape{3});
  REQUIRE(e.to_vector<double>() == std::vector<double>{-kInf, -kInf, -kInf});
  // The gradient of a row with a -inf entry is softmax: [0, 1].
  Tensor g = tensor({-kInf, 0, 0, 0}, {2, 2}, DType::Float64).requires_grad_();
  sum(logsumexp(g, {1})).backward();
  require_values(g.grad(), {0, 1, 0.5, 0.5}, 1e-15);
  // The gradient at large values is finite: softmax of [1000, 1000] = [1/2, 1/2].
  Tensor h = tensor({1000, 1000}, {2}, DType::Float64).requires_grad_();
  logsumexp(h, {0}).backward();
  require_values(h.grad(), {0.5, 0.5}, 1e-15);
}

TEST_CASE("argmax/argmin: values and first occurrence on ties", "[ops][reduce]") {
  // Flat: [1, 3, 3, 2] -> first 3 at index 1; argmin of [2, 1, 1, 5] -> 1.
  REQUIRE(argmax(tensor({1, 3, 3, 2}, {4})).item() == 1.0);
  REQUIRE(argmin(tensor({2, 1, 1, 5}, {4})).item() == 1.0);
  REQUIRE(argmax(tensor({1, 3, 3, 2}, {4})).dtype() == DType::Int64);
  REQUIRE(argmax(tensor({1, 3, 3, 2}, {4})).dim() == 0);
  // [[1, 5, 5], [7, 7, 0]]
  const Tensor x = tensor({1, 5, 5, 7, 7, 0}, {2, 3}, DType::Float64);
  // Flattened: the first 7 is at flat index 3.
  REQUIRE(argmax(x).item() == 3.0);
  REQUIRE(argmin(x).item() == 5.0);
  // Along rows: row 0 max 5 first at 1; row 1 max 7 first at 0.
  require_values(argmax(x, 1), {1, 0});
  require_values(argmax(x, -1), {1, 0});
  REQUIRE(argmax(x, 1).dtype() == DType::Int64);
  REQUIRE(argmax(x, 1, true).shape() == Shape{2, 1});
  // Along columns: (1,7) -> 1, (5,7) -> 1, (5,0) -> 0.
  require_values(argmax(x, 0), {1, 1, 0});
  require_values(argmin(x, 0), {0, 0, 1});
  require_values(argmin(x, 1), {0, 2});
  // On a transposed view: argmax over dim 0 of x.T is argmax over dim 1 of x.
  require_values(argmax(x.t(), 0), {1, 0});
  require_values(argmax(x.t(), 1, true), {1, 1, 0});
  // Every element equal: index 0.
  REQUIRE(argmax(full({5}, 2.0)).item() == 0.0);
  REQUIRE(argmin(full({5}, 2.0)).item() == 0.0);
  // int64 input.
  REQUIRE(argmax(int64_tensor({3, 9, 9, -1}, {4})).item() == 1.0);
  // NaN counts as the maximum (and minimum), as in PyTorch.
  REQUIRE(argmax(tensor({1, kNaN, 3}, {3}, DType::Float64)).item() == 1.0);
  REQUIRE(argmin(tensor({1, kNaN, -3}, {3}, DType::Float64)).item() == 1.0);
  // -inf is a value like any other.
  REQUIRE(argmax(tensor({-kInf, -kInf, -5}, {3}, DType::Float64)).item() == 2.0);
  REQUIRE(argmin(tensor({0, -kInf, -kInf}, {3}, DType::Float64)).item() == 1.0);
}

TEST_CASE("sum_to: values by hand", "[ops][reduce]") {
  const Tensor a = arange(24, DType::Float64).reshape({2, 3, 4});
  // To [3, 1]: sum over dim 0 and dim 2, = 60 + 32j as in the sum test.
  REQUIRE(sum_to(a, {3, 1}).shape() == Shape{3, 1});
  require_values(sum_to(a, {3, 1}), {60, 92, 124});
  // To [4]: sum over dims 0 and 1 of 12i + 4j + k: 2*3*k + 3*12 + 2*4*3 = 6k + 60.
  require_values(sum_to(a, {4}), {60, 66, 72, 78});
  // To [1, 1, 1] and [] (everything): 276.
  require_values(sum_to(a, {1, 1, 1}), {276});
  REQUIRE(sum_to(a, {}).dim() == 0);
  REQUIRE(sum_to(a, {}).item() == 276.0);
  // Same shape returns the input unchanged.
  REQUIRE(sum_to(a, {2, 3, 4}).same(a));
  // To [2, 1, 4] keeps dim 0 and dim 2.
  REQUIRE(sum_to(a, {2, 1, 4}).shape() == Shape{2, 1, 4});
  // (i=0, k=0): 0 + 4 + 8 = 12
  REQUIRE(sum_to(a, {2, 1, 4}).at({0, 0, 0}) == 12.0);
  // (i=1, k=3): (15) + (19) + (23) = 57
  REQUIRE(sum_to(a, {2, 1, 4}).at({1, 0, 3}) == 57.0);
}

// --------------------------------------------------------------------------------- gradchecks

TEST_CASE("gradcheck: sum over dims", "[ops][reduce]") {
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return sum(x, c.dims, c.keepdim); });
  Tensor x = leaf({3, 4}, 2);
  GRADCHECK([](const TensorList& in) { return sum(in[0]); }, TensorList{x});
  GRADCHECK([](const TensorList& in) { return sum(in[0].t()); }, TensorList{x});
  Tensor s = leaf({}, 3);
  GRADCHECK([](const TensorList& in) { return sum(in[0], {0}); }, TensorList{s});
}

TEST_CASE("gradcheck: sum second order", "[ops][reduce]") {
  // sum is linear; composing with a square gives a non-zero second derivative.
  Tensor x = leaf({3, 4}, 4);
  GRADCHECK(
      [](const TensorList& in) {
        const Tensor s = sum(in[0].t(), {0}, true);
        return sum(mul(s, s), {1});
      },
      TensorList{x}, {.check_second_order = true});
}

TEST_CASE("gradcheck: mean over dims", "[ops][reduce]") {
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return mean(x, c.dims, c.keepdim); });
  Tensor x = leaf({2, 5}, 5);
  GRADCHECK([](const TensorList& in) { return mean(in[0].t()); }, TensorList{x});
}

TEST_CASE("gradcheck: mean second order", "[ops][reduce]") {
  Tensor x = leaf({4, 3}, 6);
  GRADCHECK(
      [](const TensorList& in) {
        const Tensor m = mean(in[0].t(), {-1});
        return mul(m, mean(mul(in[0], in[0]), {0}));
      },
      TensorList{x}, {.check_second_order = true});
}

TEST_CASE("gradcheck: max over dims", "[ops][reduce]") {
  // Random uniform values have no ties, so max is differentiable at the sample points.
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return max(x, c.dims, c.keepdim); });
  Tensor x = leaf({3, 4}, 7);
  GRADCHECK([](const TensorList& in) { return max(in[0].t()); }, TensorList{x});
}

TEST_CASE("gradcheck: min over dims", "[ops][reduce]") {
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return min(x, c.dims, c.keepdim); });
  Tensor x = leaf({3, 4}, 8);
  GRADCHECK([](const TensorList& in) { return min(in[0].t()); }, TensorList{x});
}

TEST_CASE("gradcheck: max/min composed, second order", "[ops][reduce]") {
  // max is piecewise linear; multiplied by the input it has a non-zero second derivative.
  Tensor x = leaf({3, 4}, 9);
  GRADCHECK(
      [](const TensorList& in) {
        return mul(max(in[0], {1}, true), min(in[0].t(), {0}, true).t());
      },
      TensorList{x}, {.check_second_order = true});
}

TEST_CASE("gradcheck: var over dims", "[ops][reduce]") {
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return var(x, c.dims, 1, c.keepdim); });
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return var(x, c.dims, 0, c.keepdim); });
}

TEST_CASE("gradcheck: var second order", "[ops][reduce]") {
  GradcheckOptions o{.check_second_order = true};
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return var(x, c.dims, 1, c.keepdim); }, o);
}

TEST_CASE("gradcheck: std over dims", "[ops][reduce]") {
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return tg::std(x, c.dims, 1, c.keepdim); });
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return tg::std(x, c.dims, 0, c.keepdim); });
}

TEST_CASE("gradcheck: std second order", "[ops][reduce]") {
  GradcheckOptions o{.check_second_order = true};
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return tg::std(x, c.dims, 1, c.keepdim); },
                  o);
}

TEST_CASE("gradcheck: logsumexp over dims", "[ops][reduce]") {
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return logsumexp(x, c.dims, c.keepdim); }, {},
                  -3, 3);
  // Large values: the shift keeps exp finite; derivatives are softmax.
  Tensor x = leaf({3, 4}, 11, 995, 1005);
  GRADCHECK([](const TensorList& in) { return logsumexp(in[0], {1}); }, TensorList{x},
            {.eps = 1e-5});
}

TEST_CASE("gradcheck: logsumexp second order", "[ops][reduce]") {
  GradcheckOptions o{.check_second_order = true};
  gradcheck_cases([](const Tensor& x, const Cfg& c) { return logsumexp(x, c.dims, c.keepdim); }, o,
                  -3, 3);
}

TEST_CASE("gradcheck: argmax/argmin select the entries that carry gradient", "[ops][reduce]") {
  // argmax is piecewise constant: x * onehot(argmax(x)) has gradient onehot, which gradcheck
  // confirms; it also checks that argmax neither records nor breaks the tape.
  Tensor x = leaf({3, 5}, 12);
  const Tensor cols = arange(5);
  for (bool is_max : {true, false}) {
    GRADCHECK(
        [&](const TensorList& in) {
          const Tensor idx = is_max ? argmax(in[0], 1, true) : argmin(in[0], 1, true);
          REQUIRE_FALSE(idx.requires_grad());
          const Tensor onehot = eq(idx, cols).to(DType::Float64);
          return sum(mul(in[0], onehot), {1});
        },
        TensorList{x});
    // On a transposed view, over dim 0.
    GRADCHECK(
        [&](const TensorList& in) {
          const Tensor v = in[0].t();                                           // [5, 3]
          const Tensor idx = is_max ? argmax(v, 0, true) : argmin(v, 0, true);  // [1, 3]
          const Tensor onehot = eq(idx, cols.reshape({5, 1})).to(DType::Float64);
          return sum(mul(v, onehot), {0});
        },
        TensorList{x});
  }
}

TEST_CASE("gradcheck: sum_to", "[ops][reduce]") {
  Tensor x = leaf({2, 3, 4}, 13);
  for (const Shape& target : std::vector<Shape>{
           {3, 1}, {4}, {1, 4}, {2, 1, 4}, {1, 1, 1}, {}, {3, 4}, {2, 3, 1}, {2, 3, 4}}) {
    INFO("target " << shape_str(target));
    GRADCHECK([&](const TensorList& in) { return sum_to(in[0], target); }, TensorList{x});
    // Non-contiguous input.
    GRADCHECK(
        [&](const TensorList& in) {
          return sum_to(in[0].permute({0, 2, 1}).transpose(1, 2), target);
        },
        TensorList{x});
  }
  GRADCHECK(
      [](const TensorList& in) {
        const Tensor s = sum_to(in[0], {3, 1});
        return mul(s, s);
      },
      TensorList{x}, {.check_second_order = true});
}

// ------------------------------------------------------------------------------------- errors

TEST_CASE("reductions: errors name the op and the problem", "[ops][reduce]") {
  const Tensor x = zeros({2, 3}, DType::Float64);
  // Dimension out of range.
  REQUIRE_THROWS_AS(sum(x, {2}), Error);
  REQUIRE_THROWS_WITH(sum(x, {2}), Catch::Contains("sum") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(sum(x, {-3}), Catch::Contains("sum") && Catch::Contains("-3"));
  REQUIRE_THROWS_WITH(mean(x, {5}), Catch::Contains("mean") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(max(x, {2}), Catch::Contains("max") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(min(x, {-3}), Catch::Contains("min") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(var(x, {2}), Catch::Contains("var") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(tg::std(x, {2}), Catch::Contains("std") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(logsumexp(x, {3}),
                      Catch::Contains("logsumexp") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(argmax(x, 2), Catch::Contains("argmax") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(argmin(x, -3), Catch::Contains("argmin") && Catch::Contains("out of range"));
  REQUIRE_THROWS_AS(sum(scalar_tensor(1.0), {1}), Error);

  // Duplicate dims (also through a negative alias).
  REQUIRE_THROWS_WITH(sum(x, {1, 1}), Catch::Contains("sum") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(sum(x, {0, -2}), Catch::Contains("sum") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(mean(x, {1, -1}), Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(max(x, {0, 0}), Catch::Contains("max") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(var(x, {1, -1}), Catch::Contains("var") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(tg::std(x, {0, 0}), Catch::Contains("std") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(logsumexp(x, {0, 0}),
                      Catch::Contains("logsumexp") && Catch::Contains("twice"));

  // Empty reductions: max/min/argmax have no identity.
  const Tensor e = zeros({0, 3}, DType::Float64);
  REQUIRE_THROWS_WITH(
      max(e), Catch::Contains("max") && Catch::Contains("empty") && Catch::Contains("[0, 3]"));
  REQUIRE_THROWS_WITH(max(e, {0}), Catch::Contains("max") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(min(e, {0}), Catch::Contains("min") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(argmax(e), Catch::Contains("argmax") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(argmin(e, 0), Catch::Contains("argmin") && Catch::Contains("empty"));
  // Reducing the non-empty dim of an empty tensor is fine: an empty result.
  REQUIRE(max(e, {1}).shape() == Shape{0});
  REQUIRE(argmax(e, 1).shape() == Shape{0});

  // dtypes: mean/var/std/logsumexp need floating point.
  const Tensor i = int64_tensor({1, 2, 3}, {3});
  REQUIRE_THROWS_WITH(mean(i), Catch::Contains("mean") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(var(i), Catch::Contains("var") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::std(i), Catch::Contains("std") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(logsumexp(i, {0}), Catch::Contains("logsumexp") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(var(x, {}, -1), Catch::Contains("var") && Catch::Contains("correction"));

  // sum_to: incompatible shapes and a larger rank.
  REQUIRE_THROWS_WITH(sum_to(x, {2}), Catch::Contains("sum_to") && Catch::Contains("[2, 3]") &&
                                          Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(sum_to(x, {1, 2, 3}),
                      Catch::Contains("sum_to") && Catch::Contains("[1, 2, 3]"));
  REQUIRE_THROWS_WITH(sum_to(x, {4, 3}), Catch::Contains("sum_to"));

  // Undefined tensor.
  REQUIRE_THROWS_WITH(sum(Tensor()), Catch::Contains("sum") && Catch::Contains("undefined"));
}

// ------------------------------------------------------------------------------- determinism

TEST_CASE("sum: 1M float32 elements bit-identical across thread counts and accurate",
          "[ops][reduce]") {
  ThreadsGuard guard;
  Generator gen(42);
  const Tensor x = uniform({1000000}, 0.0, 1.0, DType::Float32, &gen);
  const float* p = x.data_ptr<float>();
  double ref = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) ref += static_cast<double>(p[i]);

  set_num_threads(1);
  const float s1 = sum(x).item<float>();
  const Tensor rows1 = sum(x.reshape({1000, 1000}), {1});
  const Tensor cols1 = sum(x.reshape({1000, 1000}), {0});
  set_num_threads(2);
  const float s2 = sum(x).item<float>();
  const Tensor rows2 = sum(x.reshape({1000, 1000}), {1});
  const Tensor cols2 = sum(x.reshape({1000, 1000}), {0});

  REQUIRE(bits(s1) == bits(s2));
  REQUIRE(std::abs(static_cast<double>(s1) - ref) <= 1e-6 * std::abs(ref));
  // Same for the row and column sums (each row sum is one thread's fixed-order loop).
  const auto r1 = rows1.to_vector<float>(), r2 = rows2.to_vector<float>();
  const auto c1 = cols1.to_vector<float>(), c2 = cols2.to_vector<float>();
  REQUIRE(std::memcmp(r1.data(), r2.data(), r1.size() * sizeof(float)) == 0);
  REQUIRE(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0);
  // Mean over everything, too.
  set_num_threads(1);
  const float m1 = mean(x).item<float>();
  set_num_threads(2);
  const float m2 = mean(x).item<float>();
  REQUIRE(bits(m1) == bits(m2));
  REQUIRE(std::abs(static_cast<double>(m1) - ref / 1e6) <= 1e-6 * std::abs(ref / 1e6));
}
