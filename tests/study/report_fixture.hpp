#pragma once
// The synthetic study shared by the report tests (test_report.cpp, test_report_browser.cpp):
// three arms over six seeds, chosen so that every statistic has a known value: "pau(m=5, n=4)"
// beats relu on every seed, the third arm (a name with '<' and '"') loses on most and fails on
// seed 5 (a reason with a comma, for CSV quoting). Diagnostics and series for layers "1", "4" and
// "10" (network order differs from string order), with a NaN loss, a NaN and an infinity in the
// shape series: none of them may reach an SVG attribute.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "helpers.hpp"
#include "tapegrad/study/monitor.hpp"
#include "tapegrad/study/store.hpp"

namespace report_fixture {

using namespace tg::study;
namespace fs = std::filesystem;

using TempDir = tgtest::TempDir;

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::size_t count_lines(const std::string& s) {
  return std::count(s.begin(), s.end(), '\n');
}

inline const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Three arms over six seeds, chosen so that every statistic has a known value: "pau(m=5, n=4)"
// beats relu on every seed, the third arm (a name with '<' and '"') loses on most and fails on
// seed 5 (a reason with a comma, for CSV quoting).
inline const std::vector<std::string> kArms = {"relu", "pau(m=5, n=4)", "x<y \"q\""};
inline const std::vector<double> kRelu = {0.900, 0.910, 0.920, 0.905, 0.915, 0.895};
inline const std::vector<double> kPau = {0.910, 0.922, 0.928, 0.916, 0.924, 0.908};
inline const std::vector<double> kOdd = {0.898, 0.905, 0.921, 0.899, 0.910};  // seeds 0..4
inline const char* const kReason = "diverged: loss is NaN, at epoch 2";

inline double score_of(std::size_t arm, std::int64_t seed) {
  const auto s = static_cast<std::size_t>(seed);
  return arm == 0 ? kRelu[s] : arm == 1 ? kPau[s] : kOdd[s];
}

inline RunSpec spec(const std::string& arm, std::int64_t seed,
                    const std::string& optimizer = "adam", double lr = 0.001) {
  RunSpec r;
  r.key = fmt::format("lenet5/{}/lr={}/{}/seed={}", optimizer, lr, arm, seed);
  r.arm = arm;
  r.model = "lenet5";
  r.optimizer = optimizer;
  r.lr = lr;
  r.seed = seed;
  return r;
}

// A finished run: 3 epochs, the score at best-val epoch 2, diagnostics and series for layers
// "1", "4" and "10" (so that network order differs from string order).
inline RunResult result_for(const std::string& key, double score, std::int64_t arm_index,
                            std::int64_t seed, bool with_val = true) {
  RunResult r;
  r.key = key;
  r.wall_seconds = 30.0 + static_cast<double>(arm_index) + 0.1 * static_cast<double>(seed);
  r.parameters = 61706 + arm_index;
  r.activation_parameters = arm_index == 1 ? 36 : 0;
  r.best_val_epoch = with_val ? 2 : 0;
  r.test_at_best_val = with_val ? score : kNaN;
  r.test_at_last = score - 0.002;
  for (std::int64_t e = 1; e <= 3; ++e) {
    EpochRow row;
    row.epoch = e;
    row.train_loss = 1.0 / static_cast<double>(e) + 0.01 * static_cast<double>(arm_index);
    if (seed == 1 && e == 3) row.train_loss = kNaN;  // a NaN must not reach the SVG
    row.train_accuracy = 0.8 + 0.05 * static_cast<double>(e);
    row.val_loss = with_val ? 0.5 : kNaN;
    row.val_accuracy = with_val ? score - 0.01 + 0.005 * static_cast<double>(e) : kNaN;
    row.test_loss = 0.4;
    row.test_accuracy = e == 2 ? score : e == 3 ? score - 0.002 : score - 0.02;
    row.seconds = 10.0 + static_cast<double>(arm_index);
    r.epochs.push_back(row);
    for (const char* layer : {"1", "4", "10"}) {
      const double l = std::stod(layer);
      r.diagnostics.push_back({e, layer, "dead_fraction", arm_index == 0 ? 0.1 * l / 10.0 : 0.0});
      r.diagnostics.push_back({e, layer, "saturated_fraction", 0.05 * static_cast<double>(e)});
      r.diagnostics.push_back({e, layer, "grad_norm", std::pow(10.0, -l / 5.0)});
      r.diagnostics.push_back({e, layer, "preact_mean", 0.0});
      const MonitorOptions o;
      std::vector<double> shape, lo, hi;
      for (double x : shape_grid(o)) {
        const double slope = 0.1 * static_cast<double>(e) * static_cast<double>(arm_index);
        shape.push_back(x > 0 ? x : slope * x);
        lo.push_back(shape.back() - 0.1);
        hi.push_back(shape.back() + 0.1);
      }
      shape[5] = kNaN;  // a gap in the curve
      hi[7] = std::numeric_limits<double>::infinity();
      r.series.push_back({e, layer, "shape", shape});
      r.series.push_back({e, layer, "shape_lo", lo});
      r.series.push_back({e, layer, "shape_hi", hi});
      std::vector<double> hist;
      for (int i = 0; i < 48; ++i)
        hist.push_back(
            std::round(100 * std::exp(-std::pow((i - 24.0 - 3.0 * arm_index) / 8.0, 2))));
      r.series.push_back({e, layer, "preact_hist", hist});
    }
  }
  return r;
}

// The main synthetic study, every run done except the third arm's seed 5 (failed).
inline Store make_study(const TempDir& dir) {
  Store store = Store::open(dir.file("results.sqlite"));
  std::vector<RunSpec> plan;
  for (std::int64_t seed = 0; seed < 6; ++seed)
    for (const auto& arm : kArms) plan.push_back(spec(arm, seed));
  store.plan(plan);
  store.set_study_info("name", "unit <test> study");
  store.set_study_info("dataset", "fashion-mnist");
  store.set_study_info("epochs", "3");
  store.set_study_info("seeds", "6");
  store.set_study_info("wall_seconds", "600");
  store.set_study_info("monitor.shape_points", "121");
  while (auto run = store.claim(0)) {
    const auto arm =
        static_cast<std::size_t>(std::find(kArms.begin(), kArms.end(), run->arm) - kArms.begin());
    if (arm == 2 && run->seed == 5) {
      store.fail(run->key, kReason);
      continue;
    }
    store.finish(
        result_for(run->key, score_of(arm, run->seed), static_cast<std::int64_t>(arm), run->seed));
  }
  return store;
}

// leaderboard.csv as maps from column name to field, one per row (no quoted commas in the
// fields read here except the arm, which is handled).
inline std::vector<std::map<std::string, std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += '"', ++i;
      else if (ch == '"')
        quoted = false;
      else
        field += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      row.push_back(field), field.clear();
    } else if (ch == '\n') {
      row.push_back(field), field.clear();
      rows.push_back(row), row.clear();
    } else {
      field += ch;
    }
  }
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c)
      m[rows[0][c]] = rows[r][c];
    out.push_back(m);
  }
  return out;
}

inline const std::vector<std::string> kFigureIds = {
    "fig-leaderboard", "fig-strip", "fig-cd",         "fig-curves",   "fig-shapes",
    "fig-hist",        "fig-dead",  "fig-saturation", "fig-gradflow", "fig-time"};

}  // namespace report_fixture
