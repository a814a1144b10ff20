/** @file test_hashing_embedder.cpp @brief The hashing embedder: norms, determinism, overlap. */
#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "mastra/errors.hpp"
#include "mastra/hashing_embedder.hpp"

using mastra::HashingEmbedder;
using mastra::HashingEmbedderOptions;

namespace {

std::vector<float> embed(const HashingEmbedder& e, std::string_view text) {
  std::vector<float> v(e.dimension());
  e.embed(text, v.data());
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("vectors have unit norm; blank text gives zeros") {
  const HashingEmbedder e;
  CHECK(e.dimension() == 384);
  for (const char* text : {"a", "hello world", "Ünïcödé ✓ text", "x\xff\xfe broken utf8"}) {
    CHECK(std::fabs(dot(embed(e, text), embed(e, text)) - 1.0) < 1e-5);
  }
  for (const char* text : {"", " ", "\t\n  "}) CHECK(dot(embed(e, text), embed(e, text)) == 0.0);
}

TEST_CASE("case and whitespace do not matter; the seed does") {
  const HashingEmbedder e;
  CHECK(embed(e, "Hello   World") == embed(e, "hello world"));
  CHECK(embed(e, "  hello\tworld\n") == embed(e, "hello world"));
  const HashingEmbedder other(HashingEmbedderOptions{384, 3, 5, true, 7});
  CHECK(embed(other, "hello world") != embed(e, "hello world"));
}

TEST_CASE("shared spelling scores higher than none") {
  const HashingEmbedder e;
  const auto query = embed(e, "vector database indexing");
  const double close = dot(query, embed(e, "indexing a vector database"));
  const double far = dot(query, embed(e, "chocolate cake recipe"));
  CHECK(close > 0.5);
  CHECK(far < 0.2);
  CHECK(close > far);
}

TEST_CASE("a batch on several threads equals one by one") {
  const HashingEmbedder e(HashingEmbedderOptions{64, 2, 4, true, 1});
  std::vector<std::string> texts;
  for (int i = 0; i < 500; ++i) texts.push_back("text number " + std::to_string(i * 7919));
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> batch(texts.size() * 64);
  mastra::ParallelOptions options;
  options.threads = 4;
  e.embed_batch(views, batch.data(), options);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto one = embed(e, texts[i]);
    CHECK(std::equal(one.begin(), one.end(), batch.begin() + static_cast<long>(i * 64)));
  }
}

TEST_CASE("bad options throw ConfigError") {
  CHECK_THROWS_AS(HashingEmbedder(HashingEmbedderOptions{0, 3, 5, true, 0}), mastra::ConfigError);
  CHECK_THROWS_AS(HashingEmbedder(HashingEmbedderOptions{8, 0, 5, true, 0}), mastra::ConfigError);
  CHECK_THROWS_AS(HashingEmbedder(HashingEmbedderOptions{8, 4, 3, true, 0}), mastra::ConfigError);
  CHECK_THROWS_AS(HashingEmbedder(HashingEmbedderOptions{8, 3, 17, true, 0}), mastra::ConfigError);
}

TEST_MAIN()
