#pragma once
/// @file
/// The lookup-table layer nn::Embedding.
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

/// A lookup table: forward(indices) with int64 indices of any shape S returns weight rows, shape
/// S + [embedding_dim]. weight [num_embeddings, embedding_dim] is initialised N(0, 1), as PyTorch.
/// The gradient w.r.t. weight accumulates over repeated indices (dense, via index_select).
class Embedding : public Module {
 public:
  /// Sizes must be positive and dtype floating (else tg::Error).
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, DType dtype = DType::Float32);
  /// Rows of weight at `indices` (int64, each in [0, num_embeddings), else tg::Error).
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  /// Draws weight again from N(0, 1).
  void reset_parameters();

  /// Rows of the table.
  std::int64_t num_embeddings, embedding_dim;
  /// @var embedding_dim
  /// Length of each row.

  Tensor weight;  ///< [num_embeddings, embedding_dim]
};

}  // namespace tg::nn
