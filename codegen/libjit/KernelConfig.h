// The blocking of kiln's GEMM-based kernels, shared by the code generator (compiled by
// the host compiler) and libjit (compiled to LLVM bitcode by clang): both sides must
// agree on register tiles and on how much per-worker scratch a kernel carves up.
// Plain constexpr C++ with no includes, so it builds freestanding.
#pragma once

namespace kiln::libjit {

using Index = long long;

/// The instruction set a kernel variant is written for: the width of its vectors.
enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

/// Register tile and cache blocks of the GEMM micro-kernel for one element size.
///   mr x nr     accumulators held in registers (nr = nv vectors of w lanes)
///   kc          depth of a packed panel: a kc x nr panel of B stays in L1
///   mc          rows of packed A per block: mc x kc stays in L2
///   nc          columns of packed B per block (in L3)
struct GemmBlocking {
  int w, mr, nv, nr;
  Index kc, mc, nc;
};

constexpr GemmBlocking gemmBlocking(Isa isa, int elementBytes) {
  switch (isa) {
  case Isa::Avx512: { // 32 zmm: 28 accumulators, 2 of B, 1 broadcast of A
    int w = 64 / elementBytes;
    return {w, 14, 2, 2 * w, 256, 14 * 16, 2048};
  }
  case Isa::Avx2: { // 16 ymm: 12 accumulators, 2 of B, 1 broadcast of A
    int w = 32 / elementBytes;
    return {w, 6, 2, 2 * w, 320, 6 * 16, 2048};
  }
  case Isa::Generic:
    break;
  }
  return {1, 4, 4, 4, 256, 4 * 16, 2048};
}

constexpr Index ceilDiv(Index a, Index b) { return (a + b - 1) / b; }
constexpr Index roundUp(Index a, Index b) { return ceilDiv(a, b) * b; }
constexpr Index minIndex(Index a, Index b) { return a < b ? a : b; }

/// The depth of packed panels for a GEMM of depth k: at most `kc`, and even blocks (288
/// = 2 x 144, not 256 + 32: a short last block pays the full cost of loading and storing
/// the C tile for few multiply-adds).
constexpr Index depthBlock(Index kc, Index k) {
  if (k < 1)
    return 1;
  return roundUp(ceilDiv(k, ceilDiv(k, kc)), 8) < kc ? roundUp(ceilDiv(k, ceilDiv(k, kc)), 8)
                                                     : minIndex(kc, k);
}

/// Elements of packed A, packed B and an edge tile for a GEMM of m x n x k, rounded to
/// 64-byte lines so each part starts aligned.
struct GemmScratch {
  Index a, b, tile;
  constexpr Index total() const { return a + b + tile; }
};

constexpr Index alignElements(Index elements, int elementBytes) {
  return roundUp(elements * elementBytes, 64) / elementBytes;
}

constexpr GemmScratch gemmScratch(Isa isa, int elementBytes, Index m, Index n, Index k) {
  GemmBlocking g = gemmBlocking(isa, elementBytes);
  Index kc = depthBlock(g.kc, k);
  Index mc = minIndex(g.mc, roundUp(m < 1 ? 1 : m, g.mr));
  Index nc = minIndex(g.nc, roundUp(n < 1 ? 1 : n, g.nr));
  return {alignElements(mc * kc, elementBytes), alignElements(kc * nc, elementBytes),
          alignElements(g.mr * g.nr, elementBytes)};
}

/// Convolution geometry (NCHW), as the libjit kernels take it.
struct ConvShape {
  Index n, c, h, w; // input
  Index o, kh, kw;  // filter
  Index ho, wo;     // output
  Index sh, sw, ph, pw, dh, dw, groups;

  constexpr Index cg() const { return c / groups; }
  constexpr Index og() const { return o / groups; }
  constexpr Index k() const { return cg() * kh * kw; }
  constexpr Index outPlane() const { return ho * wo; }
};

/// Per-worker scratch, in elements, of each convolution kernel.
constexpr Index convForwardScratch(Isa isa, int elementBytes, const ConvShape &s) {
  return gemmScratch(isa, elementBytes, s.og(), s.outPlane(), s.k()).total();
}
/// The input gradient computes the column matrix [k, ho*wo] and scatters it (col2im).
constexpr Index convInputGradScratch(Isa isa, int elementBytes, const ConvShape &s) {
  return gemmScratch(isa, elementBytes, s.k(), s.outPlane(), s.og()).total() +
         alignElements(s.k() * s.outPlane(), elementBytes);
}
/// The filter gradient of a chunk of images is one GEMM with depth images * ho * wo. The
/// last chunk may hold fewer images, and a shallower GEMM can take a deeper panel
/// (depthBlock evens out its blocks: 288 is 2 x 144, 256 is one block of 256), so the
/// scratch covers both depths.
constexpr Index convFilterGradScratch(Isa isa, int elementBytes, const ConvShape &s,
                                      Index imagesPerChunk) {
  Index lastChunk = s.n - (ceilDiv(s.n, imagesPerChunk) - 1) * imagesPerChunk;
  Index full = gemmScratch(isa, elementBytes, s.og(), s.k(), imagesPerChunk * s.outPlane()).total();
  Index last = gemmScratch(isa, elementBytes, s.og(), s.k(), lastChunk * s.outPlane()).total();
  return full > last ? full : last;
}

// ---- stride-1 convolutions as shifted-window GEMMs (ConvShifted.h) ----------------

/// The padded-image geometry of a stride-1 convolution (forward view: x -> y). Every
/// read of the kernels stays inside the padded planes: the last output cell under the
/// last tap is the last padded cell.
struct Shifted {
  Index c, hp, wp, plane; ///< channels per group, padded height/width, hp * wp
  Index ho;               ///< output rows
  Index k, kh, kw, dh, dw;

  constexpr Index shift(Index ci, Index ki, Index kj) const {
    return ci * plane + ki * dh * wp + kj * dw;
  }
  constexpr Index padded() const { return c * plane; }
};

constexpr Shifted shiftedOf(Index c, Index h, Index w, Index ph, Index pw, Index ho, Index kh,
                            Index kw, Index dh, Index dw) {
  Index hp = h + 2 * ph, wp = w + 2 * pw;
  return {c, hp, wp, hp * wp, ho, c * kh * kw, kh, kw, dh, dw};
}

/// The view of a stride-1 convolution: x padded by (ph, pw).
constexpr Shifted forwardShifted(const ConvShape &s) {
  return shiftedOf(s.cg(), s.h, s.w, s.ph, s.pw, s.ho, s.kh, s.kw, s.dh, s.dw);
}
/// The forward view of a stride-1 convolution's input gradient: dy padded by
/// (KH-1)*dh - ph convolved with the transposed, flipped filter.
constexpr Shifted inputGradShifted(const ConvShape &s) {
  return shiftedOf(s.og(), s.ho, s.wo, (s.kh - 1) * s.dh - s.ph, (s.kw - 1) * s.dw - s.pw, s.h,
                   s.kh, s.kw, s.dh, s.dw);
}

/// Whether the shifted forms apply: stride 1, and for the input gradient a padding no
/// larger than the dilated kernel.
constexpr bool shiftedApplies(const ConvShape &s) {
  return s.sh == 1 && s.sw == 1 && s.ph <= (s.kh - 1) * s.dh && s.pw <= (s.kw - 1) * s.dw;
}

/// How a shifted convolution lays its output cells on the rows of its product, and how
/// a register tile reads them. Row r is output cell (r / pitch, r % pitch) and reads the
/// padded image from (r / pitch) * wp + r % pitch on, so `run` consecutive rows are one
/// run of the padded image, which the micro-kernel addresses from one pointer. Either
/// the pitch is the padded width (the plane is one long run; the wp - wo pad columns of
/// each row are computed and dropped), or wo rounded up to the run (runs never cross an
/// output row; the cells past wo are dropped). A tile of mr rows is one run of mr cells
/// or two runs of mr / 2 (a second pointer): a 7 x 7 plane then takes a run per output
/// row on AVX-512 instead of 14-cell runs across the pad. Whichever computes the fewest
/// rows; the rows past the last cell read zeroed slack after the padded planes.
struct ShiftedTiling {
  Index run, pitch, rows;
};
constexpr ShiftedTiling shiftedTilingOf(Index run, Index mr, const Shifted &z, Index wo) {
  Index perRow = roundUp(wo, run);
  Index pitch = z.ho * perRow <= roundUp(z.ho * z.wp, run) ? perRow : z.wp;
  return {run, pitch, roundUp(z.ho * pitch, mr)};
}
constexpr ShiftedTiling shiftedTiling(Isa isa, int eb, const Shifted &z, Index wo) {
  Index mr = gemmBlocking(isa, eb).mr;
  ShiftedTiling whole = shiftedTilingOf(mr, mr, z, wo);
  if (mr % 2 != 0)
    return whole;
  ShiftedTiling halves = shiftedTilingOf(mr / 2, mr, z, wo);
  return halves.rows < whole.rows ? halves : whole;
}

/// Where the per-worker scratch of a shifted forward (or input-gradient) convolution
/// puts its parts, in elements from the start: the padded input at 0 with its slack (the
/// last tile's rows may start up to two padded rows past the last output row; with the
/// widest tap they read less than 2 * wp + mr cells past the planes), the
/// transposed product [shiftedTiling's rows, channels (padded to nr)], the table of K shifts
/// (8-byte integers). `channels` are the output's, `wo` its valid width.
struct ShiftedScratch {
  Index product, offsets, total;
};
constexpr ShiftedScratch shiftedScratch(Isa isa, int eb, const Shifted &z, Index channels,
                                        Index wo) {
  GemmBlocking g = gemmBlocking(isa, eb);
  Index product = alignElements(z.padded() + g.mr + 2 * z.wp, eb);
  Index rows = shiftedTiling(isa, eb, z, wo).rows;
  Index offsets = product + alignElements(rows * roundUp(channels, g.nr), eb);
  return {product, offsets, offsets + alignElements(z.k * 8 / eb, eb)};
}

/// Elements of a shifted convolution's filter packed once per call for every image, as
/// B panels: the forward's (Og columns per group) or the input gradient's (Cg columns
/// per group, of the transposed, flipped filter).
constexpr Index packedForwardFilter(Isa isa, int eb, const ConvShape &s) {
  return s.groups * roundUp(s.og(), gemmBlocking(isa, eb).nr) * s.k();
}
constexpr Index packedInputGradFilter(Isa isa, int eb, const ConvShape &s) {
  return s.groups * roundUp(s.cg(), gemmBlocking(isa, eb).nr) * s.og() * s.kh * s.kw;
}

/// One chunk's (and group's) transposed filter gradient: [rows = K padded to mr,
/// cols = Og padded to nr], so that the micro-kernels write whole tiles.
struct FilterGradPart {
  Index rows, cols;
  constexpr Index elements() const { return rows * cols; }
};
constexpr FilterGradPart shiftedFilterGradPart(Isa isa, int eb, const ConvShape &s) {
  GemmBlocking g = gemmBlocking(isa, eb);
  return {roundUp(s.k(), g.mr), roundUp(s.og(), g.nr)};
}

/// The per-worker scratch of the shifted filter gradient, in elements: the padded image
/// at 0, dy transposed into nr-wide panels over the output plane, the table of shifts.
struct FilterGradScratch {
  Index dyT, offsets, total;
};
constexpr FilterGradScratch shiftedFilterGradScratch(Isa isa, int eb, const ConvShape &s) {
  GemmBlocking g = gemmBlocking(isa, eb);
  Shifted z = forwardShifted(s);
  Index dyT = alignElements(z.padded(), eb);
  Index offsets = dyT + alignElements(s.outPlane() * roundUp(s.og(), g.nr), eb);
  return {dyT, offsets, offsets + alignElements(z.k * 8 / eb, eb)};
}

} // namespace kiln::libjit
