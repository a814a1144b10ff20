/**
 * @file topk.cpp
 * @brief TopK: a bounded max-heap of the closest (distance, key) pairs.
 */
#include "mastra/topk.hpp"

#include <algorithm>
#include <limits>

namespace mastra {

void TopK::sift_down_root() {
  const std::size_t n = heap_.size();
  std::size_t i = 0;
  const Neighbor item = heap_[0];
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && closer(heap_[child], heap_[child + 1])) ++child;
    if (!closer(item, heap_[child])) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = item;
}

void TopK::push(float distance, std::int64_t key) {
  if (k_ == 0) return;
  const Neighbor candidate{distance, key};
  if (heap_.size() < k_) {
    heap_.push_back(candidate);
    std::push_heap(heap_.begin(), heap_.end(), closer);
    return;
  }
  if (!closer(candidate, heap_[0])) return;
  heap_[0] = candidate;
  sift_down_root();
}

void TopK::push_block(const float* distances, std::size_t n, std::int64_t first_key) {
  std::size_t i = 0;
  for (; i < n && heap_.size() < k_; ++i) push(distances[i], first_key + static_cast<std::int64_t>(i));
  if (k_ == 0) return;
  float worst = heap_[0].distance;
  for (; i < n; ++i) {
    // Equal distances still go through push(): the key decides the tie.
    if (distances[i] <= worst) {
      push(distances[i], first_key + static_cast<std::int64_t>(i));
      worst = heap_[0].distance;
    }
  }
}

void TopK::merge(const TopK& other) {
  for (const Neighbor& n : other.heap_) push(n.distance, n.key);
}

void TopK::write_sorted(std::int64_t* keys, float* distances) const {
  std::vector<Neighbor> sorted(heap_);
  std::sort(sorted.begin(), sorted.end(), closer);
  for (std::size_t i = 0; i < k_; ++i) {
    if (i < sorted.size()) {
      keys[i] = sorted[i].key;
      distances[i] = sorted[i].distance;
    } else {
      keys[i] = -1;
      distances[i] = std::numeric_limits<float>::infinity();
    }
  }
}

}  // namespace mastra
