#include "tapegrad/data/dataset.hpp"

#include <vector>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::data {

Example Dataset::get_batch(std::span<const std::int64_t> indices) const {
  TG_CHECK(!indices.empty(), "Dataset::get_batch: empty list of indices");
  std::vector<Tensor> xs, ys;
  xs.reserve(indices.size());
  ys.reserve(indices.size());
  for (std::int64_t i : indices) {
    Example e = get(i);
    xs.push_back(std::move(e.input));
    ys.push_back(std::move(e.target));
  }
  NoGradGuard no_grad;
  return {stack(xs), stack(ys)};
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets, std::vector<std::string> classes)
    : inputs_(std::move(inputs)), targets_(std::move(targets)), classes_(std::move(classes)) {
  TG_CHECK(inputs_.defined() && targets_.defined(),
           "TensorDataset: inputs and targets must be defined");
  TG_CHECK(inputs_.dim() >= 1 && targets_.dim() >= 1 && inputs_.size(0) == targets_.size(0),
           "TensorDataset: inputs {} and targets {} must have the same first dimension",
           shape_str(inputs_.shape()), shape_str(targets_.shape()));
}

std::int64_t TensorDataset::size() const { return inputs_.size(0); }

Example TensorDataset::get(std::int64_t i) const {
  TG_CHECK(i >= 0 && i < size(), "TensorDataset::get: index {} out of range for {} examples", i,
           size());
  NoGradGuard no_grad;
  return {inputs_.slice(0, i, i + 1).squeeze(0), targets_.slice(0, i, i + 1).squeeze(0)};
}

Example TensorDataset::get_batch(std::span<const std::int64_t> indices) const {
  TG_CHECK(!indices.empty(), "TensorDataset::get_batch: empty list of indices");
  for (std::int64_t i : indices)
    TG_CHECK(i >= 0 && i < size(),
             "TensorDataset::get_batch: index {} out of range for {} examples", i, size());
  NoGradGuard no_grad;
  Tensor idx = int64_tensor(std::vector<std::int64_t>(indices.begin(), indices.end()),
                            {static_cast<std::int64_t>(indices.size())});
  return {index_select(inputs_, 0, idx), index_select(targets_, 0, idx)};
}

Subset::Subset(std::shared_ptr<const Dataset> base, std::int64_t n) : base_(std::move(base)) {
  TG_CHECK(base_ != nullptr, "Subset: no base dataset");
  TG_CHECK(n >= 0, "Subset: size must be >= 0, got {}", n);
  n_ = std::min(n, base_->size());
}

Subset::Subset(std::shared_ptr<const Dataset> base, std::vector<std::int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  TG_CHECK(base_ != nullptr, "Subset: no base dataset");
  const std::int64_t size = base_->size();
  for (std::size_t k = 0; k < indices_.size(); ++k)
    TG_CHECK(indices_[k] >= 0 && indices_[k] < size,
             "Subset: index {} (position {}) is out of range for a dataset of {} examples",
             indices_[k], k, size);
  n_ = static_cast<std::int64_t>(indices_.size());
}

Example Subset::get(std::int64_t i) const {
  TG_CHECK(i >= 0 && i < n_, "Subset::get: index {} out of range for {} examples", i, n_);
  return base_->get(indices_.empty() ? i : indices_[static_cast<std::size_t>(i)]);
}

Example Subset::get_batch(std::span<const std::int64_t> indices) const {
  for (std::int64_t i : indices)
    TG_CHECK(i >= 0 && i < n_, "Subset::get_batch: index {} out of range for {} examples", i, n_);
  if (indices_.empty()) return base_->get_batch(indices);
  std::vector<std::int64_t> mapped(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k)
    mapped[k] = indices_[static_cast<std::size_t>(indices[k])];
  return base_->get_batch(mapped);
}

std::vector<std::shared_ptr<Subset>> random_split(const std::shared_ptr<const Dataset>& base,
                                                  std::span<const std::int64_t> sizes,
                                                  std::uint64_t seed) {
  TG_CHECK(base != nullptr, "random_split: no base dataset");
  std::int64_t total = 0;
  for (std::int64_t s : sizes) {
    TG_CHECK(s >= 0, "random_split: sizes must be >= 0, got {}", s);
    total += s;
  }
  TG_CHECK(total == base->size(),
           "random_split: the sizes add up to {}, expected the dataset's size {}", total,
           base->size());
  // Fisher-Yates with the generator's unbiased draws: the same permutation everywhere.
  std::vector<std::int64_t> perm(static_cast<std::size_t>(total));
  for (std::int64_t i = 0; i < total; ++i) perm[static_cast<std::size_t>(i)] = i;
  Generator gen(seed);
  for (std::int64_t i = total - 1; i > 0; --i)
    std::swap(perm[static_cast<std::size_t>(i)],
              perm[gen.below(static_cast<std::uint64_t>(i + 1))]);
  std::vector<std::shared_ptr<Subset>> out;
  std::size_t at = 0;
  for (std::int64_t s : sizes) {
    std::vector<std::int64_t> idx(perm.begin() + static_cast<std::ptrdiff_t>(at),
                                  perm.begin() + static_cast<std::ptrdiff_t>(at + s));
    at += static_cast<std::size_t>(s);
    out.push_back(std::make_shared<Subset>(base, std::move(idx)));
  }
  return out;
}

}  // namespace tg::data
