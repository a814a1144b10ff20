/**
 * @file graph_search.cpp
 * @brief HnswIndex::search: greedy descent, best-first search of level 0, filters,
 *        and the exact fallback that keeps filtered searches complete.
 */
#include <algorithm>
#include <limits>
#include <string>

#include "graph.hpp"
#include "mastra/errors.hpp"
#include "mastra/topk.hpp"

namespace mastra {
namespace hnsw {

namespace {
thread_local std::vector<std::unique_ptr<Scratch>> t_scratch;
thread_local std::size_t t_depth = 0;
}  // namespace

ScratchLease::ScratchLease() {
  if (t_scratch.size() <= t_depth) t_scratch.push_back(std::make_unique<Scratch>());
  scratch_ = t_scratch[t_depth++].get();
}

ScratchLease::~ScratchLease() { --t_depth; }

}  // namespace hnsw

namespace {

using hnsw::Candidate;

/// Which slots a search may return.
struct SlotFilter {
  const HnswIndex::Impl& s;
  const SearchFilter& filter;
  std::vector<std::uint8_t> allowed_slots;  // when filtering by a key list
  std::size_t allowed_live = 0;             // live slots that pass (key list only)

  SlotFilter(const HnswIndex::Impl& index, const SearchFilter& f) : s(index), filter(f) {
    if (f.allowed == nullptr) return;
    allowed_slots.assign(s.slots, 0);
    s.build_key_map();
    constexpr std::size_t kAhead = 8;  // lookups in flight: each is one likely miss
    for (std::size_t i = 0; i < f.allowed_count; ++i) {
      if (i + kAhead < f.allowed_count) s.key_to_slot.prefetch(f.allowed[i + kAhead]);
      const std::uint32_t slot = s.key_to_slot.find(f.allowed[i]);
      if (slot != hnsw::kNone && allowed_slots[slot] == 0) {
        allowed_slots[slot] = 1;
        ++allowed_live;
      }
    }
  }

  bool accepts(std::uint32_t slot) const {
    if (s.deleted[slot] != 0) return false;
    if (filter.allowed != nullptr) return allowed_slots[slot] != 0;
    if (filter.predicate) return filter.predicate(s.keys_by_slot[slot]);
    return true;
  }

  /// Most results a search can return.
  std::size_t reachable() const noexcept {
    return filter.allowed != nullptr ? allowed_live : s.live;
  }
};

/// Exact search over every accepted live slot, a block of distances at a time (no
/// heap work between two of them; most are beyond the k-th and never reach it).
void exact_scan(const HnswIndex::Impl& s, const simd::KernelTable& k, const hnsw::Query& q,
                const SlotFilter& accept, TopK& out) {
  constexpr std::size_t kBlock = 64;
  std::uint32_t ids[kBlock];
  float distances[kBlock];
  for (std::uint32_t slot = 0; slot < s.slots;) {
    std::size_t n = 0;
    for (; slot < s.slots && n < kBlock; ++slot) {
      if (accept.accepts(slot)) ids[n++] = slot;
    }
    hnsw::score(s, k, q, ids, n, distances);
    for (std::size_t i = 0; i < n; ++i) {
      if (distances[i] <= out.worst()) out.push(distances[i], s.keys_by_slot[ids[i]]);
    }
  }
}

/// Offers the beam's nearest `kk` (and any tied with the last) to `result`: only
/// their keys are read (cache misses, all in flight at once), not the whole beam's.
/// Reorders the beam.
void offer_nearest(const HnswIndex::Impl& s, std::vector<Candidate>& beam, std::size_t kk,
                   TopK& result) {
  auto end = beam.end();
  if (beam.size() > kk) {
    const auto kth = beam.begin() + static_cast<std::ptrdiff_t>(kk - 1);
    std::nth_element(beam.begin(), kth, beam.end(), [](const Candidate& a, const Candidate& b) {
      return a.distance < b.distance;
    });
    const float last = kth->distance;
    end = std::partition(kth + 1, beam.end(), [last](const Candidate& c) {
      return !(c.distance > last);
    });
  }
#if defined(__GNUC__) || defined(__clang__)
  for (auto c = beam.begin(); c != end; ++c) __builtin_prefetch(&s.keys_by_slot[c->slot]);
#endif
  for (auto c = beam.begin(); c != end; ++c) result.push(c->distance, s.keys_by_slot[c->slot]);
}

/// Graphs up to this many slots per unit of ef are scanned instead of walked.
constexpr std::size_t kScanSlotsPerEf = 16;

/// Whether an exact scan answers this search rather than the graph walk.
bool scans(const HnswIndex::Impl& s, const SlotFilter& accept, std::size_t ef, SearchMode mode) {
  switch (mode) {
    case SearchMode::exact:
      return true;
    case SearchMode::graph:
      return false;
    case SearchMode::automatic:
      break;
  }
  // A beam wide for the graph, or a filter that leaves few keys, costs about as much
  // as scoring every candidate. (A walk with beam ef scores a growing share of a small
  // graph: measured on 300 to 3,000 slots, the sequential scan is the cheaper one up to
  // about 20 slots per unit of ef; kScanSlotsPerEf keeps a margin.)
  const bool small_filter = accept.filter.allowed != nullptr &&
                            accept.reachable() <= std::max<std::size_t>(2 * ef, s.live / 64);
  return small_filter || ef >= s.live || s.slots <= kScanSlotsPerEf * ef;
}

void search_one(const HnswIndex::Impl& s, const simd::KernelTable& k, const float* query,
                std::size_t kk, std::size_t ef, const SlotFilter& accept, SearchMode mode,
                std::int64_t* keys_out, float* dist_out) {
  hnsw::ScratchLease lease;
  hnsw::Scratch& sc = lease.get();
  sc.query.resize(s.config.dim);
  const hnsw::Query q = s.prepare(query, sc.query.data());
  TopK result(kk);

  const std::size_t reachable = accept.reachable();
  if (scans(s, accept, ef, mode)) {
    exact_scan(s, k, q, accept, result);
  } else {
    Candidate start{s.distance(k, q, s.entry), s.entry};
    start = hnsw::greedy_descent<false>(s, k, q, start, s.max_level, 0, sc);
    hnsw::search_level<false>(s, k, q, start, ef, 0,
                              [&](std::uint32_t slot) { return accept.accepts(slot); }, sc);
    if (sc.top.size() < std::min(kk, reachable)) {
      exact_scan(s, k, q, accept, result);  // too few found: a restrictive filter or deletions
    } else {
      offer_nearest(s, sc.top, kk, result);
    }
  }
  result.write_sorted(keys_out, dist_out);
}

}  // namespace

void HnswIndex::search(const float* queries, std::size_t m, std::size_t k, std::size_t ef,
                       const SearchFilter& filter, std::int64_t* keys_out, float* distances_out,
                       const ParallelOptions& options, SearchMode mode) const {
  if (k == 0) throw VectorError("k must be >= 1");
  std::shared_lock lock(impl_->mutex);
  const Impl& s = *impl_;
  const simd::KernelTable& kernels = simd::active_kernels();
  const std::size_t beam = std::max(ef == 0 ? s.config.ef_search : ef, k);
  if (s.live == 0 || s.entry == hnsw::kNone) {
    for (std::size_t i = 0; i < m * k; ++i) {
      keys_out[i] = -1;
      distances_out[i] = std::numeric_limits<float>::infinity();
    }
    return;
  }
  const SlotFilter accept(s, filter);
  const std::size_t dim = s.config.dim;
  ParallelOptions run = options;
  if (m < 2) run.threads = 1;
  parallel_for(m, run, [&](std::size_t i, std::size_t) {
    search_one(s, kernels, queries + i * dim, k, beam, accept, mode, keys_out + i * k,
               distances_out + i * k);
  });
}

}  // namespace mastra
