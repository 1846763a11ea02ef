#pragma once
/// @file
/// Running a study: N worker processes x T threads share the runs of a plan through the study's
/// database (DIR/results.sqlite). Each run is an ordinary training run (train/classifier.hpp) plus
/// the diagnostics monitor after every epoch, on a fixed probe set (the first probe_size images
/// of the run's validation split), and a snapshot of every learnable activation parameter (series
/// "param.<name>" per layer and epoch: all its values). A run checkpoints after every epoch
/// (DIR/checkpoints/), so a study that is interrupted (Ctrl-C, kill -9, power loss) continues with
/// run_study() on the same directory: finished runs are skipped, a half-finished run restarts from
/// its last checkpoint, and the numbers it records are the bits an uninterrupted study records.
///
/// The process that calls run_study() forks the workers (before it starts any OpenMP thread), shows
/// one progress line for the study and waits; a worker that dies (a crash, the kernel's OOM
/// killer) has its run recorded as failed with the signal, and a fresh worker takes its place.
/// A run whose loss becomes NaN, or which throws, is recorded as failed with its reason. A failed
/// run keeps its last checkpoint: RunnerOptions::retry_failed puts failed runs back to pending,
/// and each continues from there (the failure may have been the machine's: a killed worker, a
/// full disk). The workers die with their parent (PR_SET_PDEATHSIG). Two studies on one
/// directory at once are a tg::Error (DIR/study.lock).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tapegrad/core/random.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/study/plan.hpp"

namespace tg::study {

/// Builds a run's model: the model name, the activation spec and the init scheme of the recipe,
/// with every weight drawn from `gen` (Generator(seed)), nothing from the default generator.
using ModelFactory = std::function<std::shared_ptr<nn::Module>(const train::Recipe&, Generator*)>;

/// Options of run_study().
struct RunnerOptions {
  int workers = 0;    ///< processes; 0: one per core (hardware threads / threads)
  int threads = 0;    ///< OpenMP threads per worker; 0: 1 when workers > 1 or unset, else all cores
  int progress = -1;  ///< -1: a live line on a terminal, one line per finished run otherwise; 0 off
  bool retry_failed = false;  ///< run the failed runs again, each from its last checkpoint
  /// study_info entries to record (machine, commit, command line, ...).
  std::map<std::string, std::string> info;
};

/// What run_study() did.
struct StudyOutcome {
  Status status;            ///< of the whole study after this call
  double wall_seconds = 0;  ///< of this call
  /// Worker processes used.
  int workers = 0, threads = 0;
  /// @var threads
  /// OpenMP threads per worker.
};

/// Opens or creates DIR/results.sqlite, records or checks the plan (a directory holding a
/// different plan is a tg::Error naming the difference), and runs every pending run.
StudyOutcome run_study(const Plan& plan, const std::string& dir, const ModelFactory& factory,
                       const RunnerOptions& options = {});

/// The plan stored in DIR's database (tg::Error when DIR holds no study).
Plan stored_plan(const std::string& dir);
/// DIR/results.sqlite.
std::string results_path(const std::string& dir);

/// One run, in this process, as a worker does it: its result (nothing is written to the store),
/// resuming from `checkpoint` when that file exists and belongs to this run, and writing it after
/// every epoch when the path is not empty. `log` (when set) receives each finished epoch (1-based)
/// and a line about it.
RunResult execute_run(const Plan& plan, const RunSpec& run, const ModelFactory& factory,
                      const train::ClassifierData& data, const std::string& checkpoint = "",
                      const std::function<void(std::int64_t, const std::string&)>& log = {});

}  // namespace tg::study
