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
