/**
 * @file hashing_embedder.cpp
 * @brief Character n-gram and word feature hashing (see hashing_embedder.hpp).
 */
#include "mastra/hashing_embedder.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mastra/errors.hpp"

namespace mastra {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;
constexpr std::uint64_t kWordSalt = 0x9e3779b97f4a7c15ull;
constexpr std::size_t kMaxN = 16;
constexpr std::size_t kBatchChunk = 64;

/// FNV-1a over the bytes, then a murmur3 finaliser so every output bit is mixed.
std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) noexcept {
  std::uint64_t h = kFnvOffset ^ seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

/// Length in bytes of the UTF-8 code point starting at s[i] (1 for an invalid byte).
std::size_t code_point_length(std::string_view s, std::size_t i) noexcept {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t len = 1;
  if (lead >= 0xF0 && lead < 0xF8) {
    len = 4;
  } else if (lead >= 0xE0) {
    len = lead < 0xF0 ? 3 : 1;
  } else if (lead >= 0xC2) {
    len = 2;
  }
  if (i + len > s.size()) return 1;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return len;
}

bool is_space(unsigned char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_word_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/// Lower-cases ASCII letters, collapses whitespace runs, frames the text with spaces.
std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(' ');
  for (const char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (is_space(c)) {
      if (out.back() != ' ') out.push_back(' ');
      continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    out.push_back(static_cast<char>(c));
  }
  if (out.back() != ' ') out.push_back(' ');
  return out;
}

}  // namespace

HashingEmbedder::HashingEmbedder(HashingEmbedderOptions options) : options_(options) {
  if (options_.dimension == 0) throw ConfigError("dimension must be >= 1");
  if (options_.min_n == 0 || options_.max_n < options_.min_n || options_.max_n > kMaxN) {
    throw ConfigError("n-gram sizes must satisfy 1 <= min_n <= max_n <= 16");
  }
}

void HashingEmbedder::embed(std::string_view text, float* out) const {
  const std::size_t dim = options_.dimension;
  std::fill(out, out + dim, 0.0f);
  const std::string norm = normalise(text);
  if (norm.size() <= 1) return;  // empty or only whitespace: no features
  const std::string_view s(norm);
  auto add = [&](std::string_view feature, std::uint64_t salt) {
    const std::uint64_t h = hash_bytes(feature, options_.seed ^ salt);
    out[h % dim] += (h >> 63) != 0 ? -1.0f : 1.0f;
  };

  // Byte offsets of the code points, so n-grams never split a character.
  std::vector<std::size_t> starts;
  starts.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); i += code_point_length(s, i)) starts.push_back(i);
  starts.push_back(s.size());
  const std::size_t points = starts.size() - 1;
  for (std::size_t n = options_.min_n; n <= options_.max_n; ++n) {
    for (std::size_t i = 0; i + n <= points; ++i) {
      add(s.substr(starts[i], starts[i + n] - starts[i]), n);
    }
  }
  if (options_.words) {
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && !is_word_byte(static_cast<unsigned char>(s[i]))) ++i;
      std::size_t j = i;
      while (j < s.size() && is_word_byte(static_cast<unsigned char>(s[j]))) ++j;
      if (j > i) add(s.substr(i, j - i), kWordSalt);
      i = j;
    }
  }

  double norm2 = 0.0;
  for (std::size_t d = 0; d < dim; ++d) norm2 += static_cast<double>(out[d]) * out[d];
  if (norm2 > 0.0) {
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm2));
    for (std::size_t d = 0; d < dim; ++d) out[d] *= scale;
  }
}

void HashingEmbedder::embed_batch(const std::vector<std::string_view>& texts, float* out,
                                  const ParallelOptions& options) const {
  const std::size_t chunks = (texts.size() + kBatchChunk - 1) / kBatchChunk;
  parallel_for(chunks, options, [&](std::size_t chunk, std::size_t) {
    const std::size_t end = std::min(texts.size(), (chunk + 1) * kBatchChunk);
    for (std::size_t i = chunk * kBatchChunk; i < end; ++i) {
      embed(texts[i], out + i * options_.dimension);
    }
  });
}

}  // namespace mastra
