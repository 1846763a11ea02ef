// ImageFolder (data/image_folder.hpp) on small directory trees made in a temp dir.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "helpers.hpp"
#include "tapegrad/data/image.hpp"
#include "tapegrad/data/image_folder.hpp"

namespace fs = std::filesystem;
using tg::DType;
using tg::Tensor;
using tg::data::ImageFolder;
using tg::data::OnError;
using tgtest::TempDir;

namespace {

// A constant-colour RGB image (8-bit values r, g, b) of size h x w, saved by file extension.
void write_image(const fs::path& p, int r, int g, int b, int h, int w) {
  fs::create_directories(p.parent_path());
  std::vector<double> v;
  for (int c : {r, g, b})
    for (int i = 0; i < h * w; ++i) v.push_back(c / 255.0);
  const Tensor img = tg::tensor(v, {3, h, w}, DType::Float32);
  std::string ext = p.extension().string();
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".bmp")
    tg::data::save_bmp(p.string(), img);
  else if (ext == ".jpg" || ext == ".jpeg")
    tg::data::save_jpg(p.string(), img, 100);
  else
    tg::data::save_png(p.string(), img);
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  tgtest::write_file(p.string(), text);
}

// The tree used by most tests. Classes sort as a_cat (0), b_dog (1), c_bird (2), whatever order
// the files were made in; images have different sizes and are resized to 4 x 6.
//   a_cat/2.png      (10, 20, 30)  8 x 8
//   a_cat/10.png     (40, 50, 60)  3 x 5     "10.png" < "2.png" as strings, as in torchvision
//   a_cat/sub/0.bmp  (70, 80, 90)  4 x 6     a sub-folder comes after its parent's files
//   b_dog/x.BMP      (100, 110, 120) 5 x 5   extensions are case-insensitive
//   c_bird/y.JPG     (128, 128, 128) 16 x 16 (JPEG: checked with a tolerance)
// and things to ignore: a_cat/notes.txt, a_cat/.hidden.png, .ipynb_checkpoints/, a loose file.
void make_tree(const fs::path& root) {
  write_image(root / "c_bird" / "y.JPG", 128, 128, 128, 16, 16);
  write_image(root / "b_dog" / "x.BMP", 100, 110, 120, 5, 5);
  write_image(root / "a_cat" / "sub" / "0.bmp", 70, 80, 90, 4, 6);
  write_image(root / "a_cat" / "2.png", 10, 20, 30, 8, 8);
  write_image(root / "a_cat" / "10.png", 40, 50, 60, 3, 5);
  write_text(root / "a_cat" / "notes.txt", "not an image");
  write_image(root / "a_cat" / ".hidden.png", 1, 2, 3, 2, 2);
  write_image(root / ".ipynb_checkpoints" / "z.png", 1, 2, 3, 2, 2);
  write_text(root / "README", "loose file, not a class");
}

// Captures what is written to stderr (fd 2) while it is alive.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    saved_ = ::dup(2);
    std::FILE* f = std::tmpfile();
    file_ = f;
    ::dup2(::fileno(f), 2);
  }
  std::string finish() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out += static_cast<char>(c);
    std::fclose(file_);
    file_ = nullptr;
    return out;
  }
  ~StderrCapture() {
    if (file_) finish();
  }

 private:
  int saved_ = -1;
  std::FILE* file_ = nullptr;
};

std::vector<int> bytes_of(const Tensor& t) {
  std::vector<int> out;
  for (double v : t.to_vector<double>()) out.push_back(static_cast<int>(std::lround(v * 255)));
  return out;
}

// Whether every value of channel c of image [C, H, W] is within tol of value (in 8-bit units).
bool channel_is(const Tensor& img, std::int64_t c, int value, int tol = 0) {
  for (int b : bytes_of(img.slice(0, c, c + 1)))
    if (std::abs(b - value) > tol) return false;
  return true;
}

}  // namespace

TEST_CASE("ImageFolder: classes, order, labels and pixels", "[data]") {
  TempDir dir;
  make_tree(dir.path);
  const ImageFolder ds(dir.str(), {.channels = 3, .height = 4, .width = 6});
  CHECK(ds.classes() == std::vector<std::string>{"a_cat", "b_dog", "c_bird"});
  REQUIRE(ds.size() == 5);
  const fs::path r = dir.path;
  CHECK(ds.paths() == std::vector<std::string>{
                          (r / "a_cat" / "10.png").string(), (r / "a_cat" / "2.png").string(),
                          (r / "a_cat" / "sub" / "0.bmp").string(),
                          (r / "b_dog" / "x.BMP").string(), (r / "c_bird" / "y.JPG").string()});
  CHECK(ds.labels() == std::vector<std::int64_t>{0, 0, 0, 1, 2});
  CHECK(ds.skipped().empty());
  CHECK(ds.path(3) == (r / "b_dog" / "x.BMP").string());

  // Constant images stay constant through the resize and are exact for PNG and BMP.
  const int colours[5][3] = {
      {40, 50, 60}, {10, 20, 30}, {70, 80, 90}, {100, 110, 120}, {128, 128, 128}};
  for (std::int64_t i = 0; i < 5; ++i) {
    const auto e = ds.get(i);
    INFO("example " << i);
    REQUIRE(e.input.shape() == tg::Shape{3, 4, 6});
    CHECK(e.input.dtype() == DType::Float32);
    CHECK(e.target.dtype() == DType::Int64);
    CHECK(e.target.dim() == 0);
    CHECK(e.target.item<std::int64_t>() == ds.labels()[static_cast<std::size_t>(i)]);
    const int tol = i == 4 ? 3 : 0;  // JPEG
    for (int c = 0; c < 3; ++c) CHECK(channel_is(e.input, c, colours[i][c], tol));
  }
}

TEST_CASE("ImageFolder: get_batch stacks in the order asked", "[data]") {
  TempDir dir;
  make_tree(dir.path);
  const ImageFolder ds(dir.str(), {.channels = 3, .height = 4, .width = 6});
  const std::vector<std::int64_t> idx = {3, 0, 3, 1};
  const auto b = ds.get_batch(idx);
  REQUIRE(b.input.shape() == tg::Shape{4, 3, 4, 6});
  CHECK(b.input.dtype() == DType::Float32);
  CHECK(b.target.shape() == tg::Shape{4});
  CHECK(b.target.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1, 0});
  for (std::size_t k = 0; k < idx.size(); ++k) {
    const auto k64 = static_cast<std::int64_t>(k);
    CHECK(b.input.slice(0, k64, k64 + 1).squeeze(0).to_vector<double>() ==
          ds.get(idx[k]).input.to_vector<double>());
  }
  REQUIRE_THROWS_WITH(ds.get_batch(std::vector<std::int64_t>{0, 5}),
                      Catch::Contains("index 5 out of range for 5 examples"));
  REQUIRE_THROWS_WITH(ds.get(-1), Catch::Contains("index -1 out of range"));
  REQUIRE_THROWS_WITH(ds.get_batch(std::vector<std::int64_t>{}), Catch::Contains("empty"));
  REQUIRE_THROWS_AS(ds.path(5), tg::Error);
}

TEST_CASE("ImageFolder: gray images and resizing match load_image_resized", "[data]") {
  TempDir dir;
  make_tree(dir.path);
  const ImageFolder ds(dir.str(), {.channels = 1, .height = 3, .width = 3});
  REQUIRE(ds.size() == 5);
  const auto e = ds.get(1);  // a_cat/2.png, (10, 20, 30)
  REQUIRE(e.input.shape() == tg::Shape{1, 3, 3});
  // (77 * 10 + 150 * 20 + 29 * 30) >> 8 = (770 + 3000 + 870) >> 8 = 4640 >> 8 = 18.
  CHECK(channel_is(e.input, 0, 18));
  for (std::int64_t i = 0; i < ds.size(); ++i) {
    const Tensor single = tg::data::load_image_resized(ds.path(i), 1, 3, 3);
    CHECK(single.to_vector<double>() == ds.get(i).input.to_vector<double>());
  }
  // A non-constant image: values after resizing are rounded to multiples of 1/255 and equal
  // resize_image's result to within half a step.
  const fs::path p = dir.path / "a_cat" / "ramp.png";
  std::vector<double> ramp;
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x) ramp.push_back((x * 30 + y * 5) / 255.0);
  tg::data::save_png(p.string(), tg::tensor(ramp, {1, 5, 7}));
  const Tensor got = tg::data::load_image_resized(p.string(), 1, 3, 4);
  const Tensor want = tg::data::resize_image(tg::data::load_image(p.string(), 1), 3, 4);
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  REQUIRE(g.size() == 12);
  for (std::size_t i = 0; i < g.size(); ++i) {
    CHECK(std::abs(g[i] - w[i]) <= 0.5 / 255 + 1e-6);
    CHECK(g[i] * 255 == Approx(std::round(g[i] * 255)).margin(1e-4));
  }
}

TEST_CASE("ImageFolder: skip mode leaves out a corrupt file with one warning", "[data]") {
  TempDir dir;
  make_tree(dir.path);
  const fs::path bad = dir.path / "b_dog" / "broken.png";
  write_text(bad, "this is not a png");
  StderrCapture cap;
  const ImageFolder ds(dir.str(),
                       {.channels = 3, .height = 4, .width = 6, .on_error = OnError::Skip});
  const std::string err = cap.finish();
  CHECK(ds.size() == 5);
  CHECK(ds.skipped() == std::vector<std::string>{bad.string()});
  CHECK(ds.labels() == std::vector<std::int64_t>{0, 0, 0, 1, 2});
  CHECK(std::find(ds.paths().begin(), ds.paths().end(), bad.string()) == ds.paths().end());
  INFO(err);
  CHECK(err.find("warning") != std::string::npos);
  CHECK(err.find(bad.string()) != std::string::npos);
  // One warning line, for the one file.
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  // The examples after the skipped one keep their own pixels (b_dog/x.BMP follows broken.png).
  CHECK(channel_is(ds.get(3).input, 0, 100));
  CHECK(channel_is(ds.get(4).input, 0, 128, 3));
}

TEST_CASE("ImageFolder: fail mode throws naming the file", "[data]") {
  TempDir dir;
  make_tree(dir.path);
  const fs::path bad = dir.path / "c_bird" / "truncated.png";
  write_text(bad, "\x89PNG\r\n");
  REQUIRE_THROWS_WITH(ImageFolder(dir.str(), {.height = 4, .width = 6}),
                      Catch::Contains("ImageFolder") && Catch::Contains(bad.string()));
  REQUIRE_THROWS_WITH(ImageFolder(dir.str(), {.height = 4, .width = 6, .on_error = OnError::Fail}),
                      Catch::Contains(bad.string()));
}

TEST_CASE("ImageFolder: a class left with no readable image keeps its index", "[data]") {
  TempDir dir;
  write_image(dir.path / "a" / "ok.png", 1, 2, 3, 2, 2);
  write_text(dir.path / "b" / "bad.png", "garbage");
  write_image(dir.path / "c" / "ok.png", 4, 5, 6, 2, 2);
  StderrCapture cap;
  const ImageFolder ds(dir.str(),
                       {.channels = 3, .height = 2, .width = 2, .on_error = OnError::Skip});
  const std::string err = cap.finish();
  CHECK(ds.classes() == std::vector<std::string>{"a", "b", "c"});
  CHECK(ds.labels() == std::vector<std::int64_t>{0, 2});
  CHECK(err.find("class 'b' has no readable images") != std::string::npos);
}

TEST_CASE("ImageFolder: bad roots and options are clear errors", "[data]") {
  TempDir dir;
  const tg::data::ImageFolderOptions opt{.channels = 3, .height = 4, .width = 4};

  SECTION("missing root") {
    const std::string root = (dir.path / "nope").string();
    REQUIRE_THROWS_WITH(ImageFolder(root, opt),
                        Catch::Contains(root) && Catch::Contains("does not exist"));
  }
  SECTION("root is a file") {
    write_text(dir.path / "file", "x");
    REQUIRE_THROWS_WITH(ImageFolder((dir.path / "file").string(), opt),
                        Catch::Contains("is not a folder"));
  }
  SECTION("empty root") {
    REQUIRE_THROWS_WITH(ImageFolder(dir.str(), opt),
                        Catch::Contains(dir.str()) && Catch::Contains("no class sub-folders"));
  }
  SECTION("root with files but no class folders") {
    write_image(dir.path / "loose.png", 1, 2, 3, 2, 2);
    write_image(dir.path / ".hidden" / "x.png", 1, 2, 3, 2, 2);
    REQUIRE_THROWS_WITH(ImageFolder(dir.str(), opt), Catch::Contains("no class sub-folders"));
  }
  SECTION("a class folder without images") {
    write_image(dir.path / "a" / "x.png", 1, 2, 3, 2, 2);
    write_text(dir.path / "b" / "x.txt", "text");
    write_text(dir.path / "c" / "x.tiff", "tiff is not supported");
    REQUIRE_THROWS_WITH(ImageFolder(dir.str(), opt), Catch::Contains("'b', 'c'") &&
                                                         Catch::Contains("contain no images") &&
                                                         Catch::Contains(".png"));
  }
  SECTION("no readable image at all in skip mode") {
    write_text(dir.path / "a" / "x.png", "garbage");
    StderrCapture cap;
    REQUIRE_THROWS_WITH(
        ImageFolder(dir.str(), {.height = 4, .width = 4, .on_error = OnError::Skip}),
        Catch::Contains("none of the 1 images"));
  }
  SECTION("options") {
    write_image(dir.path / "a" / "x.png", 1, 2, 3, 2, 2);
    REQUIRE_THROWS_WITH(ImageFolder(dir.str(), {.channels = 2, .height = 4, .width = 4}),
                        Catch::Contains("channels must be 1 (gray) or 3 (RGB), got 2"));
    REQUIRE_THROWS_WITH(ImageFolder(dir.str(), {.channels = 3}),
                        Catch::Contains("height and width are required"));
    REQUIRE_THROWS_WITH(ImageFolder(dir.str(), {.height = 4, .width = -1}),
                        Catch::Contains("4x-1"));
    REQUIRE_THROWS_WITH(tg::data::load_image_resized((dir.path / "a" / "x.png").string(), 3, 0, 4),
                        Catch::Contains("load_image_resized"));
  }
}
