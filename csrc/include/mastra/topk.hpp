/**
 * @file topk.hpp
 * @brief Bounded selection of the k smallest (distance, key) pairs.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace mastra {

/// One candidate: ties on distance are broken by the smaller key, so results do not
/// depend on how the work was split between threads.
struct Neighbor {
  float distance;
  std::int64_t key;
};

inline bool closer(const Neighbor& a, const Neighbor& b) noexcept {
  return a.distance < b.distance || (a.distance == b.distance && a.key < b.key);
}

/**
 * Keeps the k closest candidates seen so far in a max-heap. A candidate is compared
 * with the current worst before any heap work, so a scan over many rows costs one
 * comparison per row once the heap is full.
 */
class TopK {
 public:
  explicit TopK(std::size_t k = 0) : k_(k) { heap_.reserve(k); }

  std::size_t k() const noexcept { return k_; }
  std::size_t size() const noexcept { return heap_.size(); }

  void push(float distance, std::int64_t key);

  /// The distance a candidate must not exceed to be kept (+inf until k are held).
  float worst() const noexcept {
    if (k_ == 0) return -std::numeric_limits<float>::infinity();
    return heap_.size() < k_ ? std::numeric_limits<float>::infinity() : heap_[0].distance;
  }

  /// Offers distances[i] with key first_key + i for i in [0, n).
  void push_block(const float* distances, std::size_t n, std::int64_t first_key);

  /// Offers every candidate held by `other`.
  void merge(const TopK& other);

  /// Writes the k closest, nearest first, padding with key -1 and distance +inf.
  void write_sorted(std::int64_t* keys, float* distances) const;

  void clear() noexcept { heap_.clear(); }

 private:
  void sift_down_root();

  std::size_t k_;
  std::vector<Neighbor> heap_;  // max-heap under closer(): heap_[0] is the worst kept
};

}  // namespace mastra
