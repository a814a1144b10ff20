/**
 * @file key_map.hpp
 * @brief The key -> slot map of an index: open addressing with linear probing in flat
 *        arrays (internal to the core).
 *
 * A filtered search looks up every allowed key, so lookups are the cost that matters:
 * here one lookup touches one cache line (std::unordered_map chases a bucket and then a
 * node), and a batch of lookups can prefetch its lines ahead. Erasing shifts the
 * following cells back, so there are no tombstones and probe runs stay as short as the
 * load allows (at most one half).
 *
 * Keys below 2^32 - 1 (row numbers, the usual case) live in 8-byte cells; larger keys in
 * a second table of 16-byte cells. Either table holds its keys exactly.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mastra::hnsw {

/// One open-addressing table of (key, slot) cells; `kEmpty` marks a free cell.
template <typename Key, Key kEmpty>
class ProbeTable {
 public:
  static constexpr std::uint32_t kMissing = 0xFFFFFFFFu;

  std::uint32_t find(Key key) const noexcept {
    if (cells_.empty()) return kMissing;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Cell& c = cells_[i];
      if (c.key == key) return c.slot;
      if (c.key == kEmpty) return kMissing;
    }
  }

  void prefetch(Key key) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
    if (!cells_.empty()) __builtin_prefetch(&cells_[home(key)]);
#else
    (void)key;
#endif
  }

  void set(Key key, std::uint32_t slot) {
    if (2 * (size_ + 1) > cells_.size()) grow(2 * (size_ + 1));
    std::size_t i = home(key);
    while (cells_[i].key != kEmpty && cells_[i].key != key) i = (i + 1) & mask_;
    if (cells_[i].key == kEmpty) ++size_;
    cells_[i] = Cell{key, slot};
  }

  void erase(Key key) noexcept {
    if (cells_.empty()) return;
    std::size_t i = home(key);
    while (cells_[i].key != key) {
      if (cells_[i].key == kEmpty) return;
      i = (i + 1) & mask_;
    }
    // Backward-shift deletion: move later cells of the run into the hole when their
    // home lies at or before it (cyclically), so every lookup still finds them.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; cells_[j].key != kEmpty; j = (j + 1) & mask_) {
      const std::size_t h = home(cells_[j].key);
      if (((j - h) & mask_) >= ((j - hole) & mask_)) {
        cells_[hole] = cells_[j];
        hole = j;
      }
    }
    cells_[hole].key = kEmpty;
    --size_;
  }

  void clear() noexcept {
    for (Cell& c : cells_) c.key = kEmpty;
    size_ = 0;
  }

  void reserve(std::size_t n) {
    if (2 * n > cells_.size()) grow(2 * n);
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t memory_bytes() const noexcept { return cells_.capacity() * sizeof(Cell); }

 private:
  struct Cell {
    Key key = kEmpty;
    std::uint32_t slot = kMissing;
  };

  std::size_t home(Key key) const noexcept {
    // Fibonacci hashing: the top bits of key * 2^64/phi spread runs of keys evenly.
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >>
                                    shift_);
  }

  void grow(std::size_t at_least) {
    std::size_t capacity = 16;
    int bits = 4;
    while (capacity < at_least) {
      capacity <<= 1;
      ++bits;
    }
    std::vector<Cell> old;
    old.swap(cells_);
    cells_.assign(capacity, Cell{});
    mask_ = capacity - 1;
    shift_ = 64 - bits;
    size_ = 0;
    for (const Cell& c : old) {
      if (c.key != kEmpty) set(c.key, c.slot);
    }
  }

  std::vector<Cell> cells_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::size_t size_ = 0;
};

/// Maps non-negative int64 keys to slots.
class KeyMap {
 public:
  static constexpr std::uint32_t kMissing = 0xFFFFFFFFu;

  /// Whether `key` lives in the table of 8-byte cells.
  static bool is_small(std::int64_t key) noexcept { return key < kSmallEnd; }

  /// The slot of `key`, or kMissing.
  std::uint32_t find(std::int64_t key) const noexcept {
    return is_small(key) ? small_.find(narrow(key)) : large_.find(key);
  }

  /// Starts loading the cell where `key` would be found.
  void prefetch(std::int64_t key) const noexcept {
    if (is_small(key)) {
      small_.prefetch(narrow(key));
    } else {
      large_.prefetch(key);
    }
  }

  /// Maps `key` to `slot`, replacing a previous slot.
  void set(std::int64_t key, std::uint32_t slot) {
    if (is_small(key)) {
      small_.set(narrow(key), slot);
    } else {
      large_.set(key, slot);
    }
  }

  /// Forgets `key` (no effect when absent).
  void erase(std::int64_t key) noexcept {
    if (is_small(key)) {
      small_.erase(narrow(key));
    } else {
      large_.erase(key);
    }
  }

  void clear() noexcept {
    small_.clear();
    large_.clear();
  }

  /// Makes room for `small` keys below 2^32 - 1 and `large` others without growing again.
  void reserve(std::size_t small, std::size_t large) {
    small_.reserve(small);
    if (large > 0) large_.reserve(large);
  }

  std::size_t size() const noexcept { return small_.size() + large_.size(); }
  std::size_t small_size() const noexcept { return small_.size(); }
  std::size_t large_size() const noexcept { return large_.size(); }
  std::size_t memory_bytes() const noexcept {
    return small_.memory_bytes() + large_.memory_bytes();
  }

 private:
  static constexpr std::int64_t kSmallEnd = 0xFFFFFFFF;  // 2^32 - 1 marks an empty cell

  static std::uint32_t narrow(std::int64_t key) noexcept {
    return static_cast<std::uint32_t>(key);
  }

  ProbeTable<std::uint32_t, 0xFFFFFFFFu> small_;
  ProbeTable<std::int64_t, -1> large_;
};

}  // namespace mastra::hnsw
