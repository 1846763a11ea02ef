// IDX reader and writer: values against hand-written big-endian bytes, raw and gzipped, and every
// kind of malformed file an error (never a crash or a huge allocation).
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/data/idx.hpp"

using tg::data::IdxType;
using Bytes = std::vector<std::uint8_t>;

using tgtest::TempDir;

namespace {

void write_gz(const std::string& path, const Bytes& b) {
  gzFile g = gzopen(path.c_str(), "wb");
  REQUIRE(g != nullptr);
  if (!b.empty())
    REQUIRE(gzwrite(g, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(g) == Z_OK);
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// uint8 [2, 3] holding 1 2 3 / 250 0 255.
const Bytes kU8 = {0x00, 0x00, 0x08, 0x02, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 250, 0, 255};

}  // namespace

TEST_CASE("idx: uint8 values and shape from hand-written bytes, raw and gz", "[data]") {
  TempDir dir;
  for (bool gz : {false, true}) {
    INFO("gzip " << gz);
    const std::string p = dir.file(gz ? "u8.gz" : "u8");
    gz ? write_gz(p, kU8) : tgtest::write_bytes(p, kU8);
    const tg::data::IdxArray a = tg::data::read_idx_array(p);
    REQUIRE(a.type == IdxType::UInt8);
    REQUIRE(a.dims == tg::Shape{2, 3});
    REQUIRE(a.numel() == 6);
    REQUIRE(a.bytes == Bytes{1, 2, 3, 250, 0, 255});

    const tg::Tensor f = tg::data::read_idx(p);  // float32 by default, values as stored
    REQUIRE(f.dtype() == tg::DType::Float32);
    REQUIRE(f.shape() == tg::Shape{2, 3});
    tgtest::require_values(f, {1, 2, 3, 250, 0, 255});
    const tg::Tensor l = tg::data::read_idx(p, tg::DType::Int64);
    REQUIRE(l.dtype() == tg::DType::Int64);
    REQUIRE(l.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 250, 0, 255});
    REQUIRE(tg::data::read_idx(p, tg::DType::Float64).dtype() == tg::DType::Float64);
  }
}

TEST_CASE("idx: int32, int16, int8 are big-endian and signed", "[data]") {
  TempDir dir;
  // int32 [3]: 00000001 = 1; fffffffe = -2; 01020304 = 0x01020304 = 16909060.
  const Bytes i32 = {0, 0, 0x0C, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4};
  // int16 [3]: 0102 = 258; 8000 = -32768; ffff = -1.
  const Bytes i16 = {0, 0, 0x0B, 1, 0, 0, 0, 3, 0x01, 0x02, 0x80, 0x00, 0xFF, 0xFF};
  // int8 [1, 1, 1, 3]: 7f = 127; 80 = -128; ff = -1 (rank 4: the largest accepted).
  const Bytes i8 = {0, 0, 0x09, 4, 0, 0, 0, 1, 0,    0,    0,   1,
                    0, 0, 0,    1, 0, 0, 0, 3, 0x7F, 0x80, 0xFF};
  for (bool gz : {false, true}) {
    INFO("gzip " << gz);
    auto put = [&](const std::string& name, const Bytes& b) {
      const std::string p = dir.file(name + (gz ? ".gz" : ""));
      gz ? write_gz(p, b) : tgtest::write_bytes(p, b);
      return p;
    };
    REQUIRE(tg::data::read_idx(put("i32", i32), tg::DType::Int64).to_vector<std::int64_t>() ==
            std::vector<std::int64_t>{1, -2, 16909060});
    REQUIRE(tg::data::read_idx(put("i16", i16), tg::DType::Int64).to_vector<std::int64_t>() ==
            std::vector<std::int64_t>{258, -32768, -1});
    const tg::Tensor t8 = tg::data::read_idx(put("i8", i8), tg::DType::Float64);
    REQUIRE(t8.shape() == tg::Shape{1, 1, 1, 3});
    tgtest::require_values(t8, {127, -128, -1});
  }
}

TEST_CASE("idx: float32 and float64 are big-endian IEEE", "[data]") {
  TempDir dir;
  // float32 [3]: 3fc00000 = 1.5; c0000000 = -2; 3dcccccd = 0.1f.
  const Bytes f32 = {0, 0, 0x0D, 1, 0, 0, 0,    3,    0x3F, 0xC0,
                     0, 0, 0xC0, 0, 0, 0, 0x3D, 0xCC, 0xCC, 0xCD};
  // float64 [2]: 3ff0000000000000 = 1.0; bfe0000000000000 = -0.5.
  const Bytes f64 = {0, 0, 0x0E, 1, 0,    0,    0, 2, 0x3F, 0xF0, 0, 0,
                     0, 0, 0,    0, 0xBF, 0xE0, 0, 0, 0,    0,    0, 0};
  for (bool gz : {false, true}) {
    INFO("gzip " << gz);
    const std::string a = dir.file(gz ? "f32.gz" : "f32"), b = dir.file(gz ? "f64.gz" : "f64");
    gz ? write_gz(a, f32) : tgtest::write_bytes(a, f32);
    gz ? write_gz(b, f64) : tgtest::write_bytes(b, f64);
    const tg::Tensor t = tg::data::read_idx(a);
    REQUIRE(t.to_vector<float>() == std::vector<float>{1.5f, -2.0f, 0.1f});
    const tg::Tensor d = tg::data::read_idx(b, tg::DType::Float64);
    REQUIRE(d.to_vector<double>() == std::vector<double>{1.0, -0.5});
    REQUIRE_THROWS_WITH(tg::data::read_idx(a, tg::DType::Int64),
                        Catch::Contains("float32 data") && Catch::Contains("int64"));
  }
}

TEST_CASE("idx: gzip is recognised by its magic, not by the file name", "[data]") {
  TempDir dir;
  const std::string gz_no_suffix = dir.file("plain_name"), raw_gz_suffix = dir.file("fake.gz");
  write_gz(gz_no_suffix, kU8);
  tgtest::write_bytes(raw_gz_suffix, kU8);
  tgtest::require_values(tg::data::read_idx(gz_no_suffix), {1, 2, 3, 250, 0, 255});
  tgtest::require_values(tg::data::read_idx(raw_gz_suffix), {1, 2, 3, 250, 0, 255});
}

TEST_CASE("idx: write_idx writes the exact bytes and round-trips every type", "[data]") {
  TempDir dir;
  const std::string p = dir.file("w.idx");
  tg::data::write_idx(p, tg::tensor({1, 2, 3, 250, 0, 255}, {2, 3}), IdxType::UInt8);
  REQUIRE(tgtest::read_bytes(p) == kU8);
  // int32 [3] {1, -2, 16909060} must give the bytes of the hand-written file above.
  tg::data::write_idx(p, tg::int64_tensor({1, -2, 16909060}, {3}), IdxType::Int32);
  REQUIRE(tgtest::read_bytes(p) ==
          Bytes{0, 0, 0x0C, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4});

  const tg::Tensor x = tg::tensor({-3, 0, 7, 100, -100, 42}, {1, 2, 3}, tg::DType::Float64);
  for (IdxType type :
       {IdxType::Int8, IdxType::Int16, IdxType::Int32, IdxType::Float32, IdxType::Float64}) {
    for (bool gz : {false, true}) {
      INFO(tg::data::idx_type_name(type) << " gzip " << gz);
      tg::data::write_idx(p, x, type, gz);
      const tg::data::IdxArray a = tg::data::read_idx_array(p);
      REQUIRE(a.type == type);
      REQUIRE(a.bytes.size() == 6 * tg::data::idx_type_size(type));
      const tg::Tensor back = a.to_tensor(tg::DType::Float64);
      REQUIRE(back.shape() == tg::Shape{1, 2, 3});
      tgtest::require_values(back, {-3, 0, 7, 100, -100, 42}, 0);
    }
  }
  // Non-contiguous input is written in logical (row-major) order.
  const tg::Tensor m = tg::tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  tg::data::write_idx(p, m.t(), IdxType::UInt8, true);
  tgtest::require_values(tg::data::read_idx(p), {1, 4, 2, 5, 3, 6});
  REQUIRE(tg::data::read_idx(p).shape() == tg::Shape{3, 2});
  // Float64 -> float32 -> big-endian bits and back.
  tg::data::write_idx(p, tg::tensor({0.1, -1e30}, {2}, tg::DType::Float64), IdxType::Float32);
  REQUIRE(tg::data::read_idx(p).to_vector<float>() == std::vector<float>{0.1f, -1e30f});
}

TEST_CASE("idx: write_idx refuses values, ranks and shapes it cannot store", "[data]") {
  TempDir dir;
  const std::string p = dir.file("bad.idx");
  REQUIRE_THROWS_WITH(tg::data::write_idx(p, tg::tensor({1, 300}, {2}), IdxType::UInt8),
                      Catch::Contains("element 1 is 300") && Catch::Contains("uint8"));
  REQUIRE_THROWS_WITH(tg::data::write_idx(p, tg::tensor({3.5}, {1}), IdxType::Int32),
                      Catch::Contains("element 0 is 3.5"));
  REQUIRE_THROWS_WITH(tg::data::write_idx(p, tg::tensor({-1}, {1}), IdxType::UInt8),
                      Catch::Contains("not an integer in uint8's range [0, 255]"));
  REQUIRE_THROWS_WITH(tg::data::write_idx(p, tg::scalar_tensor(1), IdxType::UInt8),
                      Catch::Contains("rank 0"));
  REQUIRE_THROWS_WITH(tg::data::write_idx(p, tg::zeros({1, 1, 1, 1, 1}), IdxType::UInt8),
                      Catch::Contains("rank 5"));
  REQUIRE_THROWS_WITH(tg::data::write_idx(p, tg::zeros({2, 0}), IdxType::UInt8),
                      Catch::Contains("[2, 0]"));
  REQUIRE_THROWS_WITH(
      tg::data::write_idx(dir.file("no/such/dir/x.idx"), tg::zeros({2}), IdxType::UInt8),
      Catch::Contains("cannot open for writing"));
}

TEST_CASE("idx: truncated data is an error naming the file and both byte counts", "[data]") {
  TempDir dir;
  const Bytes cut(kU8.begin(), kU8.end() - 1);  // 5 of the 6 promised data bytes
  const std::string raw = dir.file("cut.idx"), gz = dir.file("cut.idx.gz");
  tgtest::write_bytes(raw, cut);
  write_gz(gz, cut);
  REQUIRE_THROWS_WITH(tg::data::read_idx(raw),
                      Catch::Contains(raw) && Catch::Contains("truncated") &&
                          Catch::Contains("promises 6 data bytes, the file has 5"));
  REQUIRE_THROWS_WITH(tg::data::read_idx(gz),
                      Catch::Contains(gz) && Catch::Contains("truncated") &&
                          Catch::Contains("promises 6 data bytes, the gzip stream holds 5"));

  // A gzip file cut in the middle of its compressed stream (the deflate data and trailer).
  std::vector<double> vals(4000);
  for (std::size_t i = 0; i < vals.size(); ++i) vals[i] = static_cast<double>((i * 37) % 251);
  const std::string whole = dir.file("whole.gz");
  tg::data::write_idx(whole, tg::tensor(vals, {4000}), IdxType::UInt8, true);
  const Bytes z = tgtest::read_bytes(whole);
  const std::string half = dir.file("half.gz");
  tgtest::write_bytes(half,
                      Bytes(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(z.size() / 2)));
  REQUIRE_THROWS_WITH(tg::data::read_idx(half),
                      Catch::Contains("truncated") && Catch::Contains("promises 4000 data bytes"));
  // Garbage after the gzip magic.
  const std::string junk = dir.file("junk.gz");
  tgtest::write_bytes(junk, Bytes{0x1f, 0x8b, 0x08, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01,
                                  0x02, 0x03, 0x04, 0x05, 0x06, 0x07});
  REQUIRE_THROWS_WITH(tg::data::read_idx(junk),
                      Catch::Contains(junk) && Catch::Contains("corrupt gzip data"));
}

TEST_CASE("idx: trailing bytes after the promised data are an error", "[data]") {
  TempDir dir;
  const Bytes extra = concat(kU8, {9, 9, 9});
  const std::string raw = dir.file("extra.idx"), gz = dir.file("extra.gz");
  tgtest::write_bytes(raw, extra);
  write_gz(gz, extra);
  REQUIRE_THROWS_WITH(tg::data::read_idx(raw),
                      Catch::Contains(raw) && Catch::Contains("trailing bytes") &&
                          Catch::Contains("promises 6 data bytes, the file has 9"));
  REQUIRE_THROWS_WITH(tg::data::read_idx(gz), Catch::Contains(gz) &&
                                                  Catch::Contains("trailing bytes") &&
                                                  Catch::Contains("holds 9 (3 extra)"));
}

TEST_CASE("idx: malformed headers are errors that say what was expected", "[data]") {
  TempDir dir;
  int k = 0;
  // Each check runs on a raw and a gzipped copy of the same bytes.
  auto check = [&](const Bytes& b, const std::string& msg) {
    for (bool gz : {false, true}) {
      const std::string p = dir.file("h" + std::to_string(k++) + (gz ? ".gz" : ""));
      gz ? write_gz(p, b) : tgtest::write_bytes(p, b);
      INFO("file " << p << " message should contain: " << msg);
      REQUIRE_THROWS_WITH(tg::data::read_idx(p), Catch::Contains(p) && Catch::Contains(msg));
    }
  };
  check({0, 0, 8}, "truncated header");  // 3 of 4 magic bytes
  check({0, 0, 8, 2, 0, 0, 0, 2, 0, 0}, "rank 2 needs 8 bytes of dimensions");  // dims cut short
  check(concat({0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1}, {7}), "wrong magic 01 00 08 01");
  check({0x00, 0x07, 0x08, 0x01, 0, 0, 0, 1, 7}, "not an IDX file");
  check({0, 0, 0x0A, 1, 0, 0, 0, 1, 7}, "unknown data type code 0x0a");
  check({0, 0, 8, 0, 7}, "rank 0 is not supported (expected 1 to 4 dimensions)");
  check({0, 0, 8, 5, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7},
        "rank 5 is not supported");
  check({0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 0}, "dimension 1 is 0");
}

TEST_CASE("idx: headers that promise absurd sizes fail before allocating", "[data]") {
  TempDir dir;
  int k = 0;
  auto check = [&](const Bytes& b, const std::string& msg) {
    for (bool gz : {false, true}) {
      const std::string p = dir.file("big" + std::to_string(k++) + (gz ? ".gz" : ""));
      gz ? write_gz(p, b) : tgtest::write_bytes(p, b);
      INFO("file " << p);
      const auto t0 = std::chrono::steady_clock::now();
      REQUIRE_THROWS_WITH(tg::data::read_idx(p), Catch::Contains(p) && Catch::Contains(msg));
      // Not a speed claim: an error that took this long would have allocated or read gigabytes.
      REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    }
  };
  // uint8 [2^20, 2^20] = 2^40 bytes: past the element limit.
  check({0, 0, 8, 2, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 1, 2, 3}, "more than the limit");
  // float64 [2^32-1]^4: the product would overflow 64 bits if computed naively.
  check({0,    0,    0x0E, 4,    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
         0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1,    2,    3},
        "more than the limit");
  // float64 [2^30, 4] = 2^32 elements: over the element limit although each dimension is small.
  check({0, 0, 0x0E, 2, 0x40, 0, 0, 0, 0, 0, 0, 4, 1}, "elements");
  // float64 [2^29 + 1]: few enough elements, but 2^32 + 8 bytes is past the byte limit.
  check({0, 0, 0x0E, 1, 0x20, 0, 0, 1, 1}, "promises 4294967304 data bytes, more than the limit");
  // uint8 [1000, 1000, 1000]: 1e9 bytes is within the limits, but the file holds 5 of them. The
  // raw reader knows from the file size; the gzip reader grows its buffer only as data arrives.
  check(concat({0, 0, 8, 3, 0, 0, 0x03, 0xE8, 0, 0, 0x03, 0xE8, 0, 0, 0x03, 0xE8}, {1, 2, 3, 4, 5}),
        "promises 1000000000 data bytes");
}

TEST_CASE("idx: empty files, missing paths and directories are errors", "[data]") {
  TempDir dir;
  const std::string empty = dir.file("empty.idx"), empty_gz = dir.file("empty.gz");
  tgtest::write_bytes(empty, {});
  write_gz(empty_gz, {});
  REQUIRE_THROWS_WITH(tg::data::read_idx(empty),
                      Catch::Contains(empty) && Catch::Contains("empty file"));
  REQUIRE_THROWS_WITH(tg::data::read_idx(empty_gz),
                      Catch::Contains(empty_gz) && Catch::Contains("empty decompressed data"));
  const std::string missing = dir.file("nope.idx");
  REQUIRE_THROWS_WITH(tg::data::read_idx(missing),
                      Catch::Contains(missing) && Catch::Contains("no such file"));
  REQUIRE_THROWS_WITH(tg::data::read_idx(dir.path.string()),
                      Catch::Contains(dir.path.string()) && Catch::Contains("is a directory"));
  REQUIRE_THROWS_AS(tg::data::read_idx(""), tg::Error);
}
