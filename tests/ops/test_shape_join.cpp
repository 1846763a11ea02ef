// Joining and cutting: cat, stack, split, pad. Values by hand, errors, gradchecks.
#include "helpers.hpp"

using namespace tg;
using tgtest::iota;
using tgtest::leaf;
using tgtest::require_backward_differentiable;
using tgtest::require_values;

namespace {

Tensor f64(std::initializer_list<double> v, const Shape& shape) {
  return tensor(v, shape, DType::Float64);
}

}  // namespace

// ------------------------------------------------------------------ cat

TEST_CASE("cat: values by hand", "[ops][shape][cat]") {
  Tensor a = f64({1, 2, 3, 4}, {2, 2});
  Tensor b = f64({5, 6}, {1, 2});
  Tensor c = f64({7, 8}, {2, 1});
  Tensor r0 = cat({a, b}, 0);
  REQUIRE(r0.shape() == Shape{3, 2});
  require_values(r0, {1, 2, 3, 4, 5, 6});
  // [[1, 2, 7], [3, 4, 8]]
  require_values(cat({a, c}, 1), {1, 2, 7, 3, 4, 8});
  require_values(cat({a, c}, -1), {1, 2, 7, 3, 4, 8});
  // Non-contiguous inputs: a.t() = [[1, 3], [2, 4]], c.t() = [[7, 8]].
  require_values(cat({a.t(), c.t(), b}, 0), {1, 3, 2, 4, 7, 8, 5, 6});
  // A single input and an empty one.
  require_values(cat({b}), {5, 6});
  require_values(cat({a, zeros({0, 2}, DType::Float64), b}), {1, 2, 3, 4, 5, 6});
  // 1-D and 3-D.
  require_values(cat({f64({1, 2}, {2}), f64({3}, {1})}), {1, 2, 3});
  Tensor x = iota({2, 1, 2});
  Tensor y = iota({2, 2, 2});
  // Along dim 1: block i is x[i] (one row) followed by y[i] (two rows).
  require_values(cat({x, y}, 1), {0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 6, 7});
  // The result is a copy.
  REQUIRE(cat({a}).storage() != a.storage());
  // int64 works.
  REQUIRE(cat({int64_tensor({1}), int64_tensor({2, 3})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("cat: errors name the input index and shapes", "[ops][shape][cat][errors]") {
  Tensor a = zeros({2, 2}, DType::Float64);
  Tensor b = zeros({1, 3}, DType::Float64);
  REQUIRE_THROWS_AS(cat({a, b}, 0), Error);
  REQUIRE_THROWS_WITH(cat({a, a, b}, 0), Catch::Contains("cat") && Catch::Contains("input 2") &&
                                             Catch::Contains("[1, 3]") &&
                                             Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(cat({a, zeros({2}, DType::Float64)}, 0), Catch::Contains("cat") &&
                                                                   Catch::Contains("input 1") &&
                                                                   Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(cat({a, zeros({2, 2})}, 0),
                      Catch::Contains("cat") && Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(cat({}, 0), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(cat({scalar_tensor(1.0)}, 0), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(cat({a, a}, 2), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(cat({a, Tensor{}}, 0), Catch::Contains("cat"));
}

TEST_CASE("gradcheck: cat along dim 0", "[ops][shape][cat][gradcheck]") {
  Tensor a = leaf({2, 3}, 1);
  Tensor b = leaf({1, 3}, 2);
  Tensor c = leaf({3, 2}, 3);  // used transposed: {2, 3}
  REQUIRE_GRADCHECK([](const TensorList& in) { return cat({in[0], in[1]}, 0); }, TensorList{a, b});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return cat({in[0], in[2].t(), in[1]}, 0);
      },
      TensorList{a, b, c});
  // The same tensor twice: gradients add.
  REQUIRE_GRADCHECK([](const TensorList& in) { return cat({in[0], in[0]}, 0); }, TensorList{a});
}

TEST_CASE("gradcheck: cat along dim 1", "[ops][shape][cat][gradcheck]") {
  Tensor a = leaf({2, 3}, 4);
  Tensor b = leaf({2, 1}, 5);
  Tensor s = leaf({2, 6}, 6);  // sliced: columns 1, 3, 5
  REQUIRE_GRADCHECK([](const TensorList& in) { return cat({in[0], in[1]}, 1); }, TensorList{a, b});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return cat({in[1], in[2].slice(1, 1, 6, 2), in[0]}, -1);
      },
      TensorList{a, b, s});
  // One input without requires_grad.
  Tensor k = iota({2, 2});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return cat({k, in[0]}, 1); }, TensorList{a});
  // 3-D along the middle dimension.
  Tensor x = leaf({2, 2, 3}, 7);
  Tensor y = leaf({2, 1, 3}, 8);
  REQUIRE_GRADCHECK([](const TensorList& in) { return cat({in[1], in[0]}, 1); }, TensorList{x, y});
  // By hand: d/da sum(w * cat(a, b)) = the first columns of w.
  Tensor p = leaf({2, 1}, 9);
  Tensor q = leaf({2, 2}, 10);
  mul(cat({p, q}, 1), iota({2, 3})).sum().backward();
  require_values(p.grad(), {0, 3});
  require_values(q.grad(), {1, 2, 4, 5});
}

TEST_CASE("gradcheck: cat second order", "[ops][shape][cat][gradcheck]") {
  Tensor a = leaf({2, 3}, 11);
  Tensor b = leaf({3, 2}, 12);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor c = cat({in[0], in[1].t()}, 0);
        return mul(c, c);
      },
      TensorList{a, b}, {.check_second_order = true});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor c = cat({in[0], in[1].t()}, 1);
        return mul(c, exp(c));
      },
      TensorList{a, b}, {.check_second_order = true});
  require_backward_differentiable(
      [](const Tensor& x) {
        return cat({x, x.slice(1, 1, 3)}, 1);
      },
      {2, 3});
}

// ------------------------------------------------------------------ stack

TEST_CASE("stack: values and errors", "[ops][shape][stack]") {
  Tensor a = f64({1, 2}, {2});
  Tensor b = f64({3, 4}, {2});
  Tensor s0 = stack({a, b});
  REQUIRE(s0.shape() == Shape{2, 2});
  require_values(s0, {1, 2, 3, 4});
  require_values(stack({a, b}, 1), {1, 3, 2, 4});  // columns are the inputs
  require_values(stack({a, b}, -1), {1, 3, 2, 4});
  // 2-D inputs stacked in the middle: out[i, k, j] = input_k[i, j].
  Tensor m = f64({1, 2, 3, 4}, {2, 2});
  Tensor n = f64({5, 6, 7, 8}, {2, 2});
  Tensor s1 = stack({m, n.t()}, 1);
  REQUIRE(s1.shape() == Shape{2, 2, 2});
  // n.t() = [[5, 7], [6, 8]]
  require_values(s1, {1, 2, 5, 7, 3, 4, 6, 8});
  REQUIRE(stack({scalar_tensor(1.0), scalar_tensor(2.0)}).shape() == Shape{2});

  REQUIRE_THROWS_AS(stack({a, f64({1, 2, 3}, {3})}), Error);
  REQUIRE_THROWS_WITH(stack({a, b, f64({1, 2, 3}, {3})}),
                      Catch::Contains("stack") && Catch::Contains("input 2") &&
                          Catch::Contains("[3]") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(stack({}), Catch::Contains("stack"));
  REQUIRE_THROWS_WITH(stack({Tensor{}}), Catch::Contains("stack"));
  REQUIRE_THROWS_WITH(stack({a, b}, 2), Catch::Contains("stack"));
}

TEST_CASE("gradcheck: stack", "[ops][shape][stack][gradcheck]") {
  Tensor a = leaf({2, 3}, 13);
  Tensor b = leaf({3, 2}, 14);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return stack({in[0], in[1].t()});
      },
      TensorList{a, b});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return stack({in[0], in[1].t(), in[0]}, 2);
      },
      TensorList{a, b});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor s = stack({in[0], in[1].t()}, -2);
        return mul(s, s);
      },
      TensorList{a, b}, {.check_second_order = true});
}

// ------------------------------------------------------------------ split

TEST_CASE("split: by size and by a list of sizes", "[ops][shape][split]") {
  Tensor x = iota({5, 2});
  auto p = split(x, 2);
  REQUIRE(p.size() == 3);
  REQUIRE(p[0].shape() == Shape{2, 2});
  REQUIRE(p[2].shape() == Shape{1, 2});  // the remainder
  require_values(p[0], {0, 1, 2, 3});
  require_values(p[1], {4, 5, 6, 7});
  require_values(p[2], {8, 9});
  for (const Tensor& t : p) REQUIRE(t.storage() == x.storage());  // views
  REQUIRE(split(x, 5).size() == 1);
  REQUIRE(split(x, 7).size() == 1);
  REQUIRE(split(x, 7)[0].shape() == Shape{5, 2});
  auto c = split(x, 1, 1);  // columns
  REQUIRE(c.size() == 2);
  require_values(c[1], {1, 3, 5, 7, 9});
  auto q = split(x, std::vector<std::int64_t>{1, 4});
  REQUIRE(q.size() == 2);
  require_values(q[0], {0, 1});
  require_values(q[1], {2, 3, 4, 5, 6, 7, 8, 9});
  auto r = split(x.t(), std::vector<std::int64_t>{3, 0, 2}, -1);  // x.t() is {2, 5}
  REQUIRE(r.size() == 3);
  require_values(r[0], {0, 2, 4, 1, 3, 5});
  REQUIRE(r[1].shape() == Shape{2, 0});
  require_values(r[2], {6, 8, 7, 9});
}

TEST_CASE("split: errors", "[ops][shape][split][errors]") {
  Tensor x = iota({5, 2});
  REQUIRE_THROWS_AS(split(x, std::vector<std::int64_t>{2, 2}), Error);
  REQUIRE_THROWS_WITH(split(x, std::vector<std::int64_t>{2, 2}),
                      Catch::Contains("split") && Catch::Contains("(2, 2)") &&
                          Catch::Contains("4") && Catch::Contains("size 5") &&
                          Catch::Contains("[5, 2]"));
  REQUIRE_THROWS_WITH(split(x, std::vector<std::int64_t>{6, -1}),
                      Catch::Contains("split") && Catch::Contains("negative"));
  REQUIRE_THROWS_WITH(split(x, 0), Catch::Contains("split") && Catch::Contains("0"));
  REQUIRE_THROWS_WITH(split(x, -2), Catch::Contains("split"));
  REQUIRE_THROWS_WITH(split(x, 1, 2), Catch::Contains("split"));
}

TEST_CASE("gradcheck: split", "[ops][shape][split][gradcheck]") {
  Tensor a = leaf({3, 6}, 15);
  // Pieces used unevenly (p[1] unused: zero gradient there).
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        auto p = split(in[0], std::vector<std::int64_t>{1, 3, 2}, 1);
        return cat({p[2], mul(p[0], 3.0)}, 1);
      },
      TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        auto p = split(in[0].t(), 4);  // {6, 3} -> {4, 3}, {2, 3}
        return mul(p[1], p[0].slice(0, 0, 2));
      },
      TensorList{a}, {.check_second_order = true});
}

// ------------------------------------------------------------------ pad

TEST_CASE("pad: layout by hand", "[ops][shape][pad]") {
  Tensor x = f64({1, 2, 3, 4}, {2, 2});
  // Last dim, one on the left: [[0, 1, 2], [0, 3, 4]].
  require_values(pad(x, {1, 0}), {0, 1, 2, 0, 3, 4});
  // Last dim right 1, first dim top 1, value -1:
  // [[-1, -1, -1], [1, 2, -1], [3, 4, -1]].
  Tensor p = pad(x, {0, 1, 1, 0}, -1);
  REQUIRE(p.shape() == Shape{3, 3});
  require_values(p, {-1, -1, -1, 1, 2, -1, 3, 4, -1});
  // Both sides of both dims: a frame of 9 around x.
  require_values(pad(x, {1, 1, 1, 1}, 9), {9, 9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9, 9, 9, 9});
  // 1-D.
  require_values(pad(f64({1, 2}, {2}), {2, 1}, 7), {7, 7, 1, 2, 7});
  // 3-D, padding only the last dim leaves the others alone.
  Tensor y = iota({2, 1, 2});
  Tensor py = pad(y, {0, 1});
  REQUIRE(py.shape() == Shape{2, 1, 3});
  require_values(py, {0, 1, 0, 2, 3, 0});
  // Non-contiguous input: x.t() = [[1, 3], [2, 4]], padded at the bottom.
  require_values(pad(x.t(), {0, 0, 0, 1}), {1, 3, 2, 4, 0, 0});
  // No pads: a copy with the same values.
  Tensor same = pad(x, {});
  REQUIRE(same.storage() != x.storage());
  require_values(same, {1, 2, 3, 4});
  REQUIRE(pad(x, {0, 0}).shape() == Shape{2, 2});
  // dtype is kept.
  REQUIRE(pad(ones({2}), {1, 1}).dtype() == DType::Float32);
}

TEST_CASE("pad: errors", "[ops][shape][pad][errors]") {
  Tensor x = zeros({2, 2}, DType::Float64);
  REQUIRE_THROWS_AS(pad(x, {1, -1}), Error);
  REQUIRE_THROWS_WITH(pad(x, {1, -1}), Catch::Contains("pad") && Catch::Contains("negative") &&
                                           Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(pad(x, {0, 0, -2, 0}), Catch::Contains("pad") && Catch::Contains("negative"));
  REQUIRE_THROWS_WITH(pad(x, {1}), Catch::Contains("pad") && Catch::Contains("even"));
  REQUIRE_THROWS_WITH(pad(x, {1, 1, 1, 1, 1, 1}),
                      Catch::Contains("pad") && Catch::Contains("[2, 2]"));
}

TEST_CASE("gradcheck: pad", "[ops][shape][pad][gradcheck]") {
  Tensor a = leaf({2, 3}, 16);
  REQUIRE_GRADCHECK([](const TensorList& in) { return pad(in[0], {1, 2}); }, TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return pad(in[0], {0, 1, 2, 1}, 0.5);
      },
      TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return pad(in[0].t(), {1, 0, 0, 2});
      },
      TensorList{a});
  Tensor b = leaf({2, 3, 4}, 17);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return pad(in[0].slice(2, 1, 4), {1, 1, 0, 1});
      },
      TensorList{b});
  // By hand: d/dx sum(w * pad(x, {1, 0})) = w without its first column.
  Tensor x = leaf({2, 2}, 18);
  mul(pad(x, {1, 0}), iota({2, 3})).sum().backward();
  require_values(x.grad(), {1, 2, 4, 5});
}

TEST_CASE("gradcheck: pad second order", "[ops][shape][pad][gradcheck]") {
  Tensor a = leaf({2, 3}, 19);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor p = pad(in[0], {1, 1, 1, 0}, 0.25);
        return mul(p, p);
      },
      TensorList{a}, {.check_second_order = true});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor p = pad(in[0].t(), {0, 2});
        return mul(p, exp(p));
      },
      TensorList{a}, {.check_second_order = true});
  require_backward_differentiable(
      [](const Tensor& x) {
        return pad(x, {2, 1, 0, 1}, 3.0);
      },
      {2, 3});
}
