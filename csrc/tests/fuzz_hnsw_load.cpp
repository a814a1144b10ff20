/**
 * @file fuzz_hnsw_load.cpp
 * @brief libFuzzer target for index files: a valid image is damaged as the input says
 *        (offset/xor pairs), then opened as is (the checksum must refuse it) and
 *        resealed (the structure checks and the searches must cope). Nothing may
 *        crash; the only error allowed is VectorError.
 */
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hnsw/file_format.hpp"
#include "mastra/errors.hpp"
#include "mastra/hnsw_index.hpp"

namespace {

const std::vector<char>& base_image() {
  static const std::vector<char> image = [] {
    mastra::HnswConfig config;
    config.dim = 6;
    config.m = 4;
    config.ef_construction = 16;
    mastra::HnswIndex index(config);
    std::vector<std::int64_t> keys(120);
    std::vector<float> vectors(120 * 6);
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<std::int64_t>(i * 5);
    for (std::size_t i = 0; i < vectors.size(); ++i) vectors[i] = static_cast<float>((i * 37) % 17) - 8.0f;
    mastra::ParallelOptions options;
    options.threads = 1;
    index.add(keys.data(), vectors.data(), keys.size(), options);
    const std::int64_t gone[] = {5, 50};
    index.remove(gone, 2);
    return index.to_bytes();
  }();
  return image;
}

void exercise(const std::vector<char>& image) {
  try {
    auto index = mastra::HnswIndex::from_bytes(image.data(), image.size());
    // A damaged header may still describe a consistent index of another dimension.
    std::vector<float> query(index->config().dim, 0.5f);
    query[0] = -2.0f;
    std::int64_t keys[8];
    float distances[8];
    mastra::ParallelOptions options;
    options.threads = 1;
    index->search(query.data(), 1, 8, 0, mastra::SearchFilter{}, keys, distances, options);
    index->get(10, query.data());
    (void)index->keys();
    (void)index->stats();
  } catch (const mastra::VectorError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<char> image = base_image();
  for (std::size_t i = 0; i + 3 <= size; i += 3) {
    const std::size_t offset = (static_cast<std::size_t>(data[i]) << 8 | data[i + 1]) % image.size();
    image[offset] = static_cast<char>(image[offset] ^ static_cast<char>(data[i + 2] | 1));
  }
  if (size % 7 == 3 && !image.empty()) image.resize(image.size() - 1 - data[0] % 64);
  exercise(image);
  mastra::hnsw::reseal(image.data(), image.size());
  exercise(image);
  return 0;
}
