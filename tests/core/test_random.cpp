#include "helpers.hpp"

using namespace tg;

TEST_CASE("random: same seed gives identical tensors", "[core][random]") {
  manual_seed(7);
  const auto a = randn({1000}).to_vector<float>();
  const auto b = rand({10}, DType::Float64).to_vector<double>();
  manual_seed(7);
  REQUIRE(randn({1000}).to_vector<float>() == a);
  REQUIRE(rand({10}, DType::Float64).to_vector<double>() == b);
  manual_seed(8);
  REQUIRE(randn({1000}).to_vector<float>() != a);
}

TEST_CASE("random: generator state round trip continues the stream exactly", "[core][random]") {
  Generator g(123);
  (void)g.normal();  // leaves a cached spare value in the state
  const auto st = g.state();
  const auto x = randn({17}, DType::Float64, &g).to_vector<double>();
  Generator h(1);
  h.set_state(st);
  REQUIRE(randn({17}, DType::Float64, &h).to_vector<double>() == x);
}

TEST_CASE("random: distributions have the right moments and ranges", "[core][random]") {
  Generator g(2024);
  const Tensor n = normal({200000}, 2.0, 3.0, DType::Float64, &g);
  REQUIRE(mean(n).item() == Approx(2.0).margin(0.03));
  REQUIRE(tg::std(n).item() == Approx(3.0).epsilon(0.01));
  const Tensor u = uniform({200000}, -1.0, 3.0, DType::Float64, &g);
  REQUIRE(min(u).item() >= -1.0);
  REQUIRE(max(u).item() < 3.0);
  REQUIRE(mean(u).item() == Approx(1.0).margin(0.02));
  const Tensor r = randint(5, 9, {10000}, &g);
  REQUIRE(r.dtype() == DType::Int64);
  REQUIRE(min(r).item() == 5);
  REQUIRE(max(r).item() == 8);
  const Tensor b = bernoulli({100000}, 0.3, DType::Float32, &g);
  REQUIRE(mean(b).item() == Approx(0.3).margin(0.01));
  const auto p = randperm(50, &g).to_vector<std::int64_t>();
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 50; ++i) REQUIRE(sorted[i] == i);
}

TEST_CASE("random: invalid arguments are errors", "[core][random]") {
  REQUIRE_THROWS_WITH(randint(3, 3, {2}), Catch::Contains("randint"));
  REQUIRE_THROWS_WITH(bernoulli({2}, 1.5), Catch::Contains("[0, 1]"));
  REQUIRE_THROWS_WITH(uniform({2}, 1.0, 0.0), Catch::Contains("low"));
  REQUIRE_THROWS_WITH(randn({2}, DType::Int64), Catch::Contains("float32 or float64"));
}
