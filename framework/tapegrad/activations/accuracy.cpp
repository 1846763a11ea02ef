#include "tapegrad/activations/accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/error.hpp"

namespace tg::act {

std::vector<ReferenceSpec> read_reference(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("activation reference: cannot open '{}'", path);
  std::vector<ReferenceSpec> out;
  std::string line;
  std::size_t lineno = 0;
  bool open = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    auto bad = [&](const char* what) {
      fail("activation reference {}:{}: {} (line: '{}')", path, lineno, what, line);
    };
    if (kind == "spec") {
      if (open) bad("'spec' before the previous spec's 'end'");
      ReferenceSpec s;
      if (!(ls >> s.spec)) bad("expected 'spec <spec string>'");
      out.push_back(std::move(s));
      open = true;
    } else if (kind == "param") {
      if (!open) bad("'param' outside a spec");
      std::string name, v;
      if (!(ls >> name)) bad("expected 'param <name> <values...>'");
      std::vector<double> values;
      while (ls >> v) values.push_back(std::strtod(v.c_str(), nullptr));
      if (values.empty()) bad("a param line needs at least one value");
      out.back().params.emplace_back(name, std::move(values));
    } else if (kind == "x") {
      if (!open) bad("'x' outside a spec");
      std::string xs, fs, ds;
      if (!(ls >> xs >> fs >> ds)) bad("expected 'x <x> <f(x)> <f'(x)>'");
      char* end = nullptr;
      ReferencePoint p;
      p.x = std::strtod(xs.c_str(), &end);
      if (*end != '\0') bad("x is not a number");
      p.f = std::strtold(fs.c_str(), &end);
      if (*end != '\0') bad("f(x) is not a number");
      p.df = std::strtold(ds.c_str(), &end);
      if (*end != '\0') bad("f'(x) is not a number");
      out.back().points.push_back(p);
    } else if (kind == "absolute") {
      if (!open) bad("'absolute' outside a spec");
      std::string which;
      ls >> which;
      if (which == "f")
        out.back().absolute_f = true;
      else if (which == "df")
        out.back().absolute_df = true;
      else
        bad("expected 'absolute f' or 'absolute df'");
    } else if (kind == "end") {
      if (!open) bad("'end' without a spec");
      open = false;
    } else {
      bad("unknown record (expected spec, param, absolute, x or end)");
    }
  }
  if (open) fail("activation reference {}: the last spec has no 'end'", path);
  if (out.empty()) fail("activation reference {}: no spec in the file", path);
  return out;
}

double ulp_of(long double v, DType dtype) {
  const bool f32 = dtype == DType::Float32;
  const int digits = f32 ? std::numeric_limits<float>::digits : std::numeric_limits<double>::digits;
  const int min_exp =
      f32 ? std::numeric_limits<float>::min_exponent : std::numeric_limits<double>::min_exponent;
  const long double a = std::fabs(v);
  // a = m 2^e with m in [0.5, 1): the spacing there is 2^(e - digits), no finer than subnormal.
  int e = 0;
  if (a > 0) std::frexp(static_cast<double>(a), &e);
  e = std::max(a > 0 ? e : min_exp, min_exp);
  return std::ldexp(1.0, e - digits);
}

namespace {

// Points within a root of the reference away from x = 0 (a sign change between neighbouring
// points, the root not within 2^-20 of 0): the computed value there is a difference of terms
// far larger than itself, so its error is absolute (a few ulps of those terms) and its error in
// ulps of the tiny result says nothing. Such a point is within 1/4 + |root| / 16 of the root.
std::vector<bool> near_root(const std::vector<ReferencePoint>& pts, bool derivative) {
  std::vector<std::size_t> order(pts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return pts[a].x < pts[b].x; });
  auto val = [&](std::size_t i) { return derivative ? pts[i].df : pts[i].f; };
  std::vector<double> roots;
  for (std::size_t k = 0; k + 1 < order.size(); ++k) {
    const long double a = val(order[k]), b = val(order[k + 1]);
    if (a == 0 || b == 0 || (a < 0) == (b < 0)) continue;
    const double xa = pts[order[k]].x, xb = pts[order[k + 1]].x;
    const double r = xa + (xb - xa) * static_cast<double>(a / (a - b));
    if (std::fabs(r) > 0x1p-20 && !(xa <= 0 && xb >= 0)) roots.push_back(r);
  }
  std::vector<bool> near(pts.size(), false);
  for (std::size_t i = 0; i < pts.size(); ++i)
    for (double r : roots)
      if (std::fabs(pts[i].x - r) < 0.25 + std::fabs(r) / 16) near[i] = true;
  return near;
}

void accumulate(ErrorSummary& s, double x, long double computed, long double ref, DType dt,
                bool near) {
  const double tiny_limit =
      dt == DType::Float32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
  const bool tiny = std::fabs(ref) < tiny_limit;
  if (std::isnan(static_cast<double>(computed))) {
    s.max_ulp = s.max_abs = s.max_ulp_away = s.max_abs_tiny =
        std::numeric_limits<double>::infinity();
    s.x_ulp = s.x_abs = s.x_ulp_away = x;
    return;
  }
  const long double err = std::fabs(computed - ref);
  const double ulps = static_cast<double>(err / ulp_of(ref, dt));
  if (ulps > s.max_ulp) s.max_ulp = ulps, s.x_ulp = x;
  if (tiny) {
    s.max_abs_tiny = std::max(s.max_abs_tiny, static_cast<double>(err));
  } else if (near) {
    if (static_cast<double>(err) > s.max_abs) s.max_abs = static_cast<double>(err), s.x_abs = x;
  } else if (ulps > s.max_ulp_away) {
    s.max_ulp_away = ulps, s.x_ulp_away = x;
  }
}

// A value of the dtype whose softplus (tapegrad's op, in that dtype) is exactly v; the nearest
// to log(e^v - 1) if none is.
double softplus_preimage(double v, DType dt) {
  const double guess = std::log(std::expm1(v));
  const bool f32 = dt == DType::Float32;
  double c = f32 ? static_cast<double>(static_cast<float>(guess)) : guess;
  for (int step = 0; step < 64; ++step) {
    const double got = softplus_parameter(tensor({c}, {1}, dt)).to_vector<double>()[0];
    if (got == v) return c;
    const double dir = got < v ? HUGE_VAL : -HUGE_VAL;
    c = f32 ? static_cast<double>(std::nextafter(static_cast<float>(c), static_cast<float>(dir)))
            : std::nextafter(c, dir);
  }
  return guess;
}

AccuracyRow measure_one(const ReferenceSpec& r, DType dt) {
  auto a = make(r.spec, 1, dt);
  {
    NoGradGuard ng;
    for (const auto& [name_in, values] : r.params) {
      // "softplus_of:NAME": NAME holds softplus^-1 of the values; give it the stored value whose
      // softplus (as the module computes it, in its dtype) is exactly the value, so that the
      // reference at the nominal value is the reference of what the kernel computes.
      const std::string prefix = "softplus_of:";
      const bool sp = name_in.rfind(prefix, 0) == 0;
      const std::string name = sp ? name_in.substr(prefix.size()) : name_in;
      bool found = false;
      for (auto& [pname, p] : a->named_parameters()) {
        if (pname != name) continue;
        if (p.numel() != static_cast<std::int64_t>(values.size()))
          fail("activation reference: '{}' parameter '{}' has {} values, the reference gives {}",
               r.spec, name, p.numel(), values.size());
        if (!sp) {
          p.copy_(tensor(values, p.shape(), DType::Float64));
        } else {
          std::vector<double> raw;
          for (double v : values) raw.push_back(softplus_preimage(v, dt));
          p.copy_(tensor(raw, p.shape(), DType::Float64));
        }
        found = true;
      }
      if (!found) fail("activation reference: '{}' has no parameter '{}'", r.spec, name);
    }
  }
  // The points that the dtype can hold (x and f(x) finite in it).
  const double big =
      dt == DType::Float32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  std::vector<ReferencePoint> pts;
  for (const ReferencePoint& p : r.points)
    if (std::fabs(p.f) <= big && std::fabs(p.df) <= big && std::fabs(p.x) <= big) pts.push_back(p);
  std::vector<double> xs;
  for (const ReferencePoint& p : pts) xs.push_back(p.x);
  Tensor x = tensor(xs, {static_cast<std::int64_t>(xs.size())}, dt).requires_grad_();
  Tensor y = (*a)(x);
  y.sum().backward();
  const std::vector<double> fy = y.to_vector<double>(), dy = x.grad().to_vector<double>();
  std::vector<bool> nf = near_root(pts, false), nd = near_root(pts, true);
  if (r.absolute_f) nf.assign(nf.size(), true);
  if (r.absolute_df) nd.assign(nd.size(), true);
  AccuracyRow row;
  row.spec = r.spec;
  row.dtype = dt;
  row.points = pts.size();
  for (std::size_t i = 0; i < pts.size(); ++i) {
    accumulate(row.f, pts[i].x, fy[i], pts[i].f, dt, nf[i]);
    accumulate(row.df, pts[i].x, dy[i], pts[i].df, dt, nd[i]);
  }
  return row;
}

}  // namespace

std::vector<AccuracyRow> measure_accuracy(const std::vector<ReferenceSpec>& ref) {
  std::vector<AccuracyRow> rows;
  for (const ReferenceSpec& r : ref)
    for (DType dt : {DType::Float32, DType::Float64}) rows.push_back(measure_one(r, dt));
  return rows;
}

}  // namespace tg::act
