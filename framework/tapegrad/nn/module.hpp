#pragma once
/// @file
/// nn::Module: the base of every layer and model, with PyTorch's names and semantics.
/// Parameters, buffers and child modules are registered by name; named_parameters() gives dotted
/// names ("features.0.weight"); state_dict()/load_state_dict() copy values in place, so the
/// tensor handles an optimizer holds stay valid. Models are built at run time from shared_ptrs.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <source_location>

#include "tapegrad/autograd/hooks.hpp"
#include "tapegrad/core/tensor.hpp"

/// @cond internal
namespace tg::io {
class OnnxGraph;
}
/// @endcond

/// Layers, models and losses, built on nn::Module.
namespace tg::nn {

class Module;

/// @name Module hooks
/// Module hooks (PyTorch's names). Each returns std::nullopt to observe, or a tensor to replace
/// what it was given: the input (pre-hook), the output (forward hook), the gradient with respect
/// to the module's input (backward hook). grad_input is undefined when the input does not require
/// grad.
/// @{

/// Runs before forward, with the input.
using ForwardPreHook = std::function<std::optional<Tensor>(Module& m, const Tensor& input)>;
/// Runs after forward, with the input and the output.
using ForwardHook =
    std::function<std::optional<Tensor>(Module& m, const Tensor& input, const Tensor& output)>;
/// Runs during backward, with the gradients with respect to the module's input and output.
using BackwardHook = std::function<std::optional<Tensor>(Module& m, const Tensor& grad_input,
                                                         const Tensor& grad_output)>;

/// A forward pre-hook on every module called through operator() (in any thread), run after the
/// module's own hooks.
HookHandle register_module_forward_pre_hook(ForwardPreHook fn);
/// A forward hook on every module called through operator(), run after the module's own hooks.
HookHandle register_module_forward_hook(ForwardHook fn);
/// A backward hook on every module called through operator(), run after the module's own hooks.
HookHandle register_module_full_backward_hook(BackwardHook fn);
/// @}

namespace detail {
struct ModuleHooks;
}

/// Name -> tensor, sorted by name.
using StateDict = std::map<std::string, Tensor>;

/// The base of every layer and model, with PyTorch's names and semantics. Parameters, buffers and
/// child modules are registered by name; named_parameters() gives dotted names
/// ("features.0.weight"); state_dict()/load_state_dict() copy values in place, so the tensor
/// handles an optimizer holds stay valid. Models are built at run time from shared_ptrs.
class Module {
 public:
  /// A module with no parameters, shown as `type_name` in to_string() and summary().
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation. Call a module through operator(), which also runs the hooks and feeds
  /// summary(). The base class's throws tg::Error (not implemented).
  virtual Tensor forward(const Tensor& x);
  /// forward(x), with the hooks. `loc` is where the call was made (anomaly mode and the profiler
  /// report it).
  Tensor operator()(const Tensor& x, std::source_location loc = std::source_location::current());

  // --- hooks, run by operator() (see the types above). A backward hook runs during backward()
  // when the gradient with respect to the module's input is known; the module must still exist.
  /// A ForwardPreHook on this module.
  HookHandle register_forward_pre_hook(ForwardPreHook fn);
  /// A ForwardHook on this module.
  HookHandle register_forward_hook(ForwardHook fn);
  /// A BackwardHook on this module: runs during backward() when the gradient with respect to the
  /// module's input is known; the module must still exist.
  HookHandle register_full_backward_hook(BackwardHook fn);
  /// True when a call through operator() runs hooks (this module's or the global ones) or feeds
  /// summary(). A module that computes a child's function itself instead of calling it (a fused
  /// kernel) calls the child after all while this holds, so hooks and summaries see every call.
  bool calls_observed() const;

  // --- registration (names may not contain '.', must be unique within this module)
  /// Registers a parameter (a defined floating tensor) and returns it; sets requires_grad.
  Tensor register_parameter(const std::string& name, Tensor t);
  /// Registers a buffer (state that is not trained, such as running statistics) and returns it.
  Tensor register_buffer(const std::string& name, Tensor t);
  /// Registers a child module (not null) and returns it.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }

  // --- introspection (registration order, depth first)
  /// Parameters with dotted names; with recurse, the descendants' too. A tensor shared by two
  /// modules (tied weights) is listed once.
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  /// The tensors of named_parameters().
  std::vector<Tensor> parameters(bool recurse = true) const;
  /// Buffers with dotted names; with recurse, the descendants' too.
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  /// The tensors of named_buffers().
  std::vector<Tensor> buffers(bool recurse = true) const;
  /// The direct children with their names.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  /// The direct children.
  std::vector<std::shared_ptr<Module>> children() const;
  /// This module (name "") and every descendant, with dotted names, depth first.
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// The number of elements of all parameters (each shared tensor once).
  std::int64_t num_parameters() const;

  // --- modes and helpers
  /// Sets training mode (on) or evaluation mode (off) on this module and every descendant.
  virtual void train(bool on = true);
  void eval() { train(false); }                   ///< train(false)
  bool is_training() const { return training_; }  ///< true in training mode (the default)
  /// Drops the gradient of every parameter (set_to_none, as Tensor::zero_grad()).
  void zero_grad();
  /// Calls fn on every descendant, children first, then this module (as PyTorch's apply).
  void apply(const std::function<void(Module&)>& fn);

  // --- state
  /// Every parameter and buffer by dotted name (detached tensors sharing their storage).
  StateDict state_dict() const;
  /// Copies values into the registered tensors. strict: missing and unexpected keys are errors;
  /// a shape or dtype mismatch is always an error. All problems are listed in one message.
  void load_state_dict(const StateDict& sd, bool strict = true);

  /// True when this module is a function f applied elementwise, with no parameters, such that
  /// max-pooling commutes with it exactly: f(max(a, b)) == max(f(a), f(b)) bit for bit (NaN and
  /// -0.0 included) and the gradients of the two orders agree bit for bit too (f is
  /// non-decreasing, and flat only where its derivative is zero). Sequential then runs a
  /// following MaxPool2d first, so that f works on a quarter of the values. relu says true.
  virtual bool commutes_with_max_pool() const { return false; }

  // --- export
  /// Adds ONNX nodes to `g` that compute this module's eval-mode forward of the value `x` and
  /// returns the name of the result (tapegrad/io/onnx_graph.hpp; io::export_onnx writes the
  /// file). The default throws a tg::Error naming the module: a layer or activation that can be
  /// expressed in standard ONNX operators overrides it.
  virtual std::string to_onnx(io::OnnxGraph& g, const std::string& x) const;

  // --- printing
  /// The name given to the constructor ("Linear", "Conv2d").
  const std::string& type_name() const { return type_name_; }
  /// One line of settings, shown in to_string(): "in_features=2, out_features=3, bias=true".
  virtual std::string extra_repr() const { return ""; }
  /// A tree like PyTorch's print(model).
  std::string to_string() const;

 protected:
  /// Registers a child module; register_module() without the type.
  void add_child(const std::string& name, std::shared_ptr<Module> m);

 private:
  void collect_params(const std::string& prefix, bool recurse,
                      std::vector<std::pair<std::string, Tensor>>& out, bool buffers) const;
  void repr(std::string& out, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::shared_ptr<detail::ModuleHooks> hooks_;  // null while none is registered
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

/// torchsummary-like table: every module called through operator() during one forward pass on
/// zeros of `input_shape` (batch included), with its output shape and own parameter count,
/// then the totals. Runs under NoGradGuard in eval mode and restores the mode.
std::string summary(Module& model, const Shape& input_shape, DType dtype = DType::Float32);

/// Options of summary().
struct SummaryOptions {
  DType dtype = DType::Float32;  ///< dtype of the zeros run through the model
  /// Adds a "Saved" column: the bytes the tape saves for backward during each module's call, for
  /// one batch of `input_shape`. The forward then runs with grad enabled on an input that
  /// requires grad (when dtype is floating), still in eval mode, and the entries it records are
  /// removed afterwards. An entry recorded between a module's forward pre-hook and forward hook
  /// belongs to the innermost module running. Each row counts a storage once; a storage saved by
  /// two modules (the output of a ReLU that the next Linear saves as its input) counts in both
  /// rows and once in the total, which also says how much of it is parameters.
  bool saved_bytes = false;
};
/// summary() with options.
std::string summary(Module& model, const Shape& input_shape, const SummaryOptions& opts);

namespace detail {
// True while summary() runs its forward pass on this thread.
bool summary_active();
}  // namespace detail

}  // namespace tg::nn
