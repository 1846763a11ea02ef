#pragma once
/// @file
/// Residual blocks (nn::ResidualBlock, nn::basic_block).
#include <memory>

#include "tapegrad/nn/module.hpp"

namespace tg::nn {

/// y = post(body(x) + shortcut(x)), the building block of a ResNet. A null shortcut is the
/// identity; a null post is the identity. body(x) and shortcut(x) must have the same shape.
/// Children are registered as "body", "shortcut" and "post" (the last two only when given), so
/// parameter names read "body.0.weight", "shortcut.weight", ...
class ResidualBlock : public Module {
 public:
  /// A block of body, shortcut and post; body must not be null (else tg::Error).
  explicit ResidualBlock(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut = nullptr,
                         std::shared_ptr<Module> post = nullptr);
  /// post(body(x) + shortcut(x)).
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  /// The residual branch.
  std::shared_ptr<Module> body, shortcut, post;
  /// @var shortcut
  /// The shortcut branch; null: the identity.
  /// @var post
  /// Applied to the sum; null: the identity.
};

/// The ResNet basic block (He et al. 2016, as torchvision's BasicBlock):
/// @verbatim
///   body     = conv3x3(in, out, stride) - BatchNorm2d - ReLU - conv3x3(out, out) - BatchNorm2d
///   shortcut = conv1x1(in, out, stride) - BatchNorm2d when stride != 1 or in != out, else identity
///   post     = ReLU
/// @endverbatim
/// Convolutions have no bias (the BatchNorm after them has one). Input [N, in, H, W], output
/// [N, out, ceil(H / stride), ceil(W / stride)].
std::shared_ptr<Module> basic_block(std::int64_t in_channels, std::int64_t out_channels,
                                    std::int64_t stride = 1, DType dtype = DType::Float32);

}  // namespace tg::nn
