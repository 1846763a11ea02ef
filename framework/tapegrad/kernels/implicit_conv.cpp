#include "tapegrad/kernels/implicit_conv.hpp"

#include <algorithm>
#include <vector>

#include "tapegrad/kernels/conv_util.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/scratch.hpp"
#include "tapegrad/kernels/simd.hpp"

namespace tg::kernels::implicit {

namespace {

constexpr int kMR = 6;  // positions (forward) or kernel taps (weight gradient) per tile
template <class T>
constexpr std::int64_t kNR = 2 * kLanes<T>;  // output channels per tile: two vectors

// The micro-kernel: MR rows of 2 vectors (one 64-byte register each on AVX-512: Vec2),
//   out[r] = init[r] + sum over t < n of src[base[r] + off[t]] * v[t * vstride, 0 .. kNR),
// the sum in t order, one FMA per product. 12 accumulators, 2 vectors of v and one broadcast:
// 15 of AVX2's 16 registers, as in the GEMM micro-kernel; the broadcasts read the image where it
// is, so the left operand is never packed.
template <class T, int MR>
void run_tile(const T* src, const std::int64_t* base, const std::int64_t* off, std::int64_t n,
              const T* v, std::int64_t vstride, const T* init, std::int64_t init_stride, T* out,
              std::int64_t out_stride) {
  Vec2<T> acc[MR];
  const T* p[MR];
  for (int r = 0; r < MR; ++r) {
    acc[r] = load2(init + r * init_stride);
    p[r] = src + base[r];
  }
  for (std::int64_t t = 0; t < n; ++t, v += vstride) {
    const Vec2<T> b = load2(v);
    const std::int64_t o = off[t];
    for (int r = 0; r < MR; ++r) acc[r] = fmadd2<T>(splat2(p[r][o]), b, acc[r]);
  }
  for (int r = 0; r < MR; ++r) store2(out + r * out_stride, acc[r]);
}

template <class T>
void run_tile_rows(std::int64_t mr, const T* src, const std::int64_t* base, const std::int64_t* off,
                   std::int64_t n, const T* v, std::int64_t vstride, const T* init,
                   std::int64_t init_stride, T* out, std::int64_t out_stride) {
  switch (mr) {
    case 1:
      return run_tile<T, 1>(src, base, off, n, v, vstride, init, init_stride, out, out_stride);
    case 2:
      return run_tile<T, 2>(src, base, off, n, v, vstride, init, init_stride, out, out_stride);
    case 3:
      return run_tile<T, 3>(src, base, off, n, v, vstride, init, init_stride, out, out_stride);
    case 4:
      return run_tile<T, 4>(src, base, off, n, v, vstride, init, init_stride, out, out_stride);
    case 5:
      return run_tile<T, 5>(src, base, off, n, v, vstride, init, init_stride, out, out_stride);
    default:
      return run_tile<T, kMR>(src, base, off, n, v, vstride, init, init_stride, out, out_stride);
  }
}

// The row tile: MR channels x 2 vectors of positions along a row,
//   out[r][0 .. 2L) = init[r] + sum over t < n of a[t * kMR + r] * src[off[t] + 0 .. 2L)
// (a: the weights packed kMR to a tap, broadcast; src: zero-padded rows, read in place; init:
// none when null), of which the first `valid` positions are stored to out[r * out_stride + ...].
// The input gradient's (rows: input channels, src: gy) and the stride-1 forward's for small
// kernel volumes (rows: output channels, src: x).
template <class T, int MR>
void run_row_tile(const T* a, const T* src, const std::int64_t* off, std::int64_t n, T* out,
                  std::int64_t out_stride, std::int64_t valid, const T* init) {
  constexpr std::int64_t L = kLanes<T>;
  Vec2<T> acc[MR] = {};
  if (init)
    for (int r = 0; r < MR; ++r) acc[r] = splat2(init[r]);
  for (std::int64_t t = 0; t < n; ++t, a += kMR) {
    const Vec2<T> b = load2(src + off[t]);
    for (int r = 0; r < MR; ++r) acc[r] = fmadd2<T>(splat2(a[r]), b, acc[r]);
  }
  for (int r = 0; r < MR; ++r) {
    T* o = out + r * out_stride;
    if (valid == 2 * L)
      store2(o, acc[r]);
    else
      store2_first(o, acc[r], valid);
  }
}

template <class T>
void run_row_tile_rows(std::int64_t mr, const T* a, const T* src, const std::int64_t* off,
                       std::int64_t n, T* out, std::int64_t out_stride, std::int64_t valid,
                       const T* init = nullptr) {
  switch (mr) {
    case 1:
      return run_row_tile<T, 1>(a, src, off, n, out, out_stride, valid, init);
    case 2:
      return run_row_tile<T, 2>(a, src, off, n, out, out_stride, valid, init);
    case 3:
      return run_row_tile<T, 3>(a, src, off, n, out, out_stride, valid, init);
    case 4:
      return run_row_tile<T, 4>(a, src, off, n, out, out_stride, valid, init);
    case 5:
      return run_row_tile<T, 5>(a, src, off, n, out, out_stride, valid, init);
    default:
      return run_row_tile<T, kMR>(a, src, off, n, out, out_stride, valid, init);
  }
}

// Where the operands sit: the source planes are the image itself, or its zero-padded copy when
// the layer pads; off[k] is kernel tap k = (c, i, j)'s offset in them and pos[p] output position
// p = (oh, ow)'s, so that cols[k, p] = src[off[k] + pos[p]]. Output channels are padded to CoP,
// a whole number of tiles.
struct Plan {
  PaddedImage planes;
  bool pad;
  std::int64_t K, P, CoP;
  std::vector<std::int64_t> off, pos;
};

template <class T>
Plan plan_of(const Conv2dGeometry& g) {
  Plan pl;
  const std::int64_t Hp = g.H + 2 * g.pH, Wp = g.W + 2 * g.pW;
  pl.planes = {Hp, Wp, Hp * Wp};
  pl.pad = g.pH != 0 || g.pW != 0;
  pl.K = g.C * g.kH * g.kW;
  pl.P = g.OH * g.OW;
  pl.CoP = (g.Co + kNR<T> - 1) / kNR<T> * kNR<T>;
  pl.off.resize(static_cast<std::size_t>(pl.K));
  for (std::int64_t c = 0, k = 0; c < g.C; ++c)
    for (std::int64_t i = 0; i < g.kH; ++i)
      for (std::int64_t j = 0; j < g.kW; ++j, ++k)
        pl.off[static_cast<std::size_t>(k)] = c * Hp * Wp + i * g.dH * Wp + j * g.dW;
  pl.pos.resize(static_cast<std::size_t>(pl.P));
  for (std::int64_t oh = 0, p = 0; oh < g.OH; ++oh)
    for (std::int64_t ow = 0; ow < g.OW; ++ow, ++p)
      pl.pos[static_cast<std::size_t>(p)] = oh * g.sH * Wp + ow * g.sW;
  return pl;
}

// Sample n's source planes: x itself, or its padded copy in xp.
template <class T>
const T* source(const T* x, std::int64_t n, const Conv2dGeometry& g, const Plan& pl, T* xp) {
  const T* img = x + n * g.C * g.H * g.W;
  if (!pl.pad) return img;
  pad_image(img, g.C, g, pl.planes, xp);
  return xp;
}

}  // namespace

bool applicable(const Conv2dGeometry& g) {
  const std::int64_t planes = g.C * (g.H + 2 * g.pH) * (g.W + 2 * g.pW);
  return g.groups == 1 && g.Co >= 8 && planes <= 32768 && g.C * g.kH * g.kW <= 1024;
}

template <class T>
void forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y) {
  constexpr std::int64_t NR = kNR<T>;
  const Plan pl = plan_of<T>(g);
  const std::int64_t K = pl.K, P = pl.P, CoP = pl.CoP;
  // W^T in blocks of NR output channels, wt [CoP / NR][K][NR], zero past Co; the bias likewise.
  Scratch<T> wt(CoP * K), bp(CoP);
  for (std::int64_t co = 0; co < CoP; ++co) {
    T* dst = wt.data() + (co / NR) * K * NR + co % NR;
    for (std::int64_t k = 0; k < K; ++k) dst[k * NR] = co < g.Co ? w[co * K + k] : T(0);
    bp.data()[co] = bias && co < g.Co ? bias[co] : T(0);
  }
  parallel_for(0, g.N, conv_sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
    Scratch<T> xp(pl.pad ? g.C * pl.planes.plane : 0), yt(P * CoP);
    for (std::int64_t n = nb; n < ne; ++n) {
      const T* src = source(x, n, g, pl, xp.data());
      for (std::int64_t p0 = 0; p0 < P; p0 += kMR)
        for (std::int64_t c0 = 0; c0 < CoP; c0 += NR)
          run_tile_rows<T>(std::min<std::int64_t>(kMR, P - p0), src, pl.pos.data() + p0,
                           pl.off.data(), K, wt.data() + c0 * K, NR, bp.data() + c0, 0,
                           yt.data() + p0 * CoP + c0, CoP);
      // yt [P, CoP] -> y [Co, P]
      T* yn = y + n * g.Co * P;
      for (std::int64_t co = 0; co < g.Co; ++co)
        for (std::int64_t p = 0; p < P; ++p) yn[co * P + p] = yt.data()[p * CoP + co];
    }
  });
}

template <class T>
void forward_rows(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y) {
  constexpr std::int64_t NR = kNR<T>;
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t taps = Cg * g.kH * g.kW, cblocks = (Cog + kMR - 1) / kMR;
  const std::int64_t OWv = (g.OW + NR - 1) / NR * NR, HWo = g.OH * g.OW;
  // Rows wide enough that the last tile's vectors stay inside them.
  const std::int64_t Hp = g.H + 2 * g.pH;
  const std::int64_t Wx = std::max(g.W + 2 * g.pW, OWv + (g.kW - 1) * g.dW);
  const PaddedImage planes{Hp, Wx, Hp * Wx};
  std::vector<std::int64_t> off(static_cast<std::size_t>(taps));
  for (std::int64_t c = 0, t = 0; c < Cg; ++c)
    for (std::int64_t i = 0; i < g.kH; ++i)
      for (std::int64_t j = 0; j < g.kW; ++j, ++t)
        off[static_cast<std::size_t>(t)] = c * planes.plane + i * g.dH * Wx + j * g.dW;
  // wq [group][cblock][t][kMR]: the weights of kMR output channels per tap, zero past Cog.
  Scratch<T> wq(g.groups * cblocks * taps * kMR), bq(g.groups * cblocks * kMR);
  for (std::int64_t grp = 0; grp < g.groups; ++grp)
    for (std::int64_t r = 0; r < cblocks * kMR; ++r) {
      const std::int64_t co = grp * Cog + r, blk = grp * cblocks + r / kMR;
      for (std::int64_t t = 0; t < taps; ++t)
        wq.data()[(blk * taps + t) * kMR + r % kMR] = r < Cog ? w[co * taps + t] : T(0);
      bq.data()[blk * kMR + r % kMR] = bias && r < Cog ? bias[co] : T(0);
    }
  parallel_for(0, g.N, conv_sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
    Scratch<T> xp(g.C * planes.plane);
    for (std::int64_t n = nb; n < ne; ++n) {
      pad_image(x + n * g.C * g.H * g.W, g.C, g, planes, xp.data());
      for (std::int64_t grp = 0; grp < g.groups; ++grp)
        for (std::int64_t cb = 0; cb < cblocks; ++cb) {
          const std::int64_t blk = grp * cblocks + cb, co0 = grp * Cog + cb * kMR;
          T* yb = y + (n * g.Co + co0) * HWo;
          for (std::int64_t oh = 0; oh < g.OH; ++oh)
            for (std::int64_t ow0 = 0; ow0 < g.OW; ow0 += NR)
              run_row_tile_rows<T>(std::min<std::int64_t>(kMR, Cog - cb * kMR),
                                   wq.data() + blk * taps * kMR,
                                   xp.data() + grp * Cg * planes.plane + oh * Wx + ow0, off.data(),
                                   taps, yb + oh * g.OW + ow0, HWo,
                                   std::min<std::int64_t>(NR, g.OW - ow0), bq.data() + blk * kMR);
        }
    }
  });
}

namespace {

// The pairs (input index, kernel index) along one axis whose output index lies inside the
// output: the terms of the input gradient that are not zero padding.
std::int64_t live_pairs(std::int64_t in, std::int64_t out, std::int64_t pad, std::int64_t k,
                        std::int64_t d) {
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < in; ++i)
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t o = i + pad - j * d;
      n += o >= 0 && o < out;
    }
  return n;
}

}  // namespace

bool applicable_input(const Conv2dGeometry& g) {
  if (!applicable(g) || g.sH != 1 || g.sW != 1 || g.Co * g.kH * g.kW > 4096) return false;
  // The share of the tiles' multiply-adds that are real terms: a row's vectors past W, the
  // kernel columns that read gy's zero padding and a partial block of 6 channels are wasted
  // (the kernel rows that fall outside gy are skipped, not wasted). Measured against im2col +
  // GEMM + col2im at 1 thread: LeNet-5's conv2 (0.62) and 6 -> 16, 5x5, pad 2 on 14x14 (0.80)
  // were 2x faster; 16 -> 32, 5x5 on 12x12 (0.44) 15% slower; 3 -> 64, 5x5, pad 2 on 32x32
  // (0.48) even.
  const std::int64_t NR = 16, Wv = (g.W + NR - 1) / NR * NR;
  const double cols =
      static_cast<double>(live_pairs(g.W, g.OW, g.pW, g.kW, g.dW)) / static_cast<double>(Wv * g.kW);
  const double chans = static_cast<double>(g.C) / static_cast<double>((g.C + kMR - 1) / kMR * kMR);
  return cols * chans >= 0.55;
}

template <class T>
void backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx) {
  constexpr std::int64_t NR = kNR<T>;
  // gx[c, iy, ix] = sum over (ky, co, kx) of w[co, c, ky, kx] * gy[co, oy, ox] with
  // oy = iy + pH - ky dH and ox = ix + pW - kx dW, the terms with (oy, ox) outside gy left out.
  // gy's rows are copied with `left` zeros before them and zeros after, so that every ox a
  // vector of ix reads is inside the copy; the rows oy outside gy are left out by the ky range.
  const std::int64_t Wv = (g.W + NR - 1) / NR * NR;
  const std::int64_t left = std::max<std::int64_t>(0, (g.kW - 1) * g.dW - g.pW);
  const std::int64_t Wrow = left + std::max(Wv + g.pW, g.OW), plane = g.OH * Wrow;
  const std::int64_t taps = g.kH * g.Co * g.kW, HW = g.H * g.W;
  const std::int64_t cblocks = (g.C + kMR - 1) / kMR;
  // Taps t = (ky, co, kx), in that order, so that the ky range of a row is a range of t.
  std::vector<std::int64_t> off(static_cast<std::size_t>(taps));
  Scratch<T> wq(cblocks * taps * kMR);  // wq [cblock][t][kMR], zero past C
  for (std::int64_t ky = 0, t = 0; ky < g.kH; ++ky)
    for (std::int64_t co = 0; co < g.Co; ++co)
      for (std::int64_t kx = 0; kx < g.kW; ++kx, ++t) {
        off[static_cast<std::size_t>(t)] = co * plane - ky * g.dH * Wrow - kx * g.dW;
        for (std::int64_t c = 0; c < cblocks * kMR; ++c)
          wq.data()[((c / kMR) * taps + t) * kMR + c % kMR] =
              c < g.C ? w[((co * g.C + c) * g.kH + ky) * g.kW + kx] : T(0);
      }
  parallel_for(0, g.N, conv_sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
    Scratch<T> gyp(g.Co * plane);
    std::fill(gyp.data(), gyp.data() + g.Co * plane, T(0));
    for (std::int64_t n = nb; n < ne; ++n) {
      for (std::int64_t co = 0; co < g.Co; ++co)
        for (std::int64_t oy = 0; oy < g.OH; ++oy)
          copy_row(gy + ((n * g.Co + co) * g.OH + oy) * g.OW,
                   gyp.data() + co * plane + oy * Wrow + left, g.OW);
      T* gxn = gx + n * g.C * HW;
      for (std::int64_t iy = 0; iy < g.H; ++iy) {
        // ky with 0 <= iy + pH - ky dH < OH
        const std::int64_t lo_num = iy + g.pH - g.OH + 1;
        const std::int64_t klo = lo_num <= 0 ? 0 : (lo_num + g.dH - 1) / g.dH;
        const std::int64_t khi = std::min(g.kH - 1, (iy + g.pH) / g.dH);
        if (klo > khi) {
          for (std::int64_t c = 0; c < g.C; ++c)
            std::fill(gxn + c * HW + iy * g.W, gxn + c * HW + (iy + 1) * g.W, T(0));
          continue;
        }
        const std::int64_t t0 = klo * g.Co * g.kW, t1 = (khi + 1) * g.Co * g.kW;
        for (std::int64_t ix0 = 0; ix0 < g.W; ix0 += NR) {
          const T* src = gyp.data() + (iy + g.pH) * Wrow + left + g.pW + ix0;
          for (std::int64_t cb = 0; cb < cblocks; ++cb)
            run_row_tile_rows<T>(std::min<std::int64_t>(kMR, g.C - cb * kMR),
                                 wq.data() + (cb * taps + t0) * kMR, src, off.data() + t0, t1 - t0,
                                 gxn + cb * kMR * HW + iy * g.W + ix0, HW,
                                 std::min<std::int64_t>(NR, g.W - ix0));
        }
      }
    }
  });
}

template <class T>
void backward_weight(const T* x, const T* gy, const Conv2dGeometry& g, T* gw, T* gb) {
  constexpr std::int64_t NR = kNR<T>;
  const Plan pl = plan_of<T>(g);
  const std::int64_t K = pl.K, P = pl.P, CoP = pl.CoP, wsize = g.Co * K;
  const std::int64_t img = g.C * pl.planes.plane;  // one sample's source planes
  std::fill(gw, gw + wsize, T(0));
  if (gb) std::fill(gb, gb + g.Co, T(0));
  if (g.N == 0) return;
  // One partial sum per chunk of samples; the chunks are fixed by the thread count alone.
  const std::int64_t chunks =
      std::max<std::int64_t>(1, std::min<std::int64_t>(num_threads(), g.N / conv_sample_grain(g)));
  // Within a chunk, nb samples per pass of the tiles (their positions one long sum, so that a
  // tile's accumulators are loaded and stored once per group, not per sample), their source
  // planes and gy^T about 128 KiB together. A function of the shapes alone.
  const std::int64_t nb = std::clamp<std::int64_t>((std::int64_t{1} << 15) / (img + P * CoP), 1,
                                                   std::max<std::int64_t>(g.N, 1));
  // pos of sample j of a group: the positions of one sample, shifted by j source images.
  std::vector<std::int64_t> pos(static_cast<std::size_t>(nb * P));
  for (std::int64_t j = 0; j < nb; ++j)
    for (std::int64_t p = 0; p < P; ++p)
      pos[static_cast<std::size_t>(j * P + p)] = j * img + pl.pos[static_cast<std::size_t>(p)];
  std::vector<T> partial(static_cast<std::size_t>((chunks - 1) * wsize));
  std::vector<double> bias_acc(gb ? static_cast<std::size_t>(chunks * g.Co) : 0);
  parallel_for(0, chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
    Scratch<T> xp(pl.pad ? nb * img : 0), gt(nb * P * CoP), acc(K * CoP);
    for (std::int64_t ch = cb; ch < ce; ++ch) {
      std::fill(acc.data(), acc.data() + K * CoP, T(0));
      const std::int64_t n1 = g.N * (ch + 1) / chunks;
      for (std::int64_t n0 = g.N * ch / chunks; n0 < n1; n0 += nb) {
        const std::int64_t m = std::min(nb, n1 - n0);
        // The group's source planes side by side (x itself when there is no padding), and
        // gy [m][Co, P] -> gt [m * P, CoP], zero past Co.
        const T* src = x + n0 * img;
        if (pl.pad) {
          for (std::int64_t j = 0; j < m; ++j)
            pad_image(x + (n0 + j) * g.C * g.H * g.W, g.C, g, pl.planes, xp.data() + j * img);
          src = xp.data();
        }
        std::fill(gt.data(), gt.data() + m * P * CoP, T(0));
        for (std::int64_t j = 0; j < m; ++j)
          for (std::int64_t co = 0; co < g.Co; ++co) {
            const T* gr = gy + ((n0 + j) * g.Co + co) * P;
            T* dst = gt.data() + j * P * CoP + co;
            for (std::int64_t p = 0; p < P; ++p) dst[p * CoP] = gr[p];
          }
        // acc [K, CoP] += cols [K, m * P] * gt, tile by tile, summed over positions in order.
        for (std::int64_t k0 = 0; k0 < K; k0 += kMR)
          for (std::int64_t c0 = 0; c0 < CoP; c0 += NR) {
            T* a = acc.data() + k0 * CoP + c0;
            run_tile_rows<T>(std::min<std::int64_t>(kMR, K - k0), src, pl.off.data() + k0,
                             pos.data(), m * P, gt.data() + c0, CoP, a, CoP, a, CoP);
          }
        if (gb) conv2d_add_bias_sums(gy, g, n0, n0 + m, bias_acc.data() + ch * g.Co);
      }
      T* dst = ch == 0 ? gw : partial.data() + (ch - 1) * wsize;
      for (std::int64_t co = 0; co < g.Co; ++co)
        for (std::int64_t k = 0; k < K; ++k) dst[co * K + k] = acc.data()[k * CoP + co];
    }
  });
  add_partials(gw, partial, chunks, wsize);
  if (gb) conv2d_bias_from_sums(bias_acc.data(), chunks, g.Co, gb);
}

#define TG_INSTANTIATE(T)                                                              \
  template void forward<T>(const T*, const T*, const T*, const Conv2dGeometry&, T*);   \
  template void backward_weight<T>(const T*, const T*, const Conv2dGeometry&, T*, T*); \
  template void backward_input<T>(const T*, const T*, const Conv2dGeometry&, T*);      \
  template void forward_rows<T>(const T*, const T*, const T*, const Conv2dGeometry&, T*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::kernels::implicit
