#include "tapegrad/ops/linalg.hpp"

#include "tapegrad/autograd/observe.hpp"

#include "tapegrad/kernels/gemm.hpp"
#include "tapegrad/ops/detail.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg {

using autograd::SavedTensor;

namespace {

// Whether the last two dims can be fed to gemm directly: row-major (inner stride 1) or
// transposed (row stride 1). Returns {transposed, leading dimension}.
bool gemm_layout(const Tensor& t, bool& trans, std::int64_t& ld) {
  const auto nd = t.dim();
  const std::int64_t rows = t.shape()[nd - 2], cols = t.shape()[nd - 1];
  const std::int64_t rs = t.strides()[nd - 2], cs = t.strides()[nd - 1];
  if (cs == 1 || cols == 1) {
    trans = false;
    ld = rows == 1 ? std::max<std::int64_t>(cols, 1) : rs;
    return ld >= cols;
  }
  if (rs == 1 || rows == 1) {
    trans = true;
    ld = cols == 1 ? std::max<std::int64_t>(rows, 1) : cs;
    return ld >= rows;
  }
  return false;
}

// a: [..., M, K], b: [..., K, N], both >= 2-D; batch dims broadcast.
Tensor matmul_nd(const Tensor& a_in, const Tensor& b_in) {
  const std::int64_t M = a_in.shape()[a_in.dim() - 2], K = a_in.shape()[a_in.dim() - 1];
  const std::int64_t K2 = b_in.shape()[b_in.dim() - 2], N = b_in.shape()[b_in.dim() - 1];
  if (K != K2)
    fail(
        "matmul: shapes {} and {} cannot be multiplied ({}x{} and {}x{}: inner sizes {} and {} "
        "differ)",
        shape_str(a_in.shape()), shape_str(b_in.shape()), M, K, K2, N, K, K2);
  const Shape ba(a_in.shape().begin(), a_in.shape().end() - 2);
  const Shape bb(b_in.shape().begin(), b_in.shape().end() - 2);
  const Shape batch = broadcast_shapes(ba, bb, "matmul (batch dimensions)");
  Tensor a = a_in, b = b_in;
  bool ta = false, tb = false;
  std::int64_t lda = 0, ldb = 0;
  {
    NoGradGuard ng;
    if (!gemm_layout(a, ta, lda)) {
      a = a.contiguous();
      gemm_layout(a, ta, lda);
    }
    if (!gemm_layout(b, tb, ldb)) {
      b = b.contiguous();
      gemm_layout(b, tb, ldb);
    }
  }
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  // Batch strides of a and b, broadcast to `batch` (0 along broadcast dims).
  auto batch_strides = [&](const Tensor& t, const Shape& tb_shape) {
    Shape st(batch.size(), 0);
    const std::size_t lead = batch.size() - tb_shape.size();
    for (std::size_t d = 0; d < tb_shape.size(); ++d)
      st[lead + d] = tb_shape[d] == 1 ? 0 : t.strides()[d];
    return st;
  };
  const Shape sta = batch_strides(a, ba), stb = batch_strides(b, bb);
  const std::int64_t nbatch = numel_of(batch);
  autograd::note_flops(2.0 * static_cast<double>(M) * N * K * nbatch);
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, std::int64_t>) {
      fail("matmul: int64 is not supported; convert to float32 or float64");
    } else {
      const T* ap = static_cast<const T*>(a.raw_data());
      const T* bp = static_cast<const T*>(b.raw_data());
      T* op = out.data_ptr<T>();
      std::vector<std::int64_t> idx(batch.size(), 0);
      for (std::int64_t i = 0; i < nbatch; ++i) {
        std::int64_t oa = 0, ob = 0;
        for (std::size_t d = 0; d < batch.size(); ++d) {
          oa += idx[d] * sta[d];
          ob += idx[d] * stb[d];
        }
        kernels::gemm<T>(ta, tb, M, N, K, T(1), ap + oa, lda, bp + ob, ldb, T(0), op + i * M * N,
                         N);
        for (std::size_t d = batch.size(); d-- > 0;) {
          if (++idx[d] < batch[d]) break;
          idx[d] = 0;
        }
      }
    }
  });
  autograd::record("matmul", {a_in, b_in}, out, {.saved_inputs = autograd::saved(0, 1)},
                   [a_in_saved = SavedTensor(a_in), b_in_saved = SavedTensor(b_in)](const Tensor& g,
                                                                                    const Tensor&) {
                     const Tensor a_in = a_in_saved.get();
                     const Tensor b_in = b_in_saved.get();
                     // dA = g B^T, dB = A^T g; the engine sums broadcast batch dims away.
                     return TensorList{
                         a_in.requires_grad() ? matmul(g, transpose(b_in, -1, -2)) : Tensor(),
                         b_in.requires_grad() ? matmul(transpose(a_in, -1, -2), g) : Tensor()};
                   });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("matmul", loc);
  detail::check_defined(a, "matmul", "first input");
  detail::check_defined(b, "matmul", "second input");
  detail::check_same_dtype(a, b, "matmul");
  detail::check_floating(a, "matmul");
  if (a.dim() == 0 || b.dim() == 0)
    fail("matmul: both arguments need at least 1 dimension, got shapes {} and {}",
         shape_str(a.shape()), shape_str(b.shape()));
  if (a.dim() == 1 && b.dim() == 1) {
    if (a.shape()[0] != b.shape()[0])
      fail(
          "matmul: 1-D tensors of sizes {} and {} cannot be multiplied (dot product needs equal "
          "sizes)",
          a.shape()[0], b.shape()[0]);
    return reshape(matmul_nd(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  }
  if (a.dim() == 1) return squeeze(matmul_nd(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul_nd(a, unsqueeze(b, 1)), -1);
  return matmul_nd(a, b);
}

namespace detail {

void mm_into(const Tensor& a_in, bool trans_a, const Tensor& b_in, bool trans_b, double beta,
             const Tensor& out) {
  Tensor a = a_in, b = b_in;
  bool la = false, lb = false;
  std::int64_t lda = 0, ldb = 0;
  if (!gemm_layout(a, la, lda)) {
    a = copy_to_contiguous(a, a.dtype());
    gemm_layout(a, la, lda);
  }
  if (!gemm_layout(b, lb, ldb)) {
    b = copy_to_contiguous(b, b.dtype());
    gemm_layout(b, lb, ldb);
  }
  const std::int64_t M = a.shape()[trans_a ? 1 : 0], K = a.shape()[trans_a ? 0 : 1];
  const std::int64_t N = b.shape()[trans_b ? 0 : 1];
  if (b.shape()[trans_b ? 1 : 0] != K || out.shape() != Shape{M, N} || !out.is_contiguous())
    fail("internal: mm_into shapes {}{} x {}{} -> {}", shape_str(a.shape()), trans_a ? "^T" : "",
         shape_str(b.shape()), trans_b ? "^T" : "", shape_str(out.shape()));
  autograd::note_flops(2.0 * static_cast<double>(M) * N * K);
  dispatch_floating(out.dtype(), "mm", [&](auto tag) {
    using T = decltype(tag);
    kernels::gemm<T>(la != trans_a, lb != trans_b, M, N, K, T(1), a.data_ptr<T>(), lda,
                     b.data_ptr<T>(), ldb, static_cast<T>(beta), out.data_ptr<T>(), N);
  });
}

}  // namespace detail
}  // namespace tg
