/**
 * @file hnsw_index.hpp
 * @brief HNSW approximate nearest-neighbour index (Malkov & Yashunin, 2016) over
 *        float32, float16 or int8 vector storage, with int64 keys.
 *
 * Thread safety: any number of threads may call the const members (search, get,
 * contains, keys, stats, save) at once; add and remove take the index exclusively
 * and spread a batch over several threads themselves. Removed keys are never
 * returned; their slots are reused by later adds.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mastra/distance.hpp"
#include "mastra/parallel.hpp"

namespace mastra {

/// How vectors are stored: full float32, IEEE float16, or int8 with a per-vector scale.
enum class StorageType { f32, f16, i8 };

StorageType parse_storage(std::string_view name);
const char* storage_name(StorageType storage) noexcept;

struct HnswConfig {
  std::size_t dim = 0;
  Metric metric = Metric::cosine;
  std::size_t m = 16;                ///< links per node on the upper levels (2m on level 0)
  std::size_t ef_construction = 200;
  std::size_t ef_search = 64;
  std::size_t capacity = 0;          ///< slots reserved up front; the index grows past it
  StorageType storage = StorageType::f32;
  std::uint64_t seed = 0;
};

struct HnswStats {
  std::size_t size = 0;       ///< live vectors
  std::size_t slots = 0;      ///< slots in use, removed ones included
  std::size_t capacity = 0;   ///< slots allocated
  std::size_t levels = 0;     ///< levels of the graph
  std::size_t edges = 0;      ///< directed links on all levels
  std::size_t bytes = 0;      ///< memory held by vectors, links and keys
  std::size_t unreachable = 0;  ///< live vectors no link path from the entry point reaches
  std::vector<std::size_t> nodes_per_level;
};

/// Restricts a search to some keys: either a list of allowed keys or a predicate.
struct SearchFilter {
  const std::int64_t* allowed = nullptr;
  std::size_t allowed_count = 0;
  std::function<bool(std::int64_t)> predicate;

  bool active() const noexcept { return allowed != nullptr || static_cast<bool>(predicate); }
};

/// How a search finds its answers.
enum class SearchMode {
  automatic,  ///< the graph walk, or an exact scan where that costs less (see search)
  graph,      ///< the graph walk (a filtered search that finds too few is still completed)
  exact,      ///< an exact scan of every allowed vector
};

class HnswIndex {
 public:
  explicit HnswIndex(const HnswConfig& config);
  ~HnswIndex();
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  /// Adds n vectors (row-major n x dim) under the given keys (>= 0). Adding a key
  /// that exists replaces its vector. Throws VectorError on bad input.
  void add(const std::int64_t* keys, const float* vectors, std::size_t n,
           const ParallelOptions& options);

  /// k nearest live vectors for each of m queries, distances as in exact_search;
  /// rows padded with key -1 and distance +inf. ef = 0 uses the configured ef_search.
  /// A filtered search still returns min(k, matching keys) results. SearchMode::automatic
  /// scans instead of walking when the beam is wide for the graph (ef >= slots / 16) or
  /// the allowed keys are few; the answer is then exact.
  void search(const float* queries, std::size_t m, std::size_t k, std::size_t ef,
              const SearchFilter& filter, std::int64_t* keys_out, float* distances_out,
              const ParallelOptions& options, SearchMode mode = SearchMode::automatic) const;

  /// Removes keys; unknown keys are ignored. Returns how many were removed.
  std::size_t remove(const std::int64_t* keys, std::size_t n);

  bool contains(std::int64_t key) const;
  /// Writes the stored vector (decoded to float32) into out; false if absent.
  bool get(std::int64_t key, float* out) const;
  std::vector<std::int64_t> keys() const;
  std::size_t size() const;
  HnswStats stats() const;
  const HnswConfig& config() const noexcept;
  void set_ef_search(std::size_t ef);
  /// True for an index opened with view(): searches only, over a memory map.
  bool read_only() const noexcept;

  /// Writes the index to `path` (atomically: a temporary file renamed into place).
  void save(const std::string& path) const;
  /// Reads an index fully into memory, verifying its checksum.
  static std::unique_ptr<HnswIndex> load(const std::string& path);
  /// Opens an index as a read-only memory map (header and structure checked; the
  /// bulk is read lazily by the searches).
  static std::unique_ptr<HnswIndex> view(const std::string& path);
  /// Serialises to / from bytes (the same format as save/load).
  std::vector<char> to_bytes() const;
  static std::unique_ptr<HnswIndex> from_bytes(const char* data, std::size_t size);
  /// A deep, writable copy.
  std::unique_ptr<HnswIndex> clone() const;

  struct Impl;

 private:
  explicit HnswIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mastra
