// read_plan_toml: the study file. Kept apart from plan.cpp because toml++ is a large header.
#include <fmt/format.h>

#include <toml++/toml.h>

#include "tapegrad/core/error.hpp"
#include "tapegrad/study/plan.hpp"

namespace tg::study {

namespace {

struct TomlReader {
  std::string path;

  [[noreturn]] void bad(const toml::node& n, std::string_view key,
                        std::string_view expected) const {
    fail("{}:{}: '{}' must be {}", path, n.source().begin.line, key, expected);
  }

  std::string str(const toml::node& n, std::string_view key) const {
    if (auto v = n.value<std::string>()) return *v;
    bad(n, key, "a string");
  }
  std::int64_t integer(const toml::node& n, std::string_view key) const {
    if (n.is_integer()) return *n.value<std::int64_t>();
    bad(n, key, "an integer");
  }
  double number(const toml::node& n, std::string_view key) const {
    if (n.is_integer() || n.is_floating_point()) return *n.value<double>();
    bad(n, key, "a number");
  }
  bool boolean(const toml::node& n, std::string_view key) const {
    if (auto v = n.value<bool>()) return *v;
    bad(n, key, "true or false");
  }
  std::vector<std::string> strings(const toml::node& n, std::string_view key) const {
    const toml::array* a = n.as_array();
    if (!a) bad(n, key, "a list of strings");
    std::vector<std::string> out;
    for (const toml::node& e : *a) out.push_back(str(e, key));
    return out;
  }
  std::vector<std::int64_t> integers(const toml::node& n, std::string_view key) const {
    const toml::array* a = n.as_array();
    if (!a) bad(n, key, "a list of integers");
    std::vector<std::int64_t> out;
    for (const toml::node& e : *a) out.push_back(integer(e, key));
    return out;
  }
  const toml::table& table(const toml::node& n, std::string_view key) const {
    if (const toml::table* t = n.as_table()) return *t;
    bad(n, key, "a table");
  }
};

void read_recipe(const TomlReader& in, const toml::table& t, train::Recipe& r) {
  for (auto&& [k, v] : t) {
    const std::string key = fmt::format("recipe.{}", k.str());
    const std::string_view name = k.str();
    if (name == "data")
      r.data = in.str(v, key);
    else if (name == "dataset")
      r.dataset = in.str(v, key);
    else if (name == "hidden")
      r.hidden = in.integers(v, key);
    else if (name == "init")
      r.init = in.str(v, key);
    else if (name == "momentum")
      r.momentum = in.number(v, key);
    else if (name == "weight_decay")
      r.weight_decay = in.number(v, key);
    else if (name == "act_lr")
      r.act_lr = in.number(v, key);
    else if (name == "act_weight_decay")
      r.act_weight_decay = in.number(v, key);
    else if (name == "epochs")
      r.epochs = in.integer(v, key);
    else if (name == "batch_size")
      r.batch_size = in.integer(v, key);
    else if (name == "threads")
      r.threads = static_cast<int>(in.integer(v, key));
    else if (name == "limit_train")
      r.limit_train = in.integer(v, key);
    else if (name == "limit_test")
      r.limit_test = in.integer(v, key);
    else if (name == "val_split")
      r.val_split = in.integer(v, key);
    else if (name == "augment")
      r.augment = in.boolean(v, key);
    else if (name == "normalize")
      r.normalize = in.boolean(v, key);
    else if (name == "cell_act")
      r.cell_act = in.str(v, key);
    else if (name == "rnn_hidden")
      r.rnn_hidden = in.integer(v, key);
    else if (name == "rnn_layers")
      r.rnn_layers = in.integer(v, key);
    else if (name == "clip_grad_norm")
      r.clip_grad_norm = in.number(v, key);
    else
      fail(
          "{}:{}: unknown key '{}' (the recipe's keys: data, dataset, hidden, init, momentum, "
          "weight_decay, act_lr, act_weight_decay, epochs, batch_size, threads, limit_train, "
          "limit_test, val_split, augment, normalize, cell_act, rnn_hidden, rnn_layers, "
          "clip_grad_norm)",
          in.path, v.source().begin.line, key);
  }
}

void read_monitor(const TomlReader& in, const toml::table& t, Plan& p) {
  for (auto&& [k, v] : t) {
    const std::string key = fmt::format("monitor.{}", k.str());
    const std::string_view name = k.str();
    MonitorOptions& m = p.monitor;
    if (name == "probe_size")
      p.probe_size = in.integer(v, key);
    else if (name == "saturation_threshold")
      m.saturation_threshold = in.number(v, key);
    else if (name == "hist_lo")
      m.hist_lo = in.number(v, key);
    else if (name == "hist_hi")
      m.hist_hi = in.number(v, key);
    else if (name == "hist_bins")
      m.hist_bins = in.integer(v, key);
    else if (name == "shape_lo")
      m.shape_lo = in.number(v, key);
    else if (name == "shape_hi")
      m.shape_hi = in.number(v, key);
    else if (name == "shape_points")
      m.shape_points = in.integer(v, key);
    else
      fail(
          "{}:{}: unknown key '{}' (the monitor's keys: probe_size, saturation_threshold, "
          "hist_lo, hist_hi, hist_bins, shape_lo, shape_hi, shape_points)",
          in.path, v.source().begin.line, key);
  }
}

}  // namespace

Plan read_plan_toml(const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    fail("{}:{}: {}", path, e.source().begin.line, e.description());
  }
  const TomlReader in{path};
  Plan p;
  for (auto&& [k, v] : doc) {
    const std::string_view name = k.str();
    if (name == "arms") {
      p.arms = in.strings(v, name);
    } else if (name == "models") {
      p.models = in.strings(v, name);
    } else if (name == "baseline") {
      p.baseline = in.str(v, name);
    } else if (name == "seeds") {
      if (v.is_integer()) {
        const std::int64_t n = in.integer(v, name);
        TG_CHECK(n > 0 && n <= 1000, "{}:{}: seeds = {}: expected 1 to 1000", path,
                 v.source().begin.line, n);
        p.seeds.clear();
        for (std::int64_t s = 1; s <= n; ++s) p.seeds.push_back(s);
      } else {
        p.seeds = in.integers(v, name);
      }
    } else if (name == "optimizers") {
      const toml::array* a = v.as_array();
      if (!a) in.bad(v, name, "an array of tables ([[optimizers]])");
      p.optimizers.clear();
      for (const toml::node& e : *a) {
        const toml::table& t = in.table(e, name);
        std::string opt = "adam";
        std::vector<double> lrs{1e-3};
        for (auto&& [ok, ov] : t) {
          const std::string key = fmt::format("optimizers.{}", ok.str());
          if (ok.str() == "name") {
            opt = in.str(ov, key);
          } else if (ok.str() == "lr") {
            lrs.clear();
            if (const toml::array* la = ov.as_array())
              for (const toml::node& l : *la) lrs.push_back(in.number(l, key));
            else
              lrs.push_back(in.number(ov, key));
          } else {
            fail("{}:{}: unknown key '{}' (an optimizer has a name and an lr)", path,
                 ov.source().begin.line, key);
          }
        }
        for (double lr : lrs) p.optimizers.push_back({opt, lr});
      }
    } else if (name == "recipe") {
      read_recipe(in, in.table(v, name), p.recipe);
    } else if (name == "monitor") {
      read_monitor(in, in.table(v, name), p);
    } else {
      fail(
          "{}:{}: unknown key '{}' (a study file has arms, models, seeds, baseline, "
          "[[optimizers]], [recipe] and [monitor])",
          path, v.source().begin.line, name);
    }
  }
  return p;
}

}  // namespace tg::study
