#include "tapegrad/nn/sequential.hpp"

namespace tg::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules)
    : Module("Sequential") {
  for (const auto& m : modules) push_back(m);
}

Sequential& Sequential::push_back(std::shared_ptr<Module> m) {
  register_module(std::to_string(layers_.size()), m);
  layers_.push_back(std::move(m));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& m : layers_) h = (*m)(h);
  return h;
}

const std::shared_ptr<Module>& Sequential::operator[](std::size_t i) const {
  if (i >= layers_.size())
    fail("Sequential: index {} is out of range for {} layers", i, layers_.size());
  return layers_[i];
}

}  // namespace tg::nn
