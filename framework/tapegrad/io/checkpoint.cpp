#include "tapegrad/io/checkpoint.hpp"

#include <charconv>
#include <string_view>
#include <system_error>

#include "tapegrad/core/error.hpp"
#include "tapegrad/io/safetensors.hpp"
#include "tapegrad/version.hpp"

namespace tg::io {

namespace {

constexpr std::string_view kModelPrefix = "model.";
constexpr std::string_view kOptimPrefix = "optim.";
constexpr std::string_view kScalarPrefix = "optim_scalar.";
constexpr const char* kVersionKey = "tapegrad_version";
constexpr const char* kEpochKey = "epoch";
constexpr const char* kRngKey = "rng";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_reserved(const std::string& key) {
  return key == kVersionKey || key == kEpochKey || key == kRngKey ||
         starts_with(key, kScalarPrefix);
}

// from_chars must consume the whole text: "12abc" and "" are errors, not 12 and 0.
template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::string format_rng(const std::array<std::uint64_t, 7>& s) {
  return fmt::format("{}", fmt::join(s, ","));
}

std::array<std::uint64_t, 7> parse_rng(const std::string& text, const std::string& path) {
  std::array<std::uint64_t, 7> s{};
  std::string_view rest = text;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t comma = rest.find(',');
    const bool last = i + 1 == s.size();
    if (last != (comma == std::string_view::npos) || !parse_number(rest.substr(0, comma), s[i]))
      fail(
          "load_checkpoint: '{}': metadata '{}' must be 7 comma-separated unsigned integers, got "
          "'{}'",
          path, kRngKey, text);
    if (!last) rest.remove_prefix(comma + 1);
  }
  return s;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  std::map<std::string, std::string> meta;
  for (const auto& [k, v] : c.metadata) {
    if (is_reserved(k))
      fail("save_checkpoint: '{}': metadata key '{}' is reserved (reserved: {}, {}, {}, {}*)", path,
           k, kVersionKey, kEpochKey, kRngKey, kScalarPrefix);
    meta[k] = v;
  }
  meta[kVersionKey] = kVersion;
  meta[kEpochKey] = fmt::format("{}", c.epoch);
  if (c.rng) meta[kRngKey] = format_rng(*c.rng);
  // fmt's "{}" is the shortest text that reads back as the same double.
  for (const auto& [k, v] : c.optimizer.scalars)
    meta[fmt::format("{}{}", kScalarPrefix, k)] = fmt::format("{}", v);

  std::map<std::string, Tensor> tensors;
  for (const auto& [k, t] : c.model) tensors[fmt::format("{}{}", kModelPrefix, k)] = t;
  for (const auto& [k, t] : c.optimizer.tensors) tensors[fmt::format("{}{}", kOptimPrefix, k)] = t;
  save_safetensors(path, tensors, meta);
}

Checkpoint load_checkpoint(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  Checkpoint c;
  for (auto& [name, t] : f.tensors) {
    if (starts_with(name, kModelPrefix))
      c.model[name.substr(kModelPrefix.size())] = std::move(t);
    else if (starts_with(name, kOptimPrefix))
      c.optimizer.tensors[name.substr(kOptimPrefix.size())] = std::move(t);
    else
      fail(
          "load_checkpoint: '{}': tensor '{}' is neither 'model.*' nor 'optim.*' (not a tapegrad "
          "checkpoint?)",
          path, name);
  }
  for (const auto& [k, v] : f.metadata) {
    if (k == kVersionKey) continue;
    if (k == kEpochKey) {
      if (!parse_number(v, c.epoch))
        fail("load_checkpoint: '{}': metadata '{}' must be an integer, got '{}'", path, k, v);
    } else if (k == kRngKey) {
      c.rng = parse_rng(v, path);
    } else if (starts_with(k, kScalarPrefix)) {
      double d = 0;
      if (!parse_number(v, d))
        fail("load_checkpoint: '{}': metadata '{}' must be a number, got '{}'", path, k, v);
      c.optimizer.scalars[k.substr(kScalarPrefix.size())] = d;
    } else {
      c.metadata[k] = v;
    }
  }
  return c;
}

void save_model(const std::string& path, const nn::Module& model,
                const std::map<std::string, std::string>& metadata) {
  // A model file has no optimizer, epoch or rng, but records the version like a checkpoint.
  std::map<std::string, std::string> meta;
  for (const auto& [k, v] : metadata) {
    if (is_reserved(k))
      fail("save_model: '{}': metadata key '{}' is reserved (reserved: {}, {}, {}, {}*)", path, k,
           kVersionKey, kEpochKey, kRngKey, kScalarPrefix);
    meta[k] = v;
  }
  meta[kVersionKey] = kVersion;
  std::map<std::string, Tensor> tensors;
  for (const auto& [k, t] : model.state_dict()) tensors[fmt::format("{}{}", kModelPrefix, k)] = t;
  save_safetensors(path, tensors, meta);
}

void load_model(const std::string& path, nn::Module& model, bool strict) {
  SafetensorsFile f = load_safetensors(path);
  nn::StateDict sd;
  for (auto& [name, t] : f.tensors)
    if (starts_with(name, kModelPrefix)) sd[name.substr(kModelPrefix.size())] = std::move(t);
  if (sd.empty())
    fail(
        "load_model: '{}' has no model tensors (names starting with 'model.'; it has {} other "
        "tensors)",
        path, f.tensors.size());
  model.load_state_dict(sd, strict);
}

}  // namespace tg::io
