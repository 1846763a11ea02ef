#include "tapegrad/autograd/stepper.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string_view>

#include <fmt/format.h>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"

namespace tg::autograd {

BackwardStepper::BackwardStepper(StepperOptions options) : opt_(options) { add_observer(this); }

BackwardStepper::~BackwardStepper() { remove_observer(this); }

void BackwardStepper::name(const Tensor& t, std::string label) {
  names_[t.id()] = std::move(label);
}

std::string BackwardStepper::label(std::uint64_t id) const {
  const auto it = names_.find(id);
  return it != names_.end() ? it->second : fmt::format("#{}", id);
}

std::string BackwardStepper::values(const Tensor& t) const {
  if (!t.defined()) return "none";
  const std::vector<double> v = t.to_vector<double>();
  const int p = opt_.precision;
  if (t.shape().empty()) return fmt::format("{:.{}f}", v[0], p);
  std::string s;
  if (static_cast<std::int64_t>(v.size()) <= opt_.max_values) {
    s = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
      s += fmt::format("{}{:.{}f}", i ? ", " : "", v[i], p);
    s += "]";
    if (t.shape().size() > 1) s += fmt::format(" as {}", shape_str(t.shape()));
    return s;
  }
  double sq = 0;
  for (const double x : v) sq += x * x;
  s = fmt::format("{} values, norm {:.{}f}: [", shape_str(t.shape()), std::sqrt(sq), p);
  for (std::size_t i = 0; i < std::min<std::size_t>(3, v.size()); ++i)
    s += fmt::format("{}{:.{}f}", i ? ", " : "", v[i], p);
  return s + ", ...]";
}

void BackwardStepper::pass_begin() {
  if (depth_++ != 0) return;
  ++pass_;
  in_pass_step_ = 0;
  running_.clear();
  run_to_end_ = false;
  if (opt_.out)
    fmt::print(opt_.out, "backward pass {}: one step per tape entry, last entry first\n", pass_);
}

void BackwardStepper::pass_end() {
  if (--depth_ != 0) return;
  if (opt_.out) {
    fmt::print(opt_.out, "end of backward pass {}: {} steps", pass_, in_pass_step_);
    if (!running_.empty())
      fmt::print(opt_.out, "; backward() now adds the leaves' sums to their .grad()");
    fmt::print(opt_.out, "\n");
    std::fflush(opt_.out);
  }
  running_.clear();
}

void BackwardStepper::backward_end(const TapeEntry& e, std::size_t index, const Tensor& grad_out,
                                   const std::vector<Tensor>& grads) {
  if (depth_ != 1) return;
  ++in_pass_step_;
  BackwardStep s;
  s.pass = pass_;
  s.index = index;
  s.seq = e.seq;
  s.op = e.name;
  s.location = location_str(e.loc);
  s.module = e.module ? e.module->label() : "";
  s.grad_out = grad_out;
  s.grads = grads;
  {
    NoGradGuard no_grad;  // the sums are for printing, never part of a graph
    for (std::size_t i = 0; i < e.inputs.size() && i < grads.size(); ++i) {
      const Edge& in = e.inputs[i];
      if (!grads[i].defined() || !e.needs_grad[i] || in.slot->creator_seq != 0) continue;
      const Tensor g = sum_to(grads[i], in.shape()).detach();
      auto it = running_.begin();
      while (it != running_.end() && it->first != in.id()) ++it;
      if (it == running_.end())
        running_.emplace_back(in.id(), g.clone());
      else
        it->second = add(it->second, g);
    }
  }
  for (const auto& [id, g] : running_) s.leaves.emplace_back(label(id), g);
  if (opt_.out) print(s, e);
  steps_.push_back(std::move(s));
  if (opt_.wait && !run_to_end_) {
    if (opt_.out) {
      fmt::print(opt_.out, "  [Enter: next step, c + Enter: to the end of the pass] ");
      std::fflush(opt_.out);
    }
    std::string line;
    if (!std::getline(std::cin, line) || line == "c") run_to_end_ = true;
  }
}

void BackwardStepper::print(const BackwardStep& s, const TapeEntry& e) {
  std::string ins;
  for (std::size_t i = 0; i < e.inputs.size(); ++i)
    ins += fmt::format("{}{}", i ? ", " : "",
                       e.inputs[i].defined() ? label(e.inputs[i].id()) : std::string("-"));
  fmt::print(opt_.out, "step {}: tape[{}] {}({}) -> {}", in_pass_step_, s.index, s.op, ins,
             label(e.output_id));
  if (e.loc.line() != 0) {
    const std::string_view file = e.loc.file_name();
    fmt::print(opt_.out, ", recorded at {}:{}", file.substr(file.find_last_of('/') + 1),
               e.loc.line());
  }
  if (!s.module.empty()) fmt::print(opt_.out, " in {}", s.module);
  fmt::print(opt_.out, "\n  gradient arriving for {}: {}\n", label(e.output_id),
             values(s.grad_out));
  for (std::size_t i = 0; i < e.inputs.size(); ++i) {
    const std::string who = e.inputs[i].defined() ? label(e.inputs[i].id()) : std::string("-");
    if (!e.needs_grad[i])
      fmt::print(opt_.out, "  input {} ({}) needs no gradient\n", i, who);
    else
      fmt::print(opt_.out, "  sends to input {} ({}): {}\n", i, who,
                 i < s.grads.size() ? values(s.grads[i]) : std::string("none"));
  }
  if (s.leaves.empty()) {
    fmt::print(opt_.out, "  leaves' gradients so far: none reached yet\n");
  } else {
    std::string list;
    for (const auto& [who, g] : s.leaves)
      list += fmt::format("{}{} = {}", list.empty() ? "" : "; ", who, values(g));
    fmt::print(opt_.out, "  leaves' gradients so far: {}\n", list);
  }
  std::fflush(opt_.out);
}

}  // namespace tg::autograd
