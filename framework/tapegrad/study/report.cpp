// The study report: loading the store and computing every statistic once (analyze), then writing
// the files. The renderers live in report_text.cpp, report_svg.cpp and report_html.cpp.
#include "tapegrad/study/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "tapegrad/core/error.hpp"
#include "tapegrad/io/atomic_file.hpp"
#include "tapegrad/study/report_detail.hpp"

namespace tg::study {

namespace report_detail {

namespace {
namespace analyze_impl {

// Diagnostic layers are module paths ("4", "10", "features.1", "layer1.0.act"); comparing digit
// runs as numbers puts them in network order, where plain string order would put "10" before "4".
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      // Compare by value without overflow: strip leading zeros, then length, then digits.
      std::size_t is = i, js = j;
      while (is + 1 < ie && a[is] == '0') ++is;
      while (js + 1 < je && b[js] == '0') ++js;
      if (ie - is != je - js) return ie - is < je - js;
      const int c = a.compare(is, ie - is, b, js, je - js);
      if (c != 0) return c < 0;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// A number from study_info, or nullopt when missing or not entirely a finite number.
std::optional<double> info_number(const std::map<std::string, std::string>& info,
                                  const std::string& key) {
  const auto it = info.find(key);
  if (it == info.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  while (end && *end && std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (!end || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The monitor settings the runner used (study_info monitor.*), so that the x grid of "shape" and
// the bin edges of "preact_hist" match the data; MonitorOptions defaults for what is missing.
MonitorOptions monitor_options(const std::map<std::string, std::string>& info,
                               std::vector<std::string>& warnings) {
  MonitorOptions o;
  const MonitorOptions d;
  auto num = [&](const char* key, double& field) {
    if (auto v = info_number(info, key)) field = *v;
  };
  auto count = [&](const char* key, std::int64_t& field) {
    if (auto v = info_number(info, key)) field = static_cast<std::int64_t>(std::llround(*v));
  };
  num("monitor.saturation_threshold", o.saturation_threshold);
  num("monitor.hist_lo", o.hist_lo);
  num("monitor.hist_hi", o.hist_hi);
  count("monitor.hist_bins", o.hist_bins);
  num("monitor.shape_lo", o.shape_lo);
  num("monitor.shape_hi", o.shape_hi);
  count("monitor.shape_points", o.shape_points);
  if (!(o.hist_lo < o.hist_hi) || o.hist_bins < 1 || o.hist_bins > 100'000) {
    warnings.push_back("study_info monitor.hist_* is not a valid histogram; using the defaults");
    o.hist_lo = d.hist_lo, o.hist_hi = d.hist_hi, o.hist_bins = d.hist_bins;
  }
  if (!(o.shape_lo < o.shape_hi) || o.shape_points < 2 || o.shape_points > 100'000) {
    warnings.push_back("study_info monitor.shape_* is not a valid grid; using the defaults");
    o.shape_lo = d.shape_lo, o.shape_hi = d.shape_hi, o.shape_points = d.shape_points;
  }
  return o;
}

std::string condition_title(const RunRow& row) {
  return fmt::format("{} · {} · lr={}", row.model, row.optimizer, row.lr);
}

void summarize_arm(ArmResult& a, const std::map<std::int64_t, RunData*>& by_seed) {
  for (const auto& [seed, run] : by_seed) {
    a.runs.push_back(run);
    const RunStatus st = run->row.status;
    if (st == RunStatus::failed) ++a.n_failed;
    if (st == RunStatus::pending || st == RunStatus::running) ++a.n_unfinished;
    if (st != RunStatus::done || !std::isfinite(run->score)) continue;
    a.done.push_back(run);
    a.seeds.push_back(seed);
    a.scores.push_back(run->score);
    a.last_scores.push_back(run->row.test_at_last);
    auto widen = [](std::optional<std::int64_t>& lo, std::optional<std::int64_t>& hi,
                    const std::optional<std::int64_t>& v) {
      if (!v) return;
      lo = lo ? std::min(*lo, *v) : *v;
      hi = hi ? std::max(*hi, *v) : *v;
    };
    widen(a.params_min, a.params_max, run->row.parameters);
    widen(a.act_params_min, a.act_params_max, run->row.activation_parameters);
    for (const DiagnosticRow& d : run->diagnostics)
      if (std::isfinite(d.value)) a.diag[d.metric][d.layer][d.epoch].push_back(d.value);
  }
  auto mean_of = [](const std::vector<double>& v) {
    double s = 0.0;
    std::size_t n = 0;
    for (double x : v)
      if (std::isfinite(x)) s += x, ++n;
    return n ? s / static_cast<double>(n) : kNaN;
  };
  a.mean = mean_of(a.scores);
  a.last_mean = mean_of(a.last_scores);
  if (a.scores.size() >= 2) a.summary = summarize(a.scores, kBootSeed, kBootResamples);
  const bool last_finite = std::all_of(a.last_scores.begin(), a.last_scores.end(),
                                       [](double x) { return std::isfinite(x); });
  if (a.last_scores.size() >= 2 && last_finite)
    a.last_summary = summarize(a.last_scores, kBootSeed, kBootResamples);
  if (!a.done.empty()) a.representative = a.done.front();
}

// Paired comparisons with the baseline, Holm over them, markers and the warnings about power.
void compare_with_baseline(Condition& c, const StudyReport& r) {
  if (c.baseline < 0) {
    if (!r.baseline.empty())
      c.warnings.push_back(fmt::format(
          "the baseline {} has no run in this condition: no paired comparison", r.baseline));
    return;
  }
  const ArmResult& base = c.arms[static_cast<std::size_t>(c.baseline)];
  std::vector<std::size_t> tested;
  std::vector<double> p_t, p_w;
  std::set<std::size_t> underpowered_n, too_few;
  for (std::size_t i = 0; i < c.arms.size(); ++i) {
    ArmResult& a = c.arms[i];
    if (a.is_baseline) continue;
    std::vector<double> x, y;
    for (std::size_t s = 0; s < a.seeds.size(); ++s) {
      const auto it = std::find(base.seeds.begin(), base.seeds.end(), a.seeds[s]);
      if (it == base.seeds.end()) continue;
      x.push_back(a.scores[s]);
      y.push_back(base.scores[static_cast<std::size_t>(it - base.seeds.begin())]);
    }
    a.n_paired = x.size();
    if (x.size() < 2) {
      too_few.insert(x.size());
      continue;
    }
    a.paired = compare_paired(x, y, kBootSeed, kBootResamples, r.alpha);
    if (!a.paired->can_reach_significance) underpowered_n.insert(a.paired->n_nonzero);
    tested.push_back(i);
    p_t.push_back(a.paired->p_t);
    p_w.push_back(a.paired->p_wilcoxon);
  }
  const std::vector<double> adj_t = holm(p_t), adj_w = holm(p_w);
  for (std::size_t k = 0; k < tested.size(); ++k) {
    ArmResult& a = c.arms[tested[k]];
    a.holm_t = adj_t[k];
    a.holm_w = adj_w[k];
    const int stars = (a.holm_t < r.alpha ? 1 : 0) + (a.holm_w < r.alpha ? 1 : 0);
    a.marker = stars == 0 ? "n.s."
                          : fmt::format("{} {}", a.paired->mean_diff > 0 ? "better" : "worse",
                                        std::string(static_cast<std::size_t>(stars), '*'));
  }
  for (std::size_t n : too_few)
    c.warnings.push_back(fmt::format(
        "{} paired seed{} with the baseline: no test is possible (the paired t-test needs n ≥ 2)",
        n, n == 1 ? "" : "s"));
  for (std::size_t n : underpowered_n)
    c.warnings.push_back(fmt::format(
        "with n = {} paired seeds (nonzero differences) the exact Wilcoxon test cannot reach "
        "significance: its smallest possible p is 2^(1-n) = {} ≥ α = {}; add seeds",
        n, fmt_p(std::ldexp(1.0, 1 - static_cast<int>(n))), r.alpha));
  const std::size_t m = tested.size();
  if (m > 1) {
    std::size_t n_max = 0;
    for (std::size_t i : tested) n_max = std::max(n_max, c.arms[i].paired->n_nonzero);
    const double min_holm = static_cast<double>(m) * std::ldexp(1.0, 1 - static_cast<int>(n_max));
    if (n_max > 0 && min_holm >= r.alpha && !underpowered_n.count(n_max))
      c.warnings.push_back(
          fmt::format("Holm over {} comparisons: the smallest adjusted Wilcoxon p with n = {} "
                      "seeds is {}·2^(1-n) "
                      "= {} ≥ α = {}: no Wilcoxon result can be significant; add seeds",
                      m, n_max, m, fmt_p(std::min(1.0, min_holm)), r.alpha));
  }
}

void rank_arms(Condition& c) {
  for (std::size_t i = 0; i < c.arms.size(); ++i)
    if (!c.arms[i].seeds.empty()) c.friedman_arms.push_back(i);
  if (c.friedman_arms.size() < 2) {
    c.friedman_note =
        "the Friedman test and the critical-difference diagram need at least 2 arms "
        "with finished runs";
    return;
  }
  std::set<std::int64_t> common(c.arms[c.friedman_arms[0]].seeds.begin(),
                                c.arms[c.friedman_arms[0]].seeds.end());
  for (std::size_t i : c.friedman_arms) {
    const auto& s = c.arms[i].seeds;
    std::set<std::int64_t> keep;
    for (std::int64_t seed : common)
      if (std::find(s.begin(), s.end(), seed) != s.end()) keep.insert(seed);
    common = std::move(keep);
  }
  c.complete_seeds.assign(common.begin(), common.end());
  if (c.complete_seeds.size() < 2) {
    c.friedman_note = fmt::format(
        "the Friedman test and the critical-difference diagram need at least 2 seeds finished by "
        "every arm; {} {}",
        c.complete_seeds.size(), c.complete_seeds.size() == 1 ? "is" : "are");
    return;
  }
  std::vector<std::vector<double>> scores;
  for (std::size_t i : c.friedman_arms) {
    const ArmResult& a = c.arms[i];
    std::vector<double> row;
    for (std::int64_t seed : c.complete_seeds) {
      const auto it = std::find(a.seeds.begin(), a.seeds.end(), seed);
      row.push_back(a.scores[static_cast<std::size_t>(it - a.seeds.begin())]);
    }
    scores.push_back(std::move(row));
  }
  c.friedman = friedman(scores);
  const std::size_t k = c.friedman_arms.size();
  if (k > 10) {
    c.friedman_note = fmt::format(
        "the Nemenyi critical difference is tabulated for 2 to 10 arms (Demšar 2006); this "
        "condition has {}",
        k);
    return;
  }
  c.cd = nemenyi_cd(k, c.complete_seeds.size());
  c.different = nemenyi_different_pairs(*c.friedman);
}

}  // namespace analyze_impl
}  // namespace

StudyReport analyze(Store& store, const ReportOptions& options) {
  using namespace analyze_impl;
  TG_CHECK(options.alpha > 0.0 && options.alpha < 1.0,
           "study report: alpha must be between 0 and 1, got {}", options.alpha);
  StudyReport r;
  r.alpha = options.alpha;
  r.info = store.study_info();
  r.status = store.status();
  r.monitor = monitor_options(r.info, r.warnings);
  for (RunRow& row : store.runs()) {
    RunData d;
    d.row = std::move(row);
    if (std::find(r.arms.begin(), r.arms.end(), d.row.arm) == r.arms.end())
      r.arms.push_back(d.row.arm);
    if (d.row.status == RunStatus::done) {
      d.epochs = store.epochs(d.row.id);
      d.diagnostics = store.diagnostics(d.row.id);
      const bool has_val = d.row.best_val_epoch && *d.row.best_val_epoch > 0;
      d.score_from_last = !has_val;
      d.score = has_val ? d.row.test_at_best_val : d.row.test_at_last;
      if (std::isfinite(d.row.wall_seconds)) r.wall_sum += d.row.wall_seconds;
    }
    r.runs.push_back(std::move(d));
  }
  std::set<std::int64_t> seeds;
  std::size_t unscored = 0;
  for (const RunData& d : r.runs) {
    seeds.insert(d.row.seed);
    if (d.row.status == RunStatus::done && !std::isfinite(d.score)) ++unscored;
  }
  if (unscored > 0)
    r.warnings.push_back(
        fmt::format("{} done run{} without a finite test accuracy {} left out of every statistic",
                    unscored, unscored == 1 ? "" : "s", unscored == 1 ? "is" : "are"));
  r.seeds.assign(seeds.begin(), seeds.end());

  r.baseline = options.baseline;
  if (r.baseline.empty()) {
    const auto it = r.info.find("baseline");
    if (it != r.info.end() && !it->second.empty()) {
      if (r.arms.empty() || std::find(r.arms.begin(), r.arms.end(), it->second) != r.arms.end())
        r.baseline = it->second;
      else
        r.warnings.push_back(fmt::format(
            "study_info baseline '{}' is not an arm of the study; comparing with the first arm",
            it->second));
    }
    if (r.baseline.empty() && !r.arms.empty()) r.baseline = r.arms.front();
  } else if (!r.arms.empty() &&
             std::find(r.arms.begin(), r.arms.end(), r.baseline) == r.arms.end()) {
    std::string known;
    for (const auto& a : r.arms) known += fmt::format("{}{}", known.empty() ? "" : ", ", a);
    fail("study report: the baseline '{}' is not an arm of the study (arms: {})", r.baseline,
         known);
  }

  // The runs of each condition and arm by seed; the representative run (lowest done seed) of
  // each arm is the only one whose series are loaded: they are the bulk of the database.
  struct Key {
    std::string model, optimizer;
    double lr;
  };
  std::vector<Key> keys;
  std::vector<std::map<std::string, std::map<std::int64_t, RunData*>>> groups;
  for (RunData& d : r.runs) {
    std::size_t g = 0;
    while (g < keys.size() && !(keys[g].model == d.row.model &&
                                keys[g].optimizer == d.row.optimizer && keys[g].lr == d.row.lr))
      ++g;
    if (g == keys.size()) {
      keys.push_back({d.row.model, d.row.optimizer, d.row.lr});
      groups.emplace_back();
    }
    auto& by_seed = groups[g][d.row.arm];
    if (!by_seed.count(d.row.seed)) by_seed[d.row.seed] = &d;  // a duplicate seed: keep the first
  }
  for (auto& group : groups)
    for (auto& [arm, by_seed] : group)
      for (auto& [seed, run] : by_seed)
        if (run->row.status == RunStatus::done && std::isfinite(run->score)) {
          run->series = store.series(run->row.id);
          break;
        }

  for (std::size_t g = 0; g < keys.size(); ++g) {
    Condition c;
    c.model = keys[g].model;
    c.optimizer = keys[g].optimizer;
    c.lr = keys[g].lr;
    c.id_suffix = g == 0 ? "" : fmt::format("-c{}", g + 1);
    std::set<std::string, decltype(&natural_less)> layers(&natural_less);
    std::size_t from_last = 0, scored = 0;
    for (const std::string& arm : r.arms) {
      const auto it = groups[g].find(arm);
      if (it == groups[g].end()) continue;
      ArmResult a;
      a.arm = arm;
      a.colour =
          static_cast<std::size_t>(std::find(r.arms.begin(), r.arms.end(), arm) - r.arms.begin());
      a.is_baseline = arm == r.baseline;
      summarize_arm(a, it->second);
      for (const RunData* d : a.done) {
        ++scored;
        from_last += d->score_from_last ? 1 : 0;
        // Figures allocate per epoch: an absurd epoch number in a damaged store is ignored.
        auto see = [&](std::int64_t e) {
          if (e <= kMaxEpoch) c.max_epoch = std::max(c.max_epoch, e);
        };
        for (const EpochRow& e : d->epochs) see(e.epoch);
        for (const DiagnosticRow& g : d->diagnostics) see(g.epoch);
      }
      for (const auto& [metric, by_layer] : a.diag)
        for (const auto& [layer, v] : by_layer) layers.insert(layer);
      if (a.is_baseline) c.baseline = static_cast<int>(c.arms.size());
      c.arms.push_back(std::move(a));
    }
    c.title = c.arms.empty() ? std::string() : condition_title(c.arms.front().runs.front()->row);
    c.layers.assign(layers.begin(), layers.end());
    if (from_last == 0) {
      c.score_label = "test acc @ best-val epoch";
    } else if (from_last == scored) {
      c.score_label = "test acc @ last epoch (no validation split)";
    } else {
      c.score_label = "test acc @ best-val epoch (@ last epoch for runs without validation)";
      c.warnings.push_back(fmt::format(
          "{} of {} runs have no validation split; their score is the test accuracy at the last "
          "epoch, so the scores of this condition are not all chosen the same way",
          from_last, scored));
    }
    std::int64_t failed = 0;
    for (const ArmResult& a : c.arms) failed += a.n_failed;
    if (failed > 0)
      c.warnings.push_back(fmt::format(
          "{} failed run{} left out (see Failed runs); paired tests use only the seeds both arms "
          "finished",
          failed, failed == 1 ? " is" : "s are"));
    compare_with_baseline(c, r);
    rank_arms(c);
    r.conditions.push_back(std::move(c));
  }
  return r;
}

}  // namespace report_detail

std::vector<std::string> write_report(Store& store, const std::string& dir,
                                      const ReportOptions& options) {
  using namespace report_detail;
  TG_CHECK(!dir.empty(), "study report: the output directory is empty");
  const StudyReport r = analyze(store, options);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  TG_CHECK(!ec, "study report: cannot create the directory '{}': {}", dir, ec.message());
  const std::pair<const char*, std::string> files[] = {
      {"report.html", render_html(r)},
      {"summary.md", render_markdown(r)},
      {"runs.csv", render_runs_csv(r)},
      {"epochs.csv", render_epochs_csv(r)},
      {"diagnostics.csv", render_diagnostics_csv(r)},
      {"leaderboard.csv", render_leaderboard_csv(r)},
  };
  std::vector<std::string> written;
  for (const auto& [name, text] : files) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    io::write_file_atomic(path, text, "study report");
    written.push_back(path);
  }
  return written;
}

std::string comparison_table(Store& store, const ReportOptions& options) {
  return report_detail::render_table(report_detail::analyze(store, options));
}

}  // namespace tg::study
