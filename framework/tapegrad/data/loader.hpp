#pragma once
/// @file
/// DataLoader: batches of a Dataset, optionally shuffled, built ahead on a background thread.
///
/// @code{.cpp}
///   data::DataLoader loader(train_set, {.batch_size = 64, .shuffle = true, .seed = 1});
///   for (std::int64_t epoch = 0; epoch < 3; ++epoch)
///     for (const data::Example& batch : loader.epoch(epoch)) { ... batch.input, batch.target ... }
/// @endcode
///
/// Determinism: the order of epoch e is a function of (seed, e) only, and the generator handed to
/// the transform of the example at position p is a function of (seed, e, p), so results do not
/// depend on which thread builds a batch or when, and a run resumed at epoch e sees exactly the
/// batches an uninterrupted run would.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tapegrad/data/dataset.hpp"

namespace tg::data {

/// Options of DataLoader.
struct LoaderOptions {
  std::int64_t batch_size = 64;  ///< examples per batch (positive)
  bool shuffle = false;          ///< a new permutation every epoch, from (seed, epoch)
  bool drop_last = false;        ///< drop a last batch smaller than batch_size
  std::uint64_t seed = 0;        ///< seeds the shuffling and the transforms' generators
  Transform transform;           ///< applied to every example's input (e.g. normalize, random crop)
  int prefetch = 2;              ///< batches built ahead on a background thread; 0: build on demand
};

class DataLoader;

/// One pass over the data. Iterate it, or call next() until it returns nothing. Destroying it
/// stops the background thread.
class EpochRun {
 public:
  ~EpochRun();
  EpochRun(const EpochRun&) = delete;
  EpochRun& operator=(const EpochRun&) = delete;
  EpochRun(EpochRun&&) = delete;

  /// The next batch, or nothing at the end of the epoch. An error raised while building a batch
  /// (a bad file, a failing transform) is rethrown here.
  std::optional<Example> next();
  std::int64_t num_batches() const { return num_batches_; }  ///< batches in this epoch

  /// An input iterator over the remaining batches (each step calls next()).
  class iterator {
   public:
    using value_type = Example;              ///< a batch
    using difference_type = std::ptrdiff_t;  ///< for std::input_iterator
    iterator() = default;                    ///< the end
    /// Positioned at run's next batch.
    explicit iterator(EpochRun* run) : run_(run) { ++*this; }
    const Example& operator*() const { return *current_; }    ///< the current batch
    const Example* operator->() const { return &*current_; }  ///< the current batch
    /// Moves to the next batch (the end after the last).
    iterator& operator++() {
      current_ = run_->next();
      if (!current_) run_ = nullptr;
      return *this;
    }
    /// True when both are the end, or both iterate the same run before its end.
    bool operator==(const iterator& o) const { return run_ == o.run_; }

   private:
    EpochRun* run_ = nullptr;
    std::optional<Example> current_;
  };
  iterator begin() { return iterator(this); }  ///< fetches the next batch
  iterator end() { return iterator(); }        ///< the end

 private:
  friend class DataLoader;
  EpochRun(const DataLoader& loader, std::int64_t epoch);
  Example build(std::int64_t batch) const;
  void produce();

  const DataLoader& loader_;
  std::int64_t epoch_;
  std::vector<std::int64_t> order_;
  std::int64_t num_batches_ = 0;
  std::int64_t consumed_ = 0;

  // Background production (prefetch > 0).
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Example> ready_;
  std::int64_t produced_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

/// Batches of a Dataset, optionally shuffled, built ahead on a background thread. The order of
/// epoch e is a function of (seed, e) only, so a resumed run sees the batches an uninterrupted one
/// would.
class DataLoader {
 public:
  /// A loader over dataset (not null); batch_size must be positive and prefetch >= 0.
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options = {});

  /// Starts epoch `epoch` (0-based). Only one EpochRun of a loader should be alive at a time.
  std::unique_ptr<EpochRun> epoch(std::int64_t epoch) const;
  std::int64_t num_batches() const;                     ///< batches per epoch (after drop_last)
  std::int64_t num_examples() const;                    ///< examples per epoch (after drop_last)
  const Dataset& dataset() const { return *dataset_; }  ///< the dataset
  const LoaderOptions& options() const { return options_; }  ///< as constructed

  /// The example order of an epoch (a permutation when shuffling, 0..n-1 otherwise).
  std::vector<std::int64_t> order(std::int64_t epoch) const;

 private:
  friend class EpochRun;
  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
};

/// Range-for support for loader.epoch(e), which returns a unique_ptr.
inline EpochRun::iterator begin(const std::unique_ptr<EpochRun>& r) { return r->begin(); }
/// Range-for support for loader.epoch(e): the end.
inline EpochRun::iterator end(const std::unique_ptr<EpochRun>& r) { return r->end(); }

}  // namespace tg::data
