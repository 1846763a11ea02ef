// Writes the models that tests/onnx/run_onnxruntime.mjs runs in ONNX Runtime: LeNet-5 with every
// registered activation (per channel where the activation has that setting), a few activations
// with non-default settings, and the other model shapes (MLP, VGG-style with BatchNorm and
// Dropout, ResNet with residual blocks and global average pooling). Every parameter is moved
// away from its initial value (as training would), BatchNorm's running statistics included, so
// the exported constants are "learned" values. For each model: NAME.onnx and NAME.logits.bin
// (tapegrad's float32 logits for the shared input.bin), listed in manifest.json.
//
//   onnx_export_models OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/models.hpp"
#include "tapegrad/io/onnx.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

void write_floats(const std::string& path, const Tensor& t) {
  const std::vector<float> v = t.contiguous().to_vector<float>();
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()),
          static_cast<std::streamsize>(v.size() * sizeof(float)));
  if (!f) fail("cannot write {}", path);
}

// Moves every parameter away from its initial value, and gives BatchNorm running statistics
// that are not 0 and 1.
void perturb(nn::Module& model, Generator& gen) {
  NoGradGuard no_grad;
  for (const Tensor& p : nn::activation_parameters(model))
    p.add_(randn(p.shape(), p.dtype(), &gen), 0.05);
  for (const Tensor& p : nn::non_activation_parameters(model))
    p.add_(randn(p.shape(), p.dtype(), &gen), 0.01);
  for (auto& [name, m] : model.named_modules())
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(m); bn && bn->running_mean.defined()) {
      bn->running_mean.copy_(mul(randn(bn->running_mean.shape(), DType::Float32, &gen), 0.1));
      bn->running_var.copy_(add(rand(bn->running_var.shape(), DType::Float32, &gen), 0.5));
    }
}

struct Case {
  std::string name, model, activation;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: onnx_export_models OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    std::filesystem::create_directories(dir);
    std::vector<Case> cases;
    for (const std::string& name : act::Registry::instance().names()) {
      bool per_channel = false;
      for (const act::KeyInfo& k : act::Registry::instance().get(name).info.keys)
        per_channel = per_channel || k.key == "per_channel";
      cases.push_back(
          {"lenet5_" + name, "lenet5", per_channel ? name + "(per_channel=true)" : name});
    }
    // Settings other than the defaults, and shared parameters.
    for (const auto& [name, spec] : std::vector<std::pair<std::string, std::string>>{
             {"prelu_shared", "prelu"},
             {"apl_3_hinges", "apl(s=3, per_channel=true)"},
             {"leaky_relu_0.2", "leaky_relu(slope=0.2)"},
             {"elu_0.5", "elu(alpha=0.5)"},
             {"celu_2", "celu(alpha=2)"},
             {"softplus_2_5", "softplus(beta=2, threshold=5)"},
             {"hardtanh_-2_0.5", "hardtanh(min_val=-2, max_val=0.5)"},
             {"pelu_2_2", "pelu(init_a=2, init_b=2)"}})
      cases.push_back({"lenet5_" + name, "lenet5", spec});
    cases.push_back({"mlp_swish_beta", "mlp", "swish_beta(per_channel=true)"});
    cases.push_back({"vgg_small_pau", "vgg_small", "pau(per_channel=true)"});
    cases.push_back({"resnet_small_prelu", "resnet_small", "prelu(per_channel=true)"});

    Generator data_gen(7);
    const Tensor input = randn({8, 1, 28, 28}, DType::Float32, &data_gen);
    write_floats(dir + "/input.bin", input);
    std::string manifest =
        "{\n  \"input\": \"input.bin\",\n  \"input_shape\": [8, 1, 28, 28],\n"
        "  \"models\": [\n";
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      Generator gen(1000 + i);
      auto model = models::make(c.model, {.activation = c.activation}, &gen);
      perturb(*model, gen);
      model->eval();
      Tensor logits;
      {
        NoGradGuard no_grad;
        logits = model->forward(input);
      }
      io::export_onnx(*model, input, dir + "/" + c.name + ".onnx",
                      {.metadata = {{"activation", c.activation}}});
      write_floats(dir + "/" + c.name + ".logits.bin", logits);
      manifest += fmt::format(
          "    {{\"name\": \"{}\", \"model\": \"{}\", \"activation\": \"{}\", \"file\": "
          "\"{}.onnx\", \"logits\": \"{}.logits.bin\", \"logits_shape\": [{}, {}]}}{}\n",
          c.name, c.model, c.activation, c.name, c.name, logits.size(0), logits.size(1),
          i + 1 < cases.size() ? "," : "");
    }
    manifest += "  ]\n}\n";
    std::ofstream(dir + "/manifest.json") << manifest;
    fmt::print("onnx_export_models: {} models written to {} ({} activations registered)\n",
               cases.size(), dir, act::Registry::instance().names().size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onnx_export_models: %s\n", e.what());
    return 1;
  }
}
