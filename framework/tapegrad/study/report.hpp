#pragma once
/// @file
/// The report of an activation study, built from its store alone (so it can be rebuilt at any
/// time, also while workers are still running): an HTML page with the leaderboard, the tests and
/// the figures, a Markdown summary, and CSV files of every run, epoch, diagnostic and leaderboard
/// row for anyone who wants to redo the analysis elsewhere.
///
/// What is compared: a condition is (model, optimizer, lr); within a condition the arms (runs.arm,
/// activation specs) are compared over seeds, paired by seed. The score of a run is its test
/// accuracy at the epoch chosen on validation (runs.test_at_best_val, best_val_epoch > 0); a run
/// without a validation split (best_val_epoch 0 or NULL) scores test_at_last instead, and the
/// report says so. Nothing is ever chosen on test.
///
/// The statistics are those of stats.hpp: summaries with 95% t and percentile-bootstrap intervals
/// (10'000 resamples, seed 0, so a report is reproducible), paired t and exact Wilcoxon tests on
/// the seeds both arms finished, Holm's correction over the arms compared with the baseline,
/// Friedman and Nemenyi on the seeds every arm finished.
///
/// @code{.cpp}
///   auto store = tg::study::Store::open(dir + "/results.sqlite");
///   for (const auto& path : tg::study::write_report(store, dir)) fmt::print("wrote {}\n", path);
/// @endcode
#include <string>
#include <vector>

#include "tapegrad/study/store.hpp"

namespace tg::study {

/// Options of write_report() and comparison_table().
struct ReportOptions {
  /// The arm every other arm is compared against. Empty: study_info()["baseline"] if set, else the
  /// first arm in run order. An arm that no run of the study has is a tg::Error.
  std::string baseline;
  /// Significance level of the tests and of the markers (0 < alpha < 1).
  double alpha = 0.05;
};

/// Writes into `dir` (created if missing), each file atomically (a temporary file, then rename):
/// @verbatim
///   report.html      one self-contained page (inline CSS and SVG, no script, no external resource)
///   summary.md       setup, leaderboards and warnings as Markdown
///   runs.csv         one row per run: key, arm, model, optimizer, lr, seed, status, reason,
///                    scores, wall seconds, parameter counts
///   epochs.csv       one row per (done run, epoch) with every epoch metric
///   diagnostics.csv  one row per (done run, epoch, layer, metric)
///   leaderboard.csv  one row per (condition, arm): every statistic of the leaderboard, full
///                    precision
/// @endverbatim
/// Returns the paths written, in that order. A study without any finished run still gets a report
/// (with notes saying what is missing).
std::vector<std::string> write_report(Store& store, const std::string& dir,
                                      const ReportOptions& options = {});

/// The comparison printed by `study compare DIR --baseline relu`: per condition, one aligned
/// plain-text row per arm (score mean ± std, 95% CI, paired difference vs the baseline with its CI,
/// p-values, Holm-adjusted p, Cohen's d_z, probability of improvement, a marker), then the
/// Friedman test and the warnings.
std::string comparison_table(Store& store, const ReportOptions& options = {});

}  // namespace tg::study
