// Index ops: index_select, gather, index_add, scatter_add. Values by hand, errors, gradchecks
// (including second order: each op's backward is written with the others).
#include "helpers.hpp"

using namespace tg;
using tgtest::iota;
using tgtest::leaf;
using tgtest::require_backward_differentiable;
using tgtest::require_values;

namespace {}  // namespace

// ------------------------------------------------------------------ index_select

TEST_CASE("index_select: values by hand", "[ops][shape][index]") {
  Tensor x = iota({3, 4});  // x[i, j] = 4i + j
  // Rows 2, 0, 2 (repeats allowed).
  require_values(index_select(x, 0, int64_tensor({2, 0, 2})),
                 {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
  // Columns 3, 1 and, with a negative index, the last column.
  require_values(index_select(x, 1, int64_tensor({3, 1})), {3, 1, 7, 5, 11, 9});
  require_values(index_select(x, -1, int64_tensor({-1})), {3, 7, 11});
  // A 0-d index keeps the dimension with size 1.
  Tensor r = index_select(x, 0, int64_tensor({1}).reshape({}));
  REQUIRE(r.shape() == Shape{1, 4});
  require_values(r, {4, 5, 6, 7});
  // A tensor with a zero-size dimension: nothing to copy, the shape is still right.
  REQUIRE(index_select(zeros({3, 0}), 0, int64_tensor({2, 1})).shape() == Shape{2, 0});
  // Empty index.
  REQUIRE(index_select(x, 1, int64_tensor(std::vector<std::int64_t>{})).shape() == Shape{3, 0});
  // Transposed input: xt[i, j] = x[j, i]; rows 3 and 0 of xt are columns 3 and 0 of x.
  require_values(index_select(x.t(), 0, int64_tensor({3, 0})), {3, 7, 11, 0, 4, 8});
  // A middle dimension of a 3-D tensor: x3[a, b, c] = 6a + 2b + c, b = 2 then 0.
  require_values(index_select(iota({2, 3, 2}), 1, int64_tensor({2, 0})),
                 {4, 5, 0, 1, 10, 11, 6, 7});
  // A contiguous view that starts inside its storage (rows 1-2 of x): rows 1 and 0 of it.
  require_values(index_select(x.slice(0, 1, 3), 0, int64_tensor({1, 0})),
                 {8, 9, 10, 11, 4, 5, 6, 7});
  // Non-contiguous index (every other element of [2, 9, 0, 9]).
  Tensor idx = int64_tensor({2, 9, 0, 9}).slice(0, 0, 4, 2);
  require_values(index_select(x, 0, idx), {8, 9, 10, 11, 0, 1, 2, 3});
  // The result is a copy.
  REQUIRE(index_select(x, 0, int64_tensor({0})).storage() != x.storage());
  // int64 data works too.
  Tensor xi = int64_tensor({5, 6, 7});
  REQUIRE(index_select(xi, 0, int64_tensor({2, 2})).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{7, 7});
}

TEST_CASE("index_select: errors", "[ops][shape][index][errors]") {
  Tensor x = iota({3, 4});
  REQUIRE_THROWS_AS(index_select(x, 0, int64_tensor({0, 3})), Error);
  REQUIRE_THROWS_WITH(
      index_select(x, 0, int64_tensor({0, 3})),
      Catch::Contains("index_select") && Catch::Contains("3") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(index_select(x, 1, int64_tensor({-5})),
                      Catch::Contains("index_select") && Catch::Contains("-5"));
  REQUIRE_THROWS_WITH(index_select(x, 0, tensor({0.0, 1.0})),
                      Catch::Contains("index_select") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(index_select(x, 0, int64_tensor({0, 1, 0, 1}, {2, 2})),
                      Catch::Contains("index_select") && Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(index_select(x, 2, int64_tensor({0})), Catch::Contains("index_select"));
  REQUIRE_THROWS_WITH(index_select(x, 0, Tensor{}), Catch::Contains("index_select"));
}

TEST_CASE("gradcheck: index_select", "[ops][shape][index][gradcheck]") {
  Tensor a = leaf({4, 3}, 1);
  // Repeated rows: their gradients add up.
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return index_select(in[0], 0, int64_tensor({1, 3, 1, 0}));
      },
      TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return index_select(in[0], -1, int64_tensor({2, -3}));
      },
      TensorList{a});
  // Transposed and sliced inputs.
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return index_select(in[0].t(), 1, int64_tensor({3, 3, 2}));
      },
      TensorList{a});
  Tensor b = leaf({2, 5, 3}, 2);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return index_select(in[0].slice(1, 1, 5, 2), 1, int64_tensor({1, 0, 1}));
      },
      TensorList{b});
  // By hand: d/dx sum(x[[1, 1, 2]]) = [0, 2, 1].
  Tensor x = leaf({3}, 3);
  index_select(x, 0, int64_tensor({1, 1, 2})).sum().backward();
  require_values(x.grad(), {0, 2, 1});
}

TEST_CASE("gradcheck: index_select second order", "[ops][shape][index][gradcheck]") {
  Tensor a = leaf({4, 3}, 4);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor s = index_select(in[0], 0, int64_tensor({1, 3, 1}));
        return mul(s, s);
      },
      TensorList{a}, {.check_second_order = true});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor s = index_select(in[0].t(), 0, int64_tensor({2, 0}));
        return mul(s, exp(s));
      },
      TensorList{a}, {.check_second_order = true});
  require_backward_differentiable(
      [](const Tensor& x) {
        return index_select(x, 1, int64_tensor({2, 0, 2}));
      },
      {4, 3});
}

// ------------------------------------------------------------------ gather

TEST_CASE("gather: values by hand", "[ops][shape][index]") {
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64);  // [[1, 2, 3], [4, 5, 6]]
  // dim 1: out[i][j] = x[i][idx[i][j]]: row 0 takes columns 2, 0 -> 3, 1; row 1 takes 1, 1 -> 5, 5.
  Tensor g1 = gather(x, 1, int64_tensor({2, 0, 1, 1}, {2, 2}));
  REQUIRE(g1.shape() == Shape{2, 2});
  require_values(g1, {3, 1, 5, 5});
  // dim 0: out[0][j] = x[idx[0][j]][j] = x[1][0], x[0][1], x[1][2] = 4, 2, 6.
  require_values(gather(x, 0, int64_tensor({1, 0, 1}, {1, 3})), {4, 2, 6});
  // Index smaller than the input in the other dimension: only row 0 is used.
  require_values(gather(x, 1, int64_tensor({1}, {1, 1})), {2});
  // Negative indices count from the end: x[0][-1] = 3, x[1][-3] = 4.
  require_values(gather(x, -1, int64_tensor({-1, -3}, {2, 1})), {3, 4});
  // Transposed input xt = [[1, 4], [2, 5], [3, 6]]; dim 0: out[0][j] = xt[idx[0][j]][j]
  // = xt[2][0], xt[0][1] = 3, 4.
  require_values(gather(x.t(), 0, int64_tensor({2, 0}, {1, 2})), {3, 4});
  // Transposed index: [[0, 2], [1, 0]]^T = [[0, 1], [2, 0]] -> row 0: x[0][0], x[0][1] = 1, 2;
  // row 1: x[1][2], x[1][0] = 6, 4.
  require_values(gather(x, 1, int64_tensor({0, 2, 1, 0}, {2, 2}).t()), {1, 2, 6, 4});
  // 1-D gather is indexing.
  require_values(gather(tensor({10, 20, 30}, {}, DType::Float64), 0, int64_tensor({2, 2, 0})),
                 {30, 30, 10});
}

TEST_CASE("gather: errors", "[ops][shape][index][errors]") {
  Tensor x = iota({2, 3});
  REQUIRE_THROWS_AS(gather(x, 1, int64_tensor({0, 3}, {2, 1})), Error);
  REQUIRE_THROWS_WITH(
      gather(x, 1, int64_tensor({0, 3}, {2, 1})),
      Catch::Contains("gather") && Catch::Contains("index 3") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(gather(x, 0, int64_tensor({-3}, {1, 1})),
                      Catch::Contains("gather") && Catch::Contains("-3"));
  REQUIRE_THROWS_WITH(gather(x, 1, int64_tensor({0, 1})), Catch::Contains("gather") &&
                                                              Catch::Contains("[2, 3]") &&
                                                              Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(
      gather(x, 1, int64_tensor({0, 0, 0}, {3, 1})),
      Catch::Contains("gather") && Catch::Contains("[3, 1]") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(gather(x, 1, tensor({0, 1}, {2, 1})),
                      Catch::Contains("gather") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(gather(x, 2, int64_tensor({0, 1}, {2, 1})), Catch::Contains("gather"));
}

TEST_CASE("gradcheck: gather", "[ops][shape][index][gradcheck]") {
  Tensor a = leaf({3, 4}, 5);
  // Repeated indices in a row accumulate.
  Tensor i1 = int64_tensor({3, 0, 3, 1, 1, 1, 2, 0, 3}, {3, 3});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return gather(in[0], 1, i1); }, TensorList{a});
  Tensor i0 = int64_tensor({2, 0, 1, 2, 0, 0, 2, 1}, {2, 4});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return gather(in[0], 0, i0); }, TensorList{a});
  // Transposed input {4, 3} and a sliced one.
  Tensor it = int64_tensor({0, 2, 1, 1, 0, 0}, {2, 3});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return gather(in[0].t(), 0, it); }, TensorList{a});
  Tensor b = leaf({3, 6}, 6);
  // Non-contiguous index too: columns 0 and 2 of [[2, 9, 0], [1, 9, 1], [0, 9, 2]].
  Tensor islice = int64_tensor({2, 9, 0, 1, 9, 1, 0, 9, 2}, {3, 3}).slice(1, 0, 3, 2);
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) { return gather(in[0].slice(1, 0, 6, 2), 1, islice); },
      TensorList{b});
  // 3-D, middle dimension.
  Tensor c = leaf({2, 3, 2}, 7);
  Tensor i3 = int64_tensor({2, 0, 1, 1, 0, 2, 2, 2}, {2, 2, 2});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return gather(in[0], 1, i3); }, TensorList{c});
  // By hand: x = [a, b, c], gather [2, 2, 0] and sum -> grad [1, 0, 2].
  Tensor x = leaf({3}, 8);
  gather(x, 0, int64_tensor({2, 2, 0})).sum().backward();
  require_values(x.grad(), {1, 0, 2});
}

TEST_CASE("gradcheck: gather second order", "[ops][shape][index][gradcheck]") {
  Tensor a = leaf({3, 4}, 9);
  Tensor i1 = int64_tensor({3, 0, 3, 1, 1, 1}, {2, 3});
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) {
        Tensor g = gather(in[0], 1, i1);
        return mul(g, g);
      },
      TensorList{a}, {.check_second_order = true});
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) {
        Tensor g = gather(in[0].t(), 0, i1);
        return mul(g, exp(g));
      },
      TensorList{a}, {.check_second_order = true});
  require_backward_differentiable([&](const Tensor& x) { return gather(x, 1, i1); }, {3, 4});
  require_backward_differentiable([&](const Tensor& x) { return gather(x.t(), 0, i1); }, {3, 4});
}

// ------------------------------------------------------------------ index_add

TEST_CASE("index_add: values by hand", "[ops][shape][index]") {
  Tensor base = ones({3, 2}, DType::Float64);
  Tensor src = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, DType::Float64);
  // dim 0, index [0, 2, 0]: row 0 = 1 + [1, 2] + [5, 6] = [7, 9]; row 1 = [1, 1];
  // row 2 = 1 + [3, 4] = [4, 5].
  Tensor out = index_add(base, 0, int64_tensor({0, 2, 0}), src);
  require_values(out, {7, 9, 1, 1, 4, 5});
  require_values(base, {1, 1, 1, 1, 1, 1});  // out of place
  // dim 1, index [2, 0] into zeros {2, 3}: column 2 += src[:, 0], column 0 += src[:, 1].
  Tensor s2 = tensor({1, 2, 3, 4}, {2, 2}, DType::Float64);
  require_values(index_add(zeros({2, 3}, DType::Float64), 1, int64_tensor({2, 0}), s2),
                 {2, 0, 1, 4, 0, 3});
  // Negative index and a transposed source: s2.t() = [[1, 3], [2, 4]] added at columns -1, -3.
  require_values(index_add(zeros({2, 3}, DType::Float64), -1, int64_tensor({-1, -3}), s2.t()),
                 {3, 0, 1, 4, 0, 2});
}

TEST_CASE("index_add: errors", "[ops][shape][index][errors]") {
  Tensor base = zeros({3, 2}, DType::Float64);
  Tensor src = ones({2, 2}, DType::Float64);
  REQUIRE_THROWS_WITH(
      index_add(base, 0, int64_tensor({0, 1, 2}), src),
      Catch::Contains("index_add") && Catch::Contains("[2, 2]") && Catch::Contains("[3, 2]"));
  REQUIRE_THROWS_WITH(index_add(base, 0, int64_tensor({0, 3}), src),
                      Catch::Contains("index_add") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(index_add(base, 0, tensor({0, 1}), src),
                      Catch::Contains("index_add") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(index_add(base, 0, int64_tensor({0, 1}, {1, 2}), src),
                      Catch::Contains("index_add") && Catch::Contains("[1, 2]"));
  REQUIRE_THROWS_WITH(index_add(base, 0, int64_tensor({0, 1}), ones({2, 2})),
                      Catch::Contains("index_add") && Catch::Contains("float32"));
}

TEST_CASE("gradcheck: index_add", "[ops][shape][index][gradcheck]") {
  Tensor base = leaf({4, 3}, 10);
  Tensor src = leaf({3, 3}, 11);
  Tensor idx = int64_tensor({2, 0, 2});  // repeated: both rows land in row 2
  REQUIRE_GRADCHECK([&](const TensorList& in) { return index_add(in[0], 0, idx, in[1]); },
                    TensorList{base, src});
  // Transposed src along dim 1, and a product so the gradient depends on values.
  Tensor srct = leaf({3, 4}, 12);
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) {
        Tensor o = index_add(in[0], 1, idx, in[1].t());
        return mul(o, o);
      },
      TensorList{base, srct}, {.check_second_order = true});
  require_backward_differentiable(
      [&](const Tensor& s) {
        return index_add(zeros({4, 3}, DType::Float64), 0, idx, s);
      },
      {3, 3});
  // By hand: d/dsrc sum(w * index_add(base, 0, [1, 1], src)) = rows w[1], w[1].
  Tensor s = leaf({2, 2}, 13);
  Tensor w = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, DType::Float64);
  mul(index_add(zeros({3, 2}, DType::Float64), 0, int64_tensor({1, 1}), s), w).sum().backward();
  require_values(s.grad(), {3, 4, 3, 4});
}

// ------------------------------------------------------------------ scatter_add

TEST_CASE("scatter_add: values by hand", "[ops][shape][index]") {
  // dim 1: out[i][idx[i][j]] += src[i][j].
  // Row 0: idx [0, 1, 0], src [1, 2, 3] -> col 0 += 1 + 3, col 1 += 2 -> [4, 2, 0].
  // Row 1: idx [2, 2, 1], src [4, 5, 6] -> col 2 += 4 + 5, col 1 += 6 -> [0, 6, 9].
  Tensor src = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64);
  Tensor idx = int64_tensor({0, 1, 0, 2, 2, 1}, {2, 3});
  require_values(scatter_add(zeros({2, 3}, DType::Float64), 1, idx, src), {4, 2, 0, 0, 6, 9});
  // dim 0 with src larger than the index (only src[0, 0:2] is used):
  // out[idx[0][j]][j] += src[0][j]: out[2][0] += 1, out[0][1] += 2.
  Tensor base = ones({3, 2}, DType::Float64);
  Tensor out = scatter_add(base, 0, int64_tensor({2, 0}, {1, 2}),
                           tensor({1, 2, 3, 4}, {2, 2}, DType::Float64));
  require_values(out, {1, 3, 1, 1, 2, 1});
  require_values(base, {1, 1, 1, 1, 1, 1});  // out of place
  // Transposed src: src.t() = [[1, 4], [2, 5], [3, 6]], dim 0, index [[0, 0], [1, 0], [0, 1]]:
  // col 0: rows 0, 1, 0 get 1, 2, 3 -> [4, 2]; col 1: rows 0, 0, 1 get 4, 5, 6 -> [9, 6].
  Tensor o2 = scatter_add(zeros({2, 2}, DType::Float64), 0,
                          int64_tensor({0, 0, 1, 0, 0, 1}, {3, 2}), src.t());
  require_values(o2, {4, 9, 2, 6});
}

TEST_CASE("scatter_add: errors", "[ops][shape][index][errors]") {
  Tensor base = zeros({2, 3}, DType::Float64);
  Tensor src = ones({2, 3}, DType::Float64);
  REQUIRE_THROWS_WITH(scatter_add(base, 1, int64_tensor({0, 3}, {2, 1}), src),
                      Catch::Contains("scatter_add") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(
      scatter_add(base, 1, int64_tensor({0, 1}), src),
      Catch::Contains("scatter_add") && Catch::Contains("[2, 3]") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(scatter_add(base, 1, int64_tensor({0, 0, 0, 0}, {1, 4}), src),
                      Catch::Contains("scatter_add") && Catch::Contains("[1, 4]"));
  REQUIRE_THROWS_WITH(scatter_add(base, 1, tensor({0, 0}, {2, 1}), src),
                      Catch::Contains("scatter_add") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(scatter_add(base, 1, int64_tensor({0, 0}, {2, 1}), ones({2, 3})),
                      Catch::Contains("scatter_add") && Catch::Contains("float32"));
}

TEST_CASE("gradcheck: scatter_add", "[ops][shape][index][gradcheck]") {
  Tensor base = leaf({3, 4}, 14);
  Tensor src = leaf({3, 3}, 15);
  Tensor idx = int64_tensor({3, 0, 3, 1, 1, 1, 2, 0, 3}, {3, 3});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return scatter_add(in[0], 1, idx, in[1]); },
                    TensorList{base, src});
  // src larger than the index: the unused part of src gets zero gradient (the pad path).
  Tensor big = leaf({3, 5}, 16);
  Tensor idx2 = int64_tensor({1, 0, 2, 0}, {2, 2});
  REQUIRE_GRADCHECK([&](const TensorList& in) { return scatter_add(in[0], 0, idx2, in[1]); },
                    TensorList{base, big});
  // Transposed src and second order through a product.
  Tensor srct = leaf({3, 3}, 17);
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) {
        Tensor o = scatter_add(in[0], 1, idx, in[1].t());
        return mul(o, o);
      },
      TensorList{base, srct}, {.check_second_order = true});
  require_backward_differentiable(
      [&](const Tensor& s) {
        return scatter_add(zeros({3, 4}, DType::Float64), 0, idx2, s);
      },
      {3, 5});
  // By hand: the gradient of src is the output gradient gathered: w = iota {2, 3}, idx (dim 1)
  // [[2, 2], [0, 1]] -> src.grad = [[w02, w02], [w10, w11]] = [[2, 2], [3, 4]].
  Tensor s = leaf({2, 2}, 18);
  mul(scatter_add(zeros({2, 3}, DType::Float64), 1, int64_tensor({2, 2, 0, 1}, {2, 2}), s),
      iota({2, 3}))
      .sum()
      .backward();
  require_values(s.grad(), {2, 2, 3, 4});
}
