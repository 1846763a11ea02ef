#include "tapegrad/autograd/anomaly.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/core/shape.hpp"

namespace tg {

namespace autograd {

namespace {

// Non-finite means all exponent bits set; the first loop only counts them (and vectorises), the
// second tells NaN from Inf when there are any.
template <class T, class U>
NonFinite count_bits(const T* p, std::int64_t n, U exp_mask, U mant_mask) {
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    U u;
    std::memcpy(&u, p + i, sizeof u);
    bad += (u & exp_mask) == exp_mask;
  }
  NonFinite r;
  if (bad == 0) return r;
  for (std::int64_t i = 0; i < n; ++i) {
    U u;
    std::memcpy(&u, p + i, sizeof u);
    if ((u & exp_mask) != exp_mask) continue;
    if (u & mant_mask)
      ++r.nan;
    else
      ++r.inf;
  }
  return r;
}

std::string describe(const Tensor& t) {
  return fmt::format("{} {}", dtype_name(t.dtype()), shape_str(t.shape()));
}

std::string describe_bad(const NonFinite& nf, std::int64_t n) {
  if (nf.total() == 0) return "finite";
  std::string s;
  if (nf.nan) s += fmt::format("{} NaN", nf.nan);
  if (nf.inf) s += fmt::format("{}{} Inf", s.empty() ? "" : " and ", nf.inf);
  return s + fmt::format(" of {} values", n);
}

std::string where(const TapeEntry& e, std::size_t index) {
  std::string s = fmt::format("  tape index {} (entry seq {}), recorded at {}\n", index, e.seq,
                              location_str(e.loc));
  if (e.module) s += fmt::format("  in module {}\n", e.module->label());
  return s;
}

class AnomalyObserver final : public Observer {
 public:
  void recorded(const TapeEntry& e, std::size_t index, const Tensor& out) override {
    const NonFinite nf = count_non_finite(out);
    if (nf.total() == 0) return;
    std::string ins;
    bool from_outside = false;
    for (std::size_t j = 0; j < e.inputs.size(); ++j) {
      const Tensor in = e.inputs[j].tensor();  // the op's caller still holds every input
      if (!in.defined()) continue;
      const NonFinite nfi = count_non_finite(in);
      if (nfi.total()) from_outside = true;
      ins += fmt::format("  input {}: {} ({})\n", j, describe(in), describe_bad(nfi, in.numel()));
    }
    fail(
        "anomaly mode: forward of '{}' produced {}\n{}{}  output: {}\n{}", e.name,
        describe_bad(nf, out.numel()), where(e, index), ins, describe(out),
        from_outside
            ? "  an input already holds non-finite values: they come from outside the checked tape "
              "(the data, a parameter, an op run without grad or before anomaly mode was on)"
            : "  its inputs are finite: this op made them");
  }

  void backward_begin(const TapeEntry& e, std::size_t index, const Tensor& grad_out) override {
    const NonFinite nf = count_non_finite(grad_out);
    if (nf.total() == 0) return;
    fail(
        "anomaly mode: the gradient arriving at the backward of '{}' already holds {}; every "
        "backward step before it was checked, so it comes from the seed (grad_outputs) or a "
        "gradient hook\n{}  gradient: {}",
        e.name, describe_bad(nf, grad_out.numel()), where(e, index), describe(grad_out));
  }

  void backward_end(const TapeEntry& e, std::size_t index, const Tensor& grad_out,
                    const std::vector<Tensor>& grads) override {
    for (std::size_t j = 0; j < grads.size(); ++j) {
      if (!grads[j].defined()) continue;
      const NonFinite nf = count_non_finite(grads[j]);
      if (nf.total() == 0) continue;
      std::string ins;
      for (std::size_t k = 0; k < e.inputs.size(); ++k) {
        const Edge& in = e.inputs[k];
        if (!in.defined()) continue;
        ins += fmt::format("  input {}: {} {}\n", k, dtype_name(in.dtype()), shape_str(in.shape()));
      }
      fail(
          "anomaly mode: backward of '{}' produced {} in the gradient for its input {}\n{}{}  "
          "output: {} {}\n  incoming gradient: {} (finite)",
          e.name, describe_bad(nf, grads[j].numel()), j, where(e, index), ins,
          dtype_name(e.output_dtype), shape_str(e.output_shape), describe(grad_out));
    }
  }
};

thread_local int t_anomaly = 0;

}  // namespace

NonFinite count_non_finite(const Tensor& t_in) {
  if (!t_in.defined() || t_in.numel() == 0) return {};
  if (t_in.dtype() != DType::Float32 && t_in.dtype() != DType::Float64) return {};
  Tensor t = t_in;
  if (!t.is_contiguous()) {
    NoGradGuard ng;
    t = t.contiguous();
  }
  if (t.dtype() == DType::Float32)
    return count_bits(t.data_ptr<float>(), t.numel(), std::uint32_t{0x7f800000u},
                      std::uint32_t{0x007fffffu});
  return count_bits(t.data_ptr<double>(), t.numel(), std::uint64_t{0x7ff0000000000000ull},
                    std::uint64_t{0x000fffffffffffffull});
}

}  // namespace autograd

DetectAnomalyGuard::DetectAnomalyGuard()
    : observer_(std::make_unique<autograd::AnomalyObserver>()) {
  autograd::add_observer(observer_.get());
  ++autograd::t_anomaly;
}

DetectAnomalyGuard::~DetectAnomalyGuard() {
  autograd::remove_observer(observer_.get());
  --autograd::t_anomaly;
}

bool is_anomaly_enabled() { return autograd::t_anomaly > 0; }

}  // namespace tg
