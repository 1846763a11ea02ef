#include "tapegrad/nn/linear.hpp"

#include <cmath>

#include "tapegrad/core/creation.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/ops/nn.hpp"

namespace tg::nn {

Linear::Linear(std::int64_t in, std::int64_t out, bool has_bias, DType dtype)
    : Module("Linear"), in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    fail("Linear: in_features and out_features must be positive, got {} and {}", in, out);
  weight = register_parameter("weight", empty({out, in}, dtype));
  if (has_bias) bias = register_parameter("bias", empty({out}, dtype));
  reset_parameters();
}

void Linear::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) {
  if (x.dim() < 1 || x.shape().back() != in_features)
    fail("Linear: input of shape {} does not end in in_features={} (expected [..., {}])",
         shape_str(x.shape()), in_features, in_features);
  return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined());
}

}  // namespace tg::nn
