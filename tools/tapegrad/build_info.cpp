#include "build_info.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tapegrad/version.hpp"

// tools/CMakeLists.txt passes the build's settings: the -march target of a TG_NATIVE build ("" when
// TG_NATIVE is off), whether GEMM may use its AVX-512 tile or is OpenBLAS's, the build type.
#ifndef TG_BUILD_ARCH
#define TG_BUILD_ARCH ""
#endif
#ifndef TG_BUILD_AVX512_GEMM
#define TG_BUILD_AVX512_GEMM 1
#endif
#ifndef TG_BUILD_BLAS
#define TG_BUILD_BLAS 0
#endif
#ifndef TG_BUILD_TYPE
#define TG_BUILD_TYPE ""
#endif

namespace tg::cli {

namespace {

// The x86-64 micro-architecture level whose features the compiler was told it may use. This file
// is compiled with the library's -march flags, so its macros are the library's.
std::string level() {
#if defined(__AVX512F__) && defined(__AVX512CD__) && defined(__AVX512BW__) && \
    defined(__AVX512DQ__) && defined(__AVX512VL__) && defined(__AVX2__) && defined(__FMA__)
  return "x86-64-v4";
#elif defined(__AVX2__) && defined(__FMA__) && defined(__BMI2__) && defined(__F16C__)
  return "x86-64-v3";
#elif defined(__SSE4_2__) && defined(__POPCNT__) && defined(__SSSE3__)
  return "x86-64-v2";
#elif defined(__x86_64__)
  return "x86-64";
#else
  return "not x86-64";
#endif
}

std::vector<std::string> extensions() {
  std::vector<std::string> out;
#if defined(__AVX512F__)
  std::vector<std::string> avx512{"F"};
#if defined(__AVX512CD__)
  avx512.emplace_back("CD");
#endif
#if defined(__AVX512BW__)
  avx512.emplace_back("BW");
#endif
#if defined(__AVX512DQ__)
  avx512.emplace_back("DQ");
#endif
#if defined(__AVX512VL__)
  avx512.emplace_back("VL");
#endif
#if defined(__AVX512VNNI__)
  avx512.emplace_back("VNNI");
#endif
#if defined(__AVX512BF16__)
  avx512.emplace_back("BF16");
#endif
  out.push_back(fmt::format("AVX-512 ({})", fmt::join(avx512, ", ")));
#endif
#if defined(__AVX2__)
  out.emplace_back("AVX2");
#elif defined(__AVX__)
  out.emplace_back("AVX");
#endif
#if defined(__FMA__)
  out.emplace_back("FMA");
#endif
#if !defined(__AVX__)
#if defined(__SSE4_2__)
  out.emplace_back("SSE4.2");
#elif defined(__SSE2__)
  out.emplace_back("SSE2");
#endif
#endif
  return out;
}

std::string gemm_tile() {
  if (TG_BUILD_BLAS) return "OpenBLAS (TG_BLAS=ON)";
#if defined(__AVX512F__)
  return TG_BUILD_AVX512_GEMM ? "AVX-512 tile (12 x 32 floats)" : "AVX2 tile (TG_AVX512_GEMM=OFF)";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2 + FMA tile (6 x 16 floats)";
#else
  return "portable tile";
#endif
}

}  // namespace

std::string instruction_set() {
  const std::string arch = TG_BUILD_ARCH;
  return fmt::format("{}: {}; {}", level(), fmt::join(extensions(), ", "),
                     arch.empty() ? "no -march (TG_NATIVE=OFF)" : "-march=" + arch);
}

std::string compiler() {
#if defined(__clang__)
  return fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

std::string version_text() {
  const std::string type = TG_BUILD_TYPE;
  return fmt::format(
      "tapegrad {}\n"
      "instruction set: {}\n"
      "GEMM: {}\n"
      "compiler: {}{}\n",
      kVersion, instruction_set(), gemm_tile(), compiler(),
      type.empty() ? "" : fmt::format(" ({} build)", type));
}

}  // namespace tg::cli
