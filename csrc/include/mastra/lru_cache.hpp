/**
 * @file lru_cache.hpp
 * @brief A concurrent, sharded LRU cache bounded by entries and by bytes, with optional
 *        per-entry expiry. Pure C++17: values are opaque (any movable type).
 *
 * Layout: keys hash to one of N shards; each shard has its own spin lock, an open-addressing
 * hash table and an exact recency list. A table slot holds the key's hash beside the entry's
 * address, so a lookup reads one slot line and then only the entry it finds (a chained
 * table would also read the entries ahead of it in its bucket). Every touch takes a tick
 * from one global counter, and each shard publishes the tick of its least recently used
 * entry in an atomic. Eviction picks the shard whose tail tick is smallest and removes that
 * tail, so when operations do not overlap in time the victim is exactly the globally least
 * recently used entry. When operations do overlap (truly parallel callers) the victim is
 * the oldest entry among the shard tails as seen a moment earlier: approximate, never
 * unbounded.
 *
 * Values leave the cache only through a caller-supplied sink, called while a shard lock is
 * held; the sink must only stash the value (no user code), and the caller destroys what it
 * stashed after the call returns. This keeps destructors that run arbitrary code (a Python
 * decref) outside every lock.
 */
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace mastra {

/// A key: its bytes, a caller-chosen kind tag (so "a" and b"a" differ) and its hash.
/// Equal keys must have equal hashes; lru_hash() is a good default.
struct LruKey {
  std::string_view data;
  std::uint64_t hash;
  std::uint8_t kind;
};

/// FNV-1a over the key bytes, for callers without a hash of their own.
inline std::uint64_t lru_hash(std::string_view data) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h ^ (h >> 29);
}

struct LruStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::uint64_t expirations = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

/// What erase() found: nothing, a live entry (removed), or an expired one (removed).
enum class LruErase { absent, removed, expired };

/// A test-and-test-and-set spin lock: critical sections here are a few dozen instructions
/// and never block, so spinning beats a futex round trip; it yields when a holder was
/// descheduled.
class LruSpinLock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins > 64) {
          std::this_thread::yield();
          spins = 0;
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

template <typename V>
class LruCache {
 public:
  static constexpr std::uint64_t no_limit = std::numeric_limits<std::uint64_t>::max();

  /// @param max_entries at least 1. @param max_bytes bound on the sum of entry sizes
  /// (key bytes + value size). @param shards rounded up to a power of two, at least 1.
  explicit LruCache(std::size_t max_entries, std::uint64_t max_bytes = no_limit,
                    std::size_t shards = 8)
      : max_entries_(max_entries), max_bytes_(max_bytes) {
    if (max_entries == 0) throw std::invalid_argument("max_entries must be >= 1");
    std::size_t n = 1;
    while (n < shards && n < 1024) n <<= 1;
    shard_mask_ = n - 1;
    shard_bits_ = 0;
    while ((std::size_t{1} << shard_bits_) < n) ++shard_bits_;
    shards_ = std::make_unique<Shard[]>(n);
    n_shards_ = n;
  }

  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  ~LruCache() {
    for (std::size_t i = 0; i < n_shards_; ++i) {
      Node* node = shards_[i].head;
      while (node != nullptr) {
        Node* next = node->next;
        destroy(node);
        node = next;
      }
    }
  }

  std::size_t max_entries() const noexcept { return max_entries_; }
  std::uint64_t max_bytes() const noexcept { return max_bytes_; }
  std::size_t shard_count() const noexcept { return n_shards_; }
  std::size_t size() const noexcept { return entries_.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  /// True once an entry with an expiry was stored: callers may skip reading a clock before.
  bool has_ttl() const noexcept { return has_ttl_.load(std::memory_order_relaxed); }

  /// Looks `key` up; on a live hit marks it most recently used and calls on_hit(const V&)
  /// under the shard lock. An expired entry is removed (its value goes to `sink`).
  template <typename OnHit, typename Sink>
  bool get(const LruKey& key, std::int64_t now, OnHit&& on_hit, Sink&& sink) {
    Shard& s = shard_for(key.hash);
    Guard guard(s.lock);
    Node* node = find(s, key);
    if (node == nullptr) {
      ++s.misses;
      return false;
    }
    if (expired(node, now)) {
      ++s.misses;
      ++s.expirations;
      remove(s, node, sink);
      return false;
    }
    ++s.hits;
    touch(s, node);
    on_hit(static_cast<const V&>(node->value));
    return true;
  }

  /// True if `key` holds a live entry. Changes neither recency nor statistics.
  bool contains(const LruKey& key, std::int64_t now) {
    Shard& s = shard_for(key.hash);
    Guard guard(s.lock);
    const Node* node = find(s, key);
    return node != nullptr && !expired(node, now);
  }

  /// Stores `value` under `key` (replacing any old value, which goes to `sink`), marks it
  /// most recently used, then evicts least recently used entries until both bounds hold.
  /// `bytes` is the value's size; the entry counts key bytes + `bytes`. An entry larger
  /// than max_bytes is not stored: `value` and any old value of `key` go to `sink`, nothing
  /// else is evicted, and set() returns false. `expires_at` 0 means never.
  template <typename Sink>
  bool set(const LruKey& key, V value, std::uint64_t bytes, std::int64_t expires_at,
           std::int64_t now, Sink&& sink) {
    const std::uint64_t entry_bytes = bytes + key.data.size();
    if (entry_bytes > max_bytes_ || entry_bytes < bytes) {
      erase(key, now, sink);
      sink(std::move(value));
      return false;
    }
    if (expires_at != 0) has_ttl_.store(true, std::memory_order_relaxed);
    Shard& s = shard_for(key.hash);
    {
      Guard guard(s.lock);
      Node* node = find(s, key);
      if (node != nullptr) {
        sink(std::move(node->value));
        node->value = std::move(value);
        bytes_.fetch_add(entry_bytes, std::memory_order_relaxed);
        bytes_.fetch_sub(node->bytes, std::memory_order_relaxed);
        node->bytes = entry_bytes;
        node->expires_at = expires_at;
        touch(s, node);
      } else {
        insert(s, key, std::move(value), entry_bytes, expires_at);
      }
    }
    enforce_bounds(now, sink);
    return true;
  }

  /// Removes `key`; its value (live or expired) goes to `sink`.
  template <typename Sink>
  LruErase erase(const LruKey& key, std::int64_t now, Sink&& sink) {
    Shard& s = shard_for(key.hash);
    Guard guard(s.lock);
    Node* node = find(s, key);
    if (node == nullptr) return LruErase::absent;
    const bool was_expired = expired(node, now);
    if (was_expired) ++s.expirations;
    remove(s, node, sink);
    return was_expired ? LruErase::expired : LruErase::removed;
  }

  /// Removes every entry (values go to `sink`); statistics other than entries/bytes stay.
  template <typename Sink>
  void clear(Sink&& sink) {
    for (std::size_t i = 0; i < n_shards_; ++i) {
      Shard& s = shards_[i];
      Guard guard(s.lock);
      while (s.head != nullptr) remove(s, s.head, sink);
    }
  }

  /// Removes every expired entry (values go to `sink`) and returns how many.
  template <typename Sink>
  std::size_t purge_expired(std::int64_t now, Sink&& sink) {
    if (!has_ttl()) return 0;
    std::size_t purged = 0;
    for (std::size_t i = 0; i < n_shards_; ++i) {
      Shard& s = shards_[i];
      Guard guard(s.lock);
      Node* node = s.head;
      while (node != nullptr) {
        Node* next = node->next;
        if (expired(node, now)) {
          ++s.expirations;
          remove(s, node, sink);
          ++purged;
        }
        node = next;
      }
    }
    return purged;
  }

  /// The live keys as (kind, bytes), least recently used first.
  std::vector<std::pair<std::uint8_t, std::string>> keys(std::int64_t now) const {
    std::vector<std::pair<std::uint64_t, std::pair<std::uint8_t, std::string>>> ticked;
    for (std::size_t i = 0; i < n_shards_; ++i) {
      Shard& s = shards_[i];
      Guard guard(s.lock);
      for (const Node* node = s.head; node != nullptr; node = node->next) {
        if (expired(node, now)) continue;
        ticked.push_back({node->tick, {node->kind, std::string(node->key(), node->key_len)}});
      }
    }
    std::sort(ticked.begin(), ticked.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<std::uint8_t, std::string>> out;
    out.reserve(ticked.size());
    for (auto& item : ticked) out.push_back(std::move(item.second));
    return out;
  }

  /// Calls fn(const V&) on every stored value, one shard lock at a time.
  template <typename Fn>
  int for_each_value(Fn&& fn) const {
    for (std::size_t i = 0; i < n_shards_; ++i) {
      Shard& s = shards_[i];
      Guard guard(s.lock);
      for (const Node* node = s.head; node != nullptr; node = node->next) {
        const int rc = fn(static_cast<const V&>(node->value));
        if (rc != 0) return rc;
      }
    }
    return 0;
  }

  LruStats stats() const {
    LruStats out;
    for (std::size_t i = 0; i < n_shards_; ++i) {
      Shard& s = shards_[i];
      Guard guard(s.lock);
      out.hits += s.hits;
      out.misses += s.misses;
      out.evictions += s.evictions;
      out.expirations += s.expirations;
    }
    out.entries = entries_.load(std::memory_order_relaxed);
    out.bytes = bytes_.load(std::memory_order_relaxed);
    return out;
  }

 private:
  struct Node {
    explicit Node(V&& v) : value(std::move(v)) {}
    Node* prev = nullptr;   // toward the most recently used end
    Node* next = nullptr;   // toward the least recently used end
    std::uint64_t hash = 0;
    std::uint64_t tick = 0;
    std::int64_t expires_at = 0;
    std::uint64_t bytes = 0;
    std::uint32_t key_len = 0;
    std::uint8_t kind = 0;
    V value;
    char* key() noexcept { return reinterpret_cast<char*>(this + 1); }
    const char* key() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  };

  /// A table slot: the entry's hash and address; node == nullptr when free.
  struct Slot {
    std::uint64_t hash = 0;
    Node* node = nullptr;
  };

  struct alignas(64) Shard {
    mutable LruSpinLock lock;
    std::vector<Slot> slots = std::vector<Slot>(16);
    std::size_t count = 0;
    Node* head = nullptr;
    Node* tail = nullptr;
    std::atomic<std::uint64_t> tail_tick{no_limit};
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
    std::uint64_t expirations = 0;
  };

  class Guard {
   public:
    explicit Guard(LruSpinLock& lock) noexcept : lock_(lock) { lock_.lock(); }
    ~Guard() { lock_.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    LruSpinLock& lock_;
  };

  static bool expired(const Node* node, std::int64_t now) noexcept {
    return node->expires_at != 0 && now >= node->expires_at;
  }

  Shard& shard_for(std::uint64_t hash) const noexcept { return shards_[hash & shard_mask_]; }

  /// The home slot of a hash (the shard's bits are used up choosing the shard).
  std::size_t home_of(const Shard& s, std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> shard_bits_) & (s.slots.size() - 1);
  }

  /// The slot holding `key`, or the free slot that ends its probe run.
  std::size_t probe(const Shard& s, const LruKey& key) const noexcept {
    const std::size_t mask = s.slots.size() - 1;
    for (std::size_t i = home_of(s, key.hash);; i = (i + 1) & mask) {
      const Slot& slot = s.slots[i];
      if (slot.node == nullptr) return i;
      if (slot.hash == key.hash) {
        const Node* node = slot.node;
        if (node->kind == key.kind && node->key_len == key.data.size() &&
            std::memcmp(node->key(), key.data.data(), key.data.size()) == 0) {
          return i;
        }
      }
    }
  }

  Node* find(Shard& s, const LruKey& key) const noexcept { return s.slots[probe(s, key)].node; }

  std::uint64_t next_tick() noexcept { return tick_.fetch_add(1, std::memory_order_relaxed); }

  static void publish_tail(Shard& s) noexcept {
    s.tail_tick.store(s.tail != nullptr ? s.tail->tick : no_limit, std::memory_order_relaxed);
  }

  static void unlink(Shard& s, Node* node) noexcept {
    (node->prev != nullptr ? node->prev->next : s.head) = node->next;
    (node->next != nullptr ? node->next->prev : s.tail) = node->prev;
    node->prev = node->next = nullptr;
  }

  static void push_front(Shard& s, Node* node) noexcept {
    node->next = s.head;
    node->prev = nullptr;
    if (s.head != nullptr) s.head->prev = node;
    s.head = node;
    if (s.tail == nullptr) s.tail = node;
  }

  void touch(Shard& s, Node* node) noexcept {
    node->tick = next_tick();
    if (s.head != node) {
      unlink(s, node);
      push_front(s, node);
    }
    publish_tail(s);
  }

  void insert(Shard& s, const LruKey& key, V&& value, std::uint64_t entry_bytes,
              std::int64_t expires_at) {
    if (key.data.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("key longer than 4 GiB");
    }
    if (2 * (s.count + 1) > s.slots.size()) grow(s);  // first: a throw here changes nothing
    void* memory = ::operator new(sizeof(Node) + key.data.size());
    Node* node = new (memory) Node(std::move(value));
    std::memcpy(node->key(), key.data.data(), key.data.size());
    node->key_len = static_cast<std::uint32_t>(key.data.size());
    node->kind = key.kind;
    node->hash = key.hash;
    node->bytes = entry_bytes;
    node->expires_at = expires_at;
    node->tick = next_tick();
    s.slots[probe(s, key)] = Slot{key.hash, node};
    push_front(s, node);
    ++s.count;
    publish_tail(s);
    entries_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(entry_bytes, std::memory_order_relaxed);
  }

  void grow(Shard& s) {
    std::vector<Slot> old(s.slots.size() * 2);
    old.swap(s.slots);
    const std::size_t mask = s.slots.size() - 1;
    for (const Slot& slot : old) {
      if (slot.node == nullptr) continue;
      std::size_t i = home_of(s, slot.hash);
      while (s.slots[i].node != nullptr) i = (i + 1) & mask;
      s.slots[i] = slot;
    }
  }

  template <typename Sink>
  void remove(Shard& s, Node* node, Sink& sink) {
    free_slot(s, node);
    unlink(s, node);
    --s.count;
    publish_tail(s);
    entries_.fetch_sub(1, std::memory_order_relaxed);
    bytes_.fetch_sub(node->bytes, std::memory_order_relaxed);
    sink(std::move(node->value));
    destroy(node);
  }

  /// Empties the slot of `node` and shifts later slots of its probe run back into the
  /// hole (backward-shift deletion: no tombstones, probe runs stay short).
  void free_slot(Shard& s, const Node* node) noexcept {
    const std::size_t mask = s.slots.size() - 1;
    std::size_t hole = home_of(s, node->hash);
    while (s.slots[hole].node != node) hole = (hole + 1) & mask;
    for (std::size_t i = (hole + 1) & mask; s.slots[i].node != nullptr; i = (i + 1) & mask) {
      const std::size_t home = home_of(s, s.slots[i].hash);
      // Slot i may move to the hole when its home is not in the cyclic range (hole, i].
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        s.slots[hole] = s.slots[i];
        hole = i;
      }
    }
    s.slots[hole] = Slot{};
  }

  static void destroy(Node* node) noexcept {
    node->~Node();
    ::operator delete(static_cast<void*>(node));
  }

  bool over_bounds() const noexcept {
    return entries_.load(std::memory_order_relaxed) > max_entries_ ||
           bytes_.load(std::memory_order_relaxed) > max_bytes_;
  }

  template <typename Sink>
  void enforce_bounds(std::int64_t now, Sink& sink) {
    while (over_bounds()) {
      std::size_t victim = n_shards_;
      std::uint64_t oldest = no_limit;
      for (std::size_t i = 0; i < n_shards_; ++i) {
        const std::uint64_t tick = shards_[i].tail_tick.load(std::memory_order_relaxed);
        if (tick < oldest) {
          oldest = tick;
          victim = i;
        }
      }
      if (victim == n_shards_) return;
      Shard& s = shards_[victim];
      Guard guard(s.lock);
      if (s.tail == nullptr) continue;
      if (expired(s.tail, now)) {
        ++s.expirations;
      } else {
        ++s.evictions;
      }
      remove(s, s.tail, sink);
    }
  }

  std::size_t max_entries_;
  std::uint64_t max_bytes_;
  std::size_t shard_mask_ = 0;
  unsigned shard_bits_ = 0;
  std::size_t n_shards_ = 0;
  std::unique_ptr<Shard[]> shards_;
  alignas(64) std::atomic<std::uint64_t> tick_{1};
  alignas(64) std::atomic<std::size_t> entries_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<bool> has_ttl_{false};
};

}  // namespace mastra
