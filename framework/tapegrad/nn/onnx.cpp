// The layers of tapegrad/nn as ONNX operators (Module::to_onnx), in one place as PyTorch keeps
// its ONNX symbolics: each layer's eval-mode forward, with its current parameter values as
// constants. The activations express themselves in their own files (activations/*.cpp).
#include <fmt/format.h>

#include "tapegrad/core/error.hpp"
#include "tapegrad/io/onnx_graph.hpp"
#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/norm.hpp"
#include "tapegrad/nn/pool.hpp"
#include "tapegrad/nn/residual.hpp"
#include "tapegrad/nn/sequential.hpp"

namespace tg::nn {

using io::OnnxAttribute;
using io::OnnxGraph;
using io::OnnxScope;

std::string Module::to_onnx(OnnxGraph&, const std::string&) const {
  fail(
      "onnx export: module '{}' cannot be expressed in ONNX operators (it does not implement "
      "Module::to_onnx); the exporter supports Sequential, Linear, Conv2d, the pools, BatchNorm "
      "and LayerNorm, Flatten, Dropout, Identity, ResidualBlock and the activations that "
      "implement to_onnx",
      type_name());
}

namespace {

std::vector<std::int64_t> pair(std::int64_t a, std::int64_t b) { return {a, b}; }

// ONNX pads are [h_begin, w_begin, h_end, w_end].
std::vector<std::int64_t> pads(std::int64_t h, std::int64_t w) { return {h, w, h, w}; }

// The values of [out, in] transposed to [in, out].
std::vector<double> transposed(const Tensor& w) {
  const std::vector<double> v = w.to_vector<double>();
  const std::int64_t rows = w.shape()[0], cols = w.shape()[1];
  std::vector<double> t(v.size());
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) t[j * rows + i] = v[i * cols + j];
  return t;
}

}  // namespace

std::string Sequential::to_onnx(OnnxGraph& g, const std::string& x) const {
  std::string y = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    OnnxScope scope(g, std::to_string(i));
    y = layers_[i]->to_onnx(g, y);
  }
  return y;
}

std::string ResidualBlock::to_onnx(OnnxGraph& g, const std::string& x) const {
  std::string b, s = x;
  {
    OnnxScope scope(g, "body");
    b = body->to_onnx(g, x);
  }
  if (shortcut) {
    OnnxScope scope(g, "shortcut");
    s = shortcut->to_onnx(g, x);
  }
  std::string y = g.node("Add", {b, s});
  if (post) {
    OnnxScope scope(g, "post");
    y = post->to_onnx(g, y);
  }
  return y;
}

std::string Linear::to_onnx(OnnxGraph& g, const std::string& x) const {
  const int r = g.rank(x);
  TG_CHECK(r >= 1, "onnx export: Linear needs an input with at least one dimension");
  if (r == 2) {
    std::vector<std::string> in{x, g.constant("weight", weight)};
    if (bias.defined()) in.push_back(g.constant("bias", bias));
    return g.node("Gemm", std::move(in), {{"transB", std::int64_t{1}}}, 2);
  }
  // Any other rank: x W^T over the last dimension (MatMul broadcasts the leading ones).
  const std::string wt = g.constant("weight_t", transposed(weight), {in_features, out_features});
  std::string y = g.node("MatMul", {x, wt}, {}, r);
  if (bias.defined()) y = g.node("Add", {y, g.constant("bias", bias)});
  return y;
}

std::string Conv2d::to_onnx(OnnxGraph& g, const std::string& x) const {
  TG_CHECK(g.rank(x) == 4, "onnx export: Conv2d needs an input [N, C, H, W], got rank {}",
           g.rank(x));
  std::vector<std::string> in{x, g.constant("weight", weight)};
  if (bias.defined()) in.push_back(g.constant("bias", bias));
  return g.node("Conv", std::move(in),
                {{"kernel_shape", pair(kernel_size[0], kernel_size[1])},
                 {"strides", pair(options.stride[0], options.stride[1])},
                 {"pads", pads(options.padding[0], options.padding[1])},
                 {"dilations", pair(options.dilation[0], options.dilation[1])},
                 {"group", options.groups}},
                4);
}

std::string MaxPool2d::to_onnx(OnnxGraph& g, const std::string& x) const {
  TG_CHECK(g.rank(x) == 4, "onnx export: MaxPool2d needs an input [N, C, H, W], got rank {}",
           g.rank(x));
  return g.node("MaxPool", {x},
                {{"kernel_shape", pair(kernel_size.h, kernel_size.w)},
                 {"strides", pair(stride.h, stride.w)},
                 {"pads", pads(padding.h, padding.w)},
                 {"dilations", pair(dilation.h, dilation.w)},
                 {"ceil_mode", std::int64_t{ceil_mode}}},
                4);
}

std::string AvgPool2d::to_onnx(OnnxGraph& g, const std::string& x) const {
  TG_CHECK(g.rank(x) == 4, "onnx export: AvgPool2d needs an input [N, C, H, W], got rank {}",
           g.rank(x));
  return g.node("AveragePool", {x},
                {{"kernel_shape", pair(kernel_size.h, kernel_size.w)},
                 {"strides", pair(stride.h, stride.w)},
                 {"pads", pads(padding.h, padding.w)},
                 {"ceil_mode", std::int64_t{ceil_mode}},
                 {"count_include_pad", std::int64_t{count_include_pad}}},
                4);
}

std::string AdaptiveAvgPool2d::to_onnx(OnnxGraph& g, const std::string& x) const {
  TG_CHECK(output_size.h == 1 && output_size.w == 1,
           "onnx export: AdaptiveAvgPool2d with output_size ({}, {}) has no ONNX operator; only "
           "output_size 1 (GlobalAveragePool) is exported",
           output_size.h, output_size.w);
  TG_CHECK(g.rank(x) == 4,
           "onnx export: AdaptiveAvgPool2d needs an input [N, C, H, W], got rank {}", g.rank(x));
  return g.node("GlobalAveragePool", {x}, {}, 4);
}

std::string BatchNorm::to_onnx(OnnxGraph& g, const std::string& x) const {
  TG_CHECK(track_running_stats && running_mean.defined(),
           "onnx export: {} without running statistics normalises with the batch's own "
           "statistics even in eval mode, which ONNX's BatchNormalization cannot express",
           type_name());
  const std::vector<double> ones(static_cast<std::size_t>(num_features), 1.0);
  const std::vector<double> zeros(static_cast<std::size_t>(num_features), 0.0);
  const std::string scale =
      affine ? g.constant("weight", weight) : g.constant("weight", ones, {num_features});
  const std::string shift =
      affine ? g.constant("bias", bias) : g.constant("bias", zeros, {num_features});
  return g.node("BatchNormalization",
                {x, scale, shift, g.constant("running_mean", running_mean),
                 g.constant("running_var", running_var)},
                {{"epsilon", eps}});
}

std::string LayerNorm::to_onnx(OnnxGraph& g, const std::string& x) const {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  const std::size_t n = static_cast<std::size_t>(numel_of(normalized_shape));
  const std::string scale =
      elementwise_affine ? g.constant("weight", weight)
                         : g.constant("weight", std::vector<double>(n, 1.0), normalized_shape);
  const std::string shift = elementwise_affine
                                ? g.constant("bias", bias)
                                : g.constant("bias", std::vector<double>(n, 0.0), normalized_shape);
  return g.node("LayerNormalization", {x, scale, shift}, {{"axis", -k}, {"epsilon", eps}});
}

std::string Identity::to_onnx(OnnxGraph&, const std::string& x) const { return x; }

// Eval mode: the identity.
std::string Dropout::to_onnx(OnnxGraph&, const std::string& x) const { return x; }

std::string Flatten::to_onnx(OnnxGraph& g, const std::string& x) const {
  const int r = g.rank(x);
  const std::int64_t s = start_dim < 0 ? start_dim + r : start_dim;
  const std::int64_t e = end_dim < 0 ? end_dim + r : end_dim;
  TG_CHECK(s >= 0 && e < r && s <= e,
           "onnx export: Flatten(start_dim={}, end_dim={}) does not fit an input of rank {}",
           start_dim, end_dim, r);
  if (s == e) return x;
  if (e == r - 1 && s == 1) return g.node("Flatten", {x}, {{"axis", std::int64_t{1}}}, 2);
  // Reshape: 0 keeps a dimension, -1 is the merged one.
  std::vector<std::int64_t> shape;
  for (std::int64_t d = 0; d < s; ++d) shape.push_back(0);
  shape.push_back(-1);
  for (std::int64_t d = e + 1; d < r; ++d) shape.push_back(0);
  const auto out_rank = static_cast<std::int64_t>(shape.size());
  return g.node("Reshape", {x, g.constant_int64("shape", shape, {out_rank})}, {},
                static_cast<int>(out_rank));
}

std::string ReLU::to_onnx(OnnxGraph& g, const std::string& x) const { return g.node("Relu", {x}); }

std::string Tanh::to_onnx(OnnxGraph& g, const std::string& x) const { return g.node("Tanh", {x}); }

std::string Sigmoid::to_onnx(OnnxGraph& g, const std::string& x) const {
  return g.node("Sigmoid", {x});
}

}  // namespace tg::nn
