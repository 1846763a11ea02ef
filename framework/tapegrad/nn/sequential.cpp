#include "tapegrad/nn/sequential.hpp"

#include <typeinfo>

#include "tapegrad/nn/pool.hpp"

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
  // An activation that commutes with max-pooling (relu), followed by a MaxPool2d, runs after
  // the pool instead: the values and gradients are the same bit for bit (see
  // Module::commutes_with_max_pool), and the activation's forward and backward then touch a
  // quarter of the values (a 2x2 pool) instead of the whole conv output. The tape records
  // max_pool2d before relu. summary() sees the modules in their own order.
  const bool reorder = !detail::summary_active();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // MaxPool2d itself, not a subclass, whose forward might do something else.
    if (reorder && i + 1 < layers_.size() && layers_[i]->commutes_with_max_pool() &&
        typeid(*layers_[i + 1]) == typeid(MaxPool2d)) {
      h = (*layers_[i + 1])(h);
      h = (*layers_[i])(h);
      ++i;
      continue;
    }
    h = (*layers_[i])(h);
  }
  return h;
}

const std::shared_ptr<Module>& Sequential::operator[](std::size_t i) const {
  if (i >= layers_.size())
    fail("Sequential: index {} is out of range for {} layers", i, layers_.size());
  return layers_[i];
}

}  // namespace tg::nn
