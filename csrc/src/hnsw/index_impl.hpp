/**
 * @file index_impl.hpp
 * @brief The state behind mastra::HnswIndex and the inline pieces of its hot path
 *        (node layout, vector encoding, distances). Internal to the core.
 *
 * Node layout on level 0, one fixed-size block per slot (16-byte aligned):
 *   uint32 count | uint32 links[m0] | float scale, norm_sq, inv_norm | vector (dim x T)
 * Upper levels: per slot with level L > 0, L arrays of (1 + m) uint32 (count, links).
 */
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "../simd/kernels.hpp"
#include "key_map.hpp"
#include "mapped_file.hpp"
#include "mastra/float16.hpp"
#include "mastra/hnsw_index.hpp"

namespace mastra {

namespace hnsw {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;
static_assert(KeyMap::kMissing == kNone, "a missing key reads as no slot");
constexpr std::size_t kMaxLevel = 40;

/// A one-byte spin lock guarding one node's links during parallel inserts.
class SpinLock {
 public:
  void lock() noexcept {
    while (flag_.test_and_set(std::memory_order_acquire)) {
    }
  }
  void unlock() noexcept { flag_.clear(std::memory_order_release); }

 private:
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

/// Aligned, growable byte storage that keeps its contents when it grows.
class Bytes {
 public:
  Bytes() = default;
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() { release(); }

  /// Makes room for `bytes`, keeping the first `used` (the rest is left untouched).
  void grow(std::size_t bytes, std::size_t used);
  char* data() noexcept { return data_; }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr std::size_t kHugePageThreshold = std::size_t{8} << 20;

  void release() noexcept;
  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t alignment_ = 64;
};

/// A query prepared for one metric and storage type.
struct Query {
  const float* vector;  // normalised for cosine
  float norm_sq;        // |q|^2 (for L2 over quantised storage)
};

}  // namespace hnsw

struct HnswIndex::Impl {
  explicit Impl(const HnswConfig& cfg);

  // ---- configuration and layout ----
  HnswConfig config;
  std::size_t m0;            // max links on level 0
  std::size_t m_upper;       // max links on upper levels
  std::size_t aux_offset;    // byte offset of the 3 aux floats in a block
  std::size_t vector_offset; // byte offset of the vector in a block
  std::size_t vector_bytes;
  std::size_t block_size;
  double level_mult;

  // ---- storage: owned, or pointing into a read-only mapping ----
  char* level0 = nullptr;
  std::int64_t* keys_by_slot = nullptr;
  std::uint8_t* levels = nullptr;
  std::uint8_t* deleted = nullptr;
  std::vector<std::uint32_t*> upper;
  hnsw::Bytes level0_owned;
  std::vector<std::int64_t> keys_owned;
  std::vector<std::uint8_t> levels_owned;
  std::vector<std::uint8_t> deleted_owned;
  std::vector<std::unique_ptr<std::uint32_t[]>> upper_owned;
  std::unique_ptr<hnsw::MappedFile> mapping;

  std::size_t slots = 0;
  std::size_t capacity = 0;
  std::size_t live = 0;
  int max_level = -1;
  std::uint32_t entry = hnsw::kNone;
  std::vector<std::uint32_t> free_slots;
  mutable hnsw::KeyMap key_to_slot;
  mutable std::once_flag key_map_built;
  std::mt19937_64 rng;
  std::unique_ptr<hnsw::SpinLock[]> node_locks;
  mutable std::shared_mutex mutex;
  std::mutex entry_mutex;

  // ---- level-0 in-degrees, kept while adding, to find nodes no link reaches ----
  std::unique_ptr<std::atomic<std::uint32_t>[]> in_degree;  // null until the first add
  std::mutex unlinked_mutex;
  std::vector<std::uint32_t> unlinked;  // nodes whose in-degree fell to zero

  /// Counts a new level-0 link to `target`.
  void count_link(std::uint32_t target) noexcept {
    in_degree[target].fetch_add(1, std::memory_order_relaxed);
  }
  /// Forgets a level-0 link to `target`, noting it when no link reaches it any more.
  void uncount_link(std::uint32_t target) {
    if (in_degree[target].fetch_sub(1, std::memory_order_relaxed) == 1) {
      std::lock_guard<std::mutex> guard(unlinked_mutex);
      unlinked.push_back(target);
    }
  }

  bool read_only() const noexcept { return mapping != nullptr; }

  // ---- node access ----
  char* block(std::uint32_t slot) const noexcept { return level0 + slot * block_size; }
  std::uint32_t* links0(std::uint32_t slot) const noexcept {
    return reinterpret_cast<std::uint32_t*>(block(slot));
  }
  std::uint32_t* links(std::uint32_t slot, int level) const noexcept {
    if (level == 0) return links0(slot);
    return upper[slot] + static_cast<std::size_t>(level - 1) * (1 + m_upper);
  }
  std::size_t max_links(int level) const noexcept { return level == 0 ? m0 : m_upper; }
  const float* aux(std::uint32_t slot) const noexcept {
    return reinterpret_cast<const float*>(block(slot) + aux_offset);
  }
  const char* vector_data(std::uint32_t slot) const noexcept {
    return block(slot) + vector_offset;
  }

  // ---- vectors ----
  void encode(std::uint32_t slot, const float* vec) const;
  void decode(std::uint32_t slot, float* out) const;
  /// Prepares `vec` as a query into `buffer` (dim floats).
  hnsw::Query prepare(const float* vec, float* buffer) const;

  /// Distance from a prepared query to the vector in `slot`, as exact_search reports it.
  float distance(const simd::KernelTable& k, const hnsw::Query& q, std::uint32_t slot) const {
    const char* v = vector_data(slot);
    switch (config.storage) {
      case StorageType::f32:
        if (config.metric == Metric::l2) {
          return k.l2_sq(q.vector, reinterpret_cast<const float*>(v), config.dim);
        }
        return finish(q, k.dot(q.vector, reinterpret_cast<const float*>(v), config.dim), slot);
      case StorageType::f16:
        return finish(q, k.dot_f16(q.vector, reinterpret_cast<const std::uint16_t*>(v), config.dim),
                      slot);
      case StorageType::i8:
        return finish(q, k.dot_i8(q.vector, reinterpret_cast<const std::int8_t*>(v), config.dim),
                      slot);
    }
    return 0.0f;
  }

  /// The distance of `slot` from a prepared query given their raw product `dot`
  /// (the query against the stored values, before an int8 row's scale).
  float finish(const hnsw::Query& q, float dot, std::uint32_t slot) const noexcept {
    const float* a = aux(slot);
    if (config.storage == StorageType::i8) dot *= a[0];
    switch (config.metric) {
      case Metric::cosine:
        return 1.0f - dot * a[2];
      case Metric::inner_product:
        return -dot;
      case Metric::l2: {
        const float d = q.norm_sq + a[1] - 2.0f * dot;
        return d < 0.0f ? 0.0f : d;
      }
    }
    return dot;
  }

  /// Distance between two stored vectors (float32 storage: no decoding).
  float distance_f32(const simd::KernelTable& k, std::uint32_t a, std::uint32_t b) const {
    const auto* va = reinterpret_cast<const float*>(vector_data(a));
    const auto* vb = reinterpret_cast<const float*>(vector_data(b));
    switch (config.metric) {
      case Metric::cosine:
        return 1.0f - k.dot(va, vb, config.dim) * aux(a)[2] * aux(b)[2];
      case Metric::inner_product:
        return -k.dot(va, vb, config.dim);
      case Metric::l2:
        return k.l2_sq(va, vb, config.dim);
    }
    return 0.0f;
  }

  // ---- growth and slots (exclusive lock held) ----
  void reserve(std::size_t new_capacity);
  std::uint32_t take_slot();
  int random_level();
  /// Counts the level-0 in-degree of every slot (once, before the first add).
  void ensure_in_degree();
  void build_key_map() const;
  std::uint32_t find_slot(std::int64_t key) const;
};

}  // namespace mastra
