/**
 * @file gemm.hpp
 * @brief Blocked A * B^T over float32 rows, handed out tile by tile (internal).
 *
 * The classic three-level blocking: B is packed in panels of `nr` rows for a block
 * of `nc` rows (the L3-resident block), A is packed once in panels of `mr` rows,
 * and the ISA's micro-kernel keeps an mr x nr tile of C in registers over a `kc`
 * slice of the dimension. Finished tiles go to a callback (the "epilogue") that
 * turns dot products into scores or feeds a top-k selection.
 */
#pragma once

#include <cstddef>
#include <functional>

#include "aligned_buffer.hpp"
#include "mastra/span.hpp"
#include "simd/kernels.hpp"

namespace mastra::detail {

/// All rows of A packed in mr-row panels, k-major over the full dimension.
class PackedA {
 public:
  PackedA(const simd::KernelTable& kernels, MatrixView a);

  /// Pointer to the kc x mr micro-panel holding rows [panel * mr, +mr) from column p0.
  const float* panel(std::size_t panel_index, std::size_t p0) const noexcept {
    return buffer_.data() + panel_index * dim_ * mr_ + p0 * mr_;
  }

 private:
  AlignedBuffer buffer_;
  std::size_t dim_;
  std::size_t mr_;
};

/// A finished block of dot products: rows [i0, i0 + rows) of A against rows
/// [j0, j0 + cols) of B, at tile[r * ld + c].
struct Tile {
  std::size_t i0;
  std::size_t j0;
  std::size_t rows;
  std::size_t cols;
  const float* data;
  std::size_t ld;
};

using TileSink = std::function<void(const Tile&)>;

/// Buffers one thread reuses across calls of gemm_nt (packed B block and C tile).
struct GemmWorkspace {
  AlignedBuffer packed_b;
  AlignedBuffer c_tile;
};

/// An optional destination for the dot products: C[i][j] at data[i * ld + j].
struct OutputMatrix {
  float* data = nullptr;
  std::size_t ld = 0;
};

/// Number of B rows per packed block for this dimension (a multiple of nr).
std::size_t gemm_block_rows(const simd::KernelTable& kernels, std::size_t dim) noexcept;

/// Computes A[i_begin:i_end] * B[j_begin:j_end]^T and hands every tile to `sink`.
/// With `direct`, the products are written straight into it (no extra pass over a
/// large output) and the tiles handed to `sink` point into it, for in-place scoring.
/// i_begin must be a multiple of kernels.mr.
void gemm_nt(const simd::KernelTable& kernels, const PackedA& a, MatrixView b,
             std::size_t i_begin, std::size_t i_end, std::size_t j_begin, std::size_t j_end,
             GemmWorkspace& workspace, const TileSink& sink, OutputMatrix direct = {});

}  // namespace mastra::detail
