#include "tapegrad/data/loader.hpp"

#include <numeric>

#include <omp.h>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::data {

namespace {

// splitmix64: turns (seed, epoch, position) into independent generator seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  TG_CHECK(dataset_ != nullptr, "DataLoader: no dataset");
  TG_CHECK(options_.batch_size > 0, "DataLoader: batch_size must be positive, got {}",
           options_.batch_size);
  TG_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be >= 0, got {}", options_.prefetch);
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::int64_t DataLoader::num_examples() const {
  return options_.drop_last ? num_batches() * options_.batch_size : dataset_->size();
}

std::vector<std::int64_t> DataLoader::order(std::int64_t epoch) const {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(dataset_->size()));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  if (options_.shuffle) {
    // Fisher-Yates with a generator that depends only on (seed, epoch).
    Generator gen(mix(options_.seed ^ mix(static_cast<std::uint64_t>(epoch) + 1)));
    for (std::size_t i = idx.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(gen.below(static_cast<std::uint64_t>(i)));
      std::swap(idx[i - 1], idx[j]);
    }
  }
  return idx;
}

std::unique_ptr<EpochRun> DataLoader::epoch(std::int64_t epoch) const {
  TG_CHECK(epoch >= 0, "DataLoader::epoch: epoch must be >= 0, got {}", epoch);
  return std::unique_ptr<EpochRun>(new EpochRun(*this, epoch));
}

EpochRun::EpochRun(const DataLoader& loader, std::int64_t epoch)
    : loader_(loader),
      epoch_(epoch),
      order_(loader.order(epoch)),
      num_batches_(loader.num_batches()) {
  if (loader_.options_.prefetch > 0 && num_batches_ > 0)
    worker_ = std::thread([this] { produce(); });
}

EpochRun::~EpochRun() {
  if (worker_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
}

Example EpochRun::build(std::int64_t batch) const {
  const LoaderOptions& o = loader_.options_;
  const std::int64_t begin = batch * o.batch_size;
  const std::int64_t end =
      std::min<std::int64_t>(begin + o.batch_size, static_cast<std::int64_t>(order_.size()));
  NoGradGuard no_grad;
  Example ex = loader_.dataset_->get_batch(
      std::span<const std::int64_t>(order_.data() + begin, static_cast<std::size_t>(end - begin)));
  if (o.transform) {
    std::vector<Tensor> items;
    items.reserve(static_cast<std::size_t>(end - begin));
    for (std::int64_t p = begin; p < end; ++p) {
      Generator gen(mix(o.seed ^ mix((static_cast<std::uint64_t>(epoch_) << 32) ^
                                     static_cast<std::uint64_t>(p) ^ 0x5ca1ab1eull)));
      items.push_back(o.transform(ex.input.slice(0, p - begin, p - begin + 1).squeeze(0), gen));
    }
    ex.input = stack(items);
  }
  return ex;
}

void EpochRun::produce() {
  // Batches are built serially on this thread; the training thread keeps the cores' OpenMP
  // teams for itself.
  omp_set_num_threads(1);
  try {
    for (std::int64_t b = 0; b < num_batches_; ++b) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
          return stop_ || static_cast<int>(ready_.size()) < loader_.options_.prefetch;
        });
        if (stop_) return;
      }
      Example ex = build(b);
      {
        std::lock_guard lock(mu_);
        ready_.push_back(std::move(ex));
        ++produced_;
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mu_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

std::optional<Example> EpochRun::next() {
  if (consumed_ >= num_batches_) return std::nullopt;
  if (!worker_.joinable()) return build(consumed_++);
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !ready_.empty() || error_; });
  if (ready_.empty()) {
    consumed_ = num_batches_;
    std::rethrow_exception(error_);
  }
  Example ex = std::move(ready_.front());
  ready_.pop_front();
  ++consumed_;
  lock.unlock();
  cv_.notify_all();
  return ex;
}

}  // namespace tg::data
