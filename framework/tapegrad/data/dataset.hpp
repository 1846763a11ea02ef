#pragma once
/// @file
/// Datasets: anything with a size and an indexable (input, target) pair, as torch.utils.data.
/// A DataLoader asks for whole batches through get_batch(), which datasets that hold their data
/// in one tensor (TensorDataset, FashionMNIST) answer with one gather instead of N small copies.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "tapegrad/core/random.hpp"
#include "tapegrad/core/tensor.hpp"

/// Datasets, data loaders, transforms and readers for IDX (MNIST), images and image folders.
namespace tg::data {

/// One example or one batch: input (e.g. float32 [C, H, W] or [N, C, H, W]) and target (int64
/// scalar or [N]).
struct Example {
  Tensor input;   ///< the input (a batch: stacked along a new first dimension)
  Tensor target;  ///< the target (a batch: stacked likewise)
};

/// A per-example transform of the input. It receives a generator that the DataLoader derives from
/// (seed, epoch, example position), so random augmentation is reproducible whatever thread runs it.
using Transform = std::function<Tensor(const Tensor& input, Generator& gen)>;

/// Anything with a size and an indexable (input, target) pair, as torch.utils.data.Dataset.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;  ///< the number of examples
  /// Example i, 0 <= i < size(); throws tg::Error naming the index and the size otherwise.
  virtual Example get(std::int64_t i) const = 0;
  /// The examples at `indices`, stacked along a new first dimension. The default stacks get().
  virtual Example get_batch(std::span<const std::int64_t> indices) const;
  /// Class names when the targets are class indices (empty when unknown).
  virtual std::vector<std::string> classes() const { return {}; }
};

/// Examples are slices along the first dimension of `inputs` and `targets` (same length).
class TensorDataset : public Dataset {
 public:
  /// inputs and targets must be defined, at least 1-D, with one first-dimension size.
  TensorDataset(Tensor inputs, Tensor targets, std::vector<std::string> classes = {});
  std::int64_t size() const override;  ///< the first dimension's size
  Example get(std::int64_t i) const override;
  Example get_batch(std::span<const std::int64_t> indices) const override;
  std::vector<std::string> classes() const override { return classes_; }
  const Tensor& inputs() const { return inputs_; }    ///< all inputs
  const Tensor& targets() const { return targets_; }  ///< all targets

 private:
  Tensor inputs_, targets_;
  std::vector<std::string> classes_;
};

/// Some examples of `base`: the first `n` (all when n >= size(); for --limit-train style runs), or
/// the ones at `indices`, in that order (as torch.utils.data.Subset).
class Subset : public Dataset {
 public:
  /// The first n examples of base (all of them when n >= base->size()).
  Subset(std::shared_ptr<const Dataset> base, std::int64_t n);
  /// The examples of base at `indices` (each in range), in that order.
  Subset(std::shared_ptr<const Dataset> base, std::vector<std::int64_t> indices);
  std::int64_t size() const override { return n_; }  ///< the number of examples kept
  Example get(std::int64_t i) const override;
  Example get_batch(std::span<const std::int64_t> indices) const override;
  std::vector<std::string> classes() const override { return base_->classes(); }
  /// The base dataset's index of each example (empty: the first size() examples).
  const std::vector<std::int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::int64_t n_;
  std::vector<std::int64_t> indices_;
};

/// Splits `base` into disjoint random subsets of the given sizes (which must add up to its size),
/// as torch.utils.data.random_split: a permutation drawn from Generator(seed) is cut in order.
/// The same seed gives the same split on every machine.
std::vector<std::shared_ptr<Subset>> random_split(const std::shared_ptr<const Dataset>& base,
                                                  std::span<const std::int64_t> sizes,
                                                  std::uint64_t seed);

}  // namespace tg::data
