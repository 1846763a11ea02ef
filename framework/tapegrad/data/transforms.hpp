#pragma once
/// @file
/// Per-example image transforms, as torchvision.transforms. Each one takes ONE image float
/// [C, H, W] (float32 or float64, any strides) and returns a tensor of the same dtype without
/// history. The input is never modified (it may be a view of a dataset's cache); the output is new
/// data, except that random_horizontal_flip, when it does not flip, returns the input's data as is.
/// Random transforms draw only from the generator they are given (the DataLoader derives it from
/// seed, epoch and example), so the same generator state always gives the same output.
#include <initializer_list>
#include <vector>

#include "tapegrad/data/dataset.hpp"

namespace tg::data {

/// (x - mean[c]) / std[c] per channel. A vector of size 1 applies to every channel; otherwise
/// its size must equal C. Every std must be > 0.
Transform normalize(std::vector<double> mean, std::vector<double> std_dev);

/// torchvision RandomCrop(size=(size_h, size_w), padding=padding): zero-pad `padding` pixels on
/// every side, then cut a size_h x size_w window at a uniformly random position (top drawn
/// first, then left; one draw each). The padded image must be at least as large as the window.
Transform random_crop(int size_h, int size_w, int padding = 0);

/// Mirrors the columns with probability p (torchvision RandomHorizontalFlip). Always draws one
/// uniform number, whatever p, so the generator advances the same way.
Transform random_horizontal_flip(double p = 0.5);

/// Applies the transforms in order, all with the same generator.
Transform compose(std::vector<Transform> transforms);

}  // namespace tg::data
