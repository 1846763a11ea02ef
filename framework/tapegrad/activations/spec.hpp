#pragma once
/// @file
/// Activation spec strings: `relu`, `leaky_relu(slope=0.1)`, `prelu(init=0.1, per_channel=true)`.
/// Grammar: name [ '(' key '=' value { ',' key '=' value } ')' ], whitespace anywhere between
/// tokens; a value is a number, true/false, or a bare word.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tg::act {

/// A parsed activation spec string: the name and the key = value pairs.
class Spec {
 public:
  /// Throws tg::Error naming the position and what was expected on malformed text.
  static Spec parse(std::string_view text);

  const std::string& name() const { return name_; }  ///< the activation name
  const std::string& text() const { return text_; }  ///< the text it was parsed from
  /// The key = value pairs, values as written.
  const std::map<std::string, std::string>& values() const { return values_; }
  /// True when the spec gives key.
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  /// @name Typed access
  /// Typed access: the value of key, or fallback when the spec does not give it. A value that
  /// does not parse as the type is a tg::Error naming the key.
  /// @{

  /// A number.
  double get_double(const std::string& key, double fallback) const;
  /// An integer.
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  /// true or false.
  bool get_bool(const std::string& key, bool fallback) const;
  /// A bare word, as written.
  std::string get_string(const std::string& key, const std::string& fallback) const;
  /// @}

 private:
  std::string text_, name_;
  std::map<std::string, std::string> values_;
};

/// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word` (empty if none is reasonably close).
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tg::act
