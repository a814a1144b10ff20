/**
 * @file check.hpp
 * @brief A minimal test harness: CHECK macros, a registry, and a main() that
 *        prints "N passed, N failed" and exits non-zero on failure.
 */
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace mastra::testing {

struct TestCase {
  const char* name;
  std::function<void()> body;
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

inline int& failures_in_current_test() {
  static int count = 0;
  return count;
}

struct Register {
  Register(const char* name, std::function<void()> body) {
    registry().push_back({name, std::move(body)});
  }
};

inline int run_all() {
  int passed = 0;
  int failed = 0;
  for (const TestCase& test : registry()) {
    failures_in_current_test() = 0;
    try {
      test.body();
    } catch (const std::exception& e) {
      std::printf("  %s: unexpected exception: %s\n", test.name, e.what());
      ++failures_in_current_test();
    }
    if (failures_in_current_test() == 0) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAILED %s\n", test.name);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace mastra::testing

#define MASTRA_CONCAT_(a, b) a##b
#define MASTRA_CONCAT(a, b) MASTRA_CONCAT_(a, b)
#define TEST_CASE(name)                                                               \
  static void MASTRA_CONCAT(test_fn_, __LINE__)();                                    \
  static const ::mastra::testing::Register MASTRA_CONCAT(test_reg_, __LINE__)(name,   \
      MASTRA_CONCAT(test_fn_, __LINE__));                                             \
  static void MASTRA_CONCAT(test_fn_, __LINE__)()

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);          \
      ++::mastra::testing::failures_in_current_test();                                \
    }                                                                                 \
  } while (0)

#define CHECK_THROWS_AS(expr, type)                                                   \
  do {                                                                                \
    bool caught_ = false;                                                             \
    try {                                                                             \
      (void)(expr);                                                                   \
    } catch (const type&) {                                                           \
      caught_ = true;                                                                 \
    }                                                                                 \
    if (!caught_) {                                                                   \
      std::printf("  %s:%d: %s did not throw %s\n", __FILE__, __LINE__, #expr, #type); \
      ++::mastra::testing::failures_in_current_test();                                \
    }                                                                                 \
  } while (0)

#define TEST_MAIN() \
  int main() { return ::mastra::testing::run_all(); }
