// Classify image files with a checkpoint written by train_cnn or train_mlp:
//
//   ./build/release/examples/predict --checkpoint lenet.safetensors shirt.png boot.jpg
//
// Each image is decoded (PNG/JPEG/BMP/GIF), converted to grayscale, resized to 28x28, inverted
// when its border is light (Fashion-MNIST items are light on a black background; photos are
// usually the other way round; --invert / --no-invert decide explicitly), normalised with the
// training set's mean and std, and the top 3 classes are printed with their probabilities.
// The installed command runs this file as `tapegrad predict` (tools/tapegrad).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "common/classifier.hpp"
#include "common/entry.hpp"
#include "tapegrad/data/image.hpp"
#include "tapegrad/io/checkpoint.hpp"
#include "tapegrad/io/safetensors.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

// Mean of the one-pixel border of a [1, H, W] image.
double border_mean(const Tensor& img) {
  const std::int64_t h = img.size(1), w = img.size(2);
  const float* p = img.data_ptr<float>();
  double s = 0;
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j)
      if (i == 0 || j == 0 || i == h - 1 || j == w - 1) {
        s += p[i * w + j];
        ++n;
      }
  return s / static_cast<double>(n);
}

}  // namespace

TG_EXAMPLE_MAIN(predict) {
  const std::string program = examples::program_name(argv[0]);
  CLI::App app{"Classify images with a tapegrad checkpoint (top-3 classes)"};
  tg::examples::name_errors(app, program);
  std::string checkpoint;
  std::vector<std::string> images;
  int invert = -1;
  app.add_option("--checkpoint,-c", checkpoint, "checkpoint written by train_cnn/train_mlp --save")
      ->required();
  app.add_option("images", images, "image files (PNG, JPEG, BMP, GIF)")->required();
  app.add_flag("--invert{1},--no-invert{0}", invert,
               "invert the gray levels (default: when the border is light)");
  CLI11_PARSE(app, argc, argv);

  try {
    const io::Checkpoint ck = io::load_checkpoint(checkpoint);
    auto model = examples::model_from_metadata(ck.metadata);
    model->load_state_dict(ck.model);
    model->eval();
    const std::vector<std::string> classes = split(ck.metadata.at("classes"), '|');
    const double mean = std::stod(ck.metadata.at("mean")), sd = std::stod(ck.metadata.at("std"));
    fmt::print("{}: {} with {}, trained {} epochs on {}\n", checkpoint, ck.metadata.at("model"),
               ck.metadata.at("activation"), ck.epoch, ck.metadata.at("dataset"));
    NoGradGuard no_grad;
    int status = 0;
    for (const std::string& path : images) {
      try {
        Tensor img = data::resize_image(data::load_image(path, 1), 28, 28).contiguous();
        const bool inv = invert < 0 ? border_mean(img) > 0.5 : invert == 1;
        float* p = img.data_ptr<float>();
        for (std::int64_t i = 0; i < img.numel(); ++i) {
          const double v = inv ? 1.0 - p[i] : p[i];
          p[i] = static_cast<float>((v - mean) / sd);
        }
        const Tensor probs = softmax((*model)(img.reshape({1, 1, 28, 28})), 1);
        const std::vector<double> pv = probs.to_vector<double>();
        std::vector<std::size_t> order(pv.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return pv[a] > pv[b]; });
        fmt::print("{}{}:", path, inv ? " (inverted)" : "");
        for (std::size_t k = 0; k < std::min<std::size_t>(3, order.size()); ++k) {
          const std::size_t c = order[k];
          fmt::print("  {} {:.1f}%", c < classes.size() ? classes[c] : std::to_string(c),
                     100 * pv[c]);
        }
        fmt::print("\n");
      } catch (const Error& e) {
        std::fflush(stdout);
        fmt::print(stderr, "{}: {}: {}\n", program, path, e.what());
        status = 1;
      }
    }
    return status;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}
