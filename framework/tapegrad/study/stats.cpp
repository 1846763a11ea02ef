#include "tapegrad/study/stats.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "tapegrad/core/error.hpp"

namespace tg::study {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sample(std::span<const double> x, const char* what) {
  if (x.size() < 2) fail("{}: need at least 2 samples, got {}", what, x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) fail("{}: value {} at index {} is not finite", what, x[i], i);
  }
}

void check_resamples(std::int64_t resamples, const char* what) {
  if (resamples < 1) fail("{}: resamples must be >= 1, got {}", what, resamples);
}

double mean_of(std::span<const double> x) {
  double s = 0.0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

// Sample standard deviation (ddof = 1), two-pass.
double std_of(std::span<const double> x, double mean) {
  double ss = 0.0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

Interval t_interval(double mean, double se, std::size_t n) {
  const boost::math::students_t dist(static_cast<double>(n - 1));
  const double q = boost::math::quantile(dist, 0.975);
  return {mean - q * se, mean + q * se};
}

// Uniform index in [0, n): rejection sampling on one 64-bit output (see the header).
std::uint64_t draw_below(std::mt19937_64& g, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // (2^64 - n) mod n == 2^64 mod n
  for (;;) {
    const std::uint64_t u = g();
    if (u >= threshold) return u % n;
  }
}

// numpy.quantile(sorted, q) with the default linear interpolation.
double quantile_sorted(const std::vector<double>& s, double q) {
  const double h = q * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (h - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

Interval bootstrap_mean_ci(std::span<const double> x, std::uint64_t seed, std::int64_t resamples) {
  std::mt19937_64 g(seed);
  const std::uint64_t n = x.size();
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (double& m : means) {
    double s = 0.0;
    for (std::uint64_t i = 0; i < n; ++i) s += x[draw_below(g, n)];
    m = s / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  return {quantile_sorted(means, 0.025), quantile_sorted(means, 0.975)};
}

// Average ranks (1-based) of v in ascending order, ties sharing the mean of their ranks;
// adds sum (t^3 - t) over tie groups to *tie_term when given.
std::vector<double> average_ranks(std::span<const double> v, double* tie_term = nullptr) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double avg = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
    for (std::size_t m = i; m <= j; ++m) r[order[m]] = avg;
    const auto t = static_cast<double>(j - i + 1);
    if (tie_term != nullptr) *tie_term += t * t * t - t;
    i = j + 1;
  }
  return r;
}

struct WilcoxonResult {
  double w_plus = 0, w_minus = 0, w = 0, z = kNaN, p = 1;
  std::size_t n_nonzero = 0;
  bool exact = true;
};

// Number of subsets of {1..n} with each rank sum s = 0..n(n+1)/2 (exact in uint64 for n <= 50:
// the total is 2^n).
std::vector<std::uint64_t> signed_rank_counts(std::size_t n) {
  const std::size_t max_sum = n * (n + 1) / 2;
  std::vector<std::uint64_t> c(max_sum + 1, 0);
  c[0] = 1;
  for (std::size_t r = 1; r <= n; ++r) {
    for (std::size_t s = r * (r + 1) / 2; s >= r; --s) c[s] += c[s - r];
  }
  return c;
}

WilcoxonResult wilcoxon(std::span<const double> d) {
  WilcoxonResult res;
  std::vector<double> nz, abs_nz;
  for (double v : d) {
    if (v != 0.0) {
      nz.push_back(v);
      abs_nz.push_back(std::fabs(v));
    }
  }
  const std::size_t n = nz.size();
  res.n_nonzero = n;
  if (n == 0) return res;  // every difference is zero: w = 0, p = 1
  double tie_term = 0.0;
  const std::vector<double> r = average_ranks(abs_nz, &tie_term);
  for (std::size_t i = 0; i < n; ++i) (nz[i] > 0 ? res.w_plus : res.w_minus) += r[i];
  res.w = std::min(res.w_plus, res.w_minus);
  const auto nd = static_cast<double>(n);
  res.exact = n == d.size() && tie_term == 0.0 && n <= 50;
  if (res.exact) {
    const std::vector<std::uint64_t> c = signed_rank_counts(n);
    const auto wp = static_cast<std::size_t>(res.w_plus);  // an integer: no ties
    std::uint64_t le = 0, ge = 0;
    for (std::size_t s = 0; s < c.size(); ++s) (s <= wp ? le : ge) += c[s];
    ge += c[wp];  // P(W+ >= w_plus) includes w_plus itself
    const double tail = std::ldexp(static_cast<double>(std::min(le, ge)), -static_cast<int>(n));
    res.p = std::min(1.0, 2.0 * tail);
    return res;
  }
  const double mn = nd * (nd + 1.0) / 4.0;
  const double var = (nd * (nd + 1.0) * (2.0 * nd + 1.0) - 0.5 * tie_term) / 24.0;
  res.z = (res.w - mn) / std::sqrt(var);
  const boost::math::normal normal;
  res.p = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(normal, std::fabs(res.z))));
  return res;
}

}  // namespace

Summary summarize(std::span<const double> x, std::uint64_t seed, std::int64_t resamples) {
  check_sample(x, "summarize");
  check_resamples(resamples, "summarize");
  Summary s;
  s.n = x.size();
  s.mean = mean_of(x);
  s.std = std_of(x, s.mean);
  s.se = s.std / std::sqrt(static_cast<double>(s.n));
  s.t_ci = t_interval(s.mean, s.se, s.n);
  s.boot_ci = bootstrap_mean_ci(x, seed, resamples);
  return s;
}

Paired compare_paired(std::span<const double> arm, std::span<const double> baseline,
                      std::uint64_t seed, std::int64_t resamples, double alpha) {
  if (arm.size() != baseline.size()) {
    fail(
        "compare_paired: arm has {} values but baseline has {}; expected one value per seed in "
        "both",
        arm.size(), baseline.size());
  }
  check_sample(arm, "compare_paired (arm)");
  check_sample(baseline, "compare_paired (baseline)");
  check_resamples(resamples, "compare_paired");
  if (!(alpha > 0.0 && alpha < 1.0)) fail("compare_paired: alpha must be in (0, 1), got {}", alpha);

  Paired p;
  p.n = arm.size();
  std::vector<double> d(p.n);
  for (std::size_t i = 0; i < p.n; ++i) d[i] = arm[i] - baseline[i];
  const auto nd = static_cast<double>(p.n);
  p.mean_diff = mean_of(d);
  p.std_diff = std_of(d, p.mean_diff);
  const double se = p.std_diff / std::sqrt(nd);
  p.t_ci = t_interval(p.mean_diff, se, p.n);
  p.boot_ci = bootstrap_mean_ci(d, seed, resamples);

  p.df = nd - 1.0;
  if (p.std_diff == 0.0) {
    const bool zero = p.mean_diff == 0.0;
    p.t = zero ? 0.0 : std::copysign(kInf, p.mean_diff);
    p.p_t = zero ? 1.0 : 0.0;
    p.cohen_dz = p.t;
  } else {
    p.t = p.mean_diff / se;
    const boost::math::students_t dist(p.df);
    p.p_t = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, std::fabs(p.t))));
    p.cohen_dz = p.mean_diff / p.std_diff;
  }

  const WilcoxonResult w = wilcoxon(d);
  p.w_plus = w.w_plus;
  p.w_minus = w.w_minus;
  p.w = w.w;
  p.n_nonzero = w.n_nonzero;
  p.wilcoxon_exact = w.exact;
  p.z = w.z;
  p.p_wilcoxon = w.p;

  double improved = 0.0;
  for (double v : d) improved += v > 0.0 ? 1.0 : (v == 0.0 ? 0.5 : 0.0);
  p.prob_improvement = improved / nd;
  p.min_p_possible = std::ldexp(1.0, 1 - static_cast<int>(std::min<std::size_t>(p.n, 1100)));
  p.can_reach_significance = p.min_p_possible < alpha;
  return p;
}

Friedman friedman(const std::vector<std::vector<double>>& scores, bool higher_is_better,
                  bool tie_correction) {
  const std::size_t k = scores.size();
  if (k < 2) fail("friedman: need at least 2 arms (scores[arm][seed]), got {}", k);
  const std::size_t n = scores[0].size();
  for (std::size_t a = 0; a < k; ++a) {
    if (scores[a].size() != n) {
      fail("friedman: arm {} has {} scores but arm 0 has {}; expected the same seeds for every arm",
           a, scores[a].size(), n);
    }
    for (std::size_t s = 0; s < n; ++s) {
      if (!std::isfinite(scores[a][s])) {
        fail("friedman: score {} of arm {} at seed {} is not finite", scores[a][s], a, s);
      }
    }
  }
  if (n < 2) fail("friedman: need at least 2 seeds per arm, got {}", n);

  Friedman f;
  f.k = k;
  f.n = n;
  f.avg_ranks.assign(k, 0.0);
  double tie_term = 0.0;
  std::vector<double> row(k);
  for (std::size_t s = 0; s < n; ++s) {
    // Ascending ranks of the negated scores give rank 1 to the highest score.
    for (std::size_t a = 0; a < k; ++a) row[a] = higher_is_better ? -scores[a][s] : scores[a][s];
    const std::vector<double> r = average_ranks(row, &tie_term);
    for (std::size_t a = 0; a < k; ++a) f.avg_ranks[a] += r[a];
  }
  const auto kd = static_cast<double>(k), nd = static_cast<double>(n);
  double ssq = 0.0;  // sum of squared rank sums
  for (double rs : f.avg_ranks) ssq += rs * rs;
  for (double& r : f.avg_ranks) r /= nd;

  const double c = tie_correction ? 1.0 - tie_term / (nd * kd * (kd * kd - 1.0)) : 1.0;
  f.df1 = kd - 1.0;
  f.df2 = (kd - 1.0) * (nd - 1.0);
  if (c <= 0.0) {  // every seed ties every arm: no evidence of any difference
    f.chi2 = 0.0;
  } else {
    f.chi2 = std::max(0.0, (12.0 / (nd * kd * (kd + 1.0)) * ssq - 3.0 * nd * (kd + 1.0)) / c);
  }
  f.p_chi2 = boost::math::cdf(boost::math::complement(boost::math::chi_squared(f.df1), f.chi2));
  const double denom = nd * (kd - 1.0) - f.chi2;
  if (denom <= 0.0) {
    f.f = kInf;
    f.p_f = 0.0;
  } else {
    f.f = (nd - 1.0) * f.chi2 / denom;
    f.p_f = boost::math::cdf(boost::math::complement(boost::math::fisher_f(f.df1, f.df2), f.f));
  }
  return f;
}

double nemenyi_q05(std::size_t k) {
  // Demšar, J. (2006) Statistical Comparisons of Classifiers over Multiple Data Sets, JMLR 7,
  // Table 5 (a), alpha = 0.05, k = 2..10.
  static constexpr std::array<double, 9> kQ05 = {1.960, 2.343, 2.569, 2.728, 2.850,
                                                 2.949, 3.031, 3.102, 3.164};
  if (k < 2 || k > 10) {
    fail(
        "nemenyi_q05: no q_0.05 for k = {} arms; the table (Demšar 2006, Table 5) covers "
        "k = 2..10",
        k);
  }
  return kQ05[k - 2];
}

double nemenyi_cd(std::size_t k, std::size_t n) {
  if (n < 2) fail("nemenyi_cd: need at least 2 seeds, got {}", n);
  const auto kd = static_cast<double>(k);
  return nemenyi_q05(k) * std::sqrt(kd * (kd + 1.0) / (6.0 * static_cast<double>(n)));
}

std::vector<RankDifference> nemenyi_different_pairs(const Friedman& f) {
  if (f.avg_ranks.size() != f.k) {
    fail(
        "nemenyi_different_pairs: {} average ranks for k = {} arms; expected a result of "
        "friedman()",
        f.avg_ranks.size(), f.k);
  }
  const double cd = nemenyi_cd(f.k, f.n);
  std::vector<RankDifference> out;
  for (std::size_t a = 0; a < f.k; ++a) {
    for (std::size_t b = a + 1; b < f.k; ++b) {
      const double diff = f.avg_ranks[a] - f.avg_ranks[b];
      if (std::fabs(diff) > cd) out.push_back({a, b, diff});
    }
  }
  return out;
}

std::vector<double> holm(std::span<const double> p) {
  const std::size_t m = p.size();
  for (std::size_t i = 0; i < m; ++i) {
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
      fail("holm: p-value {} at index {} is not in [0, 1]", p[i], i);
    }
  }
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    adj[order[i]] = running;
  }
  return adj;
}

}  // namespace tg::study
