#pragma once
/// @file
/// The diagnostics monitor of the activation study: what explains an activation's success or
/// failure, measured per activation layer and epoch on a fixed probe set (a few hundred images
/// passed through the model in eval mode after each epoch, not on every training batch).
///
/// @code{.cpp}
///   study::ActivationMonitor monitor(*net);
///   for (int epoch = 1; ...; ++epoch) {
///     train_one_epoch(...);
///     auto rows = monitor.measure(probe_x, probe_y, epoch, &result.series);
///     result.diagnostics.insert(result.diagnostics.end(), rows.begin(), rows.end());
///   }
/// @endcode
///
/// The layers are the act::Activation submodules of the model, in named_modules() order, named by
/// their module path ("4", "features.1", "layer1.0.act"). A plain nn::ReLU is not an
/// act::Activation and is not monitored. A module called several times in one forward pass is
/// measured over all its calls; one the probe forward does not call gets no rows.
///
/// nn::Sequential runs an activation that commutes with max-pooling (relu) after the MaxPool2d
/// that follows it, on a quarter of the values. The monitor measures such a layer on its
/// pre-activation in the model's own order, the pooling layer's input, so that relu and the
/// activations that are not reordered are compared on the same values. Its grad_norm is that of
/// the pooled output's gradient, which equals the unpooled one's for non-overlapping windows.
///
/// measure() is one extra forward and backward of the probe batch: forward hooks on the
/// activations capture each one's input (the pre-activation) and output, the loss is the mean
/// cross-entropy of the logits against probe_targets, and the gradient with respect to every
/// captured output comes from tg::grad, which accumulates into no .grad() and consumes the
/// probe's tape entries. Afterwards the hooks are removed and every parameter's .grad() handle
/// and every module's train/eval mode are put back (also when measure() throws), so the optimizer
/// sees no trace of the probe. Nothing is registered or held between calls. Hooks that others
/// registered on modules or on intermediate tensors do see the probe pass; gradient hooks and
/// post-accumulate hooks on parameters do not run. Not thread-safe: call it on the training
/// thread (the tape is thread-local).
///
/// Diagnostic rows per layer (DiagnosticRow::metric), in this order:
/// @code{.cpp}
///   "dead_fraction"       fraction of units whose derivative f'(x) is exactly 0 for every probe
///                         example and position. A unit is dimension 1 of the activation's input:
///                         a channel of [N, C, H, W] (or [N, C, L]), a feature of [N, F]; a 0-D or
///                         1-D input is one unit. Dead relu units count; leaky_relu or prelu units
///                         (derivative = slope) do not.
///   "saturated_fraction"  fraction of elements with |f'(x)| < MonitorOptions::saturation_threshold
///                         (relu's flat side counts as saturated; a NaN derivative does not).
///   "preact_mean"         mean of the pre-activation over all elements;
///   "preact_std"          its population standard deviation (divides by the element count).
///   "grad_norm"           L2 norm, over the probe batch, of the gradient of the loss with respect
///                         to the activation's output (0 when the loss does not depend on it).
///   "param.<name>.mean", "param.<name>.std"
///                         for each parameter tensor of a learnable activation (named_parameters
///                         order, e.g. "param.weight.mean"): mean and population std over its
///                         elements (per-channel values; one value: std 0). The values are the
///                         stored ones: a constrained parameter kept as a free value (pelu's a_raw,
///                         softplus of it is a) is reported as that free value.
/// @endcode
/// f'(x) is the gradient of sum(f(x)) with respect to x, f re-run on the captured pre-activation
/// (activations are pointwise, so that is the elementwise derivative; elementwise_derivative()).
///
/// Series per layer (SeriesRow::name), when measure() is given a vector for them:
/// @code{.cpp}
///   "preact_hist"  MonitorOptions::hist_bins counts of the pre-activation over hist_lo..hist_hi
///                  (bins [lo + k w, lo + (k+1) w), w = (hi - lo) / bins). Values below lo are
///                  counted in the first bin and values at or above hi in the last (infinities
///                  too), so the counts sum to the number of elements that are not NaN; NaNs are
///                  not counted. hist_edges() gives the bins + 1 edges.
///   "shape"        f(x) on shape_grid() (shape_points points, shape_lo..shape_hi inclusive),
///                  averaged over the channels (each channel with its own parameters);
///   "shape_lo", "shape_hi"  the minimum and maximum over the channels at each grid point (equal to
///                  "shape" for a fixed activation or one shared parameter set).
/// @endcode
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/core/tensor.hpp"
#include "tapegrad/study/store.hpp"

namespace tg::nn {
class Module;
}
namespace tg::act {
class Activation;
}

namespace tg::study {

/// Options of ActivationMonitor.
struct MonitorOptions {
  double saturation_threshold = 1e-2;  ///< on |f'(x)|
  /// Lower end of the "preact_hist" range.
  double hist_lo = -6.0, hist_hi = 6.0;
  /// @var hist_hi
  /// Upper end of the "preact_hist" range.

  std::int64_t hist_bins = 48;  ///< bins of "preact_hist"
  /// First x of the "shape" grid.
  double shape_lo = -6.0, shape_hi = 6.0;
  /// @var shape_hi
  /// Last x of the "shape" grid.

  std::int64_t shape_points = 121;  ///< points of the "shape" grid
};

/// The x values of the "shape" series: shape_points evenly spaced points, both ends included.
std::vector<double> shape_grid(const MonitorOptions& options);
/// The hist_bins + 1 bin edges of the "preact_hist" series.
std::vector<double> hist_edges(const MonitorOptions& options);

/// f'(x) elementwise for a pointwise activation, at the activation's current parameters: the
/// gradient of sum(f(x)) with respect to a detached copy of x (same shape and dtype as x). Runs
/// forward() directly (no module hooks), records nothing that outlives the call and touches no
/// .grad().
Tensor elementwise_derivative(act::Activation& activation, const Tensor& x);

/// Measures per activation layer and epoch, on a fixed probe batch, what explains an activation's
/// success or failure: dead and saturated units, pre-activation statistics, gradient norms,
/// learned parameters, histograms and learned shapes (see monitor.hpp for every row).
class ActivationMonitor {
 public:
  /// Finds the act::Activation submodules of `model`, which must outlive the monitor (and keep
  /// its structure). A model without any is a tg::Error, as are invalid options.
  explicit ActivationMonitor(nn::Module& model, MonitorOptions options = {});

  /// The monitored layers' names, in the order their rows come.
  std::vector<std::string> layers() const;
  const MonitorOptions& options() const { return options_; }  ///< as constructed

  /// probe_inputs: a batch the model takes ([N, C, H, W] images); probe_targets: int64 [N] class
  /// indices. Returns the diagnostic rows of `epoch`; appends the series rows to *series when it
  /// is not null (nothing is computed for them otherwise).
  std::vector<DiagnosticRow> measure(const Tensor& probe_inputs, const Tensor& probe_targets,
                                     std::int64_t epoch, std::vector<SeriesRow>* series = nullptr);

 private:
  nn::Module* model_;
  MonitorOptions options_;
  std::vector<std::pair<std::string, act::Activation*>> layers_;
  // The MaxPool2d that nn::Sequential runs before layers_[i], or null.
  std::vector<nn::Module*> pools_;
};

}  // namespace tg::study
