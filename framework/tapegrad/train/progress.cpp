#include "tapegrad/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tg::train {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<std::int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

ProgressBar::ProgressBar(std::int64_t total_batches, ProgressOptions options)
    : total_(std::max<std::int64_t>(total_batches, 1)),
      options_(std::move(options)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (options_.interactive < 0)
    interactive_ = options_.out != nullptr && isatty(fileno(options_.out)) != 0;
  else
    interactive_ = options_.interactive > 0 && options_.out != nullptr;
}

ProgressBar::~ProgressBar() { finish(); }

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::render(const std::string& label, std::int64_t done, std::int64_t total,
                                int width, double loss, double accuracy, double images_per_second,
                                double eta_seconds) {
  const std::int64_t clamped = std::clamp<std::int64_t>(done, 0, total);
  const int filled = static_cast<int>(width * clamped / std::max<std::int64_t>(total, 1));
  std::string bar(static_cast<std::size_t>(width), ' ');
  for (int i = 0; i < filled; ++i) bar[static_cast<std::size_t>(i)] = '=';
  if (filled < width) bar[static_cast<std::size_t>(filled)] = '>';
  return fmt::format("{} [{}] {}/{}  loss {:.4f}  acc {:.2f}%  {:.0f} img/s  ETA {}", label, bar,
                     clamped, total, loss, 100 * accuracy, images_per_second,
                     format_duration(eta_seconds));
}

void ProgressBar::update(std::int64_t done, double loss, double accuracy, std::int64_t images) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redraw at most ten times a second, and always for the last batch.
  if (drawn_ && done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double ips = secs > 0 ? static_cast<double>(images) / secs : 0;
  const double eta =
      done > 0 ? secs / static_cast<double>(done) * static_cast<double>(total_ - done) : NAN;
  const std::string line =
      render(options_.label, done, total_, options_.width, loss, accuracy, ips, eta);
  std::fprintf(options_.out, "\r%s\033[K", line.c_str());
  std::fflush(options_.out);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (interactive_ && drawn_) {
    std::fprintf(options_.out, "\r\033[K");
    std::fflush(options_.out);
  }
  drawn_ = false;
}

}  // namespace tg::train
