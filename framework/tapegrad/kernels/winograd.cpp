#include "tapegrad/kernels/winograd.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "tapegrad/kernels/gemm.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/scratch.hpp"
#include "tapegrad/kernels/simd.hpp"

namespace tg::kernels::winograd {

namespace {

// The matrices of F(2x2, 3x3):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   (input, 4x4 -> 4x4)
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]  (kernel, 3x3 -> 4x4)
//   A^T = [1 1 1 0; 0 1 -1 -1]                       (output, 4x4 -> 2x2)
// The transforms below apply them first along one axis, then the other; xi = 4 * i + j.
constexpr std::int64_t kXi = 16;

// Output tiles: th x tw blocks of 2x2 outputs (the last row / column of tiles may be partial).
struct Tiles {
  std::int64_t th, tw, P;
};
Tiles tiles_of(const Conv2dGeometry& g) {
  const std::int64_t th = (g.OH + 1) / 2, tw = (g.OW + 1) / 2;
  return {th, tw, th * tw};
}

// Images per group: their tiles sit side by side as the columns of the 16 GEMMs, so that N is
// wide and the GEMM calls are few, while V and M (16 x channels x tiles each) stay near 1 MiB
// (256 KiB groups measured slower). A function of the shapes alone.
std::int64_t images_per_group(const Conv2dGeometry& g, const Tiles& t) {
  const std::int64_t per = std::max<std::int64_t>(1, kXi * std::max(g.C, g.Co) * t.P);
  return std::clamp<std::int64_t>((std::int64_t{1} << 18) / per, 1, std::max<std::int64_t>(g.N, 1));
}

// Groups of images per thread so that a thread's work repays waking it.
std::int64_t group_grain(const Conv2dGeometry& g, std::int64_t nb) {
  const std::int64_t work = std::max<std::int64_t>(1, g.Co * g.C * 9 * g.OH * g.OW * nb);
  return std::max<std::int64_t>(1, (std::int64_t{1} << 18) / work);
}

// U [16][C][Co] = G w G^T for every (co, ci) of w [Co, C, 3, 3], transposed: as the GEMM's A
// operand (op(A) = U^T) it packs from contiguous rows.
template <class T>
void weight_transform(const T* w, std::int64_t Co, std::int64_t C, T* U) {
  const T h = T(0.5);
  for (std::int64_t co = 0; co < Co; ++co)
    for (std::int64_t ci = 0; ci < C; ++ci) {
      const T* k = w + (co * C + ci) * 9;
      T t[4][3];  // G k: rows
      for (int s = 0; s < 3; ++s) {
        t[0][s] = k[s];
        t[1][s] = h * (k[s] + k[3 + s] + k[6 + s]);
        t[2][s] = h * (k[s] - k[3 + s] + k[6 + s]);
        t[3][s] = k[6 + s];
      }
      for (int i = 0; i < 4; ++i) {
        const T u[4] = {t[i][0], h * (t[i][0] + t[i][1] + t[i][2]),
                        h * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
        for (int j = 0; j < 4; ++j) U[((i * 4 + j) * C + ci) * Co + co] = u[j];
      }
    }
}

// gw [Co, C, 3, 3] = G^T dU G for every (co, ci) of dU [16][Co][C].
template <class T>
void weight_untransform(const T* dU, std::int64_t Co, std::int64_t C, T* gw) {
  const T h = T(0.5);
  const std::int64_t step = Co * C;
  for (std::int64_t co = 0; co < Co; ++co)
    for (std::int64_t ci = 0; ci < C; ++ci) {
      const T* d = dU + co * C + ci;
      T p[3][4];  // G^T dU: rows
      for (int j = 0; j < 4; ++j) {
        const T d0 = d[(0 + j) * step], d1 = d[(4 + j) * step], d2 = d[(8 + j) * step],
                d3 = d[(12 + j) * step];
        p[0][j] = d0 + h * (d1 + d2);
        p[1][j] = h * (d1 - d2);
        p[2][j] = h * (d1 + d2) + d3;
      }
      T* k = gw + (co * C + ci) * 9;
      for (int r = 0; r < 3; ++r) {
        k[r * 3 + 0] = p[r][0] + h * (p[r][1] + p[r][2]);
        k[r * 3 + 1] = h * (p[r][1] - p[r][2]);
        k[r * 3 + 2] = h * (p[r][1] + p[r][2]) + p[r][3];
      }
    }
}

// The transforms run along a row of tiles, one vector of tiles at a time (a row of the 14x14
// wider-CNN layer is 7 tiles: one vector). The last vector of a row stores past its end, into
// the next row of tiles (written after it) or, for the last row of the last image, into the
// kPadCols spare columns every V / M / dM matrix has after its m * P tiles.
constexpr std::int64_t kPadCols = 16;  // >= kLanes<T> for every T

// Per-thread buffers: a plane split into its even and odd columns (zero-padded; rows of we
// elements) and the rows of the output transform.
template <class T>
struct Planes {
  std::int64_t nv, we, rows;  // vectors per row of tiles; plane row length; plane rows
  Scratch<T> even, odd, out;
  Planes(const Tiles& t, std::int64_t Hp)
      : nv((t.tw + kLanes<T> - 1) / kLanes<T>),
        we((nv + 1) * kLanes<T>),
        rows(Hp),
        even(rows * we),
        odd(rows * we),
        out(4 * nv * kLanes<T>) {}
  // The plane = zeros, then the h x w image src placed at row r0, column c0, split by column
  // parity: even[r][k] = row[2k], odd[r][k] = row[2k + 1].
  void load(const T* src, std::int64_t h, std::int64_t w, std::int64_t r0, std::int64_t c0) {
    std::fill(even.data(), even.data() + rows * we, T(0));
    std::fill(odd.data(), odd.data() + rows * we, T(0));
    for (std::int64_t r = 0; r < h; ++r) put_row(r + r0, src + r * w, w, c0);
  }
  // Plane row r (0 <= r < rows): src[0 .. n) from column `off` on.
  void put_row(std::int64_t r, const T* src, std::int64_t n, std::int64_t off) {
    T *e = even.data() + r * we + (off + 1) / 2, *o = odd.data() + r * we + off / 2;
    const T* se = src + off % 2;  // the first element that lands in an even column
    const T* so = src + 1 - off % 2;
    for (std::int64_t k = 0; 2 * k + off % 2 < n; ++k) e[k] = se[2 * k];
    for (std::int64_t k = 0; 2 * k + 1 - off % 2 < n; ++k) o[k] = so[2 * k];
  }
};

// V [16][C][ldv], columns col0 .. col0 + P - 1: B^T d B for every tile of every channel of one
// image x [C, H, W].
template <class T>
void input_transform(const T* x, const Conv2dGeometry& g, const Tiles& t, Planes<T>& pl, T* V,
                     std::int64_t ldv, std::int64_t col0) {
  constexpr std::int64_t L = kLanes<T>;
  const std::int64_t step = g.C * ldv, we = pl.we;
  // The padded plane holds H + 2 pH rows and W + 2 pW columns at least (2 th >= OH =
  // H + 2 pH - 2), and its rows 2 th + 2 and columns 2 tw + 2 cover every tile.
  for (std::int64_t c = 0; c < g.C; ++c) {
    pl.load(x + c * g.H * g.W, g.H, g.W, g.pH, g.pW);
    for (std::int64_t a = 0; a < t.th; ++a) {
      T* out = V + c * ldv + col0 + a * t.tw;
      for (std::int64_t v = 0; v < pl.nv; ++v) {
        const std::int64_t b0 = v * L;
        Vec<T> d[4][4];  // d[k][l]: tile row k, column l, for L tiles
        for (int k = 0; k < 4; ++k) {
          const T *e = pl.even.data() + (2 * a + k) * we + b0,
                  *o = pl.odd.data() + (2 * a + k) * we + b0;
          d[k][0] = loadv(e);
          d[k][1] = loadv(o);
          d[k][2] = loadv(e + 1);
          d[k][3] = loadv(o + 1);
        }
        for (int l = 0; l < 4; ++l) {  // B^T d along the rows
          const Vec<T> d0 = d[0][l], d1 = d[1][l], d2 = d[2][l], d3 = d[3][l];
          d[0][l] = d0 - d2;
          d[1][l] = d1 + d2;
          d[2][l] = d2 - d1;
          d[3][l] = d1 - d3;
        }
        for (int i = 0; i < 4; ++i) {  // (B^T d) B along the columns
          T* o = out + (4 * i) * step + b0;
          storev(o, d[i][0] - d[i][2]);
          storev(o + step, d[i][1] + d[i][2]);
          storev(o + 2 * step, d[i][2] - d[i][1]);
          storev(o + 3 * step, d[i][1] - d[i][3]);
        }
      }
    }
  }
}

// y [Co, OH, OW] of one image (+ bias) = A^T m A of every tile, m read from M [16][Co][ldm],
// columns col0 .. col0 + P - 1.
template <class T>
void output_transform(const T* M, const T* bias, const Conv2dGeometry& g, const Tiles& t,
                      Planes<T>& pl, std::int64_t ldm, std::int64_t col0, T* y) {
  constexpr std::int64_t L = kLanes<T>;
  const std::int64_t step = g.Co * ldm, row = 2 * pl.nv * L;
  T *y0 = pl.out.data(), *y1 = y0 + row;
  for (std::int64_t co = 0; co < g.Co; ++co) {
    const Vec<T> bv = Vec<T>{} + (bias ? bias[co] : T(0));
    for (std::int64_t a = 0; a < t.th; ++a) {
      const T* m = M + co * ldm + col0 + a * t.tw;
      for (std::int64_t v = 0; v < pl.nv; ++v) {
        const std::int64_t b0 = v * L;
        Vec<T> s0[4], s1[4];  // A^T m along the rows
        for (int j = 0; j < 4; ++j) {
          const Vec<T> m0 = loadv(m + j * step + b0), m1 = loadv(m + (4 + j) * step + b0),
                       m2 = loadv(m + (8 + j) * step + b0), m3 = loadv(m + (12 + j) * step + b0);
          s0[j] = m0 + m1 + m2;
          s1[j] = m1 - m2 - m3;
        }
        Vec<T> lo, hi;  // (A^T m) A along the columns, the two outputs of each tile interleaved
        interleave<T>(s0[0] + s0[1] + s0[2] + bv, s0[1] - s0[2] - s0[3] + bv, lo, hi);
        storev(y0 + 2 * b0, lo);
        storev(y0 + 2 * b0 + L, hi);
        interleave<T>(s1[0] + s1[1] + s1[2] + bv, s1[1] - s1[2] - s1[3] + bv, lo, hi);
        storev(y1 + 2 * b0, lo);
        storev(y1 + 2 * b0 + L, hi);
      }
      T* dst = y + (co * g.OH + 2 * a) * g.OW;
      copy_row(y0, dst, g.OW);
      if (2 * a + 1 < g.OH) copy_row(y1, dst + g.OW, g.OW);
    }
  }
}

// dM [16][Co][ldm], columns col0 .. col0 + P - 1: A dY A^T for every tile of one image's output
// gradient gy [Co, OH, OW] (zero past the last output row / column).
template <class T>
void grad_transform(const T* gy, const Conv2dGeometry& g, const Tiles& t, Planes<T>& pl, T* dM,
                    std::int64_t ldm, std::int64_t col0) {
  constexpr std::int64_t L = kLanes<T>;
  const std::int64_t step = g.Co * ldm, we = pl.we;
  for (std::int64_t co = 0; co < g.Co; ++co) {
    pl.load(gy + co * g.OH * g.OW, g.OH, g.OW, 0, 0);
    for (std::int64_t a = 0; a < t.th; ++a) {
      T* out = dM + co * ldm + col0 + a * t.tw;
      const T *e0 = pl.even.data() + 2 * a * we, *o0 = pl.odd.data() + 2 * a * we;
      for (std::int64_t v = 0; v < pl.nv; ++v) {
        const std::int64_t b0 = v * L;
        const Vec<T> a0 = loadv(e0 + b0), a1 = loadv(o0 + b0), c0 = loadv(e0 + we + b0),
                     c1 = loadv(o0 + we + b0);
        // dY A^T along the columns: (y0, y0 + y1, y0 - y1, -y1) for each of the two rows.
        const Vec<T> r0[4] = {a0, a0 + a1, a0 - a1, -a1};
        const Vec<T> r1[4] = {c0, c0 + c1, c0 - c1, -c1};
        for (int j = 0; j < 4; ++j) {  // A (dY A^T) along the rows: (r0, r0 + r1, r0 - r1, -r1)
          T* o = out + j * step + b0;
          storev(o, r0[j]);
          storev(o + 4 * step, r0[j] + r1[j]);
          storev(o + 8 * step, r0[j] - r1[j]);
          storev(o + 12 * step, -r1[j]);
        }
      }
    }
  }
}

// gx [C, H, W] of one image = the adjoint of input_transform applied to dV [16][C][ldv],
// columns col0 .. col0 + P - 1: B dV B^T of every tile, the 4x4 patches (overlapping by two rows
// and two columns) added up in the padded plane, whose interior is gx. The plane is accumulated
// split by column parity, like the planes input_transform reads; the lanes of a row's last
// vector past its tiles hold other columns of dV and are masked off.
template <class T>
void input_untransform(const T* dV, const Conv2dGeometry& g, const Tiles& t, Planes<T>& pl,
                       std::int64_t ldv, std::int64_t col0, T* row, T* gx) {
  constexpr std::int64_t L = kLanes<T>;
  using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  const std::int64_t step = g.C * ldv, we = pl.we;
  LaneInt<T> lane;
  for (std::int64_t k = 0; k < L; ++k) lane[k] = static_cast<I>(k);
  for (std::int64_t c = 0; c < g.C; ++c) {
    T *even = pl.even.data(), *odd = pl.odd.data();
    std::fill(even, even + pl.rows * we, T(0));
    std::fill(odd, odd + pl.rows * we, T(0));
    for (std::int64_t a = 0; a < t.th; ++a) {
      const T* in = dV + c * ldv + col0 + a * t.tw;
      for (std::int64_t v = 0; v < pl.nv; ++v) {
        const std::int64_t b0 = v * L;
        const LaneInt<T> live = lane < static_cast<I>(t.tw - b0);
        Vec<T> d[4][4];
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j)
            d[i][j] = live ? loadv(in + (4 * i + j) * step + b0) : Vec<T>{};
        for (int i = 0; i < 4; ++i) {  // dV B^T along the columns (B's rows: e0, e1 - e2 + e3,
                                       // e1 + e2 - e0, -e3)
          const Vec<T> d0 = d[i][0], d1 = d[i][1], d2 = d[i][2], d3 = d[i][3];
          d[i][1] = d1 - d2 + d3;
          d[i][2] = d1 + d2 - d0;
          d[i][3] = -d3;
        }
        for (int l = 0; l < 4; ++l) {  // B (dV B^T) along the rows
          const Vec<T> d0 = d[0][l], d1 = d[1][l], d2 = d[2][l], d3 = d[3][l];
          d[1][l] = d1 - d2 + d3;
          d[2][l] = d1 + d2 - d0;
          d[3][l] = -d3;
        }
        for (int k = 0; k < 4; ++k) {  // patch row k: padded row 2a + k, columns 2b .. 2b + 3
          T *e = even + (2 * a + k) * we + b0, *o = odd + (2 * a + k) * we + b0;
          storev(e, loadv(e) + d[k][0]);
          storev(o, loadv(o) + d[k][1]);
          storev(e + 1, loadv(e + 1) + d[k][2]);
          storev(o + 1, loadv(o + 1) + d[k][3]);
        }
      }
    }
    for (std::int64_t h = 0; h < g.H; ++h) {
      const T *e = even + (h + g.pH) * we, *o = odd + (h + g.pH) * we;
      for (std::int64_t k = 0; k < we; k += L) {
        Vec<T> lo, hi;
        interleave<T>(loadv(e + k), loadv(o + k), lo, hi);
        storev(row + 2 * k, lo);
        storev(row + 2 * k + L, hi);
      }
      copy_row(row + g.pW, gx + (c * g.H + h) * g.W, g.W);
    }
  }
}

}  // namespace

bool applicable(const Conv2dGeometry& g) {
  return g.groups == 1 && g.kH == 3 && g.kW == 3 && g.sH == 1 && g.sW == 1 && g.dH == 1 &&
         g.dW == 1 && g.pH >= 0 && g.pH <= 2 && g.pW >= 0 && g.pW <= 2 && g.C >= 8 && g.Co >= 8 &&
         g.OH >= 1 && g.OW >= 1;
}

std::int64_t saved_size(const Conv2dGeometry& g) {
  const Tiles t = tiles_of(g);
  const std::int64_t nb = images_per_group(g, t), groups_n = (g.N + nb - 1) / nb;
  return groups_n * kXi * g.C * (nb * t.P + kPadCols);
}

template <class T>
void forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y, T* saved) {
  const Tiles t = tiles_of(g);
  const std::int64_t nb = images_per_group(g, t), groups_n = (g.N + nb - 1) / nb;
  std::vector<T> U(static_cast<std::size_t>(kXi * g.Co * g.C));
  weight_transform(w, g.Co, g.C, U.data());
  // Each U_xi is the left operand of every group's GEMM: packed once here.
  const std::int64_t psize = gemm_packed_a_size<T>(g.Co, g.C);
  std::vector<T> Up(static_cast<std::size_t>(kXi * psize));
  for (std::int64_t xi = 0; xi < kXi; ++xi)
    gemm_pack_a<T>(true, g.Co, g.C, U.data() + xi * g.Co * g.C, g.Co, Up.data() + xi * psize);
  parallel_for(0, groups_n, group_grain(g, nb), [&](std::int64_t cb, std::int64_t ce) {
    Scratch<T> vbuf(saved ? 0 : kXi * g.C * (nb * t.P + kPadCols));
    Scratch<T> M(kXi * g.Co * (nb * t.P + kPadCols));
    Planes<T> pl(t, 2 * t.th + 2);
    for (std::int64_t c = cb; c < ce; ++c) {
      const std::int64_t n0 = c * nb, m = std::min(nb, g.N - n0), ld = m * t.P + kPadCols;
      T* V = saved ? saved + c * kXi * g.C * (nb * t.P + kPadCols) : vbuf.data();
      for (std::int64_t j = 0; j < m; ++j)
        input_transform(x + (n0 + j) * g.C * g.H * g.W, g, t, pl, V, ld, j * t.P);
      for (std::int64_t xi = 0; xi < kXi; ++xi)
        gemm_prepacked_a<T>(g.Co, m * t.P, g.C, T(1), Up.data() + xi * psize, false,
                            V + xi * g.C * ld, ld, T(0), M.data() + xi * g.Co * ld, ld);
      for (std::int64_t j = 0; j < m; ++j)
        output_transform(M.data(), bias, g, t, pl, ld, j * t.P, y + (n0 + j) * g.Co * g.OH * g.OW);
    }
  });
}

template <class T>
void backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx) {
  // gx = conv(gy, w') with w'[ci, co, i, j] = w[co, ci, 2 - i, 2 - j] and padding 2 - p: the
  // output is OH + 2 (2 - p) - 2 = H rows.
  std::vector<T> wt(static_cast<std::size_t>(g.Co * g.C * 9));
  for (std::int64_t co = 0; co < g.Co; ++co)
    for (std::int64_t ci = 0; ci < g.C; ++ci)
      for (int k = 0; k < 9; ++k) wt[(ci * g.Co + co) * 9 + k] = w[(co * g.C + ci) * 9 + 8 - k];
  Conv2dGeometry gt = g;
  gt.C = g.Co;
  gt.Co = g.C;
  gt.H = g.OH;
  gt.W = g.OW;
  gt.pH = 2 - g.pH;
  gt.pW = 2 - g.pW;
  gt.OH = g.H;
  gt.OW = g.W;
  forward<T>(gy, wt.data(), nullptr, gt, gx, nullptr);
}

namespace {

// The weight gradient (and the bias gradient when gb is not null) and, when gx is not null, the
// input gradient from the same dM = A dY A^T: dV_xi [C, tiles] = U_xi^T dM_xi, then gx = the
// adjoint of the input transform. That replaces backward_input's transform of gy (Co channels)
// and its output transform.
template <class T>
void backward_impl(const T* x, const T* saved, const T* gy, const T* w, const Conv2dGeometry& g,
                   T* gw, T* gb, T* gx) {
  const Tiles t = tiles_of(g);
  const std::int64_t usize = kXi * g.Co * g.C;
  if (g.N == 0) {
    std::fill(gw, gw + g.Co * g.C * 9, T(0));
    if (gb) std::fill(gb, gb + g.Co, T(0));
    return;
  }
  const std::int64_t nb = images_per_group(g, t), groups_n = (g.N + nb - 1) / nb;
  const std::int64_t chunks = std::max<std::int64_t>(
      1, std::min<std::int64_t>(num_threads(), groups_n / group_grain(g, nb)));
  // For gx: each U_xi^T [C, Co] packed once as the left operand of dV_xi = U_xi^T dM_xi. U is
  // stored [16][C][Co], so U_xi^T is its row-major block.
  const std::int64_t psize = gx ? gemm_packed_a_size<T>(g.C, g.Co) : 0;
  std::vector<T> Up(static_cast<std::size_t>(kXi * psize));
  if (gx) {
    std::vector<T> U(static_cast<std::size_t>(usize));
    weight_transform(w, g.Co, g.C, U.data());
    for (std::int64_t xi = 0; xi < kXi; ++xi)
      gemm_pack_a<T>(false, g.C, g.Co, U.data() + xi * g.C * g.Co, g.Co, Up.data() + xi * psize);
  }
  std::vector<T> dU(static_cast<std::size_t>(chunks * usize));
  std::vector<double> bias_acc(gb ? static_cast<std::size_t>(chunks * g.Co) : 0);
  parallel_for(0, chunks, 1, [&](std::int64_t kb, std::int64_t ke) {
    Scratch<T> vbuf(saved ? 0 : kXi * g.C * (nb * t.P + kPadCols));
    Scratch<T> dM(kXi * g.Co * (nb * t.P + kPadCols));
    Scratch<T> dV(gx ? kXi * g.C * (nb * t.P + kPadCols) : 0);
    Planes<T> pl(t, 2 * t.th + 2);
    Scratch<T> row(gx ? 2 * pl.we : 0);
    for (std::int64_t ch = kb; ch < ke; ++ch) {
      T* acc = dU.data() + ch * usize;
      const std::int64_t c0 = groups_n * ch / chunks, c1 = groups_n * (ch + 1) / chunks;
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t n0 = c * nb, m = std::min(nb, g.N - n0), ld = m * t.P + kPadCols;
        const T* V = saved ? saved + c * kXi * g.C * (nb * t.P + kPadCols) : vbuf.data();
        if (!saved)
          for (std::int64_t j = 0; j < m; ++j)
            input_transform(x + (n0 + j) * g.C * g.H * g.W, g, t, pl, vbuf.data(), ld, j * t.P);
        for (std::int64_t j = 0; j < m; ++j)
          grad_transform(gy + (n0 + j) * g.Co * g.OH * g.OW, g, t, pl, dM.data(), ld, j * t.P);
        for (std::int64_t xi = 0; xi < kXi; ++xi)
          gemm<T>(false, true, g.Co, g.C, m * t.P, T(1), dM.data() + xi * g.Co * ld, ld,
                  V + xi * g.C * ld, ld, c == c0 ? T(0) : T(1), acc + xi * g.Co * g.C, g.C);
        if (gb) conv2d_add_bias_sums(gy, g, n0, n0 + m, bias_acc.data() + ch * g.Co);
        if (gx) {
          for (std::int64_t xi = 0; xi < kXi; ++xi)
            gemm_prepacked_a<T>(g.C, m * t.P, g.Co, T(1), Up.data() + xi * psize, false,
                                dM.data() + xi * g.Co * ld, ld, T(0), dV.data() + xi * g.C * ld,
                                ld);
          for (std::int64_t j = 0; j < m; ++j)
            input_untransform(dV.data(), g, t, pl, ld, j * t.P, row.data(),
                              gx + (n0 + j) * g.C * g.H * g.W);
        }
      }
    }
  });
  for (std::int64_t ch = 1; ch < chunks; ++ch)
    for (std::int64_t i = 0; i < usize; ++i) dU[i] += dU[ch * usize + i];
  weight_untransform(dU.data(), g.Co, g.C, gw);
  if (gb) conv2d_bias_from_sums(bias_acc.data(), chunks, g.Co, gb);
}

}  // namespace

template <class T>
void backward_weight(const T* x, const T* saved, const T* gy, const Conv2dGeometry& g, T* gw,
                     T* gb) {
  backward_impl<T>(x, saved, gy, nullptr, g, gw, gb, nullptr);
}

template <class T>
void backward_both(const T* x, const T* saved, const T* gy, const T* w, const Conv2dGeometry& g,
                   T* gx, T* gw, T* gb) {
  backward_impl<T>(x, saved, gy, w, g, gw, gb, gx);
}

#define TG_INSTANTIATE(T)                                                                        \
  template void forward<T>(const T*, const T*, const T*, const Conv2dGeometry&, T*, T*);         \
  template void backward_input<T>(const T*, const T*, const Conv2dGeometry&, T*);                \
  template void backward_weight<T>(const T*, const T*, const T*, const Conv2dGeometry&, T*, T*); \
  template void backward_both<T>(const T*, const T*, const T*, const T*, const Conv2dGeometry&,  \
                                 T*, T*, T*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::kernels::winograd
