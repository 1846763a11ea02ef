#pragma once
// What `tapegrad --version` says about the build: the instruction set it was compiled for and the
// compiler. Results are bit-identical only between builds for the same instruction set, so a
// result reported with the version can be reproduced.
#include <string>

namespace tg::cli {

// "x86-64-v4: AVX-512 (F, CD, BW, DQ, VL), AVX2, FMA; -march=native": the level the compiler's
// predefined macros show (x86-64, -v2, -v3, -v4), its vector extensions and the -march flag.
std::string instruction_set();
// "GCC 12.2.0" or "Clang 14.0.6".
std::string compiler();
// The lines of `tapegrad --version`.
std::string version_text();

}  // namespace tg::cli
