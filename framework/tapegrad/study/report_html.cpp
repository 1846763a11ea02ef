// The study report's HTML page: one self-contained file (inline CSS and SVG; no script, no
// external resource, so it opens the same from a laptop, a CI artifact or an email).
#include <algorithm>
#include <cmath>

#include "tapegrad/study/report_detail.hpp"

namespace tg::study::report_detail {

namespace {
namespace html_impl {

constexpr const char* kStyle = R"(
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #e4e4e7; --soft: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 32px 72px; }
h1 { font-size: 1.9rem; margin: 0 0 .2em; letter-spacing: -.01em; }
h2 { font-size: 1.45rem; margin: 2.4em 0 .6em; padding-bottom: .25em;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.12rem; margin: 2em 0 .5em; }
p { max-width: 900px; }
.sub { color: var(--muted); margin: 0 0 1.2em; }
nav.toc { background: var(--soft); padding: 10px 16px; border-radius: 6px; font-size: .92rem; }
nav.toc a { color: #0b5394; text-decoration: none; margin-right: 14px; white-space: nowrap; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .86rem; }
th, td { padding: 5px 9px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
th.l, td.l { text-align: left; }
td.wrap { white-space: normal; max-width: 640px; overflow-wrap: anywhere; }
tr.base td { background: #f3f8fc; }
td.sig { font-weight: 600; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: .85em; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  margin-right: 7px; vertical-align: -1px; }
.legend { margin: .6em 0 1em; font-size: .92rem; }
.legend .item { margin-right: 18px; white-space: nowrap; }
.warn { background: #fff5e6; border-left: 4px solid #E69F00; padding: 8px 14px; margin: .6em 0;
  font-size: .92rem;
  max-width: 900px; border-radius: 0 4px 4px 0; }
.banner { background: #e8f1fa; border-left: 4px solid #0072B2; padding: 10px 14px;
  margin: 1em 0; font-weight: 600; border-radius: 0 4px 4px 0; }
.notes { color: var(--muted); font-size: .88rem; max-width: 900px; }
.notes p { margin: .35em 0; }
figure { margin: 1em 0 2.2em; }
figcaption { color: var(--muted); font-size: .88rem; max-width: 900px; margin-top: .5em; }
figure .note { color: var(--muted); font-style: italic; background: var(--soft);
  padding: 14px 16px; border-radius: 6px; max-width: 900px; }
svg { max-width: 100%; height: auto; overflow: visible; }
svg text { font-family: inherit; }
svg .tick { font-size: 11px; fill: #555; }
svg .lab { font-size: 12px; fill: #222; }
svg .note { font-size: 13px; fill: #888; font-style: italic; }
svg .cell { font-size: 10.5px; }
.multiples { margin: .3em 0 1em; }
.mtitle { font-weight: 600; font-size: .9rem; margin-bottom: .2em; }
.mpanels { display: flex; flex-wrap: wrap; gap: 6px 12px; }
.mpanels .multiples { margin-right: 20px; }
footer { margin-top: 4em; color: var(--muted); font-size: .82rem; }
)";

// study_info keys in the order a reader wants them; others follow alphabetically.
constexpr const char* kInfoOrder[] = {"name",
                                      "command",
                                      "dataset",
                                      "epochs",
                                      "batch_size",
                                      "init",
                                      "val_split",
                                      "limit_train",
                                      "seeds",
                                      "baseline",
                                      "threads_per_worker",
                                      "workers",
                                      "machine",
                                      "isa",
                                      "compiler",
                                      "commit",
                                      "created",
                                      "wall_seconds",
                                      "probe_size"};

std::string cell(std::string_view text, bool left = false, std::string_view cls = {}) {
  std::string classes = left ? "l" : "";
  if (!cls.empty()) {
    if (!classes.empty()) classes += ' ';
    classes += cls;
  }
  return fmt::format("<td{}>{}</td>",
                     classes.empty() ? std::string() : " class=\"" + classes + "\"",
                     html_escape(text));
}

std::string swatch(std::size_t colour) {
  return fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>", arm_colour(colour));
}

std::string figure_html(const std::string& id, const Figure& f) {
  std::string out = fmt::format("<figure id=\"{}\">", id);
  if (f.svg.empty())
    out += "<div class=\"note\">" + html_escape(f.note) + "</div>";
  else
    out += "<div class=\"scroll\">" + f.svg + "</div>";
  if (!f.caption.empty()) out += "<figcaption>" + html_escape(f.caption) + "</figcaption>";
  return out + "</figure>\n";
}

void setup_section(std::string& out, const StudyReport& r) {
  out += "<section id=\"setup\"><h2>Setup</h2><div class=\"scroll\"><table>";
  out += "<tr><th class=\"l\">key</th><th class=\"l\">value</th></tr>";
  auto row = [&](const std::string& k, const std::string& v, bool code = false) {
    out += "<tr>" + cell(k, true) + "<td class=\"l wrap\">" + (code ? "<code>" : "") +
           html_escape(v) + (code ? "</code>" : "") + "</td></tr>";
  };
  std::vector<std::string> keys;
  for (const char* k : kInfoOrder)
    if (r.info.count(k)) keys.push_back(k);
  for (const auto& [k, v] : r.info)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  for (const std::string& k : keys) {
    std::string v = r.info.at(k);
    if (k == "wall_seconds") {
      char* end = nullptr;
      const double s = std::strtod(v.c_str(), &end);
      if (end && *end == '\0' && std::isfinite(s)) v += " (" + fmt_seconds(s) + ")";
    }
    row(k, v, k == "command" || k == "commit");
  }
  row("seeds in the runs", fmt::format("{}", r.seeds.size()));
  row("arms", fmt::format("{}", r.arms.size()));
  row("runs", fmt::format("{} done, {} failed, {} running, {} pending (of {})", r.status.done,
                          r.status.failed, r.status.running, r.status.pending, r.status.total()));
  row("total run time (sum of runs.wall_seconds)", fmt_seconds(r.wall_sum));
  out += "</table></div>";
  for (const std::string& w : r.warnings) out += "<div class=\"warn\">" + html_escape(w) + "</div>";
  out += "</section>\n";
}

// The leaderboard as two tables that fit a page: the scores of each arm, then its comparison
// with the baseline (indices into leaderboard_row's cells).
constexpr std::size_t kScoreColumns[] = {0, 1, 2, 3, 4, 5, 6, 7, 17};
constexpr std::size_t kCompareColumns[] = {0, 10, 8, 9, 11, 12, 13, 14, 15, 16, 18};

template <std::size_t N>
void leaderboard_table(std::string& out, const StudyReport& r, const Condition& c,
                       const std::size_t (&columns)[N]) {
  out += "<div class=\"scroll\"><table><tr>";
  const auto header = leaderboard_header(false);
  for (std::size_t i : columns)
    out += fmt::format("<th{}>{}</th>", i == 0 || i == 18 ? " class=\"l\"" : "",
                       html_escape(header[i]));
  out += "</tr>";
  for (const ArmResult& a : c.arms) {
    const auto cells = leaderboard_row(r, c, a, false);
    out += a.is_baseline ? "<tr class=\"base\">" : "<tr>";
    for (std::size_t i : columns) {
      if (i == 0)
        out += "<td class=\"l\">" + swatch(a.colour) + html_escape(cells[0]) + "</td>";
      else
        out += i == 18 ? cell(cells[i], true, "sig") : cell(cells[i]);
    }
    out += "</tr>";
  }
  out += "</table></div>";
}

void condition_section(std::string& out, const StudyReport& r, const Condition& c) {
  const std::string& s = c.id_suffix;
  out += fmt::format("<section id=\"condition{}\"><h2>{}</h2>", s,
                     html_escape(c.title.empty() ? "Results" : "Results: " + c.title));
  out += "<div class=\"legend\">";
  for (const ArmResult& a : c.arms)
    out += "<span class=\"item\">" + swatch(a.colour) + html_escape(a.arm) +
           (a.is_baseline ? " (baseline)" : "") + "</span>";
  out += "</div>";
  out += fmt::format("<h3 id=\"leaderboard{}\">Leaderboard</h3>", s);
  if (c.arms.empty()) {
    out += "<p class=\"note\">No runs in the store yet.</p>";
  } else {
    leaderboard_table(out, r, c, kScoreColumns);
    out += fmt::format("<h3 id=\"comparison{}\">Comparison with the baseline</h3>", s);
    leaderboard_table(out, r, c, kCompareColumns);
  }
  out += "<div class=\"notes\">";
  for (const std::string& n : condition_notes(r, c)) out += "<p>" + html_escape(n) + "</p>";
  out += "</div>";
  for (const std::string& w : c.warnings) out += "<div class=\"warn\">" + html_escape(w) + "</div>";
  out += figure_html("fig-leaderboard" + s, figure_leaderboard(r, c));
  out += "<h3>Scores per seed</h3>" + figure_html("fig-strip" + s, figure_strip(r, c));
  out += "<h3>Ranks: critical-difference diagram</h3>" + figure_html("fig-cd" + s, figure_cd(r, c));
  out += "<h3>Curves over epochs</h3>" + figure_html("fig-curves" + s, figure_curves(r, c));
  out += "<h3>Learned shapes</h3>" + figure_html("fig-shapes" + s, figure_shapes(r, c));
  out += "<h3>Pre-activation distributions</h3>" + figure_html("fig-hist" + s, figure_hist(r, c));
  out += "<h3>Dead units</h3>" + figure_html("fig-dead" + s, figure_heatmap(r, c, "dead_fraction"));
  out += "<h3>Saturation</h3>" +
         figure_html("fig-saturation" + s, figure_heatmap(r, c, "saturated_fraction"));
  out += "<h3>Gradient flow</h3>" + figure_html("fig-gradflow" + s, figure_gradflow(r, c));
  out += "<h3>Time</h3>" + figure_html("fig-time" + s, figure_time(r, c));
  out += "</section>\n";
}

void failed_section(std::string& out, const StudyReport& r) {
  out += "<section id=\"failed\"><h2>Failed runs</h2>";
  std::string rows;
  for (const RunData& d : r.runs) {
    if (d.row.status != RunStatus::failed) continue;
    rows += "<tr><td class=\"l\">" +
            swatch(static_cast<std::size_t>(std::find(r.arms.begin(), r.arms.end(), d.row.arm) -
                                            r.arms.begin())) +
            html_escape(d.row.arm) + "</td>" + cell(fmt::format("{}", d.row.seed)) +
            cell(d.row.model, true) + cell(d.row.optimizer, true) +
            cell(fmt::format("{}", d.row.lr)) + "<td class=\"l wrap\">" +
            html_escape(d.row.reason) + "</td></tr>";
  }
  if (rows.empty())
    out += "<p>None.</p>";
  else
    out +=
        "<div class=\"scroll\"><table><tr><th class=\"l\">arm</th><th>seed</th>"
        "<th class=\"l\">model</th><th class=\"l\">optimizer</th><th>lr</th>"
        "<th class=\"l\">reason</th></tr>" +
        rows + "</table></div>";
  out += "</section>\n";
}

}  // namespace html_impl
}  // namespace

std::string render_html(const StudyReport& r) {
  using namespace html_impl;
  const auto name_it = r.info.find("name");
  const std::string title =
      "Activation study" + (name_it != r.info.end() ? ": " + name_it->second : std::string());
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out +=
      "<title>" + html_escape(title) + "</title><style>" + kStyle + "</style></head>\n<body><main>";
  out += "<header><h1>" + html_escape(title) + "</h1>";
  std::string sub;
  for (const char* k : {"dataset", "epochs", "created", "commit"})
    if (const auto it = r.info.find(k); it != r.info.end())
      sub += fmt::format("{}{} {}", sub.empty() ? "" : " · ", k, it->second);
  if (!sub.empty()) out += "<p class=\"sub\">" + html_escape(sub) + "</p>";
  out += "</header>";
  if (const std::string u = unfinished_line(r); !u.empty())
    out += "<div class=\"banner\">" + html_escape(u) + "</div>";

  const Condition empty_condition;
  std::vector<const Condition*> conds;
  for (const Condition& c : r.conditions) conds.push_back(&c);
  // Without any run there is no condition; its section still shows, with every figure's note.
  if (conds.empty()) conds.push_back(&empty_condition);

  out += "<nav class=\"toc\"><a href=\"#setup\">Setup</a>";
  for (const Condition* c : conds)
    out += fmt::format("<a href=\"#condition{}\">{}</a>", c->id_suffix,
                       html_escape(c->title.empty() ? "Results" : c->title));
  out += "<a href=\"#failed\">Failed runs</a></nav>";
  setup_section(out, r);
  for (const Condition* c : conds) condition_section(out, r, *c);
  failed_section(out, r);
  out +=
      "<footer>Generated by tapegrad's study report from the study's results database alone; "
      "the CSV files beside this page hold every number.</footer>";
  out += "</main></body></html>\n";
  return out;
}

}  // namespace tg::study::report_detail
