/**
 * @file fuzz_sse_driver.cpp
 * @brief Runs the SSE fuzz target on seeded random inputs for a few seconds, for
 *        compilers without libFuzzer. Usage: fuzz_sse_parser_random [seconds] [seed].
 */
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size);

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const unsigned seed = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 1u;
  // Bytes that matter to the grammar, weighted toward them, plus any byte.
  static const char kAlphabet[] =
      "data:eventidretry0123456789 :\r\n\r\n\n\x00\xEF\xBB\xBF\xC3\xA9\x80";
  std::mt19937_64 rng(seed);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::uint8_t> input;
  std::size_t runs = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::size_t size = rng() % 512;
    input.resize(size);
    for (auto& b : input) {
      const auto r = rng();
      b = (r & 7) == 0 ? static_cast<std::uint8_t>(r >> 8)
                       : static_cast<std::uint8_t>(kAlphabet[(r >> 8) % (sizeof(kAlphabet) - 1)]);
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ++runs;
  }
  std::printf("%zu inputs, no failure\n", runs);
  return 0;
}
