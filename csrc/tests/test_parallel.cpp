/** @file test_parallel.cpp @brief parallel_for: coverage, exceptions, interruption. */
#include <atomic>
#include <chrono>
#include <thread>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "mastra/errors.hpp"
#include "mastra/parallel.hpp"

using mastra::ParallelOptions;

TEST_CASE("every task runs exactly once on any thread count") {
  for (std::size_t threads : {1u, 2u, 4u, 16u}) {
    std::vector<std::atomic<int>> seen(1000);
    ParallelOptions options;
    options.threads = threads;
    mastra::parallel_for(seen.size(), options, [&](std::size_t task, std::size_t worker) {
      CHECK(worker < threads);
      seen[task].fetch_add(1);
    });
    for (auto& s : seen) CHECK(s.load() == 1);
  }
}

TEST_CASE("the first exception is rethrown on the caller") {
  ParallelOptions options;
  options.threads = 4;
  CHECK_THROWS_AS(mastra::parallel_for(100, options,
                                       [](std::size_t task, std::size_t) {
                                         if (task == 37) throw std::runtime_error("boom");
                                       }),
                  std::runtime_error);
}

TEST_CASE("an interruption stops the remaining tasks") {
  std::atomic<int> ran{0};
  int polls = 0;
  ParallelOptions options;
  options.threads = 1;
  options.interrupted = [&] { return ++polls >= 3; };
  CHECK_THROWS_AS(mastra::parallel_for(1000, options,
                                       [&](std::size_t, std::size_t) {
                                         ++ran;
                                         std::this_thread::sleep_for(std::chrono::milliseconds(8));
                                       }),
                  mastra::Interrupted);
  CHECK(polls == 3);
  CHECK(ran.load() < 100);
}

TEST_CASE("resolve_threads never exceeds the task count") {
  CHECK(mastra::resolve_threads(8, 3) == 3);
  CHECK(mastra::resolve_threads(0, 1) == 1);
  CHECK(mastra::resolve_threads(2, 100) == 2);
  CHECK(mastra::resolve_threads(0, 1000) == mastra::available_cores() ||
        mastra::available_cores() > 1000);
}

TEST_MAIN()
