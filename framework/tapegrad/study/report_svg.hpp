#pragma once
// A minimal SVG writer for the study report's figures (internal to study/report_*.cpp).
//
// Coordinates are written with two decimals, and an element with a non-finite coordinate is
// left out (a polyline is broken into pieces instead): browsers reject an attribute such as
// d="M nan 3" with an error and a data set with a NaN must still give a valid page. Text is
// HTML-escaped here, so callers pass plain text from the database. Styling uses the CSS classes
// of the report page (.tick, .lab, .grid, .ax, .note), so the SVGs are meant for inline use in it.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tg::study::report_detail {

class Svg {
 public:
  Svg(double width, double height, std::string_view label);

  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            std::string_view extra = {});
  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view extra = {}, std::string_view title = {});
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view title = {},
              std::string_view extra = {});
  // `extra`: raw attributes (text-anchor="end", class="lab", ...).
  void text(double x, double y, std::string_view s, std::string_view extra = {});
  // Through the finite points in order; a non-finite point ends one piece and starts the next.
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                double width, std::string_view extra = {}, std::string_view title = {});
  // The area between lo and hi over xs (same lengths), split where any value is not finite.
  void band(const std::vector<double>& xs, const std::vector<double>& lo,
            const std::vector<double>& hi, std::string_view fill, double opacity,
            std::string_view title = {});
  std::string finish();

 private:
  std::string out_;
};

// A map from data to pixels, linear or log10.
struct Scale {
  double d0 = 0.0, d1 = 1.0, r0 = 0.0, r1 = 1.0;
  bool log = false;
  double operator()(double v) const;
};
// Data lo..hi onto pixels r0..r1; a missing, non-finite or empty range is widened into a usable
// one, so that a scale always maps finite data to finite pixels.
Scale linear_scale(double lo, double hi, double r0, double r1, bool pad = true);
// lo, hi > 0 (others are clamped), widened to whole decades when they span less than one.
Scale log_scale(double lo, double hi, double r0, double r1);
// About `target` round values (1, 2 or 5 times a power of ten) covering the scale's domain.
std::vector<double> ticks_of(const Scale& s, int target);

struct Frame {
  double left = 0.0, top = 0.0, width = 0.0, height = 0.0;
};
using TickText = std::function<std::string(double)>;
// Grid lines, the axis lines, tick labels and axis titles of one plot panel.
void draw_axes(Svg& svg, const Frame& f, const Scale& x, const Scale& y,
               const std::vector<double>& xt, const std::vector<double>& yt,
               std::string_view xlabel, std::string_view ylabel, const TickText& xtext,
               const TickText& ytext);
std::string tick_text(double v);

// `hex` ("#RRGGBB") mixed with white: t = 1 the colour itself, t = 0 white.
std::string mix_white(std::string_view hex, double t);
// A sequential colour for v in [0, 1] (light to dark blue), and the text colour readable on it.
std::string sequential_colour(double v);
std::string text_colour_on(double v);
// `s` cut to at most n characters (UTF-8 aware) with an ellipsis.
std::string shorten(std::string_view s, std::size_t n);

}  // namespace tg::study::report_detail
