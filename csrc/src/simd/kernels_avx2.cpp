/**
 * @file kernels_avx2.cpp
 * @brief x86-64 kernels using AVX2 + FMA (8 x float32 lanes). Compiled with
 *        -mavx2 -mfma only; called only after dispatch.cpp detected both.
 *
 * Reductions keep several accumulators in flight to hide FMA latency. Row scans
 * read one row at a time, front to back: a purely sequential stream keeps the
 * hardware prefetchers ahead (interleaving rows measured slower). Tails use masked
 * loads, which never touch memory past the row.
 */
#include <immintrin.h>

#include <cmath>
#include <limits>
#include <cstdint>

#include "gather.hpp"
#include "kernels.hpp"

namespace mastra::simd {
namespace {

constexpr std::size_t kLanes = 8;
// Software prefetch this far ahead of a row scan: measured faster on one core
// than the hardware prefetchers alone (8 KiB ahead; 2 KiB helped less).
constexpr std::size_t kPrefetchFloats = 2048;

inline void prefetch(const float* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// Mask whose first min(count, 8) lanes are set, for _mm256_maskload_ps.
inline __m256i tail_mask(std::size_t count) {
  if (count >= kLanes) return _mm256_set1_epi32(-1);
  alignas(32) static const std::int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                     0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + 8 - count));
}

/// Inner product; kStream prefetches far ahead of `b`, for scans over many rows
/// (a pairwise call must not: it would fetch unrelated memory).
template <bool kStream>
float dot_impl(const float* a, const float* b, std::size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    if constexpr (kStream) prefetch(b + i + kPrefetchFloats);
    if constexpr (kStream) prefetch(b + i + 16 + kPrefetchFloats);
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i < d; i += kLanes) {
    const __m256i m = tail_mask(d - i);
    acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc0);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

float dot(const float* a, const float* b, std::size_t d) { return dot_impl<false>(a, b, d); }

float norm_sq(const float* a, std::size_t d) { return dot(a, a, d); }

template <bool kStream>
float l2_impl(const float* a, const float* b, std::size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    if constexpr (kStream) prefetch(b + i + kPrefetchFloats);
    if constexpr (kStream) prefetch(b + i + 16 + kPrefetchFloats);
    const __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    const __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    const __m256 t2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    const __m256 t3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    acc0 = _mm256_fmadd_ps(t0, t0, acc0);
    acc1 = _mm256_fmadd_ps(t1, t1, acc1);
    acc2 = _mm256_fmadd_ps(t2, t2, acc2);
    acc3 = _mm256_fmadd_ps(t3, t3, acc3);
  }
  for (; i < d; i += kLanes) {
    const __m256i m = tail_mask(d - i);
    const __m256 t = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
    acc0 = _mm256_fmadd_ps(t, t, acc0);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
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

/// Dot product with q and squared norm of one row, in one pass over the row.
inline void dot_and_norm(const float* q, const float* row, std::size_t d, float& dot_out,
                         float& norm_out) {
  __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
  __m256 n0 = _mm256_setzero_ps(), n1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 2 * kLanes <= d; i += 2 * kLanes) {
    prefetch(row + i + kPrefetchFloats);
    const __m256 v0 = _mm256_loadu_ps(row + i);
    const __m256 v1 = _mm256_loadu_ps(row + i + 8);
    d0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), v0, d0);
    n0 = _mm256_fmadd_ps(v0, v0, n0);
    d1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), v1, d1);
    n1 = _mm256_fmadd_ps(v1, v1, n1);
  }
  for (; i < d; i += kLanes) {
    const __m256i m = tail_mask(d - i);
    const __m256 v = _mm256_maskload_ps(row + i, m);
    d0 = _mm256_fmadd_ps(_mm256_maskload_ps(q + i, m), v, d0);
    n0 = _mm256_fmadd_ps(v, v, n0);
  }
  dot_out = hsum(_mm256_add_ps(d0, d1));
  norm_out = hsum(_mm256_add_ps(n0, n1));
}

void scan_cos(const float* q, float q_inv_norm, const float* x, std::size_t n, std::size_t d,
              float* out) {
  for (std::size_t r = 0; r < n; ++r) {
    float dot_value = 0.0f;
    float norm_value = 0.0f;
    dot_and_norm(q, x + r * d, d, dot_value, norm_value);
    out[r] = cosine_from(dot_value, norm_value, q_inv_norm);
  }
}

void scan_l2(const float* q, const float* x, std::size_t n, std::size_t d, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = l2_impl<true>(q, x + r * d, d);
}

/// Inner product of a float32 query with a row stored as `Row` (float16 or int8):
/// `widen(pointer)` turns 8 stored values into float32 lanes, `scalar(value)` one.
/// Four accumulators: one chain of dependent multiply-adds would wait on each.
template <typename Row, typename Widen, typename Scalar>
float dot_widened(const float* q, const Row* x, std::size_t d, Widen widen, Scalar scalar) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), widen(x + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), widen(x + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), widen(x + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), widen(x + i + 24), acc3);
  }
  for (; i + kLanes <= d; i += kLanes) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), widen(x + i), acc0);
  }
  float s = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < d; ++i) s += q[i] * scalar(x[i]);
  return s;
}

float dot_f16(const float* q, const std::uint16_t* x, std::size_t d) {
  return dot_widened(
      q, x, d,
      [](const std::uint16_t* p) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
      },
      [](std::uint16_t h) { return _cvtsh_ss(h); });
}

float dot_i8(const float* q, const std::int8_t* x, std::size_t d) {
  return dot_widened(
      q, x, d,
      [](const std::int8_t* p) {
        const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
      },
      [](std::int8_t v) { return static_cast<float>(v); });
}

double sum(const float* x, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(x + i));
    acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(x + i + 8));
    acc2 = _mm256_add_ps(acc2, _mm256_loadu_ps(x + i + 16));
    acc3 = _mm256_add_ps(acc3, _mm256_loadu_ps(x + i + 24));
  }
  double s = static_cast<double>(hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1),
                                                    _mm256_add_ps(acc2, acc3))));
  for (; i < n; ++i) s += x[i];
  return s;
}

constexpr std::size_t kMr = 6;
constexpr std::size_t kNr = 16;

/// 6 x 16 register tile: 12 accumulators, two B vectors and one broadcast per k.
void gemm_micro(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // C usually lives in memory: start fetching its lines now, not at the stores.
  for (std::size_t i = 0; i < kMr; ++i) {
    prefetch(c + i * ldc);
    prefetch(c + i * ldc + 15);
  }
#if defined(__GNUC__)
#pragma GCC unroll 4
#endif
  for (std::size_t k = 0; k < kc; ++k, a += kMr, b += kNr) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
  }
  const __m256 rows[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                               {c30, c31}, {c40, c41}, {c50, c51}};
  for (std::size_t i = 0; i < kMr; ++i) {
    float* ci = c + i * ldc;
    __m256 lo = rows[i][0];
    __m256 hi = rows[i][1];
    if (accumulate) {
      lo = _mm256_add_ps(lo, _mm256_loadu_ps(ci));
      hi = _mm256_add_ps(hi, _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, lo);
    _mm256_storeu_ps(ci + 8, hi);
  }
}

}  // namespace

const KernelTable& avx2_kernels() noexcept {
  static const KernelTable table{
      "avx2", dot, norm_sq, l2_sq, scan_ip, scan_cos, scan_l2, dot_f16, dot_i8,
      gather_rows<float, dot>, gather_rows<std::uint16_t, dot_f16>,
      gather_rows<std::int8_t, dot_i8>, gather_rows<float, l2_sq>, sum, kMr, kNr, gemm_micro};
  return table;
}

}  // namespace mastra::simd
