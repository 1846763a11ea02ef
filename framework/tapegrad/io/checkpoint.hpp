#pragma once
/// @file
/// Training checkpoints as one safetensors file, readable by any safetensors tool:
/// @verbatim
///   tensors   "model.<name>"  the model's state_dict()
///             "optim.<name>"  the optimizer's state tensors
///   metadata  "tapegrad_version", "epoch", "rng" (7 decimal words, comma separated),
///             "optim_scalar.<name>" (doubles, shortest round-trip text), and the user's metadata.
/// @endverbatim
/// Writes are atomic (see safetensors.hpp).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "tapegrad/nn/module.hpp"
#include "tapegrad/optim/optimizer.hpp"

/// Saving and loading tensors, models and training checkpoints (safetensors).
namespace tg::io {

/// Everything needed to resume training: the model's and optimizer's state, the epoch, the
/// generator's state and user metadata.
struct Checkpoint {
  nn::StateDict model;                              ///< model.state_dict()
  optim::OptimizerState optimizer;                  ///< optimizer.state_dict()
  std::int64_t epoch = 0;                           ///< epochs completed
  std::optional<std::array<std::uint64_t, 7>> rng;  ///< Generator::state()
  /// Anything else (model spec, activation, notes). Keys may not be the reserved ones
  /// (tapegrad_version, epoch, rng, optim_scalar.*).
  std::map<std::string, std::string> metadata;
};

/// Throws tg::Error if a user metadata key is reserved, or for any save_safetensors error.
void save_checkpoint(const std::string& path, const Checkpoint& c);
/// Loads and validates: unknown tensor prefixes, malformed numbers (named by key) and bad rng text
/// are tg::Errors. A missing epoch is 0, a missing rng is nullopt. The reserved keys are not
/// copied into `metadata` (so the checkpoint can be saved again unchanged).
Checkpoint load_checkpoint(const std::string& path);

/// Just the model: its state_dict under "model.<name>" plus metadata.
void save_model(const std::string& path, const nn::Module& model,
                const std::map<std::string, std::string>& metadata = {});
/// Loads the "model." tensors of a model or checkpoint file into `model` through
/// load_state_dict(strict). A file without any "model." tensors is a tg::Error.
void load_model(const std::string& path, nn::Module& model, bool strict = true);

}  // namespace tg::io
