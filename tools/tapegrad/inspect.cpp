// tapegrad inspect FILE: what a checkpoint or any safetensors file holds. Its tensors (name, the
// dtype the file stores, shape, elements, min / max / mean), its metadata, and for a checkpoint
// written by train-cnn, train-mlp or train-rnn the learned parameters of its activations (the
// model is rebuilt from the metadata, as predict does).
//
//   tapegrad inspect lenet5_prelu.safetensors
//   tapegrad inspect model.safetensors --full      (long metadata values in full)
//
// The file is read with tapegrad's validating readers (io/): a missing, truncated or corrupt file
// is a tg::Error, reported as a message and exit status 1.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "common/classifier.hpp"
#include "common/entry.hpp"
#include "tapegrad/io/checkpoint.hpp"
#include "tapegrad/io/safetensors.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using namespace tg;

// Metadata values longer than this (a run log is a whole JSON document) are cut unless --full.
constexpr std::size_t kMetadataWidth = 72;

struct Summary {
  double min = 0, max = 0, mean = 0;
  std::int64_t finite = 0, nan = 0, inf = 0;
};

// Over the finite values; NaN and infinities are counted apart.
Summary summarize(const Tensor& t) {
  Summary s;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -s.min;
  double sum = 0;
  for (const double v : t.to_vector<double>()) {
    if (std::isnan(v)) {
      ++s.nan;
    } else if (std::isinf(v)) {
      ++s.inf;
    } else {
      s.min = std::min(s.min, v);
      s.max = std::max(s.max, v);
      sum += v;
      ++s.finite;
    }
  }
  s.mean = s.finite > 0 ? sum / static_cast<double>(s.finite) : 0;
  return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// A tapegrad checkpoint (io/checkpoint.hpp): the version key and only model.* / optim.* tensors.
bool looks_like_checkpoint(const io::SafetensorsFile& f) {
  if (!f.metadata.contains("tapegrad_version")) return false;
  return std::all_of(f.tensors.begin(), f.tensors.end(), [](const auto& kv) {
    return starts_with(kv.first, "model.") || starts_with(kv.first, "optim.");
  });
}

void print_metadata(const std::map<std::string, std::string>& meta, bool full) {
  fmt::print("metadata ({} keys):\n", meta.size());
  std::size_t width = 0;
  for (const auto& [k, v] : meta) width = std::max(width, k.size());
  for (const auto& [k, v] : meta) {
    std::string value = v;
    std::string note;
    if (!full && value.size() > kMetadataWidth) {
      value.resize(kMetadataWidth);
      note = fmt::format(" ... ({} characters; --full shows all)", v.size());
    }
    std::replace(value.begin(), value.end(), '\n', ' ');
    fmt::print("  {:<{}}  {}{}\n", k, width, value, note);
  }
}

void print_tensors(const io::SafetensorsFile& f) {
  std::size_t name_w = 4, shape_w = 5;
  for (const auto& [name, t] : f.tensors) {
    name_w = std::max(name_w, name.size());
    shape_w = std::max(shape_w, shape_str(t.shape()).size());
  }
  fmt::print("tensors ({}):\n", f.tensors.size());
  fmt::print("  {:<{}}  {:<5} {:<{}} {:>10} {:>12} {:>12} {:>12}\n", "name", name_w, "dtype",
             "shape", shape_w, "elements", "min", "max", "mean");
  for (const auto& [name, t] : f.tensors) {
    const auto dt = f.file_dtypes.find(name);
    const std::string dtype = dt != f.file_dtypes.end() ? dt->second : "?";
    fmt::print("  {:<{}}  {:<5} {:<{}} {:>10}", name, name_w, dtype, shape_str(t.shape()), shape_w,
               t.numel());
    const Summary s = summarize(t);
    if (s.finite > 0)
      fmt::print(" {:>12.5g} {:>12.5g} {:>12.5g}", s.min, s.max, s.mean);
    else
      fmt::print(" {:>12} {:>12} {:>12}", "-", "-", "-");
    if (s.nan + s.inf > 0) fmt::print("  ({} NaN, {} inf)", s.nan, s.inf);
    fmt::print("\n");
  }
}

// The learned parameters of the activations of a train-cnn / train-mlp / train-rnn checkpoint.
void print_activations(const io::Checkpoint& ck) {
  const auto act = ck.metadata.find("activation");
  if (!ck.metadata.contains("model") || act == ck.metadata.end()) {
    fmt::print(
        "activations: the metadata names no model and activation (train-cnn, train-mlp and "
        "train-rnn record them), so the model cannot be rebuilt to show them\n");
    return;
  }
  auto model = examples::model_from_metadata(ck.metadata);
  model->load_state_dict(ck.model);
  const std::string report = examples::activation_parameter_report(*model);
  if (report.empty())
    fmt::print("activations: {} has no learnable parameters\n", act->second);
  else
    fmt::print("learned activation parameters ({}):\n{}", act->second, report);
}

int inspect(const std::string& path, bool full) {
  const io::SafetensorsFile f = io::load_safetensors(path);
  std::int64_t elements = 0;
  for (const auto& [name, t] : f.tensors) elements += t.numel();
  fmt::print("{}: {} bytes, {} tensors, {} elements\n", path, std::filesystem::file_size(path),
             f.tensors.size(), elements);

  std::optional<io::Checkpoint> ck;
  if (looks_like_checkpoint(f)) {
    ck = io::load_checkpoint(path);  // validates what the raw file leaves open (epoch, rng, ...)
    std::int64_t model_elems = 0, optim_elems = 0;
    for (const auto& [name, t] : ck->model) model_elems += t.numel();
    for (const auto& [name, t] : ck->optimizer.tensors) optim_elems += t.numel();
    fmt::print(
        "kind: tapegrad checkpoint (written by tapegrad {}), epoch {}; {} model elements, {} "
        "optimizer state elements{}\n",
        f.metadata.at("tapegrad_version"), ck->epoch, model_elems, optim_elems,
        ck->rng ? ", RNG state" : "");
  } else {
    fmt::print("kind: safetensors file (not a tapegrad checkpoint: {})\n",
               f.metadata.contains("tapegrad_version")
                   ? "it has tensors outside model.* and optim.*"
                   : "no tapegrad_version metadata");
  }
  print_metadata(f.metadata, full);
  print_tensors(f);
  if (ck) print_activations(*ck);
  return 0;
}

}  // namespace

int tg_command_inspect(int argc, char** argv) {
  const std::string program = tg::examples::program_name(argv[0]);
  CLI::App app{
      "Print a checkpoint's or safetensors file's tensors, metadata and learned activations"};
  tg::examples::name_errors(app, program);
  std::string path;
  bool full = false;
  app.add_option("file", path, "a checkpoint (train-cnn --save) or any .safetensors file")
      ->required();
  app.add_flag("--full", full, "print long metadata values (the run log) in full");
  CLI11_PARSE(app, argc, argv);
  try {
    return inspect(path, full);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}
