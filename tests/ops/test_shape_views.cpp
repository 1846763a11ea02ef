// Shape ops that return views: reshape, view, flatten, transpose, t, permute, squeeze,
// unsqueeze, expand, slice, narrow. Values by hand, storage sharing, errors, gradchecks.
#include <limits>

#include "helpers.hpp"

using namespace tg;
using tgtest::iota;
using tgtest::leaf;
using tgtest::require_backward_differentiable;
using tgtest::require_values;

namespace {}  // namespace

// ------------------------------------------------------------------ reshape / view / flatten

TEST_CASE("reshape: values, -1 inference and storage sharing", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  Tensor r = x.reshape({6, -1});
  REQUIRE(r.shape() == Shape{6, 4});
  REQUIRE(r.storage() == x.storage());
  REQUIRE(r.at({1, 0}) == 4.0);  // flat element 4
  REQUIRE(r.at({5, 3}) == 23.0);
  REQUIRE(x.reshape({-1}).shape() == Shape{24});
  REQUIRE(x.reshape({2, -1, 2}).shape() == Shape{2, 6, 2});
  REQUIRE(x.reshape({2, 3, 4}).storage() == x.storage());
  REQUIRE(reshape(x, {4, 6}).at({3, 5}) == 23.0);
  // 0-d <-> shape of ones.
  REQUIRE(scalar_tensor(5.0).reshape({1, 1}).shape() == Shape{1, 1});
  REQUIRE(tensor({5.0}, {1, 1}).reshape({}).item() == 5.0);
  // Empty tensors: fixed shapes work; -1 next to a 0 is ambiguous and refused (as PyTorch).
  REQUIRE(zeros({0, 4}).reshape({2, 0, 3}).shape() == Shape{2, 0, 3});
  REQUIRE_THROWS_WITH(zeros({0, 4}).reshape({2, 0, -1}), Catch::Contains("reshape"));
}

TEST_CASE("reshape: copies only when no view is possible", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  SECTION("transposed to 1-D must copy") {
    Tensor t = x.transpose(0, 2);  // t[i, j, k] = x[k, j, i] = 12k + 4j + i, shape {4, 3, 2}
    Tensor f = t.reshape({-1});
    REQUIRE(f.storage() != x.storage());
    REQUIRE(f.is_contiguous());
    // i=0: (j=0: 0, 12) (j=1: 4, 16) (j=2: 8, 20); i=1 starts with 1, 13.
    auto v = f.to_vector<double>();
    REQUIRE(std::vector<double>(v.begin(), v.begin() + 8) ==
            std::vector<double>{0, 12, 4, 16, 8, 20, 1, 13});
  }
  SECTION("splitting a contiguous dimension of a transposed tensor is a view") {
    Tensor t = x.transpose(0, 1);  // shape {3, 2, 4}, strides {4, 12, 1}
    Tensor r = t.reshape({3, 2, 2, 2});
    REQUIRE(r.storage() == x.storage());
    REQUIRE(r.at({2, 1, 1, 0}) == x.at({1, 2, 2}));  // last dim 4 = (1, 0) -> index 2
    REQUIRE(t.reshape({3, 1, 2, 4}).storage() == x.storage());
    REQUIRE(t.reshape({6, 4}).storage() != x.storage());  // merging dims 0 and 1 needs a copy
  }
  SECTION("sliced tensor: merging the contiguous leading dims is a view") {
    Tensor s = x.slice(2, 0, 2);  // shape {2, 3, 2}, strides {12, 4, 1}
    Tensor r = s.reshape({6, 2});
    REQUIRE(r.storage() == x.storage());
    // r[i, :] = x[i / 3, i % 3, 0:2]; r[4] = x[1, 1, 0:2] = 16, 17.
    REQUIRE(r.at({4, 0}) == 16.0);
    REQUIRE(r.at({4, 1}) == 17.0);
    Tensor f = s.reshape({12});
    REQUIRE(f.storage() != x.storage());
    require_values(f, {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21});
  }
  SECTION("expanded tensor reshaped keeps a view when only size-1 dims are added") {
    Tensor e = iota({3, 1}).expand({3, 4});
    REQUIRE(e.reshape({3, 4, 1}).storage() == e.storage());
    Tensor f = e.reshape({12});
    REQUIRE(f.storage() != e.storage());
    require_values(f, {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  }
}

TEST_CASE("reshape: errors name the op and the shapes", "[ops][shape][errors]") {
  Tensor x = iota({2, 3});
  REQUIRE_THROWS_AS(x.reshape({4}), Error);
  REQUIRE_THROWS_WITH(x.reshape({4}), Catch::Contains("reshape") && Catch::Contains("[4]") &&
                                          Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(x.reshape({-1, 4}), Catch::Contains("reshape") &&
                                              Catch::Contains("[-1, 4]") &&
                                              Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(x.reshape({-1, -1}),
                      Catch::Contains("reshape") && Catch::Contains("only one dimension"));
  REQUIRE_THROWS_WITH(x.reshape({-2, -3}), Catch::Contains("reshape") && Catch::Contains("-2"));
  REQUIRE_THROWS_WITH(zeros({0, 3}).reshape({0, -1}), Catch::Contains("reshape"));
}

TEST_CASE("view: views where possible, errors otherwise", "[ops][shape]") {
  Tensor x = iota({2, 3});
  Tensor v = x.view({3, 2});
  REQUIRE(v.storage() == x.storage());
  require_values(v, {0, 1, 2, 3, 4, 5});
  REQUIRE(view(x, {-1}).shape() == Shape{6});

  Tensor t = x.t();  // shape {3, 2}, strides {1, 3}
  REQUIRE_THROWS_AS(t.view({6}), Error);
  REQUIRE_THROWS_WITH(t.view({6}), Catch::Contains("view") && Catch::Contains("[6]") &&
                                       Catch::Contains("[3, 2]") && Catch::Contains("reshape()"));
  REQUIRE_THROWS_WITH(t.view({2, 3}), Catch::Contains("view") && Catch::Contains("[2, 3]"));
  // Adding a size-1 dimension is always a view: u[i, 0, j] = t[i, j] = x[j, i].
  Tensor u = t.view({3, 1, 2});
  REQUIRE(u.storage() == x.storage());
  require_values(u, {0, 3, 1, 4, 2, 5});
  REQUIRE(u.at({2, 0, 1}) == x.at({1, 2}));
  // Expanded (stride 0) dimensions cannot be merged.
  REQUIRE_THROWS_WITH(iota({3, 1}).expand({3, 4}).view({12}), Catch::Contains("view"));
  REQUIRE_THROWS_WITH(x.view({5}), Catch::Contains("view") && Catch::Contains("[2, 3]"));
}

TEST_CASE("flatten: dimension ranges", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  REQUIRE(x.flatten().shape() == Shape{24});
  REQUIRE(x.flatten().storage() == x.storage());
  REQUIRE(x.flatten(1).shape() == Shape{2, 12});
  REQUIRE(x.flatten(0, 1).shape() == Shape{6, 4});
  REQUIRE(flatten(x, -2, -1).shape() == Shape{2, 12});
  REQUIRE(x.flatten(1, 1).shape() == Shape{2, 3, 4});
  REQUIRE(scalar_tensor(3.0).flatten().shape() == Shape{1});
  // Flattening a permuted tensor copies in the permuted order: p[k, i, j] = x[i, j, k].
  Tensor p = x.permute({2, 0, 1}).flatten(1);
  REQUIRE(p.shape() == Shape{4, 6});
  require_values(p.slice(0, 1, 2), {1, 5, 9, 13, 17, 21});
  REQUIRE_THROWS_WITH(x.flatten(2, 1), Catch::Contains("flatten"));
  REQUIRE_THROWS_WITH(x.flatten(0, 3), Catch::Contains("flatten"));
}

// ------------------------------------------------------------------ transpose / permute

TEST_CASE("transpose and t: values and storage", "[ops][shape]") {
  Tensor x = iota({2, 3});
  Tensor t = x.t();
  REQUIRE(t.shape() == Shape{3, 2});
  REQUIRE(t.storage() == x.storage());
  REQUIRE_FALSE(t.is_contiguous());
  require_values(t, {0, 3, 1, 4, 2, 5});  // t[i, j] = x[j, i] = 3j + i
  require_values(transpose(x, 0, 1), {0, 3, 1, 4, 2, 5});
  require_values(t.t(), {0, 1, 2, 3, 4, 5});
  REQUIRE(t.t().is_contiguous());
  // 1-D and 0-d: t() is the identity.
  REQUIRE(iota({4}).t().shape() == Shape{4});
  REQUIRE(scalar_tensor(2.0).t().item() == 2.0);

  Tensor y = iota({2, 3, 4});
  Tensor yt = y.transpose(-1, 0);  // yt[k, j, i] = y[i, j, k]
  REQUIRE(yt.shape() == Shape{4, 3, 2});
  REQUIRE(yt.at({3, 2, 1}) == 23.0);  // 12 + 8 + 3
  REQUIRE(yt.at({1, 0, 1}) == 13.0);  // 12 + 0 + 1
  REQUIRE(y.transpose(1, 1).storage() == y.storage());
  REQUIRE_THROWS_WITH(y.t(), Catch::Contains("t()") && Catch::Contains("[2, 3, 4]"));
  REQUIRE_THROWS_WITH(y.transpose(0, 3), Catch::Contains("transpose"));
}

TEST_CASE("permute: values, negative dims and errors", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});  // p[k, i, j] = x[i, j, k]
  REQUIRE(p.shape() == Shape{4, 2, 3});
  REQUIRE(p.storage() == x.storage());
  REQUIRE(p.at({3, 1, 2}) == 23.0);  // x[1, 2, 3] = 12 + 8 + 3
  REQUIRE(p.at({1, 0, 2}) == 9.0);   // x[0, 2, 1] = 8 + 1
  Tensor q = permute(x, {-1, 0, -2});
  REQUIRE(q.shape() == Shape{4, 2, 3});
  REQUIRE(q.at({1, 0, 2}) == 9.0);
  // Permuting back restores the layout.
  REQUIRE(p.permute({1, 2, 0}).is_contiguous());
  require_values(p.permute({1, 2, 0}), x.to_vector<double>());

  REQUIRE_THROWS_AS(x.permute({0, 0, 1}), Error);
  REQUIRE_THROWS_WITH(x.permute({0, 0, 1}), Catch::Contains("permute") &&
                                                Catch::Contains("twice") &&
                                                Catch::Contains("[2, 3, 4]"));
  REQUIRE_THROWS_WITH(x.permute({0, -3, 1}),
                      Catch::Contains("permute") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(x.permute({0, 1}),
                      Catch::Contains("permute") && Catch::Contains("3 dimensions"));
  REQUIRE_THROWS_WITH(x.permute({0, 1, 3}), Catch::Contains("permute"));
}

// ------------------------------------------------------------------ squeeze / unsqueeze / expand

TEST_CASE("squeeze: all and one dimension", "[ops][shape]") {
  Tensor x = iota({1, 3, 1, 2});
  REQUIRE(x.squeeze().shape() == Shape{3, 2});
  REQUIRE(x.squeeze().storage() == x.storage());
  REQUIRE(x.squeeze(0).shape() == Shape{3, 1, 2});
  REQUIRE(x.squeeze(-2).shape() == Shape{1, 3, 2});
  REQUIRE(squeeze(x, 2).shape() == Shape{1, 3, 2});
  REQUIRE(x.squeeze(1).shape() == Shape{1, 3, 1, 2});  // size 3: no-op, as PyTorch
  REQUIRE(x.squeeze(-1).shape() == Shape{1, 3, 1, 2});
  require_values(x.squeeze(), {0, 1, 2, 3, 4, 5});
  REQUIRE(ones({1, 1}).squeeze().shape() == Shape{});
  REQUIRE(ones({1, 1}).squeeze().item() == 1.0);
  REQUIRE(scalar_tensor(1.0).squeeze().shape() == Shape{});
  // Non-contiguous: s[a, 0, b] ... squeezed to xt2[b, j] = x[0, j, 0, b].
  Tensor xt = x.transpose(1, 3);  // shape {1, 2, 1, 3}
  Tensor s = xt.squeeze();
  REQUIRE(s.shape() == Shape{2, 3});
  REQUIRE(s.storage() == x.storage());
  require_values(s, {0, 2, 4, 1, 3, 5});
  REQUIRE_THROWS_WITH(x.squeeze(4), Catch::Contains("squeeze"));
}

TEST_CASE("unsqueeze: positive and negative dims", "[ops][shape]") {
  Tensor x = iota({2, 3});
  REQUIRE(x.unsqueeze(0).shape() == Shape{1, 2, 3});
  REQUIRE(x.unsqueeze(1).shape() == Shape{2, 1, 3});
  REQUIRE(x.unsqueeze(2).shape() == Shape{2, 3, 1});
  REQUIRE(x.unsqueeze(-1).shape() == Shape{2, 3, 1});
  REQUIRE(x.unsqueeze(-2).shape() == Shape{2, 1, 3});
  REQUIRE(unsqueeze(x, -3).shape() == Shape{1, 2, 3});
  REQUIRE(x.unsqueeze(1).storage() == x.storage());
  REQUIRE(x.unsqueeze(1).is_contiguous());
  require_values(x.unsqueeze(-1), {0, 1, 2, 3, 4, 5});
  REQUIRE(scalar_tensor(4.0).unsqueeze(0).shape() == Shape{1});
  REQUIRE(scalar_tensor(4.0).unsqueeze(-1).shape() == Shape{1});
  // On a transposed tensor: u[i, 0, j] = x[j, i].
  Tensor u = x.t().unsqueeze(1);
  REQUIRE(u.shape() == Shape{3, 1, 2});
  require_values(u, {0, 3, 1, 4, 2, 5});
  REQUIRE(u.at({2, 0, 1}) == 5.0);
  REQUIRE_THROWS_WITH(x.unsqueeze(3), Catch::Contains("unsqueeze"));
  REQUIRE_THROWS_WITH(x.unsqueeze(-4), Catch::Contains("unsqueeze"));
}

TEST_CASE("expand: -1, new leading dims, errors", "[ops][shape]") {
  Tensor x = iota({3, 1});
  Tensor e = x.expand({3, 4});
  REQUIRE(e.shape() == Shape{3, 4});
  REQUIRE(e.storage() == x.storage());
  REQUIRE(e.strides()[1] == 0);
  require_values(e, {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  REQUIRE(x.expand({-1, 2}).shape() == Shape{3, 2});
  REQUIRE(x.expand({-1, -1}).storage() == x.storage());
  Tensor l = expand(x, {2, 3, 4});
  REQUIRE(l.shape() == Shape{2, 3, 4});
  REQUIRE(l.at({1, 2, 3}) == 2.0);
  REQUIRE(x.expand({2, -1, 5}).shape() == Shape{2, 3, 5});
  REQUIRE(x.expand({3, 0}).numel() == 0);
  // Expanding a transposed row: r = [0, 1, 2] (a {1, 3} view of x), rows repeated.
  require_values(x.t().expand({2, 3}), {0, 1, 2, 0, 1, 2});
  REQUIRE(scalar_tensor(7.0).expand({2, 2}).to_vector<double>() == std::vector<double>(4, 7.0));

  REQUIRE_THROWS_AS(x.expand({3}), Error);
  REQUIRE_THROWS_WITH(x.expand({3}), Catch::Contains("expand") && Catch::Contains("[3]") &&
                                         Catch::Contains("[3, 1]"));
  REQUIRE_THROWS_WITH(x.expand({4, 4}), Catch::Contains("expand") && Catch::Contains("[3, 1]") &&
                                            Catch::Contains("[4, 4]"));
  REQUIRE_THROWS_WITH(x.expand({-1, 3, 1}), Catch::Contains("expand") &&
                                                Catch::Contains("leading") &&
                                                Catch::Contains("[-1, 3, 1]"));
  REQUIRE_THROWS_WITH(x.expand({3, -2}), Catch::Contains("expand") && Catch::Contains("[3, -2]"));
}

// ------------------------------------------------------------------ slice / narrow

TEST_CASE("slice: negative start/end, step, clamping", "[ops][shape]") {
  Tensor x = iota({10});
  require_values(x.slice(0, 2, 8, 2), {2, 4, 6});
  require_values(x.slice(0, -3, 10), {7, 8, 9});
  require_values(x.slice(0, 1, -1), {1, 2, 3, 4, 5, 6, 7, 8});
  require_values(x.slice(0, -4, -1, 2), {6, 8});
  require_values(x.slice(0, -100, 3), {0, 1, 2});   // start clamped to 0
  require_values(x.slice(0, 5, 100, 3), {5, 8});    // end clamped to 10
  require_values(x.slice(0, 0, 10, 4), {0, 4, 8});  // ceil(10 / 4) = 3 elements
  require_values(x.slice(0, 1, 10, 3), {1, 4, 7});  // ceil(9 / 3) = 3 elements
  REQUIRE(x.slice(0, 7, 3).shape() == Shape{0});    // end before start: empty
  REQUIRE(x.slice(0, 12, 20).shape() == Shape{0});  // start past the end: empty
  REQUIRE(x.slice(0, 2, 8, 2).storage() == x.storage());
  // Slice of a slice: [1..8] then every third from index 1: 2, 5, 8.
  require_values(x.slice(0, 1, 9).slice(0, 1, 100, 3), {2, 5, 8});
  // Extreme bounds are clamped without overflow.
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  REQUIRE(x.slice(0, lo, hi).shape() == Shape{10});
  require_values(x.slice(0, lo, hi, 4), {0, 4, 8});
  REQUIRE(x.slice(0, hi, lo).shape() == Shape{0});

  Tensor m = iota({3, 4});
  Tensor s = m.slice(1, 1, 4, 2);  // columns 1 and 3
  REQUIRE(s.shape() == Shape{3, 2});
  require_values(s, {1, 3, 5, 7, 9, 11});
  require_values(slice(m, -1, 0, 2), {0, 1, 4, 5, 8, 9});
  require_values(m.slice(0, -1, 3), {8, 9, 10, 11});
  // Slicing a transposed tensor: m.t()[1:3] = columns 1, 2 of m as rows.
  require_values(m.t().slice(0, 1, 3), {1, 5, 9, 2, 6, 10});

  REQUIRE_THROWS_WITH(x.slice(0, 0, 5, 0), Catch::Contains("slice") && Catch::Contains("step"));
  REQUIRE_THROWS_WITH(x.slice(0, 0, 5, -1), Catch::Contains("slice") && Catch::Contains("step"));
  REQUIRE_THROWS_WITH(x.slice(1, 0, 5), Catch::Contains("slice"));
  REQUIRE_THROWS_WITH(scalar_tensor(1.0).slice(0, 0, 1), Catch::Contains("slice"));
}

TEST_CASE("narrow: values and errors", "[ops][shape]") {
  Tensor m = iota({3, 4});
  require_values(m.narrow(1, 1, 2), {1, 2, 5, 6, 9, 10});
  require_values(m.narrow(0, -1, 1), {8, 9, 10, 11});
  require_values(narrow(m, -1, 3, 1), {3, 7, 11});
  REQUIRE(m.narrow(1, 4, 0).shape() == Shape{3, 0});
  REQUIRE(m.narrow(0, 1, 2).storage() == m.storage());
  REQUIRE_THROWS_AS(m.narrow(1, 3, 2), Error);
  REQUIRE_THROWS_WITH(m.narrow(1, 3, 2), Catch::Contains("narrow") && Catch::Contains("size 4"));
  REQUIRE_THROWS_WITH(m.narrow(1, 0, -1), Catch::Contains("narrow"));
  REQUIRE_THROWS_WITH(m.narrow(0, -4, 1), Catch::Contains("narrow"));
  REQUIRE_THROWS_WITH(m.narrow(2, 0, 1), Catch::Contains("narrow"));
}

// ------------------------------------------------------------------ storage sharing, in place

TEST_CASE("views share storage: fill_ through a view is visible in the base", "[ops][shape]") {
  Tensor base = zeros({3, 4});
  const auto v0 = base.version();
  base.slice(1, 1, 3).fill_(7);                    // columns 1, 2
  base.t().narrow(0, 0, 1).fill_(2);               // column 0
  base.reshape({12}).slice(0, 3, 12, 4).fill_(9);  // flat 3, 7, 11: column 3
  require_values(base, {2, 7, 7, 9, 2, 7, 7, 9, 2, 7, 7, 9});
  REQUIRE(base.version() > v0);                 // the views bumped the shared storage's version
  base.view({2, 6}).narrow(0, 1, 1).fill_(-1);  // flat 6..11
  base.permute({1, 0}).unsqueeze(0).squeeze(0).narrow(1, 0, 1).fill_(5);  // row 0
  base.flatten().narrow(0, 4, 1).copy_(scalar_tensor(3.0));               // flat 4
  require_values(base, {5, 5, 5, 5, 3, 7, -1, -1, -1, -1, -1, -1});
  // And the other way: writing the base shows through an existing view.
  Tensor col = base.slice(1, 2, 3);
  base.fill_(1);
  require_values(col, {1, 1, 1});
}

TEST_CASE("views of a leaf that requires grad: in place only outside grad mode", "[ops][shape]") {
  Tensor w = leaf({2, 3}, 3);
  {
    NoGradGuard ng;
    Tensor r = w.narrow(1, 0, 1);
    REQUIRE(r.storage() == w.storage());
    r.fill_(0.5);
    w.t().slice(0, 2, 3).fill_(-0.5);
  }
  REQUIRE(w.at({0, 0}) == 0.5);
  REQUIRE(w.at({1, 0}) == 0.5);
  REQUIRE(w.at({0, 2}) == -0.5);
  REQUIRE(w.at({1, 2}) == -0.5);
  // With grad mode on, the view requires grad (it is on the tape) and the write is refused.
  Tensor v = w.slice(1, 0, 2);
  REQUIRE(v.requires_grad());
  REQUIRE_THROWS_WITH(v.fill_(1.0), Catch::Contains("fill_"));
  REQUIRE(w.at({0, 1}) != 1.0);
}

// ------------------------------------------------------------------ gradchecks

TEST_CASE("gradcheck: reshape, contiguous and non-contiguous inputs", "[ops][shape][gradcheck]") {
  Tensor a = leaf({2, 3, 4}, 1);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].reshape({4, -1}); }, TensorList{a});
  // Transposed input: the copy path (contiguous, then view).
  Tensor b = leaf({4, 3, 2}, 2);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return mul(in[0].transpose(0, 2).reshape({6, 4}), 2.0);
      },
      TensorList{b});
  // Sliced input.
  Tensor c = leaf({2, 3, 6}, 3);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].slice(2, 1, 5).reshape({-1}); },
                    TensorList{c});
  // The result used twice with a product, so the gradient depends on the values.
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor r = in[0].reshape({3, 8});
        return mul(r, r);
      },
      TensorList{a});
}

TEST_CASE("gradcheck: view and flatten", "[ops][shape][gradcheck]") {
  Tensor a = leaf({2, 6}, 4);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].view({3, 4}); }, TensorList{a});
  // View of a transposed leaf that only adds a size-1 dimension.
  Tensor b = leaf({3, 2}, 5);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return mul(in[0].t().view({2, 3, 1}), in[0].t().view({2, 3, 1}));
      },
      TensorList{b});
  Tensor c = leaf({2, 3, 4}, 6);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].flatten(1); }, TensorList{c});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return in[0].permute({2, 0, 1}).flatten(0, 1);
      },
      TensorList{c});
}

TEST_CASE("gradcheck: transpose, t and permute", "[ops][shape][gradcheck]") {
  Tensor a = leaf({2, 3, 4}, 7);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].transpose(0, 2); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].transpose(-1, 1); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].permute({1, 2, 0}); }, TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return in[0].permute({2, 0, 1}).permute({0, 2, 1});
      },
      TensorList{a});
  // Permute of a sliced leaf, multiplied by a second leaf so both gradients are non-trivial.
  Tensor b = leaf({2, 3, 5}, 8);
  Tensor w = leaf({4, 2, 3}, 9);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return mul(in[0].slice(2, 1, 5).permute({2, 0, 1}), in[1]);
      },
      TensorList{b, w});
  Tensor m = leaf({3, 5}, 10);
  REQUIRE_GRADCHECK([](const TensorList& in) { return mul(in[0].t(), in[0].t()); }, TensorList{m});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].transpose(0, 2); }, TensorList{a},
                    {.check_second_order = true});
  require_backward_differentiable([](const Tensor& x) { return x.permute({1, 2, 0}); }, {2, 3, 4});
}

TEST_CASE("gradcheck: squeeze and unsqueeze", "[ops][shape][gradcheck]") {
  Tensor a = leaf({1, 3, 1, 2}, 11);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].squeeze(); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].squeeze(-2); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].transpose(1, 3).squeeze(); },
                    TensorList{a});
  Tensor b = leaf({3, 4}, 12);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].unsqueeze(-1); }, TensorList{b});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].t().unsqueeze(1); }, TensorList{b});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].slice(1, 0, 4, 2).unsqueeze(0); },
                    TensorList{b});
  require_backward_differentiable([](const Tensor& x) { return x.unsqueeze(1).squeeze(); }, {3, 4});
}

TEST_CASE("gradcheck: expand sums the gradient over broadcast dims", "[ops][shape][gradcheck]") {
  Tensor a = leaf({3, 1}, 13);
  Tensor w = leaf({2, 3, 4}, 14);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].expand({2, 3, 4}); }, TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return mul(in[0].expand({2, -1, 4}), in[1]);
      },
      TensorList{a, w});
  Tensor b = leaf({1, 4}, 15);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].expand({3, -1}); }, TensorList{b});
  // Non-contiguous: a transposed {4, 1} leaf expanded along dim 0.
  Tensor c = leaf({4, 1}, 16);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].t().expand({5, 4}); }, TensorList{c});
  // By hand: x of shape {3, 1} expanded to {2, 3, 4} and summed; each element is used 8 times.
  Tensor x = leaf({3, 1}, 17);
  x.expand({2, 3, 4}).sum().backward();
  require_values(x.grad(), {8, 8, 8});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor e = in[0].expand({2, 3, 4});
        return mul(e, e);
      },
      TensorList{a}, {.check_second_order = true});
  require_backward_differentiable([](const Tensor& t) { return t.expand({2, 3, 4}); }, {3, 1});
}

TEST_CASE("gradcheck: slice with negative bounds and steps", "[ops][shape][gradcheck]") {
  Tensor a = leaf({5, 6}, 18);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].slice(1, 1, 5); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].slice(0, -4, -1, 2); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].slice(1, 0, 100, 3); }, TensorList{a});
  // Transposed leaf, then a stepped slice of a slice.
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].t().slice(0, 1, 6).slice(0, 0, 5, 2); },
                    TensorList{a});
  // Overlapping slices of one leaf: gradients accumulate where they overlap.
  REQUIRE_GRADCHECK(
      [](const TensorList& in) { return mul(in[0].slice(1, 0, 4), in[0].slice(1, 2, 6)); },
      TensorList{a});
  // By hand: d/dx sum(x[1:4:2]) is 1 at indices 1, 3 and 0 elsewhere.
  Tensor x = leaf({5}, 19);
  x.slice(0, 1, 4, 2).sum().backward();
  require_values(x.grad(), {0, 1, 0, 1, 0});
}

TEST_CASE("gradcheck: slice second order", "[ops][shape][gradcheck]") {
  Tensor a = leaf({4, 6}, 20);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor s = in[0].slice(1, -5, 6, 2);
        return mul(s, s);
      },
      TensorList{a}, {.check_second_order = true});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor s = in[0].t().slice(0, 1, 4);
        return mul(s, exp(s));
      },
      TensorList{a}, {.check_second_order = true});
  require_backward_differentiable([](const Tensor& x) { return x.slice(1, 1, 6, 2); }, {4, 6});
  require_backward_differentiable([](const Tensor& x) { return x.t().slice(0, -2, 6); }, {4, 6});
}

TEST_CASE("gradcheck: narrow", "[ops][shape][gradcheck]") {
  Tensor a = leaf({4, 5}, 21);
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].narrow(1, 1, 3); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].narrow(0, -2, 2); }, TensorList{a});
  REQUIRE_GRADCHECK([](const TensorList& in) { return in[0].t().narrow(0, 2, 2); }, TensorList{a});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor n = in[0].narrow(1, 1, 3);
        return mul(n, n);
      },
      TensorList{a}, {.check_second_order = true});
}

TEST_CASE("gradcheck: chain of views feeding a product, second order", "[ops][shape][gradcheck]") {
  Tensor a = leaf({2, 3, 4}, 22);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        Tensor v = in[0].permute({2, 0, 1}).reshape({4, 6}).unsqueeze(0).squeeze(0).reshape({-1});
        return mul(v, v.slice(0, 0, 24).flatten());
      },
      TensorList{a}, {.check_second_order = true});
  require_backward_differentiable(
      [](const Tensor& x) {
        return x.permute({2, 0, 1}).reshape({4, 6}).reshape({2, 12});
      },
      {2, 3, 4});
}
