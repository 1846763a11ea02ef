// The SVG writer of the study report and the figures about scores: the leaderboard (intervals and
// paired differences), the per-seed strip plot and the critical-difference diagram.
#include "tapegrad/study/report_svg.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "tapegrad/study/report_detail.hpp"

namespace tg::study::report_detail {

namespace {
namespace svg_impl {

bool finite_all(std::initializer_list<double> v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}
std::string num(double v) {
  const std::string s = fmt::format("{:.2f}", v);
  return s == "-0.00" ? "0.00" : s;
}
void append_title(std::string& out, std::string_view title) {
  if (!title.empty()) out += "<title>" + html_escape(title) + "</title>";
}

double min_finite(const std::vector<double>& v) {
  double m = INFINITY;
  for (double x : v)
    if (std::isfinite(x)) m = std::min(m, x);
  return m;
}
double max_finite(const std::vector<double>& v) {
  double m = -INFINITY;
  for (double x : v)
    if (std::isfinite(x)) m = std::max(m, x);
  return m;
}

}  // namespace svg_impl
}  // namespace

using namespace svg_impl;

Svg::Svg(double width, double height, std::string_view label) {
  out_ = fmt::format(
      "<svg viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\" aria-label=\"{2}\">",
      num(width), num(height), html_escape(label));
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
               std::string_view extra) {
  if (!finite_all({x1, y1, x2, y2, width})) return;
  out_ += fmt::format(
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
      "stroke-width=\"{}\" {}/>",
      num(x1), num(y1), num(x2), num(y2), stroke, num(width), extra);
}

void Svg::rect(double x, double y, double w, double h, std::string_view fill,
               std::string_view extra, std::string_view title) {
  if (!finite_all({x, y, w, h})) return;
  out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" {}>", num(x),
                      num(y), num(std::max(w, 0.0)), num(std::max(h, 0.0)), fill, extra);
  append_title(out_, title);
  out_ += "</rect>";
}

void Svg::circle(double cx, double cy, double r, std::string_view fill, std::string_view title,
                 std::string_view extra) {
  if (!finite_all({cx, cy, r})) return;
  out_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" {}>", num(cx), num(cy),
                      num(r), fill, extra);
  append_title(out_, title);
  out_ += "</circle>";
}

void Svg::text(double x, double y, std::string_view s, std::string_view extra) {
  if (!finite_all({x, y})) return;
  out_ +=
      fmt::format("<text x=\"{}\" y=\"{}\" {}>{}</text>", num(x), num(y), extra, html_escape(s));
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                   double width, std::string_view extra, std::string_view title) {
  std::string piece;
  std::size_t count = 0;
  auto flush = [&] {
    if (count >= 2) {
      out_ += fmt::format(
          "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
          "stroke-linejoin=\"round\" {}>",
          piece, stroke, num(width), extra);
      append_title(out_, title);
      out_ += "</polyline>";
    }
    piece.clear();
    count = 0;
  };
  for (const auto& [x, y] : points) {
    if (!finite_all({x, y})) {
      flush();
      continue;
    }
    if (count) piece += ' ';
    piece += fmt::format("{},{}", num(x), num(y));
    ++count;
  }
  flush();
}

void Svg::band(const std::vector<double>& xs, const std::vector<double>& lo,
               const std::vector<double>& hi, std::string_view fill, double opacity,
               std::string_view title) {
  std::size_t start = 0;
  const std::size_t n = std::min({xs.size(), lo.size(), hi.size()});
  auto emit = [&](std::size_t a, std::size_t b) {  // [a, b)
    if (b - a < 2) return;
    std::string pts;
    for (std::size_t i = a; i < b; ++i) pts += fmt::format("{},{} ", num(xs[i]), num(hi[i]));
    for (std::size_t i = b; i-- > a;) pts += fmt::format("{},{} ", num(xs[i]), num(lo[i]));
    pts.pop_back();
    out_ += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\">",
                        pts, fill, num(opacity));
    append_title(out_, title);
    out_ += "</polygon>";
  };
  for (std::size_t i = 0; i < n; ++i)
    if (!finite_all({xs[i], lo[i], hi[i]})) {
      emit(start, i);
      start = i + 1;
    }
  emit(start, n);
}

std::string Svg::finish() { return std::move(out_) + "</svg>"; }

double Scale::operator()(double v) const {
  if (log) v = v > 0.0 ? std::log10(v) : NAN;
  return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
}

Scale linear_scale(double lo, double hi, double r0, double r1, bool pad) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0.0, hi = 1.0;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(lo))) {
    const double w = std::max(std::abs(lo) * 0.05, 1e-3);
    lo -= w, hi += w;
  } else if (pad) {
    const double w = (hi - lo) * 0.05;
    lo -= w, hi += w;
  }
  return {lo, hi, r0, r1, false};
}

Scale log_scale(double lo, double hi, double r0, double r1) {
  if (!(lo > 0.0) || !std::isfinite(lo)) lo = 1e-3;
  if (!(hi > 0.0) || !std::isfinite(hi)) hi = 1.0;
  if (lo > hi) std::swap(lo, hi);
  double a = std::floor(std::log10(lo)), b = std::ceil(std::log10(hi));
  if (b - a < 1.0) b = a + 1.0;
  return {a, b, r0, r1, true};
}

std::vector<double> ticks_of(const Scale& s, int target) {
  std::vector<double> t;
  if (s.log) {
    const int step = std::max(1, static_cast<int>(std::ceil((s.d1 - s.d0) / target)));
    for (double e = s.d0; e <= s.d1 + 1e-9; e += step) t.push_back(std::pow(10.0, e));
    return t;
  }
  const double span = s.d1 - s.d0;
  const double raw = span / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(s.d0 / step) * step; v <= s.d1 + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string tick_text(double v) {
  if (v != 0.0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-3)) return fmt::format("{:.0e}", v);
  return fmt::format("{:.6g}", v);
}

void draw_axes(Svg& svg, const Frame& f, const Scale& x, const Scale& y,
               const std::vector<double>& xt, const std::vector<double>& yt,
               std::string_view xlabel, std::string_view ylabel, const TickText& xtext,
               const TickText& ytext) {
  const double bottom = f.top + f.height, right = f.left + f.width;
  for (double v : yt) {
    const double py = y(v);
    svg.line(f.left, py, right, py, "#e6e6e6", 1);
    svg.text(f.left - 6, py + 4, ytext(v), "class=\"tick\" text-anchor=\"end\"");
  }
  for (double v : xt) {
    const double px = x(v);
    svg.line(px, f.top, px, bottom, "#f0f0f0", 1);
    svg.text(px, bottom + 15, xtext(v), "class=\"tick\" text-anchor=\"middle\"");
  }
  svg.line(f.left, bottom, right, bottom, "#888", 1);
  svg.line(f.left, f.top, f.left, bottom, "#888", 1);
  if (!xlabel.empty())
    svg.text(f.left + f.width / 2, bottom + 32, xlabel, "class=\"lab\" text-anchor=\"middle\"");
  if (!ylabel.empty()) svg.text(f.left, f.top - 8, ylabel, "class=\"lab\" text-anchor=\"start\"");
}

std::string mix_white(std::string_view hex, double t) {
  if (hex.size() != 7 || hex[0] != '#') return std::string(hex);
  t = std::clamp(std::isfinite(t) ? t : 1.0, 0.0, 1.0);
  std::string out = "#";
  for (int i = 0; i < 3; ++i) {
    const int c = std::stoi(std::string(hex.substr(1 + 2 * i, 2)), nullptr, 16);
    out += fmt::format("{:02x}", static_cast<int>(std::lround(255.0 - (255.0 - c) * t)));
  }
  return out;
}

std::string sequential_colour(double v) {
  // ColorBrewer "Blues", interpolated linearly between its stops.
  static constexpr int kStops[][3] = {
      {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  v = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0) * 4.0;
  const int i = std::min(3, static_cast<int>(v));
  const double t = v - i;
  int c[3];
  for (int k = 0; k < 3; ++k)
    c[k] = static_cast<int>(std::lround(kStops[i][k] + (kStops[i + 1][k] - kStops[i][k]) * t));
  return fmt::format("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
}

std::string text_colour_on(double v) { return std::isfinite(v) && v > 0.55 ? "#fff" : "#222"; }

std::string shorten(std::string_view s, std::size_t n) {
  std::size_t chars = 0, cut = s.size();
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == n - 1) cut = i;
  if (chars <= n) return std::string(s);
  return std::string(s.substr(0, cut)) + "…";
}

Figure figure_leaderboard(const StudyReport& r, const Condition& c) {
  Figure fig;
  fig.caption = fmt::format(
      "Left: mean {} per arm (dot) with its 95% Student t interval over seeds (ddof = 1). Right: "
      "mean paired difference to the baseline ({}) in percentage points, with its 95% t interval "
      "over the seeds both finished; an interval that excludes 0 points to a difference before "
      "any correction for multiple comparisons (see the Holm-adjusted p in the table).",
      c.score_label, c.baseline >= 0 ? r.baseline : std::string("none"));
  std::vector<const ArmResult*> rows;
  for (const ArmResult& a : c.arms)
    if (std::isfinite(a.mean)) rows.push_back(&a);
  if (rows.empty()) {
    fig.note = "No finished run with a score in this condition yet.";
    return fig;
  }
  const double label_w = 180, panel_w = 300, gap = 50, row_h = 26, top = 34, bottom = 44;
  const double h = top + row_h * static_cast<double>(rows.size()) + bottom;
  Svg svg(label_w + 2 * panel_w + gap + 20, h, "leaderboard: score and difference per arm");
  std::vector<double> a_vals, d_vals{0.0};
  for (const ArmResult* a : rows) {
    a_vals.push_back(a->mean);
    if (a->summary) a_vals.insert(a_vals.end(), {a->summary->t_ci.lo, a->summary->t_ci.hi});
    if (a->paired) d_vals.insert(d_vals.end(), {a->paired->t_ci.lo, a->paired->t_ci.hi});
  }
  const Frame fa{label_w, top, panel_w, row_h * static_cast<double>(rows.size())};
  const Frame fd{label_w + panel_w + gap, top, panel_w, fa.height};
  const Scale xa =
      linear_scale(100 * min_finite(a_vals), 100 * max_finite(a_vals), fa.left, fa.left + fa.width);
  const Scale xd =
      linear_scale(100 * min_finite(d_vals), 100 * max_finite(d_vals), fd.left, fd.left + fd.width);
  const Scale y{0, 1, 0, 1};
  draw_axes(svg, fa, xa, y, ticks_of(xa, 5), {}, "score (%)", "mean and 95% CI", tick_text,
            tick_text);
  draw_axes(svg, fd, xd, y, ticks_of(xd, 5), {}, "Δ vs baseline (percentage points)",
            "paired difference and 95% CI", tick_text, tick_text);
  svg.line(xd(0), fd.top, xd(0), fd.top + fd.height, "#555", 1, "stroke-dasharray=\"4 3\"");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ArmResult& a = *rows[i];
    const std::string col = arm_colour(a.colour);
    const double cy = top + row_h * (static_cast<double>(i) + 0.5);
    svg.text(label_w - 10, cy + 4, shorten(a.arm, 26), "class=\"lab\" text-anchor=\"end\"");
    if (a.summary)
      svg.line(xa(100 * a.summary->t_ci.lo), cy, xa(100 * a.summary->t_ci.hi), cy, col, 2.5);
    svg.circle(xa(100 * a.mean), cy, 5, col,
               fmt::format("{}: mean {}%{} (n = {})", a.arm, fmt_pct(a.mean),
                           a.summary ? fmt::format(", 95% CI [{}, {}]", fmt_pct(a.summary->t_ci.lo),
                                                   fmt_pct(a.summary->t_ci.hi))
                                     : std::string(),
                           a.scores.size()));
    if (a.is_baseline) {
      svg.text(xd(0) + 6, cy + 4, "baseline", "class=\"tick\"");
    } else if (a.paired) {
      const Paired& p = *a.paired;
      svg.line(xd(100 * p.t_ci.lo), cy, xd(100 * p.t_ci.hi), cy, col, 2.5);
      svg.rect(xd(100 * p.mean_diff) - 5, cy - 5, 10, 10, col, "",
               fmt::format("{} − {}: {} pp, 95% CI [{}, {}], {} pairs, p (t) = {}", a.arm,
                           r.baseline, fmt_pp(p.mean_diff), fmt_pp(p.t_ci.lo), fmt_pp(p.t_ci.hi),
                           p.n, fmt_p(p.p_t)));
    } else {
      svg.text(fd.left + 6, cy + 4, "no paired seeds", "class=\"tick\"");
    }
  }
  fig.svg = svg.finish();
  return fig;
}

Figure figure_strip(const StudyReport& r, const Condition& c) {
  Figure fig;
  fig.caption = fmt::format(
      "Each dot is one seed's {}; grey lines join the same seed across arms (the pairing the tests "
      "use). Beside each arm: the mean (horizontal bar) and its 95% Student t interval (ddof = 1).",
      c.score_label);
  std::vector<const ArmResult*> cols;
  std::vector<double> vals;
  for (const ArmResult& a : c.arms)
    if (!a.scores.empty()) {
      cols.push_back(&a);
      vals.insert(vals.end(), a.scores.begin(), a.scores.end());
      if (a.summary) vals.insert(vals.end(), {a.summary->t_ci.lo, a.summary->t_ci.hi});
    }
  if (cols.empty()) {
    fig.note = "No finished run with a score in this condition yet.";
    return fig;
  }
  const double col_w = 120, left = 64, top = 28, plot_h = 300;
  const Frame f{left, top, col_w * static_cast<double>(cols.size()), plot_h};
  Svg svg(left + f.width + 20, top + plot_h + 56, "per-seed scores per arm");
  const Scale ys = linear_scale(100 * min_finite(vals), 100 * max_finite(vals), top + plot_h, top);
  const Scale xs{0, 1, 0, 1};
  draw_axes(svg, f, xs, ys, {}, ticks_of(ys, 6), "", "score (%)", tick_text, tick_text);
  const double n_seeds = static_cast<double>(r.seeds.size());
  const double spread = std::min(6.0, 48.0 / std::max(1.0, n_seeds));
  auto seed_x = [&](std::size_t col, std::int64_t seed) {
    const auto idx = std::find(r.seeds.begin(), r.seeds.end(), seed) - r.seeds.begin();
    return left + col_w * (static_cast<double>(col) + 0.4) +
           (static_cast<double>(idx) - (n_seeds - 1) / 2) * spread;
  };
  for (std::int64_t seed : r.seeds) {
    std::vector<std::pair<double, double>> pts;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const auto& s = cols[k]->seeds;
      const auto it = std::find(s.begin(), s.end(), seed);
      pts.emplace_back(it == s.end() ? NAN : seed_x(k, seed),
                       it == s.end() ? NAN : ys(100 * cols[k]->scores[it - s.begin()]));
    }
    svg.polyline(pts, "#9a9a9a", 1, "stroke-opacity=\"0.55\"", fmt::format("seed {}", seed));
  }
  for (std::size_t k = 0; k < cols.size(); ++k) {
    const ArmResult& a = *cols[k];
    const std::string col = arm_colour(a.colour);
    for (std::size_t i = 0; i < a.seeds.size(); ++i)
      svg.circle(seed_x(k, a.seeds[i]), ys(100 * a.scores[i]), 4, col,
                 fmt::format("{}, seed {}: {}%", a.arm, a.seeds[i], fmt_pct(a.scores[i])),
                 "fill-opacity=\"0.85\" stroke=\"#fff\" stroke-width=\"0.8\"");
    const double mx = left + col_w * (static_cast<double>(k) + 0.4) + spread * n_seeds / 2 + 16;
    if (a.summary) {
      svg.line(mx, ys(100 * a.summary->t_ci.lo), mx, ys(100 * a.summary->t_ci.hi), col, 2);
      for (double v : {a.summary->t_ci.lo, a.summary->t_ci.hi})
        svg.line(mx - 4, ys(100 * v), mx + 4, ys(100 * v), col, 2);
    }
    svg.line(mx - 9, ys(100 * a.mean), mx + 9, ys(100 * a.mean), col, 3.5);
    const double cx = left + col_w * (static_cast<double>(k) + 0.5);
    svg.text(cx, top + plot_h + 18, shorten(a.arm, 17), "class=\"lab\" text-anchor=\"middle\"");
    svg.text(cx, top + plot_h + 34, fmt::format("n = {}", a.scores.size()),
             "class=\"tick\" text-anchor=\"middle\"");
  }
  fig.svg = svg.finish();
  return fig;
}

Figure figure_cd(const StudyReport& r, const Condition& c) {
  (void)r;
  Figure fig;
  if (!c.friedman || !std::isfinite(c.cd)) {
    fig.note = "No critical-difference diagram: " +
               (c.friedman_note.empty() ? std::string("no Friedman test") : c.friedman_note) + ".";
    return fig;
  }
  const Friedman& fr = *c.friedman;
  const std::size_t k = fr.k;
  fig.caption = fmt::format(
      "Critical-difference diagram (Demšar 2006): each arm at its average rank over the {} seeds "
      "finished by every arm (rank 1 = best score in a seed, ties share ranks). Thick bars join "
      "arms whose average ranks differ by no more than the Nemenyi critical difference CD = {:.3f} "
      "(α = 0.05): those are not significantly different. Friedman χ²_F = {:.3f}, p = {}.",
      fr.n, c.cd, fr.chi2, fmt_p(fr.p_chi2));
  std::vector<std::size_t> order(k);
  for (std::size_t j = 0; j < k; ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return fr.avg_ranks[a] < fr.avg_ranks[b]; });
  std::set<std::pair<std::size_t, std::size_t>> differ;
  for (const RankDifference& d : c.different) differ.insert({d.a, d.b});
  auto different = [&](std::size_t a, std::size_t b) {
    return differ.count({std::min(a, b), std::max(a, b)}) > 0;
  };
  // Maximal runs of rank-adjacent arms that are pairwise not different (their ends suffice:
  // Nemenyi compares rank gaps, and inner gaps are smaller).
  std::vector<std::pair<std::size_t, std::size_t>> groups;
  std::size_t reach = 0;
  for (std::size_t i = 0; i < k; ++i) {
    std::size_t j = i;
    while (j + 1 < k && !different(order[i], order[j + 1])) ++j;
    if (j > i && (groups.empty() || j > reach)) groups.emplace_back(i, j);
    reach = std::max(reach, j);
  }
  const double left = 190, width = 420, axis_y = 60;
  const double rows_top = axis_y + 22 + 9 * static_cast<double>(groups.size());
  const std::size_t n_left = (k + 1) / 2;
  const double h = rows_top + 22 * static_cast<double>(std::max(n_left, k - n_left)) + 16;
  Svg svg(left * 2 + width, h, "critical-difference diagram");
  const Scale x{1.0, static_cast<double>(k), left, left + width};
  svg.line(left, axis_y, left + width, axis_y, "#333", 1.2);
  for (std::size_t t = 1; t <= k; ++t) {
    svg.line(x(static_cast<double>(t)), axis_y - 5, x(static_cast<double>(t)), axis_y, "#333", 1);
    svg.text(x(static_cast<double>(t)), axis_y - 9, fmt::format("{}", t),
             "class=\"tick\" text-anchor=\"middle\"");
  }
  svg.text(left + width / 2, axis_y - 26, "average rank (1 = best)",
           "class=\"lab\" text-anchor=\"middle\"");
  // The CD as a scale bar, top left, as in Demšar's figures.
  svg.line(x(1.0), 14, x(1.0 + c.cd), 14, "#333", 2);
  for (double e : {1.0, 1.0 + c.cd}) svg.line(x(e), 9, x(e), 19, "#333", 1);
  svg.text(x(1.0 + c.cd) + 6, 18, fmt::format("CD = {:.2f}", c.cd), "class=\"tick\"");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double gy = axis_y + 14 + 9 * static_cast<double>(g);
    svg.line(x(fr.avg_ranks[order[groups[g].first]]) - 3, gy,
             x(fr.avg_ranks[order[groups[g].second]]) + 3, gy, "#222", 4,
             "stroke-linecap=\"round\"");
  }
  for (std::size_t i = 0; i < k; ++i) {
    const ArmResult& a = c.arms[c.friedman_arms[order[i]]];
    const double rank = fr.avg_ranks[order[i]];
    const bool on_left = i < n_left;
    const double row = on_left ? static_cast<double>(i) : static_cast<double>(k - 1 - i);
    const double y = rows_top + 22 * row;
    const std::string col = arm_colour(a.colour);
    const double end = on_left ? left - 20 : left + width + 20;
    svg.polyline({{x(rank), axis_y}, {x(rank), y}, {end, y}}, col, 1.5);
    svg.circle(x(rank), axis_y, 3.5, col, fmt::format("{}: average rank {:.3f}", a.arm, rank));
    svg.text(on_left ? end - 6 : end + 6, y + 4,
             fmt::format("{} ({:.2f})", shorten(a.arm, 22), rank),
             on_left ? "class=\"lab\" text-anchor=\"end\"" : "class=\"lab\"");
  }
  fig.svg = svg.finish();
  return fig;
}

}  // namespace tg::study::report_detail
