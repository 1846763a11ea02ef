#pragma once
/// @file
/// MNIST and Fashion-MNIST from their four IDX files (gzipped or raw), as TensorDatasets:
/// images float32 [N, 1, 28, 28] scaled to [0, 1] (x / 255), labels int64 [N] in 0..9. The whole
/// split is loaded once into two tensors, so DataLoader batches are one gather (get_batch).
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/core/tensor.hpp"
#include "tapegrad/data/dataset.hpp"

namespace tg::data {

/// Which part of a data set.
enum class Split {
  Train,  ///< the training split
  Test    ///< the test split
};

/// "train" -> Split::Train, "test" -> Split::Test; anything else is a tg::Error.
Split parse_split(std::string_view name);
/// "train" or "test".
std::string_view split_name(Split split);

/// Where the Debian package dataset-fashion-mnist installs the IDX .gz files.
inline constexpr std::string_view kFashionMnistRoot = "/usr/share/datasets/fashion-mnist";
/// kFashionMnistRoot, as a string.
std::string default_fashion_mnist_root();

/// @name Normalisation constants
/// Per-pixel mean and std of the training images (after x / 255), for Normalize.
/// @{
inline constexpr double kFashionMnistMean = 0.2860;  ///< Fashion-MNIST mean
inline constexpr double kFashionMnistStd = 0.3530;   ///< Fashion-MNIST std
inline constexpr double kMnistMean = 0.1307;         ///< MNIST mean
inline constexpr double kMnistStd = 0.3081;          ///< MNIST std
/// @}

/// "T-shirt/top", "Trouser", ..., "Ankle boot".
std::vector<std::string> fashion_mnist_classes();
/// "0", ..., "9".
std::vector<std::string> mnist_classes();

/// The images file name without ".gz": train-images-idx3-ubyte or t10k-images-idx3-ubyte.
std::string mnist_images_file(Split split);
/// The labels file name without ".gz": train-labels-idx1-ubyte or t10k-labels-idx1-ubyte.
std::string mnist_labels_file(Split split);

/// Images and their labels, as load_idx_images_labels returns them.
struct ImagesLabels {
  Tensor images;  ///< float32 [N, 1, H, W] in [0, 1]
  Tensor labels;  ///< int64 [N]
};

/// Loads an images file (uint8 [N, H, W]) and a labels file (uint8 [N], each < num_classes) and
/// checks that they agree. `who` prefixes error messages. When `height`/`width` are > 0 the images
/// must have that size.
ImagesLabels load_idx_images_labels(const std::string& images_path, const std::string& labels_path,
                                    std::int64_t num_classes, std::string_view who = "load_idx",
                                    std::int64_t height = 0, std::int64_t width = 0);

/// Common part of MNIST and FashionMNIST: finds "<root>/<file>" or "<root>/<file>.gz" (raw
/// preferred when both exist) and loads the split.
class MnistFormatDataset : public TensorDataset {
 public:
  const std::string& root() const { return root_; }  ///< the folder the files were read from
  Split split() const { return split_; }             ///< the split loaded

 protected:
  /// `who` names the dataset in errors; `missing_hint` says how to get the files.
  MnistFormatDataset(std::string_view who, const std::string& root, Split split,
                     std::vector<std::string> classes, std::string_view missing_hint);

 private:
  MnistFormatDataset(ImagesLabels data, const std::string& root, Split split,
                     std::vector<std::string> classes);
  std::string root_;
  Split split_;
};

/// Fashion-MNIST (Zalando's 28x28 gray clothing images, 10 classes): 60,000 training and 10,000
/// test images.
class FashionMNIST : public MnistFormatDataset {
 public:
  static constexpr double kMean = kFashionMnistMean;  ///< training-set pixel mean
  static constexpr double kStd = kFashionMnistStd;    ///< training-set pixel std

  /// Loads `split` from root (missing or bad files are a tg::Error saying how to get them).
  explicit FashionMNIST(const std::string& root = default_fashion_mnist_root(),
                        Split split = Split::Train);
  /// Loads the split named "train" or "test".
  FashionMNIST(const std::string& root, std::string_view split);
};

/// MNIST (28x28 gray handwritten digits, 10 classes): 60,000 training and 10,000 test images.
class MNIST : public MnistFormatDataset {
 public:
  static constexpr double kMean = kMnistMean;  ///< training-set pixel mean
  static constexpr double kStd = kMnistStd;    ///< training-set pixel std

  /// Loads `split` from root (missing or bad files are a tg::Error saying how to get them).
  MNIST(const std::string& root, Split split);
  /// Loads the split named "train" or "test".
  MNIST(const std::string& root, std::string_view split);
};

}  // namespace tg::data
