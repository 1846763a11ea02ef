#pragma once
// Activation spec strings: `relu`, `leaky_relu(slope=0.1)`, `prelu(init=0.1, per_channel=true)`.
// Grammar: name [ '(' key '=' value { ',' key '=' value } ')' ], whitespace anywhere between
// tokens; a value is a number, true/false, or a bare word.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tg::act {

class Spec {
 public:
  // Throws tg::Error naming the position and what was expected on malformed text.
  static Spec parse(std::string_view text);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  const std::map<std::string, std::string>& values() const { return values_; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  // Typed access; a value that does not parse as the type is a tg::Error naming the key.
  double get_double(const std::string& key, double fallback) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;

 private:
  std::string text_, name_;
  std::map<std::string, std::string> values_;
};

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` (empty if none is reasonably close).
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tg::act
