// Tests for ops/linalg.hpp: matmul with torch.matmul semantics.
#include "helpers.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

#define GRADCHECK(...) REQUIRE_GRADCHECK(__VA_ARGS__)

namespace {

// Reference batched matmul in double on plain index arithmetic: a [B..., M, K] and b [B..., K, N]
// already broadcast by the caller through at().
double ref_entry(const Tensor& a, const Tensor& b, const std::vector<std::int64_t>& ai,
                 const std::vector<std::int64_t>& bi, std::int64_t K) {
  double s = 0;
  std::vector<std::int64_t> ia = ai, ib = bi;
  for (std::int64_t k = 0; k < K; ++k) {
    ia.back() = k;
    ib[ib.size() - 2] = k;
    s += a.at(ia) * b.at(ib);
  }
  return s;
}

}  // namespace

// ------------------------------------------------------------------------------------- values

TEST_CASE("matmul: values by hand for every rank combination", "[ops][linalg]") {
  // 1-D . 1-D: 1*4 + 2*5 + 3*6 = 32, a 0-d result.
  const Tensor d =
      matmul(tensor({1, 2, 3}, {3}, DType::Float64), tensor({4, 5, 6}, {3}, DType::Float64));
  REQUIRE(d.dim() == 0);
  REQUIRE(d.item() == 32.0);

  const Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64);  // [[1,2,3],[4,5,6]]
  // 1-D . 2-D: [1, 2] @ m = [1+8, 2+10, 3+12]
  const Tensor v1 = matmul(tensor({1, 2}, {2}, DType::Float64), m);
  REQUIRE(v1.shape() == Shape{3});
  require_values(v1, {9, 12, 15});
  // 2-D . 1-D: m @ [1, 0, -1] = [1-3, 4-6]
  const Tensor v2 = matmul(m, tensor({1, 0, -1}, {3}, DType::Float64));
  REQUIRE(v2.shape() == Shape{2});
  require_values(v2, {-2, -2});
  // 2-D . 2-D: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[5+14, 6+16], [15+28, 18+32]]
  const Tensor p = matmul(tensor({1, 2, 3, 4}, {2, 2}), tensor({5, 6, 7, 8}, {2, 2}));
  REQUIRE(p.shape() == Shape{2, 2});
  REQUIRE(p.dtype() == DType::Float32);
  require_values(p, {19, 22, 43, 50});
  // m @ m^T: rows . rows = [[1+4+9, 4+10+18], [.., 16+25+36]]
  require_values(matmul(m, m.t()), {14, 32, 32, 77});
  // m^T @ m: columns . columns: (0,0) 1+16, (0,1) 2+20, (0,2) 3+24, (1,1) 4+25, (1,2) 6+30,
  // (2,2) 9+36
  require_values(matmul(m.t(), m), {17, 22, 27, 22, 29, 36, 27, 36, 45});

  // 1-D . 3-D: [1, -1] @ batch of two 2x2 matrices -> row0 - row1 of each.
  // batch 0 = [[1,2],[3,4]] -> [-2, -2]; batch 1 = [[5,6],[7,9]] -> [-2, -3]
  const Tensor b3 = tensor({1, 2, 3, 4, 5, 6, 7, 9}, {2, 2, 2}, DType::Float64);
  const Tensor r13 = matmul(tensor({1, -1}, {2}, DType::Float64), b3);
  REQUIRE(r13.shape() == Shape{2, 2});
  require_values(r13, {-2, -2, -2, -3});
  // 3-D . 1-D: each matrix times [1, 1] = row sums: [3, 7], [11, 16]
  const Tensor r31 = matmul(b3, tensor({1, 1}, {2}, DType::Float64));
  REQUIRE(r31.shape() == Shape{2, 2});
  require_values(r31, {3, 7, 11, 16});
  // 3-D . 2-D: each matrix times [[0,1],[1,0]] swaps columns.
  require_values(matmul(b3, tensor({0, 1, 1, 0}, {2, 2}, DType::Float64)),
                 {2, 1, 4, 3, 6, 5, 9, 7});
  // 2-D . 3-D: [[0,1],[1,0]] times each matrix swaps rows.
  require_values(matmul(tensor({0, 1, 1, 0}, {2, 2}, DType::Float64), b3),
                 {3, 4, 1, 2, 7, 9, 5, 6});
}

TEST_CASE("matmul: batched broadcast and non-contiguous operands against a reference",
          "[ops][linalg]") {
  Generator g(3);
  struct Pair {
    Tensor a, b;
    Shape expect;
  };
  const Tensor a4 = uniform({2, 1, 3, 4}, -1, 1, DType::Float64, &g);
  const Tensor b3 = uniform({5, 4, 2}, -1, 1, DType::Float64, &g);
  const Tensor at = uniform({2, 4, 3}, -1, 1, DType::Float64, &g);  // transposed in the test
  const Tensor wide = uniform({3, 9}, -1, 1, DType::Float64, &g);   // sliced with step 2
  const Tensor bperm = uniform({4, 2, 5}, -1, 1, DType::Float64, &g);
  const Tensor row = uniform({1, 4}, -1, 1, DType::Float64, &g);
  std::vector<Pair> pairs = {
      {a4, b3, {2, 5, 3, 2}},
      // Batch [2] broadcast against [5, 1]: [5, 2, 3, 2].
      {at.transpose(1, 2), uniform({5, 1, 4, 2}, -1, 1, DType::Float64, &g), {5, 2, 3, 2}},
      // Strided slice (inner stride 2) times a transposed matrix.
      {wide.slice(1, 0, 8, 2), uniform({3, 4}, -1, 1, DType::Float64, &g).t(), {3, 3}},
      // Permuted batch dims on b: [2, 4, 5].
      {uniform({2, 3, 4}, -1, 1, DType::Float64, &g), bperm.permute({1, 0, 2}), {2, 3, 5}},
      // An expanded (stride 0) operand.
      {row.expand({3, 4}), uniform({4, 2}, -1, 1, DType::Float64, &g), {3, 2}},
      {uniform({2, 3, 4}, -1, 1, DType::Float64, &g), row.t().expand({2, 4, 3}), {2, 3, 3}},
      // Rows and columns of size 1.
      {uniform({1, 4}, -1, 1, DType::Float64, &g),
       uniform({4, 1}, -1, 1, DType::Float64, &g),
       {1, 1}},
      {uniform({5, 1}, -1, 1, DType::Float64, &g),
       uniform({1, 6}, -1, 1, DType::Float64, &g),
       {5, 6}},
      // Large enough for several gemm tiles, with a transposed operand.
      {uniform({40, 33}, -1, 1, DType::Float64, &g),
       uniform({17, 33}, -1, 1, DType::Float64, &g).t(),
       {40, 17}},
  };
  for (std::size_t pi = 0; pi < pairs.size(); ++pi) {
    const Pair& p = pairs[pi];
    INFO("pair " << pi << ": " << shape_str(p.a.shape()) << " @ " << shape_str(p.b.shape()));
    const Tensor out = matmul(p.a, p.b);
    REQUIRE(out.shape() == p.expect);
    // The same product in float32 too (the float kernel has different tiles).
    const Tensor out32 = matmul(p.a.to(DType::Float32), p.b.to(DType::Float32));
    REQUIRE(out32.dtype() == DType::Float32);
    const std::int64_t nd = out.dim(), K = p.a.shape().back();
    const std::int64_t na = p.a.dim(), nb = p.b.dim();
    const auto vals = out.to_vector<double>(), vals32 = out32.to_vector<double>();
    for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
      std::vector<std::int64_t> idx(static_cast<std::size_t>(nd));
      std::int64_t rem = flat;
      for (std::int64_t d = nd - 1; d >= 0; --d) {
        idx[d] = rem % out.shape()[d];
        rem /= out.shape()[d];
      }
      // Broadcast the batch index into a and b (size-1 dims read index 0).
      std::vector<std::int64_t> ai(static_cast<std::size_t>(na)), bi(static_cast<std::size_t>(nb));
      for (std::int64_t d = 0; d < na - 2; ++d) {
        const std::int64_t od = nd - na + d;
        ai[d] = p.a.shape()[d] == 1 ? 0 : idx[od];
      }
      for (std::int64_t d = 0; d < nb - 2; ++d) {
        const std::int64_t od = nd - nb + d;
        bi[d] = p.b.shape()[d] == 1 ? 0 : idx[od];
      }
      ai[na - 2] = idx[nd - 2];
      bi[nb - 1] = idx[nd - 1];
      const double ref = ref_entry(p.a, p.b, ai, bi, K);
      REQUIRE(vals[flat] == Approx(ref).margin(1e-12));
      REQUIRE(vals32[flat] == Approx(ref).margin(1e-5));
    }
  }
}

TEST_CASE("matmul: gradients by hand", "[ops][linalg]") {
  // L = sum(A @ B): dL/dA[i,k] = sum_j B[k,j] (row sums of B), dL/dB[k,j] = sum_i A[i,k]
  // (column sums of A).
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64).requires_grad_();
  Tensor b = tensor({1, -1, 2, 0, 3, 5}, {3, 2}, DType::Float64).requires_grad_();
  sum(matmul(a, b)).backward();
  // B rows: [1,-1] -> 0, [2,0] -> 2, [3,5] -> 8
  require_values(a.grad(), {0, 2, 8, 0, 2, 8}, 1e-15);
  // A columns: 1+4, 2+5, 3+6
  require_values(b.grad(), {5, 5, 7, 7, 9, 9}, 1e-15);

  // Dot product: d(x.y)/dx = y.
  Tensor x = tensor({1, 2, 3}, {3}, DType::Float64).requires_grad_();
  Tensor y = tensor({4, 5, 6}, {3}, DType::Float64).requires_grad_();
  matmul(x, y).backward();
  require_values(x.grad(), {4, 5, 6}, 1e-15);
  require_values(y.grad(), {1, 2, 3}, 1e-15);

  // Broadcast batch: [2, 2, 3] @ [3, 1]; the gradient of the shared b sums over the batch:
  // dL/db[k] = sum over batch and rows of A[.., k] = sum of the k-th column over all 4 rows.
  Tensor a3 =
      tensor({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 3}, DType::Float64).requires_grad_();
  Tensor b1 = tensor({1, 1, 1}, {3, 1}, DType::Float64).requires_grad_();
  sum(matmul(a3, b1)).backward();
  // columns: 1+4+7+10, 2+5+8+11, 3+6+9+12
  require_values(b1.grad(), {22, 26, 30}, 1e-15);
  REQUIRE(b1.grad().shape() == Shape{3, 1});
  require_values(a3.grad(), std::vector<double>(12, 1.0), 1e-15);
}

TEST_CASE("matmul: empty inner dimension gives zeros", "[ops][linalg]") {
  // A sum over nothing: [2, 0] @ [0, 3] is a 2x3 zero matrix.
  const Tensor z = matmul(zeros({2, 0}, DType::Float64), zeros({0, 3}, DType::Float64));
  REQUIRE(z.shape() == Shape{2, 3});
  require_values(z, {0, 0, 0, 0, 0, 0});
  REQUIRE(matmul(zeros({0}), zeros({0})).item() == 0.0);
  REQUIRE(matmul(zeros({0, 4}), zeros({4, 3})).shape() == Shape{0, 3});
}

// --------------------------------------------------------------------------------- gradchecks

TEST_CASE("gradcheck: matmul 1-D x 1-D", "[ops][linalg]") {
  Tensor a = leaf({5}, 1), b = leaf({5}, 2);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{a, b});
  // Strided 1-D operands.
  Tensor c = leaf({10}, 3);
  GRADCHECK([](const TensorList& in) { return matmul(in[0].slice(0, 0, 10, 2), in[1]); },
            TensorList{c, b});
}

TEST_CASE("gradcheck: matmul 1-D x 2-D", "[ops][linalg]") {
  Tensor a = leaf({4}, 4), b = leaf({4, 3}, 5), bt = leaf({3, 4}, 6);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{a, b});
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1].t()); }, TensorList{a, bt});
}

TEST_CASE("gradcheck: matmul 2-D x 1-D", "[ops][linalg]") {
  Tensor a = leaf({3, 4}, 7), at = leaf({4, 3}, 8), b = leaf({4}, 9);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{a, b});
  GRADCHECK([](const TensorList& in) { return matmul(in[0].t(), in[1]); }, TensorList{at, b});
}

TEST_CASE("gradcheck: matmul 2-D x 2-D", "[ops][linalg]") {
  Tensor a = leaf({3, 4}, 10), b = leaf({4, 2}, 11);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{a, b});
  // Row vector times column vector, and column times row (outer product).
  Tensor r = leaf({1, 4}, 12), c = leaf({4, 1}, 13);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{r, c});
  GRADCHECK([](const TensorList& in) { return matmul(in[1], in[0]); }, TensorList{r, c});
}

TEST_CASE("gradcheck: matmul transposed operands", "[ops][linalg]") {
  Tensor at = leaf({4, 3}, 14), bt = leaf({2, 4}, 15), a = leaf({3, 4}, 16), b = leaf({4, 2}, 17);
  GRADCHECK([](const TensorList& in) { return matmul(in[0].t(), in[1].t()); }, TensorList{at, bt});
  GRADCHECK([](const TensorList& in) { return matmul(in[0].t(), in[1]); }, TensorList{at, b});
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1].t()); }, TensorList{a, bt});
  // Slices with a step: not a gemm layout, so matmul copies them first.
  Tensor wa = leaf({3, 9}, 18), wb = leaf({8, 5}, 19);
  GRADCHECK(
      [](const TensorList& in) {
        return matmul(in[0].slice(1, 1, 9, 2), in[1].slice(0, 0, 8, 2).slice(1, 1, 5));
      },
      TensorList{wa, wb});
  // Batched with transposed matrices.
  Tensor ba = leaf({2, 4, 3}, 20), bb = leaf({2, 2, 4}, 21);
  GRADCHECK(
      [](const TensorList& in) { return matmul(in[0].transpose(-1, -2), in[1].transpose(1, 2)); },
      TensorList{ba, bb});
}

TEST_CASE("gradcheck: matmul batched broadcast", "[ops][linalg]") {
  // [2,1,3,4] @ [5,4,2] -> [2,5,3,2]
  Tensor a = leaf({2, 1, 3, 4}, 22), b = leaf({5, 4, 2}, 23);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{a, b});
  // Batch against a plain matrix on either side.
  Tensor c = leaf({3, 2, 4}, 24), m = leaf({4, 3}, 25), m2 = leaf({5, 2}, 26);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{c, m});
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{m2, c});
  // Batch against a vector on either side.
  Tensor v = leaf({4}, 27), w = leaf({2}, 28);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{c, v});
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{w, c});
  // Size-1 batch dims on both sides: [1,3,2,4] @ [2,1,4,3] -> [2,3,2,3].
  Tensor p = leaf({1, 3, 2, 4}, 29), q = leaf({2, 1, 4, 3}, 30);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{p, q});
  // Permuted batch dims: a leaf [3, 2, 4] seen as [2, 3, 4].
  Tensor pa = leaf({3, 2, 4}, 31), pb = leaf({2, 4, 2}, 32);
  GRADCHECK(
      [](const TensorList& in) {
        return matmul(in[0].permute({1, 0, 2}), in[1].unsqueeze(1));
      },
      TensorList{pa, pb});
  // An expanded operand: the gradient sums over the expanded dim.
  Tensor e = leaf({1, 4}, 33), f = leaf({3, 4, 2}, 34);
  GRADCHECK(
      [](const TensorList& in) {
        return matmul(in[0].expand({3, 5, 4}), in[1]);
      },
      TensorList{e, f});
}

TEST_CASE("gradcheck: matmul second order", "[ops][linalg]") {
  // matmul is bilinear: the mixed second derivatives are non-zero.
  Tensor a = leaf({2, 1, 3, 4}, 35), b = leaf({5, 4, 2}, 36);
  GRADCHECK([](const TensorList& in) { return matmul(in[0], in[1]); }, TensorList{a, b},
            {.check_second_order = true});
  Tensor at = leaf({4, 3}, 37), v = leaf({4}, 38);
  GRADCHECK(
      [](const TensorList& in) {
        const Tensor y = matmul(in[0].t(), in[1]);
        return matmul(y, y);
      },
      TensorList{at, v}, {.check_second_order = true});
}

// ------------------------------------------------------------------------------------- errors

TEST_CASE("matmul: errors name the op and the shapes", "[ops][linalg]") {
  const Tensor a = zeros({2, 3}), b = zeros({4, 5});
  REQUIRE_THROWS_AS(matmul(a, b), Error);
  REQUIRE_THROWS_WITH(matmul(a, b), Catch::Contains("matmul") && Catch::Contains("[2, 3]") &&
                                        Catch::Contains("[4, 5]"));
  // Batched inner mismatch.
  REQUIRE_THROWS_WITH(
      matmul(zeros({2, 3, 4}), zeros({2, 5, 6})),
      Catch::Contains("matmul") && Catch::Contains("[2, 3, 4]") && Catch::Contains("[2, 5, 6]"));
  // Batch dims that do not broadcast.
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3, 4}), zeros({3, 4, 5})), Catch::Contains("matmul") &&
                                                                      Catch::Contains("[2]") &&
                                                                      Catch::Contains("[3]"));
  // 1-D size mismatches.
  REQUIRE_THROWS_WITH(matmul(zeros({3}), zeros({4})),
                      Catch::Contains("matmul") && Catch::Contains("3") && Catch::Contains("4"));
  REQUIRE_THROWS_WITH(matmul(zeros({3}), zeros({4, 2})),
                      Catch::Contains("matmul") && Catch::Contains("[4, 2]"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 4}), zeros({3})),
                      Catch::Contains("matmul") && Catch::Contains("[2, 4]"));
  // 0-d operands.
  REQUIRE_THROWS_WITH(matmul(scalar_tensor(1.0), zeros({3})),
                      Catch::Contains("matmul") && Catch::Contains("1 dimension"));
  // int64 and dtype mismatch.
  REQUIRE_THROWS_WITH(matmul(int64_tensor({1, 2}, {2}), int64_tensor({3, 4}, {2})),
                      Catch::Contains("matmul") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 2}, DType::Int64), zeros({2, 2}, DType::Int64)),
                      Catch::Contains("matmul") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3}, DType::Float32), zeros({3, 2}, DType::Float64)),
                      Catch::Contains("matmul") && Catch::Contains("float32") &&
                          Catch::Contains("float64") && Catch::Contains("[2, 3]") &&
                          Catch::Contains("[3, 2]"));
  // Undefined operand.
  REQUIRE_THROWS_WITH(matmul(Tensor(), zeros({2})),
                      Catch::Contains("matmul") && Catch::Contains("undefined"));
}
