#pragma once
/// @file
/// ImageFolder: a directory tree with one sub-folder per class, as
/// torchvision.datasets.ImageFolder.
///
/// @verbatim
///   root/cat/001.png          classes are the sub-folder names in sorted (byte) order, so
///   root/cat/more/002.jpg     "cat" is 0 and "dog" is 1; images are found recursively and
///   root/dog/a.bmp            ordered as torchvision does (by folder, then file name)
/// @endverbatim
///
/// Every image is decoded, converted to `channels`, resized to height x width and cached at
/// construction (8 bits per value, as PIL keeps a resized image), so unreadable files are found
/// up front and get() and get_batch() are plain copies. Decoding runs on the OpenMP threads.
///
/// There is no transform option: random augmentation must differ per epoch, and only the
/// DataLoader knows the epoch, so transforms (data/transforms.hpp) are given to the DataLoader.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tapegrad/data/dataset.hpp"

namespace tg::data {

/// What ImageFolder does with a file it cannot read.
enum class OnError {
  Fail,  ///< an unreadable image throws tg::Error naming the file (torchvision's behaviour)
  Skip,  ///< an unreadable image is left out, with one warning on stderr naming the file
};

/// Options of ImageFolder.
struct ImageFolderOptions {
  int channels = 3;  ///< 1 (gray) or 3 (RGB)
  int height = 0;    ///< required: every image is resized to height x width so batches stack
  int width = 0;     ///< required, see height
  OnError on_error = OnError::Fail;  ///< fail or skip on an unreadable image
};

/// File name endings ImageFolder accepts, compared case-insensitively; other files are ignored,
/// as are files and folders whose names start with '.' (e.g. .ipynb_checkpoints, .DS_Store).
inline constexpr const char* kImageExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif"};

/// A directory tree with one sub-folder per class, as torchvision.datasets.ImageFolder. Classes are
/// the sub-folder names in sorted (byte) order; every image is decoded, converted, resized and
/// cached at construction.
class ImageFolder : public Dataset {
 public:
  /// Finds, decodes and caches every image under root (which must be a folder).
  ImageFolder(const std::string& root, const ImageFolderOptions& options);

  /// The number of images (after skipping).
  std::int64_t size() const override { return static_cast<std::int64_t>(labels_.size()); }
  /// input float32 [C, H, W] in [0, 1], target int64 scalar (the class index).
  Example get(std::int64_t i) const override;
  /// inputs float32 [N, C, H, W], targets int64 [N].
  Example get_batch(std::span<const std::int64_t> indices) const override;
  std::vector<std::string> classes() const override { return classes_; }

  const std::string& root() const { return root_; }               ///< the root folder
  const ImageFolderOptions& options() const { return options_; }  ///< as constructed
  /// The file of example i.
  const std::string& path(std::int64_t i) const;
  /// The files of all examples, in example order (torchvision's .samples).
  const std::vector<std::string>& paths() const { return paths_; }
  /// The class index of every example, in example order.
  const std::vector<std::int64_t>& labels() const { return labels_; }
  /// Files left out in OnError::Skip mode, in the order they were found.
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  void check_index(std::int64_t i, const char* op) const;

  std::string root_;
  ImageFolderOptions options_;
  std::vector<std::string> classes_;
  std::vector<std::string> paths_;
  std::vector<std::int64_t> labels_;
  std::vector<std::string> skipped_;
  std::vector<std::uint8_t> pixels_;  // size() x C x H x W
};

/// One image prepared exactly as ImageFolder prepares its examples (decoded, converted to
/// `channels`, resized, rounded to 8 bits): float32 [channels, height, width]. For tools that
/// classify single files with a model trained on an ImageFolder.
Tensor load_image_resized(const std::string& path, int channels, int height, int width);

}  // namespace tg::data
