#pragma once
/// @file
/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_. Parameters without
/// a gradient are ignored.
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg::optim {

/// Returns the total norm of all gradients taken together (as if concatenated into one vector);
/// norm_type may be any p > 0 or infinity (max |g|). When it exceeds max_norm, every gradient is
/// scaled in place by max_norm / (total + 1e-6). Returns 0 when no parameter has a gradient.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2);

/// Clamps every gradient element to [-clip, clip] in place.
void clip_grad_value_(const std::vector<Tensor>& params, double clip);

}  // namespace tg::optim
