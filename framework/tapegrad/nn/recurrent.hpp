#pragma once
/// @file
/// Recurrent layers with PyTorch's semantics and parameter names: RNN, LSTM and GRU (any number of
/// layers, batch_first, bidirectional, dropout between layers, initial states in and final states
/// out) and their single-step cells. Their gate and cell nonlinearities are registry activations:
///
/// @code{.cpp}
///   nn::LSTM lstm(28, 128, {.gate = "sigmoid_beta(per_channel=true)"});
///   nn::RecurrentOutput out = lstm.forward_state(x);  // x [T, B, 28]: out.output [T, B, 128]
/// @endcode
///
/// The equations are torch.nn's (gate order i, f, g, o for the LSTM, r, z, n for the GRU):
/// @verbatim
///   RNN:  h' = cell(W_ih x + b_ih + W_hh h + b_hh)                       (cell: "tanh" or "relu")
///   LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
///         c' = gate(f) * c + gate(i) * cell(g),  h' = gate(o) * cell(c')
///   GRU:  r, z, n = split(W_ih x + b_ih), split(W_hh h + b_hh)
///         r = gate(x_r + h_r), z = gate(x_z + h_z), n = cell(x_n + r * h_n), h' = (1 - z) n + z h
/// @endverbatim
/// with gate = "sigmoid" and cell = "tanh" by default. Any registered activation can take their
/// place, learnable ones included: its parameters (per hidden unit with per_channel=true) belong
/// to the layer, and nn::activation_parameters reports them. A gate that can leave (0, 1) is
/// allowed, with a warning printed once per activation.
///
/// Parameters, as torch.nn names them (so PyTorch weights load through load_state_dict):
/// weight_ih_l{k}[_reverse] [G*H, in], weight_hh_l{k}[_reverse] [G*H, H], bias_ih_l{k}[_reverse],
/// bias_hh_l{k}[_reverse] [G*H], with G = 1, 4, 3; all drawn from U(-1/sqrt(H), 1/sqrt(H)) as
/// PyTorch does. The activations are submodules gate_l{k}[_reverse] and cell_l{k}[_reverse] (with
/// per_gate: gate_l{k}_i, _f, _o or _r, _z); fixed ones have no parameters, so a model with the
/// default activations has exactly PyTorch's state dict.
///
/// The input projection of every time step is one GEMM per layer and direction; the steps run in a
/// loop (no recursion: a 10,000-step sequence is fine), fused with the default activations (see
/// RecurrentOptions::fused). Truncated backpropagation through time: pass the final states of one
/// chunk, detached, as the initial states of the next.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/core/random.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::act {
class Activation;
}

namespace tg::nn {

/// Options of the recurrent layers and cells (designated initializers name what they change).
struct RecurrentOptions {
  std::int64_t num_layers = 1;  ///< stacked layers, each feeding the next
  bool bias = true;             ///< use b_ih and b_hh
  bool batch_first = false;     ///< inputs and outputs [B, T, F] instead of [T, B, F]
  double dropout = 0;           ///< on the outputs of every layer but the last, in training mode
  bool bidirectional = false;   ///< also run each layer backwards in time (D = 2)
  /// Activation specs. gate: the LSTM's i, f, o and the GRU's r, z; cell: the LSTM's g and
  /// cell output, the GRU's n, the RNN's nonlinearity ("tanh" by default, "relu" as PyTorch).
  std::string gate = "sigmoid";
  std::string cell = "tanh";  ///< the cell activation spec (see gate)
  bool per_gate = false;      ///< one gate activation module per gate instead of one shared by them
  /// With the default activations (sigmoid gates, tanh cell; tanh or relu for the RNN), run each
  /// layer direction as one fused op (ops/recurrent.hpp): the gates and the state update in one
  /// pass per step, backpropagation through time in one backward. false runs every step as
  /// separate ops that call the activation modules, the path that learnable or other activations,
  /// and activation modules with hooks, always take.
  bool fused = true;
  DType dtype = DType::Float32;      ///< of the parameters
  Generator* gen = nullptr;          ///< the initial weights' draws (default generator if null)
  Generator* dropout_gen = nullptr;  ///< dropout's masks (default generator if null)
};

/// What Recurrent::forward_state returns.
struct RecurrentOutput {
  Tensor output;  ///< [T, B, D * H] (batch_first: [B, T, D * H]); D = 2 when bidirectional
  Tensor h_n;     ///< [num_layers * D, B, H]
  Tensor c_n;     ///< LSTM only: [num_layers * D, B, H]
};

/// Which recurrence a Recurrent layer or RecurrentCell runs.
enum class RecurrentKind {
  RNN,   ///< Elman RNN
  LSTM,  ///< long short-term memory
  GRU    ///< gated recurrent unit
};

/// What RNN, LSTM and GRU share: the layers, directions and the time loop.
class Recurrent : public Module {
 public:
  /// A layer of `kind` from input_size features to hidden_size (H) units.
  Recurrent(RecurrentKind kind, std::int64_t input_size, std::int64_t hidden_size,
            RecurrentOptions options);

  /// x: [T, B, in] ([B, T, in] with batch_first) or unbatched [T, in]. h0 (and c0 for the LSTM):
  /// [num_layers * D, B, H] ([num_layers * D, H] unbatched), zeros when undefined.
  RecurrentOutput forward_state(const Tensor& x, const Tensor& h0 = Tensor(),
                                const Tensor& c0 = Tensor());
  /// The output sequence only.
  Tensor forward(const Tensor& x) override { return forward_state(x).output; }
  std::string extra_repr() const override;
  /// Redraws every weight and bias from U(-1/sqrt(H), 1/sqrt(H)).
  void reset_parameters(Generator* gen = nullptr);

  RecurrentKind kind() const { return kind_; }                  ///< RNN, LSTM or GRU
  std::int64_t input_size() const { return input_size_; }       ///< features per input step
  std::int64_t hidden_size() const { return hidden_size_; }     ///< H
  const RecurrentOptions& options() const { return options_; }  ///< as constructed

 private:
  struct Direction {
    Tensor w_ih, w_hh, b_ih, b_hh;
    std::vector<std::shared_ptr<act::Activation>> gates;  // one, or one per gate
    std::shared_ptr<act::Activation> cell;
  };
  // One layer and direction over the whole sequence x [T, B, in]; returns the outputs [T, B, H]
  // and sets h (and c) to the final state.
  Tensor run_direction(Direction& d, const Tensor& x, bool reverse, Tensor& h, Tensor& c);

  RecurrentKind kind_;
  std::int64_t input_size_, hidden_size_;
  RecurrentOptions options_;
  std::vector<Direction> dirs_;  // layer-major: l0, l0_reverse, l1, ...
};

/// torch.nn.RNN: h' = cell(W_ih x + b_ih + W_hh h + b_hh), cell "tanh" or "relu".
class RNN : public Recurrent {
 public:
  /// input_size features in, hidden_size units.
  RNN(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {})
      : Recurrent(RecurrentKind::RNN, input_size, hidden_size, std::move(options)) {}
};
/// torch.nn.LSTM (gate order i, f, g, o); forward_state also returns the final cell state c_n.
class LSTM : public Recurrent {
 public:
  /// input_size features in, hidden_size units.
  LSTM(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {})
      : Recurrent(RecurrentKind::LSTM, input_size, hidden_size, std::move(options)) {}
};
/// torch.nn.GRU (gate order r, z, n).
class GRU : public Recurrent {
 public:
  /// input_size features in, hidden_size units.
  GRU(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {})
      : Recurrent(RecurrentKind::GRU, input_size, hidden_size, std::move(options)) {}
};

/// Single steps, as torch.nn.RNNCell / LSTMCell / GRUCell: parameters weight_ih, weight_hh,
/// bias_ih, bias_hh; x [B, in] or [in], states [B, H] or [H] (zeros when undefined). Options
/// used: bias, gate, cell, per_gate, dtype, gen.
class RecurrentCell : public Module {
 public:
  /// A cell of `kind` from input_size features to hidden_size (H) units.
  RecurrentCell(RecurrentKind kind, std::int64_t input_size, std::int64_t hidden_size,
                RecurrentOptions options);
  /// The next h (RNN, GRU) or h and c (LSTM: returned as {h, c}).
  std::vector<Tensor> step(const Tensor& x, const Tensor& h = Tensor(), const Tensor& c = Tensor());
  /// The next h.
  Tensor forward(const Tensor& x) override { return step(x)[0]; }
  std::string extra_repr() const override;
  /// Redraws every weight and bias from U(-1/sqrt(H), 1/sqrt(H)).
  void reset_parameters(Generator* gen = nullptr);

  /// [G*H, in], with G = 1, 4, 3 for the RNN, LSTM and GRU.
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  /// @var weight_hh
  /// [G*H, H].
  /// @var bias_ih
  /// [G*H]; undefined without bias.
  /// @var bias_hh
  /// [G*H]; undefined without bias.

 private:
  RecurrentKind kind_;
  std::int64_t input_size_, hidden_size_;
  RecurrentOptions options_;
  std::vector<std::shared_ptr<act::Activation>> gates_;
  std::shared_ptr<act::Activation> cell_;
};

/// torch.nn.RNNCell: one RNN step.
class RNNCell : public RecurrentCell {
 public:
  /// input_size features in, hidden_size units.
  RNNCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {})
      : RecurrentCell(RecurrentKind::RNN, input_size, hidden_size, std::move(options)) {}
};
/// torch.nn.LSTMCell: one LSTM step; step() returns {h, c}.
class LSTMCell : public RecurrentCell {
 public:
  /// input_size features in, hidden_size units.
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {})
      : RecurrentCell(RecurrentKind::LSTM, input_size, hidden_size, std::move(options)) {}
};
/// torch.nn.GRUCell: one GRU step.
class GRUCell : public RecurrentCell {
 public:
  /// input_size features in, hidden_size units.
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {})
      : RecurrentCell(RecurrentKind::GRU, input_size, hidden_size, std::move(options)) {}
};

}  // namespace tg::nn
