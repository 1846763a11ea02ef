#pragma once
/// @file
/// The results store of the activation study: one SQLite file per study (DIR/results.sqlite),
/// shared by several worker processes. Runs are planned once, then claimed, finished or failed;
/// each of these is one transaction, so a worker killed at any point leaves a run either
/// untouched, 'running' without results (reset_running() puts it back) or complete.
///
/// Tables (schema version kSchemaVersion, kept in PRAGMA user_version):
/// @verbatim
///   study(key, value)                      recipe, machine, commit, ...
///   runs(id, key UNIQUE, arm, model, optimizer, lr, seed, status, reason, worker, started,
///        finished, wall_seconds, parameters, activation_parameters, best_val_epoch,
///        test_at_best_val, test_at_last)  status: 'pending' | 'running' | 'done' | 'failed'
///   epochs(run_id, epoch, train_loss, train_accuracy, val_loss, val_accuracy, test_loss,
///          test_accuracy, seconds)
///   diagnostics(run_id, epoch, layer, metric, value)     one number per layer and epoch
///   series(run_id, epoch, layer, name, data)             a vector: doubles, 8 bytes little-endian
/// @endverbatim
/// started and finished are seconds since the Unix epoch (system clock).
///
/// Doubles: bound and read as IEEE doubles, so every value round-trips bit-exactly, except
///  - NaN: SQLite stores NaN as NULL; NULL reads back as a quiet NaN (sign and payload are lost).
///    A NaN val_loss (no validation split) therefore stays NaN.
///  - -0.0 in a REAL column reads back as +0.0 (SQLite stores an integral REAL as an integer).
/// Series data is stored as raw bytes and keeps every bit pattern, NaN payloads and -0.0 included.
///
/// Every SQLite failure is a tg::Error naming the operation, the file and SQLite's message.
/// A Store is one connection: use it from one thread at a time, and never across fork() (open a
/// new one in the child).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;

namespace tg::study {

/// Where a run is in its life.
enum class RunStatus {
  pending,  ///< planned, not yet claimed
  running,  ///< claimed by a worker
  done,     ///< finished, results written
  failed    ///< failed, with a reason
};
/// "pending", "running", "done", "failed": the strings stored in runs.status.
std::string_view to_string(RunStatus s);

/// One run of the plan. id is set by claim() and ignored by plan().
struct RunSpec {
  std::int64_t id = 0;    ///< the row id in the runs table
  std::string key;        ///< unique, e.g. "lenet5/adam/lr=0.001/relu/seed=3"
  std::string arm;        ///< activation spec, e.g. "prelu(init=0.1)"
  std::string model;      ///< model name, e.g. "lenet5"
  std::string optimizer;  ///< optimizer name, e.g. "adam"
  double lr = 0.0;        ///< learning rate
  std::int64_t seed = 0;  ///< the run's seed
};

/// One epoch of a run (a row of the epochs table).
struct EpochRow {
  std::int64_t epoch = 0;  ///< 1-based
  /// Mean training loss.
  double train_loss = 0.0, train_accuracy = 0.0;
  /// @var train_accuracy
  /// Training accuracy, a fraction in [0, 1].

  /// Validation loss; NaN: no validation split.
  double val_loss = 0.0, val_accuracy = 0.0;  ///< NaN: no validation split
  /// Test loss.
  double test_loss = 0.0, test_accuracy = 0.0;
  /// @var test_accuracy
  /// Test accuracy, a fraction in [0, 1].

  double seconds = 0.0;  ///< the epoch's training time
};

/// A per-layer scalar: "dead_fraction", "saturated_fraction", "preact_mean", "preact_std",
/// "grad_norm", "param_mean", "param_spread", ...
struct DiagnosticRow {
  std::int64_t epoch = 0;  ///< 1-based
  std::string layer;       ///< the layer's name
  std::string metric;      ///< what is measured
  double value = 0.0;      ///< the value
};

/// A per-layer vector: a histogram, a learned shape f(x) on a grid, ...
struct SeriesRow {
  std::int64_t epoch = 0;    ///< 1-based
  std::string layer;         ///< the layer's name
  std::string name;          ///< what the vector is
  std::vector<double> data;  ///< the values (stored bit-exactly)
};

/// Everything a finished run writes, by the run's key.
struct RunResult {
  std::string key;                         ///< the run's key
  double wall_seconds = 0.0;               ///< the run's duration
  std::int64_t parameters = 0;             ///< the model's parameter count
  std::int64_t activation_parameters = 0;  ///< of which in activations
  std::int64_t best_val_epoch = 0;         ///< 0: no validation split
  double test_at_best_val = 0.0;           ///< test accuracy at best_val_epoch
  double test_at_last = 0.0;               ///< test accuracy after the last epoch
  std::vector<EpochRow> epochs;            ///< one per epoch
  std::vector<DiagnosticRow> diagnostics;  ///< per-layer scalars
  std::vector<SeriesRow> series;           ///< per-layer vectors
};

/// One row of the runs table. A NULL REAL column reads as NaN, a NULL integer as nullopt, a NULL
/// reason as "".
struct RunRow {
  std::int64_t id = 0;  ///< the row id
  /// As in RunSpec.
  std::string key, arm, model, optimizer;
  /// @var arm
  /// As in RunSpec.
  /// @var model
  /// As in RunSpec.
  /// @var optimizer
  /// As in RunSpec.

  double lr = 0.0;                        ///< as in RunSpec
  std::int64_t seed = 0;                  ///< as in RunSpec
  RunStatus status = RunStatus::pending;  ///< where the run is
  std::string reason;                     ///< why it failed ("" otherwise)
  std::optional<std::int64_t> worker;     ///< the worker that claimed it
  /// When it was claimed, in seconds since the Unix epoch.
  double started = 0.0, finished = 0.0, wall_seconds = 0.0;
  /// @var finished
  /// When it finished, in seconds since the Unix epoch.
  /// @var wall_seconds
  /// As in RunResult.

  /// As in RunResult.
  std::optional<std::int64_t> parameters, activation_parameters, best_val_epoch;
  /// @var activation_parameters
  /// As in RunResult.
  /// @var best_val_epoch
  /// As in RunResult.

  /// As in RunResult.
  double test_at_best_val = 0.0, test_at_last = 0.0;
  /// @var test_at_last
  /// As in RunResult.
};

/// Number of runs in each status.
struct Status {
  /// Runs 'pending'.
  std::int64_t pending = 0, running = 0, done = 0, failed = 0;
  /// @var running
  /// Runs 'running'.
  /// @var done
  /// Runs 'done'.
  /// @var failed
  /// Runs 'failed'.

  std::int64_t total() const { return pending + running + done + failed; }  ///< all runs
};

/// The results store of a study: one SQLite file shared by several worker processes. Runs are
/// planned once, then claimed, finished or failed, each in one transaction. One connection: use it
/// from one thread at a time, and never across fork().
class Store {
 public:
  static constexpr int kSchemaVersion = 1;  ///< kept in PRAGMA user_version
  /// How long a statement waits for another process's write lock before failing.
  static constexpr int kBusyTimeoutMs = 60'000;

  /// Creates the file and the schema, or opens an existing study. tg::Error if the file is not
  /// a SQLite database, has a schema version other than kSchemaVersion, or is another
  /// program's database (user_version 0 with tables in it).
  static Store open(const std::string& path);

  Store(Store&& other) noexcept;             ///< takes other's connection
  Store& operator=(Store&& other) noexcept;  ///< closes this connection and takes other's
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  const std::string& path() const { return path_; }  ///< the SQLite file

  /// Adds the runs whose key is not yet in the store, as 'pending', in order (claim() takes them
  /// in that order); returns how many were added. Re-planning a study adds nothing twice; a key
  /// planned before with a different arm, model, optimizer, lr or seed is a tg::Error.
  std::size_t plan(const std::vector<RunSpec>& runs);
  /// Atomically takes the first 'pending' run (lowest id), marks it 'running' by `worker` now.
  /// nullopt when nothing is pending.
  std::optional<RunSpec> claim(int worker);
  /// Writes the run's epochs, diagnostics and series and marks it 'done', in one transaction.
  /// The run must be 'running'; rows left from an earlier attempt are replaced.
  void finish(const RunResult& result);
  /// Marks a 'pending' or 'running' run 'failed' with `reason` and removes any rows of it.
  void fail(const std::string& key, const std::string& reason);
  /// Puts every 'running' run back to 'pending' (for a study restarting after a kill), deleting
  /// its epochs, diagnostics and series; returns how many runs were reset.
  int reset_running();
  /// Puts every 'failed' run back to 'pending', its reason cleared; returns how many.
  int retry_failed();
  Status status();  ///< runs per status

  /// Readers. runs() in id order; epochs by epoch; diagnostics and series by (epoch, layer, name).
  std::vector<RunRow> runs();
  /// The run with this key; nullopt if there is none.
  std::optional<RunRow> run(const std::string& key);
  /// A run's epochs, by epoch.
  std::vector<EpochRow> epochs(std::int64_t run_id);
  /// A run's diagnostics, by (epoch, layer, metric).
  std::vector<DiagnosticRow> diagnostics(std::int64_t run_id);
  /// A run's series, by (epoch, layer, name).
  std::vector<SeriesRow> series(std::int64_t run_id);

  /// The study table: recipe, machine, commit, ...
  std::map<std::string, std::string> study_info();
  /// Sets one study-table entry (replacing an earlier value).
  void set_study_info(const std::string& key, const std::string& value);

 private:
  Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* handle(const char* op) const;

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace tg::study
