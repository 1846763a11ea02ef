// MNIST / Fashion-MNIST datasets: small hand-made IDX directories for the logic and the errors,
// and the real Fashion-MNIST (Debian package dataset-fashion-mnist) when it is installed.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/data/idx.hpp"
#include "tapegrad/data/mnist.hpp"

namespace fs = std::filesystem;
using tg::data::IdxType;
using tg::data::Split;
using tgtest::TempDir;

namespace {

// uint8 images [n, h, w] whose pixel (i, r, c) is (i * 7 + r * 3 + c) % 256, so every value 0..255
// appears and each image differs.
tg::Tensor test_images(std::int64_t n, std::int64_t h = 28, std::int64_t w = 28) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t r = 0; r < h; ++r)
      for (std::int64_t c = 0; c < w; ++c)
        v.push_back(static_cast<double>((i * 7 + r * 3 + c) % 256));
  return tg::tensor(v, {n, h, w}, tg::DType::Float64);
}

// A dataset directory: train has 5 examples (raw files), test has 3 (gzipped).
void write_split(const TempDir& dir, Split split, std::int64_t n, const std::vector<double>& labels,
                 bool gz) {
  const std::string suffix = gz ? ".gz" : "";
  tg::data::write_idx(dir.file(tg::data::mnist_images_file(split) + suffix), test_images(n),
                      IdxType::UInt8, gz);
  tg::data::write_idx(dir.file(tg::data::mnist_labels_file(split) + suffix),
                      tg::tensor(labels, {static_cast<std::int64_t>(labels.size())}),
                      IdxType::UInt8, gz);
}

void write_small_dataset(const TempDir& dir) {
  write_split(dir, Split::Train, 5, {9, 0, 3, 3, 7}, false);
  write_split(dir, Split::Test, 3, {1, 2, 8}, true);
}

}  // namespace

TEST_CASE("mnist: split names", "[data]") {
  REQUIRE(tg::data::parse_split("train") == Split::Train);
  REQUIRE(tg::data::parse_split("test") == Split::Test);
  REQUIRE(tg::data::split_name(Split::Test) == "test");
  REQUIRE_THROWS_WITH(tg::data::parse_split("validation"),
                      Catch::Contains("unknown dataset split 'validation'") &&
                          Catch::Contains("\"train\" or \"test\""));
  REQUIRE(tg::data::mnist_images_file(Split::Test) == "t10k-images-idx3-ubyte");
  REQUIRE(tg::data::mnist_labels_file(Split::Train) == "train-labels-idx1-ubyte");
}

TEST_CASE("mnist: a small dataset directory loads as float images in [0, 1] and int64 labels",
          "[data]") {
  TempDir dir;
  write_small_dataset(dir);

  const tg::data::MNIST train(dir.path.string(), "train");
  REQUIRE(train.size() == 5);
  REQUIRE(train.split() == Split::Train);
  REQUIRE(train.root() == dir.path.string());
  REQUIRE(train.inputs().shape() == tg::Shape{5, 1, 28, 28});
  REQUIRE(train.inputs().dtype() == tg::DType::Float32);
  REQUIRE(train.targets().dtype() == tg::DType::Int64);
  REQUIRE(train.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{9, 0, 3, 3, 7});
  REQUIRE(train.classes() ==
          std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  // Pixel (i=2, r=4, c=5) was (2*7 + 4*3 + 5) % 256 = 31, so it reads 31 / 255.
  REQUIRE(train.inputs().at<float>({2, 0, 4, 5}) == 31.0f / 255.0f);
  // (0*7 + 27*3 + 27) = 108; (4*7 + 27*3 + 27) % 256 = 136.
  REQUIRE(train.inputs().at<float>({0, 0, 27, 27}) == 108.0f / 255.0f);
  REQUIRE(train.inputs().at<float>({4, 0, 27, 27}) == 136.0f / 255.0f);
  // Every stored value 0..255 becomes exactly v / 255.0f: 0 -> 0 and 255 -> 1 included.
  const auto px = train.inputs().to_vector<float>();
  const auto raw = test_images(5).to_vector<double>();
  for (std::size_t i = 0; i < px.size(); ++i) REQUIRE(px[i] == static_cast<float>(raw[i]) / 255.0f);

  const tg::data::Example e = train.get(4);
  REQUIRE(e.input.shape() == tg::Shape{1, 28, 28});
  REQUIRE(e.target.item<std::int64_t>() == 7);
  const std::array<std::int64_t, 2> idx{4, 0};
  const tg::data::Example b = train.get_batch(idx);
  REQUIRE(b.input.shape() == tg::Shape{2, 1, 28, 28});
  REQUIRE(b.target.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 9});

  // The test split of the same directory is gzipped; FashionMNIST reads the same files.
  const tg::data::FashionMNIST test(dir.path.string(), Split::Test);
  REQUIRE(test.size() == 3);
  REQUIRE(test.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 8});
  REQUIRE(test.classes().size() == 10);
  REQUIRE(test.classes()[0] == "T-shirt/top");
  REQUIRE(test.classes()[9] == "Ankle boot");
  REQUIRE(tg::data::FashionMNIST::kMean == 0.2860);
  REQUIRE(tg::data::FashionMNIST::kStd == 0.3530);
  REQUIRE(tg::data::MNIST::kMean == 0.1307);
  REQUIRE(tg::data::MNIST::kStd == 0.3081);
  REQUIRE(tg::data::default_fashion_mnist_root() == "/usr/share/datasets/fashion-mnist");
  REQUIRE_THROWS_WITH(tg::data::MNIST(dir.path.string(), "val"),
                      Catch::Contains("unknown dataset split 'val'"));
}

TEST_CASE("mnist: the raw file is used when both raw and .gz exist", "[data]") {
  TempDir dir;
  write_small_dataset(dir);
  // A different, raw test split beside the gzipped one.
  write_split(dir, Split::Test, 2, {4, 5}, false);
  const tg::data::MNIST test(dir.path.string(), Split::Test);
  REQUIRE(test.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 5});
}

TEST_CASE("mnist: a missing dataset says how to get it", "[data]") {
  TempDir dir;
  const std::string missing = dir.file("not-there");
  REQUIRE_THROWS_WITH(tg::data::FashionMNIST(missing, Split::Train),
                      Catch::Contains("FashionMNIST") && Catch::Contains(missing) &&
                          Catch::Contains("does not exist") &&
                          Catch::Contains("apt-get install dataset-fashion-mnist") &&
                          Catch::Contains("--data DIR holding train-images-idx3-ubyte.gz"));
  REQUIRE_THROWS_WITH(tg::data::MNIST(missing, "test"),
                      Catch::Contains("MNIST") && Catch::Contains("--data DIR"));
  // The directory exists but lacks the test files.
  write_split(dir, Split::Train, 2, {0, 1}, true);
  REQUIRE_THROWS_WITH(tg::data::FashionMNIST(dir.path.string(), Split::Test),
                      Catch::Contains("has neither t10k-images-idx3-ubyte nor "
                                      "t10k-images-idx3-ubyte.gz") &&
                          Catch::Contains("dataset-fashion-mnist"));
  // A file given as the root.
  const std::string file = dir.file("train-images-idx3-ubyte.gz");
  REQUIRE_THROWS_WITH(tg::data::FashionMNIST(file, Split::Train),
                      Catch::Contains("is not a directory"));
}

TEST_CASE("mnist: inconsistent or malformed dataset files are errors", "[data]") {
  SECTION("label file with the wrong N") {
    TempDir dir;
    tg::data::write_idx(dir.file("train-images-idx3-ubyte"), test_images(5), IdxType::UInt8);
    tg::data::write_idx(dir.file("train-labels-idx1-ubyte"), tg::tensor({1, 2, 3, 4}, {4}),
                        IdxType::UInt8);
    REQUIRE_THROWS_WITH(
        tg::data::FashionMNIST(dir.path.string(), Split::Train),
        Catch::Contains("has 5 images but labels file") && Catch::Contains("has 4 labels"));
  }
  SECTION("label out of range") {
    TempDir dir;
    write_split(dir, Split::Train, 3, {0, 10, 2}, false);
    REQUIRE_THROWS_WITH(tg::data::MNIST(dir.path.string(), Split::Train),
                        Catch::Contains("label 1 is 10, expected 0..9"));
  }
  SECTION("images of rank 2") {
    TempDir dir;
    tg::data::write_idx(dir.file("train-images-idx3-ubyte"), tg::zeros({3, 784}), IdxType::UInt8);
    tg::data::write_idx(dir.file("train-labels-idx1-ubyte"), tg::zeros({3}), IdxType::UInt8);
    REQUIRE_THROWS_WITH(tg::data::MNIST(dir.path.string(), Split::Train),
                        Catch::Contains("uint8 [3, 784]") && Catch::Contains("rank 3"));
  }
  SECTION("images of the wrong size") {
    TempDir dir;
    tg::data::write_idx(dir.file("train-images-idx3-ubyte"), test_images(2, 27, 28),
                        IdxType::UInt8);
    tg::data::write_idx(dir.file("train-labels-idx1-ubyte"), tg::zeros({2}), IdxType::UInt8);
    REQUIRE_THROWS_WITH(tg::data::MNIST(dir.path.string(), Split::Train),
                        Catch::Contains("images of 27x28; expected 28x28"));
  }
  SECTION("labels stored as int32") {
    TempDir dir;
    tg::data::write_idx(dir.file("train-images-idx3-ubyte"), test_images(2), IdxType::UInt8);
    tg::data::write_idx(dir.file("train-labels-idx1-ubyte"), tg::zeros({2}), IdxType::Int32);
    REQUIRE_THROWS_WITH(tg::data::MNIST(dir.path.string(), Split::Train),
                        Catch::Contains("holds int32 [2]; expected uint8 [N]"));
  }
  SECTION("a truncated images file") {
    TempDir dir;
    write_split(dir, Split::Train, 2, {0, 1}, false);
    fs::resize_file(dir.file("train-images-idx3-ubyte"), 16 + 2 * 784 - 1);
    REQUIRE_THROWS_WITH(tg::data::MNIST(dir.path.string(), Split::Train),
                        Catch::Contains("train-images-idx3-ubyte") &&
                            Catch::Contains("promises 1568 data bytes, the file has 1567"));
  }
  SECTION("generic loader without a size requirement") {
    TempDir dir;
    tg::data::write_idx(dir.file("img"), test_images(2, 3, 4), IdxType::UInt8, true);
    tg::data::write_idx(dir.file("lab"), tg::tensor({1, 4}, {2}), IdxType::UInt8);
    const auto d = tg::data::load_idx_images_labels(dir.file("img"), dir.file("lab"), 5);
    REQUIRE(d.images.shape() == tg::Shape{2, 1, 3, 4});
    // Pixel (1, r=2, c=3) = 7 + 6 + 3 = 16.
    REQUIRE(d.images.at<float>({1, 0, 2, 3}) == 16.0f / 255.0f);
    REQUIRE_THROWS_WITH(tg::data::load_idx_images_labels(dir.file("img"), dir.file("lab"), 4),
                        Catch::Contains("label 1 is 4, expected 0..3"));
  }
}

namespace {

bool have_fashion_mnist() {
  std::error_code ec;
  return fs::is_directory(tg::data::default_fashion_mnist_root(), ec);
}

}  // namespace

TEST_CASE("mnist: real Fashion-MNIST train split", "[data]") {
  if (!have_fashion_mnist()) {
    WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    return;
  }
  const tg::data::FashionMNIST train;  // default root, train split
  REQUIRE(train.size() == 60000);
  REQUIRE(train.inputs().shape() == tg::Shape{60000, 1, 28, 28});
  REQUIRE(train.targets().shape() == tg::Shape{60000});
  REQUIRE(train.targets().at<std::int64_t>({0}) == 9);  // the first image is an ankle boot
  REQUIRE(train.classes()[9] == "Ankle boot");
  const float* x = train.inputs().data_ptr<float>();
  const std::int64_t n = train.inputs().numel();
  double sum = 0, sumsq = 0;
  float lo = 1, hi = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    sum += x[i];
    sumsq += static_cast<double>(x[i]) * x[i];
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  REQUIRE(lo == 0.0f);
  REQUIRE(hi == 1.0f);
  const double mean = sum / static_cast<double>(n);
  const double stdev = std::sqrt(sumsq / static_cast<double>(n) - mean * mean);
  REQUIRE(mean == Approx(tg::data::kFashionMnistMean).margin(1e-3));
  REQUIRE(stdev == Approx(tg::data::kFashionMnistStd).margin(1e-3));
  std::array<std::int64_t, 10> hist{};
  for (std::int64_t y : train.targets().to_vector<std::int64_t>())
    ++hist.at(static_cast<std::size_t>(y));
  for (std::int64_t c : hist) REQUIRE(c == 6000);
}

TEST_CASE("mnist: real Fashion-MNIST test split has 1000 examples per class", "[data]") {
  if (!have_fashion_mnist()) {
    WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    return;
  }
  const tg::data::FashionMNIST test(tg::data::default_fashion_mnist_root(), "test");
  REQUIRE(test.size() == 10000);
  REQUIRE(test.inputs().shape() == tg::Shape{10000, 1, 28, 28});
  std::array<std::int64_t, 10> hist{};
  for (std::int64_t y : test.targets().to_vector<std::int64_t>())
    ++hist.at(static_cast<std::size_t>(y));
  for (std::int64_t c : hist) REQUIRE(c == 1000);
  const std::array<std::int64_t, 3> idx{0, 9999, 5000};
  const tg::data::Example b = test.get_batch(idx);
  REQUIRE(b.input.shape() == tg::Shape{3, 1, 28, 28});
  REQUIRE(b.target.dtype() == tg::DType::Int64);
}
