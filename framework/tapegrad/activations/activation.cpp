#include "tapegrad/activations/activation.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "tapegrad/ops/elementwise.hpp"

namespace tg::act {

const ActivationInfo& Activation::info() const {
  return Registry::instance().get(type_name()).info;
}

std::optional<double> Activation::gain() const { return info().gain; }

Tensor softplus_parameter(const Tensor& u) { return add(relu(u), log1p(exp(neg(abs(u))))); }

std::string Activation::extra_repr() const {
  const auto open = spec_.find('(');
  if (open == std::string::npos) return "";
  return spec_.substr(open + 1, spec_.size() - open - 2);
}

Registry& Registry::instance() {
  static Registry r;
  return r;
}

bool Registry::add(ActivationInfo info, Factory make) {
  if (info.name.empty()) fail("activation registry: an activation needs a name");
  if (entries_.count(info.name)) fail("activation registry: '{}' is registered twice", info.name);
  if (!make) fail("activation registry: '{}' has no factory", info.name);
  std::string name = info.name;
  entries_.emplace(std::move(name), Registration{std::move(info), std::move(make)});
  return true;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : entries_) out.push_back(n);
  return out;
}

bool Registry::contains(std::string_view name) const {
  return entries_.find(name) != entries_.end();
}

const Registration& Registry::get(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    const std::vector<std::string> all = names();
    const std::string near = closest(name, all);
    std::string list;
    for (const auto& n : all) list += (list.empty() ? "" : ", ") + n;
    fail("unknown activation '{}'{}; registered activations: {}", name,
         near.empty() ? std::string() : fmt::format("; did you mean '{}'?", near), list);
  }
  return it->second;
}

std::shared_ptr<Activation> Registry::make(std::string_view text, std::int64_t num_channels,
                                           DType dtype) const {
  const Spec spec = Spec::parse(text);
  const Registration& r = get(spec.name());
  std::vector<std::string> valid;
  for (const auto& k : r.info.keys) valid.push_back(k.key);
  for (const auto& [key, _] : spec.values()) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    std::string list;
    for (const auto& k : valid) list += (list.empty() ? "" : ", ") + k;
    const std::string near = closest(key, valid);
    fail("activation '{}': unknown parameter '{}'{}; {}", spec.name(), key,
         near.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", near),
         valid.empty() ? std::string("it takes no parameters")
                       : fmt::format("valid parameters: {}", list));
  }
  if (num_channels < 1)
    fail("activation '{}': num_channels must be >= 1, got {}", spec.name(), num_channels);
  if (!is_floating(dtype))
    fail("activation '{}': dtype must be float32 or float64, got {}", spec.name(), dtype);
  std::shared_ptr<Activation> a = r.make(spec, num_channels, dtype);
  a->set_spec(spec.text());
  return a;
}

std::shared_ptr<Activation> make(std::string_view spec, std::int64_t num_channels, DType dtype) {
  return Registry::instance().make(spec, num_channels, dtype);
}

}  // namespace tg::act

namespace tg::init {

namespace {
double activation_std(const Tensor& w, const act::Activation& a, FanMode mode, std::string* used) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(w);
  const std::int64_t fan = mode == FanMode::FanIn ? fan_in : fan_out;
  if (fan <= 0) fail("kaiming init: the weight of shape {} has a zero fan", shape_str(w.shape()));
  const std::optional<double> g = a.gain();
  const double gain = g.value_or(1.0);
  if (used) {
    *used = g ? fmt::format("gain {:.4f} of {} ({})", gain, a.type_name(), a.info().gain_note)
              : fmt::format("{} has no established He gain; used gain 1 (linear)", a.type_name());
  }
  return gain / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor kaiming_uniform_(const Tensor& w, const act::Activation& a, FanMode mode, Generator* gen,
                        std::string* used) {
  const double bound = std::sqrt(3.0) * activation_std(w, a, mode, used);
  return uniform_(w, -bound, bound, gen);
}

Tensor kaiming_normal_(const Tensor& w, const act::Activation& a, FanMode mode, Generator* gen,
                       std::string* used) {
  return normal_(w, 0.0, activation_std(w, a, mode, used), gen);
}

}  // namespace tg::init

namespace tg::nn {

std::vector<Tensor> activation_parameters(Module& model) {
  std::vector<Tensor> out;
  std::set<const TensorImpl*> seen;
  for (auto& [_, m] : model.named_modules())
    if (dynamic_cast<act::Activation*>(m))
      for (const Tensor& p : m->parameters())
        if (seen.insert(p.impl()).second) out.push_back(p);
  return out;
}

std::vector<Tensor> non_activation_parameters(Module& model) {
  std::set<const TensorImpl*> act;
  for (const Tensor& p : activation_parameters(model)) act.insert(p.impl());
  std::vector<Tensor> out;
  for (const Tensor& p : model.parameters())
    if (!act.count(p.impl())) out.push_back(p);
  return out;
}

}  // namespace tg::nn
