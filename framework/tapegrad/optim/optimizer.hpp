#pragma once
/// @file
/// Optimizer base: parameter groups with per-group options, per-parameter state, and a flat
/// state_dict for checkpoints. Semantics follow torch.optim (PyTorch 1.13 update equations).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/core/tensor.hpp"

/// Optimizers, learning-rate schedulers and gradient clipping.
namespace tg::optim {

/// A group: its parameters and option overrides by name ("lr", "weight_decay", "momentum", ...).
/// Options left out take the optimizer's defaults. Boolean options are stored as 0/1.
struct ParamGroup {
  std::vector<Tensor> params;             ///< leaf tensors that require grad
  std::map<std::string, double> options;  ///< overrides of the optimizer's defaults
};

/// Flat, so a checkpoint can store it (safetensors: tensors + metadata).
/// @verbatim
///   tensors: "state.<group>.<index>.<name>"  e.g. "state.0.3.exp_avg"
///   scalars: "param_groups.<group>.<option>" and "state.<group>.<index>.step"
/// @endverbatim
struct OptimizerState {
  std::map<std::string, Tensor> tensors;  ///< per-parameter state tensors by key
  std::map<std::string, double> scalars;  ///< group options and step counts by key
};

/// The base of every optimizer: parameter groups with per-group options, per-parameter state and a
/// flat state_dict for checkpoints. Semantics follow torch.optim (PyTorch 1.13 update equations).
class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient (under NoGradGuard). Parameters without a
  /// gradient are skipped and their state is left alone.
  virtual void step() = 0;
  /// Drops every parameter's gradient (set_to_none, PyTorch 2's default).
  void zero_grad();

  /// The groups; their options may be changed between steps (a scheduler changes "lr").
  std::vector<ParamGroup>& param_groups() { return groups_; }
  /// The groups.
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  /// Adds a group; options it leaves out take the defaults. Unknown option names, bad values, a
  /// parameter already in another group, non-floating or non-leaf parameters, or parameters that
  /// do not require grad are refused with a tg::Error.
  void add_param_group(ParamGroup g);

  const std::string& name() const { return name_; }  ///< "Adam", "SGD", ...
  /// The default options, every option name the optimizer knows.
  const std::map<std::string, double>& defaults() const { return defaults_; }

  /// The options of every group and the state of every parameter, flat (OptimizerState).
  OptimizerState state_dict() const;
  /// Validates group and parameter counts, option names and state shapes, then replaces the
  /// options and state. The tensors are copied (and converted to each parameter's dtype).
  void load_state_dict(const OptimizerState& s);

 protected:
  /// One parameter's state.
  struct ParamState {
    std::map<std::string, Tensor> tensors;  ///< contiguous, same shape and dtype as the parameter
    std::int64_t step = 0;                  ///< updates made so far
  };

  /// An optimizer called `name` whose options and their defaults are `defaults`.
  Optimizer(std::string name, std::map<std::string, double> defaults);
  /// Called from the derived constructor (validate() is virtual).
  void init_groups(std::vector<ParamGroup> groups);

  /// Checks one group's complete option map (names already known to be valid).
  virtual void validate(const std::map<std::string, double>& options) const = 0;

  /// Calls f for each parameter that has a gradient, under NoGradGuard, after validating the
  /// group's options and calling param.prepare_inplace("<name>.step"). `param` is contiguous
  /// (a non-contiguous parameter gets a contiguous copy that is written back after f), `grad` is
  /// contiguous with the parameter's dtype.
  using UpdateFn = std::function<void(const std::map<std::string, double>& options,
                                      const Tensor& param, const Tensor& grad, ParamState& state)>;
  /// Calls f for each parameter that has a gradient (see UpdateFn).
  void for_each_param(const UpdateFn& f);

  /// A contiguous state tensor of param's shape and dtype, created (zero-filled) if absent.
  static Tensor& state_tensor(ParamState& st, const std::string& key, const Tensor& param,
                              bool* created = nullptr);

 private:
  std::map<std::string, double> complete_options(const std::map<std::string, double>& given,
                                                 const char* where) const;

  std::string name_;
  std::map<std::string, double> defaults_;
  std::vector<ParamGroup> groups_;
  // Keyed by the parameter itself, like PyTorch keys state by parameter identity, so editing
  // param_groups() does not misalign the state (holding the pointer keeps the address unique).
  std::map<std::shared_ptr<TensorImpl>, ParamState> state_;
};

/// Reads an option that validate() guaranteed to exist.
double option(const std::map<std::string, double>& options, const std::string& key);

}  // namespace tg::optim
