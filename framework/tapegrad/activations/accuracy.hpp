#pragma once
// Accuracy of the registered activations against high-precision reference values.
//
// A reference file (tests/activations/reference.txt, written by tests/activations/
// make_reference.py with mpmath at 50 digits) lists, per activation spec, the parameter values
// to set and points x with f(x) and f'(x) to 21 digits. measure_accuracy() builds each spec in
// float32 and float64, sets those parameters, computes f and f' through the module (forward and
// backward, as training does) and reports the worst error in units in the last place of the
// dtype (ulps), and the worst absolute error.
#include <string>
#include <vector>

#include "tapegrad/core/dtype.hpp"

namespace tg::act {

struct ReferencePoint {
  double x = 0;
  long double f = 0, df = 0;
};

struct ReferenceSpec {
  std::string spec;
  // Parameter name (as the module registers it) and the values to give it.
  std::vector<std::pair<std::string, std::vector<double>>> params;
  std::vector<ReferencePoint> points;
  // 'absolute df' (or f): that function is computed from something whose rounding is an
  // absolute error by design (sigmoid' and tanh' from y, as PyTorch: y (1 - y), 1 - y^2), so all
  // its points are measured in absolute terms.
  bool absolute_f = false, absolute_df = false;
};

// Parses a reference file; a malformed line is a tg::Error naming the file and line.
std::vector<ReferenceSpec> read_reference(const std::string& path);

// The worst error of f or f' over a spec's points, for one dtype.
struct ErrorSummary {
  double max_ulp = 0;  // max |computed - reference| / ulp(reference)
  double x_ulp = 0;    // where it was reached
  // Near a root of the reference away from x = 0 (a sign change between neighbouring points),
  // the result is a difference of much larger terms and its error is absolute: max_ulp_away
  // leaves those points out, max_abs is their worst |computed - reference|.
  double max_ulp_away = 0;
  double x_ulp_away = 0;
  double max_abs = 0;
  double x_abs = 0;
  // Results below the dtype's smallest normal number keep fewer digits: they are left out of
  // max_ulp_away too, and max_abs_tiny is their worst absolute error.
  double max_abs_tiny = 0;
};

struct AccuracyRow {
  std::string spec;
  DType dtype = DType::Float32;
  std::size_t points = 0;
  ErrorSummary f, df;
};

// One row per spec and dtype (float32, float64).
std::vector<AccuracyRow> measure_accuracy(const std::vector<ReferenceSpec>& ref);

// ulp of the dtype at |v| (the spacing of floats of that dtype around v; the smallest subnormal
// spacing below the normal range).
double ulp_of(long double v, DType dtype);

}  // namespace tg::act
