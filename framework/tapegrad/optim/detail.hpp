#pragma once
// Helpers shared by the optimizer implementations (not part of the public API).
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>

#include "tapegrad/core/error.hpp"
#include "tapegrad/core/tensor.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim::detail {

// Calls f(float{}) or f(double{}) for a floating tensor (parameters are checked to be floating).
template <class F>
void dispatch_floating(const Tensor& t, F&& f) {
  if (t.dtype() == DType::Float32)
    f(float{});
  else
    f(double{});
}

// Runs f(begin, end) over [0, n). Each element's update is independent, so the result does not
// depend on how the range is split.
template <class F>
void for_range(std::int64_t n, F&& f) {
  kernels::parallel_for(0, n, std::int64_t{1} << 15, std::forward<F>(f));
}

// Calls f(std::bool_constant<b0>{}, ...) with the runtime flags turned into compile-time ones,
// so that an update loop can be written once with `if constexpr` and still have no branch inside.
template <class F>
void with_flags(F&& f) {
  f();
}
template <class F, class... B>
void with_flags(F&& f, bool b0, B... rest) {
  if (b0)
    with_flags([&](auto... c) { f(std::true_type{}, c...); }, rest...);
  else
    with_flags([&](auto... c) { f(std::false_type{}, c...); }, rest...);
}

inline void require_nonneg(const std::string& opt, const std::map<std::string, double>& o,
                           const std::string& key) {
  const double v = option(o, key);
  if (!(v >= 0)) fail("{}: invalid {} value {} (must be >= 0)", opt, key, v);
}

inline void require_bool(const std::string& opt, const std::map<std::string, double>& o,
                         const std::string& key) {
  const double v = option(o, key);
  if (v != 0 && v != 1) fail("{}: option {} is boolean and must be 0 or 1, got {}", opt, key, v);
}

inline void require_beta(const std::string& opt, const std::map<std::string, double>& o,
                         const std::string& key) {
  const double v = option(o, key);
  if (!(v >= 0 && v < 1)) fail("{}: invalid {} value {} (must be in [0, 1))", opt, key, v);
}

}  // namespace tg::optim::detail
