#include "models/models.hpp"

#include <cmath>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/activations/spec.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/init/init.hpp"
#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/norm.hpp"
#include "tapegrad/nn/pool.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/nn/residual.hpp"
#include "tapegrad/ops/conv.hpp"

namespace tg::models {

namespace {

// Builds layers with the chosen activation and initialises each weight for the activation that
// follows it.
class Builder {
 public:
  Builder(const ModelOptions& o, Generator* gen, const char* model) : o_(o), gen_(gen) {
    TG_CHECK(o.init == "kaiming" || o.init == "xavier" || o.init == "default",
             "{}: unknown init '{}'; expected one of kaiming, xavier, default", model, o.init);
    TG_CHECK(o.in_channels > 0 && o.image_size > 0 && o.num_classes > 0,
             "{}: in_channels ({}), image_size ({}) and num_classes ({}) must be positive", model,
             o.in_channels, o.image_size, o.num_classes);
    act::make(o.activation, 1, o.dtype);  // a bad spec fails here, before any layer is built
  }

  std::shared_ptr<act::Activation> activation(std::int64_t channels) const {
    return act::make(o_.activation, channels, o_.dtype);
  }

  // Initialises `weight` (and zeroes `bias`) for a layer followed by `next` (null: the output
  // layer, gain 1).
  void init(const Tensor& weight, const Tensor& bias, const act::Activation* next) const {
    NoGradGuard no_grad;
    if (o_.init == "default") {
      // PyTorch's layer defaults, redrawn from our generator so a seed fixes them.
      init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::FanIn, "leaky_relu", gen_);
      if (bias.defined()) {
        const double fan_in = static_cast<double>(weight.numel() / weight.size(0));
        const double bound = 1 / std::sqrt(fan_in);
        init::uniform_(bias, -bound, bound, gen_);
      }
      return;
    }
    if (o_.init == "kaiming") {
      if (next)
        init::kaiming_normal_(weight, *next, init::FanMode::FanIn, gen_);
      else
        init::kaiming_normal_(weight, 0, init::FanMode::FanIn, "linear", gen_);
    } else {
      const double gain = next ? next->gain().value_or(1.0) : 1.0;
      init::xavier_normal_(weight, gain, gen_);
    }
    if (bias.defined()) bias.zero_();
  }

  std::shared_ptr<nn::Linear> linear(std::int64_t in, std::int64_t out, const act::Activation* next,
                                     bool bias = true) const {
    auto l = std::make_shared<nn::Linear>(in, out, bias, o_.dtype);
    init(l->weight, l->bias, next);
    return l;
  }

  std::shared_ptr<nn::Conv2d> conv(std::int64_t in, std::int64_t out, std::int64_t k,
                                   Conv2dOptions co, const act::Activation* next,
                                   bool bias = true) const {
    auto c = std::make_shared<nn::Conv2d>(in, out, k, co, bias, o_.dtype);
    init(c->weight, c->bias, next);
    return c;
  }

  const ModelOptions& options() const { return o_; }

 private:
  const ModelOptions& o_;
  Generator* gen_;
};

// conv3x3 - BN - act - conv3x3 - BN (+ shortcut) - act, with the chosen activation.
std::shared_ptr<nn::Module> residual_block(const Builder& b, std::int64_t in, std::int64_t out,
                                           std::int64_t stride) {
  const DType dt = b.options().dtype;
  auto act1 = b.activation(out);
  auto act2 = b.activation(out);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(
      b.conv(in, out, 3, {.stride = {stride, stride}, .padding = {1, 1}}, act1.get(), false));
  body->push_back(std::make_shared<nn::BatchNorm2d>(out, 1e-5, 0.1, true, true, dt));
  body->push_back(act1);
  body->push_back(b.conv(out, out, 3, {.padding = {1, 1}}, act2.get(), false));
  body->push_back(std::make_shared<nn::BatchNorm2d>(out, 1e-5, 0.1, true, true, dt));
  std::shared_ptr<nn::Module> shortcut;
  if (stride != 1 || in != out) {
    auto s = std::make_shared<nn::Sequential>();
    s->push_back(b.conv(in, out, 1, {.stride = {stride, stride}}, nullptr, false));
    s->push_back(std::make_shared<nn::BatchNorm2d>(out, 1e-5, 0.1, true, true, dt));
    shortcut = s;
  }
  return std::make_shared<nn::ResidualBlock>(body, shortcut, act2);
}

}  // namespace

std::shared_ptr<nn::Sequential> mlp(const std::vector<std::int64_t>& sizes, const ModelOptions& o,
                                    Generator* gen) {
  Builder b(o, gen, "models::mlp");
  TG_CHECK(sizes.size() >= 2, "models::mlp: need at least an input and an output size, got {}",
           sizes.size());
  for (std::int64_t s : sizes) TG_CHECK(s > 0, "models::mlp: sizes must be positive, got {}", s);
  const std::int64_t in = o.in_channels * o.image_size * o.image_size;
  TG_CHECK(sizes.front() == in,
           "models::mlp: first size {} must equal the flattened input {}x{}x{} = {}", sizes.front(),
           o.in_channels, o.image_size, o.image_size, in);
  TG_CHECK(sizes.back() == o.num_classes, "models::mlp: last size {} must equal num_classes {}",
           sizes.back(), o.num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Flatten>());
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    const bool last = i + 2 == sizes.size();
    auto a = last ? nullptr : b.activation(sizes[i + 1]);
    net->push_back(b.linear(sizes[i], sizes[i + 1], a.get()));
    if (a) net->push_back(a);
  }
  return net;
}

std::shared_ptr<nn::Sequential> lenet5(const ModelOptions& o, Generator* gen) {
  Builder b(o, gen, "models::lenet5");
  TG_CHECK(o.image_size == 28, "models::lenet5: built for 28x28 inputs, got image_size {}",
           o.image_size);
  auto a1 = b.activation(6), a2 = b.activation(16), a3 = b.activation(120), a4 = b.activation(84);
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(b.conv(o.in_channels, 6, 5, {.padding = {2, 2}}, a1.get()));
  net->push_back(a1);
  net->push_back(std::make_shared<nn::MaxPool2d>(2));
  net->push_back(b.conv(6, 16, 5, {}, a2.get()));
  net->push_back(a2);
  net->push_back(std::make_shared<nn::MaxPool2d>(2));
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(b.linear(16 * 5 * 5, 120, a3.get()));
  net->push_back(a3);
  net->push_back(b.linear(120, 84, a4.get()));
  net->push_back(a4);
  net->push_back(b.linear(84, o.num_classes, nullptr));
  return net;
}

std::shared_ptr<nn::Sequential> vgg_small(const ModelOptions& o, Generator* gen) {
  Builder b(o, gen, "models::vgg_small");
  TG_CHECK(o.image_size % 4 == 0, "models::vgg_small: image_size must be a multiple of 4, got {}",
           o.image_size);
  auto net = std::make_shared<nn::Sequential>();
  std::int64_t in = o.in_channels;
  for (std::int64_t width : {32, 64}) {
    for (int rep = 0; rep < 2; ++rep) {
      auto a = b.activation(width);
      net->push_back(b.conv(in, width, 3, {.padding = {1, 1}}, a.get(), false));
      net->push_back(std::make_shared<nn::BatchNorm2d>(width, 1e-5, 0.1, true, true, o.dtype));
      net->push_back(a);
      in = width;
    }
    net->push_back(std::make_shared<nn::MaxPool2d>(2));
  }
  const std::int64_t side = o.image_size / 4;
  auto a = b.activation(256);
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(b.linear(64 * side * side, 256, a.get()));
  net->push_back(a);
  net->push_back(std::make_shared<nn::Dropout>(0.25));
  net->push_back(b.linear(256, o.num_classes, nullptr));
  return net;
}

std::shared_ptr<nn::Sequential> resnet_small(const ModelOptions& o, Generator* gen) {
  Builder b(o, gen, "models::resnet_small");
  auto net = std::make_shared<nn::Sequential>();
  auto a0 = b.activation(16);
  net->push_back(b.conv(o.in_channels, 16, 3, {.padding = {1, 1}}, a0.get(), false));
  net->push_back(std::make_shared<nn::BatchNorm2d>(16, 1e-5, 0.1, true, true, o.dtype));
  net->push_back(a0);
  std::int64_t in = 16;
  for (auto [width, stride] : {std::pair<std::int64_t, std::int64_t>{16, 1}, {32, 2}, {64, 2}}) {
    net->push_back(residual_block(b, in, width, stride));
    net->push_back(residual_block(b, width, width, 1));
    in = width;
  }
  net->push_back(std::make_shared<nn::AdaptiveAvgPool2d>(1));
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(b.linear(64, o.num_classes, nullptr));
  return net;
}

namespace {

// [N, C, H, W] images as [N, H, C * W] sequences: row r is step r.
class RowsAsSequence : public nn::Module {
 public:
  RowsAsSequence() : Module("RowsAsSequence") {}
  Tensor forward(const Tensor& x) override {
    TG_CHECK(x.dim() == 4, "RowsAsSequence: expected images [N, C, H, W], got {}",
             shape_str(x.shape()));
    const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    if (c == 1) return x.reshape({n, h, w});
    return x.permute({0, 2, 1, 3}).reshape({n, h, c * w});
  }
};

// The output of the last step of a [N, T, F] sequence: [N, F].
class LastStep : public nn::Module {
 public:
  LastStep() : Module("LastStep") {}
  Tensor forward(const Tensor& x) override {
    TG_CHECK(x.dim() == 3, "LastStep: expected a sequence [N, T, F], got {}", shape_str(x.shape()));
    return x.narrow(1, x.size(1) - 1, 1).reshape({x.size(0), x.size(2)});
  }
};

}  // namespace

std::shared_ptr<nn::Sequential> sequence_classifier(const std::string& kind, const ModelOptions& o,
                                                    Generator* gen) {
  const Builder b(o, gen, kind.c_str());
  TG_CHECK(o.hidden_size > 0 && o.num_layers > 0,
           "{}: hidden_size ({}) and num_layers ({}) must be positive", kind, o.hidden_size,
           o.num_layers);
  nn::RecurrentOptions ro{
      .num_layers = o.num_layers, .batch_first = true, .dtype = o.dtype, .gen = gen};
  std::shared_ptr<nn::Recurrent> rnn;
  const std::int64_t in = o.in_channels * o.image_size;
  if (kind == "rnn") {
    ro.cell = o.activation;
    rnn = std::make_shared<nn::RNN>(in, o.hidden_size, ro);
  } else if (kind == "lstm" || kind == "gru") {
    ro.gate = o.activation;
    ro.cell = o.cell;
    if (kind == "lstm")
      rnn = std::make_shared<nn::LSTM>(in, o.hidden_size, ro);
    else
      rnn = std::make_shared<nn::GRU>(in, o.hidden_size, ro);
  } else {
    fail("sequence_classifier: unknown kind '{}'; expected rnn, lstm or gru", kind);
  }
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<RowsAsSequence>());
  net->push_back(rnn);
  net->push_back(std::make_shared<LastStep>());
  net->push_back(b.linear(o.hidden_size, o.num_classes, nullptr));
  return net;
}

std::vector<std::string> names() {
  return {"gru", "lenet5", "lstm", "mlp", "resnet_small", "rnn", "vgg_small"};
}

std::shared_ptr<nn::Sequential> make(const std::string& name, const ModelOptions& o,
                                     Generator* gen) {
  if (name == "mlp")
    return mlp({o.in_channels * o.image_size * o.image_size, 256, 128, o.num_classes}, o, gen);
  if (name == "lenet5") return lenet5(o, gen);
  if (name == "vgg_small") return vgg_small(o, gen);
  if (name == "resnet_small") return resnet_small(o, gen);
  if (name == "rnn" || name == "lstm" || name == "gru") return sequence_classifier(name, o, gen);
  const std::string near = act::closest(name, names());
  fail("unknown model '{}'{}; expected one of gru, lenet5, lstm, mlp, resnet_small, rnn, vgg_small",
       name, near.empty() ? "" : fmt::format("; did you mean '{}'?", near));
}

}  // namespace tg::models
