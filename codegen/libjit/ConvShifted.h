// libjit's stride-1 convolutions as "shifted-window" implicit GEMMs, which need no
// im2col packing and no col2im scatter.
//
// Pad the image into xp [Cg, Hp, Wp] (zero borders). Then the cell of im2col row p =
// (ci, ki, kj) under output cell (oh, ow) is xp[oh * Wp + ow + shift(p)] with
//   shift(p) = ci * Hp * Wp + ki * dh * Wp + kj * dw,
// so the micro-kernels read the image in place (through a table of shifts, or row
// pointers): nothing of the image is packed.
//   forward      y^T [Ho*Wo, Og] = im2col^T [Ho*Wo, K] x w[g]^T [K, Og]: row i of
//                im2col^T is the cell under output cell i at every shift; a register
//                tile's rows are consecutive cells of the padded image (one pointer),
//                so a few pad cells per output row are computed and dropped
//   input grad   stride 1 makes dx a forward convolution of dy, padded by
//                (KH-1)*dh - ph, with the filter transposed (C <-> O) and flipped
//   filter grad  dW^T [K, Og] = B [K, Ho*Wo] x dyT [Ho*Wo, Og], the depth running over
//                the valid columns only (rows of B are Ho runs of Wo cells, Wp apart),
//                dy transposed into panels, summed over the images of a chunk
#pragma once

#include "kiln/codegen/libjit/Gemm.h"

namespace kiln::libjit {

/// xp = `planes` planes of [h, w] from `x` (plane stride h*w), zero-padded by (ph, pw)
/// into planes of z.hp x z.wp.
template <typename T>
KILN_INLINE void padPlanes(const T *x, Index planes, Index h, Index w, Index ph, Index pw,
                           const Shifted &z, T *xp) {
  for (Index ci = 0; ci < planes; ++ci) {
    T *out = xp + ci * z.plane;
    const T *in = x + ci * h * w;
    for (Index i = 0; i < ph * z.wp; ++i)
      out[i] = T(0);
    for (Index r = 0; r < h; ++r) {
      T *row = out + (r + ph) * z.wp;
      for (Index i = 0; i < pw; ++i)
        row[i] = T(0);
      for (Index i = 0; i < w; ++i)
        row[pw + i] = in[r * w + i];
      for (Index i = pw + w; i < z.wp; ++i)
        row[i] = T(0);
    }
    for (Index i = (h + ph) * z.wp; i < z.plane; ++i)
      out[i] = T(0);
  }
}

/// Offsets into the padded image may be stored in scratch typed as T.
typedef Index __attribute__((may_alias)) ShiftIndex;

/// off[p] = shift(p) for every row p = (ci, ki, kj) of the implicit im2col matrix.
KILN_INLINE void shiftTable(const Shifted &z, ShiftIndex *off) {
  Index p = 0;
  for (Index ci = 0; ci < z.c; ++ci)
    for (Index ki = 0; ki < z.kh; ++ki)
      for (Index kj = 0; kj < z.kw; ++kj)
        off[p++] = z.shift(ci, ki, kj);
}

/// c[mr x nr] (+)= A B where A(i, p) = run[off[p] + i]: row i is the cell i places
/// after `run` in the padded image, read in place under tap p, and B is a packed panel
/// (pb[p*nr + j]). With Runs = 2 the tile's second half reads the run `runStride`
/// cells on (A(i, p) = run[runStride + off[p] + i - mr / 2]). One pointer per run and
/// the shift address every broadcast, so the mr x nv accumulators, B's row and a
/// broadcast fit the vector registers and nothing spills.
template <typename T, Isa I, int Runs>
__attribute__((noinline)) void
microKernelRunA(Index k, const T *__restrict run, Index runStride, const ShiftIndex *__restrict off,
                const T *__restrict pb, T *__restrict c, Index ldc, int accumulate) {
  using Tile = AccumulatorTile<T, I>;
  constexpr int half = Tile::B::mr / Runs;
  Tile tile;
  tile.zero();
  for (Index p = 0; p < k; ++p) {
    typename Tile::V b[Tile::B::nv];
    Tile::loadRow(b, pb);
    const T *a0 = run + off[p], *a1 = a0 + runStride - half;
    tile.step([&](int i) { return i < half ? a0[i] : a1[i]; }, b);
    pb += Tile::B::nr;
  }
  tile.store(c, ldc, accumulate);
}

/// c[mr x nr] (+)= A B where the depth runs over the valid cells (r, t) of `outRows`
/// output rows, r < outRows, t < wo: A(i, (r, t)) = rows[i][r * wp + t] (runs of a
/// shifted image, wp apart), and B is a packed panel (pb[(r * wo + t) * nr + j]).
template <typename T, Isa I>
__attribute__((noinline)) void
microKernelRowsA(Index outRows, Index wo, Index wp, const T *const *__restrict rows,
                 const T *__restrict pb, T *__restrict c, Index ldc, int accumulate) {
  using Tile = AccumulatorTile<T, I>;
  const T *r[Tile::B::mr];
#pragma unroll
  for (int i = 0; i < Tile::B::mr; ++i)
    r[i] = rows[i];
  Tile tile;
  tile.zero();
  for (Index row = 0; row < outRows; ++row) {
    for (Index t = 0; t < wo; ++t) {
      typename Tile::V b[Tile::B::nv];
      Tile::loadRow(b, pb);
      tile.step([&](int i) { return r[i][t]; }, b);
      pb += Tile::B::nr;
    }
#pragma unroll
    for (int i = 0; i < Tile::B::mr; ++i)
      r[i] += wp;
  }
  tile.store(c, ldc, accumulate);
}

/// B(p = (o, ki, kj), c) = w[g*Og + o][c][KH-1-ki][KW-1-kj]: the filter of the input
/// gradient as a forward convolution (channels swapped, taps flipped), packed as the B
/// operand (columns = input channels).
template <typename T, Isa I> struct FlippedFilterB {
  const T *w; ///< group g's first filter
  Index cg, kh, kw;
  KILN_SHARED void operator()(T *dst, Index p0, Index p1, Index j0, Index j1) const {
    constexpr int nr = Blocking<T, I>::nr;
    Index khw = kh * kw;
    for (Index j = j0; j < j1; j += nr) {
      Index cols = minIndex(nr, j1 - j);
      for (Index p = p0; p < p1; ++p, dst += nr) {
        Index o = p / khw, t = p - o * khw;
        const T *src = w + (o * cg + j) * khw + khw - 1 - t; // channel j, tap flipped
        for (int jj = 0; jj < nr; ++jj)
          dst[jj] = jj < cols ? src[jj * khw] : T(0);
      }
    }
  }
};

/// Packs the filter of a shifted forward convolution (B panels: K x Og, per group).
template <typename T, Isa I>
KILN_INLINE void packForwardFilter(const T *w, T *packed, const ConvShape &s) {
  using B = Blocking<T, I>;
  Index k = s.k(), cols = roundUp(s.og(), B::nr);
  Index kc = depthBlock(B::g.kc, k);
  for (Index g = 0; g < s.groups; ++g)
    prepackB(StridedB<T, I>{w + g * s.og() * k, 1, k}, packed + g * cols * k, s.og(), k, kc, cols);
}

/// Packs the transposed, flipped filter of a shifted input gradient (B panels, per group).
template <typename T, Isa I>
KILN_INLINE void packInputGradFilter(const T *w, T *packed, const ConvShape &s) {
  using B = Blocking<T, I>;
  Index k = s.og() * s.kh * s.kw, cols = roundUp(s.cg(), B::nr);
  Index kc = depthBlock(B::g.kc, k);
  for (Index g = 0; g < s.groups; ++g)
    prepackB(FlippedFilterB<T, I>{w + g * s.og() * s.k(), s.cg(), s.kh, s.kw},
             packed + g * cols * k, s.cg(), k, kc, cols);
}

/// The most taps convolveOneChannel takes (a local array of one channel's taps: kernels
/// up to 8 x 8); larger filters take the GEMM form.
constexpr Index kDirectMaxTaps = 64;

/// out (channels x ho x wo) = the convolution of the one padded plane `xp` (view `z`,
/// z.c == 1) with the filter packed at `b` (as shiftedConvolve takes it), computed
/// directly: each output row as vectors along the row, each a sum of kh x kw shifted
/// loads times the channel's taps. The GEMM form of this product has depth kh x kw only,
/// so its tile stores and the transposition into planes would cost more than the
/// multiply-adds (the first convolution of a grey-scale CNN).
template <typename T, Isa I>
KILN_INLINE void convolveOneChannel(const T *__restrict xp, const Shifted &z, const T *__restrict b,
                                    Index channels, Index wo, T *__restrict out) {
  using Bk = Blocking<T, I>;
  using V = typename VecOf<T, Bk::w>::type;
  Index ldc = roundUp(channels, Bk::nr), kc = depthBlock(Bk::g.kc, z.k);
  Index plane = z.ho * wo;
  for (Index o = 0; o < channels; ++o) {
    // Tap p of channel o in PrepackedB's layout (depth blocks of kc, panels of nr).
    T tap[kDirectMaxTaps];
    Index j0 = o - o % Bk::nr;
    for (Index p = 0; p < z.k; ++p) {
      Index p0 = p - p % kc, depth = minIndex(kc, z.k - p0);
      tap[p] = b[p0 * ldc + j0 * depth + (p - p0) * Bk::nr + (o - j0)];
    }
    for (Index oh = 0; oh < z.ho; ++oh) {
      const T *row = xp + oh * z.wp;
      T *dst = out + o * plane + oh * wo;
      // The last vector reads past the row (at most w - 1 cells past the plane, into
      // the zeroed slack) and stores only its valid lanes.
      for (Index ow = 0; ow < wo; ow += Bk::w) {
        V acc = T(0);
        for (Index ki = 0; ki < z.kh; ++ki)
          for (Index kj = 0; kj < z.kw; ++kj)
            acc += tap[ki * z.kw + kj] * loadVec<V>(row + ki * z.dh * z.wp + kj * z.dw + ow);
        if (ow + Bk::w <= wo) {
          storeVec(dst + ow, acc);
          continue;
        }
        T lanes[Bk::w];
        storeVec(lanes, acc);
        for (Index l = 0; l < wo - ow; ++l)
          dst[ow + l] = lanes[l];
      }
    }
  }
}

/// out (channels x ho x wo) = the convolution of `in` (planes of h x w, padded by ph, pw
/// into the forward view `z`) with the filter packed at `b` (channels padded to nr,
/// depth blocks as prepackB lays them out), computed transposed: C [rows, channels] =
/// A [rows, K] x B, A read in place from the padded image, rows laid out by
/// shiftedTiling (whole runs of the image; the rows that are no output cell are dropped).
template <typename T, Isa I>
KILN_INLINE void shiftedConvolve(const T *in, Index h, Index w, Index ph, Index pw,
                                 const Shifted &z, const T *b, Index channels, Index wo, T *out,
                                 T *scratch) {
  using B = Blocking<T, I>;
  ShiftedScratch layout = shiftedScratch(I, sizeof(T), z, channels, wo);
  T *xp = scratch, *c = scratch + layout.product;
  ShiftIndex *off = reinterpret_cast<ShiftIndex *>(scratch + layout.offsets);
  padPlanes(in, z.c, h, w, ph, pw, z, xp);
  for (Index i = z.padded(); i < layout.product; ++i) // the slack the last runs read
    xp[i] = T(0);
  if (z.c == 1 && z.k <= kDirectMaxTaps) {
    convolveOneChannel<T, I>(xp, z, b, channels, wo, out);
    return;
  }
  shiftTable(z, off);
  ShiftedTiling tiling = shiftedTiling(I, sizeof(T), z, wo);
  Index pitch = tiling.pitch;
  auto cell = [&](Index row) { // where row `row` of the product reads the padded image
    Index oh = row / pitch;
    return oh * z.wp + (row - oh * pitch);
  };
  Index ldc = roundUp(channels, B::nr);
  PrepackedB<T> filter{b, ldc, depthBlock(B::g.kc, z.k)};
  // Every tile is whole: c has mr-padded rows and nr-padded columns.
  for (Index pc = 0; pc < z.k; pc += filter.kc) {
    Index depth = minIndex(filter.kc, z.k - pc);
    for (Index j = 0; j < ldc; j += B::nr)
      for (Index i = 0; i < tiling.rows; i += B::mr) {
        const T *pb = filter.panel(pc, j, depth);
        T *ci = c + i * ldc + j;
        if (tiling.run == B::mr)
          microKernelRunA<T, I, 1>(depth, xp + cell(i), 0, off + pc, pb, ci, ldc, pc > 0);
        else
          microKernelRunA<T, I, 2>(depth, xp + cell(i), cell(i + tiling.run) - cell(i), off + pc,
                                   pb, ci, ldc, pc > 0);
      }
  }
  Index plane = z.ho * wo;
  if (pitch == wo) {
    copyTransposed(c, ldc, plane, channels, out, plane);
    return;
  }
  for (Index oh = 0; oh < z.ho; ++oh)
    copyTransposed(c + oh * pitch * ldc, ldc, wo, channels, out + oh * wo, plane);
}

/// Forward convolution of image n, group g (item = n * groups + g), stride 1, with the
/// filter from packForwardFilter.
template <typename T, Isa I>
KILN_INLINE void convForwardShifted(const T *x, const T *packed, T *y, const ConvShape &s,
                                    Index item, T *scratch) {
  Index n = item / s.groups, g = item - n * s.groups;
  Shifted z = forwardShifted(s);
  Index cols = roundUp(s.og(), Blocking<T, I>::nr);
  shiftedConvolve<T, I>(x + (n * s.c + g * s.cg()) * s.h * s.w, s.h, s.w, s.ph, s.pw, z,
                        packed + g * cols * s.k(), s.og(), s.wo,
                        y + (n * s.o + g * s.og()) * s.outPlane(), scratch);
}

/// Input gradient of image n, group g (item = n * groups + g), stride 1, with the filter
/// from packInputGradFilter: a forward convolution of dy padded by (KH-1)*dh - ph. Every
/// dx cell of the item is written.
template <typename T, Isa I>
KILN_INLINE void convInputGradShifted(const T *dy, const T *packed, T *dx, const ConvShape &s,
                                      Index item, T *scratch) {
  Index n = item / s.groups, g = item - n * s.groups;
  Shifted z = inputGradShifted(s);
  Index cols = roundUp(s.cg(), Blocking<T, I>::nr);
  shiftedConvolve<T, I>(dy + (n * s.o + g * s.og()) * s.outPlane(), s.ho, s.wo,
                        (s.kh - 1) * s.dh - s.ph, (s.kw - 1) * s.dw - s.pw, z,
                        packed + g * cols * z.k, s.cg(), s.w,
                        dx + (n * s.c + g * s.cg()) * s.h * s.w, scratch);
}

/// dyT[panel][q][jj] = dy[o0 + jj][q] for the cells q of one image's output plane: nr
/// output channels per panel, zero in the channels past Og.
template <typename T, Isa I>
KILN_INLINE void packPlanesTransposed(const T *dy, Index og, Index plane, T *dyT) {
  constexpr int nr = Blocking<T, I>::nr;
  for (Index o0 = 0; o0 < og; o0 += nr, dyT += plane * nr) {
    Index channels = minIndex(nr, og - o0);
    const T *src = dy + o0 * plane;
    if (channels == nr) {
      packTransposed<nr>(dyT, src, plane, plane);
      continue;
    }
    for (Index q = 0; q < plane; ++q)
      for (int jj = 0; jj < nr; ++jj)
        dyT[q * nr + jj] = jj < channels ? src[jj * plane + q] : T(0);
  }
}

/// The filter gradient of one chunk of images for group g (item = chunk * groups + g),
/// transposed: parts[item] is [K (mr-padded), Og (nr-padded)], the sum over the chunk's
/// images of im2col [K, Ho*Wo] x dyT [Ho*Wo, Og]. Row p of im2col is Ho runs of Wo cells
/// of the padded image from shift(p), Wp apart: read in place. kiln_conv2d_filter_grad_sum_*
/// sums the chunks in order and transposes into dw.
template <typename T, Isa I>
KILN_INLINE void convFilterGradShifted(const T *x, const T *dy, T *parts, const ConvShape &s,
                                       Index imagesPerChunk, Index item, T *scratch) {
  using B = Blocking<T, I>;
  Index chunk = item / s.groups, g = item - chunk * s.groups;
  Index n0 = chunk * imagesPerChunk, n1 = minIndex(s.n, n0 + imagesPerChunk);
  Shifted z = forwardShifted(s);
  FilterGradScratch layout = shiftedFilterGradScratch(I, sizeof(T), s);
  T *xp = scratch, *dyT = scratch + layout.dyT;
  ShiftIndex *off = reinterpret_cast<ShiftIndex *>(scratch + layout.offsets);
  shiftTable(z, off);
  FilterGradPart part = shiftedFilterGradPart(I, sizeof(T), s);
  T *out = parts + item * part.elements();
  Index plane = s.outPlane();
  // Depth blocks of whole output rows, about kc cells each: a block of dyT stays in L1.
  Index rowsPerBlock = B::g.kc / s.wo > 0 ? B::g.kc / s.wo : 1;
  for (Index n = n0; n < n1; ++n) {
    padPlanes(x + (n * s.c + g * s.cg()) * s.h * s.w, s.cg(), s.h, s.w, s.ph, s.pw, z, xp);
    packPlanesTransposed<T, I>(dy + (n * s.o + g * s.og()) * plane, s.og(), plane, dyT);
    for (Index oh = 0; oh < s.ho; oh += rowsPerBlock) {
      Index outRows = minIndex(rowsPerBlock, s.ho - oh);
      for (Index i = 0; i < part.rows; i += B::mr) {
        const T *rows[B::mr];
        for (int ii = 0; ii < B::mr; ++ii) // rows past K repeat the last one; dropped later
          rows[ii] = xp + off[minIndex(i + ii, z.k - 1)] + oh * z.wp;
        for (Index j = 0; j < part.cols; j += B::nr)
          microKernelRowsA<T, I>(outRows, s.wo, z.wp, rows, dyT + j * plane + oh * s.wo * B::nr,
                                 out + i * part.cols + j, part.cols, n > n0 || oh > 0);
      }
    }
  }
  if (n1 <= n0)
    for (Index i = 0; i < part.elements(); ++i)
      out[i] = T(0);
}

/// dw[g*Og + o][p] = the sum over chunks of parts[chunk][g][p][o], chunks in order;
/// each part is [rows, cols] (K and Og padded, see shiftedFilterGradPart). Reads run
/// along o (contiguous in every part); the transposed writes stride by k.
template <typename T>
KILN_INLINE void sumTransposedChunks(const T *parts, T *dw, Index chunks, Index groups, Index k,
                                     Index og, Index rows, Index cols) {
  Index part = rows * cols;
  for (Index g = 0; g < groups; ++g)
    for (Index p = 0; p < k; ++p) {
      const T *first = parts + g * part + p * cols;
      for (Index o = 0; o < og; ++o) {
        T sum = first[o];
        for (Index c = 1; c < chunks; ++c)
          sum += first[c * groups * part + o];
        dw[(g * og + o) * k + p] = sum;
      }
    }
}

} // namespace kiln::libjit
