#pragma once
/// @file
/// ONNX export: a model as an ONNX file that ONNX Runtime (or any ONNX consumer) runs. Part of
/// the library tapegrad::onnx (built when Debian's libonnx-dev is installed), so that programs
/// that do not export need neither protobuf nor ONNX.
///
///     auto net = tg::models::lenet5({.activation = "pau(per_channel=true)"}, &gen);
///     // ... train ...
///     tg::io::export_onnx(*net, tg::zeros({1, 1, 28, 28}), "lenet5.onnx");
#include <map>
#include <string>

#include "tapegrad/io/onnx_graph.hpp"

namespace tg::nn {
class Module;
}

namespace tg::io {

/// What export_onnx writes besides the graph.
struct OnnxExportOptions {
  /// Key-value pairs stored in the model's metadata_props (the checkpoint's class names,
  /// normalisation, activation spec, ...).
  std::map<std::string, std::string> metadata;
  /// The graph's name.
  std::string graph_name = "tapegrad";
};

/// Writes `model` as an ONNX file (IR version 8, opset io::kOnnxOpset, float32) to `path`,
/// atomically. The model is exported in eval mode with its current parameter values; its input
/// is named "input", shaped like `example_input` with a dynamic batch dimension "N", and its
/// output "output". The graph is checked with ONNX's own checker before it is written. A module
/// or activation that cannot be expressed in ONNX operators is a tg::Error naming it, and
/// nothing is written.
void export_onnx(nn::Module& model, const Tensor& example_input, const std::string& path,
                 const OnnxExportOptions& options = {});

/// The ONNX file's bytes for `model`, as export_onnx would write them.
std::string onnx_bytes(nn::Module& model, const Tensor& example_input,
                       const OnnxExportOptions& options = {});

/// The bytes of an OnnxGraph built by hand or by onnx_graph(), checked by ONNX's checker.
std::string onnx_bytes(const OnnxGraph& graph, const OnnxExportOptions& options = {});

}  // namespace tg::io
