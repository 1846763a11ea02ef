// The study report as text: number formatting, the leaderboard cells shared by every renderer,
// the Markdown summary, the CSV files and the terminal table.
#include <algorithm>
#include <cmath>

#include "tapegrad/study/report_detail.hpp"

namespace tg::study::report_detail {

namespace {
namespace text_impl {

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + '"';
}

// Shortest text that reads back as the same double; NaN (a NULL in the store) is an empty field.
std::string csv_num(double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); }
std::string csv_int(const std::optional<std::int64_t>& v) {
  return v ? fmt::format("{}", *v) : std::string();
}

void csv_row(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  out += '\n';
}

// Backslash-escapes what Markdown would read as markup or as a table cell boundary.
std::string md_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\n' || ch == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|#").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

void md_table(std::string& out, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows) {
  auto line = [&](const std::vector<std::string>& cells) {
    out += '|';
    for (const auto& c : cells) out += ' ' + md_escape(c) + " |";
    out += '\n';
  };
  line(header);
  out += '|';
  for (std::size_t i = 0; i < header.size(); ++i) out += " --- |";
  out += '\n';
  for (const auto& r : rows) line(r);
  out += '\n';
}

// Display width in a terminal: UTF-8 code points (every character the report prints is one
// column wide), not bytes.
std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

std::string fmt_interval(const Interval& i, bool pct) {
  return pct ? fmt::format("[{}, {}]", fmt_pct(i.lo), fmt_pct(i.hi))
             : fmt::format("[{}, {}]", fmt_pp(i.lo), fmt_pp(i.hi));
}

}  // namespace text_impl
}  // namespace

using namespace text_impl;

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string arm_colour(std::size_t index) {
  // Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies; the yellow,
  // weakest on white, comes last.
  static constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                             "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return kPalette[index % std::size(kPalette)];
}

std::string fmt_pct(double f) { return std::isfinite(f) ? fmt::format("{:.2f}", 100.0 * f) : "–"; }
std::string fmt_pp(double f) { return std::isfinite(f) ? fmt::format("{:+.2f}", 100.0 * f) : "–"; }
std::string fmt_p(double p) {
  if (std::isnan(p)) return "–";
  if (p == 0.0 || p >= 1e-3) return fmt::format("{:.4f}", p);
  return fmt::format("{:.1e}", p);
}
std::string fmt_num(double v, int digits) {
  if (std::isnan(v)) return "–";
  return fmt::format("{:.{}g}", v, digits);
}
std::string fmt_seconds(double s) {
  if (!std::isfinite(s)) return "–";
  if (s < 120.0) return fmt::format("{:.1f} s", s);
  const auto t = static_cast<std::int64_t>(std::llround(s));
  if (t < 3600) return fmt::format("{} min {} s", t / 60, t % 60);
  return fmt::format("{} h {:02} min", t / 3600, (t % 3600) / 60);
}
std::string fmt_count_range(const std::optional<std::int64_t>& lo,
                            const std::optional<std::int64_t>& hi) {
  if (!lo) return "–";
  return *lo == *hi ? fmt::format("{}", *lo) : fmt::format("{}–{}", *lo, *hi);
}

std::string unfinished_line(const StudyReport& r) {
  const Status& s = r.status;
  if (s.pending + s.running == 0) return {};
  return fmt::format(
      "report of an unfinished study: {} of {} runs done ({} running, {} pending, "
      "{} failed)",
      s.done, s.total(), s.running, s.pending, s.failed);
}

double friedman_rank(const Condition& c, std::size_t arm) {
  if (!c.friedman) return kNaN;
  for (std::size_t j = 0; j < c.friedman_arms.size(); ++j)
    if (c.friedman_arms[j] == arm) return c.friedman->avg_ranks[j];
  return kNaN;
}

std::vector<std::string> leaderboard_header(bool compact) {
  if (compact)
    return {"arm",   "n",          "mean ± std", "95% CI (t)", "Δ vs base", "95% CI of Δ", "p (t)",
            "p (W)", "Holm p (t)", "Holm p (W)", "d_z",        "P(better)", "sig"};
  return {"arm",
          "n seeds",
          "parameters",
          "act. params",
          "mean ± std",
          "95% CI (t)",
          "95% CI (bootstrap)",
          "@ last epoch",
          "Δ vs baseline",
          "95% CI of Δ (t)",
          "pairs",
          "p (t)",
          "p (Wilcoxon)",
          "Holm p (t)",
          "Holm p (W)",
          "Cohen's d_z",
          "P(better)",
          "rank",
          "sig"};
}

std::vector<std::string> leaderboard_row(const StudyReport& r, const Condition& c,
                                         const ArmResult& a, bool compact) {
  (void)r;
  std::string n = fmt::format("{}", a.scores.size());
  if (a.n_failed || a.n_unfinished) {
    n += " (";
    if (a.n_failed) n += fmt::format("{} failed", a.n_failed);
    if (a.n_failed && a.n_unfinished) n += ", ";
    if (a.n_unfinished) n += fmt::format("{} unfinished", a.n_unfinished);
    n += ")";
  }
  const std::string mean_std =
      a.summary ? fmt::format("{} ± {}", fmt_pct(a.summary->mean), fmt_pct(a.summary->std))
                : fmt_pct(a.mean);
  const std::string t_ci = a.summary ? fmt_interval(a.summary->t_ci, true) : "–";
  const std::string boot_ci = a.summary ? fmt_interval(a.summary->boot_ci, true) : "–";
  const Paired* p = a.paired ? &*a.paired : nullptr;
  const std::string diff = a.is_baseline ? "baseline" : p ? fmt_pp(p->mean_diff) : "–";
  const std::string diff_ci = p ? fmt_interval(p->t_ci, false) : "–";
  const std::string p_w = p ? fmt_p(p->p_wilcoxon) + (p->wilcoxon_exact ? "" : " (z)") : "–";
  const std::string holm_t = p ? fmt_p(a.holm_t) : "–";
  const std::string holm_w = p ? fmt_p(a.holm_w) : "–";
  const std::string dz = p ? fmt_num(p->cohen_dz, 3) : "–";
  const std::string prob = p ? fmt::format("{:.2f}", p->prob_improvement) : "–";
  const std::string sig = a.is_baseline ? "baseline" : a.marker.empty() ? "–" : a.marker;
  if (compact)
    return {a.arm,
            n,
            mean_std,
            t_ci,
            diff,
            diff_ci,
            p ? fmt_p(p->p_t) : "–",
            p_w,
            holm_t,
            holm_w,
            dz,
            prob,
            a.is_baseline ? "" : sig};
  const std::size_t index = static_cast<std::size_t>(&a - c.arms.data());
  return {
      a.arm,
      n,
      fmt_count_range(a.params_min, a.params_max),
      fmt_count_range(a.act_params_min, a.act_params_max),
      mean_std,
      t_ci,
      boot_ci,
      a.last_summary
          ? fmt::format("{} ± {}", fmt_pct(a.last_summary->mean), fmt_pct(a.last_summary->std))
          : fmt_pct(a.last_mean),
      diff,
      diff_ci,
      a.is_baseline ? "–" : fmt::format("{}", a.n_paired),
      p ? fmt_p(p->p_t) : "–",
      p_w,
      holm_t,
      holm_w,
      dz,
      prob,
      std::isnan(friedman_rank(c, index)) ? "–" : fmt::format("{:.2f}", friedman_rank(c, index)),
      sig};
}

std::vector<std::string> condition_notes(const StudyReport& r, const Condition& c) {
  std::vector<std::string> notes;
  notes.push_back(fmt::format(
      "Score: {}, in %. std has ddof = 1; 95% intervals: Student t, and percentile bootstrap of "
      "the "
      "mean ({} resamples, seed {}). \"@ last epoch\": test accuracy after the last epoch.",
      c.score_label, kBootResamples, kBootSeed));
  if (c.baseline >= 0)
    notes.push_back(fmt::format(
        "Δ: paired difference arm − baseline ({}) in percentage points, on the seeds both "
        "finished (pairs); p (t): paired t-test; p (W): Wilcoxon signed-rank test (exact; \"(z)\": "
        "normal approximation, used with ties or zero differences); Holm: adjusted over the arms "
        "compared with the baseline; d_z: mean(Δ)/std(Δ); "
        "P(better): share of seeds where the arm beats the baseline. sig: * one test significant "
        "after Holm at α = {}, ** both.",
        r.baseline, r.alpha));
  if (c.friedman) {
    const Friedman& f = *c.friedman;
    std::string ranks;
    for (std::size_t j = 0; j < c.friedman_arms.size(); ++j)
      ranks +=
          fmt::format("{}{} {:.2f}", j ? ", " : "", c.arms[c.friedman_arms[j]].arm, f.avg_ranks[j]);
    notes.push_back(fmt::format(
        "Friedman test over {} arms and the {} seeds finished by every arm: χ²_F = {:.3f}, p = {}; "
        "Iman–Davenport F = {:.3f}, p = {}. Average ranks (1 = best): {}.{}",
        f.k, f.n, f.chi2, fmt_p(f.p_chi2), f.f, fmt_p(f.p_f), ranks,
        std::isfinite(c.cd) ? fmt::format(" Nemenyi critical difference (α = 0.05): {:.3f}.", c.cd)
                            : std::string()));
  }
  if (!c.friedman_note.empty()) notes.push_back("Note: " + c.friedman_note + ".");
  return notes;
}

std::string render_markdown(const StudyReport& r) {
  std::string out;
  const auto name = r.info.find("name");
  out += fmt::format("# Activation study{}\n\n",
                     name != r.info.end() ? ": " + md_escape(name->second) : std::string());
  if (const std::string u = unfinished_line(r); !u.empty()) out += "**" + u + "**\n\n";
  out += "## Setup\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : r.info) rows.push_back({k, v});
  rows.push_back({"seeds in the runs", fmt::format("{}", r.seeds.size())});
  rows.push_back({"runs", fmt::format("{} done, {} failed, {} running, {} pending", r.status.done,
                                      r.status.failed, r.status.running, r.status.pending)});
  rows.push_back({"total run time (sum of runs.wall_seconds)", fmt_seconds(r.wall_sum)});
  md_table(out, {"key", "value"}, rows);
  for (const std::string& w : r.warnings) out += "> **Warning:** " + md_escape(w) + "\n\n";
  if (r.conditions.empty()) out += "No runs in the store yet.\n\n";
  for (const Condition& c : r.conditions) {
    out += "## " + md_escape(c.title) + "\n\n";
    rows.clear();
    for (const ArmResult& a : c.arms) rows.push_back(leaderboard_row(r, c, a, false));
    md_table(out, leaderboard_header(false), rows);
    for (const std::string& n : condition_notes(r, c)) out += md_escape(n) + "\n\n";
    for (const std::string& w : c.warnings) out += "> **Warning:** " + md_escape(w) + "\n\n";
  }
  out += "## Failed runs\n\n";
  rows.clear();
  for (const RunData& d : r.runs)
    if (d.row.status == RunStatus::failed)
      rows.push_back({d.row.arm, d.row.model, d.row.optimizer, fmt::format("{}", d.row.lr),
                      fmt::format("{}", d.row.seed), d.row.reason});
  if (rows.empty())
    out += "None.\n";
  else
    md_table(out, {"arm", "model", "optimizer", "lr", "seed", "reason"}, rows);
  return out;
}

std::string render_table(const StudyReport& r) {
  std::string out;
  if (const std::string u = unfinished_line(r); !u.empty()) out += u + "\n\n";
  for (const std::string& w : r.warnings) out += "warning: " + w + "\n";
  if (r.conditions.empty()) out += "no runs in the store\n";
  for (const Condition& c : r.conditions) {
    out += fmt::format("{}\nscore: {} (%), baseline: {}\n\n", c.title, c.score_label,
                       c.baseline >= 0 ? r.baseline : std::string("none"));
    std::vector<std::vector<std::string>> rows{leaderboard_header(true)};
    for (const ArmResult& a : c.arms) {
      rows.push_back(leaderboard_row(r, c, a, true));
      if (a.is_baseline) rows.back()[0] += " [baseline]";
    }
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows)
      for (std::size_t i = 0; i < row.size(); ++i)
        width[i] = std::max(width[i], display_width(row[i]));
    for (std::size_t k = 0; k < rows.size(); ++k) {
      std::string line;
      for (std::size_t i = 0; i < rows[k].size(); ++i) {
        // Text left-aligned, numbers right-aligned, as a reader scans them.
        const std::size_t pad = width[i] - display_width(rows[k][i]);
        const bool left = i == 0 || i + 1 == rows[k].size();
        line += left ? rows[k][i] + std::string(pad, ' ') : std::string(pad, ' ') + rows[k][i];
        if (i + 1 < rows[k].size()) line += "  ";
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + '\n';
      if (k == 0) {
        std::size_t total = 0;
        for (std::size_t w : width) total += w + 2;
        out += std::string(total - 2, '-') + '\n';
      }
    }
    out += '\n';
    for (const std::string& n : condition_notes(r, c)) out += n + "\n";
    for (const std::string& w : c.warnings) out += "warning: " + w + "\n";
    out += '\n';
  }
  return out;
}

std::string render_runs_csv(const StudyReport& r) {
  std::string out;
  csv_row(out, {"key", "arm", "model", "optimizer", "lr", "seed", "status", "reason", "worker",
                "best_val_epoch", "score", "score_kind", "test_at_best_val", "test_at_last",
                "wall_seconds", "parameters", "activation_parameters", "started", "finished"});
  for (const RunData& d : r.runs) {
    const RunRow& w = d.row;
    const bool done = w.status == RunStatus::done;
    csv_row(out, {w.key, w.arm, w.model, w.optimizer, csv_num(w.lr), fmt::format("{}", w.seed),
                  std::string(to_string(w.status)), w.reason, csv_int(w.worker),
                  csv_int(w.best_val_epoch), done ? csv_num(d.score) : "",
                  done ? (d.score_from_last ? "test_at_last" : "test_at_best_val") : "",
                  csv_num(w.test_at_best_val), csv_num(w.test_at_last), csv_num(w.wall_seconds),
                  csv_int(w.parameters), csv_int(w.activation_parameters), csv_num(w.started),
                  csv_num(w.finished)});
  }
  return out;
}

std::string render_epochs_csv(const StudyReport& r) {
  std::string out;
  csv_row(out,
          {"key", "arm", "model", "optimizer", "lr", "seed", "epoch", "train_loss",
           "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy", "seconds"});
  for (const RunData& d : r.runs)
    for (const EpochRow& e : d.epochs)
      csv_row(out,
              {d.row.key, d.row.arm, d.row.model, d.row.optimizer, csv_num(d.row.lr),
               fmt::format("{}", d.row.seed), fmt::format("{}", e.epoch), csv_num(e.train_loss),
               csv_num(e.train_accuracy), csv_num(e.val_loss), csv_num(e.val_accuracy),
               csv_num(e.test_loss), csv_num(e.test_accuracy), csv_num(e.seconds)});
  return out;
}

std::string render_diagnostics_csv(const StudyReport& r) {
  std::string out;
  csv_row(out, {"key", "arm", "seed", "epoch", "layer", "metric", "value"});
  for (const RunData& d : r.runs)
    for (const DiagnosticRow& g : d.diagnostics)
      csv_row(out, {d.row.key, d.row.arm, fmt::format("{}", d.row.seed), fmt::format("{}", g.epoch),
                    g.layer, g.metric, csv_num(g.value)});
  return out;
}

std::string render_leaderboard_csv(const StudyReport& r) {
  std::string out;
  csv_row(out, {"model",
                "optimizer",
                "lr",
                "arm",
                "is_baseline",
                "score",
                "n",
                "mean",
                "std",
                "t_lo",
                "t_hi",
                "boot_lo",
                "boot_hi",
                "last_mean",
                "n_paired",
                "mean_diff",
                "std_diff",
                "diff_t_lo",
                "diff_t_hi",
                "diff_boot_lo",
                "diff_boot_hi",
                "t",
                "p_t",
                "w",
                "p_wilcoxon",
                "wilcoxon_exact",
                "holm_p_t",
                "holm_p_wilcoxon",
                "cohen_dz",
                "prob_improvement",
                "friedman_rank",
                "marker"});
  for (const Condition& c : r.conditions)
    for (std::size_t i = 0; i < c.arms.size(); ++i) {
      const ArmResult& a = c.arms[i];
      const Summary* s = a.summary ? &*a.summary : nullptr;
      const Paired* p = a.paired ? &*a.paired : nullptr;
      auto sv = [&](double Summary::*f) { return s ? csv_num(s->*f) : ""; };
      auto pv = [&](double Paired::*f) { return p ? csv_num(p->*f) : ""; };
      csv_row(out, {c.model,
                    c.optimizer,
                    csv_num(c.lr),
                    a.arm,
                    a.is_baseline ? "1" : "0",
                    c.score_label,
                    fmt::format("{}", a.scores.size()),
                    csv_num(a.mean),
                    sv(&Summary::std),
                    s ? csv_num(s->t_ci.lo) : "",
                    s ? csv_num(s->t_ci.hi) : "",
                    s ? csv_num(s->boot_ci.lo) : "",
                    s ? csv_num(s->boot_ci.hi) : "",
                    csv_num(a.last_mean),
                    fmt::format("{}", a.n_paired),
                    pv(&Paired::mean_diff),
                    pv(&Paired::std_diff),
                    p ? csv_num(p->t_ci.lo) : "",
                    p ? csv_num(p->t_ci.hi) : "",
                    p ? csv_num(p->boot_ci.lo) : "",
                    p ? csv_num(p->boot_ci.hi) : "",
                    pv(&Paired::t),
                    pv(&Paired::p_t),
                    pv(&Paired::w),
                    pv(&Paired::p_wilcoxon),
                    p ? (p->wilcoxon_exact ? "1" : "0") : "",
                    csv_num(a.holm_t),
                    csv_num(a.holm_w),
                    pv(&Paired::cohen_dz),
                    pv(&Paired::prob_improvement),
                    csv_num(friedman_rank(c, i)),
                    a.marker});
    }
  return out;
}

}  // namespace tg::study::report_detail
