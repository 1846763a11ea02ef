#pragma once
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

// A lookup table: forward(indices) with int64 indices of any shape S returns weight rows, shape
// S + [embedding_dim]. weight [num_embeddings, embedding_dim] is initialised N(0, 1), as PyTorch.
// The gradient w.r.t. weight accumulates over repeated indices (dense, via index_select).
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, DType dtype = DType::Float32);
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  void reset_parameters();

  std::int64_t num_embeddings, embedding_dim;
  Tensor weight;
};

}  // namespace tg::nn
