// The figures of the study report about training and diagnostics: curves over epochs, learned
// shapes, dead/saturated heatmaps, gradient flow and time.
#include <algorithm>
#include <cmath>

#include "tapegrad/study/report_detail.hpp"
#include "tapegrad/study/report_svg.hpp"

namespace tg::study::report_detail {

namespace {
namespace plots_impl {

struct Spread {
  double mean = kNaN, lo = kNaN, hi = kNaN, std = kNaN;
  std::size_t n = 0;
};
Spread spread_of(const std::vector<double>& v) {
  Spread s;
  double sum = 0.0;
  for (double x : v)
    if (std::isfinite(x)) {
      sum += x;
      s.lo = s.n ? std::min(s.lo, x) : x;
      s.hi = s.n ? std::max(s.hi, x) : x;
      ++s.n;
    }
  if (!s.n) return s;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n >= 2) {
    double ss = 0.0;
    for (double x : v)
      if (std::isfinite(x)) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  return s;
}

void legend(Svg& svg, const Condition& c, double x, double y) {
  for (const ArmResult& a : c.arms) {
    if (a.done.empty()) continue;
    svg.rect(x, y - 9, 14, 10, arm_colour(a.colour));
    svg.text(x + 19, y, shorten(a.arm, 28), "class=\"lab\"");
    x += 40 + 7.0 * static_cast<double>(std::min<std::size_t>(a.arm.size(), 28));
  }
}

double epoch_value(const EpochRow& e, int which) {
  return which == 0 ? e.val_accuracy : which == 1 ? e.test_accuracy : e.train_loss;
}

// A block of small multiples: a title line, then the panels side by side (they wrap on a narrow
// page); `body` is HTML.
std::string multiples_row(const std::string& title, const std::vector<std::string>& panels) {
  std::string out = "<div class=\"multiples\"><div class=\"mtitle\">" + html_escape(title) +
                    "</div><div class=\"mpanels\">";
  for (const auto& p : panels) out += p;
  return out + "</div></div>";
}

}  // namespace plots_impl
}  // namespace

using namespace plots_impl;

Figure figure_curves(const StudyReport& r, const Condition& c) {
  (void)r;
  Figure fig;
  fig.caption =
      "Per epoch: mean over the seeds each arm finished (line) and the min–max range across "
      "seeds (band) of the validation accuracy, the test accuracy and the training loss. The "
      "epoch of the score is chosen on the validation curve; the test curve is shown, never used "
      "to choose.";
  if (c.max_epoch < 1) {
    fig.note = "No epoch results in this condition yet.";
    return fig;
  }
  const char* titles[] = {"validation accuracy (%)", "test accuracy (%)", "training loss"};
  const double pw = 300, ph = 210, left = 56, top = 30, gap = 70;
  Svg svg(left + 3 * pw + 2 * gap + 20, top + ph + 80, "accuracy and loss curves per epoch");
  const std::size_t n_ep = static_cast<std::size_t>(c.max_epoch);
  for (int which = 0; which < 3; ++which) {
    const double scale = which < 2 ? 100.0 : 1.0;
    // spreads[arm][epoch - 1]
    std::vector<std::vector<Spread>> spreads;
    std::vector<double> all;
    for (const ArmResult& a : c.arms) {
      std::vector<std::vector<double>> by_epoch(n_ep);
      for (const RunData* d : a.done)
        for (const EpochRow& e : d->epochs)
          if (e.epoch >= 1 && e.epoch <= c.max_epoch)
            by_epoch[static_cast<std::size_t>(e.epoch - 1)].push_back(scale *
                                                                      epoch_value(e, which));
      spreads.emplace_back();
      for (const auto& v : by_epoch) {
        spreads.back().push_back(spread_of(v));
        if (spreads.back().back().n)
          all.insert(all.end(), {spreads.back().back().lo, spreads.back().back().hi});
      }
    }
    const Frame f{left + (pw + gap) * which, top, pw, ph};
    const Scale x = linear_scale(1, static_cast<double>(std::max<std::int64_t>(c.max_epoch, 2)),
                                 f.left, f.left + f.width, false);
    double lo = INFINITY, hi = -INFINITY;
    for (double v : all) lo = std::min(lo, v), hi = std::max(hi, v);
    const Scale y = linear_scale(lo, hi, f.top + f.height, f.top);
    std::vector<double> xt;
    for (double t : ticks_of(x, 6))
      if (t == std::floor(t)) xt.push_back(t);
    draw_axes(svg, f, x, y, xt, ticks_of(y, 5), "epoch", titles[which], tick_text, tick_text);
    if (all.empty()) {
      svg.text(f.left + f.width / 2, f.top + f.height / 2,
               which == 0 ? "no validation split" : "no data",
               "class=\"note\" text-anchor=\"middle\"");
      continue;
    }
    for (std::size_t k = 0; k < c.arms.size(); ++k) {
      const std::string col = arm_colour(c.arms[k].colour);
      std::vector<double> xs, los, his;
      std::vector<std::pair<double, double>> line;
      for (std::size_t e = 0; e < n_ep; ++e) {
        const Spread& s = spreads[k][e];
        xs.push_back(x(static_cast<double>(e + 1)));
        los.push_back(y(s.lo));
        his.push_back(y(s.hi));
        line.emplace_back(xs.back(), y(s.mean));
      }
      svg.band(xs, los, his, col, 0.15, c.arms[k].arm + ": min–max over seeds");
      svg.polyline(line, col, 2, "", c.arms[k].arm);
    }
  }
  legend(svg, c, left, top + ph + 62);
  fig.svg = svg.finish();
  return fig;
}

Figure figure_shapes(const StudyReport& r, const Condition& c) {
  Figure fig;
  const MonitorOptions& m = r.monitor;
  fig.caption = fmt::format(
      "Learned shapes: f(x) for x from {} to {} ({} points, study_info monitor.shape_*), averaged "
      "over channels, after each epoch (light = first epoch, dark = last), for one representative "
      "seed per arm: the lowest seed the arm finished (named in each row). Shaded: the min–max "
      "over "
      "channels at the last epoch (series shape_lo..shape_hi). One row per arm, one panel per "
      "activation layer in network order; each panel has its own y axis.",
      tick_text(m.shape_lo), tick_text(m.shape_hi), m.shape_points);
  const std::vector<double> grid = shape_grid(m);
  std::string body;
  for (const ArmResult& a : c.arms) {
    if (!a.representative) continue;
    // shape[layer][name] -> (epoch, data), epochs in increasing order (store order).
    std::map<std::string, std::map<std::string, std::vector<const SeriesRow*>>> by_layer;
    for (const SeriesRow& s : a.representative->series)
      if (s.name == "shape" || s.name == "shape_lo" || s.name == "shape_hi")
        by_layer[s.layer][s.name].push_back(&s);
    std::vector<std::string> layers = c.layers;
    for (const auto& [layer, v] : by_layer)
      if (std::find(layers.begin(), layers.end(), layer) == layers.end()) layers.push_back(layer);
    std::vector<std::string> panels;
    const std::string col = arm_colour(a.colour);
    for (const std::string& layer : layers) {
      const auto it = by_layer.find(layer);
      if (it == by_layer.end() || !it->second.count("shape")) continue;
      const auto& curves = it->second.at("shape");
      std::vector<double> all;
      for (const auto& [name, rows] : it->second)
        for (const SeriesRow* s : rows) all.insert(all.end(), s->data.begin(), s->data.end());
      double lo = INFINITY, hi = -INFINITY;
      for (double v : all)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      const double pw = 200, ph = 140, left = 40, top = 22;
      const Frame f{left, top, pw - left - 8, ph - top - 26};
      Svg svg(pw, ph, a.arm + ", layer " + layer);
      const Scale x = linear_scale(m.shape_lo, m.shape_hi, f.left, f.left + f.width, false);
      const Scale y = linear_scale(lo, hi, f.top + f.height, f.top);
      draw_axes(svg, f, x, y, ticks_of(x, 4), ticks_of(y, 4), "", "", tick_text, tick_text);
      svg.text(f.left, 13, "layer " + shorten(layer, 22), "class=\"lab\"");
      if (0 >= y.d0 && 0 <= y.d1) svg.line(f.left, y(0), f.left + f.width, y(0), "#bbb", 1);
      if (0 >= x.d0 && 0 <= x.d1) svg.line(x(0), f.top, x(0), f.top + f.height, "#bbb", 1);
      auto xs_for = [&](const SeriesRow& s) {
        if (s.data.size() == grid.size()) return grid;
        MonitorOptions o = m;  // a length the options do not predict: spread it over lo..hi
        o.shape_points = static_cast<std::int64_t>(std::max<std::size_t>(s.data.size(), 2));
        return shape_grid(o);
      };
      const SeriesRow* last = curves.back();
      const SeriesRow *band_lo = nullptr, *band_hi = nullptr;
      for (const auto* s : it->second.count("shape_lo") ? it->second.at("shape_lo")
                                                        : std::vector<const SeriesRow*>{})
        if (s->epoch == last->epoch) band_lo = s;
      for (const auto* s : it->second.count("shape_hi") ? it->second.at("shape_hi")
                                                        : std::vector<const SeriesRow*>{})
        if (s->epoch == last->epoch) band_hi = s;
      if (band_lo && band_hi && band_lo->data.size() == band_hi->data.size()) {
        const std::vector<double> gx = xs_for(*band_lo);
        std::vector<double> px, plo, phi;
        for (std::size_t i = 0; i < gx.size(); ++i) {
          px.push_back(x(gx[i]));
          plo.push_back(y(band_lo->data[i]));
          phi.push_back(y(band_hi->data[i]));
        }
        svg.band(px, plo, phi, col, 0.22, "min–max over channels, last epoch");
      }
      for (std::size_t e = 0; e < curves.size(); ++e) {
        const double t = curves.size() == 1 ? 1.0
                                            : 0.2 + 0.8 * static_cast<double>(e) /
                                                        static_cast<double>(curves.size() - 1);
        const std::vector<double> gx = xs_for(*curves[e]);
        std::vector<std::pair<double, double>> pts;
        for (std::size_t i = 0; i < gx.size() && i < curves[e]->data.size(); ++i)
          pts.emplace_back(x(gx[i]), y(curves[e]->data[i]));
        svg.polyline(pts, mix_white(col, t), e + 1 == curves.size() ? 2 : 1.3, "",
                     fmt::format("epoch {}", curves[e]->epoch));
      }
      panels.push_back(svg.finish());
    }
    if (!panels.empty())
      body += multiples_row(fmt::format("{} — seed {}", a.arm, a.representative->row.seed), panels);
  }
  if (body.empty())
    fig.note =
        "No \"shape\" series in the store for this condition (the runs did not record "
        "learned shapes).";
  fig.svg = body;
  return fig;
}

Figure figure_heatmap(const StudyReport& r, const Condition& c, const std::string& metric) {
  Figure fig;
  fig.caption =
      metric == "dead_fraction"
          ? "Fraction of dead units (derivative exactly 0 on every probe example) per activation "
            "layer (rows, network order) and epoch (columns), averaged over the seeds each arm "
            "finished; the number in each cell is the value, darker is higher (0 to 1)."
          : fmt::format(
                "Fraction of pre-activation elements where |f'(x)| < {} (study_info "
                "monitor.saturation_threshold) per activation layer (rows, network order) and "
                "epoch (columns), averaged over the seeds each arm finished; the number in each "
                "cell is the value, darker is higher (0 to 1).",
                tick_text(r.monitor.saturation_threshold));
  std::string body;
  for (const ArmResult& a : c.arms) {
    const auto it = a.diag.find(metric);
    if (it == a.diag.end()) continue;
    std::vector<std::string> layers;
    for (const std::string& l : c.layers)
      if (it->second.count(l)) layers.push_back(l);
    const double cw = c.max_epoch > 24 ? 14 : 40, ch = 24, left = 70, top = 24;
    const bool values = cw >= 30;
    const double w = left + cw * static_cast<double>(c.max_epoch) + 10;
    Svg svg(w, top + ch * static_cast<double>(layers.size()) + 26, a.arm + ": " + metric);
    svg.text(left, 14, "epoch →", "class=\"tick\"");
    for (std::size_t li = 0; li < layers.size(); ++li) {
      const double y0 = top + ch * static_cast<double>(li);
      svg.text(left - 8, y0 + ch / 2 + 4, "layer " + shorten(layers[li], 10),
               "class=\"tick\" text-anchor=\"end\"");
      const auto& by_epoch = it->second.at(layers[li]);
      for (std::int64_t e = 1; e <= c.max_epoch; ++e) {
        const double x0 = left + cw * static_cast<double>(e - 1);
        const auto ev = by_epoch.find(e);
        const Spread s = ev == by_epoch.end() ? Spread{} : spread_of(ev->second);
        const std::string title =
            s.n ? fmt::format("{}, layer {}, epoch {}: {:.4f} (mean of {} seed{})", a.arm,
                              layers[li], e, s.mean, s.n, s.n == 1 ? "" : "s")
                : fmt::format("layer {}, epoch {}: no data", layers[li], e);
        svg.rect(x0, y0, cw - 1, ch - 1, s.n ? sequential_colour(s.mean) : "#f2f2f2", "", title);
        if (values && s.n)
          svg.text(x0 + cw / 2, y0 + ch / 2 + 4, fmt::format("{:.2f}", s.mean),
                   fmt::format("class=\"cell\" text-anchor=\"middle\" fill=\"{}\"",
                               text_colour_on(s.mean)));
      }
    }
    for (std::int64_t e = 1; e <= c.max_epoch; ++e)
      if (values || e == 1 || e == c.max_epoch || e % 5 == 0)
        svg.text(left + cw * (static_cast<double>(e) - 0.5),
                 top + ch * static_cast<double>(layers.size()) + 16, fmt::format("{}", e),
                 "class=\"tick\" text-anchor=\"middle\"");
    if (!layers.empty()) body += multiples_row(a.arm, {svg.finish()});
  }
  // The arms side by side: one small heatmap each.
  if (!body.empty()) body = "<div class=\"mpanels\">" + body + "</div>";
  if (body.empty())
    fig.note = fmt::format("No \"{}\" diagnostics in the store for this condition.", metric);
  fig.svg = body;
  return fig;
}

Figure figure_gradflow(const StudyReport& r, const Condition& c) {
  (void)r;
  Figure fig;
  fig.caption =
      "Gradient flow: L2 norm of the loss gradient with respect to each activation layer's output "
      "on the probe batch (log scale), layers in network order (input side left). Solid: the last "
      "epoch, mean over seeds with min–max whiskers; dashed: the first epoch. A norm that falls by "
      "orders of magnitude towards the input is a vanishing gradient.";
  std::vector<std::string> layers;
  for (const std::string& l : c.layers)
    for (const ArmResult& a : c.arms)
      if (a.diag.count("grad_norm") && a.diag.at("grad_norm").count(l)) {
        layers.push_back(l);
        break;
      }
  std::vector<double> all;
  for (const ArmResult& a : c.arms)
    if (a.diag.count("grad_norm"))
      for (const auto& [l, by_epoch] : a.diag.at("grad_norm"))
        for (const auto& [e, v] : by_epoch)
          for (double g : v)
            if (g > 0 && std::isfinite(g)) all.push_back(g);
  if (layers.empty() || all.empty()) {
    fig.note = "No positive \"grad_norm\" diagnostics in the store for this condition.";
    return fig;
  }
  const double left = 64, top = 30, pw = std::max(260.0, 90.0 * static_cast<double>(layers.size()));
  const double ph = 240;
  const Frame f{left, top, pw, ph};
  Svg svg(left + pw + 30, top + ph + 74, "gradient norm per layer");
  const Scale y = log_scale(*std::min_element(all.begin(), all.end()),
                            *std::max_element(all.begin(), all.end()), top + ph, top);
  auto lx = [&](std::size_t i) {
    return left + pw * (static_cast<double>(i) + 0.5) / static_cast<double>(layers.size());
  };
  draw_axes(svg, f, Scale{0, 1, 0, 1}, y, {}, ticks_of(y, 6), "", "grad_norm (log scale)",
            tick_text, tick_text);
  for (std::size_t i = 0; i < layers.size(); ++i)
    svg.text(lx(i), top + ph + 16, "layer " + shorten(layers[i], 12),
             "class=\"tick\" text-anchor=\"middle\"");
  const double offset_step = std::min(8.0, pw / static_cast<double>(layers.size()) / 8.0);
  for (std::size_t k = 0; k < c.arms.size(); ++k) {
    const ArmResult& a = c.arms[k];
    const auto it = a.diag.find("grad_norm");
    if (it == a.diag.end()) continue;
    const std::string col = arm_colour(a.colour);
    const double off =
        (static_cast<double>(k) - static_cast<double>(c.arms.size() - 1) / 2) * offset_step;
    std::vector<std::pair<double, double>> first, last;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const auto lt = it->second.find(layers[i]);
      if (lt == it->second.end() || lt->second.empty()) {
        first.emplace_back(NAN, NAN);
        last.emplace_back(NAN, NAN);
        continue;
      }
      auto positive = [](const std::vector<double>& v) {
        std::vector<double> p;
        for (double g : v)
          if (g > 0) p.push_back(g);
        return p;
      };
      const Spread s0 = spread_of(positive(lt->second.begin()->second));
      const Spread s1 = spread_of(positive(lt->second.rbegin()->second));
      first.emplace_back(lx(i) + off, y(s0.mean));
      last.emplace_back(lx(i) + off, y(s1.mean));
      svg.line(lx(i) + off, y(s1.lo), lx(i) + off, y(s1.hi), col, 1.5);
      svg.circle(lx(i) + off, y(s1.mean), 4, col,
                 fmt::format("{}, layer {}, epoch {}: {} (mean of {}; min {}, max {})", a.arm,
                             layers[i], lt->second.rbegin()->first, fmt_num(s1.mean, 4), s1.n,
                             fmt_num(s1.lo, 4), fmt_num(s1.hi, 4)));
    }
    svg.polyline(first, col, 1.2, "stroke-dasharray=\"4 3\" stroke-opacity=\"0.7\"",
                 a.arm + ", first epoch");
    svg.polyline(last, col, 2, "", a.arm + ", last epoch");
  }
  legend(svg, c, left, top + ph + 56);
  fig.svg = svg.finish();
  return fig;
}

Figure figure_time(const StudyReport& r, const Condition& c) {
  (void)r;
  Figure fig;
  fig.caption =
      "Left: seconds per epoch (for each run the mean of epochs.seconds; bar: mean over runs, "
      "whisker: ± std over runs, ddof = 1). Right: wall-clock seconds per run (runs.wall_seconds), "
      "summarised the same way. Workers share the machine, so times compare arms only roughly.";
  std::vector<const ArmResult*> rows;
  std::vector<Spread> per_epoch, wall;
  for (const ArmResult& a : c.arms) {
    std::vector<double> pe, ws;
    for (const RunData* d : a.done) {
      std::vector<double> secs;
      for (const EpochRow& e : d->epochs) secs.push_back(e.seconds);
      pe.push_back(spread_of(secs).mean);
      ws.push_back(d->row.wall_seconds);
    }
    Spread s0 = spread_of(pe), s1 = spread_of(ws);
    if (!s0.n && !s1.n) continue;
    rows.push_back(&a);
    per_epoch.push_back(s0);
    wall.push_back(s1);
  }
  if (rows.empty()) {
    fig.note = "No timing data in this condition yet.";
    return fig;
  }
  const double label_w = 180, pw = 280, gap = 60, row_h = 26, top = 30;
  const double ph = row_h * static_cast<double>(rows.size());
  Svg svg(label_w + 2 * pw + gap + 30, top + ph + 50, "time per epoch and per run");
  for (int panel = 0; panel < 2; ++panel) {
    const auto& sp = panel == 0 ? per_epoch : wall;
    double hi = 0.0;
    for (const Spread& s : sp)
      if (s.n) hi = std::max(hi, std::isfinite(s.std) ? s.mean + s.std : s.mean);
    const Frame f{label_w + (pw + gap) * panel, top, pw, ph};
    const Scale x = linear_scale(0, hi > 0 ? hi * 1.15 : 1.0, f.left, f.left + f.width, false);
    draw_axes(svg, f, x, Scale{0, 1, 0, 1}, ticks_of(x, 5), {},
              panel == 0 ? "seconds per epoch" : "seconds per run", "", tick_text, tick_text);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double cy = top + row_h * (static_cast<double>(i) + 0.5);
      const Spread& s = sp[i];
      if (panel == 0)
        svg.text(label_w - 10, cy + 4, shorten(rows[i]->arm, 26),
                 "class=\"lab\" text-anchor=\"end\"");
      if (!s.n) continue;
      svg.rect(f.left, cy - 8, x(s.mean) - f.left, 16, arm_colour(rows[i]->colour),
               "fill-opacity=\"0.8\"",
               fmt::format("{}: {} (mean of {} runs)", rows[i]->arm, fmt_seconds(s.mean), s.n));
      if (std::isfinite(s.std))
        svg.line(x(std::max(0.0, s.mean - s.std)), cy, x(s.mean + s.std), cy, "#333", 1.2);
      svg.text(x(s.mean + (std::isfinite(s.std) ? s.std : 0.0)) + 5, cy + 4, fmt_seconds(s.mean),
               "class=\"tick\"");
    }
  }
  fig.svg = svg.finish();
  return fig;
}

}  // namespace tg::study::report_detail
