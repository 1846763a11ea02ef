#include "tapegrad/autograd/observe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::autograd {

namespace {

struct State {
  std::vector<Observer*> observers;
  // Open op and module scopes: the outermost one sets the location.
  int depth = 0;
  std::source_location loc{};
  std::vector<const char*> ops;
  const ModuleInfo* module = nullptr;
  std::vector<const nn::Module*> modules;
};

State& state() {
  thread_local State s;
  return s;
}

const ModuleInfo* intern(const ModuleInfo* parent, std::string path, std::string type) {
  // Never destroyed: entries and profiles may point here until the program ends.
  using Key = std::tuple<const ModuleInfo*, std::string, std::string>;
  static std::mutex mu;
  static auto* index = new std::map<Key, const ModuleInfo*>;
  std::lock_guard lock(mu);
  Key key{parent, std::move(path), std::move(type)};
  if (auto it = index->find(key); it != index->end()) return it->second;
  const std::string& path_ = std::get<1>(key);
  const std::string& type_ = std::get<2>(key);
  const auto* info = new ModuleInfo{
      path_, type_, parent,
      path_.empty() ? fmt::format("({})", type_) : fmt::format("{} ({})", path_, type_)};
  index->emplace(std::move(key), info);
  return info;
}

}  // namespace

void add_observer(Observer* o) {
  State& s = state();
  if (std::find(s.observers.begin(), s.observers.end(), o) != s.observers.end()) return;
  s.observers.push_back(o);
  detail::t_observers = static_cast<int>(s.observers.size());
}

void remove_observer(Observer* o) {
  State& s = state();
  std::erase(s.observers, o);
  detail::t_observers = static_cast<int>(s.observers.size());
}

const std::vector<Observer*>& observers() { return state().observers; }

std::source_location current_location() { return state().loc; }
const ModuleInfo* current_module() { return state().module; }

void OpScope::begin(const char* name, const std::source_location& loc) {
  State& s = state();
  if (!s.ops.empty() && std::strcmp(s.ops.back(), name) == 0) return;
  active_ = true;
  name_ = name;
  if (s.depth++ == 0) {
    s.loc = loc;
    sets_location_ = true;
  }
  s.ops.push_back(name);
  for (Observer* o : s.observers) o->op_begin(name);
}

void OpScope::end() {
  State& s = state();
  for (Observer* o : s.observers) o->op_end(name_);
  if (!s.ops.empty()) s.ops.pop_back();
  --s.depth;
  if (sets_location_) s.loc = {};
}

void ModuleScope::begin(const nn::Module& m, const std::source_location& loc) {
  State& s = state();
  std::string path;
  if (!s.modules.empty()) {
    // This module's name in the module that called it; a module called without being
    // registered there is shown by its type.
    const nn::Module* parent = s.modules.back();
    std::string name = "<" + m.type_name() + ">";
    for (const auto& [n, child] : const_cast<nn::Module*>(parent)->named_children())
      if (child.get() == &m) {
        name = n;
        break;
      }
    path = s.module && !s.module->path.empty() ? s.module->path + "." + name : name;
  }
  m_ = intern(s.module, std::move(path), m.type_name());
  prev_ = s.module;
  s.module = m_;
  s.modules.push_back(&m);
  if (s.depth++ == 0) {
    s.loc = loc;
    sets_location_ = true;
  }
  for (Observer* o : s.observers) o->module_begin(*m_);
}

void ModuleScope::end() {
  State& s = state();
  for (Observer* o : s.observers) o->module_end(*m_);
  if (!s.modules.empty()) s.modules.pop_back();
  s.module = prev_;
  --s.depth;
  if (sets_location_) s.loc = {};
}

BackwardEntryScope::BackwardEntryScope(const TapeEntry& e) {
  State& s = state();
  prev_loc_ = s.loc;
  prev_module_ = s.module;
  s.loc = e.loc;
  s.module = e.module;
  ++s.depth;
}

BackwardEntryScope::~BackwardEntryScope() {
  State& s = state();
  s.loc = prev_loc_;
  s.module = prev_module_;
  --s.depth;
}

std::string location_str(const std::source_location& loc) {
  if (loc.line() == 0) return "unknown";
  return fmt::format("{}:{} ({})", loc.file_name(), loc.line(), loc.function_name());
}

}  // namespace tg::autograd
