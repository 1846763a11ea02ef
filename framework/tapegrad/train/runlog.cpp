#include "tapegrad/train/runlog.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "tapegrad/core/error.hpp"

namespace tg::train {

namespace {

using json = nlohmann::json;

// Per-epoch fields and their JSON list names.
struct Field {
  const char* key;
  double EpochRecord::*member;
};
constexpr Field kFields[] = {
    {"train_loss", &EpochRecord::train_loss},
    {"train_accuracy", &EpochRecord::train_accuracy},
    {"test_loss", &EpochRecord::test_loss},
    {"test_accuracy", &EpochRecord::test_accuracy},
    {"epoch_seconds", &EpochRecord::epoch_seconds},
    {"images_per_second", &EpochRecord::images_per_second},
};
// Written only by runs with a validation split.
constexpr Field kValidationFields[] = {
    {"val_loss", &EpochRecord::val_loss},
    {"val_accuracy", &EpochRecord::val_accuracy},
};

}  // namespace

std::string RunLog::to_json(int indent) const {
  json j = json::object();
  for (const auto& [k, v] : info_) std::visit([&](const auto& x) { j[k] = x; }, v);
  json epochs = json::array();
  for (const EpochRecord& e : epochs_) epochs.push_back(e.epoch);
  j["epochs"] = epochs;
  for (const Field& f : kFields) {
    json list = json::array();
    for (const EpochRecord& e : epochs_) list.push_back(e.*f.member);
    j[f.key] = list;
  }
  if (has_validation()) {
    for (const Field& f : kValidationFields) {
      json list = json::array();
      for (const EpochRecord& e : epochs_) list.push_back(e.*f.member);
      j[f.key] = list;
    }
    j["best_validation_epoch"] = best_validation_epoch();
  }
  return j.dump(indent);
}

RunLog RunLog::from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail("run log: invalid JSON ({})", e.what());
  }
  TG_CHECK(j.is_object(), "run log: expected a JSON object, got {}", j.type_name());
  RunLog log;
  try {
    const auto& ep = j.at("epochs");
    TG_CHECK(ep.is_array(), "run log: 'epochs' must be a list");
    log.epochs_.resize(ep.size());
    for (std::size_t i = 0; i < ep.size(); ++i) log.epochs_[i].epoch = ep[i].get<std::int64_t>();
    for (const Field& f : kFields) {
      const auto& list = j.at(f.key);
      TG_CHECK(list.is_array() && list.size() == ep.size(),
               "run log: '{}' must be a list of {} numbers", f.key, ep.size());
      for (std::size_t i = 0; i < ep.size(); ++i) log.epochs_[i].*f.member = list[i].get<double>();
    }
    for (const Field& f : kValidationFields) {
      if (!j.contains(f.key)) continue;
      const auto& list = j.at(f.key);
      TG_CHECK(list.is_array() && list.size() == ep.size(),
               "run log: '{}' must be a list of {} numbers", f.key, ep.size());
      for (std::size_t i = 0; i < ep.size(); ++i) log.epochs_[i].*f.member = list[i].get<double>();
    }
    for (const auto& [k, v] : j.items()) {
      if (k == "epochs" || k == "best_validation_epoch" || v.is_array()) continue;
      if (v.is_boolean())
        log.info_[k] = v.get<bool>();
      else if (v.is_number_integer())
        log.info_[k] = v.get<std::int64_t>();
      else if (v.is_number())
        log.info_[k] = v.get<double>();
      else if (v.is_string())
        log.info_[k] = v.get<std::string>();
    }
  } catch (const json::exception& e) {
    fail("run log: {}", e.what());
  }
  return log;
}

std::int64_t RunLog::best_validation_epoch() const {
  if (!has_validation()) return 0;
  const EpochRecord* best = &epochs_.front();
  for (const EpochRecord& e : epochs_)
    if (e.val_accuracy > best->val_accuracy) best = &e;
  return best->epoch;
}

void RunLog::write(const std::string& path) const {
  const std::string text = to_json() + "\n";
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    TG_CHECK(f.good(), "run log: cannot write '{}'", tmp);
    f << text;
    f.flush();
    if (!f.good()) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      fail("run log: writing '{}' failed", tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    fail("run log: cannot rename '{}' to '{}': {}", tmp, path, ec.message());
  }
}

}  // namespace tg::train
