#pragma once
/// @file
/// An ONNX graph under construction, in plain C++ (no protobuf): what a module adds when it
/// expresses itself in standard ONNX operators (nn::Module::to_onnx). io::export_onnx
/// (tapegrad/io/onnx.hpp) builds one from a model and writes it as an ONNX file.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tapegrad/core/shape.hpp"

namespace tg {
class Tensor;
}
namespace tg::nn {
class Module;
}

namespace tg::io {

/// The ONNX operator set the exporter targets (ai.onnx opset 17: ONNX 1.12, Debian's libonnx).
inline constexpr int kOnnxOpset = 17;

/// One attribute of a node: an integer, a float, a list of either, or a string.
struct OnnxAttribute {
  std::string name;  ///< the attribute's name, e.g. "kernel_shape"
  /// Its value. A double is written as an ONNX FLOAT attribute.
  std::variant<std::int64_t, double, std::vector<std::int64_t>, std::vector<double>, std::string>
      value;
};

/// One node: an operator applied to named values, giving one named value.
struct OnnxNode {
  std::string op_type;                    ///< e.g. "Conv", "Relu", "Mul"
  std::string name;                       ///< unique node name, scoped by module path
  std::vector<std::string> inputs;        ///< value names ("" for an omitted optional input)
  std::string output;                     ///< the value it produces
  std::vector<OnnxAttribute> attributes;  ///< its attributes
};

/// A constant tensor (an ONNX initializer): float32 values, or int64 ones (shapes for Reshape).
struct OnnxInitializer {
  std::string name;                ///< the value name nodes refer to
  Shape shape;                     ///< its shape ({} for a scalar)
  std::vector<float> floats;       ///< the values when it is a float tensor
  std::vector<std::int64_t> ints;  ///< the values when it is an int64 tensor
  bool is_int64 = false;           ///< which of the two
};

/// An ONNX graph being built: one float input, nodes in execution order, constants, and one
/// output. Every value has a known rank (the number of dimensions), so that a per-channel
/// parameter can be shaped to broadcast along dimension 1 of whatever it multiplies.
///
/// Names are made unique: a module's constants are named after its path in the model
/// ("features.0.weight"), set by OnnxScope, and a clash gets a numeric suffix.
class OnnxGraph {
 public:
  /// Starts a graph whose float input is named `input_name`, of shape `input_shape` (a
  /// dimension of -1 is dynamic: the batch dimension, named "N").
  OnnxGraph(std::string input_name, Shape input_shape);

  /// Adds the node `op_type(inputs...)` with these attributes and returns the name of its
  /// output. The output's rank is `rank`, or when `rank` is -1 the largest rank among the
  /// inputs (right for elementwise operators, which broadcast).
  std::string node(std::string_view op_type, std::vector<std::string> inputs,
                   std::vector<OnnxAttribute> attributes = {}, int rank = -1);

  /// A float constant holding `values` with shape `shape`; returns its name, built from `hint`
  /// within the current scope. Values are stored as float32.
  std::string constant(std::string_view hint, const std::vector<double>& values,
                       const Shape& shape);
  /// A float constant holding a tensor's values (any floating dtype, stored as float32).
  std::string constant(std::string_view hint, const Tensor& t);
  /// An int64 constant (for Reshape's shape input, Unsqueeze's axes, ...).
  std::string constant_int64(std::string_view hint, const std::vector<std::int64_t>& values,
                             const Shape& shape);
  /// A float scalar constant; equal scalars share one initializer.
  std::string scalar(double v);

  /// A parameter of an elementwise function of `x`, as a constant that broadcasts against `x`:
  /// one value (shared) becomes a scalar, W values (per channel) become shape [W, 1, ..., 1]
  /// with rank(x) - 1 dimensions, so they line up with dimension 1 of x. Throws tg::Error when
  /// x has fewer than 2 dimensions and W > 1.
  std::string channel_constant(std::string_view hint, const std::vector<double>& values,
                               const std::string& x);

  /// The rank of a value of this graph; throws tg::Error for an unknown name.
  int rank(const std::string& value) const;
  /// Records the rank of a value produced by a node whose output rank is not the inputs'.
  void set_rank(const std::string& value, int rank);

  /// Marks `value` as the graph's output, named `name` (an Identity node renames it), of
  /// shape `shape` (-1: dynamic; empty: unknown).
  void set_output(const std::string& value, std::string name = "output", Shape shape = {});

  /// Enters a naming scope (a child module's name); OnnxScope pairs it with leave().
  void enter(std::string_view name);
  /// Leaves the innermost scope.
  void leave();
  /// The current scope as a dotted prefix ("features.0."), or "" at the top.
  std::string scope() const;

  /// The graph's input name and shape (-1: dynamic).
  const std::string& input_name() const { return input_name_; }
  /// The input's shape, -1 for a dynamic dimension.
  const Shape& input_shape() const { return input_shape_; }
  /// The output's name ("" until set_output).
  const std::string& output_name() const { return output_name_; }
  /// The output's shape, -1 for a dynamic dimension (empty when unknown).
  const Shape& output_shape() const { return output_shape_; }
  /// The nodes, in execution order.
  const std::vector<OnnxNode>& nodes() const { return nodes_; }
  /// The constants.
  const std::vector<OnnxInitializer>& initializers() const { return initializers_; }

 private:
  std::string unique(std::string_view hint);
  std::string input_name_, output_name_;
  Shape input_shape_, output_shape_;
  std::vector<OnnxNode> nodes_;
  std::vector<OnnxInitializer> initializers_;
  std::map<std::string, int> ranks_;
  std::map<std::string, int> used_;
  std::map<double, std::string> scalars_;
  std::vector<std::string> scope_;
};

/// Enters a naming scope for its lifetime: `OnnxScope s(g, "body");`.
class OnnxScope {
 public:
  /// Enters scope `name` of `g`.
  OnnxScope(OnnxGraph& g, std::string_view name) : g_(g) { g_.enter(name); }
  ~OnnxScope() { g_.leave(); }
  OnnxScope(const OnnxScope&) = delete;
  OnnxScope& operator=(const OnnxScope&) = delete;

 private:
  OnnxGraph& g_;
};

/// The graph of `model` (in eval mode, as it would run with no grad) for inputs shaped like
/// `example_input`, whose first dimension becomes the dynamic batch dimension. Runs the model
/// once on example_input (so a wrong input shape is reported as tapegrad reports it), then calls
/// model.to_onnx(); a module or activation that cannot be expressed in ONNX operators is a
/// tg::Error naming it. The model's training mode is restored afterwards.
OnnxGraph onnx_graph(nn::Module& model, const Tensor& example_input);

}  // namespace tg::io
