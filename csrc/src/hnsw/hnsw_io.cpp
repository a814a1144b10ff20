/**
 * @file hnsw_io.cpp
 * @brief The index file format: save, load (verified copy) and view (memory map).
 *
 * Layout (little-endian): a fixed header, then 64-byte aligned sections
 *   keys[slots] int64 | levels[slots] u8 | deleted[slots] u8 | level0 blocks |
 *   upper_index[slots] u64 (word offset or ~0) | upper links (u32 words)
 * The header carries a checksum of itself and one of everything after it. load()
 * verifies both; view() verifies the header and the structure, and the searches
 * bounds-check every link, so a damaged file raises VectorError and never crashes.
 */
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <string>

#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif

#include "checksum.hpp"
#include "file_format.hpp"
#include "index_impl.hpp"
#include "mastra/errors.hpp"

namespace mastra {
namespace {

using hnsw::FileHeader;
using hnsw::header_checksum;
using hnsw::kMagic;
using hnsw::kNoUpper;
using hnsw::kVersion;

std::uint64_t align64(std::uint64_t v) { return (v + 63) / 64 * 64; }


[[noreturn]] void corrupt(const std::string& what) {
  throw VectorError("not a valid mastra HNSW index (" + what +
                    "): the file is truncated, corrupt or of another format");
}

void set_layout(FileHeader& h, std::uint64_t slots, std::uint64_t block_size,
                std::uint64_t upper_words) {
  h.keys_offset = align64(sizeof(FileHeader));
  h.levels_offset = align64(h.keys_offset + slots * 8);
  h.deleted_offset = align64(h.levels_offset + slots);
  h.level0_offset = align64(h.deleted_offset + slots);
  h.upper_index_offset = align64(h.level0_offset + slots * block_size);
  h.upper_offset = align64(h.upper_index_offset + slots * 8);
  h.upper_words = upper_words;
  h.file_size = h.upper_offset + upper_words * 4;
}

/// Checks everything that can be checked without reading the bulk sections.
HnswConfig validate_header(const FileHeader& h, std::size_t size) {
  if (size < sizeof(FileHeader)) corrupt("shorter than its header");
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) corrupt("wrong magic bytes");
  if (h.version != kVersion) {
    corrupt("format version " + std::to_string(h.version) + ", this build reads version " +
            std::to_string(kVersion));
  }
  if (h.header_size != sizeof(FileHeader) || header_checksum(h) != h.header_checksum) {
    corrupt("header checksum mismatch");
  }
  if (h.file_size != size) corrupt("size " + std::to_string(size) + " bytes, header says " +
                                   std::to_string(h.file_size));
  if (h.metric > 2 || h.storage > 2) corrupt("unknown metric or dtype");
  HnswConfig c;
  c.dim = h.dim;
  c.metric = static_cast<Metric>(h.metric);
  c.storage = static_cast<StorageType>(h.storage);
  c.m = h.m;
  c.ef_construction = h.ef_construction;
  c.ef_search = h.ef_search;
  c.seed = h.seed;
  if (c.dim == 0 || c.dim > (1u << 16) || c.m < 2 || c.m > 256 || c.ef_search == 0 ||
      c.ef_construction == 0) {
    corrupt("parameters out of range");
  }
  // Sizes first (no overflow in the layout arithmetic), then every section offset.
  if (h.block_size == 0 || h.block_size > (1u << 24) || h.slots > size / h.block_size ||
      h.upper_words > size / 4 || h.slots > (1ull << 32) - 2) {
    corrupt("section sizes out of range");
  }
  FileHeader expected = h;
  set_layout(expected, h.slots, h.block_size, h.upper_words);
  if (expected.file_size != h.file_size || expected.keys_offset != h.keys_offset ||
      expected.levels_offset != h.levels_offset || expected.deleted_offset != h.deleted_offset ||
      expected.level0_offset != h.level0_offset ||
      expected.upper_index_offset != h.upper_index_offset ||
      expected.upper_offset != h.upper_offset || h.live > h.slots ||
      h.max_level >= static_cast<std::int32_t>(hnsw::kMaxLevel) || h.max_level < -1 ||
      (h.live > 0 && h.entry >= h.slots) || (h.live > 0 && h.max_level < 0)) {
    corrupt("inconsistent section layout");
  }
  return c;
}

/// Points an Impl at sections that live in `base` (a mapping or a buffer), after
/// checking levels and upper-link offsets against the file.
void attach(HnswIndex::Impl& s, const FileHeader& h, const char* base) {
  if (s.block_size != h.block_size) corrupt("block size does not match the parameters");
  s.slots = h.slots;
  s.live = h.live;
  s.max_level = h.max_level;
  s.entry = h.live > 0 ? h.entry : hnsw::kNone;
  s.keys_by_slot = reinterpret_cast<std::int64_t*>(const_cast<char*>(base + h.keys_offset));
  s.levels = reinterpret_cast<std::uint8_t*>(const_cast<char*>(base + h.levels_offset));
  s.deleted = reinterpret_cast<std::uint8_t*>(const_cast<char*>(base + h.deleted_offset));
  s.level0 = const_cast<char*>(base + h.level0_offset);
  const auto* index = reinterpret_cast<const std::uint64_t*>(base + h.upper_index_offset);
  auto* words = reinterpret_cast<std::uint32_t*>(const_cast<char*>(base + h.upper_offset));
  s.upper.assign(h.slots, nullptr);
  for (std::uint64_t slot = 0; slot < h.slots; ++slot) {
    const int level = s.levels[slot];
    if (level > h.max_level) corrupt("a node above the top level");
    if (level == 0) continue;
    const std::uint64_t need = static_cast<std::uint64_t>(level) * (1 + s.m_upper);
    if (index[slot] == kNoUpper || index[slot] > h.upper_words || h.upper_words - index[slot] < need) {
      corrupt("upper links out of range");
    }
    s.upper[slot] = words + index[slot];
  }
}

/// Copies a verified image into owned, writable storage.
std::unique_ptr<HnswIndex::Impl> copy_in(const FileHeader& h, const char* base) {
  auto impl = std::make_unique<HnswIndex::Impl>(validate_header(h, h.file_size));
  HnswIndex::Impl view(impl->config);
  attach(view, h, base);
  HnswIndex::Impl& s = *impl;
  s.reserve(std::max<std::size_t>(h.slots, 1));
  std::memcpy(s.level0, view.level0, h.slots * s.block_size);
  std::memcpy(s.keys_by_slot, view.keys_by_slot, h.slots * 8);
  std::memcpy(s.levels, view.levels, h.slots);
  for (std::size_t slot = 0; slot < h.slots; ++slot) s.deleted[slot] = view.deleted[slot] ? 1 : 0;
  for (std::size_t slot = 0; slot < h.slots; ++slot) {
    if (view.upper[slot] == nullptr) continue;
    const std::size_t words = static_cast<std::size_t>(s.levels[slot]) * (1 + s.m_upper);
    s.upper_owned[slot].reset(new std::uint32_t[words]);
    std::memcpy(s.upper_owned[slot].get(), view.upper[slot], words * 4);
    s.upper[slot] = s.upper_owned[slot].get();
  }
  s.slots = h.slots;
  s.live = h.live;
  s.max_level = h.max_level;
  s.entry = view.entry;
  for (std::size_t slot = 0; slot < h.slots; ++slot) {
    if (s.deleted[slot] != 0) s.free_slots.push_back(static_cast<std::uint32_t>(slot));
  }
  s.build_key_map();
  if (s.key_to_slot.size() != s.live) corrupt("duplicate keys or a wrong live count");
  return impl;
}

const FileHeader& read_header(const char* data, std::size_t size) {
  if (size < sizeof(FileHeader)) corrupt("shorter than its header");
  return *reinterpret_cast<const FileHeader*>(data);
}

std::unique_ptr<HnswIndex::Impl> verified_copy(const char* data, std::size_t size) {
  FileHeader h;
  std::memcpy(&h, &read_header(data, size), sizeof(h));
  validate_header(h, size);
  if (hnsw::checksum64(data + sizeof(FileHeader), size - sizeof(FileHeader)) != h.data_checksum) {
    corrupt("data checksum mismatch");
  }
  if (reinterpret_cast<std::uintptr_t>(data) % 8 != 0) {
    std::vector<char> aligned(data, data + size);  // sections need 8-byte alignment
    return copy_in(h, aligned.data());
  }
  return copy_in(h, data);
}

}  // namespace

namespace hnsw {

std::uint64_t header_checksum(const FileHeader& h) {
  return checksum64(reinterpret_cast<const char*>(&h), offsetof(FileHeader, header_checksum));
}

void reseal(char* data, std::size_t size) {
  if (size < sizeof(FileHeader)) return;
  FileHeader h;
  std::memcpy(&h, data, sizeof(h));
  h.data_checksum = checksum64(data + sizeof(FileHeader), size - sizeof(FileHeader));
  h.header_checksum = header_checksum(h);
  std::memcpy(data, &h, sizeof(h));
}

}  // namespace hnsw

std::vector<char> HnswIndex::to_bytes() const {
  std::shared_lock lock(impl_->mutex);
  const Impl& s = *impl_;
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kVersion;
  h.header_size = sizeof(FileHeader);
  h.dim = static_cast<std::uint32_t>(s.config.dim);
  h.metric = static_cast<std::uint32_t>(s.config.metric);
  h.storage = static_cast<std::uint32_t>(s.config.storage);
  h.m = static_cast<std::uint32_t>(s.config.m);
  h.ef_construction = static_cast<std::uint32_t>(s.config.ef_construction);
  h.ef_search = static_cast<std::uint32_t>(s.config.ef_search);
  h.seed = s.config.seed;
  h.slots = s.slots;
  h.live = s.live;
  h.max_level = s.max_level;
  h.entry = s.entry;
  h.block_size = s.block_size;
  std::uint64_t upper_words = 0;
  for (std::size_t slot = 0; slot < s.slots; ++slot) {
    upper_words += static_cast<std::uint64_t>(s.levels[slot]) * (1 + s.m_upper);
  }
  set_layout(h, s.slots, s.block_size, upper_words);

  std::vector<char> out(h.file_size, 0);
  char* base = out.data();
  std::memcpy(base + h.keys_offset, s.keys_by_slot, s.slots * 8);
  std::memcpy(base + h.levels_offset, s.levels, s.slots);
  std::memcpy(base + h.deleted_offset, s.deleted, s.slots);
  std::memcpy(base + h.level0_offset, s.level0, s.slots * s.block_size);
  auto* index = reinterpret_cast<std::uint64_t*>(base + h.upper_index_offset);
  auto* words = reinterpret_cast<std::uint32_t*>(base + h.upper_offset);
  std::uint64_t next = 0;
  for (std::size_t slot = 0; slot < s.slots; ++slot) {
    const std::size_t count = static_cast<std::size_t>(s.levels[slot]) * (1 + s.m_upper);
    if (count == 0) {
      index[slot] = kNoUpper;
      continue;
    }
    index[slot] = next;
    std::memcpy(words + next, s.upper[slot], count * 4);
    next += count;
  }
  h.data_checksum = hnsw::checksum64(base + sizeof(FileHeader), out.size() - sizeof(FileHeader));
  h.header_checksum = header_checksum(h);
  std::memcpy(base, &h, sizeof(h));
  return out;
}

std::unique_ptr<HnswIndex> HnswIndex::from_bytes(const char* data, std::size_t size) {
  return std::unique_ptr<HnswIndex>(new HnswIndex(verified_copy(data, size)));
}

void HnswIndex::save(const std::string& path) const {
  const std::vector<char> bytes = to_bytes();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw VectorError("cannot write index file '" + path + "': check the directory");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw VectorError("writing index file '" + path + "' failed: check free disk space");
    }
  }
#if defined(_WIN32)
  const bool moved = MoveFileExA(tmp.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING) != 0;
#else
  const bool moved = std::rename(tmp.c_str(), path.c_str()) == 0;  // atomic replace
#endif
  if (!moved) {
    std::remove(tmp.c_str());
    throw VectorError("cannot move the new index into place at '" + path + "'");
  }
}

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path) {
  hnsw::MappedFile file(path);
  return from_bytes(file.data(), file.size());
}

std::unique_ptr<HnswIndex> HnswIndex::view(const std::string& path) {
  auto file = std::make_unique<hnsw::MappedFile>(path);
  FileHeader h;
  std::memcpy(&h, &read_header(file->data(), file->size()), sizeof(h));
  auto impl = std::make_unique<Impl>(validate_header(h, file->size()));
  attach(*impl, h, file->data());
  impl->capacity = impl->slots;
  impl->mapping = std::move(file);
  return std::unique_ptr<HnswIndex>(new HnswIndex(std::move(impl)));
}

}  // namespace mastra
