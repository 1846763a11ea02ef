#pragma once
// Activations: every activation, fixed or learnable, is an nn::Module registered by name with
// metadata (formula, parameters, He-init gain, reference). Models take a spec string such as
// "prelu(init=0.1, per_channel=true)" and ask the registry for a module:
//
//   auto act = tg::act::make("prelu(per_channel=true)", /*num_channels=*/64);
//
// Registering one is a line in the activation's own file (see TG_REGISTER_ACTIVATION), and a
// user program can register its own the same way (examples/custom_activation.cpp).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/activations/spec.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::act {

enum class Family { Fixed, Learnable };

// A key accepted in the spec string, with its default and meaning.
struct KeyInfo {
  std::string key;
  std::string default_value;
  std::string help;
};

// A learnable parameter (at the default settings).
struct ParamInfo {
  std::string name;
  std::string
      shape;  // "shared" (one value) or "per-channel" (one per channel), or e.g. "S per channel"
  std::string init;        // initial value(s), as text
  std::string constraint;  // e.g. "> 0 (stored as softplus of a free value)"; empty if none
};

struct Reference {
  std::string authors;
  int year = 0;
  std::string title;
};

struct ActivationInfo {
  std::string name;
  Family family = Family::Fixed;
  std::string formula;  // plain text, e.g. "f(x) = max(0, x) + a * min(0, x)"
  std::string latex;    // e.g. "f(x) = \\max(0, x) + a \\min(0, x)"
  std::vector<KeyInfo> keys;
  std::vector<ParamInfo> params;
  // Gain for He (Kaiming) initialisation at the default settings; nullopt when there is no
  // established value (the init then says it used gain 1).
  std::optional<double> gain;
  std::string gain_note;  // where the gain comes from
  Reference reference;
};

class Activation : public nn::Module {
 public:
  // `name` is the registry name; the module's type name too.
  explicit Activation(const std::string& name) : Module(name) {}
  // Metadata, looked up in the registry by name.
  const ActivationInfo& info() const;
  // Gain for He init for this instance (may depend on its settings, e.g. leaky_relu's slope).
  virtual std::optional<double> gain() const;
  // The spec this instance was built from ("" when constructed directly).
  const std::string& spec() const { return spec_; }
  void set_spec(std::string s) { spec_ = std::move(s); }
  std::string extra_repr() const override;

 private:
  std::string spec_;
};

// Builds an activation for `channels` channels whose parameters (if any) have dtype `dtype`.
using Factory = std::function<std::shared_ptr<Activation>(const Spec& spec, std::int64_t channels,
                                                          DType dtype)>;

struct Registration {
  ActivationInfo info;
  Factory make;
};

class Registry {
 public:
  static Registry& instance();
  // Adds an activation; a duplicate name is a tg::Error. Returns true (for static registrars).
  bool add(ActivationInfo info, Factory make);
  // Parses the spec, checks the name and keys (suggesting the closest name on a typo), builds.
  std::shared_ptr<Activation> make(std::string_view spec, std::int64_t num_channels = 1,
                                   DType dtype = DType::Float32) const;
  const Registration& get(std::string_view name) const;
  bool contains(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted

 private:
  Registry() = default;
  std::map<std::string, Registration, std::less<>> entries_;
};

// Shorthand for Registry::instance().make(spec, num_channels, dtype).
std::shared_ptr<Activation> make(std::string_view spec, std::int64_t num_channels = 1,
                                 DType dtype = DType::Float32);

// softplus(u) = log(1 + e^u), composed from ops so that gradients reach u: how learnable
// activations keep a parameter positive (stored as the free value u).
Tensor softplus_parameter(const Tensor& u);

}  // namespace tg::act

namespace tg::init {
// He initialisation for a layer followed by `activation`, with the activation's own gain
// (std = gain / sqrt(fan)). An activation without an established gain gets gain 1 (linear);
// `used`, if given, receives a sentence saying which gain was used and why.
Tensor kaiming_uniform_(const Tensor& w, const act::Activation& activation,
                        FanMode mode = FanMode::FanIn, Generator* gen = nullptr,
                        std::string* used = nullptr);
Tensor kaiming_normal_(const Tensor& w, const act::Activation& activation,
                       FanMode mode = FanMode::FanIn, Generator* gen = nullptr,
                       std::string* used = nullptr);
}  // namespace tg::init

namespace tg::nn {
// The parameters of every activation module inside `model` (for their own optimizer group:
// the recommended setting is no weight decay, as the PReLU paper prescribes), and all others.
std::vector<Tensor> activation_parameters(Module& model);
std::vector<Tensor> non_activation_parameters(Module& model);
}  // namespace tg::nn

#define TG_ACT_CONCAT2(a, b) a##b
#define TG_ACT_CONCAT(a, b) TG_ACT_CONCAT2(a, b)
// One line registers an activation: TG_REGISTER_ACTIVATION(info, factory);
#define TG_REGISTER_ACTIVATION(...)                                                          \
  [[maybe_unused]] static const bool TG_ACT_CONCAT(tg_activation_registered_, __COUNTER__) = \
      ::tg::act::Registry::instance().add(__VA_ARGS__)
