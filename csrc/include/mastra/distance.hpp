/**
 * @file distance.hpp
 * @brief Distance kernels over float32 vectors: pairwise scores and exact top-k.
 *
 * Scores are accumulated in float32 with fused multiply-add in several independent
 * accumulators; the relative error grows like sqrt(dim) * 2^-24 for typical data.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mastra/parallel.hpp"
#include "mastra/span.hpp"

namespace mastra {

enum class Metric { cosine, inner_product, l2 };

/// Parses "cosine", "ip" (or "inner_product", "dot") and "l2"; throws VectorError.
Metric parse_metric(std::string_view name);
const char* metric_name(Metric metric) noexcept;

/// Names of the two operands, used in error messages.
struct OperandNames {
  const char* a = "a";
  const char* b = "b";
};

/**
 * Scores every row of `a` against every row of `b` into out (a.rows x b.rows,
 * row-major): cosine similarity (0 when either vector is zero), inner product, or
 * squared L2 distance. Throws VectorError on mismatched or empty input, and when an
 * input holds NaN or infinity or a score overflows float32.
 */
void pairwise(Metric metric, MatrixView a, MatrixView b, float* out,
              const ParallelOptions& options, OperandNames names = {});

/**
 * Exact k nearest rows of `vectors` for every row of `queries`, by brute force.
 * Writes queries.rows x k keys (row numbers) and distances, nearest first: cosine
 * distance 1 - similarity, inner-product distance -dot, squared L2. Rows with fewer
 * than k candidates are padded with key -1 and distance +inf.
 */
void exact_search(Metric metric, MatrixView queries, MatrixView vectors, std::size_t k,
                  std::int64_t* keys, float* distances, const ParallelOptions& options);

/**
 * exact_search() over a subset of `vectors`: only the rows listed in `rows` (each in
 * [0, vectors.rows), any order, repeats allowed) are candidates, and the keys written
 * are those row numbers. Saves copying a filtered subset out of a large matrix.
 * Throws VectorError for a row out of range or an empty subset.
 */
void exact_search_rows(Metric metric, MatrixView queries, MatrixView vectors,
                       const std::int64_t* rows, std::size_t n_rows, std::size_t k,
                       std::int64_t* keys, float* distances, const ParallelOptions& options);

/// Sum of all floats, read at full memory bandwidth (a probe for benchmarks and
/// the self-check in `mastra info`).
double sum(const float* data, std::size_t n, const ParallelOptions& options);

}  // namespace mastra
