/**
 * @file test_key_map.cpp
 * @brief hnsw::KeyMap against std::unordered_map under random sets, erases and finds,
 *        with keys chosen to collide, to wrap around the table's end and to fall in
 *        either of its tables.
 */
#include <cstdint>
#include <random>
#include <unordered_map>

#include "check.hpp"
#include "hnsw/key_map.hpp"

namespace {

void run_model(std::uint64_t seed, std::int64_t key_range, std::int64_t first_key = 0) {
  std::mt19937_64 rng(seed);
  mastra::hnsw::KeyMap map;
  std::unordered_map<std::int64_t, std::uint32_t> model;
  for (int step = 0; step < 200000; ++step) {
    const auto key =
        first_key + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(key_range));
    switch (rng() % 4) {
      case 0:
      case 1: {
        const auto slot = static_cast<std::uint32_t>(rng() % 1000000);
        map.set(key, slot);
        model[key] = slot;
        break;
      }
      case 2:
        map.erase(key);
        model.erase(key);
        break;
      default: {
        const auto it = model.find(key);
        const std::uint32_t want = it == model.end() ? mastra::hnsw::KeyMap::kMissing : it->second;
        CHECK(map.find(key) == want);
      }
    }
    CHECK(map.size() == model.size());
  }
  for (const auto& [key, slot] : model) CHECK(map.find(key) == slot);
  map.clear();
  CHECK(map.size() == 0);
  for (const auto& entry : model) CHECK(map.find(entry.first) == mastra::hnsw::KeyMap::kMissing);
}

}  // namespace

TEST_CASE("key map matches std::unordered_map: dense keys") { run_model(1, 64); }

TEST_CASE("key map matches std::unordered_map: sparse keys") { run_model(2, 1000000); }

TEST_CASE("key map matches std::unordered_map: huge keys") {
  run_model(3, std::int64_t{1} << 62);
}

TEST_CASE("key map matches std::unordered_map: keys on both sides of 2^32 - 1") {
  run_model(4, 4096, (std::int64_t{1} << 32) - 2048);
}

TEST_CASE("key map: erase inside long probe runs keeps every key reachable") {
  mastra::hnsw::KeyMap map;
  map.reserve(8, 0);
  for (std::int64_t k = 0; k < 8; ++k) map.set(k * 16, static_cast<std::uint32_t>(k));
  for (std::int64_t k = 0; k < 8; k += 2) map.erase(k * 16);
  for (std::int64_t k = 1; k < 8; k += 2) CHECK(map.find(k * 16) == static_cast<std::uint32_t>(k));
  CHECK(map.size() == 4);
}

TEST_MAIN()
