// nn::Embedding (nn/embedding.hpp).
#include <cmath>

#include "helpers.hpp"
#include "tapegrad/nn/embedding.hpp"

using namespace tg;
using tgtest::require_values;

namespace {
// weight row r = {10 r, 10 r + 1}
void fill_rows(nn::Embedding& e) {
  NoGradGuard ng;
  std::vector<double> v;
  for (std::int64_t r = 0; r < e.num_embeddings; ++r)
    for (std::int64_t c = 0; c < e.embedding_dim; ++c) v.push_back(10.0 * r + c);
  e.weight.copy_(tensor(v, e.weight.shape(), e.weight.dtype()));
}
}  // namespace

TEST_CASE("Embedding: lookup values and shapes", "[nn][embedding]") {
  nn::Embedding e(5, 2, DType::Float64);
  fill_rows(e);
  SECTION("1-D indices") {
    Tensor y = e(int64_tensor({3, 0, 3}, {3}));
    REQUIRE(y.shape() == Shape{3, 2});
    require_values(y, {30, 31, 0, 1, 30, 31}, 0);
  }
  SECTION("2-D indices -> [2, 3, dim]") {
    Tensor y = e(int64_tensor({4, 1, 2, 0, 0, 4}, {2, 3}));
    REQUIRE(y.shape() == Shape{2, 3, 2});
    require_values(y, {40, 41, 10, 11, 20, 21, 0, 1, 0, 1, 40, 41}, 0);
  }
  SECTION("0-d index -> [dim]") {
    Tensor y = e(int64_tensor({2}, {1}).reshape({}));
    REQUIRE(y.shape() == Shape{2});
    require_values(y, {20, 21}, 0);
  }
  SECTION("non-contiguous indices (transposed)") {
    Tensor idx = int64_tensor({0, 1, 2, 3, 4, 0}, {2, 3}).t();  // [[0, 3], [1, 4], [2, 0]]
    Tensor y = e(idx);
    REQUIRE(y.shape() == Shape{3, 2, 2});
    require_values(y, {0, 1, 30, 31, 10, 11, 40, 41, 20, 21, 0, 1}, 0);
  }
  SECTION("empty indices") {
    Tensor y = e(int64_tensor({}, {0}));
    REQUIRE(y.shape() == Shape{0, 2});
  }
  REQUIRE(e.extra_repr() == "5, 2");
}

TEST_CASE("Embedding: gradient accumulates over repeated indices", "[nn][embedding]") {
  nn::Embedding e(4, 3, DType::Float64);
  // Indices {1, 1, 0} with upstream gradient 1 everywhere: row 1 gets 2, row 0 gets 1, rows 2
  // and 3 get 0.
  sum(e(int64_tensor({1, 1, 0}, {3}))).backward();
  require_values(e.weight.grad(), {1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0}, 0);
}

TEST_CASE("Embedding: weight is N(0, 1) at init", "[nn][embedding]") {
  manual_seed(123);
  nn::Embedding e(400, 10);
  REQUIRE(e.weight.dtype() == DType::Float32);
  REQUIRE(e.weight.shape() == Shape{400, 10});
  REQUIRE(e.weight.requires_grad());
  // 4000 draws: the standard error of the mean is 1/sqrt(4000) ~ 0.016.
  REQUIRE(std::abs(mean(e.weight).item()) < 0.08);
  REQUIRE(std::abs(std::sqrt(var(e.weight).item()) - 1.0) < 0.06);
  REQUIRE(e.state_dict().size() == 1);
}

TEST_CASE("gradcheck: Embedding w.r.t. weight", "[nn][embedding][gradcheck]") {
  nn::Embedding e(6, 3, DType::Float64);
  const Tensor idx1 = int64_tensor({5, 0, 2, 2}, {4});
  const Tensor idx2 = int64_tensor({1, 4, 4, 3, 0, 1}, {3, 2});
  REQUIRE_GRADCHECK([&](const TensorList&) { return e(idx1); }, TensorList{e.weight});
  REQUIRE_GRADCHECK([&](const TensorList&) { return e(idx2); }, TensorList{e.weight});
  // Through a nonlinearity, so that second derivatives are not all zero.
  GradcheckOptions o;
  o.check_second_order = true;
  REQUIRE_GRADCHECK([&](const TensorList&) { return tanh(e(idx2)); }, TensorList{e.weight}, o);
}

TEST_CASE("Embedding: errors", "[nn][embedding]") {
  nn::Embedding e(5, 2);
  REQUIRE_THROWS_WITH(e(int64_tensor({0, 5}, {2})), Catch::Contains("Embedding") &&
                                                        Catch::Contains("index 5") &&
                                                        Catch::Contains("num_embeddings=5"));
  REQUIRE_THROWS_WITH(e(int64_tensor({-1}, {1})),
                      Catch::Contains("index -1") && Catch::Contains("num_embeddings=5"));
  REQUIRE_THROWS_WITH(e(zeros({2}, DType::Float32)), Catch::Contains("Embedding") &&
                                                         Catch::Contains("int64") &&
                                                         Catch::Contains("float32"));
  REQUIRE_THROWS_AS(nn::Embedding(0, 3), Error);
  REQUIRE_THROWS_AS(nn::Embedding(3, 0), Error);
  REQUIRE_THROWS_AS(nn::Embedding(3, 2, DType::Int64), Error);
}
