#pragma once
/// @file
/// A progress bar for one epoch of training:
/// @verbatim
///   epoch 2/5 [==========>          ] 412/938  loss 0.4123  acc 85.12%  6120 img/s  ETA 8s
/// @endverbatim
/// redrawn in place on a terminal (at most ~10 times per second), and replaced by nothing at all
/// when the stream is not a terminal (logs and pipes get only the per-epoch lines the caller
/// prints). Time comes from std::chrono::steady_clock.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tg::train {

/// Options of ProgressBar.
struct ProgressOptions {
  std::string label;        ///< e.g. "epoch 2/5"
  std::FILE* out = stdout;  ///< where to draw
  int width = 30;           ///< bar width in characters
  /// -1: draw when `out` is a terminal; 0: never draw; 1: always draw (tests).
  int interactive = -1;
};

/// A progress bar for one epoch of training, redrawn in place on a terminal (at most about 10
/// times per second) and drawing nothing when the stream is not a terminal.
class ProgressBar {
 public:
  /// A bar for an epoch of total_batches batches (the clock starts now).
  ProgressBar(std::int64_t total_batches, ProgressOptions options);
  ~ProgressBar();  ///< clears the bar (finish())
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// After batch `done` (1-based) of total: running mean loss, running accuracy (fraction) and
  /// the number of images seen so far in this epoch.
  void update(std::int64_t done, double loss, double accuracy, std::int64_t images);
  /// Clears the bar line (the caller then prints its summary line).
  void finish();
  bool interactive() const { return interactive_; }  ///< true when the bar is drawn
  double elapsed_seconds() const;                    ///< since construction

  /// The text of the bar for given values (no terminal control characters), for tests.
  static std::string render(const std::string& label, std::int64_t done, std::int64_t total,
                            int width, double loss, double accuracy, double images_per_second,
                            double eta_seconds);

 private:
  std::int64_t total_;
  ProgressOptions options_;
  bool interactive_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

/// "1h02m", "3m05s", "42s".
std::string format_duration(double seconds);

}  // namespace tg::train
