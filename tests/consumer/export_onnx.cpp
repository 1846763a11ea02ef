// Exports a model with a learnable activation to ONNX through tapegrad::onnx, as another project
// would: the exporter's library and its dependencies (libonnx, protobuf) come from tapegrad's
// CMake package.
//   consumer_onnx OUT.onnx
#include <cstdio>
#include <filesystem>

#include "models/models.hpp"
#include "tapegrad/io/onnx.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer_onnx OUT.onnx\n");
    return 2;
  }
  try {
    Generator gen(0);
    auto model = models::lenet5({.activation = "pau(per_channel=true)"}, &gen);
    const Tensor example = zeros({1, 1, 28, 28});
    const io::OnnxGraph graph = io::onnx_graph(*model, example);
    io::export_onnx(*model, example, argv[1]);
    std::printf("consumer_onnx: LeNet-5 + PAU written to %s: %zu nodes, %zu bytes\n", argv[1],
                graph.nodes().size(),
                static_cast<std::size_t>(std::filesystem::file_size(argv[1])));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer_onnx: %s\n", e.what());
    return 1;
  }
}
