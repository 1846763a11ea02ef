#pragma once
// The pointwise part of one recurrent step, fused: every gate nonlinearity and the state update
// in one pass over the hidden state, forward and backward. The matrix products around them (the
// input projection of all steps, h W_hh^T per step, the weight gradients) are GEMMs that the
// caller runs (ops/recurrent.cpp). Gates are sigmoids and the cell is tanh, as torch.nn's
// defaults; the RNN's nonlinearity is tanh or relu.
//
// Layouts, all row-major and contiguous, B rows (the batch) of H units per gate:
//   xp [B, G*H]  the input projection x W_ih^T + b_ih of this step
//   hp [B, G*H]  h W_hh^T of the previous state (no bias)
//   bias [G*H]   b_hh, or null
//   act [B, G*H] the gates after their nonlinearity (saved for the backward)
// with G = 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n) or 1 (RNN). Each element is computed by one
// thread with the same operations whatever the thread count: results are bit-identical for any
// number of threads.
#include <cstdint>

namespace tg::kernels {

// LSTM: z = xp + hp + bias; i, f, o = sigmoid(z_i, z_f, z_o), g = tanh(z_g);
// c = f c_prev + i g, tc = tanh(c), h = o tc. Writes act [B, 4H], c, tc, h [B, H].
template <class T>
void lstm_step_forward(std::int64_t B, std::int64_t H, const T* xp, const T* hp, const T* bias,
                       const T* c_prev, T* act, T* c, T* tc, T* h);

// The LSTM step's backward. dh [B, H]: dL/dh of this step (from the output and the next step);
// dc [B, H]: dL/dc of this step on entry, dL/dc_prev on return. Writes dz [B, 4H], dL/d(xp)
// (which is also dL/d(hp) and dL/d(bias) per row).
template <class T>
void lstm_step_backward(std::int64_t B, std::int64_t H, const T* act, const T* c_prev, const T* tc,
                        const T* dh, T* dc, T* dz);

// GRU (torch.nn.GRU): r = sigmoid(xp_r + hp_r + b_r), z = sigmoid(xp_z + hp_z + b_z),
// hn = hp_n + b_n, n = tanh(xp_n + r hn), h = (1 - z) n + z h_prev.
// Writes act [B, 3H] (r, z, n), hn [B, H] and h [B, H].
template <class T>
void gru_step_forward(std::int64_t B, std::int64_t H, const T* xp, const T* hp, const T* bias,
                      const T* h_prev, T* act, T* hn, T* h);

// The GRU step's backward. dh [B, H]: dL/dh of this step. Writes dxp [B, 3H] = dL/d(xp),
// dhp [B, 3H] = dL/d(hp) (= dL/d(bias) per row) and dh_prev [B, H], the part of dL/dh_prev that
// does not go through hp (the caller adds dhp W_hh).
template <class T>
void gru_step_backward(std::int64_t B, std::int64_t H, const T* act, const T* hn, const T* h_prev,
                       const T* dh, T* dxp, T* dhp, T* dh_prev);

// RNN: h = tanh(xp + hp + bias), or relu with `relu`.
template <class T>
void rnn_step_forward(std::int64_t B, std::int64_t H, bool relu, const T* xp, const T* hp,
                      const T* bias, T* h);

// The RNN step's backward from its output h: dz = dh tanh'(z) = dh (1 - h^2), or dh [h > 0].
template <class T>
void rnn_step_backward(std::int64_t B, std::int64_t H, bool relu, const T* h, const T* dh, T* dz);

}  // namespace tg::kernels
