#include "tapegrad/kernels/recurrent.hpp"

#include <algorithm>
#include <vector>

#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/vecmath.hpp"

namespace tg::kernels {

namespace {

// Rows per thread: about 16K gate values, so a small batch stays on one thread.
std::int64_t row_grain(std::int64_t width) { return std::max<std::int64_t>(1, 16384 / width); }

// bias[j], or 0 without a bias: the loops read a row of zeros rather than branch per element.
template <class T>
const T* bias_or_zeros(const T* bias, std::int64_t n, std::vector<T>& zeros) {
  if (bias) return bias;
  zeros.assign(static_cast<std::size_t>(n), T(0));
  return zeros.data();
}

// The row loops that combine several gates, with every pointer __restrict: GCC does not
// vectorise a loop with this many pointers that may alias (too many runtime overlap checks).
// The gates of one row are disjoint runs of H values, so none of them overlaps another.
template <class T>
[[gnu::always_inline]] inline void lstm_cell_row(std::int64_t H, const T* __restrict i,
                                                 const T* __restrict f, const T* __restrict g,
                                                 const T* __restrict o, const T* __restrict cp,
                                                 T* __restrict c, T* __restrict tc,
                                                 T* __restrict h) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T cv = f[j] * cp[j] + i[j] * g[j];
    const T t = vm::tanh(cv);
    c[j] = cv;
    tc[j] = t;
    h[j] = o[j] * t;
  }
}

template <class T>
[[gnu::always_inline]] inline void lstm_cell_row_backward(
    std::int64_t H, const T* __restrict i, const T* __restrict f, const T* __restrict g,
    const T* __restrict o, const T* __restrict cp, const T* __restrict tc, const T* __restrict dh,
    T* __restrict dc, T* __restrict di, T* __restrict df, T* __restrict dg, T* __restrict d_o) {
  for (std::int64_t j = 0; j < H; ++j) {
    // c feeds h = o tanh(c) and the next step's c.
    const T dct = dc[j] + dh[j] * o[j] * (T(1) - tc[j] * tc[j]);
    di[j] = dct * g[j] * (i[j] * (T(1) - i[j]));
    df[j] = dct * cp[j] * (f[j] * (T(1) - f[j]));
    dg[j] = dct * i[j] * (T(1) - g[j] * g[j]);
    d_o[j] = dh[j] * tc[j] * (o[j] * (T(1) - o[j]));
    dc[j] = dct * f[j];
  }
}

// n = tanh(xn + r hn) with hn = pn + bn, h = (1 - z) n + z h_prev.
template <class T>
[[gnu::always_inline]] inline void gru_cell_row(std::int64_t H, const T* __restrict r,
                                                const T* __restrict z, const T* __restrict xn,
                                                const T* __restrict pn, const T* __restrict bn,
                                                const T* __restrict hq, T* __restrict n_out,
                                                T* __restrict hn, T* __restrict h) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T hv = pn[j] + bn[j];
    const T n = vm::tanh(xn[j] + r[j] * hv);
    n_out[j] = n;
    hn[j] = hv;
    h[j] = (T(1) - z[j]) * n + z[j] * hq[j];
  }
}

template <class T>
[[gnu::always_inline]] inline void gru_cell_row_backward(
    std::int64_t H, const T* __restrict r, const T* __restrict z, const T* __restrict n,
    const T* __restrict hn, const T* __restrict hq, const T* __restrict dh, T* __restrict dxr,
    T* __restrict dxz, T* __restrict dxn, T* __restrict dpr, T* __restrict dpz, T* __restrict dpn,
    T* __restrict dq) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T dn = dh[j] * (T(1) - z[j]) * (T(1) - n[j] * n[j]);  // dL/d(xn + r hn)
    const T dzp = dh[j] * (hq[j] - n[j]) * (z[j] * (T(1) - z[j]));
    const T drp = dn * hn[j] * (r[j] * (T(1) - r[j]));
    dxr[j] = drp;
    dxz[j] = dzp;
    dxn[j] = dn;
    dpr[j] = drp;
    dpz[j] = dzp;
    dpn[j] = dn * r[j];
    dq[j] = dh[j] * z[j];
  }
}

}  // namespace

// The loops below read every operand unconditionally and choose with vm::select, never with a
// ternary, so that GCC vectorises them without masked loads (vecmath.hpp says why).

template <class T>
void lstm_step_forward(std::int64_t B, std::int64_t H, const T* xp, const T* hp, const T* bias_in,
                       const T* c_prev, T* act, T* c, T* tc, T* h) {
  std::vector<T> zero_bias;
  const T* bias = bias_or_zeros(bias_in, 4 * H, zero_bias);
  parallel_for(0, B, row_grain(4 * H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* x = xp + b * 4 * H;
      const T* p = hp + b * 4 * H;
      T* a = act + b * 4 * H;
      // The gates, one contiguous run of H each (i, f, g, o).
      for (std::int64_t j = 0; j < 2 * H; ++j) a[j] = vm::sigmoid(x[j] + p[j] + bias[j]);
      for (std::int64_t j = 2 * H; j < 3 * H; ++j) a[j] = vm::tanh(x[j] + p[j] + bias[j]);
      for (std::int64_t j = 3 * H; j < 4 * H; ++j) a[j] = vm::sigmoid(x[j] + p[j] + bias[j]);
      lstm_cell_row<T>(H, a, a + H, a + 2 * H, a + 3 * H, c_prev + b * H, c + b * H, tc + b * H,
                       h + b * H);
    }
  });
}

template <class T>
void lstm_step_backward(std::int64_t B, std::int64_t H, const T* act, const T* c_prev, const T* tc,
                        const T* dh, T* dc, T* dz) {
  parallel_for(0, B, row_grain(4 * H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* a = act + b * 4 * H;
      T* z = dz + b * 4 * H;
      lstm_cell_row_backward<T>(H, a, a + H, a + 2 * H, a + 3 * H, c_prev + b * H, tc + b * H,
                                dh + b * H, dc + b * H, z, z + H, z + 2 * H, z + 3 * H);
    }
  });
}

template <class T>
void gru_step_forward(std::int64_t B, std::int64_t H, const T* xp, const T* hp, const T* bias_in,
                      const T* h_prev, T* act, T* hn, T* h) {
  std::vector<T> zero_bias;
  const T* bias = bias_or_zeros(bias_in, 3 * H, zero_bias);
  parallel_for(0, B, row_grain(3 * H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* x = xp + b * 3 * H;
      const T* p = hp + b * 3 * H;
      T* a = act + b * 3 * H;
      for (std::int64_t j = 0; j < 2 * H; ++j) a[j] = vm::sigmoid(x[j] + p[j] + bias[j]);
      gru_cell_row<T>(H, a, a + H, x + 2 * H, p + 2 * H, bias + 2 * H, h_prev + b * H, a + 2 * H,
                      hn + b * H, h + b * H);
    }
  });
}

template <class T>
void gru_step_backward(std::int64_t B, std::int64_t H, const T* act, const T* hn, const T* h_prev,
                       const T* dh, T* dxp, T* dhp, T* dh_prev) {
  parallel_for(0, B, row_grain(3 * H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* a = act + b * 3 * H;
      T* dx = dxp + b * 3 * H;
      T* dp = dhp + b * 3 * H;
      gru_cell_row_backward<T>(H, a, a + H, a + 2 * H, hn + b * H, h_prev + b * H, dh + b * H, dx,
                               dx + H, dx + 2 * H, dp, dp + H, dp + 2 * H, dh_prev + b * H);
    }
  });
}

template <class T>
void rnn_step_forward(std::int64_t B, std::int64_t H, bool relu, const T* xp, const T* hp,
                      const T* bias_in, T* h) {
  std::vector<T> zero_bias;
  const T* bias = bias_or_zeros(bias_in, H, zero_bias);
  parallel_for(0, B, row_grain(H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* x = xp + b * H;
      const T* p = hp + b * H;
      T* hr = h + b * H;
      if (relu) {
        // relu(NaN) is NaN, as torch.relu.
        for (std::int64_t j = 0; j < H; ++j) {
          const T v = x[j] + p[j] + bias[j];
          hr[j] = vm::select(v < T(0), T(0), v);
        }
      } else {
        for (std::int64_t j = 0; j < H; ++j) hr[j] = vm::tanh(x[j] + p[j] + bias[j]);
      }
    }
  });
}

template <class T>
void rnn_step_backward(std::int64_t B, std::int64_t H, bool relu, const T* h, const T* dh, T* dz) {
  const std::int64_t n = B * H;
  parallel_for(0, n, 16384, [&](std::int64_t i0, std::int64_t i1) {
    if (relu) {
      for (std::int64_t i = i0; i < i1; ++i) dz[i] = vm::select(h[i] > T(0), dh[i], T(0));
    } else {
      for (std::int64_t i = i0; i < i1; ++i) dz[i] = dh[i] * (T(1) - h[i] * h[i]);
    }
  });
}

#define TG_RECURRENT_INSTANTIATE(T)                                                             \
  template void lstm_step_forward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*,  \
                                     const T*, T*, T*, T*, T*);                                 \
  template void lstm_step_backward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*, \
                                      const T*, T*, T*);                                        \
  template void gru_step_forward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*,   \
                                    const T*, T*, T*, T*);                                      \
  template void gru_step_backward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*,  \
                                     const T*, T*, T*, T*);                                     \
  template void rnn_step_forward<T>(std::int64_t, std::int64_t, bool, const T*, const T*,       \
                                    const T*, T*);                                              \
  template void rnn_step_backward<T>(std::int64_t, std::int64_t, bool, const T*, const T*, T*);
TG_RECURRENT_INSTANTIATE(float)
TG_RECURRENT_INSTANTIATE(double)
#undef TG_RECURRENT_INSTANTIATE

}  // namespace tg::kernels
