#include "tapegrad/optim/optimizer.hpp"

#include <charconv>
#include <set>
#include <utility>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"

namespace tg::optim {

namespace {

std::string option_names(const std::map<std::string, double>& defaults) {
  std::string s;
  for (const auto& [k, v] : defaults) s += (s.empty() ? "" : ", ") + k;
  return s;
}

// Parses a non-negative decimal index; false if `s` is not one.
bool parse_index(std::string_view s, std::size_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Splits "a.b.c" at the first `n` dots: the last piece keeps any further dots.
std::vector<std::string_view> split(std::string_view s, std::size_t n) {
  std::vector<std::string_view> parts;
  while (parts.size() < n) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos) break;
    parts.push_back(s.substr(0, dot));
    s.remove_prefix(dot + 1);
  }
  parts.push_back(s);
  return parts;
}

// The scalar that records how many parameters a group had, so load_state_dict can check it.
constexpr std::string_view kParamsKey = "params";

}  // namespace

double option(const std::map<std::string, double>& options, const std::string& key) {
  const auto it = options.find(key);
  if (it == options.end()) fail("optimizer: internal: option '{}' is missing", key);
  return it->second;
}

Optimizer::Optimizer(std::string name, std::map<std::string, double> defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {}

Optimizer::~Optimizer() = default;

void Optimizer::init_groups(std::vector<ParamGroup> groups) {
  if (groups.empty()) fail("{}: got an empty list of parameter groups", name_);
  for (auto& g : groups) add_param_group(std::move(g));
}

std::map<std::string, double> Optimizer::complete_options(
    const std::map<std::string, double>& given, const char* where) const {
  std::map<std::string, double> out = defaults_;
  for (const auto& [k, v] : given) {
    if (!defaults_.count(k))
      fail("{}: unknown option '{}' in {}; valid options are: {}", name_, k, where,
           option_names(defaults_));
    out[k] = v;
  }
  validate(out);
  return out;
}

void Optimizer::add_param_group(ParamGroup g) {
  const std::size_t gi = groups_.size();
  if (g.params.empty())
    fail("{}: parameter group {} has no parameters (an optimizer got an empty parameter list)",
         name_, gi);
  std::set<const TensorImpl*> seen;
  for (const auto& grp : groups_)
    for (const auto& p : grp.params) seen.insert(p.impl());
  for (std::size_t i = 0; i < g.params.size(); ++i) {
    const Tensor& p = g.params[i];
    if (!p.defined()) fail("{}: parameter {} of group {} is an undefined tensor", name_, i, gi);
    if (!is_floating(p.dtype()))
      fail(
          "{}: parameter {} of group {} (shape {}) has dtype {}; only floating tensors can be "
          "optimized",
          name_, i, gi, shape_str(p.shape()), p.dtype());
    if (!p.is_leaf())
      fail(
          "{}: parameter {} of group {} (shape {}) is the result of an op, not a leaf; "
          "can't optimize a non-leaf tensor",
          name_, i, gi, shape_str(p.shape()));
    if (!p.requires_grad())
      fail(
          "{}: parameter {} of group {} (shape {}) does not require grad; call "
          "requires_grad_() on it or leave it out",
          name_, i, gi, shape_str(p.shape()));
    if (!seen.insert(p.impl()).second)
      fail(
          "{}: parameter {} of group {} (tensor #{}, shape {}) appears more than once in the "
          "parameter groups",
          name_, i, gi, p.id(), shape_str(p.shape()));
  }
  const std::string where = fmt::format("parameter group {}", gi);
  g.options = complete_options(g.options, where.c_str());
  groups_.push_back(std::move(g));
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params)
      if (p.defined()) p.zero_grad();
}

Tensor& Optimizer::state_tensor(ParamState& st, const std::string& key, const Tensor& param,
                                bool* created) {
  auto it = st.tensors.find(key);
  const bool make = it == st.tensors.end();
  if (make) it = st.tensors.emplace(key, zeros(param.shape(), param.dtype())).first;
  if (created) *created = make;
  return it->second;
}

void Optimizer::for_each_param(const UpdateFn& f) {
  NoGradGuard no_grad;
  const std::string op = name_ + ".step";
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    ParamGroup& g = groups_[gi];
    // The user may have edited the options since add_param_group: check them again.
    const std::string where = fmt::format("parameter group {}", gi);
    g.options = complete_options(g.options, where.c_str());
    for (const Tensor& p : g.params) {
      if (!p.defined()) fail("{}: group {} holds an undefined tensor", op, gi);
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (!is_floating(p.dtype()))
        fail("{}: parameter of shape {} has dtype {}; only floating tensors can be optimized", op,
             shape_str(p.shape()), p.dtype());
      if (grad.dtype() != p.dtype()) grad = grad.to(p.dtype());
      if (!grad.is_contiguous()) grad = grad.contiguous();
      p.prepare_inplace(op.c_str());
      ParamState& st = state_[p.impl_ptr()];
      if (p.is_contiguous()) {
        f(g.options, p, grad, st);
      } else {
        const Tensor work = p.contiguous();
        f(g.options, work, grad, st);
        p.copy_(work);
      }
    }
  }
}

OptimizerState Optimizer::state_dict() const {
  NoGradGuard no_grad;
  OptimizerState s;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& g = groups_[gi];
    for (const auto& [k, v] : g.options) s.scalars[fmt::format("param_groups.{}.{}", gi, k)] = v;
    s.scalars[fmt::format("param_groups.{}.{}", gi, kParamsKey)] =
        static_cast<double>(g.params.size());
    for (std::size_t i = 0; i < g.params.size(); ++i) {
      const auto it = state_.find(g.params[i].impl_ptr());
      if (it == state_.end()) continue;
      s.scalars[fmt::format("state.{}.{}.step", gi, i)] = static_cast<double>(it->second.step);
      for (const auto& [k, t] : it->second.tensors)
        s.tensors[fmt::format("state.{}.{}.{}", gi, i, k)] = t.clone();
    }
  }
  return s;
}

void Optimizer::load_state_dict(const OptimizerState& s) {
  const char* op = "load_state_dict";
  // Parse and check everything first, so a bad state leaves the optimizer untouched.
  std::vector<std::map<std::string, double>> options(groups_.size());
  std::vector<bool> has_count(groups_.size(), false);
  std::map<std::pair<std::size_t, std::size_t>, ParamState> loaded;

  auto group_index = [&](std::string_view gs, const std::string& key) {
    std::size_t gi = 0;
    if (!parse_index(gs, gi)) fail("{} {}: malformed key '{}'", name_, op, key);
    if (gi >= groups_.size())
      fail("{} {}: key '{}' refers to parameter group {}, but this optimizer has {} groups", name_,
           op, key, gi, groups_.size());
    return gi;
  };
  auto param_index = [&](std::size_t gi, std::string_view is, const std::string& key) {
    std::size_t i = 0;
    if (!parse_index(is, i)) fail("{} {}: malformed key '{}'", name_, op, key);
    if (i >= groups_[gi].params.size())
      fail("{} {}: key '{}' refers to parameter {} of group {}, which has {} parameters", name_, op,
           key, i, gi, groups_[gi].params.size());
    return i;
  };

  for (const auto& [key, v] : s.scalars) {
    const auto parts = split(key, 2);
    if (parts.size() == 3 && parts[0] == "param_groups") {
      const std::size_t gi = group_index(parts[1], key);
      if (parts[2] == kParamsKey) {
        if (v != static_cast<double>(groups_[gi].params.size()))
          fail("{} {}: the saved parameter group {} has {} parameters, but this optimizer's has {}",
               name_, op, gi, v, groups_[gi].params.size());
        has_count[gi] = true;
      } else {
        options[gi][std::string(parts[2])] = v;
      }
    } else if (parts.size() == 3 && parts[0] == "state") {
      const auto rest = split(parts[2], 1);
      if (rest.size() != 2 || rest[1] != "step") fail("{} {}: unknown key '{}'", name_, op, key);
      const std::size_t gi = group_index(parts[1], key);
      const std::size_t i = param_index(gi, rest[0], key);
      if (!(v >= 0) || v != static_cast<double>(static_cast<std::int64_t>(v)))
        fail("{} {}: '{}' = {} is not a step count", name_, op, key, v);
      loaded[{gi, i}].step = static_cast<std::int64_t>(v);
    } else {
      fail("{} {}: unknown key '{}'", name_, op, key);
    }
  }
  for (std::size_t gi = 0; gi < groups_.size(); ++gi)
    if (!has_count[gi])
      fail("{} {}: the state has no parameter group {} (this optimizer has {} groups)", name_, op,
           gi, groups_.size());

  for (const auto& [key, t] : s.tensors) {
    const auto parts = split(key, 3);
    if (parts.size() != 4 || parts[0] != "state" || parts[3].empty())
      fail("{} {}: unknown tensor key '{}'", name_, op, key);
    const std::size_t gi = group_index(parts[1], key);
    const std::size_t i = param_index(gi, parts[2], key);
    const Tensor& p = groups_[gi].params[i];
    if (!t.defined()) fail("{} {}: tensor '{}' is undefined", name_, op, key);
    if (t.shape() != p.shape())
      fail("{} {}: tensor '{}' has shape {} but parameter {} of group {} has shape {}", name_, op,
           key, shape_str(t.shape()), i, gi, shape_str(p.shape()));
    if (!is_floating(t.dtype()))
      fail("{} {}: tensor '{}' has dtype {}; optimizer state is floating", name_, op, key,
           t.dtype());
    NoGradGuard no_grad;
    // to() with a new dtype already copies; clone() so the optimizer never shares the caller's.
    const Tensor copy = t.dtype() == p.dtype() ? t.clone() : t.to(p.dtype());
    loaded[{gi, i}].tensors[std::string(parts[3])] = copy.detach();
  }

  std::vector<std::map<std::string, double>> complete(groups_.size());
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    const std::string where = fmt::format("saved parameter group {}", gi);
    complete[gi] = complete_options(options[gi], where.c_str());
  }

  // Commit.
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) groups_[gi].options = complete[gi];
  for (const auto& g : groups_)
    for (const auto& p : g.params) state_.erase(p.impl_ptr());
  for (auto& [where, st] : loaded)
    state_[groups_[where.first].params[where.second].impl_ptr()] = std::move(st);
}

}  // namespace tg::optim
