#include "tapegrad/nn/embedding.hpp"

#include <fmt/format.h>

#include "tapegrad/core/creation.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::nn {

Embedding::Embedding(std::int64_t n, std::int64_t dim, DType dtype)
    : Module("Embedding"), num_embeddings(n), embedding_dim(dim) {
  if (n <= 0 || dim <= 0)
    fail("Embedding: num_embeddings and embedding_dim must be positive, got {} and {}", n, dim);
  if (!is_floating(dtype)) fail("Embedding: dtype must be float32 or float64, got {}", dtype);
  weight = register_parameter("weight", empty({n, dim}, dtype));
  reset_parameters();
}

void Embedding::reset_parameters() { init::normal_(weight, 0.0, 1.0); }

Tensor Embedding::forward(const Tensor& indices) {
  if (indices.dtype() != DType::Int64)
    fail("Embedding: indices must be int64, got {} (shape {})", indices.dtype(),
         shape_str(indices.shape()));
  const Tensor flat = indices.reshape({-1}).contiguous();
  const auto* p = flat.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < flat.numel(); ++i)
    if (p[i] < 0 || p[i] >= num_embeddings)
      fail("Embedding: index {} is out of range for num_embeddings={} (valid indices are 0..{})",
           p[i], num_embeddings, num_embeddings - 1);
  Shape out_shape = indices.shape();
  out_shape.push_back(embedding_dim);
  return index_select(weight, 0, flat).reshape(out_shape);
}

std::string Embedding::extra_repr() const {
  return fmt::format("{}, {}", num_embeddings, embedding_dim);
}

}  // namespace tg::nn
