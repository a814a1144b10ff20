/**
 * @file gemm.cpp
 * @brief The blocked GEMM driver; the register-level micro-kernels are per ISA in simd/.
 */
#include "gemm.hpp"

#include <algorithm>
#include <cstring>

namespace mastra::detail {
namespace {

constexpr std::size_t kMaxKc = 256;                       // floats of the dimension per pass
constexpr std::size_t kPanelsPerMc = 16;                  // A block = 16 micro-panels
constexpr std::size_t kPackedBlockBytes = 2u << 20;       // packed B block budget (L3)
constexpr std::size_t kMaxBlockRows = 1024;

std::size_t round_up(std::size_t value, std::size_t multiple) noexcept {
  return (value + multiple - 1) / multiple * multiple;
}

/// Splits the dimension into equal passes of at most kMaxKc.
std::size_t pass_width(std::size_t dim) noexcept {
  const std::size_t passes = (dim + kMaxKc - 1) / kMaxKc;
  return (dim + passes - 1) / passes;
}

/// Packs `rows` rows of `src` (row stride dim) into panels of `width` rows,
/// k-major: out[panel][k][r]; rows past the end are zero.
void pack_panels(const float* src, std::size_t rows, std::size_t dim, std::size_t width,
                 float* out) {
  for (std::size_t p0 = 0; p0 < rows; p0 += width) {
    const std::size_t used = std::min(width, rows - p0);
    float* panel = out + (p0 / width) * dim * width;
    if (used < width) std::memset(panel, 0, dim * width * sizeof(float));
    for (std::size_t r = 0; r < used; ++r) {
      const float* row = src + (p0 + r) * dim;
      for (std::size_t k = 0; k < dim; ++k) panel[k * width + r] = row[k];
    }
  }
}

}  // namespace

PackedA::PackedA(const simd::KernelTable& kernels, MatrixView a)
    : dim_(a.dim), mr_(kernels.mr) {
  const std::size_t panels = (a.rows + mr_ - 1) / mr_;
  buffer_.resize(panels * mr_ * dim_);
  pack_panels(a.data, a.rows, a.dim, mr_, buffer_.data());
}

std::size_t gemm_block_rows(const simd::KernelTable& kernels, std::size_t dim) noexcept {
  const std::size_t by_budget = kPackedBlockBytes / (dim * sizeof(float));
  const std::size_t rows = std::min(kMaxBlockRows, std::max(kernels.nr, by_budget));
  return rows / kernels.nr * kernels.nr;
}

namespace {

/// Where the micro-kernels of one (ic, jc) block write: straight into the caller's
/// output for whole micro-tiles when it has one, else into the workspace tile.
struct BlockTarget {
  float* tile;         // workspace tile, row stride tile_ld
  std::size_t tile_ld;
  OutputMatrix direct;  // caller's output (data == nullptr when absent)
  std::size_t ic;
  std::size_t jc;
  std::size_t rows;
  std::size_t cols;

  bool whole(std::size_t ir, std::size_t jr, std::size_t mr, std::size_t nr) const noexcept {
    return direct.data != nullptr && ir + mr <= rows && jr + nr <= cols;
  }

  float* at(std::size_t ir, std::size_t jr, std::size_t mr, std::size_t nr,
            std::size_t& ld) const noexcept {
    if (whole(ir, jr, mr, nr)) {
      ld = direct.ld;
      return direct.data + (ic + ir) * direct.ld + jc + jr;
    }
    ld = tile_ld;
    return tile + ir * tile_ld + jr;
  }

  /// Copies the edge micro-tiles (those not written in place) into the output.
  void flush_edges(std::size_t mr, std::size_t nr) const noexcept {
    for (std::size_t ir = 0; ir < rows; ir += mr) {
      for (std::size_t jr = 0; jr < cols; jr += nr) {
        if (whole(ir, jr, mr, nr)) continue;
        const std::size_t r_end = std::min(rows, ir + mr);
        const std::size_t c_count = std::min(cols, jr + nr) - jr;
        for (std::size_t r = ir; r < r_end; ++r) {
          std::memcpy(direct.data + (ic + r) * direct.ld + jc + jr, tile + r * tile_ld + jr,
                      c_count * sizeof(float));
        }
      }
    }
  }
};

}  // namespace

void gemm_nt(const simd::KernelTable& kernels, const PackedA& a, MatrixView b,
             std::size_t i_begin, std::size_t i_end, std::size_t j_begin, std::size_t j_end,
             GemmWorkspace& workspace, const TileSink& sink, OutputMatrix direct) {
  const std::size_t mr = kernels.mr;
  const std::size_t nr = kernels.nr;
  const std::size_t dim = b.dim;
  const std::size_t nc = gemm_block_rows(kernels, dim);
  const std::size_t mc = mr * kPanelsPerMc;
  const std::size_t kc = pass_width(dim);

  // The tile's row stride is padded off a multiple of 4 KiB so that the rows a
  // micro-kernel stores do not alias in the L1 cache.
  const std::size_t tile_ld = nc + 16;
  workspace.packed_b.resize(nc * dim);
  workspace.c_tile.resize(mc * tile_ld);
  float* packed_b = workspace.packed_b.data();

  for (std::size_t jc = j_begin; jc < j_end; jc += nc) {
    const std::size_t cols = std::min(nc, j_end - jc);
    const std::size_t cols_padded = round_up(cols, nr);
    pack_panels(b.row(jc), cols, dim, nr, packed_b);
    for (std::size_t ic = i_begin; ic < i_end; ic += mc) {
      const BlockTarget target{workspace.c_tile.data(), tile_ld, direct, ic, jc,
                               std::min(mc, i_end - ic), cols};
      for (std::size_t p0 = 0; p0 < dim; p0 += kc) {
        const std::size_t width = std::min(kc, dim - p0);
        for (std::size_t jr = 0; jr < cols_padded; jr += nr) {
          const float* b_panel = packed_b + (jr / nr) * dim * nr + p0 * nr;
          for (std::size_t ir = 0; ir < target.rows; ir += mr) {
            std::size_t ld = 0;
            float* c = target.at(ir, jr, mr, nr, ld);
            kernels.gemm_micro(width, a.panel((ic + ir) / mr, p0), b_panel, c, ld, p0 > 0);
          }
        }
      }
      if (direct.data != nullptr) {
        target.flush_edges(mr, nr);
        sink(Tile{ic, jc, target.rows, cols, direct.data + ic * direct.ld + jc, direct.ld});
      } else {
        sink(Tile{ic, jc, target.rows, cols, target.tile, tile_ld});
      }
    }
  }
}

}  // namespace mastra::detail
