// Per-example image transforms (data/transforms.hpp).
#include <set>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/data/transforms.hpp"

using tg::DType;
using tg::Generator;
using tg::Tensor;
namespace td = tg::data;

namespace {

// 1, 2, 3, ... in row-major order: every value is distinct and non-zero, so a zero in an output
// can only be padding.
Tensor counting(const tg::Shape& shape, DType dt = DType::Float32) {
  return tgtest::iota(shape, dt) + 1.0;
}

// Value of the image zero-padded by `pad` on every side at padded coordinates (y, x).
double padded_at(const Tensor& img, std::int64_t c, std::int64_t y, std::int64_t x, int pad) {
  y -= pad;
  x -= pad;
  if (y < 0 || x < 0 || y >= img.size(1) || x >= img.size(2)) return 0;
  return img.at({c, y, x});
}

// Whether out == padded(img)[:, dy:dy+h, dx:dx+w].
bool is_window(const Tensor& out, const Tensor& img, int pad, std::int64_t dy, std::int64_t dx) {
  for (std::int64_t c = 0; c < out.size(0); ++c)
    for (std::int64_t i = 0; i < out.size(1); ++i)
      for (std::int64_t j = 0; j < out.size(2); ++j)
        if (out.at({c, i, j}) != padded_at(img, c, i + dy, j + dx, pad)) return false;
  return true;
}

}  // namespace

TEST_CASE("transforms: normalize per channel, by hand", "[data]") {
  Generator gen(1);
  // Channel 0 [0.5, 1.0], channel 1 [0.2, 0.4]; mean (0.5, 0.2), std (0.5, 0.1):
  // (0.5-0.5)/0.5 = 0, (1-0.5)/0.5 = 1, (0.2-0.2)/0.1 = 0, (0.4-0.2)/0.1 = 2.
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Tensor img = tg::tensor({0.5, 1.0, 0.2, 0.4}, {2, 1, 2}, dt);
    const Tensor out = td::normalize({0.5, 0.2}, {0.5, 0.1})(img, gen);
    CHECK(out.dtype() == dt);
    CHECK(out.shape() == tg::Shape{2, 1, 2});
    tgtest::require_values(out, {0, 1, 0, 2}, 1e-6);
    tgtest::require_values(img, {0.5, 1.0, 0.2, 0.4}, 1e-7);  // input untouched
  }
  // One value applies to every channel: (x - 0.5) / 0.25 for x = 0, 0.25, 0.75, 1 -> -2, -1, 1, 2.
  const Tensor img = tg::tensor({0, 0.25, 0.75, 1}, {2, 2, 1});
  tgtest::require_values(td::normalize({0.5}, {0.25})(img, gen), {-2, -1, 1, 2}, 1e-6);
  // Mixed: one mean for all, a std per channel.
  tgtest::require_values(td::normalize({0.5}, {0.25, 0.5})(img, gen), {-2, -1, 0.5, 1}, 1e-6);
  // Non-contiguous input: the transpose of [[0, 0.25], [0.75, 1]] in one channel.
  const Tensor base = tg::tensor({0, 0.25, 0.75, 1}, {1, 2, 2});
  tgtest::require_values(td::normalize({0.5}, {0.25})(base.transpose(1, 2), gen), {-2, 1, -1, 2},
                         1e-6);
}

TEST_CASE("transforms: normalize errors", "[data]") {
  Generator gen(1);
  REQUIRE_THROWS_WITH(td::normalize({0.5}, {0.0}), Catch::Contains("std must be > 0"));
  REQUIRE_THROWS_WITH(td::normalize({0.5}, {-1.0}), Catch::Contains("std must be > 0"));
  REQUIRE_THROWS_WITH(td::normalize({}, {1.0}), Catch::Contains("must not be empty"));
  const auto t = td::normalize({0.1, 0.2}, {1, 1});
  REQUIRE_THROWS_WITH(t(tg::zeros({3, 2, 2}), gen), Catch::Contains("normalize") &&
                                                        Catch::Contains("3 channels") &&
                                                        Catch::Contains("mean has 2"));
  REQUIRE_THROWS_WITH(td::normalize({0.1}, {1, 2, 3})(tg::zeros({2, 2, 2}), gen),
                      Catch::Contains("std has 3"));
  REQUIRE_THROWS_WITH(t(tg::zeros({2, 2}), gen),
                      Catch::Contains("normalize") && Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(t(tg::zeros({2, 2, 2}, DType::Int64), gen), Catch::Contains("int64"));
}

TEST_CASE("transforms: random_crop without padding to the full size is the identity", "[data]") {
  const Tensor img = counting({3, 4, 5});
  const auto crop = td::random_crop(4, 5, 0);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Generator gen(seed);
    const Tensor out = crop(img, gen);
    REQUIRE(out.shape() == tg::Shape{3, 4, 5});
    tgtest::require_values(out, img.to_vector<double>(), 0);
  }
}

TEST_CASE("transforms: random_crop with padding is a window of the padded image", "[data]") {
  const int pad = 2;
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Tensor img = counting({2, 4, 5}, dt);
    const auto crop = td::random_crop(4, 5, pad);  // padded 8 x 9: offsets dy, dx in 0..4
    std::set<std::pair<std::int64_t, std::int64_t>> offsets;
    for (std::uint64_t seed = 0; seed < 12; ++seed) {
      Generator gen(seed);
      const Tensor out = crop(img, gen);
      REQUIRE(out.shape() == tg::Shape{2, 4, 5});
      CHECK(out.dtype() == dt);
      // The documented draw order: top = below(8 - 4 + 1), then left = below(9 - 5 + 1).
      Generator ref(seed);
      const auto dy = static_cast<std::int64_t>(ref.below(5));
      const auto dx = static_cast<std::int64_t>(ref.below(5));
      INFO("seed " << seed << " dy " << dy << " dx " << dx);
      REQUIRE(is_window(out, img, pad, dy, dx));
      // No other window matches (values are distinct and non-zero).
      int matches = 0;
      for (std::int64_t y = 0; y <= 4; ++y)
        for (std::int64_t x = 0; x <= 4; ++x) matches += is_window(out, img, pad, y, x);
      CHECK(matches == 1);
      offsets.insert({dy, dx});
    }
    CHECK(offsets.size() > 3);  // the position really varies with the seed
  }
  // A crop smaller than the image, from a non-contiguous input, with padding 1.
  const Tensor base = counting({1, 6, 3});
  const Tensor img = base.transpose(1, 2);  // [1, 3, 6]
  Generator gen(7);
  const Tensor out = td::random_crop(2, 4, 1)(img, gen);
  REQUIRE(out.shape() == tg::Shape{1, 2, 4});
  Generator ref(7);
  const auto dy = static_cast<std::int64_t>(ref.below(4));  // 5 - 2 + 1
  const auto dx = static_cast<std::int64_t>(ref.below(5));  // 8 - 4 + 1
  CHECK(is_window(out, img, 1, dy, dx));
}

TEST_CASE("transforms: random_crop that reaches far into the padding", "[data]") {
  // 1 x 1 image padded by 3 to 7 x 7, cropped 2 x 2: most windows are all zeros; each is still
  // exactly one window of the padded image.
  const Tensor img = tg::full({1, 1, 1}, 5.0);
  const auto crop = td::random_crop(2, 2, 3);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Generator gen(seed), ref(seed);
    const Tensor out = crop(img, gen);
    const auto dy = static_cast<std::int64_t>(ref.below(6));
    const auto dx = static_cast<std::int64_t>(ref.below(6));
    REQUIRE(is_window(out, img, 3, dy, dx));
  }
}

TEST_CASE("transforms: random_crop errors", "[data]") {
  Generator gen(1);
  REQUIRE_THROWS_WITH(td::random_crop(0, 3, 0), Catch::Contains("random_crop"));
  REQUIRE_THROWS_WITH(td::random_crop(3, 3, -1), Catch::Contains("padding must be >= 0"));
  REQUIRE_THROWS_WITH(td::random_crop(8, 8, 1)(tg::zeros({1, 4, 4}), gen),
                      Catch::Contains("random_crop") && Catch::Contains("[1, 4, 4]") &&
                          Catch::Contains("6x6") && Catch::Contains("8x8"));
  REQUIRE_THROWS_WITH(td::random_crop(2, 2, 0)(tg::zeros({4, 4}), gen), Catch::Contains("[4, 4]"));
}

TEST_CASE("transforms: random_horizontal_flip", "[data]") {
  const Tensor img = counting({2, 2, 3});
  // Columns reversed in every row of every channel: [1 2 3 | 4 5 6] -> [3 2 1 | 6 5 4], ...
  const std::vector<double> flipped = {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10};
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Generator gen(seed);
    tgtest::require_values(td::random_horizontal_flip(1.0)(img, gen), flipped, 0);
    tgtest::require_values(td::random_horizontal_flip(0.0)(img, gen), img.to_vector<double>(), 0);
  }
  tgtest::require_values(img, counting({2, 2, 3}).to_vector<double>(), 0);  // input untouched

  // p = 0.5 flips some and not others; one draw per call whatever p is.
  const auto flip = td::random_horizontal_flip(0.5);
  int flips = 0;
  Generator gen(42);
  for (int k = 0; k < 40; ++k) {
    Generator before = gen;
    const bool expect = before.uniform_double() < 0.5;
    const Tensor out = flip(img, gen);
    CHECK(gen.state() == before.state());  // exactly one uniform_double drawn
    CHECK(out.to_vector<double>() == (expect ? flipped : img.to_vector<double>()));
    flips += expect;
  }
  CHECK(flips > 5);
  CHECK(flips < 35);

  // Non-contiguous float64 input.
  const Tensor t = counting({1, 3, 2}, DType::Float64).transpose(1, 2);  // [[1,3,5],[2,4,6]]
  Generator g1(0);
  tgtest::require_values(td::random_horizontal_flip(1.0)(t, g1), {5, 3, 1, 6, 4, 2}, 0);
  REQUIRE_THROWS_WITH(td::random_horizontal_flip(1.5), Catch::Contains("p must be in [0, 1]"));
}

TEST_CASE("transforms: compose and determinism", "[data]") {
  const auto t = td::compose(
      {td::random_crop(4, 4, 2), td::random_horizontal_flip(0.5), td::normalize({0.5}, {0.25})});
  const Tensor img = tg::rand({3, 4, 4});
  std::set<std::vector<double>> distinct;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    Generator a(seed), b(seed);
    const Tensor x = t(img, a), y = t(img, b);
    REQUIRE(x.shape() == tg::Shape{3, 4, 4});
    REQUIRE(x.to_vector<double>() == y.to_vector<double>());  // same state, same output
    CHECK(a.state() == b.state());
    distinct.insert(x.to_vector<double>());

    // The same as applying the three by hand with one generator.
    Generator c(seed);
    Tensor z = td::random_crop(4, 4, 2)(img, c);
    z = td::random_horizontal_flip(0.5)(z, c);
    z = td::normalize({0.5}, {0.25})(z, c);
    REQUIRE(x.to_vector<double>() == z.to_vector<double>());
  }
  CHECK(distinct.size() > 4);
  // An empty compose is the identity.
  Generator gen(0);
  tgtest::require_values(td::compose({})(img, gen), img.to_vector<double>(), 0);
  REQUIRE_THROWS_WITH(td::compose({td::Transform{}}), Catch::Contains("compose: transform 0"));
}
