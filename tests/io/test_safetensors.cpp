// safetensors: round trips, the exact bytes of a tiny file, conversion of foreign dtypes,
// malformed files (each a tg::Error, never a crash: truncation at every length, random header
// corruption), atomic replacement, and a cross-check with an independent Python/numpy reader.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/io/safetensors.hpp"

using namespace tg;
using namespace tg::io;
namespace fs = std::filesystem;
using tgtest::TempDir;

namespace {

std::string le64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int b = 0; b < 8; ++b) s[b] = static_cast<char>((v >> (8 * b)) & 0xffu);
  return s;
}

// A file from a hand-written header and data buffer (no padding).
std::string make_file(const std::string& header, const std::string& data = "") {
  return le64(header.size()) + header + data;
}

std::string bytes_of(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// Files whose name contains ".tmp" (leftover temp files).
std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      out.push_back(e.path().string());
  return out;
}

void require_same(const Tensor& got, const Tensor& want) {
  REQUIRE(got.dtype() == want.dtype());
  REQUIRE(got.shape() == want.shape());
  REQUIRE_FALSE(got.requires_grad());
  if (want.dtype() == DType::Int64)
    REQUIRE(got.to_vector<std::int64_t>() == want.to_vector<std::int64_t>());
  else
    REQUIRE(got.to_vector<double>() == want.to_vector<double>());  // bit-exact round trip
}

std::map<std::string, Tensor> sample_tensors() {
  Generator g(7);
  const Tensor big = randn({3, 4}, DType::Float64, &g);
  return {
      {"f32", randn({2, 3}, DType::Float32, &g)},
      {"f64", randn({5}, DType::Float64, &g)},
      // 2^53 + 1 and the extremes are not representable as doubles: only an exact copy keeps them.
      {"i64", int64_tensor({9007199254740993, -1, INT64_MAX, INT64_MIN, 0, 42}, {2, 1, 3})},
      {"scalar", scalar_tensor(-0.375, DType::Float32)},
      {"empty", zeros({0, 3}, DType::Float64)},
      {"transposed", big.t()},                 // non-contiguous
      {"sliced", big.slice(1, 0, 4, 2)},       // non-contiguous, stride 2
      {"layer.0.weight", ones({1, 1, 1, 1})},  // dots in names are fine
  };
}

}  // namespace

TEST_CASE("safetensors: round trip of dtypes, shapes, views and metadata", "[io]") {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  const auto tensors = sample_tensors();
  REQUIRE_FALSE(tensors.at("transposed").is_contiguous());
  const std::map<std::string, std::string> meta = {
      {"model", "mlp(784, 10)"}, {"empty", ""}, {"unicode", "\xc3\xa9t\xc3\xa9"}};
  save_safetensors(path, tensors, meta);

  const SafetensorsFile f = load_safetensors(path);
  REQUIRE(f.metadata == meta);
  REQUIRE(f.tensors.size() == tensors.size());
  for (const auto& [name, t] : tensors) {
    INFO("tensor " << name);
    REQUIRE(f.tensors.count(name) == 1);
    require_same(f.tensors.at(name), t);
    REQUIRE(f.tensors.at(name).is_contiguous());
  }
  // The scalar keeps shape [] (not [1]).
  REQUIRE(f.tensors.at("scalar").dim() == 0);
  REQUIRE(f.tensors.at("scalar").item() == -0.375);

  // The in-memory encoding is the same bytes as the file.
  REQUIRE(serialize_safetensors(tensors, meta) == tgtest::read_file(path));
  const SafetensorsFile m = parse_safetensors(tgtest::read_file(path));
  REQUIRE(m.tensors.size() == tensors.size());
  require_same(m.tensors.at("sliced"), tensors.at("sliced"));
}

TEST_CASE("safetensors: requires_grad tensors and an empty map", "[io]") {
  TempDir dir;
  Tensor w = tgtest::leaf({2, 2}, 3);
  save_safetensors(dir.file("w.safetensors"), {{"w", w}});
  require_same(load_safetensors(dir.file("w.safetensors")).tensors.at("w"), w.detach());

  save_safetensors(dir.file("none.safetensors"), {});
  const SafetensorsFile f = load_safetensors(dir.file("none.safetensors"));
  REQUIRE(f.tensors.empty());
  REQUIRE(f.metadata.empty());
  // "{}" padded with 6 spaces: 8 + 8 bytes.
  REQUIRE(tgtest::read_file(dir.file("none.safetensors")) == le64(8) + "{}      ");
}

TEST_CASE("safetensors: exact bytes of a tiny file", "[io]") {
  const std::map<std::string, Tensor> tensors = {
      {"a", tensor({1.0, -2.0}, {2}, DType::Float32)},
      {"b", scalar_tensor(3, DType::Int64)},  // shape []
  };
  // Compact JSON, keys sorted (metadata, then names; within an entry data_offsets, dtype,
  // shape). "a" is 2 floats = bytes [0, 8); "b" is one int64 = bytes [8, 16).
  const std::string json =
      R"({"__metadata__":{"k":"v"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
      R"("b":{"data_offsets":[8,16],"dtype":"I64","shape":[]}})";
  // {"__metadata__":{"k":"v"}, is 26 characters, each tensor entry (with its comma or the
  // closing brace) 53.
  REQUIRE(json.size() == 132);
  // 8 + 132 = 140; the next multiple of 8 is 144, so 4 spaces of padding and N = 136.
  const std::string header = json + "    ";
  const std::string data = bytes_of({0x00, 0x00, 0x80, 0x3f,    // 1.0f  = 0x3f800000
                                     0x00, 0x00, 0x00, 0xc0,    // -2.0f = 0xc0000000
                                     3, 0, 0, 0, 0, 0, 0, 0});  // int64 3
  const std::string expected = bytes_of({136, 0, 0, 0, 0, 0, 0, 0}) + header + data;
  REQUIRE(expected.size() == 160);  // 8 + 136 + 16

  REQUIRE(serialize_safetensors(tensors, {{"k", "v"}}) == expected);
  TempDir dir;
  save_safetensors(dir.file("tiny.safetensors"), tensors, {{"k", "v"}});
  REQUIRE(tgtest::read_file(dir.file("tiny.safetensors")) == expected);
}

TEST_CASE("safetensors: foreign dtypes are converted on load", "[io]") {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 = 0x0001 (smallest subnormal), +inf = 0x7c00.
  // BF16: 1.0 = 0x3f80, -3.0 = 0xc040. I32: -5, 70000. U8: 255. BOOL: 0, 1.
  const std::string header = R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},)"
                             R"("bf":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
                             R"("i32":{"dtype":"I32","shape":[2],"data_offsets":[12,20]},)"
                             R"("u8":{"dtype":"U8","shape":[1],"data_offsets":[20,21]},)"
                             R"("flag":{"dtype":"BOOL","shape":[2],"data_offsets":[21,23]}})";
  const std::string data = bytes_of({0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c,  // F16
                                     0x80, 0x3f, 0x40, 0xc0,                          // BF16
                                     0xfb, 0xff, 0xff, 0xff, 0x70, 0x11, 0x01, 0x00,  // I32
                                     0xff,                                            // U8
                                     0x00, 0x01});                                    // BOOL
  const SafetensorsFile f = parse_safetensors(make_file(header, data));
  REQUIRE(f.tensors.at("h").dtype() == DType::Float32);
  const auto h = f.tensors.at("h").to_vector<double>();
  REQUIRE(h[0] == 1.0);
  REQUIRE(h[1] == -2.0);
  REQUIRE(h[2] == std::ldexp(1.0, -24));
  REQUIRE(std::isinf(h[3]));
  REQUIRE(f.tensors.at("bf").to_vector<double>() == std::vector<double>{1.0, -3.0});
  REQUIRE(f.tensors.at("i32").dtype() == DType::Int64);
  // 70000 = 0x00011170.
  REQUIRE(f.tensors.at("i32").to_vector<std::int64_t>() == std::vector<std::int64_t>{-5, 70000});
  REQUIRE(f.tensors.at("u8").to_vector<std::int64_t>() == std::vector<std::int64_t>{255});
  REQUIRE(f.tensors.at("flag").to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1});
  // What the file stores is still known (tapegrad inspect shows it).
  REQUIRE(f.file_dtypes ==
          std::map<std::string, std::string>{
              {"bf", "BF16"}, {"flag", "BOOL"}, {"h", "F16"}, {"i32", "I32"}, {"u8", "U8"}});
}

TEST_CASE("safetensors: malformed headers are clear errors", "[io]") {
  using Catch::Contains;
  auto parse = [](const std::string& bytes) { return parse_safetensors(bytes, "bad.st"); };
  const std::string ok_data(8, '\0');
  auto entry = [&](const std::string& body) { return make_file("{\"x\":" + body + "}", ok_data); };

  REQUIRE_THROWS_WITH(parse(""), Contains("bad.st") && Contains("too short"));
  REQUIRE_THROWS_WITH(parse(std::string(7, '\0')), Contains("too short"));
  REQUIRE_THROWS_WITH(parse(le64(100) + "{}"), Contains("header length 100 is larger"));
  REQUIRE_THROWS_WITH(parse(le64(std::uint64_t{1} << 63) + "{}"),
                      Contains("header length 9223372036854775808 is larger"));
  REQUIRE_THROWS_WITH(parse(le64(~std::uint64_t{0}) + "{}"), Contains("is larger"));
  REQUIRE_THROWS_WITH(parse(make_file("")), Contains("invalid JSON header"));
  REQUIRE_THROWS_WITH(parse(make_file("{not json")), Contains("invalid JSON header"));
  REQUIRE_THROWS_WITH(parse(make_file("{\"a\":1} trailing")), Contains("invalid JSON header"));
  REQUIRE_THROWS_WITH(parse(make_file("[1, 2]")), Contains("JSON array, expected an object"));
  REQUIRE_THROWS_WITH(parse(make_file(std::string(100, '[') + std::string(100, ']'))),
                      Contains("invalid JSON header"));
  REQUIRE_THROWS_WITH(parse(make_file("{\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}")),
                      Contains("nested deeper"));
  // Invalid UTF-8 in a name.
  REQUIRE_THROWS_WITH(parse(make_file("{\"\xff\":1}")), Contains("invalid JSON header"));

  REQUIRE_THROWS_WITH(parse(entry("3")), Contains("tensor 'x'") && Contains("must be an object"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"shape":[2],"data_offsets":[0,8]})")),
                      Contains("bad.st") && Contains("tensor 'x'") && Contains("missing 'dtype'"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","data_offsets":[0,8]})")),
                      Contains("missing 'shape'"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[2]})")),
                      Contains("missing 'data_offsets'"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]})")),
                      Contains("unsupported dtype 'F8_E4M3'") && Contains("F32, F64, I64"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":7,"shape":[2],"data_offsets":[0,8]})")),
                      Contains("'dtype' must be a string"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})")),
                      Contains("non-negative integers"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})")),
                      Contains("non-negative integers"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})")),
                      Contains("non-negative integers"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})")),
                      Contains("'shape' must be an array"));
  // 2^62 elements fit in int64 but not in the 8 bytes given (and 2^62 * 4 bytes overflows).
  REQUIRE_THROWS_WITH(
      parse(entry(R"({"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,8]})")),
      Contains("needs 4611686018427387904 elements"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[4294967296,4294967296,4],)"
                                  R"("data_offsets":[0,8]})")),
                      Contains("more elements than fit in 64 bits"));
  REQUIRE_THROWS_WITH(
      parse(entry(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})")),
      Contains("too large"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})")),
                      Contains("run past the end") && Contains("8 bytes"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})")),
                      Contains("span 8 bytes") && Contains("shape [3] of F32 needs 3 elements"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})")),
                      Contains("begin after they end"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})")),
                      Contains("must not be negative"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})")),
                      Contains("array of two integers"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0.5,8]})")),
                      Contains("two integers"));
  REQUIRE_THROWS_WITH(parse(entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1})")),
                      Contains("unknown field 'extra'"));
  REQUIRE_THROWS_WITH(parse(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                      ok_data)),
                      Contains("'x' [0, 8] and 'y' [4, 8] overlap"));
  REQUIRE_THROWS_WITH(parse(make_file(R"({"__metadata__":{"a":1}})")),
                      Contains("__metadata__ value for 'a' must be a string"));
  REQUIRE_THROWS_WITH(parse(make_file(R"({"__metadata__":["a"]})")),
                      Contains("__metadata__ must be an object"));

  // Valid edge cases: an empty tensor occupies no bytes and may sit anywhere in the buffer.
  const SafetensorsFile f =
      parse(make_file(R"({"e":{"dtype":"F64","shape":[0,5],"data_offsets":[8,8]},)"
                      R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                      ok_data));
  REQUIRE(f.tensors.at("e").shape() == Shape{0, 5});
  REQUIRE(f.tensors.at("x").to_vector<double>() == std::vector<double>{0.0, 0.0});
}

TEST_CASE("safetensors: file errors name the path", "[io]") {
  using Catch::Contains;
  TempDir dir;
  const std::string empty = dir.file("empty.safetensors");
  tgtest::write_file(empty, "");
  REQUIRE_THROWS_WITH(load_safetensors(empty), Contains(empty) && Contains("too short"));
  const std::string seven = dir.file("seven.safetensors");
  tgtest::write_file(seven, "1234567");
  REQUIRE_THROWS_WITH(load_safetensors(seven), Contains(seven) && Contains("too short"));
  REQUIRE_THROWS_WITH(
      load_safetensors(dir.file("missing.safetensors")),
      Contains("cannot open") && Contains("missing.safetensors") && Contains("No such file"));
  REQUIRE_THROWS_WITH(load_safetensors(dir.path.string()), Contains("not a regular file"));

  // A header length over the 100 MB cap, in a (sparse) file big enough to hold it: refused
  // before anything is read or allocated.
  const std::string huge = dir.file("huge.safetensors");
  tgtest::write_file(huge, le64(std::uint64_t{101} << 20));
  fs::resize_file(huge, 8 + (std::uint64_t{101} << 20));
  REQUIRE_THROWS_WITH(load_safetensors(huge), Contains(huge) && Contains("byte limit"));
}

TEST_CASE("safetensors: a file truncated at any length is an error", "[io]") {
  const std::string full = serialize_safetensors(
      {{"a", tensor({1, 2, 3}, {3}, DType::Float32)}, {"b", int64_tensor({4, 5}, {2})}},
      {{"note", "truncation"}});
  int rejected = 0;
  for (std::size_t len = 0; len < full.size(); ++len) {
    INFO("length " << len << " of " << full.size());
    REQUIRE_THROWS_AS(parse_safetensors(full.substr(0, len)), tg::Error);
    ++rejected;
  }
  REQUIRE(rejected == static_cast<int>(full.size()));
  const SafetensorsFile f = parse_safetensors(full);
  REQUIRE(f.tensors.at("b").to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 5});

  // The same through the file reader, at a few lengths: in the length, header and data.
  TempDir dir;
  for (std::size_t len : {std::size_t{3}, std::size_t{8}, std::size_t{40}, full.size() - 1}) {
    tgtest::write_file(dir.file("t.safetensors"), full.substr(0, len));
    REQUIRE_THROWS_AS(load_safetensors(dir.file("t.safetensors")), tg::Error);
  }
}

TEST_CASE("safetensors: random header corruption never crashes", "[io]") {
  const std::string full =
      serialize_safetensors({{"w", tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float32)},
                             {"n", scalar_tensor(7, DType::Int64)},
                             {"d", tensor({0.5}, {1}, DType::Float64)}},
                            {{"epoch", "3"}});
  std::uint64_t header_end = 0;
  for (int b = 0; b < 8; ++b)
    header_end |= std::uint64_t{static_cast<unsigned char>(full[b])} << (8 * b);
  header_end += 8;

  Generator g(2024);
  int loaded = 0, rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = full;
    const int edits = 1 + static_cast<int>(g.below(3));
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = g.below(header_end);
      if (trial % 2 == 0)
        bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << g.below(8)));  // one bit
      else
        bytes[pos] = static_cast<char>(g.below(256));  // any byte
    }
    // Anything but tg::Error escapes and fails the test.
    try {
      const SafetensorsFile f = parse_safetensors(bytes);
      for (const auto& [name, t] : f.tensors) (void)t.to_vector<double>();
      ++loaded;
    } catch (const tg::Error&) {
      ++rejected;
    }
  }
  INFO("loaded " << loaded << ", rejected " << rejected);
  REQUIRE(loaded + rejected == 300);
  REQUIRE(rejected > 0);
}

TEST_CASE("safetensors: saving replaces a file atomically", "[io]") {
  using Catch::Contains;
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const Tensor a = tensor({1, 2}, {2}, DType::Float32);
  const Tensor b = tensor({3, 4, 5}, {3}, DType::Float64);

  save_safetensors(path, {{"a", a}}, {{"v", "1"}});
  save_safetensors(path, {{"b", b}}, {{"v", "2"}});
  {
    const SafetensorsFile f = load_safetensors(path);
    REQUIRE(f.tensors.size() == 1);
    require_same(f.tensors.at("b"), b);
    REQUIRE(f.metadata.at("v") == "2");
  }
  REQUIRE(temp_files(dir.path).empty());
  const std::string good = tgtest::read_file(path);

  SECTION("an undefined tensor: refused before anything is written") {
    REQUIRE_THROWS_WITH(save_safetensors(path, {{"a", a}, {"oops", Tensor()}}),
                        Contains(path) && Contains("tensor 'oops' is undefined"));
  }
  SECTION("a tensor named __metadata__") {
    REQUIRE_THROWS_WITH(save_safetensors(path, {{"__metadata__", a}}), Contains("reserved"));
  }
  SECTION("invalid UTF-8 in a name") {
    REQUIRE_THROWS_WITH(save_safetensors(path, {{"\xff", a}}), Contains("valid UTF-8"));
  }
  REQUIRE(tgtest::read_file(path) == good);
  REQUIRE(temp_files(dir.path).empty());
}

TEST_CASE("safetensors: a failed rename removes the temp file", "[io]") {
  using Catch::Contains;
  TempDir dir;
  // The target is an existing, non-empty directory: the temp file is written and synced, then
  // rename() fails (EISDIR), even as root.
  const std::string target = dir.file("ckpt");
  fs::create_directories(target);
  tgtest::write_file(dir.file("ckpt/keep.txt"), "keep");
  REQUIRE_THROWS_WITH(save_safetensors(target, {{"a", ones({2})}}),
                      Contains("cannot replace") && Contains(target));
  REQUIRE(fs::is_directory(target));
  REQUIRE(tgtest::read_file(dir.file("ckpt/keep.txt")) == "keep");
  REQUIRE(temp_files(dir.path).empty());
}

TEST_CASE("safetensors: saving into a missing directory", "[io]") {
  using Catch::Contains;
  TempDir dir;
  const std::string path = dir.file("no/such/dir/x.safetensors");
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"a", ones({2})}}),
                      Contains(path) && Contains("No such file or directory"));
  REQUIRE_FALSE(fs::exists(dir.path / "no"));
  REQUIRE(temp_files(dir.path).empty());
}

// ---- cross-check with an independent reader (Python: json + struct + numpy)

namespace {

fs::path script_path() {
#ifdef TG_SOURCE_DIR
  return fs::path(TG_SOURCE_DIR) / "tests" / "io" / "read_safetensors.py";
#else
  return fs::path(__FILE__).parent_path() / "read_safetensors.py";
#endif
}

// The first interpreter that has numpy: python3 on PATH may be a pyenv build without it, while
// the Debian package python3-numpy installs into /usr/bin/python3.
std::string find_python() {
  for (const char* py : {"python3", "/usr/bin/python3"}) {
    const std::string cmd = fmt::format("{} -c \"import numpy\" >/dev/null 2>&1", py);
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors: files read back with Python and numpy", "[io]") {
  const std::string py = find_python();
  if (py.empty()) {
    WARN("python3 with numpy not found: skipping the cross-check with read_safetensors.py");
    return;
  }
  const fs::path script = script_path();
  REQUIRE(fs::exists(script));
  TempDir dir;
  const std::string path = dir.file("x.safetensors");
  // Values exactly representable in float32, so the expected decimals are exact.
  save_safetensors(path,
                   {{"w", tensor({0.5, -1.25, 3, 1e-3f, 65504, -0.0}, {2, 3}, DType::Float32)},
                    {"wt", tensor({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64).t()},
                    {"s", scalar_tensor(0.1, DType::Float64)},
                    {"idx", int64_tensor({9007199254740993, -7, 0}, {3})},
                    {"none", zeros({0}, DType::Float32)}},
                   {{"model", "mlp"}, {"note", "caf\xc3\xa9"}});
  // 1e-3f is 0.001000000047497451305389404296875 exactly; the transpose of [[1,2,3],[4,5,6]]
  // is [[1,4],[2,5],[3,6]].
  const std::string expect = R"({
    "__metadata__": {"model": "mlp", "note": "caf\u00e9"},
    "w": {"dtype": "F32", "shape": [2, 3],
          "values": [0.5, -1.25, 3, 0.001000000047497451305389404296875, 65504, -0.0]},
    "wt": {"dtype": "F64", "shape": [3, 2], "values": [1, 4, 2, 5, 3, 6]},
    "s": {"dtype": "F64", "shape": [], "values": [0.1]},
    "idx": {"dtype": "I64", "shape": [3], "values": [9007199254740993, -7, 0]},
    "none": {"dtype": "F32", "shape": [0], "values": []}
  })";
  const std::string expect_path = dir.file("expect.json");
  tgtest::write_file(expect_path, expect);
  const std::string cmd =
      fmt::format("{} '{}' '{}' --expect '{}'", py, script.string(), path, expect_path);
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);

  // And a file the reader must refuse (a tensor running past the end).
  const std::string bad = dir.file("bad.safetensors");
  tgtest::write_file(bad, make_file(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                                    std::string(8, '\0')));
  const std::string bad_cmd = fmt::format("{} '{}' '{}' >/dev/null 2>&1", py, script.string(), bad);
  REQUIRE(std::system(bad_cmd.c_str()) != 0);
}
