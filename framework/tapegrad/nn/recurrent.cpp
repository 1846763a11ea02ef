#include "tapegrad/nn/recurrent.hpp"

#include <cmath>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/nn.hpp"
#include "tapegrad/ops/recurrent.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::nn {

namespace {

using ActPtr = std::shared_ptr<act::Activation>;

const char* kind_name(RecurrentKind k) {
  switch (k) {
    case RecurrentKind::RNN:
      return "RNN";
    case RecurrentKind::LSTM:
      return "LSTM";
    case RecurrentKind::GRU:
      return "GRU";
  }
  return "?";
}

// Rows of the stacked weights: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
std::int64_t gate_rows(RecurrentKind k) {
  return k == RecurrentKind::LSTM ? 4 : k == RecurrentKind::GRU ? 3 : 1;
}

// The gates that go through the gate activation: i, f, o (LSTM) and r, z (GRU).
std::vector<std::string> gate_names(RecurrentKind k) {
  if (k == RecurrentKind::LSTM) return {"i", "f", "o"};
  if (k == RecurrentKind::GRU) return {"r", "z"};
  return {};
}

// A gate must stay in (0, 1) for the cell to mean what it says. An activation that leaves it on
// [-50, 50] is still allowed (a researcher may want exactly that), with one warning per spec.
void warn_if_unbounded_gate(act::Activation& a, const std::string& spec, std::int64_t channels,
                            DType dtype) {
  static std::mutex mu;
  static std::set<std::string> warned;
  NoGradGuard no_grad;
  const Tensor x = linspace(-50, 50, 201, dtype).reshape({201, 1}).expand({201, channels});
  const std::vector<double> y = a.forward(x.contiguous()).to_vector<double>();
  bool inside = true;
  for (double v : y) inside = inside && v >= 0 && v <= 1;
  if (inside) return;
  const std::lock_guard lock(mu);
  if (warned.insert(spec).second)
    fmt::print(stderr,
               "tapegrad: warning: the gate activation '{}' leaves (0, 1) (a gate scales what "
               "passes through it; an unbounded one may grow without limit)\n",
               spec);
}

struct Activations {
  std::vector<ActPtr> gates;
  ActPtr cell;
};

Activations make_activations(Module& owner, RecurrentKind kind, const RecurrentOptions& o,
                             std::int64_t hidden, const std::string& suffix) {
  Activations a;
  const std::vector<std::string> names = gate_names(kind);
  if (!names.empty()) {
    const std::size_t n = o.per_gate ? names.size() : 1;
    for (std::size_t g = 0; g < n; ++g) {
      ActPtr act = act::make(o.gate, hidden, o.dtype);
      warn_if_unbounded_gate(*act, o.gate, hidden, o.dtype);
      owner.register_module(o.per_gate ? "gate" + suffix + "_" + names[g] : "gate" + suffix, act);
      a.gates.push_back(std::move(act));
    }
  }
  a.cell = act::make(o.cell, hidden, o.dtype);
  owner.register_module("cell" + suffix, a.cell);
  return a;
}

Tensor call(const ActPtr& a, const Tensor& x) { return (*a)(x); }
const ActPtr& gate(const std::vector<ActPtr>& gates, std::size_t k) {
  return gates.size() == 1 ? gates[0] : gates[k];
}

// One step from the input projection xp = x W_ih^T + b_ih [B, G*H] and the state h (c): the next
// h (and c, for the LSTM).
void step(RecurrentKind kind, const Tensor& xp, const Tensor& h, const Tensor& c,
          const Tensor& w_hh, const Tensor& b_hh, const std::vector<ActPtr>& gates,
          const ActPtr& cell, std::int64_t H, Tensor& h_out, Tensor& c_out) {
  const Tensor hp = linear(h, w_hh, b_hh);
  switch (kind) {
    case RecurrentKind::RNN: {
      h_out = call(cell, add(xp, hp));
      return;
    }
    case RecurrentKind::LSTM: {
      const Tensor z = add(xp, hp);
      const Tensor i = call(gate(gates, 0), narrow(z, 1, 0, H));
      const Tensor f = call(gate(gates, 1), narrow(z, 1, H, H));
      const Tensor g = call(cell, narrow(z, 1, 2 * H, H));
      const Tensor o = call(gate(gates, 2), narrow(z, 1, 3 * H, H));
      c_out = add(mul(f, c), mul(i, g));
      h_out = mul(o, call(cell, c_out));
      return;
    }
    case RecurrentKind::GRU: {
      const Tensor r = call(gate(gates, 0), add(narrow(xp, 1, 0, H), narrow(hp, 1, 0, H)));
      const Tensor z = call(gate(gates, 1), add(narrow(xp, 1, H, H), narrow(hp, 1, H, H)));
      const Tensor n = call(cell, add(narrow(xp, 1, 2 * H, H), mul(r, narrow(hp, 1, 2 * H, H))));
      // (1 - z) n + z h, as PyTorch writes it.
      h_out = add(mul(sub(ones_like(z), z), n), mul(z, h));
      return;
    }
  }
}

// The fused op for these activations, if there is one: fixed sigmoid gates and a tanh cell (tanh
// or relu for the RNN), none of them observed by hooks or summary().
std::optional<FusedRecurrence> fused_kind(RecurrentKind kind, const RecurrentOptions& o,
                                          const std::vector<ActPtr>& gates, const ActPtr& cell) {
  if (!o.fused) return std::nullopt;
  auto plain = [](const ActPtr& a, const char* name) {
    return a->type_name() == name && a->parameters().empty() && !a->calls_observed();
  };
  for (const ActPtr& g : gates)
    if (!plain(g, "sigmoid")) return std::nullopt;
  switch (kind) {
    case RecurrentKind::RNN:
      if (plain(cell, "tanh")) return FusedRecurrence::rnn_tanh;
      if (plain(cell, "relu")) return FusedRecurrence::rnn_relu;
      return std::nullopt;
    case RecurrentKind::LSTM:
      if (plain(cell, "tanh")) return FusedRecurrence::lstm;
      return std::nullopt;
    case RecurrentKind::GRU:
      if (plain(cell, "tanh")) return FusedRecurrence::gru;
      return std::nullopt;
  }
  return std::nullopt;
}

void check_state(const Tensor& s, const char* name, const Shape& expected) {
  if (!s.defined()) return;
  if (s.shape() != expected)
    fail("{}: expected shape {}, got {}", name, shape_str(expected), shape_str(s.shape()));
}

void validate_sizes(const char* what, std::int64_t input, std::int64_t hidden,
                    const RecurrentOptions& o) {
  TG_CHECK(input > 0 && hidden > 0,
           "{}: input_size and hidden_size must be positive, got {} and {}", what, input, hidden);
  TG_CHECK(o.num_layers >= 1, "{}: num_layers must be at least 1, got {}", what, o.num_layers);
  TG_CHECK(o.dropout >= 0 && o.dropout < 1, "{}: dropout must be in [0, 1), got {}", what,
           o.dropout);
  TG_CHECK(o.dtype == DType::Float32 || o.dtype == DType::Float64,
           "{}: dtype must be float32 or float64", what);
}

}  // namespace

// ---------------------------------------------------------------- the layers

Recurrent::Recurrent(RecurrentKind kind, std::int64_t input_size, std::int64_t hidden_size,
                     RecurrentOptions options)
    : Module(kind_name(kind)),
      kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      options_(std::move(options)) {
  validate_sizes(kind_name(kind), input_size, hidden_size, options_);
  const std::int64_t G = gate_rows(kind), H = hidden_size, D = options_.bidirectional ? 2 : 1;
  const DType dt = options_.dtype;
  for (std::int64_t l = 0; l < options_.num_layers; ++l) {
    const std::int64_t in = l == 0 ? input_size : D * H;
    for (std::int64_t d = 0; d < D; ++d) {
      const std::string sfx = fmt::format("_l{}{}", l, d == 1 ? "_reverse" : "");
      Direction dir;
      dir.w_ih = register_parameter("weight_ih" + sfx, empty({G * H, in}, dt));
      dir.w_hh = register_parameter("weight_hh" + sfx, empty({G * H, H}, dt));
      if (options_.bias) {
        dir.b_ih = register_parameter("bias_ih" + sfx, empty({G * H}, dt));
        dir.b_hh = register_parameter("bias_hh" + sfx, empty({G * H}, dt));
      }
      dirs_.push_back(std::move(dir));
    }
  }
  // The activations after every parameter, so that the weights come first in the state dict.
  for (std::int64_t l = 0; l < options_.num_layers; ++l)
    for (std::int64_t d = 0; d < D; ++d) {
      Activations a = make_activations(*this, kind, options_, H,
                                       fmt::format("_l{}{}", l, d == 1 ? "_reverse" : ""));
      Direction& dir = dirs_[static_cast<std::size_t>(l * D + d)];
      dir.gates = std::move(a.gates);
      dir.cell = std::move(a.cell);
    }
  reset_parameters(options_.gen);
}

void Recurrent::reset_parameters(Generator* gen) {
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (Direction& d : dirs_)
    for (Tensor* t : {&d.w_ih, &d.w_hh, &d.b_ih, &d.b_hh})
      if (t->defined()) init::uniform_(*t, -k, k, gen);
}

std::string Recurrent::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size_, hidden_size_);
  if (options_.num_layers != 1) s += fmt::format(", num_layers={}", options_.num_layers);
  if (!options_.bias) s += ", bias=false";
  if (options_.batch_first) s += ", batch_first=true";
  if (options_.dropout > 0) s += fmt::format(", dropout={}", options_.dropout);
  if (options_.bidirectional) s += ", bidirectional=true";
  if (kind_ != RecurrentKind::RNN) s += fmt::format(", gate={}", options_.gate);
  s += fmt::format(", cell={}", options_.cell);
  if (options_.per_gate) s += ", per_gate=true";
  return s;
}

Tensor Recurrent::run_direction(Direction& d, const Tensor& x, bool reverse, Tensor& h, Tensor& c) {
  const std::int64_t T = x.size(0), B = x.size(1), H = hidden_size_, GH = gate_rows(kind_) * H;
  // The input projection of every step at once: one GEMM.
  const Tensor xp = linear(x.reshape({T * B, x.size(2)}), d.w_ih, d.b_ih).reshape({T, B, GH});
  if (const std::optional<FusedRecurrence> k = fused_kind(kind_, options_, d.gates, d.cell)) {
    const Tensor y = fused_recurrence(*k, xp, d.w_hh, d.b_hh, h, c, reverse);
    const Tensor out = kind_ == RecurrentKind::LSTM ? narrow(y, 0, 0, T) : y;
    if (kind_ == RecurrentKind::LSTM) c = narrow(y, 0, T, 1).reshape({B, H});
    h = narrow(out, 0, reverse ? 0 : T - 1, 1).reshape({B, H});
    return out;
  }
  // Step t reads row t of xp through a view. The backward of a view makes a gradient the size of
  // what it views, so T views of xp would cost O(T^2): view chunks of K = sqrt(T) rows first,
  // then rows of a chunk (O(T^1.5); a 10,000-step sequence stays fast).
  const auto K = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(T))));
  std::vector<Tensor> chunks;
  for (std::int64_t at = 0; at < T; at += K)
    chunks.push_back(narrow(xp, 0, at, std::min(K, T - at)));
  std::vector<Tensor> hs(static_cast<std::size_t>(T));
  for (std::int64_t s = 0; s < T; ++s) {
    const std::int64_t t = reverse ? T - 1 - s : s;
    const Tensor xt = narrow(chunks[static_cast<std::size_t>(t / K)], 0, t % K, 1).reshape({B, GH});
    Tensor h_next, c_next;
    step(kind_, xt, h, c, d.w_hh, d.b_hh, d.gates, d.cell, H, h_next, c_next);
    h = h_next;
    if (kind_ == RecurrentKind::LSTM) c = c_next;
    hs[static_cast<std::size_t>(t)] = h;
  }
  return stack(hs, 0);
}

RecurrentOutput Recurrent::forward_state(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  const char* what = kind_name(kind_);
  TG_CHECK(input.defined() && (input.dim() == 2 || input.dim() == 3),
           "{}: expected an input [T, B, {}] ({}[T, {}] unbatched), got {}", what, input_size_,
           options_.batch_first ? "[B, T, " + std::to_string(input_size_) + "] batch first, " : "",
           input_size_, input.defined() ? shape_str(input.shape()) : "an undefined tensor");
  TG_CHECK(input.dtype() == options_.dtype, "{}: input dtype {} differs from the layer's {}", what,
           dtype_name(input.dtype()), dtype_name(options_.dtype));
  const bool batched = input.dim() == 3;
  Tensor x = batched ? (options_.batch_first ? input.transpose(0, 1) : input) : input.unsqueeze(1);
  TG_CHECK(x.size(2) == input_size_, "{}: input has {} features, the layer expects {}", what,
           x.size(2), input_size_);
  TG_CHECK(x.size(0) >= 1, "{}: the sequence is empty", what);
  const std::int64_t B = x.size(1), H = hidden_size_, D = options_.bidirectional ? 2 : 1,
                     L = options_.num_layers;
  const Shape state_shape = batched ? Shape{L * D, B, H} : Shape{L * D, H};
  check_state(h0, "h0", state_shape);
  if (kind_ == RecurrentKind::LSTM)
    check_state(c0, "c0", state_shape);
  else
    TG_CHECK(!c0.defined(), "{}: only an LSTM takes a c0", what);
  const Tensor h_init = h0.defined() ? (batched ? h0 : h0.unsqueeze(1)) : Tensor();
  const Tensor c_init = c0.defined() ? (batched ? c0 : c0.unsqueeze(1)) : Tensor();

  std::vector<Tensor> h_last, c_last;
  Tensor layer_in = x;
  for (std::int64_t l = 0; l < L; ++l) {
    if (l > 0 && options_.dropout > 0)
      layer_in = dropout(layer_in, options_.dropout, is_training(), options_.dropout_gen);
    std::vector<Tensor> outs;
    for (std::int64_t d = 0; d < D; ++d) {
      const std::int64_t idx = l * D + d;
      Tensor h = h_init.defined() ? narrow(h_init, 0, idx, 1).reshape({B, H})
                                  : zeros({B, H}, options_.dtype);
      Tensor c;
      if (kind_ == RecurrentKind::LSTM)
        c = c_init.defined() ? narrow(c_init, 0, idx, 1).reshape({B, H})
                             : zeros({B, H}, options_.dtype);
      outs.push_back(run_direction(dirs_[static_cast<std::size_t>(idx)], layer_in, d == 1, h, c));
      h_last.push_back(h);
      if (kind_ == RecurrentKind::LSTM) c_last.push_back(c);
    }
    layer_in = D == 1 ? outs[0] : cat(outs, 2);
  }

  RecurrentOutput out;
  out.output = layer_in;
  out.h_n = stack(h_last, 0);
  if (kind_ == RecurrentKind::LSTM) out.c_n = stack(c_last, 0);
  if (!batched) {
    out.output = out.output.squeeze(1);
    out.h_n = out.h_n.squeeze(1);
    if (out.c_n.defined()) out.c_n = out.c_n.squeeze(1);
  } else if (options_.batch_first) {
    out.output = out.output.transpose(0, 1).contiguous();
  }
  return out;
}

// ---------------------------------------------------------------- the cells

RecurrentCell::RecurrentCell(RecurrentKind kind, std::int64_t input_size, std::int64_t hidden_size,
                             RecurrentOptions options)
    : Module(std::string(kind_name(kind)) + "Cell"),
      kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      options_(std::move(options)) {
  validate_sizes(type_name().c_str(), input_size, hidden_size, options_);
  const std::int64_t GH = gate_rows(kind) * hidden_size;
  const DType dt = options_.dtype;
  weight_ih = register_parameter("weight_ih", empty({GH, input_size}, dt));
  weight_hh = register_parameter("weight_hh", empty({GH, hidden_size}, dt));
  if (options_.bias) {
    bias_ih = register_parameter("bias_ih", empty({GH}, dt));
    bias_hh = register_parameter("bias_hh", empty({GH}, dt));
  }
  Activations a = make_activations(*this, kind, options_, hidden_size, "");
  gates_ = std::move(a.gates);
  cell_ = std::move(a.cell);
  reset_parameters(options_.gen);
}

void RecurrentCell::reset_parameters(Generator* gen) {
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (Tensor* t : {&weight_ih, &weight_hh, &bias_ih, &bias_hh})
    if (t->defined()) init::uniform_(*t, -k, k, gen);
}

std::string RecurrentCell::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size_, hidden_size_);
  if (!options_.bias) s += ", bias=false";
  if (kind_ != RecurrentKind::RNN) s += fmt::format(", gate={}", options_.gate);
  s += fmt::format(", cell={}", options_.cell);
  return s;
}

std::vector<Tensor> RecurrentCell::step(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  const std::string& what = type_name();
  TG_CHECK(input.defined() && (input.dim() == 1 || input.dim() == 2),
           "{}: expected an input [B, {}] or [{}], got {}", what, input_size_, input_size_,
           input.defined() ? shape_str(input.shape()) : "an undefined tensor");
  TG_CHECK(input.dtype() == options_.dtype, "{}: input dtype {} differs from the cell's {}", what,
           dtype_name(input.dtype()), dtype_name(options_.dtype));
  const bool batched = input.dim() == 2;
  const Tensor x = batched ? input : input.unsqueeze(0);
  TG_CHECK(x.size(1) == input_size_, "{}: input has {} features, the cell expects {}", what,
           x.size(1), input_size_);
  const std::int64_t B = x.size(0), H = hidden_size_;
  const Shape state_shape = batched ? Shape{B, H} : Shape{H};
  check_state(h0, "h", state_shape);
  if (kind_ == RecurrentKind::LSTM)
    check_state(c0, "c", state_shape);
  else
    TG_CHECK(!c0.defined(), "{}: only an LSTMCell takes a c", what);
  auto state = [&](const Tensor& s) {
    if (!s.defined()) return zeros({B, H}, options_.dtype);
    return batched ? s : s.unsqueeze(0);
  };
  const Tensor h = state(h0);
  const Tensor c = kind_ == RecurrentKind::LSTM ? state(c0) : Tensor();
  Tensor h_next, c_next;
  const Tensor xp = linear(x, weight_ih, bias_ih);
  if (const std::optional<FusedRecurrence> k = fused_kind(kind_, options_, gates_, cell_)) {
    const Tensor y = fused_recurrence(*k, xp.unsqueeze(0), weight_hh, bias_hh, h, c, false);
    h_next = narrow(y, 0, 0, 1).reshape({B, H});
    if (kind_ == RecurrentKind::LSTM) c_next = narrow(y, 0, 1, 1).reshape({B, H});
  } else {
    tg::nn::step(kind_, xp, h, c, weight_hh, bias_hh, gates_, cell_, H, h_next, c_next);
  }
  std::vector<Tensor> out{batched ? h_next : h_next.squeeze(0)};
  if (kind_ == RecurrentKind::LSTM) out.push_back(batched ? c_next : c_next.squeeze(0));
  return out;
}

}  // namespace tg::nn
