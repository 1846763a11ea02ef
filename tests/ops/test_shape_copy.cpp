// The copies of ops/copy.cpp: Tensor::contiguous, clone and to(dtype).
#include "helpers.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {
Tensor iota(const Shape& shape, DType dtype = DType::Float64) {
  return arange(0, static_cast<double>(numel_of(shape)), 1, dtype).reshape(shape);
}
}  // namespace

TEST_CASE("contiguous: no copy when already contiguous, copy otherwise", "[ops][shape][copy]") {
  Tensor x = iota({2, 3});
  Tensor same = x.contiguous();
  REQUIRE(same.storage() == x.storage());
  REQUIRE(same.same(x));
  Tensor t = x.t();
  Tensor c = t.contiguous();
  REQUIRE(c.is_contiguous());
  REQUIRE(c.storage() != x.storage());
  REQUIRE(c.strides() == Shape{2, 1});
  require_values(c, {0, 3, 1, 4, 2, 5});
  // Sliced with a step, and expanded (stride 0) inputs are materialised.
  require_values(iota({10}).slice(0, 1, 10, 3).contiguous(), {1, 4, 7});
  Tensor e = iota({1, 3}).expand({2, 3}).contiguous();
  REQUIRE(e.strides() == Shape{3, 1});
  require_values(e, {0, 1, 2, 0, 1, 2});
  // A size-1 dimension with an odd stride still counts as contiguous.
  Tensor u = iota({3}).unsqueeze(0);
  REQUIRE(u.contiguous().storage() == u.storage());
  // The copy is independent of the original.
  c.fill_(-1);
  REQUIRE(x.at({0, 1}) == 1.0);
  // int64 and float32.
  REQUIRE(int64_tensor({1, 2, 3, 4}, {2, 2}).t().contiguous().to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{1, 3, 2, 4});
  REQUIRE(iota({2, 2}, DType::Float32).t().contiguous().dtype() == DType::Float32);
}

TEST_CASE("clone: always a new storage, same values", "[ops][shape][copy]") {
  Tensor x = iota({2, 3});
  Tensor c = x.clone();
  REQUIRE(c.storage() != x.storage());
  REQUIRE(c.dtype() == DType::Float64);
  require_values(c, {0, 1, 2, 3, 4, 5});
  c.fill_(7);
  REQUIRE(x.at({1, 2}) == 5.0);
  Tensor ct = x.t().clone();
  REQUIRE(ct.is_contiguous());
  require_values(ct, {0, 3, 1, 4, 2, 5});
  // Cloning a view of a leaf that requires grad gives a tensor on the tape, not a leaf.
  Tensor w = leaf({2, 2}, 1);
  Tensor wc = w.slice(1, 0, 1).clone();
  REQUIRE(wc.requires_grad());
  REQUIRE_FALSE(wc.is_leaf());
  {
    NoGradGuard ng;
    REQUIRE_FALSE(w.clone().requires_grad());
  }
}

TEST_CASE("gradcheck: contiguous and clone", "[ops][shape][copy][gradcheck]") {
  Tensor a = leaf({3, 4}, 2);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].t().contiguous(); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].slice(1, 0, 4, 2).contiguous(); },
                    TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].clone(); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].t().clone(); }, TensorList{a});
  Tensor b = leaf({3, 1}, 3);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return in[0].expand({3, 4}).contiguous();
      },
      TensorList{b});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor c = in[0].t().contiguous();
        Tensor d = in[0].clone();
        return mul(c, d.t());
      },
      TensorList{a}, {.check_second_order = true});
}

TEST_CASE("to: float32 <-> float64 values and gradients", "[ops][shape][copy]") {
  Tensor x = tensor({1.5, -2.25, 3.0}, {3});
  Tensor y = x.to(DType::Float64);
  REQUIRE(y.dtype() == DType::Float64);
  require_values(y, {1.5, -2.25, 3.0});
  REQUIRE(y.storage() != x.storage());
  REQUIRE(x.to(DType::Float32).same(x));  // same dtype: no copy
  // float64 -> float32 rounds to the nearest float.
  Tensor z = tensor({0.1}, {1}, DType::Float64).to(DType::Float32);
  REQUIRE(z.dtype() == DType::Float32);
  REQUIRE(z.to_vector<float>()[0] == 0.1f);
  // Non-contiguous source.
  require_values(iota({2, 2}).t().to(DType::Float32), {0, 2, 1, 3});

  SECTION("gradient flows back across the conversion in the source dtype") {
    // d/dx sum(y * y) with y = x as float64: 2x, delivered as float32.
    Tensor w = tensor({1.5, -2.0, 0.5}, {3});
    w.requires_grad_();
    Tensor w64 = w.to(DType::Float64);
    REQUIRE(w64.requires_grad());
    mul(w64, w64).sum().backward();
    REQUIRE(w.grad().dtype() == DType::Float32);
    require_values(w.grad(), {3.0, -4.0, 1.0});
  }
  SECTION("float64 leaf through float32") {
    Tensor v = tensor({1.0, 2.0}, {2}, DType::Float64);
    v.requires_grad_();
    mul(v.to(DType::Float32), 3.0).sum().backward();
    REQUIRE(v.grad().dtype() == DType::Float64);
    require_values(v.grad(), {3.0, 3.0});
  }
  SECTION("second derivative through to()") {
    // g = d/dw sum(w^3) computed in float64 = 3 w^2; d/dw sum(g) = 6 w.
    Tensor w = tensor({1.0, -2.0}, {2});
    w.requires_grad_();
    Tensor y64 = w.to(DType::Float64);
    Tensor g = grad(mul(mul(y64, y64), y64).sum(), w, {.create_graph = true});
    REQUIRE(g.dtype() == DType::Float32);
    require_values(g, {3.0, 12.0});
    Tensor gg = grad(g.sum(), w);
    require_values(gg, {6.0, -12.0});
  }
}

TEST_CASE("gradcheck: to(dtype)", "[ops][shape][copy][gradcheck]") {
  Tensor a = leaf({2, 3}, 4);
  // Through float32 and back: the float32 rounding (~6e-8 relative) needs a larger step.
  REQUIRE_GRADCHECK(
      [](const TensorList& in) { return in[0].t().to(DType::Float32).to(DType::Float64); },
      TensorList{a}, {.eps = 1e-3, .atol = 1e-3, .rtol = 1e-3});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor y = in[0].to(DType::Float32);
        return mul(y, y).to(DType::Float64);
      },
      TensorList{a}, {.eps = 1e-3, .atol = 1e-3, .rtol = 1e-3});
  // Same dtype is the identity.
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].to(DType::Float64); }, TensorList{a});
}

TEST_CASE("to: int64 conversions", "[ops][shape][copy]") {
  // Float to int64 truncates toward zero, as PyTorch.
  Tensor f = tensor({1.7, -1.7, 2.0, -0.5, 0.0}, {5}, DType::Float64);
  Tensor i = f.to(DType::Int64);
  REQUIRE(i.dtype() == DType::Int64);
  REQUIRE(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -1, 2, 0, 0});
  REQUIRE(tensor({2.9f}, {1}).to(DType::Int64).to_vector<std::int64_t>()[0] == 2);
  // Int64 to floating is exact for small integers.
  Tensor k = int64_tensor({-3, 0, 7}, {3});
  require_values(k.to(DType::Float32), {-3, 0, 7});
  require_values(k.to(DType::Float64), {-3, 0, 7});
  REQUIRE(k.to(DType::Int64).same(k));
  // Non-contiguous int64 source.
  REQUIRE(int64_tensor({1, 2, 3, 4}, {2, 2}).t().to(DType::Float64).to_vector<double>() ==
          std::vector<double>{1, 3, 2, 4});
  // Converting a tensor that requires grad to int64 cuts the graph: no grad, not on the tape.
  Tensor w = leaf({3}, 5, 1.0, 3.0);
  const std::size_t before = tape().size();
  Tensor wi = w.to(DType::Int64);
  REQUIRE_FALSE(wi.requires_grad());
  REQUIRE(tape().size() == before);
  // And back to float: a constant (no history).
  REQUIRE_FALSE(wi.to(DType::Float64).requires_grad());
}
