#pragma once
// 2-D pooling on raw row-major pointers. The input is `planes` images of H x W (planes = N * C),
// the output `planes` images of OH x OW. No Tensor, no tape.
#include <cstdint>

namespace tg::kernels {

struct Pool2dGeometry {
  std::int64_t planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  std::int64_t kH = 1, kW = 1, sH = 1, sW = 1, pH = 0, pW = 0, dH = 1, dW = 1;
};

// y = max over each (dilated) window, padding ignored; idx = the position h * W + w of the
// maximum within its plane. The first maximum wins on ties and NaN propagates, as PyTorch.
template <class T>
void max_pool2d_forward(const T* x, const Pool2dGeometry& g, T* y, std::int64_t* idx);

// gx[p, idx[p, o]] += gy[p, o] over all outputs o of every plane p (gx [planes, H, W] is
// overwritten first; idx < 0, a window made only of padding, is skipped; gather gives 0 there).
// The adjoint of pool_gather. One pass per plane when every index lies in its own disjoint 2x2
// window.
template <class T>
void pool_scatter(const T* gy, const std::int64_t* idx, std::int64_t planes, std::int64_t H,
                  std::int64_t W, std::int64_t OH, std::int64_t OW, T* gx);
// y[p, o] = x[p, idx[p, o]].
template <class T>
void pool_gather(const T* x, const std::int64_t* idx, std::int64_t planes, std::int64_t in_size,
                 std::int64_t out_size, T* y);

// Average over each window as PyTorch: the window is clipped to the padded input [-p, H + p);
// count_include_pad divides by that clipped size, otherwise by the number of real input elements
// in it.
template <class T>
void avg_pool2d_forward(const T* x, const Pool2dGeometry& g, bool count_include_pad, T* y);
// gx = the adjoint of avg_pool2d_forward applied to gy (gx is overwritten).
template <class T>
void avg_pool2d_backward(const T* gy, const Pool2dGeometry& g, bool count_include_pad, T* gx);

// Output cell i averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)), same for columns.
template <class T>
void adaptive_avg_pool2d_forward(const T* x, const Pool2dGeometry& g, T* y);
template <class T>
void adaptive_avg_pool2d_backward(const T* gy, const Pool2dGeometry& g, T* gx);

}  // namespace tg::kernels
