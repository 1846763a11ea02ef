#pragma once
// Shared helpers for the test programs.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tapegrad/tapegrad.hpp"

namespace tgtest {

// A float64 leaf that requires grad, with values from a fixed generator (no ties, no zeros
// unless the caller shifts them).
inline tg::Tensor leaf(const tg::Shape& shape, std::uint64_t seed = 1, double lo = -1.0,
                       double hi = 1.0) {
  tg::Generator g(seed);
  tg::Tensor t = tg::uniform(shape, lo, hi, tg::DType::Float64, &g);
  t.requires_grad_();
  return t;
}

// Values of a tensor compared one by one with Approx.
inline void require_values(const tg::Tensor& t, const std::vector<double>& expected,
                           double eps = 1e-6) {
  const auto v = t.to_vector<double>();
  REQUIRE(v.size() == expected.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    REQUIRE(v[i] == Approx(expected[i]).epsilon(eps).margin(eps));
  }
}

// 0, 1, 2, ... laid out row-major in `shape` (element [i, j] of an {A, B} tensor is i*B + j), so
// expected values are easy to write by hand.
inline tg::Tensor iota(const tg::Shape& shape, tg::DType dtype = tg::DType::Float64) {
  return tg::arange(0, static_cast<double>(tg::numel_of(shape)), 1, dtype).reshape(shape);
}

// Gradchecks u -> (gradient of <op(x), u> w.r.t. x), recorded with create_graph. It passes only
// if op's backward is built from recorded, differentiable ops and is op's transpose, which is
// what double backward through op needs.
inline void require_backward_differentiable(const std::function<tg::Tensor(const tg::Tensor&)>& op,
                                            const tg::Shape& in_shape) {
  tg::Tensor x = leaf(in_shape, 11);
  tg::Shape out_shape;
  {
    tg::NoGradGuard ng;
    out_shape = op(x).shape();
  }
  tg::Tensor u = leaf(out_shape, 12);
  const auto r = tg::gradcheck(
      [&](const tg::TensorList& in) {
        tg::EnableGradGuard eg;  // gradcheck also evaluates fn under NoGradGuard
        return tg::grad(op(x), x, {.create_graph = true, .grad_outputs = {in[0]}});
      },
      tg::TensorList{u});
  INFO(r.message);
  REQUIRE(r.ok);
}

// A fresh, empty directory under the system temp dir, removed with everything in it at scope
// exit. The name holds the process id and a counter, so test programs running in parallel never
// share one, and a directory left by an earlier run is skipped, not reused.
struct TempDir {
  const std::filesystem::path path;

  TempDir() : path(create_fresh()) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string str() const { return path.string(); }
  // The path of `name` (which may contain '/') inside the directory; nothing is created.
  std::string file(const std::string& name) const { return (path / name).string(); }

 private:
  static std::filesystem::path create_fresh() {
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path base = std::filesystem::temp_directory_path();
    for (;;) {
      std::filesystem::path p =
          base / ("tgtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
      if (std::filesystem::create_directory(p)) return p;
    }
  }
};

// Writes `bytes` to `path` (replacing it). A failure throws, naming the file, so that a test
// never goes on to read a file that was not written.
inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) throw std::runtime_error("tgtest::write_file: cannot write '" + path + "'");
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// The whole file; a file that cannot be opened throws, naming it.
inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("tgtest::read_file: cannot open '" + path + "'");
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  const std::string s = read_file(path);
  return {s.begin(), s.end()};
}

}  // namespace tgtest

// Runs tg::gradcheck(fn, inputs[, options]) and fails the test with its message. Variadic so
// that braces with commas (TensorList{a, b}) need no extra parentheses.
#define REQUIRE_GRADCHECK(...)                            \
  do {                                                    \
    const auto gc_result_ = ::tg::gradcheck(__VA_ARGS__); \
    INFO(gc_result_.message);                             \
    REQUIRE(gc_result_.ok);                               \
  } while (0)
