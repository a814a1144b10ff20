/** @file test_topk.cpp @brief TopK selection against sorting. */
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "check.hpp"
#include "mastra/topk.hpp"

using mastra::TopK;

TEST_CASE("keeps the k smallest, sorted, with ties by key") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(0, 50);  // many ties
  for (std::size_t k : {1u, 3u, 10u, 64u}) {
    std::vector<float> d(1000);
    for (float& v : d) v = static_cast<float>(value(rng));
    TopK top(k);
    top.push_block(d.data(), 500, 0);
    top.push_block(d.data() + 500, 500, 500);
    std::vector<std::int64_t> order(d.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::int64_t a, std::int64_t b) { return d[a] < d[b]; });
    std::vector<std::int64_t> keys(k);
    std::vector<float> dist(k);
    top.write_sorted(keys.data(), dist.data());
    for (std::size_t i = 0; i < k; ++i) {
      CHECK(keys[i] == order[i]);
      CHECK(dist[i] == d[order[i]]);
    }
  }
}

TEST_CASE("pads with -1 and +inf when fewer than k") {
  TopK top(5);
  top.push(2.0f, 9);
  top.push(1.0f, 4);
  std::int64_t keys[5];
  float dist[5];
  top.write_sorted(keys, dist);
  CHECK(keys[0] == 4 && keys[1] == 9);
  for (int i = 2; i < 5; ++i) {
    CHECK(keys[i] == -1);
    CHECK(std::isinf(dist[i]));
  }
}

TEST_CASE("merge equals one selection over everything") {
  TopK a(4), b(4), all(4);
  for (int i = 0; i < 100; ++i) {
    const float d = static_cast<float>((i * 37) % 23);
    (i % 2 == 0 ? a : b).push(d, i);
    all.push(d, i);
  }
  a.merge(b);
  std::int64_t k1[4], k2[4];
  float d1[4], d2[4];
  a.write_sorted(k1, d1);
  all.write_sorted(k2, d2);
  for (int i = 0; i < 4; ++i) CHECK(k1[i] == k2[i] && d1[i] == d2[i]);
}

TEST_MAIN()
