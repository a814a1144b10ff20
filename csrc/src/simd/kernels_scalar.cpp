/**
 * @file kernels_scalar.cpp
 * @brief Portable kernels: plain C++ built with the platform's baseline flags.
 *
 * Four independent accumulators per reduction keep the result close to the SIMD
 * paths' summation order and let the compiler vectorise with baseline SSE2/NEON.
 */
#include <cmath>
#include <limits>
#include <cstring>

#include "gather.hpp"
#include "kernels.hpp"
#include "mastra/float16.hpp"

namespace mastra::simd {
namespace {

float dot(const float* a, const float* b, std::size_t d) {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    for (std::size_t l = 0; l < 4; ++l) acc[l] += a[i + l] * b[i + l];
  }
  float s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < d; ++i) s += a[i] * b[i];
  return s;
}

float norm_sq(const float* a, std::size_t d) { return dot(a, a, d); }

float l2_sq(const float* a, const float* b, std::size_t d) {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    for (std::size_t l = 0; l < 4; ++l) {
      const float t = a[i + l] - b[i + l];
      acc[l] += t * t;
    }
  }
  float s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
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
    const float nn = norm_sq(row, d);
    out[r] = cosine_from(dot(q, row, d), nn, q_inv_norm);
  }
}

void scan_l2(const float* q, const float* x, std::size_t n, std::size_t d, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = l2_sq(q, x + r * d, d);
}

float dot_f16(const float* q, const std::uint16_t* x, std::size_t d) {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    for (std::size_t l = 0; l < 4; ++l) acc[l] += q[i + l] * half_to_float(x[i + l]);
  }
  float s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < d; ++i) s += q[i] * half_to_float(x[i]);
  return s;
}

float dot_i8(const float* q, const std::int8_t* x, std::size_t d) {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    for (std::size_t l = 0; l < 4; ++l) acc[l] += q[i + l] * static_cast<float>(x[i + l]);
  }
  float s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < d; ++i) s += q[i] * static_cast<float>(x[i]);
  return s;
}

double sum(const float* x, std::size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t l = 0; l < 8; ++l) acc[l] += x[i + l];
  }
  double s = 0;
  for (float v : acc) s += v;
  for (; i < n; ++i) s += x[i];
  return s;
}

constexpr std::size_t kMr = 4;
constexpr std::size_t kNr = 4;

void gemm_micro(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                bool accumulate) {
  float acc[kMr][kNr] = {};
  for (std::size_t k = 0; k < kc; ++k) {
    for (std::size_t i = 0; i < kMr; ++i) {
      for (std::size_t j = 0; j < kNr; ++j) acc[i][j] += a[k * kMr + i] * b[k * kNr + j];
    }
  }
  for (std::size_t i = 0; i < kMr; ++i) {
    for (std::size_t j = 0; j < kNr; ++j) {
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
    }
  }
}

}  // namespace

const KernelTable& scalar_kernels() noexcept {
  static const KernelTable table{
      "scalar", dot, norm_sq, l2_sq, scan_ip, scan_cos, scan_l2, dot_f16, dot_i8,
      gather_rows<float, dot>, gather_rows<std::uint16_t, dot_f16>,
      gather_rows<std::int8_t, dot_i8>, gather_rows<float, l2_sq>, sum, kMr, kNr, gemm_micro};
  return table;
}

}  // namespace mastra::simd
