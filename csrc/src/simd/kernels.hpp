/**
 * @file kernels.hpp
 * @brief The table of kernels one instruction set provides (internal to the core).
 *
 * Every ISA file fills one KernelTable; dispatch.cpp hands out the one to use.
 * All pointers are to float32 rows of `d` elements, C-contiguous.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace mastra::simd {

/// Rows picked out of a table of fixed-size records: row i is record ids[i], at
/// base + ids[i] * stride, and its values start `skip` bytes into the record. A
/// gather kernel prefetches each record from its start, a few rows ahead.
struct RowGather {
  const char* base;
  std::size_t stride;
  std::size_t skip;
  const std::uint32_t* ids;
  std::size_t n;
};

struct KernelTable {
  const char* name;

  /// Inner product of two vectors.
  float (*dot)(const float* a, const float* b, std::size_t d);
  /// Squared norm of one vector.
  float (*norm_sq)(const float* a, std::size_t d);
  /// Squared L2 distance of two vectors.
  float (*l2_sq)(const float* a, const float* b, std::size_t d);

  /// out[i] = q . x_i for the n rows of x.
  void (*scan_ip)(const float* q, const float* x, std::size_t n, std::size_t d, float* out);
  /// out[i] = cosine similarity of q and x_i, given 1/|q| (0 for a zero query);
  /// a zero row scores 0.
  void (*scan_cos)(const float* q, float q_inv_norm, const float* x, std::size_t n,
                   std::size_t d, float* out);
  /// out[i] = |q - x_i|^2.
  void (*scan_l2)(const float* q, const float* x, std::size_t n, std::size_t d, float* out);

  /// Inner product of a float32 query with a float16 (IEEE binary16) row.
  float (*dot_f16)(const float* q, const std::uint16_t* x, std::size_t d);
  /// Inner product of a float32 query with an int8 row (scale applied by the caller).
  float (*dot_i8)(const float* q, const std::int8_t* x, std::size_t d);

  /// out[i] = q . row i of `rows`, for float32, float16 and int8 rows: dot, dot_f16
  /// and dot_i8 over gathered rows, with several rows in flight at once.
  void (*gather_dot)(const float* q, const RowGather& rows, std::size_t d, float* out);
  void (*gather_dot_f16)(const float* q, const RowGather& rows, std::size_t d, float* out);
  void (*gather_dot_i8)(const float* q, const RowGather& rows, std::size_t d, float* out);
  /// out[i] = |q - row i|^2 for float32 rows: l2_sq over gathered rows.
  void (*gather_l2)(const float* q, const RowGather& rows, std::size_t d, float* out);

  /// Sum of n floats (memory-bandwidth probe).
  double (*sum)(const float* x, std::size_t n);

  /// GEMM micro-kernel: C[mr x nr] (+)= A_panel * B_panel^T over kc, where the
  /// panels are packed k-major (a[k * mr + i], b[k * nr + j]) and C has row stride ldc.
  std::size_t mr;
  std::size_t nr;
  void (*gemm_micro)(std::size_t kc, const float* a_panel, const float* b_panel, float* c,
                     std::size_t ldc, bool accumulate);
};

// Each ISA file gives its helpers internal linkage and uses no standard-library
// templates in its kernels: an inline function compiled with AVX flags in one file
// could otherwise be the copy the linker keeps for every file.
const KernelTable& scalar_kernels() noexcept;
#if defined(MASTRA_HAVE_X86_KERNELS)
const KernelTable& avx2_kernels() noexcept;
const KernelTable& avx512_kernels() noexcept;
#endif
#if defined(MASTRA_HAVE_NEON_KERNELS)
const KernelTable& neon_kernels() noexcept;
#endif

/// The table of the active level (see mastra/simd.hpp).
const KernelTable& active_kernels();

}  // namespace mastra::simd
