#include "helpers.hpp"

using namespace tg;

TEST_CASE("tensor: creation and element access", "[core]") {
  Tensor z = zeros({2, 3});
  REQUIRE(z.shape() == Shape{2, 3});
  REQUIRE(z.dtype() == DType::Float32);
  REQUIRE(z.numel() == 6);
  REQUIRE(z.is_contiguous());
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(a.at({1, 2}) == 6.0);
  REQUIRE(a.at({-1, 0}) == 4.0);
  REQUIRE(a.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  REQUIRE_THROWS_AS(a.at({2, 0}), Error);
  REQUIRE_THROWS_WITH(a.item(), Catch::Contains("6 elements"));
  REQUIRE(scalar_tensor(2.5).item() == 2.5);
}

TEST_CASE("tensor: views share storage", "[core]") {
  Tensor a = arange(0, 12, 1, DType::Float32).reshape({3, 4});
  Tensor t = a.t();
  REQUIRE(t.shape() == Shape{4, 3});
  REQUIRE_FALSE(t.is_contiguous());
  REQUIRE(t.at({1, 2}) == 9.0);
  REQUIRE(t.storage() == a.storage());
  Tensor s = a.slice(1, 1, 3);
  REQUIRE(s.shape() == Shape{3, 2});
  REQUIRE(s.to_vector<float>() == std::vector<float>{1, 2, 5, 6, 9, 10});
  s.fill_(-1);
  REQUIRE(a.at({0, 1}) == -1.0);
  REQUIRE(a.at({2, 2}) == -1.0);
  Tensor c = t.contiguous();
  REQUIRE(c.is_contiguous());
  REQUIRE(c.storage() != a.storage());
}

TEST_CASE("tensor: creation functions", "[core]") {
  tgtest::require_values(arange(5), {0, 1, 2, 3, 4});
  REQUIRE(arange(5).dtype() == DType::Int64);
  tgtest::require_values(arange(1, 2, 0.25, DType::Float64), {1, 1.25, 1.5, 1.75});
  tgtest::require_values(linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1});
  REQUIRE(linspace(-3, 7, 11).at({10}) == 7.0);
  tgtest::require_values(eye(2, 3), {1, 0, 0, 0, 1, 0});
  tgtest::require_values(full({2}, 2.5, DType::Float64), {2.5, 2.5});
  REQUIRE(ones({2, 2}).to_vector<float>() == std::vector<float>(4, 1.0f));
  REQUIRE(int64_tensor({3, -1}).at<std::int64_t>({1}) == -1);
  REQUIRE(zeros({0, 4}).numel() == 0);
  REQUIRE_THROWS_WITH(zeros({2, -1}), Catch::Contains("negative"));
  REQUIRE_THROWS_WITH(tensor({1, 2, 3}, {2, 2}),
                      Catch::Contains("3 values") && Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(empty({1 << 30, 1 << 30, 1 << 30}), Catch::Contains("too many elements"));
}

TEST_CASE("tensor: storage is 64-byte aligned", "[core]") {
  for (int n : {1, 3, 17, 1000}) {
    Tensor t = empty({n});
    REQUIRE(reinterpret_cast<std::uintptr_t>(t.storage()->data) % 64 == 0);
  }
}

TEST_CASE("tensor: dtype conversion", "[core]") {
  Tensor a = tensor({1.5, -2.5, 3.0});
  Tensor i = a.to(DType::Int64);
  REQUIRE(i.dtype() == DType::Int64);
  REQUIRE(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 3});
  Tensor d = a.to(DType::Float64);
  REQUIRE(d.at({1}) == -2.5);
  REQUIRE(a.to(DType::Float32).same(a));  // no copy for the same dtype
  REQUIRE_THROWS_WITH(a.data_ptr<double>(),
                      Catch::Contains("float32") && Catch::Contains("float64"));
}

TEST_CASE("tensor: in-place ops broadcast, convert and bump the version", "[core]") {
  Tensor a = zeros({2, 3}, DType::Float64);
  a.copy_(tensor({1, 2, 3}));  // float32 row broadcast into float64
  tgtest::require_values(a, {1, 2, 3, 1, 2, 3});
  a.add_(ones({2, 1}, DType::Float64), 10.0);
  tgtest::require_values(a, {11, 12, 13, 11, 12, 13});
  a.mul_(0.5);
  tgtest::require_values(a, {5.5, 6, 6.5, 5.5, 6, 6.5});
  REQUIRE(a.version() == 3);
  a.set<double>({0, 0}, -1.0);
  REQUIRE(a.at({0, 0}) == -1.0);
  REQUIRE_THROWS_WITH(a.copy_(ones({4})), Catch::Contains("copy_"));
  // An in-place op through a transposed view writes the right elements.
  Tensor m = zeros({2, 3});
  m.t().copy_(tensor({1, 2, 3, 4, 5, 6}, {3, 2}));
  tgtest::require_values(m, {1, 3, 5, 2, 4, 6});
}

TEST_CASE("tensor: undefined tensor gives a clear error", "[core]") {
  Tensor t;
  REQUIRE_FALSE(t.defined());
  REQUIRE_THROWS_WITH(t.shape(), Catch::Contains("undefined"));
  REQUIRE_THROWS_WITH(exp(t), Catch::Contains("exp") && Catch::Contains("undefined"));
}

TEST_CASE("tensor: requires_grad only on floating leaves", "[core]") {
  REQUIRE_THROWS_WITH(arange(3).requires_grad_(), Catch::Contains("floating"));
  Tensor x = ones({2}).requires_grad_();
  Tensor y = exp(x);
  REQUIRE_THROWS_WITH(y.requires_grad_(), Catch::Contains("not a leaf"));
  REQUIRE(y.requires_grad());
  REQUIRE_FALSE(y.is_leaf());
  tape().clear();
}

TEST_CASE("format: prints like PyTorch with shape, dtype and requires_grad", "[core][format]") {
  REQUIRE(fmt::format("{}", tensor({1, -2.5, 3, 4}, {2, 2})) ==
          "tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]], shape=[2, 2], dtype=float32)");
  REQUIRE(fmt::format("{}", int64_tensor({1, 2, 3})) ==
          "tensor([1, 2, 3], shape=[3], dtype=int64)");
  REQUIRE(fmt::format("{}", scalar_tensor(3.5)) == "tensor(3.5000, shape=[], dtype=float32)");
  Tensor x = ones({2}, DType::Float64).requires_grad_();
  REQUIRE(fmt::format("{}", x) ==
          "tensor([1.0000, 1.0000], shape=[2], dtype=float64, requires_grad=true)");
  REQUIRE(fmt::format("{}", zeros({0, 3})) == "tensor([], shape=[0, 3], dtype=float32)");
  REQUIRE(fmt::format("{}", tensor({1e-5, 1, 1000})) ==
          "tensor([1.0000e-05, 1.0000e+00, 1.0000e+03], shape=[3], dtype=float32)");
}

TEST_CASE("format: large tensors are summarised with ...", "[core][format]") {
  const std::string s = fmt::format("{}", arange(0, 2000, 1, DType::Float32).reshape({40, 50}));
  CHECK_THAT(s, Catch::StartsWith("tensor([[   0.0000,    1.0000,    2.0000, ...,   47.0000,"));
  CHECK_THAT(s, Catch::Contains("        ...,\n"));
  CHECK_THAT(s, Catch::EndsWith("1999.0000]], shape=[40, 50], dtype=float32)"));
  const std::string v = fmt::format("{}", arange(0, 1001, 1, DType::Int64));
  REQUIRE(v == "tensor([   0,    1,    2, ...,  998,  999, 1000], shape=[1001], dtype=int64)");
}
