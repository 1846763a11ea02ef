#include "tapegrad/io/onnx_graph.hpp"

#include <algorithm>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/tensor.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::io {

OnnxGraph::OnnxGraph(std::string input_name, Shape input_shape)
    : input_name_(std::move(input_name)), input_shape_(std::move(input_shape)) {
  used_[input_name_] = 1;
  ranks_[input_name_] = static_cast<int>(input_shape_.size());
}

std::string OnnxGraph::unique(std::string_view hint) {
  std::string base = scope() + std::string(hint);
  int& n = used_[base];
  ++n;
  if (n == 1) return base;
  // "relu" taken: "relu_2", unless that is taken too (a hint that ends in a number).
  for (int k = n;; ++k) {
    std::string name = fmt::format("{}_{}", base, k);
    if (!used_.contains(name)) {
      used_[name] = 1;
      return name;
    }
  }
}

std::string OnnxGraph::node(std::string_view op_type, std::vector<std::string> inputs,
                            std::vector<OnnxAttribute> attributes, int rank) {
  int r = 0;
  for (const std::string& in : inputs)
    if (!in.empty()) r = std::max(r, this->rank(in));
  OnnxNode n;
  n.op_type = std::string(op_type);
  n.name = unique(op_type);
  n.output = n.name;  // node and output share the (unique) name
  n.inputs = std::move(inputs);
  n.attributes = std::move(attributes);
  ranks_[n.output] = rank >= 0 ? rank : r;
  nodes_.push_back(std::move(n));
  return nodes_.back().output;
}

std::string OnnxGraph::constant(std::string_view hint, const std::vector<double>& values,
                                const Shape& shape) {
  TG_CHECK(static_cast<std::int64_t>(values.size()) == numel_of(shape),
           "onnx: constant '{}' has {} values for shape {}", hint, values.size(), shape_str(shape));
  OnnxInitializer c;
  c.name = unique(hint);
  c.shape = shape;
  c.floats.reserve(values.size());
  for (double v : values) c.floats.push_back(static_cast<float>(v));
  ranks_[c.name] = static_cast<int>(shape.size());
  initializers_.push_back(std::move(c));
  return initializers_.back().name;
}

std::string OnnxGraph::constant(std::string_view hint, const Tensor& t) {
  TG_CHECK(t.defined() && is_floating(t.dtype()),
           "onnx: constant '{}' must be a defined floating-point tensor", hint);
  return constant(hint, t.to_vector<double>(), t.shape());
}

std::string OnnxGraph::constant_int64(std::string_view hint,
                                      const std::vector<std::int64_t>& values, const Shape& shape) {
  TG_CHECK(static_cast<std::int64_t>(values.size()) == numel_of(shape),
           "onnx: constant '{}' has {} values for shape {}", hint, values.size(), shape_str(shape));
  OnnxInitializer c;
  c.name = unique(hint);
  c.shape = shape;
  c.ints = values;
  c.is_int64 = true;
  ranks_[c.name] = static_cast<int>(shape.size());
  initializers_.push_back(std::move(c));
  return initializers_.back().name;
}

std::string OnnxGraph::scalar(double v) {
  const float f = static_cast<float>(v);
  auto it = scalars_.find(static_cast<double>(f));
  if (it != scalars_.end()) return it->second;
  // Scalars are shared by the whole graph: named at the top level, not in a module's scope.
  std::vector<std::string> saved;
  saved.swap(scope_);
  const std::string name = constant("const", {v}, {});
  saved.swap(scope_);
  scalars_.emplace(static_cast<double>(f), name);
  return name;
}

std::string OnnxGraph::channel_constant(std::string_view hint, const std::vector<double>& values,
                                        const std::string& x) {
  TG_CHECK(!values.empty(), "onnx: parameter '{}' has no values", hint);
  if (values.size() == 1) return constant(hint, values, {});
  const int r = rank(x);
  TG_CHECK(r >= 2,
           "onnx: the per-channel parameter '{}' ({} values) needs an input with a channel "
           "dimension (dimension 1); the input has {} dimension(s)",
           hint, values.size(), r);
  Shape s(static_cast<std::size_t>(r - 1), 1);
  s[0] = static_cast<std::int64_t>(values.size());
  return constant(hint, values, s);
}

int OnnxGraph::rank(const std::string& value) const {
  auto it = ranks_.find(value);
  TG_CHECK(it != ranks_.end(), "onnx: no value named '{}' in the graph", value);
  return it->second;
}

void OnnxGraph::set_rank(const std::string& value, int rank) {
  TG_CHECK(ranks_.contains(value), "onnx: no value named '{}' in the graph", value);
  ranks_[value] = rank;
}

void OnnxGraph::set_output(const std::string& value, std::string name, Shape shape) {
  const int r = rank(value);
  std::vector<std::string> saved;
  saved.swap(scope_);
  TG_CHECK(!used_.contains(name), "onnx: the output name '{}' is already a value's name", name);
  OnnxNode n;
  n.op_type = "Identity";
  n.name = unique("output_identity");
  n.inputs = {value};
  n.output = name;
  used_[name] = 1;
  ranks_[name] = r;
  nodes_.push_back(std::move(n));
  saved.swap(scope_);
  output_name_ = std::move(name);
  output_shape_ = std::move(shape);
}

void OnnxGraph::enter(std::string_view name) { scope_.emplace_back(name); }

void OnnxGraph::leave() {
  TG_CHECK(!scope_.empty(), "onnx: leave() without enter()");
  scope_.pop_back();
}

std::string OnnxGraph::scope() const {
  std::string s;
  for (const std::string& p : scope_) s += p + ".";
  return s;
}

OnnxGraph onnx_graph(nn::Module& model, const Tensor& example_input) {
  TG_CHECK(example_input.defined() && example_input.dim() >= 1,
           "onnx: the example input must be a tensor with a batch dimension");
  const bool was_training = model.is_training();
  model.eval();
  struct Restore {
    nn::Module& m;
    bool training;
    ~Restore() { m.train(training); }
  } restore{model, was_training};
  // Parameters read by to_onnx (softplus of a raw value, ...) stay off the tape too.
  NoGradGuard no_grad;
  Shape out_shape = model.forward(example_input).shape();
  Shape shape = example_input.shape();
  shape[0] = -1;
  if (!out_shape.empty()) out_shape[0] = -1;
  OnnxGraph g("input", shape);
  g.set_output(model.to_onnx(g, g.input_name()), "output", out_shape);
  return g;
}

}  // namespace tg::io
