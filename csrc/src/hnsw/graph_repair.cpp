/**
 * @file graph_repair.cpp
 * @brief Gives every node that no level-0 link reaches an incoming link again.
 *
 * The neighbour-selection heuristic prunes long links, and now and then it prunes
 * the last link into a node: such a node can no longer be found by any search,
 * whatever the beam width (hnswlib leaves about one node in a thousand so on
 * 16-d data with m=8). After each add, every node whose level-0 in-degree fell to
 * zero is linked from its nearest neighbour that has room, or takes the place of
 * that neighbour's farthest link to a node other links still reach.
 */
#include <algorithm>

#include "graph.hpp"

namespace mastra::hnsw {
namespace {

/// Distances from `base` to each of `slots`, using the stored vectors.
void distances_from(const HnswIndex::Impl& s, const simd::KernelTable& k, std::uint32_t base,
                    const std::uint32_t* slots, std::size_t n, std::vector<Candidate>& out,
                    Scratch& sc) {
  out.clear();
  if (s.config.storage == StorageType::f32) {
    for (std::size_t j = 0; j < n; ++j) out.push_back({s.distance_f32(k, base, slots[j]), slots[j]});
    return;
  }
  sc.base.resize(2 * s.config.dim);
  s.decode(base, sc.base.data());
  const Query q = s.prepare(sc.base.data(), sc.base.data() + s.config.dim);
  for (std::size_t j = 0; j < n; ++j) out.push_back({s.distance(k, q, slots[j]), slots[j]});
}

/// Links `target` from `from`: appended when the list has room, else in place of
/// the farthest link whose node keeps another way in. False when neither works.
bool link_from(HnswIndex::Impl& s, const simd::KernelTable& k, std::uint32_t from,
               std::uint32_t target, Scratch& sc) {
  std::uint32_t* l = s.links0(from);
  const std::size_t count = std::min<std::size_t>(l[0], s.m0);
  if (std::find(l + 1, l + 1 + count, target) != l + 1 + count) return false;
  if (count < s.m0) {
    l[1 + count] = target;
    l[0] = static_cast<std::uint32_t>(count + 1);
    s.count_link(target);
    return true;
  }
  distances_from(s, k, from, l + 1, count, sc.pool, sc);
  std::size_t victim = count;
  for (std::size_t j = 0; j < count; ++j) {
    const bool replaceable = s.in_degree[l[1 + j]].load(std::memory_order_relaxed) >= 2;
    if (replaceable && (victim == count || sc.pool[j].distance > sc.pool[victim].distance)) {
      victim = j;
    }
  }
  if (victim == count) return false;
  s.uncount_link(l[1 + victim]);
  l[1 + victim] = target;
  s.count_link(target);
  return true;
}

/// Links an unreached node from the nearest of its own neighbours that can take it.
void reconnect(HnswIndex::Impl& s, const simd::KernelTable& k, std::uint32_t node, Scratch& sc) {
  const std::uint32_t* own = s.links0(node);
  const std::size_t count = std::min<std::size_t>(own[0], s.m0);
  std::vector<Candidate> neighbours;
  distances_from(s, k, node, own + 1, count, neighbours, sc);
  std::sort(neighbours.begin(), neighbours.end(),
            [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
  for (const Candidate& n : neighbours) {
    if (n.slot < s.slots && s.deleted[n.slot] == 0 && link_from(s, k, n.slot, node, sc)) return;
  }
}

}  // namespace

void link_unreached(HnswIndex::Impl& s, const simd::KernelTable& k,
                    const std::vector<std::uint32_t>& added) {
  std::vector<std::uint32_t> suspects;
  suspects.swap(s.unlinked);
  suspects.insert(suspects.end(), added.begin(), added.end());
  ScratchLease lease;
  for (std::uint32_t node : suspects) {
    if (node >= s.slots || node == s.entry || s.deleted[node] != 0) continue;
    if (s.in_degree[node].load(std::memory_order_relaxed) != 0) continue;
    reconnect(s, k, node, lease.get());
  }
  s.unlinked.clear();  // nodes that reconnecting unlinked stay reachable through others
}

}  // namespace mastra::hnsw
