#pragma once
/// @file
/// Statistics for the activation study: runs of several arms (activation functions) over paired
/// seeds (seed s gives every arm the same data order and initial weights), so samples of two arms
/// are paired by seed.
///
/// Conventions used throughout:
///  - std is the sample standard deviation with ddof = 1: sqrt(sum (x_i - mean)^2 / (n - 1)).
///  - Every confidence interval is two-sided at level 0.95.
///  - The t interval is mean -/+ t_{0.975, n-1} * se with se = std / sqrt(n) and t_{0.975, n-1} the
///    Student t quantile (as scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=se)).
///  - The bootstrap interval is the percentile bootstrap of the mean: `resamples` resamples of
///    size n drawn with replacement, index by index, from a std::mt19937_64 seeded with `seed`;
///    index i is drawn as u % n from one 64-bit output u, rejecting u < (2^64 - n) % n so every
///    index is equally likely (not std::uniform_int_distribution, whose output differs between
///    standard libraries); each resample mean is the left-to-right sum divided by n. The interval
///    is the 2.5% and 97.5% quantiles of the sorted resample means with linear interpolation
///    (numpy.quantile's default "linear" method: position q * (B - 1)). The result depends only
///    on the data, the seed and the resample count.
///  - Bad input (fewer than 2 samples, mismatched lengths, NaN or infinite values, k < 2) raises
///    tg::Error.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tg::study {

/// A closed interval [lo, hi].
struct Interval {
  double lo = 0.0;  ///< lower bound
  double hi = 0.0;  ///< upper bound
};

/// Descriptive statistics of one sample.
struct Summary {
  std::size_t n = 0;  ///< sample size
  double mean = 0.0;  ///< sample mean
  double std = 0.0;   ///< ddof = 1
  double se = 0.0;    ///< std / sqrt(n)
  Interval t_ci;      ///< 95% Student t interval of the mean
  Interval boot_ci;   ///< 95% percentile bootstrap interval of the mean
};

/// n >= 2 finite values; resamples >= 1. Conventions (ddof, intervals, the bootstrap): see
/// stats.hpp.
Summary summarize(std::span<const double> x, std::uint64_t seed = 0,
                  std::int64_t resamples = 10'000);

/// Comparison of one arm against a baseline over paired seeds, on d_i = arm_i - baseline_i.
struct Paired {
  std::size_t n = 0;       ///< number of pairs (seeds)
  double mean_diff = 0.0;  ///< mean(d)
  double std_diff = 0.0;   ///< std(d), ddof = 1
  Interval t_ci;           ///< 95% Student t interval of mean(d)
  Interval boot_ci;        ///< 95% percentile bootstrap interval of mean(d) (resampling seeds)

  /// @name Paired t-test
  /// Paired t-test (as scipy.stats.ttest_rel(arm, baseline)): t = mean(d) / (std(d) / sqrt(n)),
  /// df = n - 1, two-sided p = 2 * P(T_df > |t|). If every d_i is equal: d_i all zero gives
  /// t = 0 and p = 1 (scipy gives NaN); a nonzero constant gives t = +-inf and p = 0.
  /// @{
  double t = 0.0;    ///< the t statistic
  double df = 0.0;   ///< degrees of freedom, n - 1
  double p_t = 1.0;  ///< two-sided p-value
  /// @}

  /// @name Wilcoxon signed-rank test
  /// Wilcoxon signed-rank test, zero differences dropped first (scipy's default
  /// zero_method='wilcox'); ranks of |d| are average ranks over exact ties.
  ///  - w_plus / w_minus: sum of the ranks of the positive / negative differences.
  ///  - w = min(w_plus, w_minus): the statistic scipy.stats.wilcoxon(arm, baseline) reports for the
  ///    two-sided test (scipy 1.10).
  ///  - Exact (wilcoxon_exact = true) when there are no zeros, no ties among |d| and n <= 50: p is
  ///    min(1, 2 * min(P(W+ <= w_plus), P(W+ >= w_plus))) under the exact null distribution of
  ///    W+ (counts of rank subsets by dynamic programming), as scipy's method='exact'; z is NaN.
  ///  - Otherwise the normal approximation with tie correction and no continuity correction on
  ///    the nonzero differences: z = (w - m) / s with m = n'(n'+1)/4,
  ///    s^2 = (n'(n'+1)(2n'+1) - sum_ties (t^3 - t) / 2) / 24, p = 2 * P(Z > |z|), as
  ///    scipy.stats.wilcoxon(arm, baseline, method='approx'). With zeros this is also what scipy's
  ///    default does; with ties but no zeros scipy's default stays "exact" on truncated ranks,
  ///    which is wrong, so here we differ on purpose.
  ///  - If every d_i is zero: w_plus = w_minus = w = 0, p = 1 (scipy raises).
  /// @{
  double w_plus = 0.0;         ///< sum of the ranks of the positive differences
  double w_minus = 0.0;        ///< sum of the ranks of the negative differences
  double w = 0.0;              ///< min(w_plus, w_minus)
  std::size_t n_nonzero = 0;   ///< pairs left after dropping zero differences
  bool wilcoxon_exact = true;  ///< p from the exact null distribution (else the normal one)
  double z = 0.0;              ///< the normal approximation's z; NaN when exact
  double p_wilcoxon = 1.0;     ///< two-sided p-value
  /// @}

  /// Cohen's d for paired data, d_z = mean(d) / std(d) (ddof = 1); 0 if every d_i is zero,
  /// +-inf if d is a nonzero constant.
  double cohen_dz = 0.0;
  /// Fraction of seeds with d_i > 0, seeds with d_i == 0 counted one half.
  double prob_improvement = 0.0;
  /// Smallest two-sided p the exact Wilcoxon test can give with n pairs (all differences of one
  /// sign, no zeros): 2 * 2^-n = 2^(1-n). Zeros lower the usable n and raise this bound.
  double min_p_possible = 1.0;
  bool can_reach_significance = false;  ///< min_p_possible < alpha
};

/// arm and baseline: the same n >= 2 seeds, in the same order; alpha only sets
/// can_reach_significance. The bootstrap resamples seeds (the d_i) as in summarize().
Paired compare_paired(std::span<const double> arm, std::span<const double> baseline,
                      std::uint64_t seed = 0, std::int64_t resamples = 10'000, double alpha = 0.05);

/// Friedman test over k arms and N seeds (the seeds are the blocks).
struct Friedman {
  std::size_t k = 0;  ///< arms
  std::size_t n = 0;  ///< seeds
  /// Average rank of each arm over seeds; within a seed rank 1 is the best arm (highest score if
  /// higher_is_better) and tied arms share the average of their ranks (Demšar 2006 convention).
  std::vector<double> avg_ranks;
  /// chi^2_F = (12 / (N k (k+1)) * sum_j R_j^2 - 3 N (k+1)) / C with R_j the rank sum of arm j and
  /// C = 1 - sum_ties (t^3 - t) / (N k (k^2 - 1)) when tie_correction (as
  /// scipy.stats.friedmanchisquare), C = 1 otherwise (Demšar 2006, eq. in section 3.2.2).
  /// If every seed ties all arms, chi2 = 0 and p_chi2 = 1.
  double chi2 = 0.0;
  double p_chi2 = 1.0;  ///< P(chi^2_{k-1} > chi2)
  /// Iman-Davenport: F_F = (N-1) chi2 / (N (k-1) - chi2) on k-1 and (k-1)(N-1) degrees of freedom
  /// (uses the chi2 above); F_F = inf and p_f = 0 when chi2 = N (k-1) (every seed ranks alike).
  double f = 0.0;
  double df1 = 0.0;  ///< k - 1
  double df2 = 0.0;  ///< (k - 1)(N - 1)
  double p_f = 1.0;  ///< P(F_{df1, df2} > f)
};

/// scores[arm][seed]: k >= 2 arms, each with the same N >= 2 finite scores.
Friedman friedman(const std::vector<std::vector<double>>& scores, bool higher_is_better = true,
                  bool tie_correction = true);

/// q_0.05 of the two-tailed Nemenyi test for k arms, the studentized range quantile divided by
/// sqrt(2), from Demšar, J. (2006) Statistical Comparisons of Classifiers over Multiple Data Sets,
/// JMLR 7, Table 5: 1.960 2.343 2.569 2.728 2.850 2.949 3.031 3.102 3.164 for k = 2..10.
/// tg::Error for k outside 2..10.
double nemenyi_q05(std::size_t k);

/// Nemenyi critical difference at alpha = 0.05: CD = q_0.05(k) * sqrt(k (k+1) / (6 N)).
/// tg::Error for k outside 2..10 or N < 2.
double nemenyi_cd(std::size_t k, std::size_t n);

/// A pair of arms whose average ranks differ by more than the critical difference.
struct RankDifference {
  std::size_t a = 0;  ///< arm indices, a < b
  std::size_t b = 0;  ///< the other arm index
  double diff = 0.0;  ///< avg_ranks[a] - avg_ranks[b] (negative: a ranks better)
};

/// Every pair a < b with |avg_ranks[a] - avg_ranks[b]| > nemenyi_cd(k, N), in order of (a, b).
std::vector<RankDifference> nemenyi_different_pairs(const Friedman& f);

/// Holm-Bonferroni adjusted p-values in the input order: with p sorted ascending
/// p_(1) <= ... <= p_(m), adj_(i) = min(1, max_{j <= i} (m - j + 1) p_(j)). Equal p keep their
/// input order. Empty input gives an empty result; every p must be in [0, 1].
std::vector<double> holm(std::span<const double> p);

}  // namespace tg::study
