/**
 * @file test_lru_cache.cpp
 * @brief LruCache: exact LRU order across shards, byte bounds, expiry, value release,
 *        statistics, and a multi-threaded stress run (meant for ASan/UBSan and TSan).
 */
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "mastra/lru_cache.hpp"

namespace {

using Value = std::shared_ptr<int>;
using Cache = mastra::LruCache<Value>;

struct Key {
  explicit Key(std::string s, std::uint8_t kind = 0) : text(std::move(s)), kind_(kind) {}
  mastra::LruKey get() const { return {text, mastra::lru_hash(text) + kind_, kind_}; }
  std::string text;
  std::uint8_t kind_;
};

struct Released {
  std::vector<Value> values;
  void operator()(Value&& v) { values.push_back(std::move(v)); }
};

bool set(Cache& c, const std::string& k, int v, std::uint64_t bytes = 0,
         std::int64_t expires = 0, std::int64_t now = 0) {
  Released released;
  return c.set(Key(k).get(), std::make_shared<int>(v), bytes, expires, now, released);
}

int get(Cache& c, const std::string& k, std::int64_t now = 0) {
  int out = -1;
  Released released;
  c.get(Key(k).get(), now, [&](const Value& v) { out = *v; }, released);
  return out;
}

std::vector<std::string> key_list(const Cache& c, std::int64_t now = 0) {
  std::vector<std::string> out;
  for (auto& item : c.keys(now)) out.push_back(item.second);
  return out;
}

TEST_CASE("rejects zero capacity") { CHECK_THROWS_AS(Cache(0), std::invalid_argument); }

TEST_CASE("evicts the least recently used entry across shards") {
  Cache c(3, Cache::no_limit, 4);
  set(c, "a", 1);
  set(c, "b", 2);
  set(c, "c", 3);
  CHECK(get(c, "a") == 1);  // order now b, c, a
  set(c, "d", 4);           // evicts b
  CHECK(get(c, "b") == -1);
  CHECK((key_list(c) == std::vector<std::string>{"c", "a", "d"}));
  set(c, "c", 30);  // update refreshes: a, d, c
  set(c, "e", 5);   // evicts a
  CHECK((key_list(c) == std::vector<std::string>{"d", "c", "e"}));
  const auto stats = c.stats();
  CHECK(stats.evictions == 2);
  CHECK(stats.entries == 3);
  CHECK(stats.hits == 1);
  CHECK(stats.misses == 1);
}

TEST_CASE("str and bytes kinds of the same bytes are different keys") {
  Cache c(10);
  Released released;
  const std::string text = "same";
  const mastra::LruKey as_bytes{text, 7, 0};
  const mastra::LruKey as_text{text, 7, 1};
  c.set(as_bytes, std::make_shared<int>(1), 0, 0, 0, released);
  c.set(as_text, std::make_shared<int>(2), 0, 0, 0, released);
  CHECK(c.size() == 2);
  int seen = 0;
  c.get(as_text, 0, [&](const Value& v) { seen = *v; }, released);
  CHECK(seen == 2);
}

TEST_CASE("byte bound evicts as many entries as needed, oversize entries are refused") {
  Cache c(100, 30, 2);
  set(c, "a", 1, 9);  // 10 bytes with the key
  set(c, "b", 2, 9);
  set(c, "c", 3, 9);
  CHECK(c.bytes() == 30);
  set(c, "d", 4, 19);  // 20 bytes: evicts a and b
  CHECK((key_list(c) == std::vector<std::string>{"c", "d"}));
  CHECK(c.bytes() == 30);
  CHECK(!set(c, "e", 5, 30));  // 31 bytes: refused, nothing evicted
  CHECK(c.size() == 2);
  CHECK(!set(c, "c", 6, 40));  // refused, and the stale value of c is gone
  CHECK(get(c, "c") == -1);
  CHECK(c.bytes() == 20);
}

TEST_CASE("expired entries are misses and are removed") {
  Cache c(10);
  set(c, "a", 1, 0, 100, 0);
  set(c, "b", 2);
  CHECK(c.has_ttl());
  CHECK(get(c, "a", 99) == 1);
  CHECK(!c.contains(Key("a").get(), 100));
  CHECK(get(c, "a", 100) == -1);
  CHECK(c.size() == 1);
  set(c, "c", 3, 0, 50, 0);
  Released released;
  CHECK(c.purge_expired(60, released) == 1);
  CHECK(released.values.size() == 1);
  const auto stats = c.stats();
  CHECK(stats.expirations == 2);
}

TEST_CASE("every value is released: replaced, erased, evicted, cleared, destroyed") {
  auto value = std::make_shared<int>(42);
  {
    Cache c(2);
    Released released;
    c.set(Key("a").get(), value, 0, 0, 0, released);
    CHECK(value.use_count() == 2);
    c.set(Key("a").get(), value, 0, 0, 0, released);  // replace: old copy to the sink
    CHECK(released.values.size() == 1);
    released.values.clear();
    CHECK(value.use_count() == 2);
    CHECK(c.erase(Key("a").get(), 0, released) == mastra::LruErase::removed);
    CHECK(c.erase(Key("a").get(), 0, released) == mastra::LruErase::absent);
    released.values.clear();
    CHECK(value.use_count() == 1);
    c.set(Key("a").get(), value, 0, 0, 0, released);
    c.set(Key("b").get(), value, 0, 0, 0, released);
    c.set(Key("c").get(), value, 0, 0, 0, released);  // evicts a
    CHECK(released.values.size() == 1);
    released.values.clear();
    CHECK(value.use_count() == 3);
    c.clear(released);
    released.values.clear();
    CHECK(value.use_count() == 1);
    CHECK(c.size() == 0);
    CHECK(c.bytes() == 0);
    c.set(Key("d").get(), value, 0, 0, 0, released);
  }
  CHECK(value.use_count() == 1);
}

TEST_CASE("many keys grow the tables and keep exact order") {
  Cache c(1000, Cache::no_limit, 8);
  for (int i = 0; i < 5000; ++i) set(c, "key-" + std::to_string(i), i);
  CHECK(c.size() == 1000);
  const auto keys = key_list(c);
  CHECK(keys.front() == "key-4000");
  CHECK(keys.back() == "key-4999");
  CHECK(get(c, "key-3999") == -1);
  CHECK(get(c, "key-4000") == 4000);
}

TEST_CASE("colliding hashes: random sets and erases keep every live key findable") {
  // Few distinct hashes make long probe runs, so erases shift entries back across them.
  Cache c(10000, Cache::no_limit, 2);
  std::vector<int> live(600, -1);
  std::uint64_t state = 7;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  auto key = [](std::size_t i) {
    static std::vector<std::string> texts;
    if (texts.empty()) {
      for (std::size_t j = 0; j < 600; ++j) texts.push_back("k" + std::to_string(j));
    }
    return mastra::LruKey{texts[i], (i % 13) * 0x9E3779B97F4A7C15ULL, 0};
  };
  for (int step = 0; step < 20000; ++step) {
    const std::size_t i = next() % live.size();
    Released released;
    if (next() % 3 == 0) {
      c.erase(key(i), 0, released);
      live[i] = -1;
    } else {
      c.set(key(i), std::make_shared<int>(step), 0, 0, 0, released);
      live[i] = step;
    }
    if (step % 1000 == 999) {
      std::size_t count = 0;
      for (std::size_t j = 0; j < live.size(); ++j) {
        int found = -1;
        c.get(key(j), 0, [&](const Value& v) { found = *v; }, released);
        CHECK(found == live[j]);
        count += live[j] >= 0;
      }
      CHECK(c.size() == count);
    }
  }
}

TEST_CASE("threads: mixed operations keep the bounds and the books balanced") {
  Cache c(500, 20000, 8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      Released released;
      for (int i = 0; i < 20000; ++i) {
        const Key key("k" + std::to_string((i * 7 + t * 13) % 1500));
        switch (i % 4) {
          case 0:
          case 1:
            c.get(key.get(), i, [](const Value& v) { (void)*v; }, released);
            break;
          case 2:
            c.set(key.get(), std::make_shared<int>(i), static_cast<std::uint64_t>(i % 50),
                  i % 3 == 0 ? i + 100 : 0, i, released);
            break;
          default:
            c.erase(key.get(), i, released);
        }
        if (released.values.size() > 64) released.values.clear();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Released released;
  set(c, "final", 0);
  CHECK(c.size() <= 500);
  CHECK(c.bytes() <= 20000);
  std::uint64_t bytes = 0;
  std::size_t count = 0;
  c.for_each_value([&](const Value&) {
    ++count;
    return 0;
  });
  for (const auto& k : c.keys(0)) bytes += k.second.size();
  CHECK(count == c.size());
  CHECK(bytes <= c.bytes());
  c.clear(released);
  CHECK(c.size() == 0);
  CHECK(c.bytes() == 0);
}

}  // namespace

TEST_MAIN()
