/**
 * @file gather.hpp
 * @brief Helpers for the gather kernels (KernelTable::gather_dot*): where a gathered
 *        row lives, prefetching its record, and the one-row-at-a-time loop that the
 *        levels without a wider kernel use. Internal to the core.
 *
 * Everything here has internal linkage: each ISA file compiles its own copy with its
 * own instruction-set flags (see kernels.hpp).
 */
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels.hpp"

#if defined(_MSC_VER) && !defined(__clang__) && (defined(_M_X64) || defined(_M_IX86))
#include <xmmintrin.h>
#endif

namespace mastra::simd {
namespace {

/// Records a gather loads ahead of the row it scores.
constexpr std::size_t kGatherAhead = 8;

/// Row i of a gather, read as `Row`.
template <typename Row>
const Row* gathered_row(const RowGather& rows, std::size_t i) {
  return reinterpret_cast<const Row*>(rows.base + rows.ids[i] * rows.stride + rows.skip);
}

/// Starts loading the first `bytes` of record i into L2. (An L1 prefetch holds one
/// of the core's few L1 miss buffers until its line arrives, stalling the loads
/// behind it.)
inline void prefetch_record(const RowGather& rows, std::size_t i, std::size_t bytes) {
  const char* p = rows.base + rows.ids[i] * rows.stride;
  for (const char* end = p + bytes; p < end; p += 64) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 0, 2);
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
    _mm_prefetch(p, _MM_HINT_T1);
#endif
  }
}

/// q . row for the rows of a gather with the one-row kernel `Dot`, one row at a
/// time, each record loading kGatherAhead rows before its turn.
template <typename Row, float (*Dot)(const float*, const Row*, std::size_t)>
void gather_rows(const float* q, const RowGather& rows, std::size_t d, float* out) {
  const std::size_t record = rows.skip + d * sizeof(Row);
  for (std::size_t i = 0; i < rows.n && i < kGatherAhead; ++i) prefetch_record(rows, i, record);
  for (std::size_t r = 0; r < rows.n; ++r) {
    if (r + kGatherAhead < rows.n) prefetch_record(rows, r + kGatherAhead, record);
    out[r] = Dot(q, gathered_row<Row>(rows, r), d);
  }
}

}  // namespace
}  // namespace mastra::simd
