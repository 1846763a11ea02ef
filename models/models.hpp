#pragma once
/// @file
/// Model definitions for the training scripts and studies. Every model takes an activation spec
/// string from the registry ("relu", "prelu(per_channel=true)", "pau(m=5, n=4)") and an init
/// scheme, so any registered activation drops into any model:
/// @code{.cpp}
///   auto net = tg::models::lenet5({.activation = "prelu", .init = "kaiming"}, &gen);
///   fmt::print("{}", tg::nn::summary(*net, {1, 1, 28, 28}));
/// @endcode
/// Inputs are images [N, C, H, W] (the MLP flattens them first); outputs are logits [N, classes].
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/core/random.hpp"
#include "tapegrad/nn/sequential.hpp"

/// Ready-made models (MLP, LeNet-5, small VGG and ResNet) taking an activation and an init scheme.
namespace tg::models {

/// What every model of the zoo takes: the activation, the init scheme and the input and output
/// sizes.
struct ModelOptions {
  std::string activation = "relu";  ///< activation spec, one per hidden layer (per-channel sized)
  /// "kaiming": He init with the activation's gain (init::kaiming_normal_ with the activation
  /// object); the output layer gets gain 1. "xavier": Glorot normal with the activation's gain.
  /// "default": PyTorch's layer defaults (kaiming_uniform with a = sqrt(5)). Biases start at 0
  /// for kaiming and xavier.
  std::string init = "kaiming";
  std::int64_t in_channels = 1;   ///< C of the input
  std::int64_t image_size = 28;   ///< H = W of the input
  std::int64_t num_classes = 10;  ///< outputs (logits)
  DType dtype = DType::Float32;   ///< of the parameters
  /// Sequence models (rnn, lstm, gru): the recurrent layer's size, and its cell activation (the
  /// LSTM's g and cell output, the GRU's candidate). Their `activation` is the gate (lstm, gru) or
  /// the recurrence's nonlinearity (rnn).
  std::string cell = "tanh";
  std::int64_t hidden_size = 128;  ///< the recurrent layer's size (sequence models)
  std::int64_t num_layers = 1;     ///< recurrent layers (sequence models)
};

/// Flatten, then Linear(sizes[i], sizes[i+1]) with the activation between layers (none after the
/// last). sizes.front() must be in_channels * image_size^2, e.g. {784, 256, 128, 10}.
std::shared_ptr<nn::Sequential> mlp(const std::vector<std::int64_t>& sizes,
                                    const ModelOptions& options = {}, Generator* gen = nullptr);

/// LeNet-5 (LeCun et al. 1998) for 28x28 inputs: conv 6@5x5 pad 2, act, max-pool 2, conv 16@5x5,
/// act, max-pool 2, fc 400-120, act, fc 120-84, act, fc 84-classes. 61,706 parameters with relu.
std::shared_ptr<nn::Sequential> lenet5(const ModelOptions& options = {}, Generator* gen = nullptr);

/// A small VGG-style CNN (Simonyan & Zisserman 2015 pattern): two blocks of
/// [conv3x3-BN-act, conv3x3-BN-act, max-pool 2] with 32 and 64 channels, then fc 64*7*7-256, act,
/// dropout 0.25, fc 256-classes.
std::shared_ptr<nn::Sequential> vgg_small(const ModelOptions& options = {},
                                          Generator* gen = nullptr);

/// A small ResNet (He et al. 2016): conv3x3 16-BN-act, three stages of two basic blocks
/// (16, 32 and 64 channels, stride 1, 2, 2) whose inner and post-addition nonlinearities are the
/// chosen activation, global average pooling, fc 64-classes.
std::shared_ptr<nn::Sequential> resnet_small(const ModelOptions& options = {},
                                             Generator* gen = nullptr);

/// A sequence classifier for images read row by row ("sequential MNIST": a [N, C, H, W] image is H
/// steps of C * W values): the recurrent layer (nn::RNN, LSTM or GRU, batch first; PyTorch's
/// initialisation, U(-1/sqrt(H), 1/sqrt(H)), drawn from gen), the output of its last step, and a
/// Linear to the classes (initialised by options.init with gain 1). kind: "rnn", "lstm" or "gru".
std::shared_ptr<nn::Sequential> sequence_classifier(const std::string& kind,
                                                    const ModelOptions& options = {},
                                                    Generator* gen = nullptr);

/// By name: "mlp" (784-256-128-10 for 28x28x1), "lenet5", "vgg_small", "resnet_small", and the
/// sequence classifiers "rnn", "lstm", "gru".
/// An unknown name is a tg::Error listing the names (and the closest one).
std::shared_ptr<nn::Sequential> make(const std::string& name, const ModelOptions& options = {},
                                     Generator* gen = nullptr);
/// The names make() accepts, sorted.
std::vector<std::string> names();

}  // namespace tg::models
