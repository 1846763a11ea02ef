#include "tapegrad/nn/module.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/autograd/tape.hpp"
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

namespace detail {

struct ModuleHooks {
  std::uint64_t next_id = 1;
  std::vector<std::pair<std::uint64_t, ForwardPreHook>> pre;
  std::vector<std::pair<std::uint64_t, ForwardHook>> post;
  std::vector<std::pair<std::uint64_t, BackwardHook>> backward;
  bool empty() const { return pre.empty() && post.empty() && backward.empty(); }
};

}  // namespace detail

namespace {

// The global hooks (all modules). Registered and run on any thread; the count lets operator()
// skip them with one load when there are none.
std::mutex g_hooks_mutex;
std::shared_ptr<detail::ModuleHooks> g_hooks = std::make_shared<detail::ModuleHooks>();
std::atomic<int> g_hook_count{0};

template <class List, class F>
HookHandle add_hook(std::shared_ptr<detail::ModuleHooks>& hooks, List detail::ModuleHooks::*list,
                    F fn, bool global) {
  if (!fn) fail("module hook: the hook is an empty function");
  if (!hooks) hooks = std::make_shared<detail::ModuleHooks>();
  const std::uint64_t id = hooks->next_id++;
  (hooks.get()->*list).emplace_back(id, std::move(fn));
  if (global) ++g_hook_count;
  std::weak_ptr<detail::ModuleHooks> weak = hooks;
  return HookHandle([weak, list, id, global] {
    std::optional<std::lock_guard<std::mutex>> lock;
    if (global) lock.emplace(g_hooks_mutex);
    if (auto h = weak.lock()) {
      const auto n = std::erase_if(h.get()->*list, [id](const auto& e) { return e.first == id; });
      if (global && n) --g_hook_count;
    }
  });
}

// A snapshot of the hooks that apply to a call: the module's own, then the global ones.
struct CallHooks {
  std::vector<ForwardPreHook> pre;
  std::vector<ForwardHook> post;
  std::vector<BackwardHook> backward;
};

void append(CallHooks& c, const detail::ModuleHooks& h) {
  for (const auto& [_, f] : h.pre) c.pre.push_back(f);
  for (const auto& [_, f] : h.post) c.post.push_back(f);
  for (const auto& [_, f] : h.backward) c.backward.push_back(f);
}

// What the two identity entries of a backward hook share: the gradient of the output, and
// whether the input entry will run (else the output entry calls the hooks itself).
struct BackwardHookState {
  Module* module = nullptr;
  std::vector<BackwardHook> hooks;
  Tensor grad_output;
  bool input_tracked = false;
};

// An alias of t (same storage) recorded as an op whose backward is fn: where a module's
// backward hooks see the gradients flow past.
Tensor hook_identity(const char* name, const Tensor& t, std::function<Tensor(const Tensor&)> fn) {
  Tensor out = t.detach();
  autograd::record(
      name, {t}, out, {},
      [fn = std::move(fn)](const Tensor& g, const Tensor&) -> TensorList { return {fn(g)}; });
  return out;
}

Tensor call_backward_hooks(BackwardHookState& st, const Tensor& grad_input) {
  Tensor gi = grad_input;
  for (const auto& h : st.hooks) {
    std::optional<Tensor> r = h(*st.module, gi, st.grad_output);
    if (!r) continue;
    if (!gi.defined())
      fail(
          "{} backward hook: returned a grad_input, but the module's input does not require "
          "grad",
          st.module->type_name());
    if (!r->defined() || r->shape() != gi.shape())
      fail("{} backward hook: returned a grad_input of shape {} for an input of shape {}",
           st.module->type_name(), r->defined() ? shape_str(r->shape()) : "(undefined)",
           shape_str(gi.shape()));
    gi = *r;
  }
  return gi;
}

}  // namespace

HookHandle register_module_forward_pre_hook(ForwardPreHook fn) {
  std::lock_guard lock(g_hooks_mutex);
  return add_hook(g_hooks, &detail::ModuleHooks::pre, std::move(fn), true);
}
HookHandle register_module_forward_hook(ForwardHook fn) {
  std::lock_guard lock(g_hooks_mutex);
  return add_hook(g_hooks, &detail::ModuleHooks::post, std::move(fn), true);
}
HookHandle register_module_full_backward_hook(BackwardHook fn) {
  std::lock_guard lock(g_hooks_mutex);
  return add_hook(g_hooks, &detail::ModuleHooks::backward, std::move(fn), true);
}

HookHandle Module::register_forward_pre_hook(ForwardPreHook fn) {
  return add_hook(hooks_, &detail::ModuleHooks::pre, std::move(fn), false);
}
HookHandle Module::register_forward_hook(ForwardHook fn) {
  return add_hook(hooks_, &detail::ModuleHooks::post, std::move(fn), false);
}
HookHandle Module::register_full_backward_hook(BackwardHook fn) {
  return add_hook(hooks_, &detail::ModuleHooks::backward, std::move(fn), false);
}

bool Module::calls_observed() const {
  return (hooks_ && !hooks_->empty()) || g_hook_count.load(std::memory_order_relaxed) != 0 ||
         g_summary != nullptr;
}

Tensor Module::operator()(const Tensor& x_in, std::source_location loc) {
  const autograd::ModuleScope scope(*this, loc);
  const bool own = hooks_ && !hooks_->empty();
  if (!own && g_hook_count.load(std::memory_order_relaxed) == 0) {
    Tensor y = forward(x_in);
    if (g_summary) g_summary->push_back({this, y.shape()});
    return y;
  }
  CallHooks c;
  if (own) append(c, *hooks_);
  {
    std::lock_guard lock(g_hooks_mutex);
    append(c, *g_hooks);
  }
  Tensor x = x_in;
  for (const auto& h : c.pre)
    if (std::optional<Tensor> r = h(*this, x)) x = *r;
  std::shared_ptr<BackwardHookState> st;
  if (!c.backward.empty() && is_grad_enabled()) {
    st = std::make_shared<BackwardHookState>();
    st->module = this;
    st->hooks = c.backward;
    if (x.requires_grad()) {
      st->input_tracked = true;
      x = hook_identity("backward_hook_input", x,
                        [st](const Tensor& g) { return call_backward_hooks(*st, g); });
    }
  }
  Tensor y = forward(x);
  for (const auto& h : c.post)
    if (std::optional<Tensor> r = h(*this, x, y)) y = *r;
  if (st && y.requires_grad())
    y = hook_identity("backward_hook_output", y, [st](const Tensor& g) {
      st->grad_output = g;
      if (!st->input_tracked) call_backward_hooks(*st, Tensor());
      return g;
    });
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

namespace {

// summary(.saved_bytes): the tape entries recorded during each module call. The global module
// hooks bracket every call; at each bracket the entries recorded since the previous one go to
// the innermost call still running.
struct SavedAttribution {
  struct Call {
    const Module* module;
    std::vector<std::uint64_t> seqs;
  };
  std::vector<Call> running;  // a stack: the innermost call last
  std::vector<Call> done;     // in the order calls return, which is the order of summary's rows
  std::vector<std::uint64_t> outside;
  std::uint64_t watermark = 0;  // the newest seq already handed out

  void flush() {
    const std::vector<TapeEntry>& es = tape().entries();
    std::size_t i = es.size();
    while (i > 0 && es[i - 1].seq > watermark) --i;
    for (std::size_t k = i; k < es.size(); ++k)
      (running.empty() ? outside : running.back().seqs).push_back(es[k].seq);
    if (!es.empty()) watermark = std::max(watermark, es.back().seq);
  }
};
// The hooks are global (every thread runs them); only the thread running summary() sets this.
thread_local SavedAttribution* g_saved = nullptr;

struct SavedColumn {
  std::vector<std::size_t> row_bytes;  // per summary row
  std::size_t total = 0;               // each storage once
  std::size_t params = 0;              // the part of total that is the model's parameters
};

// Runs the forward pass with grad on, measures, and takes the entries it recorded off the tape.
SavedColumn forward_measuring_saved(Module& model, const Tensor& x,
                                    const std::vector<SummaryRow>& rows) {
  EnableGradGuard eg;
  Tape& tp = tape();
  const std::uint64_t start = tp.empty() ? 0 : tp.entries().back().seq;
  SavedAttribution attr;
  attr.watermark = start;
  struct Cleanup {
    SavedAttribution* prev;
    std::uint64_t start;
    HookHandle pre, post;
    ~Cleanup() {
      pre.remove();
      post.remove();
      g_saved = prev;
      Tape& t = tape();
      std::vector<char> mine(t.size(), 0);
      for (std::size_t i = 0; i < t.size(); ++i) mine[i] = t[i].seq > start;
      t.erase_marked(mine);
    }
  } cleanup{g_saved, start, {}, {}};
  g_saved = &attr;
  cleanup.pre = register_module_forward_pre_hook([](Module& m, const Tensor&) {
    if (g_saved) {
      g_saved->flush();
      g_saved->running.push_back({&m, {}});
    }
    return std::optional<Tensor>();
  });
  cleanup.post = register_module_forward_hook([](Module& m, const Tensor&, const Tensor&) {
    if (g_saved && !g_saved->running.empty() && g_saved->running.back().module == &m) {
      g_saved->flush();
      g_saved->done.push_back(std::move(g_saved->running.back()));
      g_saved->running.pop_back();
    }
    return std::optional<Tensor>();
  });
  const Tensor y = model(x);
  attr.flush();

  if (attr.done.size() != rows.size())
    fail("summary: internal: {} module calls bracketed by hooks but {} rows", attr.done.size(),
         rows.size());
  std::unordered_map<std::uint64_t, const TapeEntry*> by_seq;
  for (const TapeEntry& e : tp.entries())
    if (e.seq > start) by_seq.emplace(e.seq, &e);
  auto distinct_bytes = [&](const std::vector<std::uint64_t>& seqs,
                            std::unordered_set<const Storage*>& seen) {
    std::size_t n = 0;
    for (std::uint64_t q : seqs) {
      auto it = by_seq.find(q);
      if (it == by_seq.end()) continue;  // pruned: its output was dropped, nothing will use it
      for (const auto& sv : it->second->saved)
        if (sv.storage && seen.insert(sv.storage.get()).second) n += sv.storage->nbytes;
    }
    return n;
  };
  SavedColumn col;
  std::unordered_set<const Storage*> all;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::unordered_set<const Storage*> own;
    col.row_bytes.push_back(distinct_bytes(attr.done[k].seqs, own));
    all.insert(own.begin(), own.end());
  }
  distinct_bytes(attr.outside, all);
  std::unordered_set<const Storage*> params;
  for (const Tensor& p : model.parameters()) params.insert(p.storage().get());
  for (const Storage* st : all) {
    col.total += st->nbytes;
    if (params.count(st)) col.params += st->nbytes;
  }
  return col;
}

}  // namespace

std::string summary(Module& model, const Shape& input_shape, DType dtype) {
  return summary(model, input_shape, SummaryOptions{.dtype = dtype});
}

std::string summary(Module& model, const Shape& input_shape, const SummaryOptions& opts) {
  std::map<const Module*, std::string> names;
  for (auto& [n, m] : model.named_modules()) names[m] = n.empty() ? "(model)" : n;
  std::vector<SummaryRow> rows;
  std::optional<SavedColumn> saved;
  const bool was_training = model.is_training();
  model.eval();
  {
    std::vector<SummaryRow>* prev = g_summary;
    g_summary = &rows;
    struct Reset {
      std::vector<SummaryRow>* prev;
      Module& model;
      bool was_training;
      ~Reset() {
        g_summary = prev;
        model.train(was_training);
      }
    } reset{prev, model, was_training};
    Tensor x = zeros(input_shape, opts.dtype);
    if (opts.saved_bytes) {
      if (is_floating(opts.dtype)) x.requires_grad_();
      saved = forward_measuring_saved(model, x, rows);
    } else {
      NoGradGuard ng;
      model(x);
    }
  }
  const std::size_t width = saved ? 91 : 76;
  std::string s = fmt::format("{:<40} {:<22} {:>12}", "Layer (type)", "Output shape", "Params");
  s += saved ? fmt::format(" {:>14}\n", "Saved (bytes)") : "\n";
  s += std::string(width, '=') + "\n";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    // The model itself is the total, unless its own forward saved something between children.
    if (r.module == &model && rows.size() > 1 && !(saved && saved->row_bytes[k] > 0)) continue;
    std::int64_t own = 0;
    for (const auto& [_, t] : r.module->named_parameters(false)) own += t.numel();
    const auto it = names.find(r.module);
    const std::string label =
        fmt::format("{} ({})", it == names.end() ? "?" : it->second, r.module->type_name());
    s += fmt::format("{:<40} {:<22} {:>12}", label, shape_str(r.out), with_commas(own));
    s += saved
             ? fmt::format(" {:>14}\n", with_commas(static_cast<std::int64_t>(saved->row_bytes[k])))
             : "\n";
  }
  std::int64_t total = 0, trainable = 0;
  for (const auto& [_, t] : model.named_parameters()) {
    total += t.numel();
    if (t.requires_grad()) trainable += t.numel();
  }
  s += std::string(width, '=') + "\n";
  s += fmt::format("Input shape: {}\nTotal params: {}\nTrainable params: {}\n",
                   shape_str(input_shape), with_commas(total), with_commas(trainable));
  if (saved)
    s += fmt::format(
        "Saved for backward: {} bytes per batch, each storage once ({} of them parameters)\n",
        with_commas(static_cast<std::int64_t>(saved->total)),
        with_commas(static_cast<std::int64_t>(saved->params)));
  return s;
}

}  // namespace tg::nn
