#include "tapegrad/data/mnist.hpp"

#include <array>
#include <filesystem>

#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/data/idx.hpp"

namespace tg::data {

namespace fs = std::filesystem;

Split parse_split(std::string_view name) {
  if (name == "train") return Split::Train;
  if (name == "test") return Split::Test;
  fail("unknown dataset split '{}' (expected \"train\" or \"test\")", name);
}

std::string_view split_name(Split split) { return split == Split::Train ? "train" : "test"; }

std::string default_fashion_mnist_root() { return std::string(kFashionMnistRoot); }

std::vector<std::string> fashion_mnist_classes() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

std::vector<std::string> mnist_classes() {
  return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}

std::string mnist_images_file(Split split) {
  return split == Split::Train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
}

std::string mnist_labels_file(Split split) {
  return split == Split::Train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
}

ImagesLabels load_idx_images_labels(const std::string& images_path, const std::string& labels_path,
                                    std::int64_t num_classes, std::string_view who,
                                    std::int64_t height, std::int64_t width) {
  // Labels first: the small file, so a mismatch is found before most of the work.
  const IdxArray lab = read_idx_array(labels_path);
  TG_CHECK(lab.type == IdxType::UInt8 && lab.dims.size() == 1,
           "{}: labels file '{}' holds {} {}; expected uint8 [N]", who, labels_path,
           idx_type_name(lab.type), shape_str(lab.dims));
  const IdxArray img = read_idx_array(images_path);
  TG_CHECK(img.type == IdxType::UInt8 && img.dims.size() == 3,
           "{}: images file '{}' holds {} {}; expected uint8 [N, H, W] (rank 3)", who, images_path,
           idx_type_name(img.type), shape_str(img.dims));
  TG_CHECK((height <= 0 || img.dims[1] == height) && (width <= 0 || img.dims[2] == width),
           "{}: images file '{}' holds images of {}x{}; expected {}x{}", who, images_path,
           img.dims[1], img.dims[2], height, width);
  const std::int64_t n = img.dims[0];
  TG_CHECK(lab.dims[0] == n,
           "{}: images file '{}' has {} images but labels file '{}' has {} labels", who,
           images_path, n, labels_path, lab.dims[0]);

  ImagesLabels out;
  out.labels = Tensor::empty({n}, DType::Int64);
  std::int64_t* y = out.labels.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t v = lab.bytes[static_cast<std::size_t>(i)];
    TG_CHECK(v < num_classes, "{}: labels file '{}': label {} is {}, expected 0..{}", who,
             labels_path, i, v, num_classes - 1);
    y[i] = v;
  }

  // One pass over the bytes through a table of the 256 possible values (exactly x / 255.0f).
  std::array<float, 256> lut{};
  for (int v = 0; v < 256; ++v) lut[static_cast<std::size_t>(v)] = static_cast<float>(v) / 255.0f;
  out.images = Tensor::empty({n, 1, img.dims[1], img.dims[2]}, DType::Float32);
  float* x = out.images.data_ptr<float>();
  const std::uint8_t* src = img.bytes.data();
  const std::size_t total = img.bytes.size();
  for (std::size_t i = 0; i < total; ++i) x[i] = lut[src[i]];
  return out;
}

namespace {

// "<root>/<name>" if it is a file, else "<root>/<name>.gz", else an error with the hint.
std::string find_file(std::string_view who, const std::string& root, const std::string& name,
                      std::string_view hint) {
  std::error_code ec;
  const fs::path dir(root);
  if (!fs::is_directory(dir, ec)) {
    if (fs::exists(dir, ec)) fail("{}: '{}' is not a directory. {}", who, root, hint);
    fail("{}: dataset directory '{}' does not exist. {}", who, root, hint);
  }
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path p = dir / candidate;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  fail("{}: '{}' has neither {} nor {}.gz. {}", who, root, name, name, hint);
}

constexpr std::string_view kFashionHint =
    "To get Fashion-MNIST, install the Debian package dataset-fashion-mnist (apt-get install "
    "dataset-fashion-mnist), which puts it in /usr/share/datasets/fashion-mnist, or pass --data "
    "DIR holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not).";

constexpr std::string_view kMnistHint =
    "Pass --data DIR holding the MNIST files train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
    "(gzipped or not).";

ImagesLabels load_split(std::string_view who, const std::string& root, Split split,
                        std::int64_t num_classes, std::string_view hint) {
  const std::string images = find_file(who, root, mnist_images_file(split), hint);
  const std::string labels = find_file(who, root, mnist_labels_file(split), hint);
  return load_idx_images_labels(images, labels, num_classes, who, 28, 28);
}

}  // namespace

MnistFormatDataset::MnistFormatDataset(std::string_view who, const std::string& root, Split split,
                                       std::vector<std::string> classes,
                                       std::string_view missing_hint)
    : MnistFormatDataset(
          load_split(who, root, split, static_cast<std::int64_t>(classes.size()), missing_hint),
          root, split, classes) {}

MnistFormatDataset::MnistFormatDataset(ImagesLabels data, const std::string& root, Split split,
                                       std::vector<std::string> classes)
    : TensorDataset(std::move(data.images), std::move(data.labels), std::move(classes)),
      root_(root),
      split_(split) {}

FashionMNIST::FashionMNIST(const std::string& root, Split split)
    : MnistFormatDataset("FashionMNIST", root, split, fashion_mnist_classes(), kFashionHint) {}

FashionMNIST::FashionMNIST(const std::string& root, std::string_view split)
    : FashionMNIST(root, parse_split(split)) {}

MNIST::MNIST(const std::string& root, Split split)
    : MnistFormatDataset("MNIST", root, split, mnist_classes(), kMnistHint) {}

MNIST::MNIST(const std::string& root, std::string_view split) : MNIST(root, parse_split(split)) {}

}  // namespace tg::data
