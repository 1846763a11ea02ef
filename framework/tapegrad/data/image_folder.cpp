#include "tapegrad/data/image_folder.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tapegrad/core/error.hpp"
#include "tapegrad/data/detail.hpp"
#include "tapegrad/data/image.hpp"
#include "tapegrad/kernels/parallel.hpp"

namespace tg::data {

namespace fs = std::filesystem;

namespace {

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return std::any_of(std::begin(kImageExtensions), std::end(kImageExtensions),
                     [&](const char* e) { return ext == e; });
}

std::string extension_list() {
  std::string s;
  for (const char* e : kImageExtensions) s += (s.empty() ? "" : ", ") + std::string(e);
  return s;
}

// Image files under `dir`, recursively, ordered as torchvision's make_dataset orders them
// (sorted(os.walk(dir)) then sorted file names): by containing folder, then by name.
std::vector<std::string> find_images(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> found;  // (folder, file name)
  const auto opts = fs::directory_options::follow_directory_symlink |
                    fs::directory_options::skip_permission_denied;
  for (auto it = fs::recursive_directory_iterator(dir, opts);
       it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    if (is_hidden(p)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && has_image_extension(p))
      found.emplace_back(p.parent_path().string(), p.filename().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (const auto& [folder, name] : found) paths.push_back((fs::path(folder) / name).string());
  return paths;
}

// Decodes, resizes and rounds one image into dst (channels * height * width bytes, CHW).
void decode_resized_u8(const std::string& path, int channels, int height, int width,
                       std::uint8_t* dst) {
  Tensor img = load_image(path, channels);
  if (img.size(1) != height || img.size(2) != width) img = resize_image(img, height, width);
  const float* p = img.data_ptr<float>();
  const std::int64_t n = img.numel();
  for (std::int64_t i = 0; i < n; ++i) dst[i] = detail::float_to_u8(p[i]);
}

void check_size_options(int channels, int height, int width, const char* op) {
  TG_CHECK(channels == 1 || channels == 3, "{}: channels must be 1 (gray) or 3 (RGB), got {}", op,
           channels);
  TG_CHECK(height >= 1 && width >= 1 && height <= kMaxImageSide && width <= kMaxImageSide,
           "{}: height and width are required and must be in 1..{}, got {}x{} (height x width)", op,
           kMaxImageSide, height, width);
}

}  // namespace

Tensor load_image_resized(const std::string& path, int channels, int height, int width) {
  check_size_options(channels, height, width, "load_image_resized");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(channels) * height * width);
  decode_resized_u8(path, channels, height, width, bytes.data());
  Tensor out = Tensor::empty({channels, height, width}, DType::Float32);
  float* o = out.data_ptr<float>();
  const auto& table = detail::u8_to_float();
  for (std::size_t i = 0; i < bytes.size(); ++i) o[i] = table[bytes[i]];
  return out;
}

ImageFolder::ImageFolder(const std::string& root, const ImageFolderOptions& options)
    : root_(root), options_(options) {
  check_size_options(options.channels, options.height, options.width, "ImageFolder");
  std::vector<std::string> files;
  std::vector<std::int64_t> file_labels;
  try {
    std::error_code ec;
    const auto status = fs::status(root, ec);
    TG_CHECK(fs::exists(status), "ImageFolder: root folder '{}' does not exist", root);
    TG_CHECK(fs::is_directory(status), "ImageFolder: root '{}' is not a folder", root);
    for (const auto& entry : fs::directory_iterator(root))
      if (entry.is_directory() && !is_hidden(entry.path()))
        classes_.push_back(entry.path().filename().string());
    std::sort(classes_.begin(), classes_.end());
    TG_CHECK(!classes_.empty(),
             "ImageFolder: '{}' has no class sub-folders; expected one folder per class, as "
             "{}/<class>/<image>",
             root, root);
    std::vector<std::string> empty_classes;
    for (std::size_t c = 0; c < classes_.size(); ++c) {
      const auto found = find_images(fs::path(root) / classes_[c]);
      if (found.empty()) empty_classes.push_back(classes_[c]);
      files.insert(files.end(), found.begin(), found.end());
      file_labels.insert(file_labels.end(), found.size(), static_cast<std::int64_t>(c));
    }
    TG_CHECK(empty_classes.empty(),
             "ImageFolder: class folder(s) {} under '{}' contain no images (looked for {})",
             fmt::format("'{}'", fmt::join(empty_classes, "', '")), root, extension_list());
  } catch (const fs::filesystem_error& e) {
    fail("ImageFolder: cannot read the folders under '{}': {}", root, e.what());
  }

  const auto n = static_cast<std::int64_t>(files.size());
  const std::int64_t example_bytes =
      std::int64_t{options_.channels} * options_.height * options_.width;
  pixels_.resize(static_cast<std::size_t>(n * example_bytes));
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  std::atomic<bool> stop{false};
  const bool fail_fast = options_.on_error == OnError::Fail;
  kernels::parallel_for(0, n, 4, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e && !stop.load(std::memory_order_relaxed); ++i) {
      const auto k = static_cast<std::size_t>(i);
      try {
        decode_resized_u8(files[k], options_.channels, options_.height, options_.width,
                          pixels_.data() + i * example_bytes);
      } catch (const std::exception& ex) {  // nothing may leave an OpenMP region
        errors[k] = ex.what();
        if (errors[k].empty()) errors[k] = "unknown error";
        if (fail_fast) stop = true;
      }
    }
  });

  // Keep the readable images, moving their pixels down over the skipped ones.
  std::int64_t kept = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (!errors[k].empty()) {
      if (fail_fast) fail("ImageFolder: cannot load an image of '{}': {}", root, errors[k]);
      fmt::print(stderr, "warning: ImageFolder: skipping '{}': {}\n", files[k], errors[k]);
      skipped_.push_back(files[k]);
      continue;
    }
    if (kept != i)
      std::copy_n(pixels_.begin() + i * example_bytes, example_bytes,
                  pixels_.begin() + kept * example_bytes);
    paths_.push_back(std::move(files[k]));
    labels_.push_back(file_labels[k]);
    ++kept;
  }
  TG_CHECK(kept > 0, "ImageFolder: none of the {} images under '{}' could be read (first: {})", n,
           root, skipped_.empty() ? std::string("?") : skipped_.front());
  pixels_.resize(static_cast<std::size_t>(kept * example_bytes));
  pixels_.shrink_to_fit();
  for (std::size_t c = 0; c < classes_.size(); ++c)
    if (std::find(labels_.begin(), labels_.end(), static_cast<std::int64_t>(c)) == labels_.end())
      fmt::print(stderr, "warning: ImageFolder: class '{}' has no readable images left\n",
                 classes_[c]);
}

void ImageFolder::check_index(std::int64_t i, const char* op) const {
  TG_CHECK(i >= 0 && i < size(), "ImageFolder::{}: index {} out of range for {} examples", op, i,
           size());
}

const std::string& ImageFolder::path(std::int64_t i) const {
  check_index(i, "path");
  return paths_[static_cast<std::size_t>(i)];
}

Example ImageFolder::get(std::int64_t i) const {
  const std::int64_t one[] = {i};
  check_index(i, "get");
  Example batch = get_batch(one);
  return {batch.input.squeeze(0), batch.target.squeeze(0)};
}

Example ImageFolder::get_batch(std::span<const std::int64_t> indices) const {
  TG_CHECK(!indices.empty(), "ImageFolder::get_batch: empty list of indices");
  for (std::int64_t i : indices) check_index(i, "get_batch");
  const std::int64_t c = options_.channels, h = options_.height, w = options_.width;
  const std::int64_t example = c * h * w;
  const auto n = static_cast<std::int64_t>(indices.size());
  Tensor x = Tensor::empty({n, c, h, w}, DType::Float32);
  Tensor y = Tensor::empty({n}, DType::Int64);
  float* xo = x.data_ptr<float>();
  std::int64_t* yo = y.data_ptr<std::int64_t>();
  const auto& table = detail::u8_to_float();
  for (std::int64_t b = 0; b < n; ++b) {
    const std::int64_t i = indices[static_cast<std::size_t>(b)];
    const std::uint8_t* src = pixels_.data() + i * example;
    float* dst = xo + b * example;
    for (std::int64_t k = 0; k < example; ++k) dst[k] = table[src[k]];
    yo[b] = labels_[static_cast<std::size_t>(i)];
  }
  return {x, y};
}

}  // namespace tg::data
