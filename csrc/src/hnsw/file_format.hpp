/**
 * @file file_format.hpp
 * @brief The fixed header of an index file (see hnsw_io.cpp for the layout).
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace mastra::hnsw {

inline constexpr char kMagic[8] = {'M', 'A', 'S', 'T', 'R', 'A', 'H', 'N'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::uint64_t kNoUpper = ~std::uint64_t{0};

struct FileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_size;
  std::uint32_t dim;
  std::uint32_t metric;
  std::uint32_t storage;
  std::uint32_t m;
  std::uint32_t ef_construction;
  std::uint32_t ef_search;
  std::uint64_t seed;
  std::uint64_t slots;
  std::uint64_t live;
  std::int32_t max_level;
  std::uint32_t entry;
  std::uint64_t block_size;
  std::uint64_t keys_offset;
  std::uint64_t levels_offset;
  std::uint64_t deleted_offset;
  std::uint64_t level0_offset;
  std::uint64_t upper_index_offset;
  std::uint64_t upper_offset;
  std::uint64_t upper_words;
  std::uint64_t file_size;
  std::uint64_t data_checksum;
  std::uint64_t header_checksum;  // of every byte before this field
};

/// Checksum of the header bytes before its header_checksum field.
std::uint64_t header_checksum(const FileHeader& h);

/// Recomputes both checksums of an image in place (used to fuzz the structure checks
/// behind them).
void reseal(char* data, std::size_t size);

}  // namespace mastra::hnsw
