// The study report in a browser (tag [chromium]): headless Chromium renders the demo report
// without console messages (script errors, failed loads, SVG attributes it rejects), with every
// figure in its DOM, and the screenshot shows a drawn page; and the check itself fails on a page
// with a script error, with a NaN in an SVG path, with a missing id, and on a blank screenshot.
// The driver is check_report_browser.sh beside this file; without Chromium it exits 77 and these
// tests pass with a warning saying they were skipped.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "report_fixture.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/study/report.hpp"
#include "tapegrad/study/stats.hpp"

#include "tapegrad/core/tensor.hpp"
#include "tapegrad/data/image.hpp"

using namespace tg::study;
using namespace report_fixture;

namespace {

// The screenshot shows a page, not a blank: enough pixels that are not white, enough distinct
// colours, and the first two arm colours (Okabe-Ito blue and vermillion) drawn.
struct PixelStats {
  double non_white = 0.0;
  std::size_t colours = 0;
  std::size_t blue = 0, vermillion = 0;
};
PixelStats pixel_stats(const std::string& png) {
  const tg::Tensor img = tg::data::load_image(png, 3).contiguous();
  const auto h = img.size(1), w = img.size(2);
  const float* p = static_cast<const float*>(img.raw_data());
  PixelStats s;
  std::set<int> colours;
  std::size_t non_white = 0;
  for (std::int64_t i = 0; i < h * w; ++i) {
    const int r = static_cast<int>(std::lround(p[i] * 255)),
              g = static_cast<int>(std::lround(p[h * w + i] * 255)),
              b = static_cast<int>(std::lround(p[2 * h * w + i] * 255));
    if (r < 240 || g < 240 || b < 240) ++non_white;
    colours.insert((r >> 4) << 8 | (g >> 4) << 4 | (b >> 4));
    auto near = [&](int R, int G, int B) {
      return std::abs(r - R) < 12 && std::abs(g - G) < 12 && std::abs(b - B) < 12;
    };
    if (near(0x00, 0x72, 0xB2)) ++s.blue;
    if (near(0xD5, 0x5E, 0x00)) ++s.vermillion;
  }
  s.non_white = static_cast<double>(non_white) / static_cast<double>(h * w);
  s.colours = colours.size();
  return s;
}
bool looks_drawn(const PixelStats& s) {
  return s.non_white > 0.02 && s.colours >= 16 && s.blue > 200 && s.vermillion > 200;
}

struct ScriptResult {
  int status = -1;
  std::string output;
};
ScriptResult run_browser_check(const std::string& page, const std::string& out,
                               const std::vector<std::string>& ids, int height = 4000) {
  // The script sits beside this file (CMake compiles tests by absolute path).
  const fs::path script = fs::path(__FILE__).parent_path() / "check_report_browser.sh";
  std::string cmd = fmt::format("bash '{}' '{}' '{}' {}", script.string(), page, out, height);
  for (const auto& id : ids) cmd += " '" + id + "'";
  cmd += " 2>&1";
  ScriptResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int st = ::pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

// Skipped (a WARN, the test passes) when Chromium is not installed: the script exits 77.
TEST_CASE("report: headless Chromium renders the report without console messages",
          "[study][chromium]") {
  // The demo report stays beside the test program (build/tests/study_report_demo) for a person
  // to open.
  TempDir dir;
  Store store = make_study(dir);
  const std::string out =
      (fs::read_symlink("/proc/self/exe").parent_path() / "study_report_demo").string();
  write_report(store, out);
  const ScriptResult r = run_browser_check(out + "/report.html", out + "/browser", kFigureIds);
  INFO(r.output);
  if (r.status == 77) {
    WARN("skipped: " << r.output);
    return;
  }
  REQUIRE(r.status == 0);
  const PixelStats s = pixel_stats(out + "/browser/screenshot.png");
  INFO("non-white " << s.non_white << ", colours " << s.colours << ", blue " << s.blue
                    << ", vermillion " << s.vermillion);
  CHECK(looks_drawn(s));
}

TEST_CASE("report: the browser check fails on a script error, a bad SVG number and a blank page",
          "[study][chromium]") {
  TempDir dir;
  auto page = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir.file(name)) << "<!DOCTYPE html><html><body>" << body << "</body></html>";
    return dir.file(name);
  };
  const ScriptResult js = run_browser_check(
      page("js.html", "<figure id=\"fig-x\"></figure><script>undefined_function();</script>"),
      dir.file("js"), {"fig-x"}, 300);
  if (js.status == 77) {
    WARN("skipped: " << js.output);
    return;
  }
  INFO(js.output);
  CHECK(js.status == 1);
  CHECK(js.output.find("Uncaught ReferenceError") != std::string::npos);

  const ScriptResult svg = run_browser_check(
      page("svg.html",
           "<figure id=\"fig-x\"><svg width=\"10\" height=\"10\"><path d=\"M nan 3 L 4 5\"/>"
           "</svg></figure>"),
      dir.file("svg"), {"fig-x", "fig-missing"}, 300);
  INFO(svg.output);
  CHECK(svg.status == 1);
  CHECK(svg.output.find("attribute d") != std::string::npos);
  CHECK(svg.output.find("no element with id=\"fig-missing\"") != std::string::npos);

  const ScriptResult blank =
      run_browser_check(page("blank.html", "<p></p>"), dir.file("blank"), {}, 300);
  INFO(blank.output);
  CHECK(blank.status == 0);  // a blank page is valid HTML; the pixels tell it apart
  CHECK_FALSE(looks_drawn(pixel_stats(dir.file("blank/screenshot.png"))));
}
