#include "tapegrad/core/format.hpp"

#include <algorithm>
#include <cmath>

namespace tg {

namespace {

struct Printer {
  const Tensor& t;
  const PrintOptions& o;
  bool summarize;
  bool is_int;
  bool sci = false;
  int width = 1;
  std::string out;

  std::string fmt_value(double v) const {
    if (is_int) return fmt::format("{}", static_cast<std::int64_t>(v));
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (sci) return fmt::format("{:.{}e}", v, o.precision);
    return fmt::format("{:.{}f}", v, o.precision);
  }

  // Indices shown along a dimension of size n.
  std::vector<std::int64_t> shown(std::int64_t n) const {
    std::vector<std::int64_t> idx;
    if (summarize && n > 2 * o.edgeitems) {
      for (std::int64_t i = 0; i < o.edgeitems; ++i) idx.push_back(i);
      idx.push_back(-1);  // "..."
      for (std::int64_t i = n - o.edgeitems; i < n; ++i) idx.push_back(i);
    } else {
      for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(std::vector<std::int64_t>& index, std::size_t d, std::vector<double>& vals) const {
    if (d == index.size()) {
      vals.push_back(t.at<double>(index));
      return;
    }
    for (auto i : shown(t.shape()[d])) {
      if (i < 0) continue;
      index[d] = i;
      collect(index, d + 1, vals);
    }
  }

  void emit(std::vector<std::int64_t>& index, std::size_t d, std::size_t indent) {
    const std::size_t nd = index.size();
    if (d == nd) {
      const std::string s = fmt_value(t.at<double>(index));
      out +=
          std::string(
              static_cast<std::size_t>(std::max<int>(0, width - static_cast<int>(s.size()))), ' ') +
          s;
      return;
    }
    out += '[';
    const auto idx = shown(t.shape()[d]);
    std::size_t col = indent + 1;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k) {
        if (d + 1 == nd) {
          out += ", ";
          col += 2;
          if (o.linewidth > 0 &&
              col + static_cast<std::size_t>(width) > static_cast<std::size_t>(o.linewidth)) {
            out += '\n' + std::string(indent + 1, ' ');
            col = indent + 1;
          }
        } else {
          out += ',';
          out += std::string(nd - d - 1, '\n');
          out += std::string(indent + 1, ' ');
        }
      }
      if (idx[k] < 0) {
        out += "...";
        col += 3;
        continue;
      }
      index[d] = idx[k];
      emit(index, d + 1, indent + 1);
      col += static_cast<std::size_t>(width);
    }
    out += ']';
  }
};

}  // namespace

std::string to_string(const Tensor& t, const PrintOptions& opts) {
  if (!t.defined()) return "tensor(undefined)";
  Printer p{t, opts, t.numel() > opts.threshold, t.dtype() == DType::Int64};
  std::string body;
  if (t.numel() == 0) {
    body = "[]";
  } else {
    std::vector<std::int64_t> index(static_cast<std::size_t>(t.dim()), 0);
    std::vector<double> vals;
    p.collect(index, 0, vals);
    if (!p.is_int) {
      double mx = 0, mn = INFINITY;
      for (double v : vals)
        if (std::isfinite(v) && v != 0) {
          mx = std::max(mx, std::abs(v));
          mn = std::min(mn, std::abs(v));
        }
      p.sci = mx >= 1e8 || (mx > 0 && mn < 1e-4) || (mx > 0 && mx / mn > 1e3 && mn < 1e-2);
    }
    for (double v : vals) p.width = std::max<int>(p.width, static_cast<int>(p.fmt_value(v).size()));
    p.emit(index, 0, 7);
    body = std::move(p.out);
  }
  return fmt::format("tensor({}, shape={}, dtype={}{})", body, shape_str(t.shape()), t.dtype(),
                     t.requires_grad() ? ", requires_grad=true" : "");
}

}  // namespace tg
