#include "tapegrad/nn/module.hpp"

#include <set>

#include <fmt/format.h>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"

namespace tg::nn {

namespace {

void check_name(const std::string& name, const char* what) {
  if (name.empty()) fail("{}: name must not be empty", what);
  if (name.find('.') != std::string::npos)
    fail("{}: name '{}' must not contain '.' (dots separate nested module names)", what, name);
}

// Records what summary() prints: one row per module call.
struct SummaryRow {
  const Module* module;
  Shape out;
};
thread_local std::vector<SummaryRow>* g_summary = nullptr;

std::string with_commas(std::int64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

}  // namespace

Tensor Module::forward(const Tensor&) {
  fail("{}: forward(x) is not implemented for this module", type_name_);
}

Tensor Module::operator()(const Tensor& x) {
  Tensor y = forward(x);
  if (g_summary) g_summary->push_back({this, y.shape()});
  return y;
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_name(name, "register_parameter");
  for (const auto& [n, _] : params_)
    if (n == name)
      fail("register_parameter: {} already has a parameter named '{}'", type_name_, name);
  if (!t.defined()) fail("register_parameter: parameter '{}' is an undefined tensor", name);
  if (!is_floating(t.dtype()))
    fail("register_parameter: parameter '{}' must be float32 or float64, got {}", name, t.dtype());
  if (!t.is_leaf()) t = t.detach();
  t.requires_grad_(true);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  check_name(name, "register_buffer");
  for (const auto& [n, _] : buffers_)
    if (n == name) fail("register_buffer: {} already has a buffer named '{}'", type_name_, name);
  buffers_.emplace_back(name, t);
  return t;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_name(name, "register_module");
  if (!m) fail("register_module: module '{}' is null", name);
  for (const auto& [n, _] : children_)
    if (n == name) fail("register_module: {} already has a child named '{}'", type_name_, name);
  children_.emplace_back(name, std::move(m));
}

void Module::collect_params(const std::string& prefix, bool recurse,
                            std::vector<std::pair<std::string, Tensor>>& out, bool buffers) const {
  for (const auto& [n, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + n, t);
  if (!recurse) return;
  for (const auto& [n, c] : children_) c->collect_params(prefix + n + ".", true, out, buffers);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_params("", recurse, out, false);
  // A tensor shared by two modules (tied weights) is listed once, like PyTorch.
  std::set<const TensorImpl*> seen;
  std::vector<std::pair<std::string, Tensor>> unique;
  for (auto& p : out)
    if (seen.insert(p.second.impl()).second) unique.push_back(std::move(p));
  return unique;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_params("", recurse, out, true);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [_, c] : children_) out.push_back(c);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  // Iterative depth-first walk (pre-order), names joined with dots.
  std::vector<std::pair<std::string, Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [name, m] = std::move(stack.back());
    stack.pop_back();
    out.emplace_back(name, m);
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it)
      stack.emplace_back(name.empty() ? it->first : name + "." + it->first, it->second.get());
  }
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& [_, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, c] : children_) c->train(on);
}

void Module::zero_grad() {
  // Called every step: walks the tree without building names (a tied weight is simply cleared
  // twice).
  for (auto& [_, t] : params_) t.zero_grad();
  for (auto& [_, c] : children_) c->zero_grad();
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [_, c] : children_) c->apply(fn);
  fn(*this);
}

StateDict Module::state_dict() const {
  StateDict sd;
  std::vector<std::pair<std::string, Tensor>> all;
  collect_params("", true, all, false);
  collect_params("", true, all, true);
  for (auto& [n, t] : all) sd.emplace(n, t.detach());
  return sd;
}

void Module::load_state_dict(const StateDict& sd, bool strict) {
  std::vector<std::pair<std::string, Tensor>> all;
  collect_params("", true, all, false);
  collect_params("", true, all, true);
  std::vector<std::string> missing, mismatched;
  std::set<std::string> known;
  for (const auto& [n, t] : all) {
    known.insert(n);
    auto it = sd.find(n);
    if (it == sd.end()) {
      missing.push_back(n);
      continue;
    }
    if (!it->second.defined() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype())
      mismatched.push_back(fmt::format(
          "'{}': checkpoint has {} {}, the model expects {} {}", n,
          it->second.defined() ? shape_str(it->second.shape()) : std::string("undefined"),
          it->second.defined() ? std::string(dtype_name(it->second.dtype())) : std::string(""),
          shape_str(t.shape()), t.dtype()));
  }
  std::vector<std::string> unexpected;
  for (const auto& [n, _] : sd)
    if (!known.count(n)) unexpected.push_back(n);
  std::string msg;
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (!mismatched.empty()) msg += "\n  size or dtype mismatch: " + list(mismatched);
  if (strict && !missing.empty()) msg += "\n  missing keys: " + list(missing);
  if (strict && !unexpected.empty()) msg += "\n  unexpected keys: " + list(unexpected);
  if (!msg.empty()) fail("load_state_dict into {}:{}", type_name_, msg);
  NoGradGuard ng;
  for (auto& [n, t] : all) {
    auto it = sd.find(n);
    if (it != sd.end() && !it->second.same(t)) t.copy_(it->second);
  }
}

void Module::repr(std::string& out, int indent) const {
  out += type_name_ + "(" + extra_repr();
  if (children_.empty()) {
    out += ")";
    return;
  }
  out += "\n";
  for (const auto& [n, c] : children_) {
    out += std::string(static_cast<std::size_t>(indent + 2), ' ') + "(" + n + "): ";
    c->repr(out, indent + 2);
    out += "\n";
  }
  out += std::string(static_cast<std::size_t>(indent), ' ') + ")";
}

std::string Module::to_string() const {
  std::string s;
  repr(s, 0);
  return s;
}

namespace detail {
bool summary_active() { return g_summary != nullptr; }
}  // namespace detail

std::string summary(Module& model, const Shape& input_shape, DType dtype) {
  std::map<const Module*, std::string> names;
  for (auto& [n, m] : model.named_modules()) names[m] = n.empty() ? "(model)" : n;
  std::vector<SummaryRow> rows;
  const bool was_training = model.is_training();
  model.eval();
  {
    NoGradGuard ng;
    std::vector<SummaryRow>* prev = g_summary;
    g_summary = &rows;
    struct Reset {
      std::vector<SummaryRow>* prev;
      ~Reset() { g_summary = prev; }
    } reset{prev};
    model(zeros(input_shape, dtype));
  }
  model.train(was_training);
  std::string s = fmt::format("{:<40} {:<22} {:>12}\n", "Layer (type)", "Output shape", "Params");
  s += std::string(76, '=') + "\n";
  for (const auto& r : rows) {
    if (r.module == &model && rows.size() > 1) continue;  // the model itself is the total
    std::int64_t own = 0;
    for (const auto& [_, t] : r.module->named_parameters(false)) own += t.numel();
    const auto it = names.find(r.module);
    const std::string label =
        fmt::format("{} ({})", it == names.end() ? "?" : it->second, r.module->type_name());
    s += fmt::format("{:<40} {:<22} {:>12}\n", label, shape_str(r.out), with_commas(own));
  }
  std::int64_t total = 0, trainable = 0;
  for (const auto& [_, t] : model.named_parameters()) {
    total += t.numel();
    if (t.requires_grad()) trainable += t.numel();
  }
  s += std::string(76, '=') + "\n";
  s += fmt::format("Input shape: {}\nTotal params: {}\nTrainable params: {}\n",
                   shape_str(input_shape), with_commas(total), with_commas(trainable));
  return s;
}

}  // namespace tg::nn
