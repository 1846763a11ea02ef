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
      const T* i = a;
      const T* f = a + H;
      const T* g = a + 2 * H;
      const T* o = a + 3 * H;
      const T* cp = c_prev + b * H;
      T* cr = c + b * H;
      T* tr = tc + b * H;
      T* hr = h + b * H;
      for (std::int64_t j = 0; j < H; ++j) {
        const T cv = f[j] * cp[j] + i[j] * g[j];
        const T t = vm::tanh(cv);
        cr[j] = cv;
        tr[j] = t;
        hr[j] = o[j] * t;
      }
    }
  });
}

template <class T>
void lstm_step_backward(std::int64_t B, std::int64_t H, const T* act, const T* c_prev, const T* tc,
                        const T* dh, T* dc, T* dz) {
  parallel_for(0, B, row_grain(4 * H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* a = act + b * 4 * H;
      const T* i = a;
      const T* f = a + H;
      const T* g = a + 2 * H;
      const T* o = a + 3 * H;
      const T* cp = c_prev + b * H;
      const T* t = tc + b * H;
      const T* d = dh + b * H;
      T* dcr = dc + b * H;
      T* z = dz + b * 4 * H;
      for (std::int64_t j = 0; j < H; ++j) {
        // c feeds h = o tanh(c) and the next step's c.
        const T dct = dcr[j] + d[j] * o[j] * (T(1) - t[j] * t[j]);
        z[j] = dct * g[j] * (i[j] * (T(1) - i[j]));
        z[H + j] = dct * cp[j] * (f[j] * (T(1) - f[j]));
        z[2 * H + j] = dct * i[j] * (T(1) - g[j] * g[j]);
        z[3 * H + j] = d[j] * t[j] * (o[j] * (T(1) - o[j]));
        dcr[j] = dct * f[j];
      }
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
      const T* hq = h_prev + b * H;
      T* hnr = hn + b * H;
      T* hr = h + b * H;
      for (std::int64_t j = 0; j < H; ++j) {
        const T r = a[j], z = a[H + j];
        const T hv = p[2 * H + j] + bias[2 * H + j];
        const T n = vm::tanh(x[2 * H + j] + r * hv);
        a[2 * H + j] = n;
        hnr[j] = hv;
        hr[j] = (T(1) - z) * n + z * hq[j];
      }
    }
  });
}

template <class T>
void gru_step_backward(std::int64_t B, std::int64_t H, const T* act, const T* hn, const T* h_prev,
                       const T* dh, T* dxp, T* dhp, T* dh_prev) {
  parallel_for(0, B, row_grain(3 * H), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* a = act + b * 3 * H;
      const T* hv = hn + b * H;
      const T* hq = h_prev + b * H;
      const T* d = dh + b * H;
      T* dx = dxp + b * 3 * H;
      T* dp = dhp + b * 3 * H;
      T* dq = dh_prev + b * H;
      for (std::int64_t j = 0; j < H; ++j) {
        const T r = a[j], z = a[H + j], n = a[2 * H + j];
        const T dn = d[j] * (T(1) - z) * (T(1) - n * n);  // dL/d(xp_n + r hn)
        const T dzp = d[j] * (hq[j] - n) * (z * (T(1) - z));
        const T drp = dn * hv[j] * (r * (T(1) - r));
        dx[j] = drp;
        dx[H + j] = dzp;
        dx[2 * H + j] = dn;
        dp[j] = drp;
        dp[H + j] = dzp;
        dp[2 * H + j] = dn * r;
        dq[j] = d[j] * z;
      }
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
