/**
 * @file test_distance.cpp
 * @brief Kernels at every supported SIMD level against a double-precision reference,
 *        including odd dimensions that exercise the masked tails.
 */
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "check.hpp"
#include "mastra/distance.hpp"
#include "mastra/errors.hpp"
#include "mastra/float16.hpp"
#include "mastra/simd.hpp"
#include "simd/kernels.hpp"

namespace {

using mastra::Metric;

std::vector<float> random_matrix(std::size_t rows, std::size_t dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> out(rows * dim);
  for (float& v : out) v = normal(rng);
  return out;
}

double reference(Metric metric, const float* a, const float* b, std::size_t d) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (std::size_t i = 0; i < d; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
    l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  switch (metric) {
    case Metric::cosine:
      return (na == 0 || nb == 0) ? 0.0 : dot / std::sqrt(na * nb);
    case Metric::inner_product:
      return dot;
    case Metric::l2:
      return l2;
  }
  return 0;
}

void check_pairwise(Metric metric, std::size_t m, std::size_t n, std::size_t d) {
  const auto a = random_matrix(m, d, static_cast<unsigned>(m * 31 + d));
  const auto b = random_matrix(n, d, static_cast<unsigned>(n * 17 + d));
  std::vector<float> out(m * n);
  mastra::ParallelOptions options;
  options.threads = 2;
  mastra::pairwise(metric, {a.data(), m, d}, {b.data(), n, d}, out.data(), options);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double ref = reference(metric, &a[i * d], &b[j * d], d);
      const double scale = metric == Metric::cosine ? 1.0 : (metric == Metric::l2 ? 4.0 * d : std::sqrt(double(d)) * 4);
      CHECK(std::fabs(out[i * n + j] - ref) <= 1e-5 * scale + 1e-6);
    }
  }
}

}  // namespace

TEST_CASE("pairwise matches the reference at every SIMD level") {
  for (mastra::simd::Level level : mastra::simd::supported_levels()) {
    mastra::simd::set_level(level);
    for (Metric metric : {Metric::cosine, Metric::inner_product, Metric::l2}) {
      for (std::size_t d : {1u, 5u, 8u, 15u, 16u, 17u, 33u, 100u, 384u, 513u}) {
        check_pairwise(metric, 1, 37, d);
        check_pairwise(metric, 13, 41, d);
      }
    }
  }
}

TEST_CASE("float16 and int8 rows dot a float32 query as their decoded values would") {
  for (mastra::simd::Level level : mastra::simd::supported_levels()) {
    mastra::simd::set_level(level);
    const mastra::simd::KernelTable& k = mastra::simd::active_kernels();
    for (std::size_t d : {1u, 7u, 8u, 15u, 16u, 17u, 31u, 33u, 63u, 64u, 65u, 100u, 384u, 513u}) {
      const auto q = random_matrix(1, d, 11);
      const auto x = random_matrix(1, d, 12);
      std::vector<std::uint16_t> halves(d);
      std::vector<std::int8_t> bytes(d);
      double f16_ref = 0, i8_ref = 0, f16_size = 0, i8_size = 0;
      for (std::size_t i = 0; i < d; ++i) {
        halves[i] = mastra::float_to_half(x[i]);
        bytes[i] = static_cast<std::int8_t>(std::lround(std::fmax(-127.0f, std::fmin(127.0f, 40.0f * x[i]))));
        f16_ref += double(q[i]) * mastra::half_to_float(halves[i]);
        i8_ref += double(q[i]) * bytes[i];
        f16_size += std::fabs(double(q[i]) * x[i]);
        i8_size += std::fabs(double(q[i]) * bytes[i]);
      }
      CHECK(std::fabs(k.dot_f16(q.data(), halves.data(), d) - f16_ref) <= 1e-5 * f16_size + 1e-6);
      CHECK(std::fabs(k.dot_i8(q.data(), bytes.data(), d) - i8_ref) <= 1e-5 * i8_size + 1e-6);
    }
  }
}

/// Records of `stride` bytes holding, `skip` bytes in, a row of `d` values of type T.
template <typename T>
std::vector<char> records_of(const std::vector<T>& rows, std::size_t count, std::size_t d,
                             std::size_t stride, std::size_t skip) {
  std::vector<char> out(count * stride, 0);
  for (std::size_t r = 0; r < count; ++r) {
    std::memcpy(out.data() + r * stride + skip, rows.data() + r * d, d * sizeof(T));
  }
  return out;
}

TEST_CASE("gather kernels score picked rows as the one-row kernels do, at every SIMD level") {
  constexpr std::size_t kRows = 40;
  for (mastra::simd::Level level : mastra::simd::supported_levels()) {
    mastra::simd::set_level(level);
    const mastra::simd::KernelTable& k = mastra::simd::active_kernels();
    for (std::size_t d : {1u, 15u, 16u, 17u, 32u, 33u, 100u, 384u}) {
      const auto q = random_matrix(1, d, 21);
      const auto x = random_matrix(kRows, d, 22);
      std::vector<std::uint16_t> halves(x.size());
      std::vector<std::int8_t> bytes(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        halves[i] = mastra::float_to_half(x[i]);
        bytes[i] = static_cast<std::int8_t>(std::lround(std::fmax(-127.0f, std::fmin(127.0f, 40.0f * x[i]))));
      }
      const std::size_t skip = 12, stride = skip + 4 * d + 20;
      const auto f32 = records_of(x, kRows, d, stride, skip);
      const auto f16 = records_of(halves, kRows, d, stride, skip);
      const auto i8 = records_of(bytes, kRows, d, stride, skip);
      for (std::size_t n : {0u, 1u, 3u, 4u, 5u, 8u, 9u, 13u, 40u}) {
        std::vector<std::uint32_t> ids(n);
        for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::uint32_t>((i * 17 + 5) % kRows);
        std::vector<float> out(n + 1, -7.0f);
        k.gather_dot(q.data(), {f32.data(), stride, skip, ids.data(), n}, d, out.data());
        for (std::size_t i = 0; i < n; ++i) {
          const float one = k.dot(q.data(), &x[ids[i] * d], d);
          CHECK(std::fabs(out[i] - one) <= 1e-5f * (std::fabs(one) + std::sqrt(float(d))));
        }
        CHECK(out[n] == -7.0f);
        k.gather_l2(q.data(), {f32.data(), stride, skip, ids.data(), n}, d, out.data());
        for (std::size_t i = 0; i < n; ++i) CHECK(out[i] == k.l2_sq(q.data(), &x[ids[i] * d], d));
        k.gather_dot_f16(q.data(), {f16.data(), stride, skip, ids.data(), n}, d, out.data());
        for (std::size_t i = 0; i < n; ++i) {
          const float one = k.dot_f16(q.data(), &halves[ids[i] * d], d);
          CHECK(std::fabs(out[i] - one) <= 1e-5f * (std::fabs(one) + std::sqrt(float(d))));
        }
        k.gather_dot_i8(q.data(), {i8.data(), stride, skip, ids.data(), n}, d, out.data());
        for (std::size_t i = 0; i < n; ++i) {
          const float one = k.dot_i8(q.data(), &bytes[ids[i] * d], d);
          CHECK(std::fabs(out[i] - one) <= 1e-5f * (std::fabs(one) + 40.0f * std::sqrt(float(d))));
        }
        CHECK(out[n] == -7.0f);
      }
    }
  }
}

TEST_CASE("exact_search returns the nearest rows, padded") {
  const std::size_t n = 500, d = 24;
  const auto x = random_matrix(n, d, 3);
  std::vector<std::int64_t> keys(2 * 600);
  std::vector<float> dist(2 * 600);
  mastra::ParallelOptions options;
  mastra::exact_search(Metric::l2, {x.data(), 2, d}, {x.data(), n, d}, 600, keys.data(),
                       dist.data(), options);
  // A batch goes through the GEMM expansion |q|^2 + |x|^2 - 2 q.x, so a row's distance
  // to itself is zero only up to rounding.
  CHECK(keys[0] == 0 && dist[0] >= 0.0f && dist[0] < 1e-4f);
  CHECK(keys[600] == 1 && dist[600] >= 0.0f && dist[600] < 1e-4f);
  for (std::size_t i = 1; i < n; ++i) CHECK(dist[i] >= dist[i - 1]);
  for (std::size_t i = n; i < 600; ++i) CHECK(keys[i] == -1 && std::isinf(dist[i]));
}

TEST_CASE("exact_search_rows searches the listed rows in place, as a copy of them would") {
  const std::size_t n = 3000, d = 40, k = 7;
  const auto x = random_matrix(n, d, 5);
  const auto q = random_matrix(3, d, 6);
  std::vector<std::int64_t> rows;
  for (std::size_t r = n - 1; r < n; r -= 3) rows.push_back(static_cast<std::int64_t>(r));  // unsorted
  std::vector<float> copy;
  for (std::int64_t r : rows) copy.insert(copy.end(), x.begin() + r * d, x.begin() + (r + 1) * d);
  mastra::ParallelOptions options;
  for (Metric metric : {Metric::cosine, Metric::inner_product, Metric::l2}) {
    for (std::size_t m : {std::size_t(1), std::size_t(3)}) {
      std::vector<std::int64_t> keys(m * k), want_keys(m * k);
      std::vector<float> dist(m * k), want_dist(m * k);
      mastra::exact_search_rows(metric, {q.data(), m, d}, {x.data(), n, d}, rows.data(), rows.size(),
                                k, keys.data(), dist.data(), options);
      mastra::exact_search(metric, {q.data(), m, d}, {copy.data(), rows.size(), d}, k,
                           want_keys.data(), want_dist.data(), options);
      for (std::size_t i = 0; i < m * k; ++i) {
        CHECK(keys[i] == rows[static_cast<std::size_t>(want_keys[i])]);
        CHECK(std::fabs(dist[i] - want_dist[i]) <= 1e-4f * (1.0f + std::fabs(want_dist[i])));
      }
    }
  }
  std::int64_t key[1];
  float dist[1];
  const std::int64_t outside[] = {0, static_cast<std::int64_t>(n)};
  CHECK_THROWS_AS(mastra::exact_search_rows(Metric::l2, {q.data(), 1, d}, {x.data(), n, d}, outside,
                                            2, 1, key, dist, options),
                  mastra::VectorError);
  CHECK_THROWS_AS(mastra::exact_search_rows(Metric::l2, {q.data(), 1, d}, {x.data(), n, d}, outside,
                                            0, 1, key, dist, options),
                  mastra::VectorError);
}

TEST_CASE("bad input throws VectorError") {
  std::vector<float> a(8, 1.0f), b(8, 1.0f);
  std::vector<float> out(8);
  mastra::ParallelOptions options;
  CHECK_THROWS_AS(mastra::pairwise(Metric::l2, {a.data(), 1, 8}, {b.data(), 2, 4}, out.data(), options),
                  mastra::VectorError);
  CHECK_THROWS_AS(mastra::pairwise(Metric::l2, {a.data(), 0, 8}, {b.data(), 1, 8}, out.data(), options),
                  mastra::VectorError);
  b[5] = std::nanf("");
  CHECK_THROWS_AS(mastra::pairwise(Metric::cosine, {a.data(), 1, 8}, {b.data(), 1, 8}, out.data(), options),
                  mastra::VectorError);
  std::int64_t k[1];
  float d[1];
  CHECK_THROWS_AS(mastra::exact_search(Metric::l2, {a.data(), 1, 8}, {a.data(), 1, 8}, 0, k, d, options),
                  mastra::VectorError);
  CHECK_THROWS_AS(mastra::parse_metric("hamming"), mastra::VectorError);
}

TEST_CASE("unknown or unsupported SIMD levels are configuration errors") {
  CHECK_THROWS_AS(mastra::simd::parse_level("sse9"), mastra::ConfigError);
  for (mastra::simd::Level level : {mastra::simd::Level::neon, mastra::simd::Level::avx2,
                                    mastra::simd::Level::avx512}) {
    bool supported = false;
    for (auto l : mastra::simd::supported_levels()) supported |= l == level;
    if (!supported) CHECK_THROWS_AS(mastra::simd::set_level(level), mastra::ConfigError);
  }
}

TEST_MAIN()
