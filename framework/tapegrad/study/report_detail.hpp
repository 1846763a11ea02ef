#pragma once
// Internals of the study report, shared by report.cpp (loading and statistics), report_text.cpp
// (Markdown, CSV, the terminal table), report_svg.cpp (figures) and report_html.cpp (the page).
// Not a public interface: the analysis is computed once into StudyReport and every renderer only
// reads it, so that the HTML, the Markdown and the terminal agree on every number.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/study/monitor.hpp"
#include "tapegrad/study/report.hpp"
#include "tapegrad/study/stats.hpp"
#include "tapegrad/study/store.hpp"

namespace tg::study::report_detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Bootstrap settings of every interval in the report (documented in report.hpp).
inline constexpr std::uint64_t kBootSeed = 0;
inline constexpr std::int64_t kBootResamples = 10'000;
// Epoch numbers above this are ignored by the figures (they allocate per epoch).
inline constexpr std::int64_t kMaxEpoch = 100'000;

struct RunData {
  RunRow row;
  std::vector<EpochRow> epochs;            // done runs only
  std::vector<DiagnosticRow> diagnostics;  // done runs only
  std::vector<SeriesRow> series;           // only the representative run of each arm (shapes)
  double score = kNaN;                     // test_at_best_val, or test_at_last (see from_last)
  bool score_from_last = false;            // no validation split: the score is test_at_last
};

// Values across seeds, by metric -> layer -> epoch.
using DiagMap =
    std::map<std::string, std::map<std::string, std::map<std::int64_t, std::vector<double>>>>;

struct ArmResult {
  std::string arm;
  std::size_t colour = 0;  // index of the arm in StudyReport::arms: the same colour everywhere
  std::vector<const RunData*> runs;  // every run of the arm in this condition, by seed
  std::vector<const RunData*> done;  // done runs with a finite score, by seed
  std::vector<std::int64_t> seeds;   // of `done`
  std::vector<double> scores, last_scores;
  std::int64_t n_failed = 0, n_unfinished = 0;
  double mean = kNaN, last_mean = kNaN;          // also for a single seed
  std::optional<Summary> summary, last_summary;  // n >= 2
  std::optional<std::int64_t> params_min, params_max, act_params_min, act_params_max;

  // Against the baseline, on the seeds both have done.
  bool is_baseline = false;
  std::size_t n_paired = 0;
  std::optional<Paired> paired;  // n_paired >= 2
  double holm_t = kNaN, holm_w = kNaN;
  std::string marker;  // "better *", "worse **", "n.s.", "" (baseline or no test)

  const RunData* representative = nullptr;  // done run of the lowest seed (learned shapes)
  DiagMap diag;
};

struct Condition {
  std::string model, optimizer;
  double lr = 0.0;
  std::string title;                // "lenet5 · adam · lr=0.001"
  std::string id_suffix;            // "" for the first condition, "-c2", "-c3", ... for the others
  std::vector<ArmResult> arms;      // in run order of first appearance
  int baseline = -1;                // index into arms, -1 if the baseline has no run here
  std::string score_label;          // "test acc @ best-val epoch", ...
  std::vector<std::string> layers;  // diagnostic layers in network order
  std::int64_t max_epoch = 0;

  // Friedman / Nemenyi on the seeds complete for every arm with a score.
  std::vector<std::size_t> friedman_arms;  // indices into arms
  std::vector<std::int64_t> complete_seeds;
  std::optional<Friedman> friedman;
  double cd = kNaN;
  std::vector<RankDifference> different;  // indices into friedman_arms
  std::string friedman_note;              // why there is no Friedman test or CD, if so

  std::vector<std::string> warnings;
};

struct StudyReport {
  std::map<std::string, std::string> info;
  std::vector<RunData> runs;
  Status status;
  std::vector<std::string> arms;  // every arm, in run order of first appearance
  std::vector<std::int64_t> seeds;
  std::string baseline;
  double alpha = 0.05;
  MonitorOptions monitor;
  double wall_sum = 0.0;  // sum of runs.wall_seconds over done runs
  std::vector<Condition> conditions;
  std::vector<std::string> warnings;  // study-wide
};

StudyReport analyze(Store& store, const ReportOptions& options);

// Renderers.
std::string render_html(const StudyReport& r);
std::string render_markdown(const StudyReport& r);
std::string render_table(const StudyReport& r);
std::string render_runs_csv(const StudyReport& r);
std::string render_epochs_csv(const StudyReport& r);
std::string render_diagnostics_csv(const StudyReport& r);
std::string render_leaderboard_csv(const StudyReport& r);

// One figure: an SVG (or several, as small multiples) or, when the data is missing, a note.
struct Figure {
  std::string svg;      // HTML holding the SVG(s); empty: no figure, see note
  std::string note;     // plain text
  std::string caption;  // plain text
};
Figure figure_leaderboard(const StudyReport& r, const Condition& c);
Figure figure_strip(const StudyReport& r, const Condition& c);
Figure figure_cd(const StudyReport& r, const Condition& c);
Figure figure_curves(const StudyReport& r, const Condition& c);
Figure figure_shapes(const StudyReport& r, const Condition& c);
Figure figure_hist(const StudyReport& r, const Condition& c);
Figure figure_heatmap(const StudyReport& r, const Condition& c, const std::string& metric);
Figure figure_gradflow(const StudyReport& r, const Condition& c);
Figure figure_time(const StudyReport& r, const Condition& c);

// Formatting shared by the renderers.
std::string html_escape(std::string_view s);
std::string arm_colour(std::size_t index);
std::string fmt_pct(double fraction);           // 0.91234 -> "91.23", NaN -> "–"
std::string fmt_pp(double fraction);            // signed percentage points: "+0.45"
std::string fmt_p(double p);                    // "0.0312", "3.1e-05", NaN -> "–"
std::string fmt_num(double v, int digits = 3);  // general, NaN -> "–"
std::string fmt_seconds(double s);              // "42.0 s", "12 min 3 s", "2 h 05 min"
std::string fmt_count_range(const std::optional<std::int64_t>& lo,
                            const std::optional<std::int64_t>& hi);
// The status line of an unfinished study ("report of an unfinished study: 3 of 24 runs done"),
// or "" when every run is done or failed.
std::string unfinished_line(const StudyReport& r);
// The leaderboard of a condition as plain-text cells (the renderers escape them): the header and
// one row per arm. `compact` drops the columns a terminal has no room for.
std::vector<std::string> leaderboard_header(bool compact);
std::vector<std::string> leaderboard_row(const StudyReport& r, const Condition& c,
                                         const ArmResult& a, bool compact);
// The Friedman average rank of arm index `arm` of c, NaN when it took no part.
double friedman_rank(const Condition& c, std::size_t arm);
// The notes every renderer prints below a condition's leaderboard: the tests used, the seeds.
std::vector<std::string> condition_notes(const StudyReport& r, const Condition& c);

}  // namespace tg::study::report_detail
