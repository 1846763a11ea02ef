#pragma once
// The entry point of an example program that is also a subcommand of the `tapegrad` command
// (tools/tapegrad). In the program,
//
//   TG_EXAMPLE_MAIN(train_cnn) { ... }
//
// is the program's entry point. examples/CMakeLists.txt compiles the file once, with
// TG_EXAMPLE_AS_COMMAND defined, and then it is `int tg_command_train_cnn(int argc, char** argv)`:
// the program's main() (common/program_main.cpp.in) calls it, and so does `tapegrad train-cnn`,
// with argv[0] = "tapegrad train-cnn". Without TG_EXAMPLE_AS_COMMAND (the instruction-set builds,
// which have no tapegrad command) it is `int main(int argc, char** argv)` itself. Everything else
// in an example file has internal linkage (an anonymous namespace), so the examples link into one
// program without clashing.
#include <string>

#include <CLI/CLI.hpp>

#ifdef TG_EXAMPLE_AS_COMMAND
#define TG_EXAMPLE_MAIN(name) int tg_command_##name(int argc, char** argv)
#else
#define TG_EXAMPLE_MAIN(name) int main(int argc, char** argv)
#endif

namespace tg::examples {

// The name messages start with: "train_cnn" for the program (the file name of argv[0]),
// "tapegrad train-cnn" for the subcommand (CLI11's --help shows argv[0] itself).
inline std::string program_name(const char* argv0) {
  const std::string s = argv0 != nullptr ? argv0 : "";
  const auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// Makes CLI11's errors name the program too: "tapegrad train-cnn: --epochs: Value zero not in
// range ...". Call it before adding subcommands, which copy the setting.
inline void name_errors(CLI::App& app, const std::string& program) {
  app.failure_message([program](const CLI::App* a, const CLI::Error& e) {
    return program + ": " + CLI::FailureMessage::simple(a, e);
  });
}

}  // namespace tg::examples
