#include "tapegrad/activations/spec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "tapegrad/core/error.hpp"

namespace tg::act {

namespace {

struct Parser {
  std::string_view s;
  std::size_t i = 0;

  [[noreturn]] void error(const std::string& what) const {
    fail("malformed activation spec '{}': {} at position {}{}", s, what, i,
         i < s.size() ? fmt::format(" (found '{}')", s[i]) : std::string(" (end of text)"));
  }
  void skip_ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
  std::string ident(const char* what) {
    skip_ws();
    const std::size_t b = i;
    if (i >= s.size() || !(std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_'))
      error(fmt::format("expected {}", what));
    while (i < s.size() && ident_char(s[i])) ++i;
    return std::string(s.substr(b, i - b));
  }
  std::string value() {
    skip_ws();
    const std::size_t b = i;
    while (i < s.size() && (ident_char(s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '+')) ++i;
    if (i == b) error("expected a value");
    return std::string(s.substr(b, i - b));
  }
};

}  // namespace

Spec Spec::parse(std::string_view text) {
  Spec sp;
  sp.text_ = std::string(text);
  Parser p{text};
  sp.name_ = p.ident("an activation name");
  p.skip_ws();
  if (p.i < text.size()) {
    if (text[p.i] != '(') p.error("expected '(' or the end of the spec");
    ++p.i;
    p.skip_ws();
    if (p.i < text.size() && text[p.i] == ')') {
      ++p.i;
    } else {
      while (true) {
        const std::string key = p.ident("a parameter name");
        p.skip_ws();
        if (p.i >= text.size() || text[p.i] != '=')
          p.error(fmt::format("expected '=' after '{}'", key));
        ++p.i;
        const std::string v = p.value();
        if (sp.values_.count(key)) p.error(fmt::format("'{}' is given twice", key));
        sp.values_[key] = v;
        p.skip_ws();
        if (p.i < text.size() && text[p.i] == ',') {
          ++p.i;
          continue;
        }
        if (p.i < text.size() && text[p.i] == ')') {
          ++p.i;
          break;
        }
        p.error("expected ',' or ')'");
      }
    }
    p.skip_ws();
    if (p.i != text.size()) p.error("unexpected text after ')'");
  }
  return sp;
}

double Spec::get_double(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const std::string& v = it->second;
  double out = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size())
    fail("activation '{}': {}={} is not a number", name_, key, v);
  return out;
}

std::int64_t Spec::get_int(const std::string& key, std::int64_t fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const std::string& v = it->second;
  std::int64_t out = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size())
    fail("activation '{}': {}={} is not an integer", name_, key, v);
  return out;
}

bool Spec::get_bool(const std::string& key, bool fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  fail("activation '{}': {}={} is not a boolean (use true or false)", name_, key, it->second);
}

std::string Spec::get_string(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: insertions, deletions, substitutions and transpositions
  // of adjacent letters ("prleu" is one edit from "prelu").
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace tg::act
