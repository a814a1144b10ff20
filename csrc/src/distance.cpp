/**
 * @file distance.cpp
 * @brief pairwise() and exact_search(): input checks, work splitting, and the
 *        conversion of dot products into scores and distances.
 *
 * One query is served by the row-scan kernels (memory-bound: every row is read
 * once, scored and offered to the top-k selection while still in cache). Several
 * queries go through the blocked GEMM (compute-bound), whose tiles are scored by
 * the same epilogue.
 */
#include "mastra/distance.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gemm.hpp"
#include "mastra/errors.hpp"
#include "mastra/topk.hpp"
#include "simd/kernels.hpp"

namespace mastra {
namespace {

constexpr std::size_t kScanChunkFloats = 1u << 18;  // 1 MiB of rows per scan task

// ---- checks ---------------------------------------------------------------------

void check_operands(MatrixView a, MatrixView b, const OperandNames& names) {
  if (a.rows == 0 || a.dim == 0) {
    throw VectorError(std::string(names.a) + " is empty: pass at least one vector of dimension >= 1");
  }
  if (b.rows == 0 || b.dim == 0) {
    throw VectorError(std::string(names.b) + " is empty: pass at least one vector of dimension >= 1");
  }
  if (a.dim != b.dim) {
    throw VectorError("dimension mismatch: " + std::string(names.a) + " has dimension " +
                      std::to_string(a.dim) + " but " + names.b + " has dimension " +
                      std::to_string(b.dim) + "; pass vectors of the same length");
  }
}

/// Throws VectorError naming the first non-finite value of row `r` of `m`, if any.
void require_finite_row(MatrixView m, std::size_t r, const char* name) {
  const float* row = m.row(r);
  for (std::size_t c = 0; c < m.dim; ++c) {
    if (!std::isfinite(row[c])) {
      throw VectorError(std::string(name) + " row " + std::to_string(r) + " holds " +
                        (std::isnan(row[c]) ? "NaN" : "infinity") + " at index " +
                        std::to_string(c) + ": remove or replace non-finite values");
    }
  }
}

/// Throws VectorError naming the first non-finite value of `m`, if any.
void require_finite(MatrixView m, const char* name) {
  for (std::size_t r = 0; r < m.rows; ++r) require_finite_row(m, r, name);
}

/// Called when a score came out non-finite: blames the input, or reports overflow.
[[noreturn]] void explain_non_finite(MatrixView a, MatrixView b, const OperandNames& names) {
  require_finite(a, names.a);
  require_finite(b, names.b);
  throw VectorError("a score overflowed float32 (values too large in " + std::string(names.a) +
                    " or " + names.b + "): scale or normalise the vectors");
}

// ---- scores ---------------------------------------------------------------------

/// 1/sqrt(sq); 0 for a zero vector; NaN when sq is not finite, so that a bad input
/// or an overflow shows in the scores instead of silently scoring 0.
float inverse_norm(float sq) noexcept {
  if (sq == 0.0f) return 0.0f;
  return std::isfinite(sq) ? 1.0f / std::sqrt(sq) : std::numeric_limits<float>::quiet_NaN();
}

struct RowNorms {
  std::vector<float> squared;  // |row|^2
  std::vector<float> inverse;  // 1/|row|, 0 for a zero row
};

RowNorms row_norms(const simd::KernelTable& kernels, MatrixView m) {
  RowNorms norms;
  norms.squared.resize(m.rows);
  norms.inverse.resize(m.rows);
  for (std::size_t r = 0; r < m.rows; ++r) {
    const float sq = kernels.norm_sq(m.row(r), m.dim);
    norms.squared[r] = sq;
    norms.inverse[r] = inverse_norm(sq);
  }
  return norms;
}

/// Clamps rounding overshoot into [-1, 1]; NaN passes through to be reported.
inline float clamp_similarity(float s) noexcept { return s > 1.0f ? 1.0f : (s < -1.0f ? -1.0f : s); }

/// Turns scores (cosine similarity, dot product or squared L2) into distances.
void scores_to_distances(Metric metric, float* values, std::size_t n) noexcept {
  switch (metric) {
    case Metric::cosine:
      for (std::size_t i = 0; i < n; ++i) values[i] = 1.0f - values[i];
      break;
    case Metric::inner_product:
      for (std::size_t i = 0; i < n; ++i) values[i] = -values[i];
      break;
    case Metric::l2:
      break;
  }
}

bool all_finite(const float* values, std::size_t n) noexcept {
  bool ok = true;
  for (std::size_t i = 0; i < n; ++i) ok &= std::isfinite(values[i]);
  return ok;
}

/// Asks for a row's cache lines ahead of its use (a no-op where unsupported).
inline void prefetch_row(MatrixView m, std::size_t r) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  const char* p = reinterpret_cast<const char*>(m.row(r));
  const char* end = p + m.dim * sizeof(float);
  for (; p < end; p += 64) __builtin_prefetch(p);
#else
  (void)m;
  (void)r;
#endif
}

/// The row-scan kernels: scores of one query against rows [begin, begin + n) of b.
struct QueryScan {
  const simd::KernelTable& kernels;
  Metric metric;
  const float* query;
  float query_inv_norm;
  MatrixView b;

  void operator()(std::size_t begin, std::size_t n, float* out) const {
    const float* rows = b.row(begin);
    switch (metric) {
      case Metric::cosine:
        kernels.scan_cos(query, query_inv_norm, rows, n, b.dim, out);
        for (std::size_t i = 0; i < n; ++i) out[i] = clamp_similarity(out[i]);
        break;
      case Metric::inner_product:
        kernels.scan_ip(query, rows, n, b.dim, out);
        break;
      case Metric::l2:
        kernels.scan_l2(query, rows, n, b.dim, out);
        break;
    }
  }
};

QueryScan make_scan(const simd::KernelTable& kernels, Metric metric, const float* query,
                    MatrixView b) {
  const float q_sq = kernels.norm_sq(query, b.dim);
  const float q_inv = inverse_norm(q_sq);
  return QueryScan{kernels, metric, query, q_inv, b};
}

/// Turns a GEMM tile of dot products into scores, written to out[i * ld_out + j].
struct TileScorer {
  Metric metric;
  const RowNorms* a_norms;
  const RowNorms* b_norms;

  void score_row(const detail::Tile& t, std::size_t r, float* out) const {
    const float* dots = t.data + r * t.ld;
    const std::size_t i = t.i0 + r;
    switch (metric) {
      case Metric::cosine: {
        const float ai = a_norms->inverse[i];
        const float* bi = b_norms->inverse.data() + t.j0;
        for (std::size_t c = 0; c < t.cols; ++c) out[c] = clamp_similarity(dots[c] * ai * bi[c]);
        break;
      }
      case Metric::inner_product:
        if (out != dots) std::copy(dots, dots + t.cols, out);
        break;
      case Metric::l2: {
        const float ai = a_norms->squared[i];
        const float* bs = b_norms->squared.data() + t.j0;
        for (std::size_t c = 0; c < t.cols; ++c) {
          const float v = ai + bs[c] - 2.0f * dots[c];
          out[c] = v < 0.0f ? 0.0f : v;  // rounding can dip below 0; NaN passes
        }
        break;
      }
    }
  }
};

// ---- work splitting -------------------------------------------------------------

std::size_t scan_chunk_rows(std::size_t dim) noexcept {
  return std::max<std::size_t>(64, kScanChunkFloats / dim);
}

/// Splits a GEMM over `m` x `n` into tasks: B blocks first (each thread packs its own
/// B rows once), A blocks too when B alone gives too few tasks.
struct GemmGrid {
  std::size_t a_step;
  std::size_t b_step;
  std::size_t a_tasks;
  std::size_t b_tasks;

  std::size_t tasks() const noexcept { return a_tasks * b_tasks; }
};

GemmGrid make_grid(const simd::KernelTable& kernels, std::size_t m, std::size_t n,
                   std::size_t dim, std::size_t threads) {
  const std::size_t block = detail::gemm_block_rows(kernels, dim);
  GemmGrid grid{m, block, 1, (n + block - 1) / block};
  const std::size_t wanted = threads * 4;
  if (grid.b_tasks < wanted && m > kernels.mr) {
    const std::size_t a_tasks = std::min((m + kernels.mr - 1) / kernels.mr,
                                         (wanted + grid.b_tasks - 1) / grid.b_tasks);
    grid.a_step = ((m + a_tasks - 1) / a_tasks + kernels.mr - 1) / kernels.mr * kernels.mr;
    grid.a_tasks = (m + grid.a_step - 1) / grid.a_step;
  }
  return grid;
}

std::size_t gemm_threads(std::size_t requested, std::size_t m, std::size_t n, std::size_t dim) {
  // Below ~4 MFLOP a second thread costs more to start than it saves.
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(dim);
  return flops < 4e6 ? 1 : resolve_threads(requested, std::size_t(-1));
}

std::size_t scan_threads(std::size_t requested, std::size_t tasks) {
  return tasks < 2 ? 1 : resolve_threads(requested, tasks);
}

ParallelOptions with_threads(const ParallelOptions& options, std::size_t threads) {
  ParallelOptions out = options;
  out.threads = threads;
  return out;
}

// ---- pairwise -------------------------------------------------------------------

bool pairwise_scan(const simd::KernelTable& kernels, Metric metric, MatrixView a, MatrixView b,
                   float* out, const ParallelOptions& options) {
  const QueryScan scan = make_scan(kernels, metric, a.data, b);
  const std::size_t chunk = scan_chunk_rows(b.dim);
  const std::size_t tasks = (b.rows + chunk - 1) / chunk;
  std::atomic<bool> finite{true};
  parallel_for(tasks, with_threads(options, scan_threads(options.threads, tasks)),
               [&](std::size_t task, std::size_t) {
                 const std::size_t begin = task * chunk;
                 const std::size_t n = std::min(chunk, b.rows - begin);
                 scan(begin, n, out + begin);
                 if (!all_finite(out + begin, n)) finite.store(false, std::memory_order_relaxed);
               });
  return finite.load();
}

bool pairwise_gemm(const simd::KernelTable& kernels, Metric metric, MatrixView a, MatrixView b,
                   float* out, const ParallelOptions& options) {
  const RowNorms a_norms = metric == Metric::inner_product ? RowNorms{} : row_norms(kernels, a);
  const RowNorms b_norms = metric == Metric::inner_product ? RowNorms{} : row_norms(kernels, b);
  const TileScorer scorer{metric, &a_norms, &b_norms};
  const detail::PackedA packed(kernels, a);
  const std::size_t threads = gemm_threads(options.threads, a.rows, b.rows, a.dim);
  const GemmGrid grid = make_grid(kernels, a.rows, b.rows, a.dim, threads);
  std::vector<detail::GemmWorkspace> workspaces(threads);
  std::atomic<bool> finite{true};
  parallel_for(grid.tasks(), with_threads(options, threads), [&](std::size_t task, std::size_t worker) {
    const std::size_t ia = task % grid.a_tasks;
    const std::size_t jb = task / grid.a_tasks;
    const std::size_t i0 = ia * grid.a_step;
    const std::size_t j0 = jb * grid.b_step;
    bool ok = true;
    detail::gemm_nt(kernels, packed, b, i0, std::min(a.rows, i0 + grid.a_step), j0,
                    std::min(b.rows, j0 + grid.b_step), workspaces[worker],
                    [&](const detail::Tile& t) {
                      for (std::size_t r = 0; r < t.rows; ++r) {
                        float* row_out = out + (t.i0 + r) * b.rows + t.j0;
                        scorer.score_row(t, r, row_out);  // in place
                        ok &= all_finite(row_out, t.cols);
                      }
                    },
                    detail::OutputMatrix{out, b.rows});
    if (!ok) finite.store(false, std::memory_order_relaxed);
  });
  return finite.load();
}

// ---- exact search ---------------------------------------------------------------

/// Scores `count` candidates in chunks of `chunk`, spread over threads: score(begin,
/// n, out) writes the scores of candidates [begin, begin + n), offer(heap, begin,
/// distances, n) hands their distances to a thread's top-k. The heaps are merged into
/// `result`. False when a score came out non-finite.
template <typename Score, typename Offer>
bool scan_top_k(Metric metric, std::size_t count, std::size_t chunk, TopK& result,
                const ParallelOptions& options, Score&& score, Offer&& offer) {
  const std::size_t tasks = (count + chunk - 1) / chunk;
  const std::size_t threads = scan_threads(options.threads, tasks);
  std::vector<TopK> partial(threads, TopK(result.k()));
  std::vector<std::vector<float>> buffers(threads);
  std::atomic<bool> finite{true};
  parallel_for(tasks, with_threads(options, threads), [&](std::size_t task, std::size_t worker) {
    std::vector<float>& buf = buffers[worker];
    buf.resize(chunk);
    const std::size_t begin = task * chunk;
    const std::size_t n = std::min(chunk, count - begin);
    score(begin, n, buf.data());
    if (!all_finite(buf.data(), n)) finite.store(false, std::memory_order_relaxed);
    scores_to_distances(metric, buf.data(), n);
    offer(partial[worker], begin, buf.data(), n);
  });
  for (const TopK& p : partial) result.merge(p);
  return finite.load();
}

bool search_scan(const simd::KernelTable& kernels, Metric metric, const float* query,
                 MatrixView vectors, TopK& result, const ParallelOptions& options) {
  const QueryScan scan = make_scan(kernels, metric, query, vectors);
  const std::size_t chunk = std::min(scan_chunk_rows(vectors.dim), std::size_t(4096));
  return scan_top_k(
      metric, vectors.rows, chunk, result, options,
      [&](std::size_t begin, std::size_t n, float* out) { scan(begin, n, out); },
      [](TopK& heap, std::size_t begin, const float* distances, std::size_t n) {
        heap.push_block(distances, n, static_cast<std::int64_t>(begin));
      });
}

/// search_scan() over the listed rows only: each is scored in place (no gather copy),
/// the next ones prefetched while one is scored.
bool search_scan_rows(const simd::KernelTable& kernels, Metric metric, const float* query,
                      MatrixView vectors, const std::int64_t* rows, std::size_t n_rows,
                      TopK& result, const ParallelOptions& options) {
  constexpr std::size_t kAhead = 4;
  const QueryScan scan = make_scan(kernels, metric, query, vectors);
  auto row = [rows](std::size_t i) { return static_cast<std::size_t>(rows[i]); };
  return scan_top_k(
      metric, n_rows, 1024, result, options,
      [&](std::size_t begin, std::size_t n, float* out) {
        for (std::size_t i = begin; i < begin + n; ++i) {
          if (i + kAhead < begin + n) prefetch_row(vectors, row(i + kAhead));
          scan(row(i), 1, out + (i - begin));
        }
      },
      [rows](TopK& heap, std::size_t begin, const float* distances, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) heap.push(distances[i], rows[begin + i]);
      });
}

bool search_gemm(const simd::KernelTable& kernels, Metric metric, MatrixView queries,
                 MatrixView vectors, std::vector<TopK>& results, const ParallelOptions& options) {
  const RowNorms q_norms = metric == Metric::inner_product ? RowNorms{} : row_norms(kernels, queries);
  const RowNorms v_norms = metric == Metric::inner_product ? RowNorms{} : row_norms(kernels, vectors);
  const TileScorer scorer{metric, &q_norms, &v_norms};
  const detail::PackedA packed(kernels, queries);
  const std::size_t threads = gemm_threads(options.threads, queries.rows, vectors.rows, queries.dim);
  const GemmGrid grid = make_grid(kernels, queries.rows, vectors.rows, queries.dim, threads);
  std::vector<detail::GemmWorkspace> workspaces(threads);
  std::vector<std::vector<TopK>> partial(threads, std::vector<TopK>(queries.rows, TopK(results[0].k())));
  std::vector<std::vector<float>> rows(threads);
  std::atomic<bool> finite{true};
  parallel_for(grid.tasks(), with_threads(options, threads), [&](std::size_t task, std::size_t worker) {
    const std::size_t i0 = (task % grid.a_tasks) * grid.a_step;
    const std::size_t j0 = (task / grid.a_tasks) * grid.b_step;
    std::vector<float>& row = rows[worker];
    bool ok = true;
    detail::gemm_nt(kernels, packed, vectors, i0, std::min(queries.rows, i0 + grid.a_step), j0,
                    std::min(vectors.rows, j0 + grid.b_step), workspaces[worker],
                    [&](const detail::Tile& t) {
                      row.resize(t.cols);
                      for (std::size_t r = 0; r < t.rows; ++r) {
                        scorer.score_row(t, r, row.data());
                        ok &= all_finite(row.data(), t.cols);
                        scores_to_distances(metric, row.data(), t.cols);
                        partial[worker][t.i0 + r].push_block(row.data(), t.cols,
                                                             static_cast<std::int64_t>(t.j0));
                      }
                    });
    if (!ok) finite.store(false, std::memory_order_relaxed);
  });
  for (const auto& worker_heaps : partial) {
    for (std::size_t q = 0; q < queries.rows; ++q) results[q].merge(worker_heaps[q]);
  }
  return finite.load();
}

}  // namespace

Metric parse_metric(std::string_view name) {
  if (name == "cosine" || name == "cos") return Metric::cosine;
  if (name == "ip" || name == "inner_product" || name == "dot") return Metric::inner_product;
  if (name == "l2" || name == "l2sq" || name == "euclidean") return Metric::l2;
  throw VectorError("unknown metric '" + std::string(name) + "': use 'cosine', 'ip' or 'l2'");
}

const char* metric_name(Metric metric) noexcept {
  switch (metric) {
    case Metric::cosine:
      return "cosine";
    case Metric::inner_product:
      return "ip";
    case Metric::l2:
      return "l2";
  }
  return "unknown";
}

void pairwise(Metric metric, MatrixView a, MatrixView b, float* out,
              const ParallelOptions& options, OperandNames names) {
  check_operands(a, b, names);
  const simd::KernelTable& kernels = simd::active_kernels();
  const bool finite = a.rows == 1 ? pairwise_scan(kernels, metric, a, b, out, options)
                                  : pairwise_gemm(kernels, metric, a, b, out, options);
  if (!finite) explain_non_finite(a, b, names);
}

void exact_search(Metric metric, MatrixView queries, MatrixView vectors, std::size_t k,
                  std::int64_t* keys, float* distances, const ParallelOptions& options) {
  const OperandNames names{"queries", "vectors"};
  check_operands(queries, vectors, names);
  if (k == 0) throw VectorError("k must be at least 1");
  const simd::KernelTable& kernels = simd::active_kernels();
  std::vector<TopK> results(queries.rows, TopK(k));
  bool finite = true;
  if (queries.rows == 1) {
    require_finite(queries, names.a);
    finite = search_scan(kernels, metric, queries.data, vectors, results[0], options);
  } else {
    finite = search_gemm(kernels, metric, queries, vectors, results, options);
  }
  if (!finite) explain_non_finite(queries, vectors, names);
  for (std::size_t q = 0; q < queries.rows; ++q) {
    results[q].write_sorted(keys + q * k, distances + q * k);
  }
}

void exact_search_rows(Metric metric, MatrixView queries, MatrixView vectors,
                       const std::int64_t* rows, std::size_t n_rows, std::size_t k,
                       std::int64_t* keys, float* distances, const ParallelOptions& options) {
  if (n_rows == 0) throw VectorError("rows is empty: list at least one row to search");
  for (std::size_t i = 0; i < n_rows; ++i) {
    if (rows[i] < 0 || static_cast<std::uint64_t>(rows[i]) >= vectors.rows) {
      throw VectorError("rows[" + std::to_string(i) + "] = " + std::to_string(rows[i]) +
                        " is not a row of vectors (0.." + std::to_string(vectors.rows) +
                        "); list row numbers of the matrix searched");
    }
  }
  if (queries.rows != 1) {
    // Several queries go through the GEMM, which wants the rows side by side.
    std::vector<float> gathered(n_rows * vectors.dim);
    for (std::size_t i = 0; i < n_rows; ++i) {
      const float* row = vectors.row(static_cast<std::size_t>(rows[i]));
      std::copy(row, row + vectors.dim, gathered.data() + i * vectors.dim);
    }
    exact_search(metric, queries, MatrixView{gathered.data(), n_rows, vectors.dim}, k, keys,
                 distances, options);
    for (std::size_t i = 0; i < queries.rows * k; ++i) {
      if (keys[i] >= 0) keys[i] = rows[keys[i]];
    }
    return;
  }
  const OperandNames names{"queries", "vectors"};
  check_operands(queries, vectors, names);
  if (k == 0) throw VectorError("k must be at least 1");
  require_finite(queries, names.a);
  TopK result(k);
  const bool finite = search_scan_rows(simd::active_kernels(), metric, queries.data, vectors,
                                       rows, n_rows, result, options);
  if (!finite) {
    // Blame the listed rows only: the others were not read.
    for (std::size_t i = 0; i < n_rows; ++i) {
      require_finite_row(vectors, static_cast<std::size_t>(rows[i]), names.b);
    }
    explain_non_finite(queries, queries, names);  // an overflow
  }
  result.write_sorted(keys, distances);
}

double sum(const float* data, std::size_t n, const ParallelOptions& options) {
  const simd::KernelTable& kernels = simd::active_kernels();
  const std::size_t chunk = 1u << 20;
  const std::size_t tasks = (n + chunk - 1) / chunk;
  const std::size_t threads = scan_threads(options.threads, tasks);
  std::vector<double> partial(threads, 0.0);
  parallel_for(tasks, with_threads(options, threads), [&](std::size_t task, std::size_t worker) {
    const std::size_t begin = task * chunk;
    partial[worker] += kernels.sum(data + begin, std::min(chunk, n - begin));
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace mastra
