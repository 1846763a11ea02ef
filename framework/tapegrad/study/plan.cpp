#include "tapegrad/study/plan.hpp"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/core/error.hpp"

namespace tg::study {

namespace {

using json = nlohmann::json;

// The lr as it appears in a run key: the shortest text that reads back as the same double.
std::string lr_text(double lr) { return fmt::format("{}", lr); }

json recipe_json(const train::Recipe& r) {
  return json{{"data", r.data},
              {"dataset", r.dataset},
              {"hidden", r.hidden},
              {"init", r.init},
              {"momentum", r.momentum},
              {"weight_decay", r.weight_decay},
              {"act_lr", r.act_lr},
              {"act_weight_decay", r.act_weight_decay},
              {"epochs", r.epochs},
              {"batch_size", r.batch_size},
              {"threads", r.threads},
              {"limit_train", r.limit_train},
              {"limit_test", r.limit_test},
              {"val_split", r.val_split},
              {"augment", r.augment},
              {"normalize", r.normalize},
              {"cell_act", r.cell_act},
              {"rnn_hidden", r.rnn_hidden},
              {"rnn_layers", r.rnn_layers},
              {"clip_grad_norm", r.clip_grad_norm}};
}

template <class T>
void take(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  TG_CHECK(it != j.end(), "study plan: '{}' is missing", key);
  try {
    out = it->get<T>();
  } catch (const json::exception& e) {
    fail("study plan: '{}' has the wrong type ({})", key, e.what());
  }
}

train::Recipe recipe_from_json(const json& j) {
  train::Recipe r;
  take(j, "data", r.data);
  take(j, "dataset", r.dataset);
  take(j, "hidden", r.hidden);
  take(j, "init", r.init);
  take(j, "momentum", r.momentum);
  take(j, "weight_decay", r.weight_decay);
  take(j, "act_lr", r.act_lr);
  take(j, "act_weight_decay", r.act_weight_decay);
  take(j, "epochs", r.epochs);
  take(j, "batch_size", r.batch_size);
  take(j, "threads", r.threads);
  take(j, "limit_train", r.limit_train);
  take(j, "limit_test", r.limit_test);
  take(j, "val_split", r.val_split);
  take(j, "augment", r.augment);
  take(j, "normalize", r.normalize);
  take(j, "cell_act", r.cell_act);
  take(j, "rnn_hidden", r.rnn_hidden);
  take(j, "rnn_layers", r.rnn_layers);
  take(j, "clip_grad_norm", r.clip_grad_norm);
  return r;
}

}  // namespace

train::Recipe Plan::default_recipe() {
  train::Recipe r;
  r.epochs = 3;
  r.val_split = 5000;
  r.weight_decay = 1e-4;  // train_cnn's default
  return r;
}

void validate(const Plan& p, const std::vector<std::string>& models) {
  TG_CHECK(!p.arms.empty(), "study plan: no activations (arms) to compare");
  TG_CHECK(!p.models.empty(), "study plan: no models");
  TG_CHECK(!p.optimizers.empty(), "study plan: no optimizers");
  TG_CHECK(!p.seeds.empty(), "study plan: no seeds");
  std::set<std::string> arms;
  for (const std::string& a : p.arms) {
    TG_CHECK(arms.insert(a).second, "study plan: activation '{}' is listed twice", a);
    act::make(a, 1);  // an unknown name or a bad spec is a tg::Error naming it
  }
  std::set<std::string> model_names;
  for (const std::string& m : p.models) {
    TG_CHECK(model_names.insert(m).second, "study plan: model '{}' is listed twice", m);
    if (!models.empty())
      TG_CHECK(std::find(models.begin(), models.end(), m) != models.end(),
               "study plan: unknown model '{}'; expected one of {}", m, fmt::join(models, ", "));
  }
  std::set<std::pair<std::string, std::string>> opts;
  for (const OptimizerSetting& o : p.optimizers) {
    TG_CHECK(o.name == "sgd" || o.name == "adam" || o.name == "adamw",
             "study plan: optimizer '{}': expected sgd, adam or adamw", o.name);
    TG_CHECK(o.lr > 0 && std::isfinite(o.lr), "study plan: {} lr {}: expected a positive number",
             o.name, o.lr);
    TG_CHECK(opts.insert({o.name, lr_text(o.lr)}).second,
             "study plan: optimizer {} with lr {} is listed twice", o.name, o.lr);
  }
  std::set<std::int64_t> seeds;
  for (std::int64_t s : p.seeds) {
    TG_CHECK(s >= 0, "study plan: seed {}: expected a non-negative integer", s);
    TG_CHECK(seeds.insert(s).second, "study plan: seed {} is listed twice", s);
  }
  if (!p.baseline.empty())
    TG_CHECK(arms.count(p.baseline) == 1,
             "study plan: the baseline '{}' is not one of the activations ({})", p.baseline,
             fmt::join(p.arms, ", "));
  TG_CHECK(p.recipe.epochs > 0, "study plan: epochs {}: expected at least 1", p.recipe.epochs);
  TG_CHECK(p.recipe.batch_size > 0, "study plan: batch size {}: expected at least 1",
           p.recipe.batch_size);
  TG_CHECK(p.probe_size >= 0, "study plan: probe size {}: expected 0 or more", p.probe_size);
  TG_CHECK(p.probe_size == 0 || p.recipe.val_split >= p.probe_size,
           "study plan: the monitor's probe set ({} images) comes from the validation split, "
           "which has {}; use a larger --val-split or a smaller --probe-size (0: no diagnostics)",
           p.probe_size, p.recipe.val_split);
  shape_grid(p.monitor);  // invalid monitor options are a tg::Error
  hist_edges(p.monitor);
}

std::vector<RunSpec> plan_runs(const Plan& p) {
  std::vector<RunSpec> out;
  for (std::int64_t seed : p.seeds)
    for (const std::string& model : p.models)
      for (const OptimizerSetting& o : p.optimizers)
        for (const std::string& arm : p.arms) {
          RunSpec r;
          r.key = fmt::format("{}/{}/lr={}/{}/seed={}", model, o.name, lr_text(o.lr), arm, seed);
          r.arm = arm;
          r.model = model;
          r.optimizer = o.name;
          r.lr = o.lr;
          r.seed = seed;
          out.push_back(std::move(r));
        }
  return out;
}

train::Recipe run_recipe(const Plan& p, const RunSpec& run) {
  train::Recipe r = p.recipe;
  r.model = run.model;
  r.activation = run.arm;
  r.optimizer = run.optimizer;
  r.lr = run.lr;
  r.seed = static_cast<std::uint64_t>(run.seed);
  return r;
}

std::string to_json(const Plan& p) {
  json opts = json::array();
  for (const OptimizerSetting& o : p.optimizers) opts.push_back({{"name", o.name}, {"lr", o.lr}});
  const MonitorOptions& m = p.monitor;
  const json j{{"arms", p.arms},
               {"models", p.models},
               {"optimizers", opts},
               {"seeds", p.seeds},
               {"baseline", p.baseline},
               {"recipe", recipe_json(p.recipe)},
               {"probe_size", p.probe_size},
               {"monitor",
                {{"saturation_threshold", m.saturation_threshold},
                 {"hist_lo", m.hist_lo},
                 {"hist_hi", m.hist_hi},
                 {"hist_bins", m.hist_bins},
                 {"shape_lo", m.shape_lo},
                 {"shape_hi", m.shape_hi},
                 {"shape_points", m.shape_points}}}};
  return j.dump();
}

Plan plan_from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail("study plan: not valid JSON ({})", e.what());
  }
  TG_CHECK(j.is_object(), "study plan: expected a JSON object");
  Plan p;
  take(j, "arms", p.arms);
  take(j, "models", p.models);
  take(j, "seeds", p.seeds);
  take(j, "baseline", p.baseline);
  take(j, "probe_size", p.probe_size);
  json opts, recipe, mon;
  take(j, "optimizers", opts);
  take(j, "recipe", recipe);
  take(j, "monitor", mon);
  TG_CHECK(opts.is_array(), "study plan: 'optimizers' must be a list");
  p.optimizers.clear();
  for (const json& o : opts) {
    OptimizerSetting s;
    take(o, "name", s.name);
    take(o, "lr", s.lr);
    p.optimizers.push_back(s);
  }
  p.recipe = recipe_from_json(recipe);
  take(mon, "saturation_threshold", p.monitor.saturation_threshold);
  take(mon, "hist_lo", p.monitor.hist_lo);
  take(mon, "hist_hi", p.monitor.hist_hi);
  take(mon, "hist_bins", p.monitor.hist_bins);
  take(mon, "shape_lo", p.monitor.shape_lo);
  take(mon, "shape_hi", p.monitor.shape_hi);
  take(mon, "shape_points", p.monitor.shape_points);
  return p;
}

}  // namespace tg::study
