#pragma once
// MNIST and Fashion-MNIST from their four IDX files (gzipped or raw), as TensorDatasets:
// images float32 [N, 1, 28, 28] scaled to [0, 1] (x / 255), labels int64 [N] in 0..9. The whole
// split is loaded once into two tensors, so DataLoader batches are one gather (get_batch).
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/core/tensor.hpp"
#include "tapegrad/data/dataset.hpp"

namespace tg::data {

enum class Split { Train, Test };

// "train" -> Split::Train, "test" -> Split::Test; anything else is a tg::Error.
Split parse_split(std::string_view name);
std::string_view split_name(Split split);

// Where the Debian package dataset-fashion-mnist installs the IDX .gz files.
inline constexpr std::string_view kFashionMnistRoot = "/usr/share/datasets/fashion-mnist";
std::string default_fashion_mnist_root();

// Per-pixel mean and std of the training images (after x / 255), for Normalize.
inline constexpr double kFashionMnistMean = 0.2860;
inline constexpr double kFashionMnistStd = 0.3530;
inline constexpr double kMnistMean = 0.1307;
inline constexpr double kMnistStd = 0.3081;

// "T-shirt/top", "Trouser", ..., "Ankle boot" and "0", ..., "9".
std::vector<std::string> fashion_mnist_classes();
std::vector<std::string> mnist_classes();

// The four file names without ".gz": train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte.
std::string mnist_images_file(Split split);
std::string mnist_labels_file(Split split);

struct ImagesLabels {
  Tensor images;  // float32 [N, 1, H, W] in [0, 1]
  Tensor labels;  // int64 [N]
};

// Loads an images file (uint8 [N, H, W]) and a labels file (uint8 [N], each < num_classes) and
// checks that they agree. `who` prefixes error messages. When `height`/`width` are > 0 the images
// must have that size.
ImagesLabels load_idx_images_labels(const std::string& images_path, const std::string& labels_path,
                                    std::int64_t num_classes, std::string_view who = "load_idx",
                                    std::int64_t height = 0, std::int64_t width = 0);

// Common part of MNIST and FashionMNIST: finds "<root>/<file>" or "<root>/<file>.gz" (raw
// preferred when both exist) and loads the split.
class MnistFormatDataset : public TensorDataset {
 public:
  const std::string& root() const { return root_; }
  Split split() const { return split_; }

 protected:
  // `who` names the dataset in errors; `missing_hint` says how to get the files.
  MnistFormatDataset(std::string_view who, const std::string& root, Split split,
                     std::vector<std::string> classes, std::string_view missing_hint);

 private:
  MnistFormatDataset(ImagesLabels data, const std::string& root, Split split,
                     std::vector<std::string> classes);
  std::string root_;
  Split split_;
};

class FashionMNIST : public MnistFormatDataset {
 public:
  static constexpr double kMean = kFashionMnistMean;
  static constexpr double kStd = kFashionMnistStd;

  explicit FashionMNIST(const std::string& root = default_fashion_mnist_root(),
                        Split split = Split::Train);
  FashionMNIST(const std::string& root, std::string_view split);
};

class MNIST : public MnistFormatDataset {
 public:
  static constexpr double kMean = kMnistMean;
  static constexpr double kStd = kMnistStd;

  MNIST(const std::string& root, Split split);
  MNIST(const std::string& root, std::string_view split);
};

}  // namespace tg::data
