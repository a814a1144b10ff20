/**
 * @file kernels_avx512.cpp
 * @brief x86-64 kernels using AVX-512F (16 x float32 lanes) with FMA. Compiled with
 *        AVX-512 flags only here; called only after dispatch.cpp detected AVX-512F
 *        and operating-system support for the ZMM state.
 *
 * Same structure as the AVX2 kernels (one row at a time, software prefetch ahead);
 * tails use AVX-512 masked loads, which never touch memory past the row.
 */
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "gather.hpp"
#include "kernels.hpp"

// GCC 12's own AVX-512 headers trip -Wuninitialized when their helpers (built on
// _mm256_undefined_ps) are inlined at -O3: a false positive in the compiler's
// headers (GCC bug 105593), not in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace mastra::simd {
namespace {

constexpr std::size_t kLanes = 16;

inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

/// Mask of the first min(count, 16) lanes.
inline __mmask16 tail_mask(std::size_t count) {
  return count >= kLanes ? static_cast<__mmask16>(0xFFFF)
                         : static_cast<__mmask16>((1u << count) - 1u);
}

// Software prefetch this far ahead of a row scan (as in the AVX2 kernels).
constexpr std::size_t kPrefetchFloats = 2048;

inline void prefetch(const float* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

/// Inner product; kStream prefetches far ahead of `b`, for scans over many rows
/// (a pairwise call must not: it would fetch unrelated memory).
template <bool kStream>
float dot_impl(const float* a, const float* b, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    if constexpr (kStream) prefetch(b + i + kPrefetchFloats);
    if constexpr (kStream) prefetch(b + i + 16 + kPrefetchFloats);
    if constexpr (kStream) prefetch(b + i + 32 + kPrefetchFloats);
    if constexpr (kStream) prefetch(b + i + 48 + kPrefetchFloats);
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), acc3);
  }
  for (; i + kLanes <= d; i += kLanes) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  }
  if (i < d) {
    const __mmask16 m = tail_mask(d - i);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i),
                           acc1);
  }
  return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

float dot(const float* a, const float* b, std::size_t d) { return dot_impl<false>(a, b, d); }

float norm_sq(const float* a, std::size_t d) { return dot(a, a, d); }

template <bool kStream>
float l2_impl(const float* a, const float* b, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 2 * kLanes <= d; i += 2 * kLanes) {
    if constexpr (kStream) prefetch(b + i + kPrefetchFloats);
    if constexpr (kStream) prefetch(b + i + 16 + kPrefetchFloats);
    const __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    const __m512 t1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    acc0 = _mm512_fmadd_ps(t0, t0, acc0);
    acc1 = _mm512_fmadd_ps(t1, t1, acc1);
  }
  for (; i + kLanes <= d; i += kLanes) {
    const __m512 t = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    acc0 = _mm512_fmadd_ps(t, t, acc0);
  }
  if (i < d) {
    const __mmask16 m = tail_mask(d - i);
    const __m512 t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
    acc1 = _mm512_fmadd_ps(t, t, acc1);
  }
  return hsum(_mm512_add_ps(acc0, acc1));
}

float l2_sq(const float* a, const float* b, std::size_t d) { return l2_impl<false>(a, b, d); }

void scan_ip(const float* q, const float* x, std::size_t n, std::size_t d, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = dot_impl<true>(q, x + r * d, d);
}

/// Cosine similarity from a dot product and the row's squared norm: 0 for a zero
/// row, NaN when the norm is not finite (so the caller reports the bad input).
inline float cosine_from(float dot_value, float row_norm_sq, float q_inv_norm) {
  if (row_norm_sq > 0.0f && row_norm_sq <= 3.4028235e38f) {
    return dot_value * q_inv_norm / std::sqrt(row_norm_sq);
  }
  return row_norm_sq == 0.0f ? 0.0f : std::numeric_limits<float>::quiet_NaN();
}

void scan_cos(const float* q, float q_inv_norm, const float* x, std::size_t n, std::size_t d,
              float* out) {
  // Two accumulators each for the dot product and the norm: four independent FMA
  // chains, so a row's sums are not bound by FMA latency, and no masks before the tail.
  for (std::size_t r = 0; r < n; ++r) {
    const float* row = x + r * d;
    __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps();
    __m512 n0 = _mm512_setzero_ps(), n1 = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 2 * kLanes <= d; i += 2 * kLanes) {
      prefetch(row + i + kPrefetchFloats);
      prefetch(row + i + kLanes + kPrefetchFloats);
      const __m512 v0 = _mm512_loadu_ps(row + i);
      const __m512 v1 = _mm512_loadu_ps(row + i + kLanes);
      d0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), v0, d0);
      d1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + kLanes), v1, d1);
      n0 = _mm512_fmadd_ps(v0, v0, n0);
      n1 = _mm512_fmadd_ps(v1, v1, n1);
    }
    for (; i < d; i += kLanes) {
      const __mmask16 m = tail_mask(d - i);
      prefetch(row + i + kPrefetchFloats);
      const __m512 v = _mm512_maskz_loadu_ps(m, row + i);
      d0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), v, d0);
      n0 = _mm512_fmadd_ps(v, v, n0);
    }
    out[r] = cosine_from(hsum(_mm512_add_ps(d0, d1)), hsum(_mm512_add_ps(n0, n1)), q_inv_norm);
  }
}

void scan_l2(const float* q, const float* x, std::size_t n, std::size_t d, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = l2_impl<true>(q, x + r * d, d);
}

/// Inner product of a float32 query with a row stored as `Row` (float16 or int8),
/// widened to float32 by `widen(pointer, mask)` 16 lanes at a time. Four accumulators:
/// one would chain every multiply-add on the one before (4 cycles each).
template <typename Row, typename Widen>
float dot_widened(const float* q, const Row* x, std::size_t d, Widen widen) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  const __mmask16 all = tail_mask(kLanes);
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), widen(x + i, all), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), widen(x + i + 16, all), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), widen(x + i + 32, all), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), widen(x + i + 48, all), acc3);
  }
  for (; i + kLanes <= d; i += kLanes) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), widen(x + i, all), acc0);
  }
  if (i < d) {
    const __mmask16 m = tail_mask(d - i);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), widen(x + i, m), acc1);
  }
  return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

float dot_f16(const float* q, const std::uint16_t* x, std::size_t d) {
  return dot_widened(q, x, d, [](const std::uint16_t* p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  });
}

float dot_i8(const float* q, const std::int8_t* x, std::size_t d) {
  return dot_widened(q, x, d, [](const std::int8_t* p, __mmask16 m) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)));
  });
}

constexpr std::size_t kGatherGroup = 4;  // rows scored side by side

/// q . row for the rows of a gather, `Row` widened to float32 by `widen(pointer,
/// mask)`. Four rows at a time share each load of the query and keep eight
/// independent multiply-add chains; records load two groups ahead.
template <typename Row, typename Widen>
void gather_widened(const float* q, const RowGather& rows, std::size_t d, float* out,
                    Widen widen) {
  const std::size_t n = rows.n;
  const std::size_t record = rows.skip + d * sizeof(Row);
  const __mmask16 all = tail_mask(kLanes);
  for (std::size_t i = 0; i < n && i < kGatherAhead; ++i) prefetch_record(rows, i, record);
  std::size_t r = 0;
  for (; r + kGatherGroup <= n; r += kGatherGroup) {
    for (std::size_t i = r + kGatherAhead; i < n && i < r + kGatherAhead + kGatherGroup; ++i) {
      prefetch_record(rows, i, record);
    }
    const Row* x0 = gathered_row<Row>(rows, r);
    const Row* x1 = gathered_row<Row>(rows, r + 1);
    const Row* x2 = gathered_row<Row>(rows, r + 2);
    const Row* x3 = gathered_row<Row>(rows, r + 3);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    std::size_t i = 0;
    for (; i + 2 * kLanes <= d; i += 2 * kLanes) {
      const __m512 qa = _mm512_loadu_ps(q + i);
      const __m512 qb = _mm512_loadu_ps(q + i + kLanes);
      a0 = _mm512_fmadd_ps(qa, widen(x0 + i, all), a0);
      a1 = _mm512_fmadd_ps(qa, widen(x1 + i, all), a1);
      a2 = _mm512_fmadd_ps(qa, widen(x2 + i, all), a2);
      a3 = _mm512_fmadd_ps(qa, widen(x3 + i, all), a3);
      b0 = _mm512_fmadd_ps(qb, widen(x0 + i + kLanes, all), b0);
      b1 = _mm512_fmadd_ps(qb, widen(x1 + i + kLanes, all), b1);
      b2 = _mm512_fmadd_ps(qb, widen(x2 + i + kLanes, all), b2);
      b3 = _mm512_fmadd_ps(qb, widen(x3 + i + kLanes, all), b3);
    }
    for (; i < d; i += kLanes) {
      const __mmask16 m = tail_mask(d - i);
      const __m512 qa = _mm512_maskz_loadu_ps(m, q + i);
      a0 = _mm512_fmadd_ps(qa, widen(x0 + i, m), a0);
      a1 = _mm512_fmadd_ps(qa, widen(x1 + i, m), a1);
      a2 = _mm512_fmadd_ps(qa, widen(x2 + i, m), a2);
      a3 = _mm512_fmadd_ps(qa, widen(x3 + i, m), a3);
    }
    out[r] = hsum(_mm512_add_ps(a0, b0));
    out[r + 1] = hsum(_mm512_add_ps(a1, b1));
    out[r + 2] = hsum(_mm512_add_ps(a2, b2));
    out[r + 3] = hsum(_mm512_add_ps(a3, b3));
  }
  for (; r < n; ++r) out[r] = dot_widened(q, gathered_row<Row>(rows, r), d, widen);
}

void gather_dot(const float* q, const RowGather& rows, std::size_t d, float* out) {
  gather_widened<float>(q, rows, d, out, [](const float* p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
  });
}

void gather_dot_f16(const float* q, const RowGather& rows, std::size_t d, float* out) {
  gather_widened<std::uint16_t>(q, rows, d, out, [](const std::uint16_t* p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  });
}

void gather_dot_i8(const float* q, const RowGather& rows, std::size_t d, float* out) {
  gather_widened<std::int8_t>(q, rows, d, out, [](const std::int8_t* p, __mmask16 m) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)));
  });
}

double sum(const float* x, std::size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(x + i));
    acc1 = _mm512_add_ps(acc1, _mm512_loadu_ps(x + i + 16));
    acc2 = _mm512_add_ps(acc2, _mm512_loadu_ps(x + i + 32));
    acc3 = _mm512_add_ps(acc3, _mm512_loadu_ps(x + i + 48));
  }
  double s = static_cast<double>(
      hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3))));
  for (; i < n; ++i) s += x[i];
  return s;
}

constexpr std::size_t kMr = 6;
constexpr std::size_t kNr = 32;

/// 6 x 32 register tile: 12 ZMM accumulators, two B vectors and one broadcast per k.
void gemm_micro(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                bool accumulate) {
  __m512 acc[kMr][2];
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  // C usually lives in memory: start fetching its lines now, not at the stores.
  for (std::size_t i = 0; i < kMr; ++i) {
    prefetch(c + i * ldc);
    prefetch(c + i * ldc + 31);
  }
  for (std::size_t k = 0; k < kc; ++k, a += kMr, b += kNr) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    for (std::size_t i = 0; i < kMr; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
  }
  for (std::size_t i = 0; i < kMr; ++i) {
    float* ci = c + i * ldc;
    __m512 lo = acc[i][0];
    __m512 hi = acc[i][1];
    if (accumulate) {
      lo = _mm512_add_ps(lo, _mm512_loadu_ps(ci));
      hi = _mm512_add_ps(hi, _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, lo);
    _mm512_storeu_ps(ci + 16, hi);
  }
}

}  // namespace

const KernelTable& avx512_kernels() noexcept {
  static const KernelTable table{"avx512", dot,    norm_sq, l2_sq, scan_ip, scan_cos, scan_l2,
                                 dot_f16,  dot_i8, gather_dot, gather_dot_f16, gather_dot_i8,
                                 gather_rows<float, l2_sq>,   sum, kMr, kNr, gemm_micro};
  return table;
}

}  // namespace mastra::simd
