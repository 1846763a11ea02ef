// Image decoding, encoding and resizing (data/image.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/data/image.hpp"

using tg::DType;
using tg::Tensor;
using tgtest::TempDir;

namespace {

// float32 [C, H, W] from 8-bit values given in CHW order.
Tensor from_bytes(const std::vector<int>& bytes, std::int64_t c, std::int64_t h, std::int64_t w) {
  std::vector<double> v;
  for (int b : bytes) v.push_back(b / 255.0);
  return tg::tensor(v, {c, h, w}, DType::Float32);
}

// The image's values as 8-bit numbers (value * 255, rounded), CHW order.
std::vector<int> to_bytes(const Tensor& img) {
  std::vector<int> out;
  for (double v : img.to_vector<double>()) out.push_back(static_cast<int>(std::lround(v * 255)));
  return out;
}

std::uint32_t crc32(const unsigned char* p, std::size_t n) {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

void put_be32(std::vector<unsigned char>& b, std::size_t at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k)
    b[at + static_cast<std::size_t>(k)] = static_cast<unsigned char>(v >> (24 - 8 * k));
}

// A copy of a valid PNG whose IHDR claims width x height. The IHDR chunk starts at byte 8:
// length (4), "IHDR" (4), width (4, big-endian, byte 16), height (byte 20), ..., CRC at byte 29
// over bytes 12..28. With fix_crc false the CRC no longer matches.
void write_png_claiming(const std::string& src, const std::string& dst, std::uint32_t width,
                        std::uint32_t height, bool fix_crc) {
  auto b = tgtest::read_bytes(src);
  REQUIRE(b.size() > 33);
  REQUIRE(std::string(b.begin() + 12, b.begin() + 16) == "IHDR");
  put_be32(b, 16, width);
  put_be32(b, 20, height);
  if (fix_crc) put_be32(b, 29, crc32(b.data() + 12, 17));
  tgtest::write_bytes(dst, b);
}

// 3 x 2 x 3 RGB test image with distinct values (CHW order).
const std::vector<int> kRgb = {
    // red plane
    0, 10, 255, 128, 7, 200,
    // green plane
    1, 20, 254, 64, 77, 100,
    // blue plane
    2, 30, 253, 32, 177, 50};

}  // namespace

TEST_CASE("image: PNG round trip is exact in RGB and gray", "[data]") {
  TempDir dir;
  const std::string path = dir.file("rgb.png");
  tg::data::save_png(path, from_bytes(kRgb, 3, 2, 3));

  const auto info = tg::data::read_image_info(path);
  CHECK(info.height == 2);
  CHECK(info.width == 3);
  CHECK(info.channels == 3);

  const Tensor rgb = tg::data::load_image(path, 3);
  CHECK(rgb.dtype() == DType::Float32);
  CHECK(rgb.shape() == tg::Shape{3, 2, 3});
  CHECK(to_bytes(rgb) == kRgb);
  // Values are exactly byte / 255.
  CHECK(rgb.at<float>({0, 0, 2}) == 255.0f / 255.0f);
  CHECK(rgb.at<float>({0, 1, 0}) == 128.0f / 255.0f);

  const Tensor gray = tg::data::load_image(path, 1);
  CHECK(gray.shape() == tg::Shape{1, 2, 3});
  // stb's luma: (77 r + 150 g + 29 b) >> 8. Pixel (1, 1): r 7, g 77, b 177:
  // (539 + 11550 + 5133) >> 8 = 17222 >> 8 = 67.
  CHECK(to_bytes(gray)[4] == 67);
  // Pixel (0, 2): r 255, g 254, b 253: (19635 + 38100 + 7337) >> 8 = 65072 >> 8 = 254.
  CHECK(to_bytes(gray)[2] == 254);
  const auto g = to_bytes(gray);
  for (int i = 0; i < 6; ++i) {
    const int r = kRgb[i], gg = kRgb[6 + i], b = kRgb[12 + i];
    CHECK(g[i] == ((r * 77 + gg * 150 + b * 29) >> 8));
  }
}

TEST_CASE("image: gray PNG loads as gray and replicates to RGB", "[data]") {
  TempDir dir;
  const std::string path = dir.file("gray.png");
  const std::vector<int> bytes = {0, 50, 100, 150, 200, 255};
  tg::data::save_png(path, from_bytes(bytes, 1, 3, 2));
  CHECK(tg::data::read_image_info(path).channels == 1);
  CHECK(to_bytes(tg::data::load_image(path, 1)) == bytes);
  std::vector<int> rgb = bytes;
  rgb.insert(rgb.end(), bytes.begin(), bytes.end());
  rgb.insert(rgb.end(), bytes.begin(), bytes.end());
  const Tensor t = tg::data::load_image(path, 3);
  CHECK(t.shape() == tg::Shape{3, 3, 2});
  CHECK(to_bytes(t) == rgb);
}

TEST_CASE("image: RGBA PNG drops alpha", "[data]") {
  TempDir dir;
  const std::string path = dir.file("rgba.png");
  // 1 x 2 image: pixel 0 (10, 20, 30, alpha 0), pixel 1 (40, 50, 60, alpha 255).
  tg::data::save_png(path, from_bytes({10, 40, 20, 50, 30, 60, 0, 255}, 4, 1, 2));
  CHECK(tg::data::read_image_info(path).channels == 4);
  CHECK(to_bytes(tg::data::load_image(path, 3)) == std::vector<int>{10, 40, 20, 50, 30, 60});
}

TEST_CASE("image: BMP round trip is exact", "[data]") {
  TempDir dir;
  const std::string path = dir.file("rgb.bmp");
  tg::data::save_bmp(path, from_bytes(kRgb, 3, 2, 3));
  CHECK(to_bytes(tg::data::load_image(path, 3)) == kRgb);
  // BMP stores gray as RGB (v, v, v); luma of that is (256 v) >> 8 = v.
  const std::string gpath = dir.file("gray.bmp");
  const std::vector<int> bytes = {0, 1, 127, 128, 254, 255};
  tg::data::save_bmp(gpath, from_bytes(bytes, 1, 2, 3));
  CHECK(to_bytes(tg::data::load_image(gpath, 1)) == bytes);
}

TEST_CASE("image: JPEG at quality 100 is close", "[data]") {
  TempDir dir;
  const std::string path = dir.file("smooth.jpg");
  // A smooth 3 x 16 x 16 image (JPEG is lossy; smooth content survives well).
  std::vector<int> bytes;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) bytes.push_back(40 + 8 * x + 4 * y + 20 * c);
  tg::data::save_jpg(path, from_bytes(bytes, 3, 16, 16), 100);
  CHECK(tg::data::read_image_info(path).channels == 3);
  const auto got = to_bytes(tg::data::load_image(path, 3));
  REQUIRE(got.size() == bytes.size());
  int worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - bytes[i]));
  CHECK(worst <= 6);
  REQUIRE_THROWS_WITH(tg::data::save_jpg(dir.file("q.jpg"), from_bytes(bytes, 3, 16, 16), 0),
                      Catch::Contains("quality"));
}

TEST_CASE("image: GIF decodes its first frame", "[data]") {
  TempDir dir;
  const std::string path = dir.file("white.gif");
  // 1 x 1 GIF89a, global palette {white, black}, LZW data: clear, index 0, end.
  tgtest::write_bytes(path, {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00,
                             0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
                             0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b});
  const Tensor t = tg::data::load_image(path, 3);
  CHECK(t.shape() == tg::Shape{3, 1, 1});
  CHECK(to_bytes(t) == std::vector<int>{255, 255, 255});
}

TEST_CASE("image: save clamps, rounds and checks its input", "[data]") {
  TempDir dir;
  const std::string path = dir.file("clamp.png");
  // -0.5 -> 0, 2 -> 255, 0.5 -> round(127.5) = 128, NaN -> 0; float64 input is accepted.
  tg::data::save_png(path, tg::tensor({-0.5, 2.0, 0.5, std::nan("")}, {1, 2, 2}, DType::Float64));
  CHECK(to_bytes(tg::data::load_image(path, 1)) == std::vector<int>{0, 255, 128, 0});
  // A non-contiguous (transposed) view is saved as its logical values.
  const Tensor base = from_bytes({1, 2, 3, 4, 5, 6}, 1, 2, 3);
  tg::data::save_png(path, base.transpose(1, 2));
  CHECK(to_bytes(tg::data::load_image(path, 1)) == std::vector<int>{1, 4, 2, 5, 3, 6});

  REQUIRE_THROWS_WITH(tg::data::save_png(path, tg::zeros({2, 4, 4})),
                      Catch::Contains("save_png") && Catch::Contains("[2, 4, 4]"));
  REQUIRE_THROWS_WITH(tg::data::save_png(path, tg::zeros({4, 4})), Catch::Contains("save_png"));
  REQUIRE_THROWS_WITH(tg::data::save_bmp(path, tg::zeros({1, 4, 4}, DType::Int64)),
                      Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::data::save_png(dir.file("no/such/dir/x.png"), tg::zeros({1, 2, 2})),
                      Catch::Contains("cannot write") && Catch::Contains("no/such/dir/x.png"));
}

TEST_CASE("image: load_image argument errors", "[data]") {
  TempDir dir;
  const std::string path = dir.file("ok.png");
  tg::data::save_png(path, tg::zeros({1, 2, 2}));
  REQUIRE_THROWS_WITH(tg::data::load_image(path, 2),
                      Catch::Contains("channels must be 1 (gray) or 3 (RGB), got 2"));
  REQUIRE_THROWS_WITH(tg::data::load_image(path, 4), Catch::Contains("got 4"));
}

TEST_CASE("image: malformed and missing files are errors naming the path", "[data]") {
  TempDir dir;
  const std::string good = dir.file("good.png");
  std::vector<int> bytes;
  for (int i = 0; i < 3 * 32 * 32; ++i) bytes.push_back((i * 37) % 256);  // poorly compressible
  tg::data::save_png(good, from_bytes(bytes, 3, 32, 32));
  REQUIRE(to_bytes(tg::data::load_image(good, 3)) == bytes);

  SECTION("nonexistent") {
    const std::string p = dir.file("missing.png");
    REQUIRE_THROWS_WITH(tg::data::load_image(p, 3),
                        Catch::Contains(p) && Catch::Contains("does not exist"));
    REQUIRE_THROWS_AS(tg::data::read_image_info(p), tg::Error);
  }
  SECTION("a directory") {
    REQUIRE_THROWS_WITH(tg::data::load_image(dir.path.string(), 3),
                        Catch::Contains("is a directory"));
  }
  SECTION("empty file") {
    const std::string p = dir.file("empty.png");
    tgtest::write_bytes(p, {});
    REQUIRE_THROWS_WITH(tg::data::load_image(p, 3),
                        Catch::Contains(p) && Catch::Contains("not a readable image"));
  }
  SECTION("random bytes named .png") {
    const std::string p = dir.file("noise.png");
    std::vector<unsigned char> noise;
    tg::Generator gen(3);
    for (int i = 0; i < 500; ++i) noise.push_back(static_cast<unsigned char>(gen.below(256)));
    tgtest::write_bytes(p, noise);
    REQUIRE_THROWS_WITH(tg::data::load_image(p, 1), Catch::Contains(p));
  }
  SECTION("truncated PNG") {
    const std::string p = dir.file("truncated.png");
    auto b = tgtest::read_bytes(good);
    b.resize(b.size() / 2);
    tgtest::write_bytes(p, b);
    // The header is intact, so the error comes from decoding.
    CHECK(tg::data::read_image_info(p).width == 32);
    REQUIRE_THROWS_WITH(tg::data::load_image(p, 3),
                        Catch::Contains(p) && Catch::Contains("cannot decode"));
  }
  SECTION("PNG cut inside its header") {
    const std::string p = dir.file("stub.png");
    auto b = tgtest::read_bytes(good);
    b.resize(20);
    tgtest::write_bytes(p, b);
    REQUIRE_THROWS_WITH(tg::data::load_image(p, 3), Catch::Contains(p));
  }
  SECTION("header claiming 100000 x 100000, CRC fixed or not") {
    // stb_image refuses this header itself (its check 2^30 / w / channels < h) before any pixel
    // allocation (10^10 pixels would be 120 GB as float RGB); the error names the format.
    for (bool fix_crc : {false, true}) {
      const std::string p = dir.file(fix_crc ? "huge_crc.png" : "huge.png");
      write_png_claiming(good, p, 100000, 100000, fix_crc);
      REQUIRE_THROWS_WITH(tg::data::load_image(p, 3), Catch::Contains(p) &&
                                                          Catch::Contains("PNG signature") &&
                                                          Catch::Contains("too large"));
      REQUIRE_THROWS_AS(tg::data::read_image_info(p), tg::Error);
    }
  }
  SECTION("headers that stb accepts but that exceed our limits") {
    // stb_image does not check chunk CRCs: with a stale CRC the header still reaches our check.
    for (bool fix_crc : {false, true}) {
      const std::string p = dir.file("wide.png");
      write_png_claiming(good, p, 20000, 10, fix_crc);  // width 20000 > 16384
      REQUIRE_THROWS_WITH(tg::data::load_image(p, 1),
                          Catch::Contains(p) && Catch::Contains("claims 20000x10"));
      write_png_claiming(good, p, 16000, 16000, fix_crc);  // 2.56e8 pixels > 2^27
      REQUIRE_THROWS_WITH(tg::data::load_image(p, 1), Catch::Contains("claims 16000x16000"));
      REQUIRE_THROWS_WITH(tg::data::read_image_info(p), Catch::Contains("claims 16000x16000"));
    }
  }
  SECTION("header within limits but data for a smaller image") {
    // 64 x 64 claimed, 32 x 32 of data: decoding runs out of data and fails cleanly.
    const std::string p = dir.file("lying.png");
    write_png_claiming(good, p, 64, 64, true);
    REQUIRE_THROWS_WITH(tg::data::load_image(p, 3), Catch::Contains(p));
  }
}

TEST_CASE("resize: a constant image stays constant", "[data]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Tensor img = tg::full({2, 5, 7}, 0.3, dt);
    for (auto [h, w] :
         {std::pair{10, 14}, std::pair{2, 3}, std::pair{5, 3}, std::pair{1, 1}, std::pair{13, 2}}) {
      const Tensor r = tg::data::resize_image(img, h, w);
      CHECK(r.dtype() == dt);
      REQUIRE(r.shape() == tg::Shape{2, h, w});
      for (double v : r.to_vector<double>()) REQUIRE(v == Approx(0.3).epsilon(1e-6));
    }
  }
}

TEST_CASE("resize: 2x2 -> 4x4 is bilinear with align_corners=false", "[data]") {
  // Output pixel i samples input coordinate (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
  // clamped to [0, 1]: weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1).
  // Rows of [[0, 1], [2, 3]] become [0, .25, .75, 1] and [2, 2.25, 2.75, 3]; the middle output
  // rows are .75 * row0 + .25 * row1 and .25 * row0 + .75 * row1 (torch.nn.functional.interpolate
  // gives the same). Channel 1 is channel 0 + 10: channels are independent.
  const Tensor img = tg::tensor({0, 1, 2, 3, 10, 11, 12, 13}, {2, 2, 2}, DType::Float64);
  const Tensor r = tg::data::resize_image(img, 4, 4);
  REQUIRE(r.shape() == tg::Shape{2, 4, 4});
  const std::vector<double> c0 = {0,   0.25, 0.75, 1,   0.5, 0.75, 1.25, 1.5,
                                  1.5, 1.75, 2.25, 2.5, 2,   2.25, 2.75, 3};
  std::vector<double> expected = c0;
  for (double v : c0) expected.push_back(v + 10);
  tgtest::require_values(r, expected, 1e-12);

  // Non-contiguous input: the transpose of the image resizes to the transpose of the result.
  const Tensor rt = tg::data::resize_image(img.transpose(1, 2), 4, 4);
  tgtest::require_values(rt, r.transpose(1, 2).to_vector<double>(), 1e-12);

  // Only one axis changes: 1 x 2 -> 1 x 4 is the first output row.
  tgtest::require_values(tg::data::resize_image(tg::tensor({0, 1}, {1, 1, 2}), 1, 4),
                         {0, 0.25, 0.75, 1}, 1e-6);
}

TEST_CASE("resize: downscaling a checkerboard averages", "[data]") {
  // 4 -> 2 per axis. The filter is a triangle of half-width 2 input pixels centred at input
  // coordinate 1 (output 0) and 3 (output 1); taps inside the image, normalised:
  // output 0 <- pixels 0, 1, 2 with weights 3/7, 3/7, 1/7; output 1 <- pixels 1, 2, 3 with
  // 1/7, 3/7, 3/7. Checkerboard v = (x + y) % 2: rows [0,1,0,1] -> [3/7, 4/7] and [1,0,1,0] ->
  // [4/7, 3/7]; then columns [3/7, 4/7, 3/7, 4/7] -> [(9+12+3)/49, (4+9+12)/49] = [24/49, 25/49].
  std::vector<double> board;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) board.push_back((x + y) % 2);
  const Tensor img = tg::tensor(board, {1, 4, 4}, DType::Float64);
  tgtest::require_values(tg::data::resize_image(img, 2, 2),
                         {24.0 / 49, 25.0 / 49, 25.0 / 49, 24.0 / 49}, 1e-12);

  // A larger shrink (16 -> 4, factor 4) still sees every pixel: all outputs near the mean 0.5,
  // where point sampling would give 0s and 1s.
  std::vector<double> big;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) big.push_back((x + y) % 2);
  const Tensor small = tg::data::resize_image(tg::tensor(big, {1, 16, 16}, DType::Float32), 4, 4);
  for (double v : small.to_vector<double>()) CHECK(std::abs(v - 0.5) < 0.05);
  // And the mean of the whole image is kept to within the edge effect.
  CHECK(small.mean().item() == Approx(0.5).margin(0.01));
}

TEST_CASE("resize: same size is a copy; errors name the op and shape", "[data]") {
  const Tensor img = tg::rand({3, 4, 5});
  const Tensor r = tg::data::resize_image(img, 4, 5);
  CHECK_FALSE(r.storage() == img.storage());
  tgtest::require_values(r, img.to_vector<double>(), 0);
  REQUIRE_THROWS_WITH(tg::data::resize_image(tg::zeros({4, 5}), 2, 2),
                      Catch::Contains("resize_image") && Catch::Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(tg::data::resize_image(tg::zeros({1, 4, 5}, DType::Int64), 2, 2),
                      Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::data::resize_image(img, 0, 2), Catch::Contains("0x2"));
  REQUIRE_THROWS_WITH(tg::data::resize_image(tg::zeros({1, 0, 5}), 2, 2), Catch::Contains("empty"));
}
