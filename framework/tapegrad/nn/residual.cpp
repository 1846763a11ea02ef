#include "tapegrad/nn/residual.hpp"

#include <fmt/format.h>

#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/nn/norm.hpp"
#include "tapegrad/nn/sequential.hpp"
#include "tapegrad/ops/elementwise.hpp"

namespace tg::nn {

ResidualBlock::ResidualBlock(std::shared_ptr<Module> body_, std::shared_ptr<Module> shortcut_,
                             std::shared_ptr<Module> post_)
    : Module("ResidualBlock"),
      body(std::move(body_)),
      shortcut(std::move(shortcut_)),
      post(std::move(post_)) {
  if (!body) fail("ResidualBlock: body must not be null");
  register_module("body", body);
  if (shortcut) register_module("shortcut", shortcut);
  if (post) register_module("post", post);
}

Tensor ResidualBlock::forward(const Tensor& x) {
  const Tensor main = (*body)(x);
  const Tensor skip = shortcut ? (*shortcut)(x) : x;
  if (main.shape() != skip.shape())
    fail(
        "ResidualBlock: body output has shape {} but the {} gives {} (input {}); they must "
        "match{}",
        shape_str(main.shape()), shortcut ? "shortcut" : "identity shortcut",
        shape_str(skip.shape()), shape_str(x.shape()),
        shortcut ? ""
                 : ": pass a shortcut module (e.g. a 1x1 conv) that maps the input to the body's "
                   "output shape");
  const Tensor sum = add(main, skip);
  return post ? (*post)(sum) : sum;
}

std::string ResidualBlock::extra_repr() const { return shortcut ? "" : "shortcut=identity"; }

std::shared_ptr<Module> basic_block(std::int64_t in_ch, std::int64_t out_ch, std::int64_t stride,
                                    DType dtype) {
  if (in_ch <= 0 || out_ch <= 0 || stride <= 0)
    fail("basic_block: in_channels, out_channels and stride must be positive, got {}, {}, {}",
         in_ch, out_ch, stride);
  const Conv2dOptions conv1{.stride = {stride, stride}, .padding = {1, 1}};
  const Conv2dOptions conv2{.padding = {1, 1}};
  auto body = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Conv2d>(in_ch, out_ch, 3, conv1, false, dtype),
      std::make_shared<BatchNorm2d>(out_ch, 1e-5, 0.1, true, true, dtype), std::make_shared<ReLU>(),
      std::make_shared<Conv2d>(out_ch, out_ch, 3, conv2, false, dtype),
      std::make_shared<BatchNorm2d>(out_ch, 1e-5, 0.1, true, true, dtype)});
  std::shared_ptr<Module> shortcut;
  if (stride != 1 || in_ch != out_ch)
    shortcut = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
        std::make_shared<Conv2d>(in_ch, out_ch, 1, Conv2dOptions{.stride = {stride, stride}}, false,
                                 dtype),
        std::make_shared<BatchNorm2d>(out_ch, 1e-5, 0.1, true, true, dtype)});
  return std::make_shared<ResidualBlock>(body, shortcut, std::make_shared<ReLU>());
}

}  // namespace tg::nn
