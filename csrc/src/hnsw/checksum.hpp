/**
 * @file checksum.hpp
 * @brief A fast 64-bit checksum for index files (four multiply-rotate lanes in the
 *        style of xxHash64; detects corruption, not tampering).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mastra::hnsw {

inline std::uint64_t rotl64(std::uint64_t x, int r) noexcept { return (x << r) | (x >> (64 - r)); }

inline std::uint64_t checksum64(const char* data, std::size_t size) noexcept {
  constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL;
  constexpr std::uint64_t p2 = 0xC2B2AE3D27D4EB4FULL;
  std::uint64_t lanes[4] = {p1 + p2, p2, 0, 0 - p1};
  std::size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    for (int l = 0; l < 4; ++l) {
      std::uint64_t word = 0;
      std::memcpy(&word, data + i + 8 * l, 8);
      lanes[l] = rotl64(lanes[l] + word * p2, 31) * p1;
    }
  }
  std::uint64_t h = rotl64(lanes[0], 1) + rotl64(lanes[1], 7) + rotl64(lanes[2], 12) +
                    rotl64(lanes[3], 18) + static_cast<std::uint64_t>(size);
  for (; i < size; ++i) h = rotl64(h ^ (static_cast<unsigned char>(data[i]) * p1), 11) * p2;
  h ^= h >> 33;
  h *= p2;
  h ^= h >> 29;
  return h;
}

}  // namespace mastra::hnsw
