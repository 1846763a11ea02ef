#pragma once
// The fused path for pointwise activations: give the value and the derivatives as scalar
// functions, get a vectorisable, multithreaded forward and backward, with the parameter-gradient
// reduction (shared or per-channel) done for you.
//
//   struct SwishBetaFn {
//     static constexpr int kParams = 1;                       // beta
//     template <class T> static T f(T x, const T* p) { return x / (T(1) + std::exp(-p[0] * x)); }
//     template <class T> static T dfdx(T x, T y, const T* p) { ... }   // gets x AND f(x)
//     template <class T> static void dfdp(T x, T y, const T* p, T* d) { d[0] = ...; }
//   };
//   Tensor y = act::pointwise<SwishBetaFn>(x, {beta}, "swish_beta");
//
// Each parameter tensor has shape [1] (shared) or [C] (one value per channel; the channel is
// dimension 1 of x, as in PyTorch's PReLU). The backward is a fused kernel: gradients of
// gradients through it are refused with a clear error.
#include <cmath>
#include <vector>

#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/kernels/parallel.hpp"

namespace tg::act {

namespace detail {

struct PointwiseLayout {
  std::int64_t outer = 1, channels = 1, inner = 1;
};

// Validates x and the parameters; returns x viewed as [outer, channels, inner].
PointwiseLayout pointwise_layout(const Tensor& x, const std::vector<Tensor>& params,
                                 const char* name);

inline constexpr std::int64_t kChunk = 4096;

// Outputs (y forward, dL/dx backward) of at least stream_min_bytes() are computed a chunk at a
// time into a buffer on the stack and written with streaming (non-temporal) stores. Such an
// output cannot stay in cache for the next op anyway, and a plain store first reads every line it
// writes: y = f(x) would move 12 bytes per float instead of 8. The default is the size of the
// last-level cache (sysconf), at most 32 MiB. Values are the same bits either way.
std::int64_t stream_min_bytes();
// For tests: n >= 0 sets the threshold (0 streams every output), n < 0 restores the default.
void set_stream_min_bytes(std::int64_t n);
// dst[0, n) = src[0, n), with streaming stores where the target has them (AVX).
void stream_copy(float* dst, const float* src, std::int64_t n);
void stream_copy(double* dst, const double* src, std::int64_t n);
// Orders the streaming stores before anything that follows (each thread, before it finishes).
void stream_fence();

// The inner loops, over one contiguous run of n elements that share the parameter values th.
// flatten inlines the cores (and the vecmath they call) however large, so GCC can vectorise;
// the cores must be branch-free for that (see fixed.cpp and kernels/vecmath.hpp).
template <class Fn, class T>
[[gnu::flatten]] void forward_run(const T* __restrict x, T* __restrict y, std::int64_t n,
                                  const T* th) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = Fn::template f<T>(x[i], th);
}

template <class Fn, class T>
[[gnu::flatten]] void backward_run(const T* __restrict x, const T* __restrict y,
                                   const T* __restrict g, T* __restrict gx, std::int64_t n,
                                   const T* th) {
  for (std::int64_t i = 0; i < n; ++i) gx[i] = g[i] * Fn::template dfdx<T>(x[i], y[i], th);
}

// As backward_run, and returns sum_i g_i dfdp_k(x_i) in acc[k] (K >= 1 parameters). W
// independent partial sums per parameter let the loop vectorise; they are combined in a fixed
// order, so the result does not depend on the thread count.
template <class Fn, class T>
[[gnu::flatten]] void backward_run_params(const T* __restrict x, const T* __restrict y,
                                          const T* __restrict g, T* __restrict gx, std::int64_t n,
                                          const T* th, double* acc) {
  constexpr int K = Fn::kParams, W = 8;
  T part[K][W] = {};
  std::int64_t i = 0;
  for (; i + W <= n; i += W) {
    for (int l = 0; l < W; ++l) {
      const T xv = x[i + l], yv = y[i + l], gv = g[i + l];
      gx[i + l] = gv * Fn::template dfdx<T>(xv, yv, th);
      T d[K];
      Fn::template dfdp<T>(xv, yv, th, d);
      for (int k = 0; k < K; ++k) part[k][l] += gv * d[k];
    }
  }
  for (; i < n; ++i) {
    const T xv = x[i], yv = y[i], gv = g[i];
    gx[i] = gv * Fn::template dfdx<T>(xv, yv, th);
    T d[K];
    Fn::template dfdp<T>(xv, yv, th, d);
    for (int k = 0; k < K; ++k) part[k][0] += gv * d[k];
  }
  for (int k = 0; k < K; ++k) {
    double s = 0;
    for (int l = 0; l < W; ++l) s += static_cast<double>(part[k][l]);
    acc[k] = s;
  }
}

}  // namespace detail

template <class Fn>
Tensor pointwise(const Tensor& x_in, const std::vector<Tensor>& params, const char* name) {
  constexpr int K = Fn::kParams;
  if (static_cast<int>(params.size()) != K)
    fail("{}: expected {} parameter tensor(s), got {}", name, K, params.size());
  const detail::PointwiseLayout L = detail::pointwise_layout(x_in, params, name);
  const Tensor x = x_in.contiguous();
  std::vector<Tensor> ps;
  for (const Tensor& p : params) ps.push_back(p.contiguous().to(x.dtype()));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const std::int64_t chunks = (L.inner + detail::kChunk - 1) / detail::kChunk;
  const std::int64_t blocks = L.outer * L.channels * chunks;
  const bool stream =
      x.numel() * static_cast<std::int64_t>(dtype_size(x.dtype())) >= detail::stream_min_bytes();

  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    std::vector<const T*> pp;
    for (const Tensor& p : ps) pp.push_back(p.data_ptr<T>());
    kernels::parallel_for(0, blocks, 8, [&](std::int64_t b, std::int64_t e) {
      alignas(64) T buf[detail::kChunk];  // used only when streaming
      for (std::int64_t blk = b; blk < e; ++blk) {
        const std::int64_t row = blk / chunks, ch = blk % chunks;
        const std::int64_t c = row % L.channels;
        T th[K > 0 ? K : 1] = {};
        for (int k = 0; k < K; ++k) th[k] = pp[k][ps[k].numel() == 1 ? 0 : c];
        const std::int64_t i0 = row * L.inner + ch * detail::kChunk;
        const std::int64_t n = std::min(detail::kChunk, L.inner - ch * detail::kChunk);
        detail::forward_run<Fn, T>(xp + i0, stream ? buf : op + i0, n, th);
        if (stream) detail::stream_copy(op + i0, buf, n);
      }
      if (stream) detail::stream_fence();
    });
  };
  if (x.dtype() == DType::Float64)
    run(double{});
  else if (x.dtype() == DType::Float32)
    run(float{});
  else
    fail("{}: expected a float32 or float64 input, got {}", name, x.dtype());

  TensorList inputs{x_in};
  for (const Tensor& p : params) inputs.push_back(p);
  autograd::record(
      name, inputs, out, {.saved_inputs = ~std::uint64_t{0}, .saves_output = true, .fused = true},
      [x, ps, L, chunks, blocks, stream, name](const Tensor& g_in, const Tensor& y) {
        const Tensor g = g_in.contiguous();
        Tensor gx = Tensor::empty(x.shape(), x.dtype());
        std::vector<Tensor> gp;
        auto run_bw = [&](auto tag) {
          using T = decltype(tag);
          const T* xp = x.data_ptr<T>();
          const Tensor yc = y.contiguous();  // the forward's output: already contiguous
          const T* yp = yc.data_ptr<T>();
          const T* gp_ = g.data_ptr<T>();
          T* gxp = gx.data_ptr<T>();
          std::vector<const T*> pp;
          for (const Tensor& p : ps) pp.push_back(p.data_ptr<T>());
          // Per block partial sums of dL/dtheta_k, reduced below in a fixed order.
          std::vector<double> part(static_cast<std::size_t>(K > 0 ? blocks * K : 0), 0.0);
          kernels::parallel_for(0, blocks, 8, [&](std::int64_t b, std::int64_t e) {
            alignas(64) T buf[detail::kChunk];  // used only when streaming
            for (std::int64_t blk = b; blk < e; ++blk) {
              const std::int64_t row = blk / chunks, ch = blk % chunks;
              const std::int64_t c = row % L.channels;
              T th[K > 0 ? K : 1] = {};
              for (int k = 0; k < K; ++k) th[k] = pp[k][ps[k].numel() == 1 ? 0 : c];
              const std::int64_t i0 = row * L.inner + ch * detail::kChunk;
              const std::int64_t n = std::min(detail::kChunk, L.inner - ch * detail::kChunk);
              T* dst = stream ? buf : gxp + i0;
              if constexpr (K == 0)
                detail::backward_run<Fn, T>(xp + i0, yp + i0, gp_ + i0, dst, n, th);
              else
                detail::backward_run_params<Fn, T>(xp + i0, yp + i0, gp_ + i0, dst, n, th,
                                                   &part[static_cast<std::size_t>(blk * K)]);
              if (stream) detail::stream_copy(gxp + i0, buf, n);
            }
            if (stream) detail::stream_fence();
          });
          for (int k = 0; k < K; ++k) {
            const bool shared = ps[static_cast<std::size_t>(k)].numel() == 1;
            Tensor gk = Tensor::empty(ps[static_cast<std::size_t>(k)].shape(), x.dtype());
            T* gkp = gk.data_ptr<T>();
            const std::int64_t nc = shared ? 1 : L.channels;
            for (std::int64_t c = 0; c < nc; ++c) {
              double s = 0;
              for (std::int64_t o = 0; o < L.outer; ++o)
                for (std::int64_t cc = shared ? 0 : c; cc < (shared ? L.channels : c + 1); ++cc)
                  for (std::int64_t ch = 0; ch < chunks; ++ch)
                    s += part[static_cast<std::size_t>(((o * L.channels + cc) * chunks + ch) * K +
                                                       k)];
              gkp[c] = static_cast<T>(s);
            }
            gp.push_back(gk);
          }
        };
        if (x.dtype() == DType::Float64)
          run_bw(double{});
        else
          run_bw(float{});
        (void)name;
        TensorList grads{gx};
        for (std::size_t k = 0; k < gp.size(); ++k) grads.push_back(gp[k].to(ps[k].dtype()));
        return grads;
      });
  return out;
}

}  // namespace tg::act
