// The tapegrad command: one program in the style of git, whose subcommands are the example
// programs (the same code, compiled as functions: examples/common/entry.hpp) and `inspect`.
//
//   tapegrad train-cnn --act prelu --save lenet5.safetensors
//   tapegrad inspect lenet5.safetensors
//   tapegrad activations list
//   tapegrad help train-mlp          (the same as tapegrad train-mlp --help)
//
// Each subcommand parses its own flags (CLI11) and gets argv[0] = "tapegrad <name>", which its
// --help and its messages show.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "build_info.hpp"
#include "commands.hpp"
#include "tapegrad/activations/spec.hpp"

namespace {

struct Command {
  const char* name;     // as typed: "train-cnn"
  const char* summary;  // its line in `tapegrad --help`
  int (*run)(int argc, char** argv);
};

// In the order `tapegrad --help` lists them.
constexpr Command kCommands[] = {
    {"train-cnn", "train a CNN (LeNet-5, VGG-style, ResNet) on Fashion-MNIST with any activation",
     tg_command_train_cnn},
    {"train-mlp", "train an MLP on Fashion-MNIST with any activation", tg_command_train_mlp},
    {"train-rnn", "train an LSTM, GRU or RNN on Fashion-MNIST read row by row",
     tg_command_train_rnn},
    {"predict", "classify image files with a checkpoint (top-3 classes)", tg_command_predict},
    {"activations", "the activation catalogue: list, show, plot, check, accuracy, docs",
     tg_command_activations},
    {"study", "compare activations over paired multi-seed runs: run, status, compare, report",
     tg_command_study},
    {"inspect", "print a checkpoint's or safetensors file's tensors, metadata and activations",
     tg_command_inspect},
    {"export", "write a checkpoint's model as an ONNX file (ONNX Runtime and other runtimes)",
     tg_command_export},
};

const Command* find(std::string_view name) {
  for (const Command& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

std::string command_list() {
  std::string out;
  for (const Command& c : kCommands) out += fmt::format("  {:<13}{}\n", c.name, c.summary);
  return out;
}

std::string usage() {
  return fmt::format(
      "usage: tapegrad <command> [options]     (tapegrad <command> --help for its options)\n"
      "       tapegrad --version | --help\n\n"
      "A deep-learning framework's programs: train models, study and plot activations, inspect\n"
      "checkpoints.\n\n"
      "commands:\n{}",
      command_list());
}

// `tapegrad traincnn`: a message naming the word, the closest command, and the list.
int unknown(const std::string& word) {
  std::vector<std::string> names;
  for (const Command& c : kCommands) names.emplace_back(c.name);
  const std::string near = tg::act::closest(word, names);
  fmt::print(stderr, "tapegrad: '{}' is not a tapegrad command{}. The commands are:\n{}", word,
             near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near), command_list());
  return 1;
}

// Runs `command` with argv[first..] as its arguments and "tapegrad <name>" as its argv[0].
int dispatch(const Command& command, int argc, char** argv, int first) {
  std::string program = fmt::format("tapegrad {}", command.name);
  std::vector<char*> args{program.data()};
  for (int i = first; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  try {
    return command.run(static_cast<int>(args.size()) - 1, args.data());
  } catch (const std::exception& e) {
    // The subcommands report their own errors; this catches what escapes before they can.
    std::fflush(stdout);
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {  // like git: the usage, and a status that says nothing was done
    fmt::print("{}", usage());
    return 1;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h") {
    fmt::print("{}", usage());
    return 0;
  }
  if (first == "--version" || first == "-V" || first == "version") {
    fmt::print("{}", tg::cli::version_text());
    return 0;
  }
  if (first == "help") {
    if (argc < 3) {
      fmt::print("{}", usage());
      return 0;
    }
    // `tapegrad help train-cnn` is `tapegrad train-cnn --help`.
    const Command* c = find(argv[2]);
    if (c == nullptr) return unknown(argv[2]);
    char help[] = "--help";
    char* args[] = {argv[0], argv[2], help, nullptr};
    return dispatch(*c, 3, args, 2);
  }
  if (first.starts_with('-')) {
    fmt::print(stderr, "tapegrad: unknown option '{}'\n{}", first, usage());
    return 1;
  }
  const Command* c = find(first);
  if (c == nullptr) return unknown(first);
  return dispatch(*c, argc, argv, 2);
}
