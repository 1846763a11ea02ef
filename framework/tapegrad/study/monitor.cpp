#include "tapegrad/study/monitor.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/autograd/engine.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/nn/pool.hpp"
#include "tapegrad/nn/sequential.hpp"
#include "tapegrad/ops/nn.hpp"

namespace tg::study {

namespace {
// A named namespace inside the anonymous one: a unity build puts study/*.cpp in one file.
namespace monitor_impl {

// Calls f(i, v) for every element of t in row-major order, v converted to double.
template <class F>
void for_each_value(const Tensor& t, F&& f) {
  const Tensor c = t.contiguous();
  dispatch(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(c.raw_data());
    const std::int64_t n = c.numel();
    for (std::int64_t i = 0; i < n; ++i) f(i, static_cast<double>(p[i]));
  });
}

// Dimension 1 is the unit (channel or feature); a 0-D or 1-D tensor is one unit.
std::int64_t units_of(const Tensor& t) { return t.dim() >= 2 ? t.size(1) : 1; }

// Elements per (example, unit) pair: the product of the dimensions after 1.
std::int64_t inner_of(const Tensor& t) {
  std::int64_t inner = 1;
  for (std::int64_t d = 2; d < t.dim(); ++d) inner *= t.size(d);
  return inner;
}

// What the forward hook of one layer captured, one entry per call.
struct Captured {
  std::vector<Tensor> pre, out;
};

// The last call of a pooling layer that runs before an activation.
struct PoolCall {
  Tensor input, output;
};

// Puts the model back as measure() found it, on every exit path.
struct Restore {
  std::vector<HookHandle> hooks;
  std::vector<std::pair<Tensor, Tensor>> grads;  // parameter, its .grad() handle before
  std::vector<std::pair<nn::Module*, bool>> modes;
  bool changed_mode = false;

  ~Restore() {
    for (HookHandle& h : hooks) h.remove();
    for (auto& [p, g] : grads)
      if (!p.grad().same(g)) p.set_grad(g);
    if (!changed_mode) return;
    // Pre-order: train(on) recurses, so a parent is set before its children are corrected.
    for (auto& [m, on] : modes)
      if (m->is_training() != on) m->train(on);
  }
};

double population_std(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size()));
}

// The rows of one layer from its captured calls and the gradients of their outputs.
class LayerStats {
 public:
  LayerStats(const MonitorOptions& o, std::int64_t units, bool want_hist)
      : o_(o), alive_(static_cast<std::size_t>(units), 0) {
    if (want_hist) hist_.assign(static_cast<std::size_t>(o.hist_bins), 0.0);
  }

  void add_call(const Tensor& pre, const Tensor& deriv, const Tensor& grad_out) {
    const std::int64_t units = static_cast<std::int64_t>(alive_.size());
    const std::int64_t inner = inner_of(pre);
    const double thr = o_.saturation_threshold;
    for_each_value(deriv, [&](std::int64_t i, double d) {
      if (d != 0.0) alive_[static_cast<std::size_t>((i / inner) % units)] = 1;
      if (std::abs(d) < thr) ++saturated_;
    });
    const double w = (o_.hist_hi - o_.hist_lo) / static_cast<double>(o_.hist_bins);
    const std::int64_t last = o_.hist_bins - 1;
    for_each_value(pre, [&](std::int64_t, double x) {
      sum_ += x;
      if (hist_.empty() || std::isnan(x)) return;
      std::int64_t k = 0;
      if (x >= o_.hist_hi)
        k = last;
      else if (x > o_.hist_lo)
        k = std::min(static_cast<std::int64_t>((x - o_.hist_lo) / w), last);
      hist_[static_cast<std::size_t>(k)] += 1.0;
    });
    count_ += pre.numel();
    if (grad_out.defined())
      for_each_value(grad_out, [&](std::int64_t, double g) { grad_sq_ += g * g; });
  }

  // The second pass of the standard deviation, once the mean is known.
  void add_deviations(const Tensor& pre) {
    const double mean = this->mean();
    for_each_value(pre, [&](std::int64_t, double x) { dev_sq_ += (x - mean) * (x - mean); });
  }

  double mean() const { return sum_ / static_cast<double>(count_); }
  double stddev() const { return std::sqrt(dev_sq_ / static_cast<double>(count_)); }
  double dead_fraction() const {
    const auto alive = std::count(alive_.begin(), alive_.end(), 1);
    return 1.0 - static_cast<double>(alive) / static_cast<double>(alive_.size());
  }
  double saturated_fraction() const {
    return static_cast<double>(saturated_) / static_cast<double>(count_);
  }
  double grad_norm() const { return std::sqrt(grad_sq_); }
  std::vector<double> take_hist() { return std::move(hist_); }

 private:
  const MonitorOptions& o_;
  std::vector<char> alive_;
  std::vector<double> hist_;
  std::int64_t count_ = 0, saturated_ = 0;
  double sum_ = 0.0, dev_sq_ = 0.0, grad_sq_ = 0.0;
};

// f on the grid for every channel of an activation whose input looked like `like`: the input is
// [G, C, 1, ...] (the rank of `like`), so per-channel parameters line up with dimension 1.
void shape_series(act::Activation& a, const Tensor& like, const MonitorOptions& o,
                  std::int64_t epoch, const std::string& layer, std::vector<SeriesRow>& out) {
  const std::vector<double> grid = shape_grid(o);
  const auto g_n = static_cast<std::int64_t>(grid.size());
  const std::int64_t c_n = units_of(like);
  Shape shape{g_n};
  if (like.dim() >= 2) {
    shape.assign(static_cast<std::size_t>(like.dim()), 1);
    shape[0] = g_n;
    shape[1] = c_n;
  }
  std::vector<double> xs;
  xs.reserve(static_cast<std::size_t>(g_n * c_n));
  for (double x : grid) xs.insert(xs.end(), static_cast<std::size_t>(c_n), x);
  std::vector<double> ys;
  {
    NoGradGuard no_grad;
    const Tensor y = a.forward(tensor(xs, shape, like.dtype()));
    if (y.numel() != g_n * c_n)
      fail(
          "ActivationMonitor: layer '{}' ({}) maps an input of shape {} to shape {}; only "
          "pointwise activations can be monitored",
          layer, a.type_name(), shape_str(shape), shape_str(y.shape()));
    ys = y.to_vector<double>();
  }
  std::vector<double> mean(grid.size()), lo(grid.size()), hi(grid.size());
  for (std::size_t g = 0; g < grid.size(); ++g) {
    const auto first = ys.begin() + static_cast<std::ptrdiff_t>(g * static_cast<std::size_t>(c_n));
    const auto last = first + c_n;
    double sum = 0.0;
    for (auto it = first; it != last; ++it) sum += *it;
    mean[g] = sum / static_cast<double>(c_n);
    lo[g] = *std::min_element(first, last);
    hi[g] = *std::max_element(first, last);
  }
  out.push_back({epoch, layer, "shape", std::move(mean)});
  out.push_back({epoch, layer, "shape_lo", std::move(lo)});
  out.push_back({epoch, layer, "shape_hi", std::move(hi)});
}

}  // namespace monitor_impl
}  // namespace

std::vector<double> shape_grid(const MonitorOptions& o) {
  // lo + (hi - lo) i / (n - 1): the ends, and the default grid's 0 and integers, are exact.
  std::vector<double> grid(static_cast<std::size_t>(o.shape_points));
  const double span = o.shape_hi - o.shape_lo, last = static_cast<double>(o.shape_points - 1);
  for (std::size_t i = 0; i < grid.size(); ++i)
    grid[i] = o.shape_lo + span * static_cast<double>(i) / last;
  return grid;
}

std::vector<double> hist_edges(const MonitorOptions& o) {
  std::vector<double> edges(static_cast<std::size_t>(o.hist_bins + 1));
  const double w = (o.hist_hi - o.hist_lo) / static_cast<double>(o.hist_bins);
  for (std::size_t i = 0; i < edges.size(); ++i) edges[i] = o.hist_lo + static_cast<double>(i) * w;
  edges.back() = o.hist_hi;
  return edges;
}

Tensor elementwise_derivative(act::Activation& activation, const Tensor& x) {
  TG_CHECK(x.defined() && is_floating(x.dtype()),
           "elementwise_derivative: x must be a defined float32 or float64 tensor");
  EnableGradGuard grad_on;
  Tensor xd = x.detach();
  xd.requires_grad_();
  const Tensor y = activation.forward(xd);
  TG_CHECK(y.shape() == x.shape(),
           "elementwise_derivative: {} maps an input of shape {} to shape {}; only pointwise "
           "activations have an elementwise derivative",
           activation.type_name(), shape_str(x.shape()), shape_str(y.shape()));
  if (!y.requires_grad()) return zeros_like(x);  // f does not depend on x
  Tensor d = grad(y.sum(), xd, {.allow_unused = true});
  return d.defined() ? d : zeros_like(x);
}

ActivationMonitor::ActivationMonitor(nn::Module& model, MonitorOptions options)
    : model_(&model), options_(options) {
  const MonitorOptions& o = options_;
  TG_CHECK(o.saturation_threshold >= 0,
           "ActivationMonitor: saturation_threshold must be >= 0, got {}", o.saturation_threshold);
  TG_CHECK(o.hist_bins >= 1 && o.hist_lo < o.hist_hi,
           "ActivationMonitor: the histogram needs hist_bins >= 1 and hist_lo < hist_hi, got {} "
           "bins on [{}, {}]",
           o.hist_bins, o.hist_lo, o.hist_hi);
  TG_CHECK(o.shape_points >= 2 && o.shape_lo < o.shape_hi,
           "ActivationMonitor: the shape grid needs shape_points >= 2 and shape_lo < shape_hi, "
           "got {} points on [{}, {}]",
           o.shape_points, o.shape_lo, o.shape_hi);
  std::unordered_set<const nn::Module*> seen;  // a module registered twice is one layer
  // Sequential::forward runs an activation that commutes with max-pooling after a MaxPool2d
  // (the class itself) that follows it.
  std::unordered_map<const nn::Module*, nn::Module*> pool_after;
  for (auto& [name, m] : model.named_modules()) {
    auto* a = dynamic_cast<act::Activation*>(m);
    if (a && seen.insert(a).second) layers_.emplace_back(name.empty() ? "(model)" : name, a);
    if (typeid(*m) != typeid(nn::Sequential)) continue;
    const auto kids = m->named_children();
    for (std::size_t k = 0; k + 1 < kids.size(); ++k)
      if (kids[k].second->commutes_with_max_pool() &&
          typeid(*kids[k + 1].second) == typeid(nn::MaxPool2d))
        pool_after.emplace(kids[k].second.get(), kids[k + 1].second.get());
  }
  for (const auto& [_, a] : layers_) {
    const auto it = pool_after.find(a);
    pools_.push_back(it == pool_after.end() ? nullptr : it->second);
  }
  TG_CHECK(
      !layers_.empty(),
      "ActivationMonitor: the model has no act::Activation submodule to monitor (an "
      "nn::ReLU is not one; build the model with an activation spec, e.g. act::make(\"relu\"))");
}

std::vector<std::string> ActivationMonitor::layers() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : layers_) out.push_back(name);
  return out;
}

std::vector<DiagnosticRow> ActivationMonitor::measure(const Tensor& probe_inputs,
                                                      const Tensor& probe_targets,
                                                      std::int64_t epoch,
                                                      std::vector<SeriesRow>* series) {
  TG_CHECK(probe_inputs.defined() && probe_inputs.dim() >= 1 && probe_inputs.size(0) > 0,
           "ActivationMonitor::measure: the probe batch is empty or undefined");
  TG_CHECK(probe_targets.defined() && probe_targets.dim() == 1 &&
               probe_targets.size(0) == probe_inputs.size(0),
           "ActivationMonitor::measure: probe_targets must be [N] = [{}] class indices, got "
           "shape {}",
           probe_inputs.size(0),
           probe_targets.defined() ? shape_str(probe_targets.shape()) : "(undefined)");

  using monitor_impl::Captured, monitor_impl::LayerStats, monitor_impl::units_of;
  std::vector<Captured> caps(layers_.size());
  std::vector<monitor_impl::PoolCall> pooled(layers_.size());
  monitor_impl::Restore restore;
  for (const Tensor& p : model_->parameters()) restore.grads.emplace_back(p, p.grad());
  for (auto& [_, m] : model_->named_modules()) {
    restore.modes.emplace_back(m, m->is_training());
    restore.changed_mode = restore.changed_mode || m->is_training();
  }
  if (restore.changed_mode) model_->eval();

  std::vector<Tensor> outs;
  std::vector<std::pair<std::size_t, std::size_t>> where;  // outs[k] is call j of layer i
  Tensor loss;
  {
    EnableGradGuard grad_on;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      if (pools_[i])
        restore.hooks.push_back(pools_[i]->register_forward_hook(
            [&pooled, i](nn::Module&, const Tensor& x, const Tensor& y) -> std::optional<Tensor> {
              pooled[i] = {x.detach(), y};
              return std::nullopt;
            }));
      restore.hooks.push_back(layers_[i].second->register_forward_hook(
          [&caps, &pooled, i](nn::Module&, const Tensor& x,
                              const Tensor& y) -> std::optional<Tensor> {
            Tensor out = y;
            // An output with no history (an activation on the raw input) still gets a
            // gradient: it continues the forward as a leaf that requires grad.
            if (!y.requires_grad() && is_floating(y.dtype())) {
              out = y.detach();
              out.requires_grad_();
            }
            // Run after its pool (see the header): the pool's input is the pre-activation.
            const bool after_pool = pooled[i].output.defined() && pooled[i].output.same(x);
            caps[i].pre.push_back(after_pool ? pooled[i].input : x.detach());
            caps[i].out.push_back(out);
            pooled[i] = {};
            if (out.same(y)) return std::nullopt;
            return out;
          }));
    }
    const Tensor logits = (*model_)(probe_inputs);
    for (HookHandle& h : restore.hooks) h.remove();
    loss = cross_entropy(logits, probe_targets);
    for (std::size_t i = 0; i < caps.size(); ++i)
      for (std::size_t j = 0; j < caps[i].out.size(); ++j)
        if (caps[i].out[j].requires_grad()) {
          outs.push_back(caps[i].out[j]);
          where.emplace_back(i, j);
        }
  }
  std::vector<std::vector<Tensor>> grads(caps.size());
  for (std::size_t i = 0; i < caps.size(); ++i) grads[i].resize(caps[i].out.size());
  if (!outs.empty() && loss.requires_grad()) {
    const TensorList g = grad({loss}, outs, {.allow_unused = true});
    for (std::size_t k = 0; k < g.size(); ++k) grads[where[k].first][where[k].second] = g[k];
  }
  outs.clear();
  loss = Tensor();
  for (Captured& c : caps) c.out.clear();

  std::vector<DiagnosticRow> rows;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const auto& [name, act] = layers_[i];
    const Captured& c = caps[i];
    if (c.pre.empty()) continue;  // not called by the probe forward
    const std::int64_t units = units_of(c.pre[0]);
    LayerStats stats(options_, units, series != nullptr);
    for (std::size_t j = 0; j < c.pre.size(); ++j) {
      TG_CHECK(units_of(c.pre[j]) == units,
               "ActivationMonitor: layer '{}' was called on inputs with {} and {} units (dimension "
               "1) in one forward pass",
               name, units, units_of(c.pre[j]));
      stats.add_call(c.pre[j], elementwise_derivative(*act, c.pre[j]), grads[i][j]);
    }
    for (const Tensor& pre : c.pre) stats.add_deviations(pre);
    auto row = [&](std::string metric, double value) {
      rows.push_back({epoch, name, std::move(metric), value});
    };
    row("dead_fraction", stats.dead_fraction());
    row("saturated_fraction", stats.saturated_fraction());
    row("preact_mean", stats.mean());
    row("preact_std", stats.stddev());
    row("grad_norm", stats.grad_norm());
    for (const auto& [pname, p] : act->named_parameters()) {
      if (p.numel() == 0) continue;
      const std::vector<double> v = p.to_vector<double>();
      double sum = 0.0;
      for (double x : v) sum += x;
      row("param." + pname + ".mean", sum / static_cast<double>(v.size()));
      row("param." + pname + ".std", monitor_impl::population_std(v));
    }
    if (series) {
      series->push_back({epoch, name, "preact_hist", stats.take_hist()});
      monitor_impl::shape_series(*act, c.pre[0], options_, epoch, name, *series);
    }
  }
  return rows;
}

}  // namespace tg::study
