/**
 * @file graph_insert.cpp
 * @brief HnswIndex::add and remove: slot planning, parallel linking with per-node
 *        locks, and the neighbour-selection heuristic of the HNSW paper (alg. 4).
 */
#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "graph.hpp"
#include "mastra/errors.hpp"

namespace mastra {
namespace {

using hnsw::Candidate;

/// The rows of a batch that hold each key's last occurrence, in row order. Sorting
/// row numbers keeps the transient memory at one index a row (a hash map of the batch
/// would cost several times that, left behind in the allocator after a big add).
std::vector<std::size_t> last_occurrences(const std::int64_t* keys, std::size_t n) {
  std::vector<std::size_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = i;
  bool increasing = true;
  for (std::size_t i = 1; i < n && increasing; ++i) increasing = keys[i - 1] < keys[i];
  if (increasing) return rows;  // every key once: the common case
  std::sort(rows.begin(), rows.end(), [keys](std::size_t a, std::size_t b) {
    return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 1 == n || keys[rows[i + 1]] != keys[rows[i]]) rows[kept++] = rows[i];
  }
  rows.resize(kept);
  std::sort(rows.begin(), rows.end());
  return rows;
}

void check_input(const std::int64_t* keys, const float* vectors, std::size_t n, std::size_t dim) {
  for (std::size_t i = 0; i < n; ++i) {
    if (keys[i] < 0) {
      throw VectorError("keys must be >= 0, got " + std::to_string(keys[i]) + " at position " +
                        std::to_string(i));
    }
    const float* row = vectors + i * dim;
    for (std::size_t j = 0; j < dim; ++j) {
      if (!std::isfinite(row[j])) {
        throw VectorError("vectors row " + std::to_string(i) + " holds " +
                          (std::isnan(row[j]) ? "NaN" : "infinity") + " at index " +
                          std::to_string(j) + ": remove or replace non-finite values");
      }
    }
  }
}

/// Keeps the candidates (sorted nearest first) that are closer to the base node
/// than to any neighbour already kept, up to `limit`: links that spread out.
void select_neighbours(const HnswIndex::Impl& s, const simd::KernelTable& k,
                       std::vector<Candidate>& sorted, std::size_t limit, hnsw::Scratch& sc) {
  if (sorted.size() <= limit) return;
  const bool direct = s.config.storage == StorageType::f32;
  const std::size_t dim = s.config.dim;
  if (!direct) sc.vectors.resize((limit + 1) * dim);
  std::vector<hnsw::Query> kept_queries;
  std::size_t kept = 0;
  for (const Candidate& c : sorted) {
    if (kept == limit) break;
    bool diverse = true;
    for (std::size_t r = 0; r < kept && diverse; ++r) {
      const float d = direct ? s.distance_f32(k, sorted[r].slot, c.slot)
                             : s.distance(k, kept_queries[r], c.slot);
      diverse = !(d < c.distance);
    }
    if (!diverse) continue;
    if (!direct) {
      float* buffer = sc.vectors.data() + kept * dim;
      float* decoded = sc.vectors.data() + limit * dim;
      s.decode(c.slot, decoded);
      kept_queries.push_back(s.prepare(decoded, buffer));
    }
    sorted[kept++] = c;
  }
  sorted.resize(kept);
}

/// Updates the level-0 in-degrees when a link list changes from `before` to `after`.
void recount_links(HnswIndex::Impl& s, const std::vector<std::uint32_t>& before,
                   const std::vector<Candidate>& after) {
  const auto kept = [&](std::uint32_t n) {
    return std::any_of(after.begin(), after.end(), [n](const Candidate& c) { return c.slot == n; });
  };
  for (const Candidate& c : after) {
    if (std::find(before.begin(), before.end(), c.slot) == before.end()) s.count_link(c.slot);
  }
  for (std::uint32_t n : before) {
    if (!kept(n)) s.uncount_link(n);
  }
}

/// Adds `slot` to the links of `neighbour` on `level`, pruning with the heuristic
/// when the list is full.
void link_back(HnswIndex::Impl& s, const simd::KernelTable& k, std::uint32_t neighbour,
               std::uint32_t slot, int level, hnsw::Scratch& sc) {
  std::lock_guard<hnsw::SpinLock> guard(s.node_locks[neighbour]);
  if (level > 0 && (s.levels[neighbour] < level || s.upper[neighbour] == nullptr)) return;
  std::uint32_t* l = s.links(neighbour, level);
  const std::size_t limit = s.max_links(level);
  const std::size_t count = std::min<std::size_t>(l[0], limit);
  for (std::size_t j = 0; j < count; ++j) {
    if (l[1 + j] == slot) return;
  }
  if (count < limit) {
    l[1 + count] = slot;
    l[0] = static_cast<std::uint32_t>(count + 1);
    if (level == 0) s.count_link(slot);
    return;
  }
  std::vector<Candidate>& pool = sc.pool;
  pool.clear();
  if (s.config.storage == StorageType::f32) {
    pool.push_back(Candidate{s.distance_f32(k, neighbour, slot), slot});
    for (std::size_t j = 0; j < count; ++j) {
      pool.push_back(Candidate{s.distance_f32(k, neighbour, l[1 + j]), l[1 + j]});
    }
  } else {
    sc.base.resize(2 * s.config.dim);
    s.decode(neighbour, sc.base.data());
    const hnsw::Query q = s.prepare(sc.base.data(), sc.base.data() + s.config.dim);
    pool.push_back(Candidate{s.distance(k, q, slot), slot});
    for (std::size_t j = 0; j < count; ++j) {
      pool.push_back(Candidate{s.distance(k, q, l[1 + j]), l[1 + j]});
    }
  }
  std::sort(pool.begin(), pool.end(),
            [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
  select_neighbours(s, k, pool, limit, sc);
  if (level == 0) {
    sc.links.assign(l + 1, l + 1 + count);
    recount_links(s, sc.links, pool);
  }
  for (std::size_t j = 0; j < pool.size(); ++j) l[1 + j] = pool[j].slot;
  l[0] = static_cast<std::uint32_t>(pool.size());
}

/// Sets the links of the node being inserted on `level`. Other inserts running at the
/// same time may already have linked back to it there; those links are kept (merged
/// and pruned by the heuristic), or the node could lose every incoming edge.
void write_own_links(HnswIndex::Impl& s, const simd::KernelTable& k, const hnsw::Query& q,
                     std::uint32_t slot, int level, const std::vector<Candidate>& chosen,
                     hnsw::Scratch& sc) {
  std::lock_guard<hnsw::SpinLock> guard(s.node_locks[slot]);
  std::uint32_t* own = s.links(slot, level);
  const std::size_t limit = s.max_links(level);
  const std::size_t existing = std::min<std::size_t>(own[0], limit);
  std::vector<Candidate>& pool = sc.pool;
  pool.assign(chosen.begin(), chosen.end());
  for (std::size_t j = 0; j < existing; ++j) {
    const std::uint32_t n = own[1 + j];
    const bool known = std::any_of(chosen.begin(), chosen.end(),
                                   [n](const Candidate& c) { return c.slot == n; });
    if (!known && n != slot) pool.push_back(Candidate{s.distance(k, q, n), n});
  }
  if (pool.size() > limit) {
    std::sort(pool.begin(), pool.end(),
              [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
    select_neighbours(s, k, pool, limit, sc);
  }
  if (level == 0) {
    sc.links.assign(own + 1, own + 1 + existing);
    recount_links(s, sc.links, pool);
  }
  for (std::size_t j = 0; j < pool.size(); ++j) own[1 + j] = pool[j].slot;
  own[0] = static_cast<std::uint32_t>(pool.size());
}

/// Links an encoded node into the graph (the HNSW paper's INSERT).
void insert_node(HnswIndex::Impl& s, const simd::KernelTable& k, std::uint32_t slot) {
  hnsw::ScratchLease lease;
  hnsw::Scratch& sc = lease.get();
  const int level = s.levels[slot];
  std::uint32_t entry = 0;
  int top_level = 0;
  {
    std::lock_guard<std::mutex> guard(s.entry_mutex);
    if (s.entry == hnsw::kNone) {
      s.entry = slot;
      s.max_level = level;
      return;
    }
    entry = s.entry;
    top_level = s.max_level;
  }
  std::vector<float> vec(s.config.dim);
  s.decode(slot, vec.data());
  sc.query.resize(s.config.dim);
  const hnsw::Query q = s.prepare(vec.data(), sc.query.data());

  Candidate current{s.distance(k, q, entry), entry};
  current = hnsw::greedy_descent<true>(s, k, q, current, top_level, level, sc);
  const auto accept = [&](std::uint32_t n) { return n != slot && s.deleted[n] == 0; };
  std::vector<Candidate> chosen;
  for (int l = std::min(level, top_level); l >= 0; --l) {
    hnsw::search_level<true>(s, k, q, current, s.config.ef_construction, l, accept, sc);
    chosen.assign(sc.top.begin(), sc.top.end());
    std::sort(chosen.begin(), chosen.end(),
              [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
    if (!chosen.empty()) current = chosen.front();
    select_neighbours(s, k, chosen, s.config.m, sc);
    write_own_links(s, k, q, slot, l, chosen, sc);
    for (const Candidate& c : chosen) link_back(s, k, c.slot, slot, l, sc);
  }
  if (level > top_level) {
    std::lock_guard<std::mutex> guard(s.entry_mutex);
    if (level > s.max_level) {
      s.entry = slot;
      s.max_level = level;
    }
  }
}

/// Picks a new entry point: the live node on the highest level that is already linked
/// into the graph (not `pending`, i.e. planned in the batch being added).
void choose_entry(HnswIndex::Impl& s, const std::vector<std::uint8_t>* pending) {
  s.entry = hnsw::kNone;
  s.max_level = -1;
  for (std::size_t slot = 0; slot < s.slots; ++slot) {
    if (s.deleted[slot] != 0 || (pending != nullptr && (*pending)[slot] != 0)) continue;
    if (static_cast<int>(s.levels[slot]) > s.max_level) {
      s.entry = static_cast<std::uint32_t>(slot);
      s.max_level = s.levels[slot];
    }
  }
}

/// Marks `slot` removed and returns it to the free list (exclusive lock held). A
/// removed entry point hands over to another node: a removed node may have no links
/// left to route through.
void drop_slot(HnswIndex::Impl& s, std::uint32_t slot,
               const std::vector<std::uint8_t>* pending = nullptr) {
  s.deleted[slot] = 1;
  s.key_to_slot.erase(s.keys_by_slot[slot]);
  --s.live;
  if (slot == s.entry) choose_entry(s, pending);
  s.free_slots.push_back(slot);
}

/// Forgets the whole graph once nothing is left in it (capacity is kept).
void reset_if_empty(HnswIndex::Impl& s) {
  if (s.live != 0) return;
  s.slots = 0;
  s.entry = hnsw::kNone;
  s.max_level = -1;
  s.free_slots.clear();
  s.key_to_slot.clear();
  s.in_degree.reset();  // counted again from the (now empty) graph at the next add
  s.unlinked.clear();
}

/// Prepares a slot for a new vector: level, links storage, encoded data.
void prepare_slot(HnswIndex::Impl& s, std::uint32_t slot, std::int64_t key, int level,
                  bool reused) {
  if (reused) {  // the links the slot's former vector had are gone
    const std::uint32_t* l = s.links0(slot);
    const std::size_t count = std::min<std::size_t>(l[0], s.m0);
    for (std::size_t j = 0; j < count; ++j) {
      if (l[1 + j] < s.slots) s.uncount_link(l[1 + j]);
    }
  }
  s.keys_by_slot[slot] = key;
  s.deleted[slot] = 0;
  s.levels[slot] = static_cast<std::uint8_t>(level);
  s.links0(slot)[0] = 0;
  if (level > 0) {
    const std::size_t words = static_cast<std::size_t>(level) * (1 + s.m_upper);
    s.upper_owned[slot].reset(new std::uint32_t[words]());
    s.upper[slot] = s.upper_owned[slot].get();
  } else {
    s.upper_owned[slot].reset();
    s.upper[slot] = nullptr;
  }
}

}  // namespace

void HnswIndex::add(const std::int64_t* keys, const float* vectors, std::size_t n,
                    const ParallelOptions& options) {
  if (impl_->read_only()) {
    throw VectorError("this index is a read-only view: open it with HNSWIndex.load() to change it");
  }
  if (n == 0) return;
  Impl& s = *impl_;
  const std::size_t dim = s.config.dim;
  check_input(keys, vectors, n, dim);
  std::unique_lock lock(s.mutex);
  s.build_key_map();
  s.ensure_in_degree();

  // Plan: the last occurrence of a key in the batch wins; existing keys are replaced.
  const std::vector<std::size_t> rows = last_occurrences(keys, n);
  std::vector<std::uint32_t> planned;
  planned.reserve(rows.size());
  const std::size_t needed = s.slots + rows.size();
  if (needed > s.capacity) s.reserve(std::max(needed, s.capacity + s.capacity / 2));  // amortised
  std::size_t small = 0;
  for (const std::size_t i : rows) small += hnsw::KeyMap::is_small(keys[i]);
  s.key_to_slot.reserve(s.key_to_slot.small_size() + small,
                        s.key_to_slot.large_size() + rows.size() - small);
  std::vector<std::uint8_t> pending(s.capacity, 0);
  for (const std::size_t i : rows) {
    const std::uint32_t old = s.find_slot(keys[i]);
    if (old != hnsw::kNone) drop_slot(s, old, &pending);
    const std::size_t slots_before = s.slots;
    const std::uint32_t slot = s.take_slot();
    pending[slot] = 1;
    prepare_slot(s, slot, keys[i], s.random_level(), slot < slots_before);
    s.key_to_slot.set(keys[i], slot);
    ++s.live;
    planned.push_back(slot);
  }
  for (std::size_t j = 0; j < planned.size(); ++j) s.encode(planned[j], vectors + rows[j] * dim);

  const simd::KernelTable& kernels = simd::active_kernels();
  std::vector<std::uint8_t> linked(planned.size(), 0);
  ParallelOptions run = options;
  if (planned.size() < 64) run.threads = 1;
  try {
    parallel_for(planned.size(), run, [&](std::size_t j, std::size_t) {
      insert_node(s, kernels, planned[j]);
      linked[j] = 1;
    });
  } catch (...) {
    // Interrupted or failed: vectors that never got linked are taken out again.
    for (std::size_t j = 0; j < planned.size(); ++j) {
      if (linked[j] == 0 && s.deleted[planned[j]] == 0) drop_slot(s, planned[j]);
    }
    reset_if_empty(s);
    throw;
  }
  hnsw::link_unreached(s, kernels, planned);
}

std::size_t HnswIndex::remove(const std::int64_t* keys, std::size_t n) {
  if (impl_->read_only()) {
    throw VectorError("this index is a read-only view: open it with HNSWIndex.load() to change it");
  }
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  s.build_key_map();
  std::size_t removed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t slot = s.find_slot(keys[i]);
    if (slot == hnsw::kNone) continue;
    drop_slot(s, slot);
    ++removed;
  }
  reset_if_empty(s);
  return removed;
}

}  // namespace mastra
