#pragma once
/// @file
/// A whole recurrent layer direction as one op: every step of an LSTM, GRU or RNN with torch.nn's
/// default nonlinearities, the gates and the state update fused into one pass per step (kernels/
/// recurrent.hpp), and a backward that runs backpropagation through time itself. nn::LSTM, nn::GRU
/// and nn::RNN use it when their activations are the defaults; it is public for users who write
/// their own recurrent modules.
///
/// One tape entry for the whole sequence, so the tape does not grow with T, and the weight
/// gradient is one GEMM over all steps. Its backward is a fused kernel: differentiating it again
/// (create_graph) is refused with an error that names it.
#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// The cell that fused_recurrence runs.
enum class FusedRecurrence {
  lstm,      ///< gates sigmoid, cell tanh
  gru,       ///< gates sigmoid, candidate tanh
  rnn_tanh,  ///< h = tanh(...)
  rnn_relu,  ///< h = relu(...)
};

/// xp [T, B, G*H]: the input projection x W_ih^T + b_ih of every step (G = 4, 3, 1);
/// w_hh [G*H, H]; b_hh [G*H] or undefined; h0 [B, H]; c0 [B, H] for the LSTM (undefined
/// otherwise). Runs steps t = 0 .. T-1, or T-1 .. 0 with `reverse`. Returns [T, B, H], the h of
/// every step at its time index; for the LSTM [T + 1, B, H], whose row T is the final c.
Tensor fused_recurrence(FusedRecurrence kind, const Tensor& xp, const Tensor& w_hh,
                        const Tensor& b_hh, const Tensor& h0, const Tensor& c0, bool reverse,
                        std::source_location loc = std::source_location::current());

}  // namespace tg
