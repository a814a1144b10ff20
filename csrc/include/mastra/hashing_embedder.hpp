/**
 * @file hashing_embedder.hpp
 * @brief Text to fixed-size vectors by feature hashing of character n-grams and words.
 *
 * Lexical, not semantic: two texts are close when they share spelling (n-grams of
 * their characters and their words), not when they mean the same thing. Needs no
 * model, no network and no training; the same text always gives the same vector.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mastra/parallel.hpp"

namespace mastra {

/// What a HashingEmbedder extracts from a text.
struct HashingEmbedderOptions {
  std::size_t dimension = 384;  ///< length of every vector (>= 1)
  std::size_t min_n = 3;        ///< shortest character n-gram (>= 1)
  std::size_t max_n = 5;        ///< longest character n-gram (>= min_n, <= 16)
  bool words = true;            ///< also hash whole words
  std::uint64_t seed = 0;       ///< changes every bucket: vectors of two seeds do not mix
};

/**
 * Feature hashing ("the hashing trick") of a text's features into `dimension` buckets.
 *
 * The text is lower-cased (ASCII letters), runs of whitespace become one space, and it
 * is framed by spaces so that n-grams see word boundaries. Its features are every run
 * of `min_n`..`max_n` consecutive code points (UTF-8 aware; invalid bytes count as one
 * code point each) and, with `words`, every maximal run of letters and digits. Each
 * feature adds +1 or -1 (by a bit of its 64-bit hash) to bucket `hash % dimension`;
 * the vector is then scaled to unit L2 norm (a text without features gives zeros).
 * Thread-safe: an embedder holds only its options.
 */
class HashingEmbedder {
 public:
  /// @throws ConfigError when the options are out of range.
  explicit HashingEmbedder(HashingEmbedderOptions options = {});

  std::size_t dimension() const noexcept { return options_.dimension; }
  const HashingEmbedderOptions& options() const noexcept { return options_; }

  /// Writes the unit vector of `text` to out[0, dimension).
  void embed(std::string_view text, float* out) const;

  /// Embeds texts[i] into out + i * dimension, on up to options.threads threads.
  void embed_batch(const std::vector<std::string_view>& texts, float* out,
                   const ParallelOptions& options) const;

 private:
  HashingEmbedderOptions options_;
};

}  // namespace mastra
