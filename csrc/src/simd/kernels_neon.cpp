/**
 * @file kernels_neon.cpp
 * @brief AArch64 kernels using Advanced SIMD (NEON, 4 x float32 lanes) with fused
 *        multiply-add (vfmaq). NEON is part of the AArch64 baseline.
 */
#include <arm_neon.h>

#include <cmath>
#include <limits>

#include "gather.hpp"
#include "kernels.hpp"
#include "mastra/float16.hpp"

namespace mastra::simd {
namespace {

constexpr std::size_t kLanes = 4;

float dot(const float* a, const float* b, std::size_t d) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  float32x4_t acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
    acc1 = vfmaq_f32(acc1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    acc2 = vfmaq_f32(acc2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
    acc3 = vfmaq_f32(acc3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
  }
  for (; i + kLanes <= d; i += kLanes) acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
  float s = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < d; ++i) s += a[i] * b[i];
  return s;
}

float norm_sq(const float* a, std::size_t d) { return dot(a, a, d); }

float l2_sq(const float* a, const float* b, std::size_t d) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  std::size_t i = 0;
  for (; i + 2 * kLanes <= d; i += 2 * kLanes) {
    const float32x4_t t0 = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
    const float32x4_t t1 = vsubq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    acc0 = vfmaq_f32(acc0, t0, t0);
    acc1 = vfmaq_f32(acc1, t1, t1);
  }
  for (; i + kLanes <= d; i += kLanes) {
    const float32x4_t t = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
    acc0 = vfmaq_f32(acc0, t, t);
  }
  float s = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < d; ++i) {
    const float t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

void scan_ip(const float* q, const float* x, std::size_t n, std::size_t d, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = dot(q, x + r * d, d);
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
  for (std::size_t r = 0; r < n; ++r) {
    const float* row = x + r * d;
    float32x4_t dp = vdupq_n_f32(0), nn = vdupq_n_f32(0);
    std::size_t i = 0;
    for (; i + kLanes <= d; i += kLanes) {
      const float32x4_t v = vld1q_f32(row + i);
      dp = vfmaq_f32(dp, vld1q_f32(q + i), v);
      nn = vfmaq_f32(nn, v, v);
    }
    float dot_value = vaddvq_f32(dp);
    float norm_value = vaddvq_f32(nn);
    for (; i < d; ++i) {
      dot_value += q[i] * row[i];
      norm_value += row[i] * row[i];
    }
    out[r] = cosine_from(dot_value, norm_value, q_inv_norm);
  }
}

void scan_l2(const float* q, const float* x, std::size_t n, std::size_t d, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = l2_sq(q, x + r * d, d);
}

/// Inner product of a float32 query with a row stored as `Row` (float16 or int8):
/// `widen(pointer, lo, hi)` turns 8 stored values into two float32 vectors,
/// `scalar(value)` one. Four accumulators hide the multiply-add latency.
template <typename Row, typename Widen, typename Scalar>
float dot_widened(const float* q, const Row* x, std::size_t d, Widen widen, Scalar scalar) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  float32x4_t acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
  float32x4_t lo, hi;
  std::size_t i = 0;
  for (; i + 4 * kLanes <= d; i += 4 * kLanes) {
    widen(x + i, lo, hi);
    acc0 = vfmaq_f32(acc0, vld1q_f32(q + i), lo);
    acc1 = vfmaq_f32(acc1, vld1q_f32(q + i + 4), hi);
    widen(x + i + 8, lo, hi);
    acc2 = vfmaq_f32(acc2, vld1q_f32(q + i + 8), lo);
    acc3 = vfmaq_f32(acc3, vld1q_f32(q + i + 12), hi);
  }
  float s = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < d; ++i) s += q[i] * scalar(x[i]);
  return s;
}

float dot_f16(const float* q, const std::uint16_t* x, std::size_t d) {
  return dot_widened(
      q, x, d,
      [](const std::uint16_t* p, float32x4_t& lo, float32x4_t& hi) {
        const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(p));
        lo = vcvt_f32_f16(vget_low_f16(h));
        hi = vcvt_f32_f16(vget_high_f16(h));
      },
      [](std::uint16_t h) { return half_to_float(h); });
}

float dot_i8(const float* q, const std::int8_t* x, std::size_t d) {
  return dot_widened(
      q, x, d,
      [](const std::int8_t* p, float32x4_t& lo, float32x4_t& hi) {
        const int16x8_t wide = vmovl_s8(vld1_s8(p));
        lo = vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
        hi = vcvtq_f32_s32(vmovl_s16(vget_high_s16(wide)));
      },
      [](std::int8_t v) { return static_cast<float>(v); });
}

double sum(const float* x, std::size_t n) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  std::size_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    acc0 = vaddq_f32(acc0, vld1q_f32(x + i));
    acc1 = vaddq_f32(acc1, vld1q_f32(x + i + 4));
  }
  double s = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) s += x[i];
  return s;
}

constexpr std::size_t kMr = 8;
constexpr std::size_t kNr = 8;

/// 8 x 8 register tile: 16 accumulators, lane-indexed FMA from two A vectors.
void gemm_micro(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                bool accumulate) {
  float32x4_t acc[kMr][2];
  for (auto& row : acc) row[0] = row[1] = vdupq_n_f32(0);
  for (std::size_t k = 0; k < kc; ++k, a += kMr, b += kNr) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
    acc[0][0] = vfmaq_laneq_f32(acc[0][0], b0, a0, 0);
    acc[0][1] = vfmaq_laneq_f32(acc[0][1], b1, a0, 0);
    acc[1][0] = vfmaq_laneq_f32(acc[1][0], b0, a0, 1);
    acc[1][1] = vfmaq_laneq_f32(acc[1][1], b1, a0, 1);
    acc[2][0] = vfmaq_laneq_f32(acc[2][0], b0, a0, 2);
    acc[2][1] = vfmaq_laneq_f32(acc[2][1], b1, a0, 2);
    acc[3][0] = vfmaq_laneq_f32(acc[3][0], b0, a0, 3);
    acc[3][1] = vfmaq_laneq_f32(acc[3][1], b1, a0, 3);
    acc[4][0] = vfmaq_laneq_f32(acc[4][0], b0, a1, 0);
    acc[4][1] = vfmaq_laneq_f32(acc[4][1], b1, a1, 0);
    acc[5][0] = vfmaq_laneq_f32(acc[5][0], b0, a1, 1);
    acc[5][1] = vfmaq_laneq_f32(acc[5][1], b1, a1, 1);
    acc[6][0] = vfmaq_laneq_f32(acc[6][0], b0, a1, 2);
    acc[6][1] = vfmaq_laneq_f32(acc[6][1], b1, a1, 2);
    acc[7][0] = vfmaq_laneq_f32(acc[7][0], b0, a1, 3);
    acc[7][1] = vfmaq_laneq_f32(acc[7][1], b1, a1, 3);
  }
  for (std::size_t i = 0; i < kMr; ++i) {
    float* ci = c + i * ldc;
    float32x4_t lo = acc[i][0];
    float32x4_t hi = acc[i][1];
    if (accumulate) {
      lo = vaddq_f32(lo, vld1q_f32(ci));
      hi = vaddq_f32(hi, vld1q_f32(ci + 4));
    }
    vst1q_f32(ci, lo);
    vst1q_f32(ci + 4, hi);
  }
}

}  // namespace

const KernelTable& neon_kernels() noexcept {
  static const KernelTable table{
      "neon", dot, norm_sq, l2_sq, scan_ip, scan_cos, scan_l2, dot_f16, dot_i8,
      gather_rows<float, dot>, gather_rows<std::uint16_t, dot_f16>,
      gather_rows<std::int8_t, dot_i8>, gather_rows<float, l2_sq>, sum, kMr, kNr, gemm_micro};
  return table;
}

}  // namespace mastra::simd
