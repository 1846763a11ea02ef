// The study report: the leaderboard's numbers against stats.hpp on the same scores, every figure
// present, a page without external resources or invalid SVG numbers, escaping of arm names,
// failed and unfinished runs, CSV quoting, several conditions. The synthetic study is in
// report_fixture.hpp; test_report_browser.cpp renders the page in headless Chromium.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "report_fixture.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/study/report.hpp"
#include "tapegrad/study/stats.hpp"

using namespace tg::study;
using namespace report_fixture;

namespace {

// The name="value" attributes in `text` (a name: letters and '-', after a space). std::regex would
// do, but GCC 12 warns inside <regex> under the sanitizer build's -O1 (maybe-uninitialized).
std::vector<std::pair<std::string, std::string>> attributes(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t eq = text.find("=\""); eq != std::string::npos; eq = text.find("=\"", eq + 2)) {
    std::size_t b = eq;
    while (b > 0 && (std::isalpha(static_cast<unsigned char>(text[b - 1])) || text[b - 1] == '-'))
      --b;
    if (b == eq || b == 0 || !std::isspace(static_cast<unsigned char>(text[b - 1]))) continue;
    const std::size_t close = text.find('"', eq + 2);
    if (close == std::string::npos) break;
    out.emplace_back(text.substr(b, eq - b), text.substr(eq + 2, close - eq - 2));
  }
  return out;
}

}  // namespace

TEST_CASE("report: the leaderboard's statistics are stats.hpp's on the same scores", "[study]") {
  TempDir dir;
  Store store = make_study(dir);
  const auto written = write_report(store, dir.file("report"));
  REQUIRE(written.size() == 6);
  const auto rows = read_csv(slurp(dir.file("report/leaderboard.csv")));
  REQUIRE(rows.size() == 3);
  std::map<std::string, std::map<std::string, std::string>> by_arm;
  for (const auto& r : rows) by_arm[r.at("arm")] = r;

  // The mean by hand, and summarize() for the intervals.
  double sum = 0.0;
  for (double v : kRelu) sum += v;
  CHECK(std::stod(by_arm["relu"]["mean"]) == Approx(sum / 6.0).epsilon(1e-12));
  CHECK(by_arm["relu"]["n"] == "6");
  CHECK(by_arm["relu"]["is_baseline"] == "1");
  const Summary s = summarize(kPau);
  CHECK(std::stod(by_arm["pau(m=5, n=4)"]["std"]) == s.std);
  CHECK(std::stod(by_arm["pau(m=5, n=4)"]["t_lo"]) == s.t_ci.lo);
  CHECK(std::stod(by_arm["pau(m=5, n=4)"]["boot_hi"]) == s.boot_ci.hi);
  CHECK(by_arm["pau(m=5, n=4)"]["score"] == "test acc @ best-val epoch");

  // Paired on all 6 seeds for pau, on the 5 seeds the third arm finished for it.
  const Paired pau = compare_paired(kPau, kRelu);
  const std::vector<double> relu5(kRelu.begin(), kRelu.begin() + 5);
  const Paired odd = compare_paired(kOdd, relu5);
  const auto& rp = by_arm["pau(m=5, n=4)"];
  const auto& ro = by_arm["x<y \"q\""];
  CHECK(rp.at("n_paired") == "6");
  CHECK(ro.at("n_paired") == "5");
  CHECK(ro.at("n") == "5");
  CHECK(std::stod(rp.at("mean_diff")) == pau.mean_diff);
  CHECK(std::stod(rp.at("p_t")) == pau.p_t);
  CHECK(std::stod(rp.at("p_wilcoxon")) == pau.p_wilcoxon);
  CHECK(std::stod(rp.at("cohen_dz")) == pau.cohen_dz);
  CHECK(std::stod(rp.at("prob_improvement")) == 1.0);
  CHECK(std::stod(ro.at("mean_diff")) == odd.mean_diff);
  CHECK(std::stod(ro.at("p_t")) == odd.p_t);
  const std::vector<double> p_t = {pau.p_t, odd.p_t}, p_w = {pau.p_wilcoxon, odd.p_wilcoxon};
  CHECK(std::stod(rp.at("holm_p_t")) == holm(p_t)[0]);
  CHECK(std::stod(ro.at("holm_p_wilcoxon")) == holm(p_w)[1]);

  // Friedman on the 5 seeds every arm finished.
  std::vector<std::vector<double>> scores = {relu5, kPau, kOdd};
  scores[1].resize(5);
  const Friedman f = friedman(scores);
  CHECK(std::stod(by_arm["relu"]["friedman_rank"]) == f.avg_ranks[0]);
  CHECK(std::stod(rp.at("friedman_rank")) == 1.0);
  CHECK(std::stod(ro.at("friedman_rank")) == f.avg_ranks[2]);

  // The page and the summary print the same numbers.
  const std::string html = slurp(dir.file("report/report.html"));
  const std::string md = slurp(dir.file("report/summary.md"));
  const Summary relu = summarize(kRelu);
  const std::string mean_std = fmt::format("{:.2f} ± {:.2f}", 100 * relu.mean, 100 * relu.std);
  CHECK(html.find(mean_std) != std::string::npos);
  CHECK(md.find(mean_std) != std::string::npos);
  CHECK(html.find(fmt::format("{:+.2f}", 100 * pau.mean_diff)) != std::string::npos);
  // p-values: 4 decimals, or 2 significant digits below 0.001.
  auto p_text = [](double p) {
    return p >= 1e-3 ? fmt::format("{:.4f}", p) : fmt::format("{:.1e}", p);
  };
  CHECK(html.find("<td>" + p_text(pau.p_t) + "</td>") != std::string::npos);
  CHECK(html.find("<td>" + p_text(pau.p_wilcoxon) + "</td>") != std::string::npos);
  CHECK(html.find("<td>" + p_text(odd.p_t) + "</td>") != std::string::npos);
  CHECK(html.find(fmt::format("Average ranks (1 = best): relu {:.2f}", f.avg_ranks[0])) !=
        std::string::npos);
  // n = 5 pairs cannot reach p < 0.05 with the exact Wilcoxon test: the page says so.
  CHECK(html.find("smallest possible p is 2^(1-n) = 0.0625") != std::string::npos);
  CHECK(md.find("smallest possible p is 2^(1-n) = 0.0625") != std::string::npos);
}

TEST_CASE("report: the page has every figure, no external resource, valid SVG, escaped text",
          "[study]") {
  TempDir dir;
  Store store = make_study(dir);
  write_report(store, dir.path.string());
  const std::string html = slurp(dir.file("report.html"));
  REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const auto& id : kFigureIds) {
    INFO(id);
    const auto at = html.find("<figure id=\"" + id + "\">");
    REQUIRE(at != std::string::npos);
    // Every figure of this study has data, so each holds an SVG rather than a note.
    const auto end = html.find("</figure>", at);
    CHECK(html.substr(at, end - at).find("<svg") != std::string::npos);
  }
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);

  // No NaN or infinity in any attribute of any SVG element (the data has a NaN loss, a NaN and an
  // infinity in shape series).
  std::size_t svgs = 0, attrs = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos;
       at = html.find("<svg", at + 1)) {
    ++svgs;
    const std::string svg = html.substr(at, html.find("</svg>", at) - at);
    for (const auto& [name, value] : attributes(svg)) {
      std::string v = value;
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (name == "aria-label" || name == "class" || name == "text-anchor") continue;
      ++attrs;
      INFO(name << "=\"" << v << "\"");
      CHECK(v.find("nan") == std::string::npos);
      CHECK(v.find("inf") == std::string::npos);
    }
  }
  CHECK(svgs >= kFigureIds.size());
  CHECK(attrs > 1000);

  // Arm names and study_info text are escaped wherever they appear.
  CHECK(html.find("x<y") == std::string::npos);
  CHECK(html.find("\"q\"") == std::string::npos);
  CHECK(html.find("x&lt;y &quot;q&quot;") != std::string::npos);
  CHECK(html.find("unit &lt;test&gt; study") != std::string::npos);
  // The failed run, with its reason; the layers in network order in the heatmaps.
  const auto failed = html.find("<section id=\"failed\">");
  REQUIRE(failed != std::string::npos);
  CHECK(html.find(kReason, failed) != std::string::npos);
  const auto dead = html.find("<figure id=\"fig-dead\">");
  CHECK(html.find("layer 4", dead) < html.find("layer 10", dead));
  CHECK(html.find("total run time") != std::string::npos);
  CHECK(html.find("unfinished") == std::string::npos);
}

TEST_CASE("report: summary.md and the CSV files", "[study]") {
  TempDir dir;
  Store store = make_study(dir);
  write_report(store, dir.path.string());
  const std::string md = slurp(dir.file("summary.md"));
  CHECK(md.find("# Activation study: unit \\<test\\> study") != std::string::npos);
  CHECK(md.find("## Setup") != std::string::npos);
  CHECK(md.find("| relu | 6 |") != std::string::npos);
  CHECK(md.find("| pau(m=5, n=4) | 6 |") != std::string::npos);
  CHECK(md.find("| x\\<y \"q\" | 5 (1 failed) |") != std::string::npos);
  CHECK(md.find("## Failed runs") != std::string::npos);
  CHECK(md.find(kReason) != std::string::npos);

  const std::string runs = slurp(dir.file("runs.csv"));
  CHECK(count_lines(runs) == 1 + 18);
  // Fields with a comma or a quote are quoted, quotes doubled.
  CHECK(runs.find(fmt::format("\"{}\"", kReason)) != std::string::npos);
  CHECK(runs.find("\"lenet5/adam/lr=0.001/pau(m=5, n=4)/seed=0\",\"pau(m=5, n=4)\",lenet5,adam,"
                  "0.001,0,done,,0,2,0.91,test_at_best_val,0.91,") != std::string::npos);
  CHECK(runs.find("\"x<y \"\"q\"\"\"") != std::string::npos);
  const auto parsed = read_csv(runs);
  REQUIRE(parsed.size() == 18);
  CHECK(std::count_if(parsed.begin(), parsed.end(),
                      [](const auto& r) { return r.at("status") == "failed"; }) == 1);
  CHECK(count_lines(slurp(dir.file("epochs.csv"))) == 1 + 17 * 3);
  CHECK(count_lines(slurp(dir.file("diagnostics.csv"))) == 1 + 17 * 3 * 3 * 4);
}

TEST_CASE("report: the comparison table for a terminal", "[study]") {
  TempDir dir;
  Store store = make_study(dir);
  const std::string t = comparison_table(store);
  for (const auto& arm : kArms) CHECK(t.find(arm) != std::string::npos);
  CHECK(t.find("relu [baseline]") != std::string::npos);
  CHECK(t.find("baseline: relu") != std::string::npos);
  CHECK(t.find("Friedman test over 3 arms") != std::string::npos);
  // Aligned: every row of the table is as wide as its header.
  std::istringstream lines(t);
  std::string line, header;
  while (std::getline(lines, line))
    if (line.rfind("arm ", 0) == 0) header = line;
  REQUIRE(!header.empty());

  const std::string other = comparison_table(store, {.baseline = "pau(m=5, n=4)"});
  CHECK(other.find("pau(m=5, n=4) [baseline]") != std::string::npos);
  CHECK(other.find("worse") != std::string::npos);  // relu loses on every seed (t-test)
  CHECK_THROWS_AS(comparison_table(store, {.baseline = "gelu"}), tg::Error);
  CHECK_THROWS_AS(comparison_table(store, {.alpha = 1.5}), tg::Error);
}

TEST_CASE("report: unfinished, empty and validation-free studies still get a report", "[study]") {
  TempDir dir;
  SECTION("nothing done yet, into a directory that does not exist") {
    Store store = Store::open(dir.file("a.sqlite"));
    store.plan({spec("relu", 0), spec("relu", 1), spec("gelu", 0), spec("gelu", 1)});
    const auto claimed = store.claim(1);
    REQUIRE(claimed);
    const std::string out = dir.file("new/nested/report");
    const auto written = write_report(store, out);
    CHECK(written.size() == 6);
    for (const auto& p : written) CHECK(fs::exists(p));
    const std::string html = slurp(out + "/report.html");
    CHECK(html.find("report of an unfinished study: 0 of 4 runs done") != std::string::npos);
    for (const auto& id : kFigureIds)
      CHECK(html.find("<figure id=\"" + id + "\">") != std::string::npos);
    CHECK(html.find("<svg") == std::string::npos);
    CHECK(html.find("class=\"note\"") != std::string::npos);
    CHECK(count_lines(slurp(out + "/runs.csv")) == 5);
    CHECK(comparison_table(store).find("0 of 4 runs done") != std::string::npos);
  }
  SECTION("an empty store") {
    Store store = Store::open(dir.file("b.sqlite"));
    const auto written = write_report(store, dir.file("out"));
    const std::string html = slurp(written[0]);
    for (const auto& id : kFigureIds)
      CHECK(html.find("<figure id=\"" + id + "\">") != std::string::npos);
    CHECK(slurp(written[1]).find("No runs in the store yet.") != std::string::npos);
  }
  SECTION("no validation split: the score is the last epoch's test accuracy, labelled so") {
    Store store = Store::open(dir.file("c.sqlite"));
    store.plan({spec("relu", 0), spec("relu", 1), spec("gelu", 0), spec("gelu", 1)});
    while (auto run = store.claim(0)) {
      const std::int64_t arm = run->arm == "relu" ? 0 : 1;
      store.finish(result_for(run->key, 0.9 + 0.01 * static_cast<double>(arm + run->seed), arm,
                              run->seed, false));
    }
    write_report(store, dir.path.string());
    const auto rows = read_csv(slurp(dir.file("leaderboard.csv")));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("score") == "test acc @ last epoch (no validation split)");
    CHECK(std::stod(rows[0].at("mean")) == Approx((0.898 + 0.908) / 2).epsilon(1e-12));
    const std::string html = slurp(dir.file("report.html"));
    CHECK(html.find("test acc @ last epoch (no validation split)") != std::string::npos);
    CHECK(html.find("no validation split") != std::string::npos);
    // Two seeds: the warning that no test can reach significance.
    CHECK(html.find("cannot reach significance") != std::string::npos);
  }
}

TEST_CASE("report: one section per condition, figure ids made unique", "[study]") {
  TempDir dir;
  Store store = Store::open(dir.file("results.sqlite"));
  std::vector<RunSpec> plan;
  for (const char* opt : {"adam", "sgd"})
    for (std::int64_t seed = 0; seed < 3; ++seed)
      for (const char* arm : {"relu", "gelu"}) plan.push_back(spec(arm, seed, opt, 0.01));
  store.plan(plan);
  while (auto run = store.claim(0)) {
    const std::int64_t arm = run->arm == "relu" ? 0 : 1;
    store.finish(result_for(run->key, 0.8 + 0.01 * static_cast<double>(run->seed) + 0.003 * arm,
                            arm, run->seed));
  }
  write_report(store, dir.path.string());
  const std::string html = slurp(dir.file("report.html"));
  for (const auto& id : kFigureIds) {
    CHECK(html.find("<figure id=\"" + id + "\">") != std::string::npos);
    CHECK(html.find("<figure id=\"" + id + "-c2\">") != std::string::npos);
  }
  CHECK(html.find("lenet5 · sgd · lr=0.01") != std::string::npos);
  CHECK(count_lines(slurp(dir.file("leaderboard.csv"))) == 1 + 4);
}
