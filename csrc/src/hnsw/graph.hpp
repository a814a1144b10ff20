/**
 * @file graph.hpp
 * @brief Graph traversal shared by search and insert: per-thread scratch space,
 *        the greedy descent through the upper levels and the best-first search of
 *        one level (internal to the core).
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "index_impl.hpp"

namespace mastra::hnsw {

struct Candidate {
  float distance;
  std::uint32_t slot;
};

struct FartherFirst {  // max-heap order: the farthest on top
  bool operator()(const Candidate& a, const Candidate& b) const noexcept {
    return a.distance < b.distance;
  }
};
struct NearerFirst {  // min-heap order: the nearest on top
  bool operator()(const Candidate& a, const Candidate& b) const noexcept {
    return a.distance > b.distance;
  }
};

/// Buffers one search reuses: the visited marks (tagged by an epoch so that
/// clearing is O(1)), both heaps, and room for prepared vectors.
struct Scratch {
  std::vector<std::uint16_t> visited;
  std::uint16_t epoch = 0;
  std::vector<Candidate> candidates;
  std::vector<Candidate> top;
  std::vector<float> query;
  std::vector<float> vectors;        // prepared neighbour vectors for the heuristic
  std::vector<std::uint32_t> links;  // a copy of one node's links
  std::vector<Candidate> pool;       // candidates when pruning a full link list
  std::vector<float> base;           // a decoded vector and its prepared form
  std::vector<float> distances;      // the scores of one node's neighbours

  /// Room for `n` scores.
  float* scores(std::size_t n) {
    if (distances.size() < n) distances.resize(n);
    return distances.data();
  }

  void begin(std::size_t slots) {
    if (visited.size() < slots) {
      visited.assign(slots + slots / 4 + 64, 0);
      epoch = 0;
    }
    if (++epoch == 0) {
      std::fill(visited.begin(), visited.end(), 0);
      epoch = 1;
    }
  }
  /// Moves the slots not visited yet to the front of `slots`, marks them visited and
  /// returns their count. Branch-free: about half of them are seen already, at random.
  std::size_t keep_unvisited(std::vector<std::uint32_t>& slots) noexcept {
    std::size_t fresh = 0;
    for (std::uint32_t n : slots) {
      slots[fresh] = n;
      fresh += visited[n] != epoch;
      visited[n] = epoch;
    }
    return fresh;
  }
  bool first_visit(std::uint32_t slot) noexcept {
    if (visited[slot] == epoch) return false;
    visited[slot] = epoch;
    return true;
  }
};

/// Hands out one Scratch per nesting depth on this thread (a predicate may search
/// another index from inside a search).
class ScratchLease {
 public:
  ScratchLease();
  ~ScratchLease();
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  Scratch& get() noexcept { return *scratch_; }

 private:
  Scratch* scratch_;
};

/// Starts loading a node's level-0 links into L2: a node that enters the beam is
/// likely to be expanded a few steps later.
inline void prefetch_links(const HnswIndex::Impl& s, std::uint32_t slot) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  const char* p = s.block(slot);
  const char* end = p + s.aux_offset;
  for (; p < end; p += 64) __builtin_prefetch(p, 0, 2);
#else
  (void)s;
  (void)slot;
#endif
}

/// Scores the `n` slots in `ids` against `q` into `out` (as Impl::distance does) with
/// one gather kernel call, which keeps several vectors in flight at once.
inline void score(const HnswIndex::Impl& s, const simd::KernelTable& k, const Query& q,
                  const std::uint32_t* ids, std::size_t n, float* out) {
  const simd::RowGather rows{s.level0 + s.aux_offset, s.block_size,
                             s.vector_offset - s.aux_offset, ids, n};
  switch (s.config.storage) {
    case StorageType::f32:
      if (s.config.metric == Metric::l2) {
        k.gather_l2(q.vector, rows, s.config.dim, out);  // already the distance
        return;
      }
      k.gather_dot(q.vector, rows, s.config.dim, out);
      break;
    case StorageType::f16:
      k.gather_dot_f16(q.vector, rows, s.config.dim, out);
      break;
    case StorageType::i8:
      k.gather_dot_i8(q.vector, rows, s.config.dim, out);
      break;
  }
  for (std::size_t j = 0; j < n; ++j) out[j] = s.finish(q, out[j], ids[j]);
}

/// Reads the links of `slot` on `level` into `out` (under the node lock when
/// kLocked, for concurrent inserts); clamps the count and drops ids out of range.
template <bool kLocked>
inline void read_links(const HnswIndex::Impl& s, std::uint32_t slot, int level,
                       std::vector<std::uint32_t>& out) {
  out.clear();
  if (level > 0 && (s.levels[slot] < level || s.upper[slot] == nullptr)) return;
  if constexpr (kLocked) s.node_locks[slot].lock();
  const std::uint32_t* l = s.links(slot, level);
  const std::size_t count = std::min<std::size_t>(l[0], s.max_links(level));
  for (std::size_t j = 0; j < count; ++j) {
    if (l[1 + j] < s.slots) out.push_back(l[1 + j]);
  }
  if constexpr (kLocked) s.node_locks[slot].unlock();
}

/// Greedy descent from the entry point to `stop_level` (exclusive), one best
/// neighbour at a time. Returns the closest node found and its distance. A node
/// scored once is not scored again: it was no nearer than the node kept then, so it
/// cannot be nearer than the current one (consecutive neighbourhoods overlap).
template <bool kLocked>
Candidate greedy_descent(const HnswIndex::Impl& s, const simd::KernelTable& k, const Query& q,
                         Candidate current, int from_level, int stop_level, Scratch& sc) {
  sc.begin(s.slots);
  sc.first_visit(current.slot);
  for (int level = from_level; level > stop_level; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      read_links<kLocked>(s, current.slot, level, sc.links);
      const std::size_t count = sc.keep_unvisited(sc.links);
      float* scores = sc.scores(count);
      score(s, k, q, sc.links.data(), count, scores);
      for (std::size_t j = 0; j < count; ++j) {
        if (scores[j] < current.distance) {
          current = Candidate{scores[j], sc.links[j]};
          changed = true;
        }
      }
    }
  }
  return current;
}

/// Best-first search of one level from `start` with beam width ef. Every reached
/// node guides the search; only those `accept` allows enter the result (sc.top, a
/// max-heap of at most ef candidates).
template <bool kLocked, typename Accept>
void search_level(const HnswIndex::Impl& s, const simd::KernelTable& k, const Query& q,
                  Candidate start, std::size_t ef, int level, Accept&& accept, Scratch& sc) {
  sc.begin(s.slots);
  auto& candidates = sc.candidates;
  auto& top = sc.top;
  candidates.clear();
  top.clear();
  sc.first_visit(start.slot);
  candidates.push_back(start);
  if (accept(start.slot)) top.push_back(start);
  float bound = top.empty() ? std::numeric_limits<float>::infinity() : start.distance;

  while (!candidates.empty()) {
    const Candidate c = candidates.front();
    if (c.distance > bound && top.size() >= ef) break;
    std::pop_heap(candidates.begin(), candidates.end(), NearerFirst{});
    candidates.pop_back();

    // Keep the unvisited neighbours and score them all in one go: many cache
    // misses in flight instead of one at a time, and no unpredictable branch on a
    // distance between two scores (the heap updates come after).
    read_links<kLocked>(s, c.slot, level, sc.links);
    const std::size_t fresh = sc.keep_unvisited(sc.links);
    float* scores = sc.scores(fresh);
    score(s, k, q, sc.links.data(), fresh, scores);
    for (std::size_t j = 0; j < fresh; ++j) {
      const std::uint32_t n = sc.links[j];
      const float d = scores[j];
      if (top.size() >= ef && !(d < bound)) continue;
      if (level == 0) prefetch_links(s, n);
      candidates.push_back(Candidate{d, n});
      std::push_heap(candidates.begin(), candidates.end(), NearerFirst{});
      if (accept(n)) {
        top.push_back(Candidate{d, n});
        std::push_heap(top.begin(), top.end(), FartherFirst{});
        if (top.size() > ef) {
          std::pop_heap(top.begin(), top.end(), FartherFirst{});
          top.pop_back();
        }
        bound = top.front().distance;
      }
    }
  }
}

/// Links every live node that no level-0 link reaches any more (after an add, with
/// the exclusive lock held): the nodes just `added` and those pruning left unlinked.
void link_unreached(HnswIndex::Impl& s, const simd::KernelTable& k,
                    const std::vector<std::uint32_t>& added);

}  // namespace mastra::hnsw
