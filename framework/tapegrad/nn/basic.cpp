#include "tapegrad/nn/basic.hpp"

#include <typeinfo>

#include <fmt/format.h>

#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/nn.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::nn {

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_dim, end_dim); }
std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim);
}

Dropout::Dropout(double p_, Generator* g) : Module("Dropout"), p(p_), gen(g) {
  if (!(p >= 0 && p <= 1)) fail("Dropout: probability must be in [0, 1], got {}", p);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), gen); }
std::string Dropout::extra_repr() const { return fmt::format("p={}", p); }

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
bool ReLU::commutes_with_max_pool() const { return typeid(*this) == typeid(ReLU); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }

}  // namespace tg::nn
