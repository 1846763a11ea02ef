// tapegrad export CHECKPOINT --onnx MODEL.onnx: a checkpoint written by train-cnn, train-mlp
// (or any program that stores the same metadata) as an ONNX model that ONNX Runtime runs. The
// model is rebuilt from the checkpoint's metadata, as predict does, loaded with the learned
// values, and written by io::export_onnx (tapegrad::onnx). The ONNX model takes normalised images
// [N, 1, 28, 28], (pixel / 255 - mean) / std, and gives logits [N, classes]; the mean, the std and
// the class names are in the file's metadata_props.
//
//   tapegrad export lenet5_prelu.safetensors --onnx lenet5_prelu.onnx
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "common/classifier.hpp"
#include "common/entry.hpp"
#include "tapegrad/io/checkpoint.hpp"
#include "tapegrad/tapegrad.hpp"
#include "tapegrad/version.hpp"
#if TG_HAVE_ONNX
#include "tapegrad/io/onnx.hpp"
#endif

namespace {

using namespace tg;

#if TG_HAVE_ONNX
int export_checkpoint(const std::string& checkpoint, const std::string& out) {
  const io::Checkpoint ck = io::load_checkpoint(checkpoint);
  auto model = examples::model_from_metadata(ck.metadata);
  model->load_state_dict(ck.model);
  model->eval();
  io::OnnxExportOptions options;
  for (const char* key : {"model", "activation", "dataset", "classes", "mean", "std"})
    if (auto it = ck.metadata.find(key); it != ck.metadata.end())
      options.metadata[key] = it->second;
  options.metadata["input"] = "images [N, 1, 28, 28], (pixel / 255 - mean) / std";
  options.metadata["output"] = "logits [N, classes]";
  options.metadata["producer"] = fmt::format("tapegrad {} (from {})", kVersion, checkpoint);
  options.graph_name = ck.metadata.count("model") ? ck.metadata.at("model") : "tapegrad";
  const Tensor example = zeros({1, 1, 28, 28});
  const io::OnnxGraph graph = io::onnx_graph(*model, example);
  io::export_onnx(*model, example, out, options);
  fmt::print("{}: {} with {}, {} parameters -> {}: ONNX opset {}, {} nodes, {} constants\n",
             checkpoint, ck.metadata.count("model") ? ck.metadata.at("model") : "?",
             ck.metadata.count("activation") ? ck.metadata.at("activation") : "?",
             model->num_parameters(), out, io::kOnnxOpset, graph.nodes().size(),
             graph.initializers().size());
  fmt::print("input 'input' [N, 1, 28, 28] float32 (normalised images), output 'output' [N, {}]\n",
             graph.output_shape().back());
  return 0;
}
#endif

}  // namespace

int tg_command_export(int argc, char** argv) {
  const std::string program = tg::examples::program_name(argv[0]);
  CLI::App app{"Write a checkpoint's model as an ONNX file (for ONNX Runtime and other runtimes)"};
  tg::examples::name_errors(app, program);
  std::string checkpoint, out;
  app.add_option("checkpoint", checkpoint, "a checkpoint written by train-cnn or train-mlp --save")
      ->required();
  app.add_option("--onnx", out, "the ONNX file to write")->required();
  CLI11_PARSE(app, argc, argv);
  try {
#if TG_HAVE_ONNX
    return export_checkpoint(checkpoint, out);
#else
    fail(
        "this tapegrad was built without ONNX export: install libonnx-dev and libprotobuf-dev "
        "and build again");
#endif
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}
