#include "tapegrad/ops/recurrent.hpp"

#include <algorithm>
#include <cstring>

#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/autograd/saved.hpp"
#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/kernels/gemm.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/recurrent.hpp"
#include "tapegrad/ops/detail.hpp"

namespace tg {

namespace {

using autograd::SavedTensor;

constexpr const char* kOp = "fused_recurrence";

std::int64_t gates_of(FusedRecurrence k) {
  return k == FusedRecurrence::lstm ? 4 : k == FusedRecurrence::gru ? 3 : 1;
}

// Time index of the s-th step processed, and of the step before it (-1: the initial state).
struct Order {
  std::int64_t T;
  bool reverse;
  std::int64_t at(std::int64_t s) const { return reverse ? T - 1 - s : s; }
  std::int64_t before(std::int64_t s) const { return s == 0 ? -1 : at(s - 1); }
};

// Sums of the columns of g [rows, n], accumulated in double in row order.
template <class T>
void column_sums(const T* g, std::int64_t rows, std::int64_t n, T* out) {
  std::vector<double> acc(static_cast<std::size_t>(n), 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* row = g + r * n;
    for (std::int64_t j = 0; j < n; ++j) acc[static_cast<std::size_t>(j)] += row[j];
  }
  for (std::int64_t j = 0; j < n; ++j) out[j] = static_cast<T>(acc[static_cast<std::size_t>(j)]);
}

// Rows of the batch per thread: at least 8, and enough that a block's share of a step's GEMM is
// worth a thread (about 64K multiply-adds).
std::int64_t row_grain(std::int64_t GH, std::int64_t H) {
  return std::max<std::int64_t>(8, (std::int64_t{1} << 16) / std::max<std::int64_t>(1, GH * H));
}

struct Buffers {
  Tensor act;  // [T, B, G*H] gates after their nonlinearity (LSTM, GRU)
  Tensor cs;   // LSTM: [T, B, H] the cell state of every step
  Tensor tcs;  // LSTM: [T, B, H] tanh of it
  Tensor hns;  // GRU: [T, B, H] hp_n + b_n
};

}  // namespace

Tensor fused_recurrence(FusedRecurrence kind, const Tensor& xp_in, const Tensor& w_hh,
                        const Tensor& b_hh, const Tensor& h0_in, const Tensor& c0_in, bool reverse,
                        std::source_location loc) {
  const autograd::OpScope op_scope(kOp, loc);
  detail::check_defined(xp_in, kOp, "xp");
  detail::check_defined(w_hh, kOp, "w_hh");
  detail::check_defined(h0_in, kOp, "h0");
  detail::check_floating(xp_in, kOp);
  const bool lstm = kind == FusedRecurrence::lstm;
  const std::int64_t G = gates_of(kind);
  TG_CHECK(w_hh.dim() == 2 && w_hh.size(0) % G == 0 && w_hh.size(1) * G == w_hh.size(0),
           "{}: w_hh must be [{} * H, H], got {}", kOp, G, shape_str(w_hh.shape()));
  const std::int64_t H = w_hh.size(1), GH = G * H;
  TG_CHECK(xp_in.dim() == 3 && xp_in.size(2) == GH && xp_in.size(0) >= 1,
           "{}: xp must be [T >= 1, B, {}], got {}", kOp, GH, shape_str(xp_in.shape()));
  const std::int64_t T = xp_in.size(0), B = xp_in.size(1);
  TG_CHECK(h0_in.shape() == Shape({B, H}), "{}: h0 must be [{}, {}], got {}", kOp, B, H,
           shape_str(h0_in.shape()));
  if (b_hh.defined())
    TG_CHECK(b_hh.shape() == Shape({GH}), "{}: b_hh must be [{}], got {}", kOp, GH,
             shape_str(b_hh.shape()));
  if (lstm) {
    detail::check_defined(c0_in, kOp, "c0");
    TG_CHECK(c0_in.shape() == Shape({B, H}), "{}: c0 must be [{}, {}], got {}", kOp, B, H,
             shape_str(c0_in.shape()));
  } else {
    TG_CHECK(!c0_in.defined(), "{}: only the LSTM takes a c0", kOp);
  }
  for (const Tensor* t : {&w_hh, &b_hh, &h0_in, &c0_in})
    if (t->defined()) detail::check_same_dtype(xp_in, *t, kOp);

  const Tensor xp = xp_in.contiguous(), w = w_hh.contiguous(), h0 = h0_in.contiguous();
  const Tensor bias = b_hh.defined() ? b_hh.contiguous() : Tensor();
  const Tensor c0 = lstm ? c0_in.contiguous() : Tensor();
  const DType dt = xp.dtype();

  TensorList inputs{xp_in, w_hh, h0_in};
  if (lstm) inputs.push_back(c0_in);
  const std::size_t bias_at = inputs.size();
  if (b_hh.defined()) inputs.push_back(b_hh);
  const bool rec = autograd::should_record(inputs.data(), inputs.size());

  // Recording keeps every step's gates and states for the backward; inference keeps one step
  // (two cell states for the LSTM: the previous and the current).
  const std::int64_t kept = rec ? T : 1;
  Buffers buf;
  if (kind == FusedRecurrence::lstm || kind == FusedRecurrence::gru)
    buf.act = Tensor::empty({kept, B, GH}, dt);
  if (lstm) {
    buf.cs = Tensor::empty({rec ? T : 2, B, H}, dt);
    buf.tcs = Tensor::empty({kept, B, H}, dt);
  }
  if (kind == FusedRecurrence::gru) buf.hns = Tensor::empty({kept, B, H}, dt);
  Tensor out = Tensor::empty({T + (lstm ? 1 : 0), B, H}, dt);
  const Order ord{T, reverse};
  autograd::note_flops(2.0 * static_cast<double>(T * B * GH * H));  // h W_hh^T of every step

  // Batch rows are independent through the whole sequence (row b of h_t depends on row b of
  // h_{t-1} only), so each thread runs every step for its own block of rows: one parallel region
  // for the whole sequence, no barrier per step.
  const std::int64_t grain = row_grain(GH, H);
  detail::dispatch_floating(dt, kOp, [&](auto tag) {
    using V = decltype(tag);
    const V* xpp = xp.data_ptr<V>();
    const V* wp = w.data_ptr<V>();
    const V* bp = bias.defined() ? bias.data_ptr<V>() : nullptr;
    const V* h0p = h0.data_ptr<V>();
    V* op = out.data_ptr<V>();
    const std::int64_t BH = B * H;
    auto slot = [&](std::int64_t s) { return rec ? ord.at(s) : 0; };
    kernels::parallel_for(0, B, grain, [&](std::int64_t b0, std::int64_t b1) {
      const std::int64_t nb = b1 - b0;
      std::vector<V> hp(static_cast<std::size_t>(nb * GH));
      for (std::int64_t s = 0; s < T; ++s) {
        const std::int64_t t = ord.at(s), tp = ord.before(s);
        const V* h_prev = (tp < 0 ? h0p : op + tp * BH) + b0 * H;
        kernels::gemm<V>(false, true, nb, GH, H, V(1), h_prev, H, wp, H, V(0), hp.data(), GH);
        const V* x = xpp + (t * B + b0) * GH;
        V* h = op + t * BH + b0 * H;
        switch (kind) {
          case FusedRecurrence::lstm: {
            V* cs = buf.cs.data_ptr<V>() + b0 * H;
            const std::int64_t cslot = rec ? t : s % 2;
            const V* c_prev =
                s == 0 ? c0.data_ptr<V>() + b0 * H : cs + (rec ? tp : (s - 1) % 2) * BH;
            kernels::lstm_step_forward<V>(
                nb, H, x, hp.data(), bp, c_prev, buf.act.data_ptr<V>() + slot(s) * B * GH + b0 * GH,
                cs + cslot * BH, buf.tcs.data_ptr<V>() + slot(s) * BH + b0 * H, h);
            if (s == T - 1) std::memcpy(op + T * BH + b0 * H, cs + cslot * BH, sizeof(V) * nb * H);
            break;
          }
          case FusedRecurrence::gru:
            kernels::gru_step_forward<V>(nb, H, x, hp.data(), bp, h_prev,
                                         buf.act.data_ptr<V>() + slot(s) * B * GH + b0 * GH,
                                         buf.hns.data_ptr<V>() + slot(s) * BH + b0 * H, h);
            break;
          case FusedRecurrence::rnn_tanh:
          case FusedRecurrence::rnn_relu:
            kernels::rnn_step_forward<V>(nb, H, kind == FusedRecurrence::rnn_relu, x, hp.data(), bp,
                                         h);
            break;
        }
      }
    });
  });
  if (!rec) return out;

  std::uint64_t saved_mask = autograd::saved(1, 2);
  if (lstm) saved_mask |= autograd::saved(3);
  auto backward = [kind, ord, B, H, grain, bias_at, has_bias = b_hh.defined(),
                   act_s = SavedTensor(buf.act), cs_s = SavedTensor(buf.cs),
                   tcs_s = SavedTensor(buf.tcs), hns_s = SavedTensor(buf.hns), w_s = SavedTensor(w),
                   h0_s = SavedTensor(h0), c0_s = SavedTensor(c0),
                   need = std::vector<char>{xp_in.requires_grad(), w_hh.requires_grad(),
                                            h0_in.requires_grad(),
                                            c0_in.defined() && c0_in.requires_grad(),
                                            b_hh.defined() && b_hh.requires_grad()}](
                      const Tensor& g_in, const Tensor& y_in) {
    const bool lstm = kind == FusedRecurrence::lstm, gru = kind == FusedRecurrence::gru;
    const std::int64_t T = ord.T, G = gates_of(kind), GH = G * H, BH = B * H;
    const Tensor g = g_in.contiguous(), y = y_in.contiguous(), w = w_s.get(), h0 = h0_s.get();
    const Tensor act = act_s.get(), cs = cs_s.get(), tcs = tcs_s.get(), hns = hns_s.get();
    const Tensor c0 = c0_s.get();
    const DType dt = g.dtype();
    Tensor dxp = Tensor::empty({T, B, GH}, dt);
    Tensor dhp_all = gru ? Tensor::empty({T, B, GH}, dt) : dxp;  // dL/d(h W_hh^T) per step
    Tensor dh0 = zeros({B, H}, dt);  // dL/dh carried from step to step, dL/dh0 at the end
    Tensor dc0 = lstm ? Tensor::empty({B, H}, dt) : Tensor();  // dL/dc, carried the same way
    Tensor dw, db;
    autograd::note_flops(4.0 * static_cast<double>(T * B * GH * H));  // dh_prev and dW_hh
    detail::dispatch_floating(dt, kOp, [&](auto tag) {
      using V = decltype(tag);
      const V* gp = g.data_ptr<V>();
      const V* yp = y.data_ptr<V>();
      const V* wp = w.data_ptr<V>();
      V* dxpp = dxp.data_ptr<V>();
      V* dhpp = dhp_all.data_ptr<V>();
      // As the forward: each thread takes every step for its own block of rows.
      kernels::parallel_for(0, B, grain, [&](std::int64_t b0, std::int64_t b1) {
        const std::int64_t nb = b1 - b0;
        V* dh_rec = dh0.data_ptr<V>() + b0 * H;
        V* dc = lstm ? dc0.data_ptr<V>() + b0 * H : nullptr;
        std::vector<V> dh(static_cast<std::size_t>(nb * H));
        if (lstm) std::memcpy(dc, gp + T * BH + b0 * H, sizeof(V) * nb * H);  // the final c's
        for (std::int64_t s = T - 1; s >= 0; --s) {
          const std::int64_t t = ord.at(s), tp = ord.before(s);
          const V* gt = gp + t * BH + b0 * H;
          for (std::int64_t i = 0; i < nb * H; ++i)
            dh[static_cast<std::size_t>(i)] = gt[i] + dh_rec[i];
          V* dz = dxpp + (t * B + b0) * GH;
          V* dhp = dhpp + (t * B + b0) * GH;
          switch (kind) {
            case FusedRecurrence::lstm: {
              const V* c_prev = (tp < 0 ? c0.data_ptr<V>() : cs.data_ptr<V>() + tp * BH) + b0 * H;
              kernels::lstm_step_backward<V>(nb, H, act.data_ptr<V>() + (t * B + b0) * GH, c_prev,
                                             tcs.data_ptr<V>() + t * BH + b0 * H, dh.data(), dc,
                                             dz);
              break;
            }
            case FusedRecurrence::gru: {
              const V* h_prev = (tp < 0 ? h0.data_ptr<V>() : yp + tp * BH) + b0 * H;
              kernels::gru_step_backward<V>(nb, H, act.data_ptr<V>() + (t * B + b0) * GH,
                                            hns.data_ptr<V>() + t * BH + b0 * H, h_prev, dh.data(),
                                            dz, dhp, dh_rec);
              break;
            }
            case FusedRecurrence::rnn_tanh:
            case FusedRecurrence::rnn_relu:
              kernels::rnn_step_backward<V>(nb, H, kind == FusedRecurrence::rnn_relu,
                                            yp + t * BH + b0 * H, dh.data(), dz);
              break;
          }
          // dL/dh_prev (+)= dhp W_hh; the GRU's kernel wrote the part that skips W_hh.
          if (s > 0 || need[2])
            kernels::gemm<V>(false, false, nb, H, GH, V(1), dhp, GH, wp, H, gru ? V(1) : V(0),
                             dh_rec, H);
        }
      });
      if (need[1]) {
        // dW_hh = sum over steps of dhp_t^T h_prev(t): one GEMM over [T * B] rows, with the
        // previous states gathered in time order.
        std::vector<V> hprev(static_cast<std::size_t>(T * BH));
        for (std::int64_t s = 0; s < T; ++s) {
          const std::int64_t t = ord.at(s), tp = ord.before(s);
          const V* src = tp < 0 ? h0.data_ptr<V>() : yp + tp * BH;
          std::memcpy(hprev.data() + t * BH, src, sizeof(V) * BH);
        }
        dw = Tensor::empty({GH, H}, dt);
        kernels::gemm<V>(true, false, GH, H, T * B, V(1), dhpp, GH, hprev.data(), H, V(0),
                         dw.data_ptr<V>(), H);
      }
      if (need[4]) {
        db = Tensor::empty({GH}, dt);
        column_sums<V>(dhpp, T * B, GH, db.data_ptr<V>());
      }
    });
    TensorList grads(bias_at + (has_bias ? 1 : 0));
    if (need[0]) grads[0] = dxp;
    grads[1] = dw;
    if (need[2]) grads[2] = dh0;
    if (lstm && need[3]) grads[3] = dc0;
    if (has_bias) grads[bias_at] = db;
    return grads;
  };
  autograd::record(kOp, inputs, out,
                   {.saved_inputs = saved_mask, .saves_output = true, .fused = true},
                   std::move(backward));
  return out;
}

}  // namespace tg
