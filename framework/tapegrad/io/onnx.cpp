// ONNX export: an OnnxGraph (plain C++) as an onnx::ModelProto, with the protobuf classes that
// Debian's libonnx-dev generates from onnx.proto, checked by ONNX's checker and strict shape
// inference, written atomically.
#include "tapegrad/io/onnx.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "tapegrad/core/error.hpp"
#include "tapegrad/core/tensor.hpp"
#include "tapegrad/io/atomic_file.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/version.hpp"

namespace tg::io {

namespace {

// IR version 8: what ONNX 1.12 writes for opset 17.
constexpr std::int64_t kIrVersion = 8;

void set_shape(onnx::ValueInfoProto* v, const Shape& shape) {
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* s = t->mutable_shape();
  for (std::int64_t d : shape) {
    auto* dim = s->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

void set_attribute(onnx::NodeProto* n, const OnnxAttribute& a) {
  auto* p = n->add_attribute();
  p->set_name(a.name);
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t>) {
          p->set_type(onnx::AttributeProto::INT);
          p->set_i(v);
        } else if constexpr (std::is_same_v<V, double>) {
          p->set_type(onnx::AttributeProto::FLOAT);
          p->set_f(static_cast<float>(v));
        } else if constexpr (std::is_same_v<V, std::vector<std::int64_t>>) {
          p->set_type(onnx::AttributeProto::INTS);
          for (std::int64_t x : v) p->add_ints(x);
        } else if constexpr (std::is_same_v<V, std::vector<double>>) {
          p->set_type(onnx::AttributeProto::FLOATS);
          for (double x : v) p->add_floats(static_cast<float>(x));
        } else {
          p->set_type(onnx::AttributeProto::STRING);
          p->set_s(v);
        }
      },
      a.value);
}

onnx::ModelProto to_proto(const OnnxGraph& graph, const OnnxExportOptions& options) {
  TG_CHECK(!graph.output_name().empty(), "onnx export: the graph has no output (set_output)");
  onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("tapegrad");
  m.set_producer_version(kVersion);
  m.set_model_version(1);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto& [k, v] : options.metadata) {
    auto* p = m.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  auto* g = m.mutable_graph();
  g->set_name(options.graph_name);
  auto* in = g->add_input();
  in->set_name(graph.input_name());
  set_shape(in, graph.input_shape());
  for (const OnnxInitializer& c : graph.initializers()) {
    auto* t = g->add_initializer();
    t->set_name(c.name);
    for (std::int64_t d : c.shape) t->add_dims(d);
    if (c.is_int64) {
      t->set_data_type(onnx::TensorProto::INT64);
      for (std::int64_t v : c.ints) t->add_int64_data(v);
    } else {
      t->set_data_type(onnx::TensorProto::FLOAT);
      t->mutable_float_data()->Reserve(static_cast<int>(c.floats.size()));
      for (float v : c.floats) t->add_float_data(v);
    }
  }
  for (const OnnxNode& n : graph.nodes()) {
    auto* p = g->add_node();
    p->set_op_type(n.op_type);
    p->set_name(n.name);
    for (const std::string& i : n.inputs) p->add_input(i);
    p->add_output(n.output);
    for (const OnnxAttribute& a : n.attributes) set_attribute(p, a);
  }
  auto* out = g->add_output();
  out->set_name(graph.output_name());
  if (graph.output_shape().empty())
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  else
    set_shape(out, graph.output_shape());
  return m;
}

}  // namespace

std::string onnx_bytes(const OnnxGraph& graph, const OnnxExportOptions& options) {
  onnx::ModelProto m = to_proto(graph, options);
  try {
    onnx::checker::check_model(m);
    // Strict: an operator whose inputs do not fit (a wrong rank, a type mismatch) is an error
    // here rather than in the runtime that loads the file.
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    fail("onnx export: ONNX's checker rejected the graph: {}", e.what());
  }
  // The inferred shapes of intermediate values are not part of the file.
  m.mutable_graph()->clear_value_info();
  std::string bytes;
  TG_CHECK(m.SerializeToString(&bytes), "onnx export: protobuf could not serialise the model");
  return bytes;
}

std::string onnx_bytes(nn::Module& model, const Tensor& example_input,
                       const OnnxExportOptions& options) {
  return onnx_bytes(onnx_graph(model, example_input), options);
}

void export_onnx(nn::Module& model, const Tensor& example_input, const std::string& path,
                 const OnnxExportOptions& options) {
  write_file_atomic(path, onnx_bytes(model, example_input, options), "onnx export");
}

}  // namespace tg::io
