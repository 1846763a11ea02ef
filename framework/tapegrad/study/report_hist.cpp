// The study report's pre-activation histograms: what each activation layer is fed, which explains
// much of what dead and saturated fractions show.
#include <algorithm>
#include <cmath>

#include "tapegrad/study/report_detail.hpp"
#include "tapegrad/study/report_svg.hpp"

namespace tg::study::report_detail {

Figure figure_hist(const StudyReport& r, const Condition& c) {
  Figure fig;
  const MonitorOptions& m = r.monitor;
  fig.caption = fmt::format(
      "Pre-activation distribution per activation layer at the last epoch, on the probe set, for "
      "the representative seed of each arm (the lowest seed it finished): counts in {} bins over "
      "[{}, {}] (study_info monitor.hist_*; values outside fall in the end bins), shown as "
      "fractions of the counted elements.",
      m.hist_bins, tick_text(m.hist_lo), tick_text(m.hist_hi));
  const std::vector<double> edges = hist_edges(m);
  std::vector<std::string> panels;
  for (const std::string& layer : c.layers) {
    // (arm, histogram as fractions, its edges) for every arm that has this layer.
    struct Curve {
      const ArmResult* arm;
      std::vector<double> frac, edges;
      std::int64_t epoch;
    };
    std::vector<Curve> curves;
    double top_frac = 0.0;
    for (const ArmResult& a : c.arms) {
      if (!a.representative) continue;
      const SeriesRow* last = nullptr;
      for (const SeriesRow& s : a.representative->series)
        if (s.name == "preact_hist" && s.layer == layer && !s.data.empty() &&
            (!last || s.epoch > last->epoch))
          last = &s;
      if (!last) continue;
      double total = 0.0;
      for (double v : last->data)
        if (std::isfinite(v) && v > 0) total += v;
      if (!(total > 0)) continue;
      Curve cv{&a, {}, edges, last->epoch};
      if (last->data.size() + 1 != edges.size()) {  // bins the options do not predict
        MonitorOptions o = m;
        o.hist_bins = static_cast<std::int64_t>(last->data.size());
        cv.edges = hist_edges(o);
      }
      for (double v : last->data) cv.frac.push_back(std::isfinite(v) && v > 0 ? v / total : 0.0);
      top_frac = std::max(top_frac, *std::max_element(cv.frac.begin(), cv.frac.end()));
      curves.push_back(std::move(cv));
    }
    if (curves.empty()) continue;
    const double pw = 250, ph = 160, left = 44, top = 22;
    const Frame f{left, top, pw - left - 10, ph - top - 28};
    Svg svg(pw, ph, "pre-activation histogram, layer " + layer);
    const Scale x = linear_scale(m.hist_lo, m.hist_hi, f.left, f.left + f.width, false);
    const Scale y = linear_scale(0, top_frac * 1.08, f.top + f.height, f.top, false);
    draw_axes(svg, f, x, y, ticks_of(x, 4), ticks_of(y, 4), "", "", tick_text, tick_text);
    svg.text(f.left, 13, "layer " + shorten(layer, 22), "class=\"lab\"");
    for (const Curve& cv : curves) {
      std::vector<std::pair<double, double>> steps;
      for (std::size_t i = 0; i < cv.frac.size(); ++i) {
        steps.emplace_back(x(cv.edges[i]), y(cv.frac[i]));
        steps.emplace_back(x(cv.edges[i + 1]), y(cv.frac[i]));
      }
      svg.polyline(steps, arm_colour(cv.arm->colour), 1.5, "stroke-opacity=\"0.85\"",
                   fmt::format("{}, seed {}, epoch {}", cv.arm->arm,
                               cv.arm->representative->row.seed, cv.epoch));
    }
    panels.push_back(svg.finish());
  }
  if (panels.empty()) {
    fig.note = "No \"preact_hist\" series in the store for this condition.";
    return fig;
  }
  std::string legend = "<div class=\"legend\">";
  for (const ArmResult& a : c.arms)
    if (a.representative)
      legend += fmt::format(
          "<span class=\"item\"><span class=\"swatch\" style=\"background:{}\"></span>{} (seed "
          "{})</span>",
          arm_colour(a.colour), html_escape(a.arm), a.representative->row.seed);
  fig.svg = legend + "</div><div class=\"mpanels\">";
  for (const auto& p : panels) fig.svg += p;
  fig.svg += "</div>";
  return fig;
}

}  // namespace tg::study::report_detail
