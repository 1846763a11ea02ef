#pragma once
/// @file
/// Activations: every activation, fixed or learnable, is an nn::Module registered by name with
/// metadata (formula, parameters, He-init gain, reference). Models take a spec string such as
/// "prelu(init=0.1, per_channel=true)" and ask the registry for a module:
///
/// @code{.cpp}
///   auto act = tg::act::make("prelu(per_channel=true)", /*num_channels=*/64);
/// @endcode
///
/// Registering one is a line in the activation's own file (see TG_REGISTER_ACTIVATION), and a
/// user program can register its own the same way (examples/custom_activation.cpp).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/activations/spec.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/nn/module.hpp"

/// Activation functions: the registry of named activations, their specs and modules.
namespace tg::act {

/// Whether an activation has learnable parameters.
enum class Family {
  Fixed,     ///< no parameters (relu, tanh, ...)
  Learnable  ///< parameters trained with the model (prelu, ...)
};

/// A key accepted in the spec string, with its default and meaning.
struct KeyInfo {
  std::string key;            ///< the key as written in the spec
  std::string default_value;  ///< its value when the spec does not give it, as text
  std::string help;           ///< what it means
};

/// A learnable parameter (at the default settings).
struct ParamInfo {
  std::string name;  ///< as the module registers it ("weight")
  std::string
      shape;  ///< "shared" (one value) or "per-channel" (one per channel), or e.g. "S per channel"
  std::string init;        ///< initial value(s), as text
  std::string constraint;  ///< e.g. "> 0 (stored as softplus of a free value)"; empty if none
};

/// The publication that introduced an activation.
struct Reference {
  std::string authors;  ///< "He, Zhang, Ren, Sun"
  int year = 0;         ///< year of publication
  std::string title;    ///< the paper's title
};

/// An activation's metadata, as registered with it.
struct ActivationInfo {
  std::string name;               ///< the registry name, used in spec strings
  Family family = Family::Fixed;  ///< fixed or learnable
  std::string formula;            ///< plain text, e.g. "f(x) = max(0, x) + a * min(0, x)"
  std::string latex;              ///< e.g. "f(x) = \\max(0, x) + a \\min(0, x)"
  std::vector<KeyInfo> keys;      ///< the keys its spec accepts
  std::vector<ParamInfo> params;  ///< its learnable parameters (none for a fixed one)
  /// Gain for He (Kaiming) initialisation at the default settings; nullopt when there is no
  /// established value (the init then says it used gain 1).
  std::optional<double> gain;
  std::string gain_note;  ///< where the gain comes from
  Reference reference;    ///< where it comes from
};

/// The base of every registered activation: an nn::Module with the registry's metadata.
class Activation : public nn::Module {
 public:
  /// `name` is the registry name; the module's type name too.
  explicit Activation(const std::string& name) : Module(name) {}
  /// Metadata, looked up in the registry by name.
  const ActivationInfo& info() const;
  /// Gain for He init for this instance (may depend on its settings, e.g. leaky_relu's slope).
  virtual std::optional<double> gain() const;
  /// The spec this instance was built from ("" when constructed directly).
  const std::string& spec() const { return spec_; }
  void set_spec(std::string s) { spec_ = std::move(s); }  ///< records the spec (Registry::make)
  std::string extra_repr() const override;

 private:
  std::string spec_;
};

/// Builds an activation for `channels` channels whose parameters (if any) have dtype `dtype`.
using Factory = std::function<std::shared_ptr<Activation>(const Spec& spec, std::int64_t channels,
                                                          DType dtype)>;

/// One registered activation: its metadata and its factory.
struct Registration {
  ActivationInfo info;  ///< metadata
  Factory make;         ///< builds an instance
};

/// Every registered activation by name. Built-in ones register when the program starts (from
/// static objects, TG_REGISTER_ACTIVATION), as can a user program's own.
class Registry {
 public:
  static Registry& instance();  ///< the process-wide registry
  /// Adds an activation; a duplicate name is a tg::Error. Returns true (for static registrars).
  bool add(ActivationInfo info, Factory make);
  /// Parses the spec, checks the name and keys (suggesting the closest name on a typo), builds.
  std::shared_ptr<Activation> make(std::string_view spec, std::int64_t num_channels = 1,
                                   DType dtype = DType::Float32) const;
  /// The activation called name; an unknown name is a tg::Error listing the names (and the
  /// closest one).
  const Registration& get(std::string_view name) const;
  /// True when an activation called name is registered.
  bool contains(std::string_view name) const;
  std::vector<std::string> names() const;  ///< sorted

 private:
  Registry() = default;
  std::map<std::string, Registration, std::less<>> entries_;
};

/// Shorthand for Registry::instance().make(spec, num_channels, dtype).
std::shared_ptr<Activation> make(std::string_view spec, std::int64_t num_channels = 1,
                                 DType dtype = DType::Float32);

/// softplus(u) = log(1 + e^u), composed from ops so that gradients reach u: how learnable
/// activations keep a parameter positive (stored as the free value u).
Tensor softplus_parameter(const Tensor& u);

}  // namespace tg::act

namespace tg::init {
/// He initialisation for a layer followed by `activation`, with the activation's own gain
/// (std = gain / sqrt(fan)). An activation without an established gain gets gain 1 (linear);
/// `used`, if given, receives a sentence saying which gain was used and why.
Tensor kaiming_uniform_(const Tensor& w, const act::Activation& activation,
                        FanMode mode = FanMode::FanIn, Generator* gen = nullptr,
                        std::string* used = nullptr);
/// kaiming_uniform_ with a normal distribution: N(0, std), std = gain / sqrt(fan).
Tensor kaiming_normal_(const Tensor& w, const act::Activation& activation,
                       FanMode mode = FanMode::FanIn, Generator* gen = nullptr,
                       std::string* used = nullptr);
}  // namespace tg::init

namespace tg::nn {
/// The parameters of every activation module inside `model` (for their own optimizer group:
/// the recommended setting is no weight decay, as the PReLU paper prescribes), and all others.
std::vector<Tensor> activation_parameters(Module& model);
/// Every parameter of model that activation_parameters() does not list.
std::vector<Tensor> non_activation_parameters(Module& model);
}  // namespace tg::nn

/// @cond internal
#define TG_ACT_CONCAT2(a, b) a##b
#define TG_ACT_CONCAT(a, b) TG_ACT_CONCAT2(a, b)
/// @endcond
/// One line registers an activation: TG_REGISTER_ACTIVATION(info, factory); (a static object
/// whose initialiser calls Registry::add when the program starts).
#define TG_REGISTER_ACTIVATION(...)                                                          \
  [[maybe_unused]] static const bool TG_ACT_CONCAT(tg_activation_registered_, __COUNTER__) = \
      ::tg::act::Registry::instance().add(__VA_ARGS__)
