/**
 * @file hnsw_index.cpp
 * @brief HnswIndex: construction, vector encoding, slots, and the small accessors.
 */
#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <string>

#include "index_impl.hpp"
#include "mastra/errors.hpp"

namespace mastra {

namespace hnsw {

void Bytes::grow(std::size_t bytes, std::size_t used) {
  if (bytes <= capacity_) return;
  // Graph walks touch nodes at random: on large buffers, 2 MiB pages spare most TLB
  // misses (Linux hands them out only to regions that ask, with THP in madvise mode).
  // Only whole 2 MiB pages ask: a partly used one would cost its full size.
  const std::size_t alignment = bytes >= kHugePageThreshold ? kHugePage : 64;
  auto* fresh = static_cast<char*>(::operator new[](bytes, std::align_val_t{alignment}));
#if defined(__linux__)
  if (alignment == kHugePage) ::madvise(fresh, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
  // The room past the old contents stays untouched (so costs no memory) until a
  // slot takes it: Impl::take_slot zeroes each new block.
  if (data_ != nullptr) std::memcpy(fresh, data_, std::min(used, capacity_));
  release();
  data_ = fresh;
  capacity_ = bytes;
  alignment_ = alignment;
}

void Bytes::release() noexcept {
  if (data_ != nullptr) ::operator delete[](data_, std::align_val_t{alignment_});
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace hnsw

namespace {

std::size_t round_up(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

std::size_t element_bytes(StorageType storage) {
  switch (storage) {
    case StorageType::f32:
      return 4;
    case StorageType::f16:
      return 2;
    case StorageType::i8:
      return 1;
  }
  return 4;
}

void check_config(const HnswConfig& c) {
  if (c.dim == 0 || c.dim > (1u << 16)) {
    throw VectorError("dim must be between 1 and 65536, got " + std::to_string(c.dim));
  }
  if (c.m < 2 || c.m > 256) throw VectorError("m must be between 2 and 256, got " + std::to_string(c.m));
  if (c.ef_construction < 1) throw VectorError("ef_construction must be >= 1");
  if (c.ef_search < 1) throw VectorError("ef_search must be >= 1");
}

}  // namespace

StorageType parse_storage(std::string_view name) {
  if (name == "f32" || name == "float32") return StorageType::f32;
  if (name == "f16" || name == "float16") return StorageType::f16;
  if (name == "i8" || name == "int8") return StorageType::i8;
  throw VectorError("unknown dtype '" + std::string(name) + "': use 'f32', 'f16' or 'i8'");
}

const char* storage_name(StorageType storage) noexcept {
  switch (storage) {
    case StorageType::f32:
      return "f32";
    case StorageType::f16:
      return "f16";
    case StorageType::i8:
      return "i8";
  }
  return "f32";
}

HnswIndex::Impl::Impl(const HnswConfig& cfg)
    : config(cfg),
      m0(2 * cfg.m),
      m_upper(cfg.m),
      aux_offset((1 + 2 * cfg.m) * sizeof(std::uint32_t)),
      vector_offset(aux_offset + 3 * sizeof(float)),
      vector_bytes(cfg.dim * element_bytes(cfg.storage)),
      block_size(round_up(vector_offset + cfg.dim * element_bytes(cfg.storage), 16)),
      level_mult(1.0 / std::log(static_cast<double>(cfg.m))),
      rng(cfg.seed) {
  check_config(cfg);
}

void HnswIndex::Impl::encode(std::uint32_t slot, const float* vec) const {
  char* b = block(slot);
  float* a = reinterpret_cast<float*>(b + aux_offset);
  char* v = b + vector_offset;
  const std::size_t d = config.dim;
  double norm_sq = 0.0;
  switch (config.storage) {
    case StorageType::f32:
      std::memcpy(v, vec, d * sizeof(float));
      for (std::size_t i = 0; i < d; ++i) norm_sq += double(vec[i]) * vec[i];
      a[0] = 1.0f;
      break;
    case StorageType::f16: {
      auto* out = reinterpret_cast<std::uint16_t*>(v);
      for (std::size_t i = 0; i < d; ++i) {
        out[i] = float_to_half(vec[i]);
        const double back = half_to_float(out[i]);
        norm_sq += back * back;
      }
      a[0] = 1.0f;
      break;
    }
    case StorageType::i8: {
      float max_abs = 0.0f;
      for (std::size_t i = 0; i < d; ++i) max_abs = std::max(max_abs, std::fabs(vec[i]));
      const float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
      auto* out = reinterpret_cast<std::int8_t*>(v);
      for (std::size_t i = 0; i < d; ++i) {
        const long q = std::lround(vec[i] / scale);
        out[i] = static_cast<std::int8_t>(std::max(-127L, std::min(127L, q)));
        const double back = double(scale) * out[i];
        norm_sq += back * back;
      }
      a[0] = scale;
      break;
    }
  }
  a[1] = static_cast<float>(norm_sq);
  a[2] = norm_sq > 0.0 ? static_cast<float>(1.0 / std::sqrt(norm_sq)) : 0.0f;
}

void HnswIndex::Impl::decode(std::uint32_t slot, float* out) const {
  const char* v = vector_data(slot);
  const std::size_t d = config.dim;
  switch (config.storage) {
    case StorageType::f32:
      std::memcpy(out, v, d * sizeof(float));
      break;
    case StorageType::f16: {
      const auto* in = reinterpret_cast<const std::uint16_t*>(v);
      for (std::size_t i = 0; i < d; ++i) out[i] = half_to_float(in[i]);
      break;
    }
    case StorageType::i8: {
      const auto* in = reinterpret_cast<const std::int8_t*>(v);
      const float scale = aux(slot)[0];
      for (std::size_t i = 0; i < d; ++i) out[i] = scale * static_cast<float>(in[i]);
      break;
    }
  }
}

hnsw::Query HnswIndex::Impl::prepare(const float* vec, float* buffer) const {
  // The SIMD norm, as exact_search computes it (a scalar double sum here was a serial
  // chain of dim dependent adds, a visible share of a query on a small index).
  const std::size_t d = config.dim;
  const float norm_sq = simd::active_kernels().norm_sq(vec, d);
  if (config.metric == Metric::cosine) {
    const float inv = norm_sq > 0.0f ? static_cast<float>(1.0 / std::sqrt(double(norm_sq))) : 0.0f;
    for (std::size_t i = 0; i < d; ++i) buffer[i] = vec[i] * inv;
  } else {
    std::memcpy(buffer, vec, d * sizeof(float));
  }
  return hnsw::Query{buffer, norm_sq};
}

void HnswIndex::Impl::reserve(std::size_t new_capacity) {
  if (new_capacity <= capacity) return;
  level0_owned.grow(new_capacity * block_size, slots * block_size);
  level0 = level0_owned.data();
  keys_owned.resize(new_capacity, -1);
  levels_owned.resize(new_capacity, 0);
  deleted_owned.resize(new_capacity, 0);
  keys_by_slot = keys_owned.data();
  levels = levels_owned.data();
  deleted = deleted_owned.data();
  upper_owned.resize(new_capacity);
  upper.resize(new_capacity, nullptr);
  node_locks.reset(new hnsw::SpinLock[new_capacity]);
  if (in_degree) {
    std::unique_ptr<std::atomic<std::uint32_t>[]> grown(
        new std::atomic<std::uint32_t>[new_capacity]);
    for (std::size_t i = 0; i < new_capacity; ++i) {
      grown[i].store(i < capacity ? in_degree[i].load(std::memory_order_relaxed) : 0,
                     std::memory_order_relaxed);
    }
    in_degree = std::move(grown);
  }
  capacity = new_capacity;
}

void HnswIndex::Impl::ensure_in_degree() {
  if (in_degree) return;
  in_degree.reset(new std::atomic<std::uint32_t>[capacity]);
  for (std::size_t i = 0; i < capacity; ++i) in_degree[i].store(0, std::memory_order_relaxed);
  for (std::size_t slot = 0; slot < slots; ++slot) {
    const std::uint32_t* l = links0(static_cast<std::uint32_t>(slot));
    const std::size_t count = std::min<std::size_t>(l[0], m0);
    for (std::size_t j = 0; j < count; ++j) {
      if (l[1 + j] < slots) count_link(l[1 + j]);
    }
  }
}

std::uint32_t HnswIndex::Impl::take_slot() {
  if (!free_slots.empty()) {
    const std::uint32_t slot = free_slots.back();
    free_slots.pop_back();
    return slot;
  }
  if (slots == capacity) reserve(std::max<std::size_t>(64, capacity + capacity / 2));
  std::memset(block(static_cast<std::uint32_t>(slots)), 0, block_size);  // files stay deterministic
  return static_cast<std::uint32_t>(slots++);
}

int HnswIndex::Impl::random_level() {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double u = std::max(uniform(rng), std::numeric_limits<double>::min());
  const double level = -std::log(u) * level_mult;
  return static_cast<int>(std::min<double>(level, hnsw::kMaxLevel - 1));
}

void HnswIndex::Impl::build_key_map() const {
  std::call_once(key_map_built, [this] {
    std::size_t small = 0;
    std::size_t large = 0;
    for (std::size_t s = 0; s < slots; ++s) {
      if (deleted[s] != 0) continue;
      ++(hnsw::KeyMap::is_small(keys_by_slot[s]) ? small : large);
    }
    key_to_slot.reserve(small, large);
    for (std::size_t s = 0; s < slots; ++s) {
      if (deleted[s] == 0) key_to_slot.set(keys_by_slot[s], static_cast<std::uint32_t>(s));
    }
  });
}

std::uint32_t HnswIndex::Impl::find_slot(std::int64_t key) const {
  build_key_map();
  return key_to_slot.find(key);
}

// ---- HnswIndex ------------------------------------------------------------------

HnswIndex::HnswIndex(const HnswConfig& config) : impl_(std::make_unique<Impl>(config)) {
  impl_->build_key_map();  // empty, and kept up to date from here on
  if (config.capacity > 0) impl_->reserve(config.capacity);
}

HnswIndex::HnswIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HnswIndex::~HnswIndex() = default;

bool HnswIndex::contains(std::int64_t key) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->find_slot(key) != hnsw::kNone;
}

bool HnswIndex::get(std::int64_t key, float* out) const {
  std::shared_lock lock(impl_->mutex);
  const std::uint32_t slot = impl_->find_slot(key);
  if (slot == hnsw::kNone) return false;
  impl_->decode(slot, out);
  return true;
}

std::vector<std::int64_t> HnswIndex::keys() const {
  std::shared_lock lock(impl_->mutex);
  std::vector<std::int64_t> out;
  out.reserve(impl_->live);
  for (std::size_t s = 0; s < impl_->slots; ++s) {
    if (impl_->deleted[s] == 0) out.push_back(impl_->keys_by_slot[s]);
  }
  return out;
}

std::size_t HnswIndex::size() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->live;
}

const HnswConfig& HnswIndex::config() const noexcept { return impl_->config; }

void HnswIndex::set_ef_search(std::size_t ef) {
  if (ef < 1) throw VectorError("ef_search must be >= 1");
  std::unique_lock lock(impl_->mutex);
  impl_->config.ef_search = ef;
}

bool HnswIndex::read_only() const noexcept { return impl_->read_only(); }

namespace {

/// Live slots that no path of links (on any level) from the entry point reaches:
/// no search can return them.
std::size_t count_unreachable(const HnswIndex::Impl& s) {
  if (s.entry == hnsw::kNone) return 0;
  std::vector<std::uint8_t> seen(s.slots, 0);
  std::vector<std::uint32_t> stack{s.entry};
  seen[s.entry] = 1;
  while (!stack.empty()) {
    const std::uint32_t slot = stack.back();
    stack.pop_back();
    for (int level = 0; level <= s.levels[slot]; ++level) {
      if (level > 0 && s.upper[slot] == nullptr) break;
      const std::uint32_t* l = s.links(slot, level);
      const std::size_t count = std::min<std::size_t>(l[0], s.max_links(level));
      for (std::size_t j = 0; j < count; ++j) {
        const std::uint32_t n = l[1 + j];
        if (n < s.slots && seen[n] == 0) {
          seen[n] = 1;
          stack.push_back(n);
        }
      }
    }
  }
  std::size_t unreachable = 0;
  for (std::size_t slot = 0; slot < s.slots; ++slot) {
    unreachable += s.deleted[slot] == 0 && seen[slot] == 0;
  }
  return unreachable;
}

}  // namespace

HnswStats HnswIndex::stats() const {
  std::shared_lock lock(impl_->mutex);
  const Impl& s = *impl_;
  HnswStats st;
  st.size = s.live;
  st.slots = s.slots;
  st.capacity = s.read_only() ? s.slots : s.capacity;
  st.levels = static_cast<std::size_t>(s.max_level + 1);
  st.nodes_per_level.assign(st.levels, 0);
  std::size_t upper_bytes = 0;
  for (std::size_t slot = 0; slot < s.slots; ++slot) {
    const int level = s.levels[slot];
    upper_bytes += static_cast<std::size_t>(level) * (1 + s.m_upper) * sizeof(std::uint32_t);
    for (int l = 0; l <= level && l < s.max_level + 1; ++l) {
      ++st.nodes_per_level[static_cast<std::size_t>(l)];
      st.edges += s.links(static_cast<std::uint32_t>(slot), l)[0];
    }
  }
  st.bytes = st.capacity * (s.block_size + sizeof(std::int64_t) + 2) + upper_bytes +
             s.key_to_slot.memory_bytes();
  st.unreachable = count_unreachable(s);
  return st;
}

std::unique_ptr<HnswIndex> HnswIndex::clone() const {
  const std::vector<char> bytes = to_bytes();
  return from_bytes(bytes.data(), bytes.size());
}

}  // namespace mastra
