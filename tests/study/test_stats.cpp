// tapegrad/study/stats: every statistic against reference values from scipy 1.10.1
// (/usr/bin/python3, Debian python3-scipy 1.10.1-2), printed with repr() and copied here, plus the
// published Friedman/Nemenyi example of Demšar (2006).
//
// Tolerances: 1e-9 relative (Catch's Approx(x).epsilon(1e-9)) everywhere. For means, standard
// deviations, ranks, rank sums, chi^2_F, the exact Wilcoxon p (a count over 2^n) and Holm the
// algorithm is exact and only rounding differs; for p-values and quantiles the distribution code
// differs (Boost.Math here, Cephes in scipy) and both are far more accurate than 1e-9.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "tapegrad/core/error.hpp"
#include "tapegrad/study/stats.hpp"

using namespace tg::study;

namespace {

Approx rel(double x) { return Approx(x).epsilon(1e-9); }

// Data set A, accuracies of one arm over 8 seeds.
const std::vector<double> kA = {0.9123, 0.8971, 0.9215, 0.9050, 0.9302, 0.8884, 0.9157, 0.9021};

// Data set B: 10 paired seeds, d = arm - baseline has no zeros and no ties in |d|.
const std::vector<double> kArmB = {0.9120, 0.9051, 0.9233, 0.8990, 0.9187,
                                   0.9302, 0.9075, 0.9148, 0.9011, 0.9266};
const std::vector<double> kBaseB = {0.9071, 0.9062, 0.9141, 0.8955, 0.9110,
                                    0.9180, 0.9081, 0.9034, 0.9027, 0.9117};

// Demšar (2006), Table 6: AUC of C4.5, C4.5+m, C4.5+cf, C4.5+m+cf on 14 data sets, as [arm][set]
// (the printed table, checked against several public copies of it).
std::vector<std::vector<double>> demsar_table6() {
  return {{0.763, 0.599, 0.954, 0.628, 0.882, 0.936, 0.661, 0.583, 0.775, 1.000, 0.940, 0.619,
           0.972, 0.957},
          {0.768, 0.591, 0.971, 0.661, 0.888, 0.931, 0.668, 0.583, 0.838, 1.000, 0.962, 0.666,
           0.981, 0.978},
          {0.771, 0.590, 0.968, 0.654, 0.886, 0.916, 0.609, 0.563, 0.866, 1.000, 0.965, 0.614,
           0.975, 0.946},
          {0.798, 0.569, 0.967, 0.657, 0.898, 0.931, 0.685, 0.625, 0.875, 1.000, 0.962, 0.669,
           0.975, 0.970}};
}

}  // namespace

TEST_CASE("stats: summarize: mean, std (ddof 1) and the t interval match scipy", "[study]") {
  const Summary s = summarize(kA);
  CHECK(s.n == 8);
  // a = np.array(kA); a.mean(), a.std(ddof=1), scipy.stats.sem(a)
  CHECK(s.mean == rel(0.9090375));
  CHECK(s.std == rel(0.013580651941009948));
  CHECK(s.se == rel(0.004801485540211191));
  // scipy.stats.t.interval(0.95, 7, loc=a.mean(), scale=scipy.stats.sem(a))
  CHECK(s.t_ci.lo == rel(0.8976837908507413));
  CHECK(s.t_ci.hi == rel(0.9203912091492588));
}

// The bootstrap reference is an independent Python reimplementation of the documented algorithm
// (not scipy.stats.bootstrap, whose numpy generator cannot be matched). Its mt19937_64 is checked
// against the standard's requirement that the 10000th output for the default seed 5489 is
// 9981545732273789042. In Python:
//   M = 2**64 - 1
//   class MT64:  # std::mt19937_64
//     def __init__(s, seed):
//       s.mt = [seed & M]
//       for i in range(1, 312):
//         x = s.mt[-1]; s.mt.append((6364136223846793005 * (x ^ (x >> 62)) + i) & M)
//       s.i = 312
//     def __call__(s):
//       if s.i >= 312:
//         for i in range(312):
//           x = (s.mt[i] & 0xFFFFFFFF80000000) | (s.mt[(i + 1) % 312] & 0x7FFFFFFF)
//           s.mt[i] = s.mt[(i + 156) % 312] ^ (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
//         s.i = 0
//       y = s.mt[s.i]; s.i += 1
//       y ^= (y >> 29) & 0x5555555555555555; y ^= (y << 17) & 0x71D67FFFEDA60000 & M
//       y ^= (y << 37) & 0xFFF7EEE000000000 & M; return y ^ (y >> 43)
//   def boot(x, seed, B):
//     g = MT64(seed); n = len(x); thr = (2**64 - n) % n; means = []
//     for _ in range(B):
//       s = 0.0
//       for _ in range(n):
//         u = g()
//         while u < thr: u = g()
//         s += x[u % n]
//       means.append(s / n)
//     return np.quantile(np.array(means), [0.025, 0.975])
TEST_CASE(
    "stats: summarize: the bootstrap interval is deterministic and matches the "
    "reference implementation",
    "[study]") {
  const Summary s = summarize(kA, 42, 2000);
  // boot(kA, 42, 2000)
  CHECK(s.boot_ci.lo == rel(0.9000375));
  CHECK(s.boot_ci.hi == rel(0.9174143750000001));
  const Summary again = summarize(kA, 42, 2000);
  CHECK(again.boot_ci.lo == s.boot_ci.lo);
  CHECK(again.boot_ci.hi == s.boot_ci.hi);
  const Summary other = summarize(kA, 43, 2000);
  CHECK((other.boot_ci.lo != s.boot_ci.lo || other.boot_ci.hi != s.boot_ci.hi));
  // Default resample count (10,000): the interval brackets the mean, inside the sample range.
  const Summary def = summarize(kA);
  CHECK(def.boot_ci.lo < def.mean);
  CHECK(def.boot_ci.hi > def.mean);
  CHECK(def.boot_ci.lo > 0.8884);
  CHECK(def.boot_ci.hi < 0.9302);
  // A constant sample has a degenerate interval.
  const std::vector<double> c = {2.5, 2.5, 2.5};
  const Summary sc = summarize(c, 1, 100);
  CHECK(sc.std == 0.0);
  CHECK(sc.boot_ci.lo == 2.5);
  CHECK(sc.boot_ci.hi == 2.5);
  CHECK(sc.t_ci.lo == 2.5);
}

TEST_CASE("stats: compare_paired: t-test, exact Wilcoxon, d_z and intervals match scipy",
          "[study]") {
  const Paired p = compare_paired(kArmB, kBaseB, 7, 2000);
  CHECK(p.n == 10);
  // d = np.array(kArmB) - np.array(kBaseB); d.mean(), d.std(ddof=1), d.mean() / d.std(ddof=1)
  CHECK(p.mean_diff == rel(0.00605));
  CHECK(p.std_diff == rel(0.005954503431110857));
  CHECK(p.cohen_dz == rel(1.0160377049058693));
  // scipy.stats.ttest_rel(kArmB, kBaseB)
  CHECK(p.t == rel(3.212993336112583));
  CHECK(p.df == 9.0);
  CHECK(p.p_t == rel(0.010607881137668768));
  // scipy.stats.t.interval(0.95, 9, loc=d.mean(), scale=scipy.stats.sem(d))
  CHECK(p.t_ci.lo == rel(0.0017904048490365622));
  CHECK(p.t_ci.hi == rel(0.010309595150963437));
  // scipy.stats.wilcoxon(kArmB, kBaseB) -> statistic 6.0 (= min(W+, W-)), pvalue 0.02734375
  // (= 28 / 1024, exact: n = 10 <= 50, no zeros, no ties)
  CHECK(p.wilcoxon_exact);
  CHECK(p.n_nonzero == 10);
  CHECK(p.w == 6.0);
  CHECK(p.w_minus == 6.0);  // the negative d are the 2nd, 3rd and 1st smallest |d|: ranks 3+2+1
  CHECK(p.w_plus == 49.0);  // 55 - 6
  CHECK(std::isnan(p.z));
  CHECK(p.p_wilcoxon == rel(0.02734375));
  // (d > 0).mean() + 0.5 * (d == 0).mean()
  CHECK(p.prob_improvement == rel(0.7));
  CHECK(p.min_p_possible == rel(std::ldexp(1.0, -9)));
  CHECK(p.can_reach_significance);
  // boot(list(d), 7, 2000) (see the summarize bootstrap test)
  CHECK(p.boot_ci.lo == rel(0.0025497499999999856));
  CHECK(p.boot_ci.hi == rel(0.009629999999999994));
}

TEST_CASE("stats: compare_paired: exact Wilcoxon p over the exact null distribution", "[study]") {
  // 12 differences against a zero baseline: scipy.stats.wilcoxon(g, [0.0] * 12) -> statistic
  // 26.0, pvalue 0.33935546875 (exact), W+ = 52.
  const std::vector<double> g = {0.31, 0.12, -0.45, 0.27, 0.05, -0.18,
                                 0.66, 0.09, -0.02, 0.41, 0.23, -0.37};
  const std::vector<double> zeros(12, 0.0);
  const Paired p = compare_paired(g, zeros, 0, 10);
  CHECK(p.wilcoxon_exact);
  CHECK(p.w == 26.0);
  CHECK(p.w_plus == 52.0);
  CHECK(p.p_wilcoxon == rel(0.33935546875));

  // 20 positive differences: scipy.stats.wilcoxon(f_arm, f_base) -> statistic 0.0, pvalue
  // 1.9073486328125e-06 = 2^-19, the smallest p reachable with n = 20.
  std::vector<double> f_arm, f_base;
  for (int i = 0; i < 20; ++i) {
    f_arm.push_back(1.0 + 0.01 * i * i);
    f_base.push_back(1.0 - 0.001 * (i + 1));
  }
  const Paired f = compare_paired(f_arm, f_base, 0, 10);
  CHECK(f.wilcoxon_exact);
  CHECK(f.w == 0.0);
  CHECK(f.w_plus == 210.0);
  CHECK(f.p_wilcoxon == rel(1.9073486328125e-06));
  CHECK(f.p_wilcoxon == rel(f.min_p_possible));
  CHECK(f.prob_improvement == 1.0);
  // t and d_z are finite here; identical arms give t = 0, p = 1 and a point interval.
  const Paired same = compare_paired(f_arm, f_arm, 0, 10);
  CHECK(same.t == 0.0);
  CHECK(same.p_t == 1.0);
  CHECK(same.p_wilcoxon == 1.0);
  CHECK(same.n_nonzero == 0);
  CHECK(same.cohen_dz == 0.0);
  CHECK(same.prob_improvement == 0.5);
}

TEST_CASE(
    "stats: compare_paired: zeros and ties use the tie-corrected normal "
    "approximation",
    "[study]") {
  // d = [2, 0, -1, 3, 2, 2, -1, 3, -1, 4, 3.5, 0.5]: one zero (dropped) and tied |d|.
  const std::vector<double> arm = {3.0, 5.0, 2.0, 7.0, 4.0, 6.0, 5.0, 8.0, 1.0, 9.0, 6.5, 2.5};
  const std::vector<double> base = {1.0, 5.0, 3.0, 4.0, 2.0, 4.0, 6.0, 5.0, 2.0, 5.0, 3.0, 2.0};
  const Paired p = compare_paired(arm, base, 0, 10);
  // scipy.stats.wilcoxon(arm, base) (default: switches to approx because of the zero) and
  // scipy.stats.wilcoxon(arm, base, method='approx') both give statistic 9.0,
  // pvalue 0.032079986460900746, zstatistic -2.1434125473077112.
  CHECK_FALSE(p.wilcoxon_exact);
  CHECK(p.n_nonzero == 11);
  CHECK(p.w == 9.0);
  CHECK(p.w_minus == 9.0);
  CHECK(p.w_plus == 57.0);
  CHECK(p.z == rel(-2.1434125473077112));
  CHECK(p.p_wilcoxon == rel(0.032079986460900746));
  // scipy.stats.ttest_rel(arm, base)
  CHECK(p.t == rel(2.6608604198114896));
  CHECK(p.p_t == rel(0.022152638530950966));
  // (d > 0).mean() + 0.5 * (d == 0).mean() = 8.5 / 12
  CHECK(p.prob_improvement == rel(0.7083333333333333));

  // Ties but no zeros: d = [1, 2, -1, 3, 2, 2, 1, 4]. Here scipy's default would stay "exact" on
  // truncated ranks; we use, and compare with, scipy.stats.wilcoxon(arm, base, method='approx'):
  // statistic 2.0, pvalue 0.023651616655355978, zstatistic -2.262741699796952.
  const std::vector<double> arm_d = {2.0, 4.0, 1.0, 6.0, 3.0, 5.0, 7.0, 9.0};
  const std::vector<double> base_d = {1.0, 2.0, 2.0, 3.0, 1.0, 3.0, 6.0, 5.0};
  const Paired d = compare_paired(arm_d, base_d, 0, 10);
  CHECK_FALSE(d.wilcoxon_exact);
  CHECK(d.w == 2.0);
  CHECK(d.z == rel(-2.262741699796952));
  CHECK(d.p_wilcoxon == rel(0.023651616655355978));
}

TEST_CASE("stats: compare_paired: n > 50 uses the normal approximation", "[study]") {
  // arm_i = ((37 i) % 101) / 10, base_i = ((53 i) % 97) / 10 + 0.05, i = 0..59 (no zeros, 57
  // distinct |d|): scipy.stats.wilcoxon(arm, base) -> statistic 819.5,
  // pvalue 0.48203067842099034; scipy.stats.ttest_rel(arm, base) -> 0.7269068819828352,
  // 0.47015744151719585.
  std::vector<double> arm, base;
  for (int i = 0; i < 60; ++i) {
    arm.push_back(((i * 37) % 101) / 10.0);
    base.push_back(((i * 53) % 97) / 10.0 + 0.05);
  }
  const Paired p = compare_paired(arm, base, 0, 10);
  CHECK_FALSE(p.wilcoxon_exact);
  CHECK(p.w == 819.5);
  CHECK(p.p_wilcoxon == rel(0.48203067842099034));
  CHECK(p.t == rel(0.7269068819828352));
  CHECK(p.p_t == rel(0.47015744151719585));
}

TEST_CASE("stats: compare_paired: min_p_possible = 2^(1-n) decides reachability", "[study]") {
  const std::vector<double> five = {1, 2, 3, 4, 5}, six = {1, 2, 3, 4, 5, 6};
  const std::vector<double> five0(5, 0.0), six0(6, 0.0);
  const Paired p5 = compare_paired(five, five0, 0, 10);
  CHECK(p5.min_p_possible == 0.0625);  // 2^-4: the exact test can never reach p < 0.05
  CHECK_FALSE(p5.can_reach_significance);
  CHECK(p5.p_wilcoxon == 0.0625);  // scipy.stats.wilcoxon([1, 2, 3, 4, 5]) -> 0.0, 0.0625
  const Paired p6 = compare_paired(six, six0, 0, 10);
  CHECK(p6.min_p_possible == 0.03125);
  CHECK(p6.can_reach_significance);
  CHECK_FALSE(compare_paired(six, six0, 0, 10, 0.01).can_reach_significance);
}

TEST_CASE("stats: friedman: ranks, chi-square and Iman-Davenport match scipy", "[study]") {
  // No ties. scipy.stats.friedmanchisquare(*f1) -> 9.0, 0.011108996538242308; average ranks
  // from scipy.stats.rankdata(-column) per seed; F_F = (N-1) chi2 / (N(k-1) - chi2) with
  // scipy.stats.f.sf(F_F, 2, 14) -> 0.00306793674826622.
  const std::vector<std::vector<double>> f1 = {
      {0.912, 0.905, 0.921, 0.899, 0.930, 0.915, 0.902, 0.918},
      {0.908, 0.911, 0.915, 0.893, 0.925, 0.917, 0.897, 0.910},
      {0.901, 0.899, 0.919, 0.887, 0.921, 0.906, 0.899, 0.905}};
  const Friedman f = friedman(f1);
  CHECK(f.k == 3);
  CHECK(f.n == 8);
  CHECK(f.avg_ranks[0] == rel(1.25));
  CHECK(f.avg_ranks[1] == rel(2.0));
  CHECK(f.avg_ranks[2] == rel(2.75));
  CHECK(f.chi2 == rel(9.0));
  CHECK(f.p_chi2 == rel(0.011108996538242308));
  CHECK(f.f == rel(9.0));
  CHECK(f.df1 == 2.0);
  CHECK(f.df2 == 14.0);
  CHECK(f.p_f == rel(0.00306793674826622));
  // Lower is better: ranks mirror (k + 1 - r), the statistics do not change.
  const Friedman low = friedman(f1, false);
  CHECK(low.avg_ranks[0] == rel(2.75));
  CHECK(low.avg_ranks[2] == rel(1.25));
  CHECK(low.chi2 == rel(9.0));
  // CD = 2.343 sqrt(3 * 4 / (6 * 8)) = 1.1715: only arms 0 and 2 (1.25 vs 2.75) differ.
  CHECK(nemenyi_cd(3, 8) == rel(1.1715));
  const auto pairs = nemenyi_different_pairs(f);
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0].a == 0);
  CHECK(pairs[0].b == 2);
  CHECK(pairs[0].diff == rel(-1.5));

  // Ties within seeds. scipy.stats.friedmanchisquare(*f2) -> 7.944444444444451,
  // 0.04717393396984935 (tie-corrected); scipy.stats.f.sf(F_F, 3, 15) -> 0.029251400024806598.
  const std::vector<std::vector<double>> f2 = {{0.80, 0.75, 0.90, 0.60, 0.70, 0.85},
                                               {0.80, 0.70, 0.85, 0.65, 0.72, 0.85},
                                               {0.78, 0.70, 0.88, 0.60, 0.69, 0.80},
                                               {0.82, 0.74, 0.90, 0.66, 0.70, 0.83}};
  const Friedman t = friedman(f2);
  CHECK(t.avg_ranks[0] == rel(2.0833333333333335));
  CHECK(t.avg_ranks[1] == rel(2.4166666666666665));
  CHECK(t.avg_ranks[2] == rel(3.6666666666666665));
  CHECK(t.avg_ranks[3] == rel(1.8333333333333333));
  CHECK(t.chi2 == rel(7.944444444444451));
  CHECK(t.p_chi2 == rel(0.04717393396984935));
  CHECK(t.f == rel(3.950276243093928));
  CHECK(t.p_f == rel(0.029251400024806598));

  // Every seed ties every arm: no evidence, chi2 = 0, p = 1.
  const Friedman flat = friedman({{1.0, 2.0}, {1.0, 2.0}});
  CHECK(flat.chi2 == 0.0);
  CHECK(flat.p_chi2 == 1.0);
}

// Demšar, J. (2006) Statistical Comparisons of Classifiers over Multiple Data Sets, JMLR 7,
// section 3.2.2 (as I know the text; the numbers below are also recomputed here from Table 6):
// average ranks 3.143, 2.000, 2.893, 1.964; chi^2_F = 12*14/(4*5) [3.143^2 + 2^2 + 2.893^2 +
// 1.964^2 - 4*5^2/4] = 9.28 (no tie correction); F_F = 13 * 9.28 / (14*3 - 9.28) = 3.69 on (3, 39)
// df; Nemenyi CD = 2.569 sqrt(4*5 / (6*14)) = 1.25 at alpha = 0.05, which no pair exceeds (the
// largest difference, C4.5 vs C4.5+m+cf, is 1.179). The printed table rounds to 3 decimals: on
// "voting" C4.5+cf and C4.5+m+cf both show 0.975 but are ranked 2 and 3, so we break that tie as
// the paper does; with the printed tie the ranks are 3.143, 2.000, 2.929, 1.929.
TEST_CASE("stats: friedman reproduces Demšar (2006) section 3.2.2", "[study]") {
  auto table = demsar_table6();
  table[2][12] = 0.97501;  // voting: C4.5+cf ranked above C4.5+m+cf, as in the paper
  const Friedman paper = friedman(table, true, /*tie_correction=*/false);
  CHECK(paper.avg_ranks[0] == Approx(3.143).margin(5e-4));
  CHECK(paper.avg_ranks[1] == Approx(2.000).margin(5e-4));
  CHECK(paper.avg_ranks[2] == Approx(2.893).margin(5e-4));
  CHECK(paper.avg_ranks[3] == Approx(1.964).margin(5e-4));
  CHECK(paper.chi2 == Approx(9.28).margin(5e-3));
  CHECK(paper.f == Approx(3.69).margin(5e-3));
  CHECK(paper.df1 == 3.0);
  CHECK(paper.df2 == 39.0);
  CHECK(nemenyi_cd(4, 14) == Approx(1.25).margin(5e-3));
  CHECK(nemenyi_different_pairs(paper).empty());
  // The same numbers to full precision (Demšar's formula evaluated in Python, with
  // scipy.stats.chi2.sf(chi2, 3) and scipy.stats.f.sf(F_F, 3, 39)).
  CHECK(paper.avg_ranks[2] == rel(2.892857142857143));
  CHECK(paper.chi2 == rel(9.278571428571437));
  CHECK(paper.p_chi2 == rel(0.025807496707063185));
  CHECK(paper.f == rel(3.686313032089068));
  CHECK(paper.p_f == rel(0.01982300619224907));
  // With the tie correction: scipy.stats.friedmanchisquare(*table) -> 10.228346456692925,
  // 0.016721580328441323; on the printed (tied) table -> 10.952380952380956, 0.011986176325417788.
  const Friedman corrected = friedman(table);
  CHECK(corrected.chi2 == rel(10.228346456692925));
  CHECK(corrected.p_chi2 == rel(0.016721580328441323));
  const Friedman printed = friedman(demsar_table6());
  CHECK(printed.avg_ranks[2] == rel(2.9285714285714284));
  CHECK(printed.chi2 == rel(10.952380952380956));
  CHECK(printed.p_chi2 == rel(0.011986176325417788));
  CHECK(printed.f == rel(4.585889570552149));
  CHECK(printed.p_f == rel(0.007628838730725733));
}

TEST_CASE("stats: nemenyi q table matches the studentized range", "[study]") {
  // scipy.stats.studentized_range.ppf(0.95, k, 1e6) / sqrt(2), k = 2..10; Demšar's Table 5
  // rounds these to 3 decimals.
  const double q[] = {1.9599639845400534, 2.343700586378409,  2.569031772546482,
                      2.7277743708703763, 2.8497054196100016, 2.9483200175296744,
                      3.030878449614413,  3.1017303413033805, 3.163683577053373};
  for (std::size_t k = 2; k <= 10; ++k) CHECK(nemenyi_q05(k) == Approx(q[k - 2]).margin(1e-3));
  CHECK_THROWS_AS(nemenyi_q05(11), tg::Error);
  CHECK_THROWS_AS(nemenyi_q05(1), tg::Error);
  CHECK_THROWS_WITH(nemenyi_cd(11, 20), Catch::Contains("k = 2..10"));
  // friedman itself works for any k; only the post-hoc needs the table.
  std::vector<std::vector<double>> many(11, std::vector<double>(3));
  for (std::size_t a = 0; a < 11; ++a)
    for (std::size_t s = 0; s < 3; ++s) many[a][s] = static_cast<double>(a * 3 + s);
  const Friedman f = friedman(many);
  CHECK(f.k == 11);
  CHECK_THROWS_AS(nemenyi_different_pairs(f), tg::Error);
}

TEST_CASE("stats: holm adjusts in input order, monotone and capped at 1", "[study]") {
  // Computed by hand in Python: sort ascending, (m - i) * p_(i) (0-based i), running maximum,
  // min(1, .), back to input order.
  const std::vector<double> a = holm(std::vector<double>{0.01, 0.04, 0.03, 0.005, 0.2});
  const std::vector<double> ea = {0.04, 0.09, 0.09, 0.025, 0.2};  // 0.04 * 2 = 0.08 raised to 0.09
  REQUIRE(a.size() == ea.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == rel(ea[i]));
  const std::vector<double> b = holm(std::vector<double>{0.3, 0.5, 0.02});
  CHECK(b[0] == rel(0.6));
  CHECK(b[1] == rel(0.6));  // 1 * 0.5 raised to 0.6
  CHECK(b[2] == rel(0.06));
  const std::vector<double> c = holm(std::vector<double>{0.04, 0.01, 0.04, 0.9, 0.6});
  CHECK(c[3] == 1.0);  // capped
  CHECK(c[4] == 1.0);
  // The Wikipedia "Holm-Bonferroni method" example (p = 0.01, 0.04, 0.03, 0.005 at alpha 0.05:
  // H1 and H4 rejected, H2 and H3 not): adjusted 0.03, 0.06, 0.06, 0.02.
  const std::vector<double> w = holm(std::vector<double>{0.01, 0.04, 0.03, 0.005});
  CHECK(w[0] == rel(0.03));
  CHECK(w[1] == rel(0.06));
  CHECK(w[2] == rel(0.06));
  CHECK(w[3] == rel(0.02));
  CHECK(holm(std::vector<double>{}).empty());
  CHECK(holm(std::vector<double>{0.2})[0] == 0.2);
}

TEST_CASE("stats: bad input raises tg::Error", "[study]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> one = {1.0}, two = {1.0, 2.0}, three = {1.0, 2.0, 3.0};
  const std::vector<double> with_nan = {1.0, nan, 3.0};
  CHECK_THROWS_AS(summarize(one), tg::Error);
  CHECK_THROWS_WITH(summarize(one), Catch::Contains("at least 2"));
  CHECK_THROWS_AS(summarize(std::vector<double>{}), tg::Error);
  CHECK_THROWS_WITH(summarize(with_nan), Catch::Contains("index 1"));
  CHECK_THROWS_AS(summarize(three, 0, 0), tg::Error);
  CHECK_THROWS_WITH(compare_paired(two, three), Catch::Contains("baseline has 3"));
  CHECK_THROWS_AS(compare_paired(one, one), tg::Error);
  CHECK_THROWS_AS(compare_paired(with_nan, three), tg::Error);
  CHECK_THROWS_AS(compare_paired(three, with_nan), tg::Error);
  CHECK_THROWS_AS(compare_paired(three, three, 0, 10, 1.5), tg::Error);
  CHECK_THROWS_WITH(friedman({three}), Catch::Contains("at least 2 arms"));
  CHECK_THROWS_AS(friedman({}), tg::Error);
  CHECK_THROWS_WITH(friedman({three, two}), Catch::Contains("arm 1 has 2"));
  CHECK_THROWS_AS(friedman({one, one}), tg::Error);
  CHECK_THROWS_AS(friedman({three, with_nan}), tg::Error);
  CHECK_THROWS_AS(holm(std::vector<double>{0.1, nan}), tg::Error);
  CHECK_THROWS_WITH(holm(std::vector<double>{0.1, 1.5}), Catch::Contains("not in [0, 1]"));
  CHECK_THROWS_AS(holm(std::vector<double>{-0.1}), tg::Error);
}
