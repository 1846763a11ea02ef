// The activation catalogue as a tool: list, inspect, plot and gradcheck every registered
// activation, and write docs/activations.md from the registry.
//
//   activations list
//   activations show pau
//   activations plot relu gelu "swish_beta(init=2)" --out act.svg [--from -4 --to 4]
//   activations check
//   activations accuracy [--reference tests/activations/reference.txt]
//   activations docs --out docs/activations.md          (also writes docs/img/act_<name>.svg)
//   activations docs --out docs/activations.md --check  (exit 1 if the files are stale)
//
// The installed command runs this file as `tapegrad activations` (tools/tapegrad).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/classifier.hpp"
#include "common/entry.hpp"
#include "tapegrad/activations/accuracy.hpp"
#include "tapegrad/activations/activation.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

const act::ActivationInfo& info_of(const std::string& name) {
  return act::Registry::instance().get(name).info;
}

std::string family_str(act::Family f) { return f == act::Family::Fixed ? "fixed" : "learnable"; }

std::string gain_str(const std::optional<double>& g) {
  return g ? fmt::format("{:.4g}", *g) : "none";
}

// "slope=0.01" for fixed ones, the parameter names for learnable ones.
std::string params_str(const act::ActivationInfo& info) {
  std::string s;
  if (info.family == act::Family::Learnable) {
    for (const auto& p : info.params) s += (s.empty() ? "" : ", ") + p.name;
  } else {
    for (const auto& k : info.keys) s += (s.empty() ? "" : ", ") + k.key + "=" + k.default_value;
  }
  return s.empty() ? "-" : s;
}

std::string reference_short(const act::Reference& r) {
  std::string first = r.authors.substr(0, r.authors.find(','));
  const bool more = r.authors.find(',') != std::string::npos;
  return fmt::format("{}{} {}", first, more ? " et al." : "", r.year);
}

// ------------------------------------------------------------------ curves and SVG

struct Curve {
  std::string label;
  std::vector<double> x, f, df;
};

// f and f' of an activation built from `spec` (learnable ones at their initial values).
Curve sample(const std::string& spec, double from, double to, std::int64_t n = 241) {
  auto a = act::make(spec, 1, DType::Float64);
  Tensor x = linspace(from, to, n, DType::Float64).requires_grad_();
  Tensor y = (*a)(x);
  Tensor g = grad(sum(y), x);
  return {spec, x.to_vector<double>(), y.to_vector<double>(), g.to_vector<double>()};
}

// f and f' of an existing (e.g. trained) activation module, for each of its first `channels`
// channels: the input is [n, C] with the same x in every column, so column c is channel c's
// curve (per-channel parameters act on dimension 1, shared ones on everything).
std::vector<Curve> sample_module(act::Activation& a, const std::string& label, std::int64_t num_ch,
                                 double from, double to, std::int64_t n = 241) {
  const DType dt = a.parameters().empty() ? DType::Float64 : a.parameters()[0].dtype();
  const Tensor x1 = linspace(from, to, n, dt);
  Tensor x = x1.unsqueeze(1).expand({n, num_ch}).contiguous().requires_grad_();
  Tensor y = a(x);
  Tensor g = grad(sum(y), x);
  std::vector<Curve> out;
  const std::int64_t shown = std::min<std::int64_t>(num_ch, 4);
  for (std::int64_t c = 0; c < shown; ++c) {
    Curve cv{num_ch > 1 ? fmt::format("{} channel {}", label, c) : label, x1.to_vector<double>(),
             y.slice(1, c, c + 1).to_vector<double>(), g.slice(1, c, c + 1).to_vector<double>()};
    out.push_back(std::move(cv));
  }
  return out;
}

// Every activation module in the model saved in `path`, with its learned parameters.
std::vector<Curve> sample_checkpoint(const std::string& path, double from, double to) {
  const io::Checkpoint ck = io::load_checkpoint(path);
  auto model = examples::model_from_metadata(ck.metadata);
  model->load_state_dict(ck.model);
  std::vector<Curve> curves;
  for (auto& [name, m] : model->named_modules()) {
    auto* a = dynamic_cast<act::Activation*>(m);
    if (!a) continue;
    std::int64_t ch = 1;
    for (const Tensor& p : a->parameters()) ch = std::max(ch, p.numel() > 1 ? p.size(0) : 1);
    for (auto& c : sample_module(*a, fmt::format("{} {}", name, a->type_name()), ch, from, to))
      curves.push_back(std::move(c));
  }
  TG_CHECK(!curves.empty(), "plot: the model in {} has no activation modules", path);
  return curves;
}

double nice_step(double range) {
  const double raw = range / 8.0, p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

// f (solid) and f' (dashed) of each curve, one colour per curve, with axes, grid and legend.
std::string svg_plot(const std::vector<Curve>& curves, double from, double to) {
  const double W = 640, H = 400, L = 50, R = 20, T = 20, B = 40;
  double lo = 0, hi = 1;
  for (const Curve& c : curves)
    for (std::size_t i = 0; i < c.x.size(); ++i)
      for (double v : {c.f[i], c.df[i]})
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  lo = std::max(lo, -10.0), hi = std::min(hi, 10.0);
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  auto px = [&](double x) { return L + (x - from) / (to - from) * (W - L - R); };
  auto py = [&](double y) { return T + (hi - y) / (hi - lo) * (H - T - B); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<clipPath id=\"plot\"><rect x=\"{2}\" y=\"{3}\" width=\"{4}\" height=\"{5}\"/></clipPath>\n",
      W, H, L, T, W - L - R, H - T - B);
  // Grid and tick labels.
  const double xs = nice_step(to - from), ys = nice_step(hi - lo);
  for (double v = std::ceil(from / xs) * xs; v <= to + 1e-9; v += xs) {
    const double vv = std::abs(v) < 1e-12 ? 0.0 : v;
    s += fmt::format(
        "<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"#e0e0e0\"/>\n", px(vv),
        T, H - B);
    s += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>\n", px(vv),
                     H - B + 16, vv);
  }
  for (double v = std::ceil(lo / ys) * ys; v <= hi + 1e-9; v += ys) {
    const double vv = std::abs(v) < 1e-12 ? 0.0 : v;
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.2f}\" x2=\"{2}\" y2=\"{1:.2f}\" stroke=\"#e0e0e0\"/>\n", L,
        py(vv), W - R);
    s += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{:g}</text>\n", L - 6,
                     py(vv) + 4, vv);
  }
  // Axes through 0 where 0 is in range, else along the frame.
  const double ax = (from <= 0 && to >= 0) ? px(0) : L, ay = (lo <= 0 && hi >= 0) ? py(0) : H - B;
  s += fmt::format("<line x1=\"{}\" y1=\"{:.2f}\" x2=\"{}\" y2=\"{:.2f}\" stroke=\"black\"/>\n", L,
                   ay, W - R, ay);
  s += fmt::format("<line x1=\"{:.2f}\" y1=\"{}\" x2=\"{:.2f}\" y2=\"{}\" stroke=\"black\"/>\n", ax,
                   T, ax, H - B);
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#808080\"/>\n", L,
      T, W - L - R, H - T - B);
  // Curves.
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const Curve& c = curves[k];
    const char* colour = kColours[k % std::size(kColours)];
    for (int which = 0; which < 2; ++which) {
      const std::vector<double>& v = which == 0 ? c.f : c.df;
      std::string pts;
      for (std::size_t i = 0; i < c.x.size(); ++i) {
        if (!std::isfinite(v[i])) continue;
        const double y = std::clamp(py(v[i]), T - 10.0, H - B + 10.0);
        pts += fmt::format("{}{:.2f},{:.2f}", pts.empty() ? "" : " ", px(c.x[i]), y);
      }
      s += fmt::format(
          "<polyline clip-path=\"url(#plot)\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} "
          "points=\"{}\"/>\n",
          colour, which == 0 ? "" : " stroke-dasharray=\"6,4\"", pts);
    }
  }
  // Legend: one row per curve, then the line styles.
  const double lx = L + 10, ly = T + 10, rowh = 16;
  const double lh = rowh * static_cast<double>(curves.size() + 2) + 8;
  std::size_t longest = 12;
  for (const Curve& c : curves) longest = std::max(longest, c.label.size());
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"white\" fill-opacity=\"0.85\" "
      "stroke=\"#c0c0c0\"/>\n",
      lx, ly, 40 + 7 * static_cast<double>(longest), lh);
  auto legend_row = [&](std::size_t row, const char* colour, bool dashed, const std::string& text) {
    const double y = ly + 12 + rowh * static_cast<double>(row);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
        lx + 6, y - 4, lx + 30, y - 4, colour, dashed ? " stroke-dasharray=\"6,4\"" : "");
    std::string esc;
    for (char ch : text)
      esc += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", lx + 36, y, esc);
  };
  for (std::size_t k = 0; k < curves.size(); ++k)
    legend_row(k, kColours[k % std::size(kColours)], false, curves[k].label);
  legend_row(curves.size(), "black", false, "f(x)");
  legend_row(curves.size() + 1, "black", true, "f'(x)");
  s += "</svg>\n";
  return s;
}

void write_file(const fs::path& p, const std::string& text) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  if (!out) fail("cannot write {}", p.string());
  out << text;
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ------------------------------------------------------------------ list / show

int cmd_list() {
  const auto names = act::Registry::instance().names();
  fmt::print("{:<16} {:<10} {:<34} {:<7} {}\n", "name", "family", "parameters", "gain",
             "reference");
  for (const auto& n : names) {
    const auto& info = info_of(n);
    fmt::print("{:<16} {:<10} {:<34} {:<7} {}\n", n, family_str(info.family), params_str(info),
               gain_str(info.gain), reference_short(info.reference));
  }
  fmt::print("{} activations\n", names.size());
  return 0;
}

int cmd_show(const std::string& name) {
  const auto& info = info_of(name);
  fmt::print("{} ({})\n", info.name, family_str(info.family));
  fmt::print("  formula:   {}\n  latex:     {}\n", info.formula, info.latex);
  fmt::print("  gain:      {} ({})\n", gain_str(info.gain), info.gain_note);
  fmt::print("  reference: {} ({}). {}\n", info.reference.authors, info.reference.year,
             info.reference.title);
  fmt::print("  keys:{}\n", info.keys.empty() ? " none" : "");
  for (const auto& k : info.keys)
    fmt::print("    {:<12} default {:<6} {}\n", k.key, k.default_value, k.help);
  fmt::print("  parameters:{}\n", info.params.empty() ? " none" : "");
  for (const auto& p : info.params)
    fmt::print("    {:<12} {}; init {}{}\n", p.name, p.shape, p.init,
               p.constraint.empty() ? "" : "; " + p.constraint);
  return 0;
}

// ------------------------------------------------------------------ check

// Gradchecks one spec in float64 on [2, 3, 4] inputs (3 channels): input and every parameter.
// Points are moved away from where f' may jump: 0, +-1, +-3, 6 and every parameter value
// (APL hinges, SReLU thresholds).
bool check_one(const std::string& spec, std::uint64_t seed, std::string& message) {
  auto a = act::make(spec, 3, DType::Float64);
  TensorList params = a->parameters();
  // A parameter within 0.01 of 0 moves to +-0.05: PAU's |b_k| has a kink at 0 that a finite
  // difference would straddle (b_3 starts at 5e-7).
  {
    NoGradGuard ng;
    for (Tensor& p : params) {
      std::vector<double> d;
      for (double v : p.to_vector<double>())
        d.push_back(std::abs(v) < 0.01 ? (v < 0 ? -0.05 : 0.05) - v : 0.0);
      p.add_(tensor(d, p.shape(), p.dtype()));
    }
  }
  std::vector<double> kinks{0.0, -1.0, 1.0, -3.0, 3.0, 6.0};
  for (const Tensor& p : params)
    for (double v : p.to_vector<double>()) kinks.push_back(v);
  Generator gen(seed);
  std::vector<double> xs = uniform({2, 3, 4}, -4.0, 4.0, DType::Float64, &gen).to_vector<double>();
  for (double& v : xs)
    for (double k : kinks)
      if (std::abs(v - k) < 0.05) v = k + (v >= k ? 0.05 : -0.05);
  Tensor x = tensor(xs, {2, 3, 4}, DType::Float64).requires_grad_();
  TensorList inputs{x};
  inputs.insert(inputs.end(), params.begin(), params.end());
  const GradcheckResult r = gradcheck([&](const TensorList&) { return (*a)(x); }, inputs);
  message = r.message;
  return r.ok;
}

int cmd_check(bool verbose) {
  int failures = 0, checks = 0;
  std::uint64_t seed = 1;
  for (const auto& n : act::Registry::instance().names()) {
    std::vector<std::string> specs{n};
    for (const auto& k : info_of(n).keys)
      if (k.key == "per_channel") specs.push_back(n + "(per_channel=true)");
    for (const auto& spec : specs) {
      std::string msg;
      bool ok = false;
      try {
        ok = check_one(spec, seed++, msg);
      } catch (const std::exception& e) {
        msg = e.what();
      }
      ++checks;
      if (!ok) ++failures;
      if (!ok || verbose) fmt::print("{:<32} {}{}\n", spec, ok ? "ok" : "FAILED: ", ok ? "" : msg);
    }
  }
  fmt::print("gradcheck: {} of {} activation specs passed\n", checks - failures, checks);
  return failures == 0 ? 0 : 1;
}

// ------------------------------------------------------------------ accuracy

#ifndef TG_SOURCE_DIR
#define TG_SOURCE_DIR "."
#endif
const char* const kDefaultReference = TG_SOURCE_DIR "/tests/activations/reference.txt";

// "1.2 ulp", and where the reference crosses zero away from 0 and the error there is larger, the
// absolute error near that root too.
std::string error_cell(const act::ErrorSummary& e, bool absolute) {
  if (absolute) return fmt::format("abs {:.1e}", e.max_abs);
  std::string s = fmt::format("{:.2g}", e.max_ulp_away);
  if (e.max_abs > 0) s += fmt::format(" (abs {:.1e} near a root)", e.max_abs);
  return s;
}

std::string accuracy_table(const std::vector<act::ReferenceSpec>& ref,
                           const std::vector<act::AccuracyRow>& rows) {
  std::string md =
      "| spec | points | float32 f | float32 f' | float64 f | float64 f' |\n"
      "|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i + 1 < rows.size(); i += 2) {
    const auto& a = rows[i];      // float32
    const auto& b = rows[i + 1];  // float64
    const auto& r = ref[i / 2];
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", a.spec, a.points,
                      error_cell(a.f, r.absolute_f), error_cell(a.df, r.absolute_df),
                      error_cell(b.f, r.absolute_f), error_cell(b.df, r.absolute_df));
  }
  return md;
}

int cmd_accuracy(const std::string& reference) {
  const auto rows = act::measure_accuracy(act::read_reference(reference));
  fmt::print("{:<34} {:>5} {:>8} {:>8} {:>8} {:>8}   worst error in ulps (x where reached)\n",
             "spec", "dtype", "f", "f'", "f abs", "f' abs");
  for (const auto& r : rows)
    fmt::print("{:<34} {:>5} {:>8.3g} {:>8.3g} {:>8.2g} {:>8.2g}   f at {:.6g}, f' at {:.6g}\n",
               r.spec, r.dtype == DType::Float32 ? "f32" : "f64", r.f.max_ulp_away,
               r.df.max_ulp_away, r.f.max_abs, r.df.max_abs, r.f.x_ulp_away, r.df.x_ulp_away);
  return 0;
}

// ------------------------------------------------------------------ docs

std::string md_escape_cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// The catalogue page and its plots (file name -> SVG text), both from the registry.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> make_docs(
    const std::string& reference) {
  std::vector<std::pair<std::string, std::string>> images;
  std::string md =
      "# Activation catalogue\n\n"
      "<!-- Generated by `activations docs --out docs/activations.md` from the activation "
      "registry. Do not "
      "edit: a test (examples/activations_docs) fails when this page is stale. -->\n\n"
      "Every activation below is registered by name and can be used by any model through a spec "
      "string "
      "such as `leaky_relu(slope=0.1)` or `prelu(per_channel=true)` (see "
      "[adding-an-activation.md](adding-an-activation.md) to add your own). The plots show f "
      "(solid) and "
      "f' (dashed) on [-4, 4]; learnable activations are shown at their initial parameters. At a "
      "kink the "
      "derivative is PyTorch's (for example relu'(0) = 0, leaky_relu'(0) = slope, hardtanh' = 0 at "
      "both "
      "bounds).\n\n"
      "Gain is the He-initialisation gain at the default settings, with its source below; \"none\" "
      "means there is no established value (an initialiser given such an activation says which "
      "gain "
      "it used).\n\n"
      "| name | family | parameters / keys | gain | reference |\n|---|---|---|---|---|\n";
  const auto names = act::Registry::instance().names();
  for (const auto& n : names) {
    const auto& info = info_of(n);
    md += fmt::format("| [{0}](#{0}) | {1} | {2} | {3} | {4} |\n", n, family_str(info.family),
                      md_escape_cell(params_str(info)), gain_str(info.gain),
                      reference_short(info.reference));
  }
  const auto ref = act::read_reference(reference);
  std::size_t npoints = 0;
  for (const auto& r : ref) npoints = std::max(npoints, r.points.size());
  md += fmt::format(
      "\n## Accuracy\n\n"
      "The worst error of f and f' over up to {} points from -1e30 to 1e30 (dense on [-100, 100], "
      "near every kink and threshold, and at the ends of the float range), against values computed "
      "with mpmath at 50 digits (`tests/activations/make_reference.py`). f and f' are computed "
      "through the module, forward and backward, as in training; errors are in ulps of the "
      "result's dtype. Where f or f' crosses zero away from x = 0, the value there is a "
      "difference of much larger terms and its error is absolute: those points are left out of "
      "the ulp figure and their worst absolute error is shown instead. So are results below the "
      "smallest normal number (2^-126 in float32, 2^-1022 in float64), which keep fewer digits "
      "(their absolute error is below that number). Learnable activations are at their initial "
      "parameters (rounded to float32; those stored through softplus at the value whose softplus "
      "is exactly the nominal one). Reproduce with `activations accuracy`; "
      "`tests/activations/test_accuracy.cpp` holds every row to a bound.\n\n",
      npoints);
  md += accuracy_table(ref, act::measure_accuracy(ref));
  md +=
      "\nWhere the larger errors come from:\n\n"
      "- `gelu_tanh`: the argument u = sqrt(2/pi) (x + 0.044715 x^3) is rounded like any "
      "computed value, and e^(2u) turns its relative error into |2u| times as much: for x far "
      "below 0 (the worst at x = -9 in float32, -20 in float64). Any evaluation of this formula "
      "in the dtype has it.\n"
      "- `sigmoid`, `tanh` f': computed from y = f(x), as PyTorch does (y (1 - y), 1 - y^2), "
      "so that the backward reads y only: the rounding of y is an absolute error of about an ulp "
      "of 1, large in ulps where f' is small (f' = 0 where y rounds to 1). `sigmoid_beta` and "
      "`tanh_beta` (at beta = 1 the same functions) compute f' from x instead, s(bx) s(-bx) and "
      "4 s(2bx) s(-2bx) with both factors from one exp, so it keeps its digits in the tails.\n"
      "- `silu` f': s + y (1 - s) with s = y / x (no second exp): for large x, 1 - s keeps few "
      "digits, but the term is small beside s: about x/2 ulps.\n"
      "- `softplus`, `logsigmoid` f': sigmoid(z) = e^(z - softplus(z)) for z < 0, where z - "
      "softplus(z) rounds to half an ulp of z, so |z| times that in the result.\n"
      "- `silu`, `swish_beta`, `mish` (float32): for x in [-91.8, -87.3], sigmoid(x) is "
      "subnormal while x sigmoid(x) is not; `gelu` likewise where Phi(x) is subnormal.\n"
      "- `pau`, `rational`: the numerator and denominator are sums of terms far larger than the "
      "result where f is small (about -0.01 x at these coefficients), an inherent cancellation "
      "of the rational form. Their points stop at |x| = 1e6: x^5 overflows float32 near "
      "|x| = 4e7.\n";
  for (const auto& n : names) {
    const auto& info = info_of(n);
    const std::string img = fmt::format("act_{}.svg", n);
    images.emplace_back(img, svg_plot({sample(n, -4.0, 4.0)}, -4.0, 4.0));
    md += fmt::format("\n## {}\n\n", n);
    md += fmt::format("![{} and its derivative](img/{})\n\n", n, img);
    md += fmt::format("Family: {}. Formula: `{}`\n\n", family_str(info.family), info.formula);
    md += fmt::format("$$\n{}\n$$\n\n", info.latex);
    if (!info.keys.empty()) {
      md += "| key | default | meaning |\n|---|---|---|\n";
      for (const auto& k : info.keys)
        md += fmt::format("| `{}` | {} | {} |\n", k.key, k.default_value, md_escape_cell(k.help));
      md += "\n";
    }
    if (!info.params.empty()) {
      md += "| parameter | shape | initial value | constraint |\n|---|---|---|---|\n";
      for (const auto& p : info.params)
        md += fmt::format("| `{}` | {} | {} | {} |\n", p.name, md_escape_cell(p.shape),
                          md_escape_cell(p.init),
                          p.constraint.empty() ? "-" : md_escape_cell(p.constraint));
      md += "\n";
    }
    md += fmt::format("Gain: {} ({}).\n\n", gain_str(info.gain), info.gain_note);
    md += fmt::format("Reference: {} ({}). *{}*.\n", info.reference.authors, info.reference.year,
                      info.reference.title);
  }
  return {md, images};
}

int cmd_docs(const fs::path& out, bool check, const std::string& reference) {
  const auto [md, images] = make_docs(reference);
  const fs::path img_dir = out.parent_path() / "img";
  if (!check) {
    write_file(out, md);
    for (const auto& [name, svg] : images) write_file(img_dir / name, svg);
    fmt::print("wrote {} and {} plots in {}\n", out.string(), images.size(), img_dir.string());
    return 0;
  }
  std::vector<std::string> stale;
  if (read_file(out) != md) stale.push_back(out.string());
  for (const auto& [name, svg] : images)
    if (read_file(img_dir / name) != svg) stale.push_back((img_dir / name).string());
  if (stale.empty()) {
    fmt::print("{} and its {} plots are up to date\n", out.string(), images.size());
    return 0;
  }
  fmt::print(stderr, "stale or missing (regenerate with: activations docs --out {}):\n",
             out.string());
  for (const auto& s : stale) fmt::print(stderr, "  {}\n", s);
  return 1;
}

}  // namespace

TG_EXAMPLE_MAIN(activations) {
  const std::string program = examples::program_name(argv[0]);
  CLI::App app{"The activation catalogue: list, show, plot, check, docs"};
  examples::name_errors(app, program);
  app.require_subcommand(1);

  auto* list = app.add_subcommand("list", "table of every registered activation");

  std::string show_name;
  auto* show = app.add_subcommand("show", "all metadata of one activation");
  show->add_option("name", show_name, "activation name")->required();

  std::vector<std::string> plot_specs;
  std::string plot_out, plot_checkpoint;
  double from = -4, to = 4;
  auto* plot =
      app.add_subcommand("plot", "SVG of f (solid) and f' (dashed); learnable ones at their init");
  plot->add_option("specs", plot_specs, "activation names or specs, e.g. relu \"prelu(init=0.1)\"");
  plot->add_option("--checkpoint", plot_checkpoint,
                   "also plot the activations of a model saved by train_cnn/train_mlp, as learned "
                   "(up to 4 channels each)");
  plot->add_option("--out", plot_out, "SVG file to write")->required();
  plot->add_option("--from", from, "left end of the interval");
  plot->add_option("--to", to, "right end of the interval");

  bool verbose = false;
  auto* check =
      app.add_subcommand("check", "gradcheck every registered activation; exit 1 on failure");
  check->add_flag("-v,--verbose", verbose, "print every activation, not only failures");

  std::string reference = kDefaultReference;
  auto* accuracy = app.add_subcommand(
      "accuracy", "worst error of f and f' of every spec in the reference file, in ulps");
  accuracy->add_option("--reference", reference, "reference values (make_reference.py)");

  std::string docs_out = "docs/activations.md";
  bool docs_check = false;
  auto* docs =
      app.add_subcommand("docs", "write the catalogue page and its plots (in img/ beside it)");
  docs->add_option("--out", docs_out, "the Markdown file to write");
  docs->add_option("--reference", reference, "reference values for the accuracy table");
  docs->add_flag("--check", docs_check,
                 "write nothing; exit 1 if the files differ from what would be written");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*list) return cmd_list();
    if (*show) return cmd_show(show_name);
    if (*plot) {
      if (!(to > from)) fail("plot: --to ({}) must be greater than --from ({})", to, from);
      std::vector<Curve> curves;
      for (const auto& s : plot_specs) curves.push_back(sample(s, from, to));
      if (!plot_checkpoint.empty())
        for (auto& c : sample_checkpoint(plot_checkpoint, from, to)) curves.push_back(std::move(c));
      if (curves.empty()) fail("plot: give activation specs, --checkpoint FILE, or both");
      write_file(plot_out, svg_plot(curves, from, to));
      fmt::print("wrote {}\n", plot_out);
      return 0;
    }
    if (*check) return cmd_check(verbose);
    if (*accuracy) return cmd_accuracy(reference);
    if (*docs) return cmd_docs(docs_out, docs_check, reference);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 2;
  }
  return 0;
}
