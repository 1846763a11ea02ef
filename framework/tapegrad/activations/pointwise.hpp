#pragma once
/// @file
/// The fused path for pointwise activations: give the value and the derivatives as scalar
/// functions, get a vectorisable, multithreaded forward and backward, with the parameter-gradient
/// reduction (shared or per-channel) done for you.
///
/// @code{.cpp}
///   struct SwishBetaFn {
///     static constexpr int kParams = 1;                       // beta
///     template <class T> static T f(T x, const T* p) { return x / (T(1) + std::exp(-p[0] * x)); }
///     template <class T> static T dfdx(T x, T y, const T* p) { ... }   // gets x AND f(x)
///     template <class T> static void dfdp(T x, T y, const T* p, T* d) { d[0] = ...; }
///   };
///   Tensor y = act::pointwise<SwishBetaFn>(x, {beta}, "swish_beta");
/// @endcode
///
/// Each parameter tensor has shape [1] (shared) or [C] (one value per channel; the channel is
/// dimension 1 of x, as in PyTorch's PReLU). The backward is a fused kernel: gradients of
/// gradients through it are refused with a clear error.
///
/// Two-valued derivatives (relu, relu6, leaky_relu, hardtanh, hardsigmoid): a function object
/// that also defines
/// @code{.cpp}
///   static constexpr bool kTwoValued = true;
///   template <class T> static bool high(T x, const T* p);          // which of the two values
///   template <class T> static void values(const T* p, T& lo, T& hi);
/// @endcode
/// (with dfdx(x, y, p) == (high(x, p) ? hi : lo)) gets a forward that also writes one bit per
/// element, and a backward that reads those bits and dL/dy only: neither x nor y is read, 16 bytes
/// moved per element instead of 20. Its parameters, if any, must be constants (their gradient is
/// zero).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/storage.hpp"
#include "tapegrad/kernels/parallel.hpp"

namespace tg::act {

namespace detail {

struct PointwiseLayout {
  std::int64_t outer = 1, channels = 1, inner = 1;
};

// Validates x and the parameters; returns x viewed as [outer, channels, inner].
PointwiseLayout pointwise_layout(const Tensor& x, const std::vector<Tensor>& params,
                                 const char* name);

// Work is split into blocks of kChunk elements of one row (the parallel_for grain), and each
// block is computed kPiece elements at a time. A streamed output goes through a kPiece buffer on
// the stack, and small pieces let the compute of one piece overlap the streaming stores of the
// last: with 4096-element pieces the two ran one after the other (fwd+bwd on 2^24 floats, 1
// thread: relu 1.92 -> 1.66 ns/element with 512, 1.59 -> 1.46 from 512 to 256; 128 no better).
inline constexpr std::int64_t kChunk = 4096;
inline constexpr std::int64_t kPiece = 256;
static_assert(kChunk % kPiece == 0 && kPiece % 32 == 0);

// Outputs (y forward, dL/dx backward) of at least stream_min_bytes() are computed a piece at a
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

// Two-valued derivatives: whether the bit-mask path is used (default true; tests turn it off to
// compare with the x-reading backward).
bool two_valued_masks();
void set_two_valued_masks(bool on);
// bits[j] bit l = (m[8 j + l] != 0) for the n values of m, which are 0 or -1 (the last byte
// padded with zeros).
void pack_mask(const std::int8_t* m, std::int64_t n, std::uint8_t* bits);
// gx[i] = g[i] * (bit i of bits ? hi : lo), for i < n.
void masked_scale(const float* g, const std::uint8_t* bits, float lo, float hi, float* gx,
                  std::int64_t n);
void masked_scale(const double* g, const std::uint8_t* bits, double lo, double hi, double* gx,
                  std::int64_t n);

template <class Fn>
concept TwoValued = requires {
  requires Fn::kTwoValued;
};

// The inner loops, over one contiguous run of n elements that share the parameter values th.
// flatten inlines the cores (and the vecmath they call) however large, so GCC can vectorise;
// the cores must be branch-free for that (see fixed.cpp and kernels/vecmath.hpp).
template <class Fn, class T>
[[gnu::flatten]] void forward_run(const T* __restrict x, T* __restrict y, std::int64_t n,
                                  const T* th) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = Fn::template f<T>(x[i], th);
}

// forward_run, and m[i] = -1 where Fn::high(x[i]), else 0 (packed to bits by pack_mask), in
// the same pass over x.
template <class Fn, class T>
[[gnu::flatten]] void forward_high_run(const T* __restrict x, T* __restrict y,
                                       std::int8_t* __restrict m, std::int64_t n, const T* th) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    y[i] = Fn::template f<T>(v, th);
    m[i] = static_cast<std::int8_t>(-static_cast<int>(Fn::template high<T>(v, th)));
  }
}

template <class Fn, class T>
[[gnu::flatten]] void backward_run(const T* __restrict x, const T* __restrict y,
                                   const T* __restrict g, T* __restrict gx, std::int64_t n,
                                   const T* th) {
  for (std::int64_t i = 0; i < n; ++i) gx[i] = g[i] * Fn::template dfdx<T>(x[i], y[i], th);
}

// As backward_run, and adds sum_i g_i dfdp_k(x_i) to acc[k] (K >= 1 parameters). W
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
    acc[k] += s;
  }
}

// The backward of a two-valued derivative from the forward's bit mask: dL/dx = g * (bit ? hi :
// lo), reading g and the bits only. The (constant) parameters get zero gradients.
template <class Fn>
void record_masked(const char* name, const TensorList& inputs, const Tensor& out,
                   const std::vector<Tensor>& ps, std::shared_ptr<Storage> mask,
                   std::int64_t chunks, bool stream) {
  constexpr int K = Fn::kParams;
  autograd::record(name, inputs, out, {.fused = true},
                   [ps_saved = autograd::save_all(ps), mask = std::move(mask), chunks, stream,
                    shape = out.shape(), dt = out.dtype(),
                    n_all = out.numel()](const Tensor& g_in, const Tensor&) {
                     const std::vector<Tensor> ps = autograd::get_all(ps_saved);
                     const Tensor g = g_in.contiguous();
                     Tensor gx = Tensor::empty(shape, dt);
                     auto run_bw = [&](auto tag) {
                       using T = decltype(tag);
                       T th[K > 0 ? K : 1] = {};
                       for (int k = 0; k < K; ++k)
                         th[k] = ps[static_cast<std::size_t>(k)].data_ptr<T>()[0];
                       T lo, hi;
                       Fn::template values<T>(th, lo, hi);
                       const T* gp = g.data_ptr<T>();
                       T* gxp = gx.data_ptr<T>();
                       const auto* bits = static_cast<const std::uint8_t*>(mask->data);
                       kernels::parallel_for(0, chunks, 8, [&](std::int64_t b, std::int64_t e) {
                         alignas(64) T buf[kPiece];  // used only when streaming
                         for (std::int64_t ch = b; ch < e; ++ch) {
                           const std::int64_t end = std::min((ch + 1) * kChunk, n_all);
                           for (std::int64_t i0 = ch * kChunk; i0 < end; i0 += kPiece) {
                             const std::int64_t n = std::min(kPiece, end - i0);
                             masked_scale(gp + i0, bits + i0 / 8, lo, hi, stream ? buf : gxp + i0,
                                          n);
                             if (stream) stream_copy(gxp + i0, buf, n);
                           }
                         }
                         if (stream) stream_fence();
                       });
                     };
                     if (dt == DType::Float64)
                       run_bw(double{});
                     else
                       run_bw(float{});
                     TensorList grads{gx};
                     for (const Tensor& p : ps) grads.push_back(zeros(p.shape(), p.dtype()));
                     return grads;
                   });
}

}  // namespace detail

/// The activation Fn applied elementwise to x (float32 or float64) with a fused, vectorised,
/// multithreaded forward and backward; `name` names the op on the tape. Fn gives kParams and the
/// scalar functions f, dfdx and dfdp (see pointwise.hpp); params holds kParams tensors, each of
/// shape [1] (shared) or [C] (one value per channel, dimension 1 of x). The backward is a fused
/// kernel: gradients of gradients through it are refused.
template <class Fn>
Tensor pointwise(const Tensor& x_in, const std::vector<Tensor>& params, const char* name) {
  const autograd::OpScope op_scope(name, std::source_location::current());
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
  TensorList inputs{x_in};
  for (const Tensor& p : params) inputs.push_back(p);
  // Two-valued derivative, every parameter shared (one row: chunks start at multiples of
  // kChunk, so at whole bytes of the mask), and a backward to come: write the mask.
  bool masked = false;
  if constexpr (detail::TwoValued<Fn>)
    masked = L.outer * L.channels == 1 && detail::two_valued_masks() &&
             autograd::should_record(inputs.data(), inputs.size());
  std::shared_ptr<Storage> mask;
  if (masked) mask = std::make_shared<Storage>(static_cast<std::size_t>((x.numel() + 7) / 8));

  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    std::vector<const T*> pp;
    for (const Tensor& p : ps) pp.push_back(p.data_ptr<T>());
    kernels::parallel_for(0, blocks, 8, [&](std::int64_t b, std::int64_t e) {
      alignas(64) T buf[detail::kPiece];  // used only when streaming
      for (std::int64_t blk = b; blk < e; ++blk) {
        const std::int64_t row = blk / chunks, ch = blk % chunks;
        const std::int64_t c = row % L.channels;
        T th[K > 0 ? K : 1] = {};
        for (int k = 0; k < K; ++k) th[k] = pp[k][ps[k].numel() == 1 ? 0 : c];
        const std::int64_t n_blk = std::min(detail::kChunk, L.inner - ch * detail::kChunk);
        for (std::int64_t s0 = 0; s0 < n_blk; s0 += detail::kPiece) {
          const std::int64_t i0 = row * L.inner + ch * detail::kChunk + s0;
          const std::int64_t n = std::min(detail::kPiece, n_blk - s0);
          T* dst = stream ? buf : op + i0;
          bool done = false;
          if constexpr (detail::TwoValued<Fn>) {
            if (masked) {
              alignas(64) std::int8_t hm[detail::kPiece];
              detail::forward_high_run<Fn, T>(xp + i0, dst, hm, n, th);
              detail::pack_mask(hm, n, static_cast<std::uint8_t*>(mask->data) + i0 / 8);
              done = true;
            }
          }
          if (!done) detail::forward_run<Fn, T>(xp + i0, dst, n, th);
          if (stream) detail::stream_copy(op + i0, buf, n);
        }
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

  if constexpr (detail::TwoValued<Fn>) {
    if (masked) {
      detail::record_masked<Fn>(name, inputs, out, ps, mask, chunks, stream);
      return out;
    }
  }
  autograd::record(
      name, inputs, out, {.saved_inputs = ~std::uint64_t{0}, .saves_output = true, .fused = true},
      [x_saved = autograd::SavedTensor(x), ps_saved = autograd::save_all(ps), L, chunks, blocks,
       stream, name](const Tensor& g_in, const Tensor& y) {
        const Tensor x = x_saved.get();
        const std::vector<Tensor> ps = autograd::get_all(ps_saved);
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
            alignas(64) T buf[detail::kPiece];  // used only when streaming
            for (std::int64_t blk = b; blk < e; ++blk) {
              const std::int64_t row = blk / chunks, ch = blk % chunks;
              const std::int64_t c = row % L.channels;
              T th[K > 0 ? K : 1] = {};
              for (int k = 0; k < K; ++k) th[k] = pp[k][ps[k].numel() == 1 ? 0 : c];
              const std::int64_t n_blk = std::min(detail::kChunk, L.inner - ch * detail::kChunk);
              for (std::int64_t s0 = 0; s0 < n_blk; s0 += detail::kPiece) {
                const std::int64_t i0 = row * L.inner + ch * detail::kChunk + s0;
                const std::int64_t n = std::min(detail::kPiece, n_blk - s0);
                T* dst = stream ? buf : gxp + i0;
                if constexpr (K == 0)
                  detail::backward_run<Fn, T>(xp + i0, yp + i0, gp_ + i0, dst, n, th);
                else
                  detail::backward_run_params<Fn, T>(xp + i0, yp + i0, gp_ + i0, dst, n, th,
                                                     &part[static_cast<std::size_t>(blk * K)]);
                if (stream) detail::stream_copy(gxp + i0, buf, n);
              }
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
