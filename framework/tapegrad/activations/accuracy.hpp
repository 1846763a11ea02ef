#pragma once
/// @file
/// Accuracy of the registered activations against high-precision reference values.
///
/// A reference file (tests/activations/reference.txt, written by tests/activations/
/// make_reference.py with mpmath at 50 digits) lists, per activation spec, the parameter values
/// to set and points x with f(x) and f'(x) to 21 digits. measure_accuracy() builds each spec in
/// float32 and float64, sets those parameters, computes f and f' through the module (forward and
/// backward, as training does) and reports the worst error in units in the last place of the
/// dtype (ulps), and the worst absolute error.
#include <string>
#include <vector>

#include "tapegrad/core/dtype.hpp"

namespace tg::act {

/// One point of a reference file: x with f(x) and f'(x) to 21 digits.
struct ReferencePoint {
  double x = 0;  ///< the point
  /// f(x).
  long double f = 0, df = 0;
  /// @var df
  /// f'(x).
};

/// One activation spec of a reference file.
struct ReferenceSpec {
  std::string spec;  ///< the activation spec
  /// Parameter name (as the module registers it) and the values to give it.
  std::vector<std::pair<std::string, std::vector<double>>> params;
  std::vector<ReferencePoint> points;  ///< the reference values
  /// 'absolute df' (or f): that function is computed from something whose rounding is an
  /// absolute error by design (sigmoid' and tanh' from y, as PyTorch: y (1 - y), 1 - y^2), so all
  /// its points are measured in absolute terms.
  bool absolute_f = false, absolute_df = false;
  /// @var absolute_df
  /// f' is measured in absolute terms (see absolute_f).
};

/// Parses a reference file; a malformed line is a tg::Error naming the file and line.
std::vector<ReferenceSpec> read_reference(const std::string& path);

/// The worst error of f or f' over a spec's points, for one dtype.
struct ErrorSummary {
  double max_ulp = 0;  ///< max |computed - reference| / ulp(reference)
  double x_ulp = 0;    ///< where it was reached
  /// Near a root of the reference away from x = 0 (a sign change between neighbouring points),
  /// the result is a difference of much larger terms and its error is absolute: max_ulp_away
  /// leaves those points out, max_abs is their worst |computed - reference|.
  double max_ulp_away = 0;
  double x_ulp_away = 0;  ///< where max_ulp_away was reached
  double max_abs = 0;     ///< the worst absolute error near such roots
  double x_abs = 0;       ///< where max_abs was reached
  /// Results below the dtype's smallest normal number keep fewer digits: they are left out of
  /// max_ulp_away too, and max_abs_tiny is their worst absolute error.
  double max_abs_tiny = 0;
};

/// The accuracy of one spec in one dtype.
struct AccuracyRow {
  std::string spec;              ///< the activation spec
  DType dtype = DType::Float32;  ///< float32 or float64
  std::size_t points = 0;        ///< reference points measured
  /// The error of f.
  ErrorSummary f, df;
  /// @var df
  /// The error of f'.
};

/// One row per spec and dtype (float32, float64).
std::vector<AccuracyRow> measure_accuracy(const std::vector<ReferenceSpec>& ref);

/// ulp of the dtype at |v| (the spacing of floats of that dtype around v; the smallest subnormal
/// spacing below the normal range).
double ulp_of(long double v, DType dtype);

}  // namespace tg::act
