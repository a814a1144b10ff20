/**
 * @file sse_line_scan.hpp
 * @brief One pass over a line of an event stream: where it ends (the first CR or LF) and
 *        whether its bytes are all ASCII.
 *
 * Knowing a value is ASCII lets the binding copy it into a str without running a UTF-8
 * decoder, and finding the terminator in the same pass replaces two memchr calls per line.
 * SSE2 (x86-64's baseline) and NEON (AArch64's baseline) compare 16 bytes at a time, so
 * no run-time dispatch is needed; other targets use the portable loop, which is also the
 * reference the vector paths are tested against.
 */
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define MASTRA_LINE_SCAN_SSE2 1
#elif defined(__aarch64__) && defined(__ARM_NEON) && defined(__GNUC__)
#include <arm_neon.h>
#define MASTRA_LINE_SCAN_NEON 1
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

namespace mastra::detail {

/// Where a line scan stopped and what it saw on the way.
struct LineScan {
  std::size_t end;  ///< index of the first CR or LF at or after the start, or the size
  bool ascii;       ///< no byte in [start, end) has its high bit set
};

/// The portable scan, one byte at a time.
inline LineScan scan_line_portable(const char* data, std::size_t from, std::size_t size) {
  unsigned char high = 0;
  for (std::size_t i = from; i < size; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c == '\n' || c == '\r') return {i, (high & 0x80U) == 0};
    high |= c;
  }
  return {size, (high & 0x80U) == 0};
}

inline unsigned lowest_set_bit(std::uint32_t mask) {
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long index = 0;
  _BitScanForward(&index, mask);
  return static_cast<unsigned>(index);
#else
  return static_cast<unsigned>(__builtin_ctz(mask));
#endif
}

#if defined(MASTRA_LINE_SCAN_SSE2)

/// SSE2: 64 bytes a step while no terminator is near (one movemask per step, high bits
/// OR-ed into an accumulator), then 16 bytes a step to place the terminator exactly.
inline LineScan scan_line(const char* data, std::size_t from, std::size_t size) {
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const auto is_end = [&](__m128i block) {
    return _mm_or_si128(_mm_cmpeq_epi8(block, lf), _mm_cmpeq_epi8(block, cr));
  };
  const auto load = [&](std::size_t at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
  };
  __m128i high = _mm_setzero_si128();
  std::size_t i = from;
  for (; i + 64 <= size; i += 64) {
    const __m128i a = load(i), b = load(i + 16), c = load(i + 32), d = load(i + 48);
    const __m128i ends = _mm_or_si128(_mm_or_si128(is_end(a), is_end(b)),
                                      _mm_or_si128(is_end(c), is_end(d)));
    if (_mm_movemask_epi8(ends) != 0) break;
    high = _mm_or_si128(high, _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d)));
  }
  std::uint32_t high_bits = static_cast<std::uint32_t>(_mm_movemask_epi8(high));
  for (; i + 16 <= size; i += 16) {
    const __m128i block = load(i);
    const auto ends = static_cast<std::uint32_t>(_mm_movemask_epi8(is_end(block)));
    const auto block_high = static_cast<std::uint32_t>(_mm_movemask_epi8(block));
    if (ends != 0) {
      const unsigned at = lowest_set_bit(ends);
      high_bits |= block_high & ((1U << at) - 1U);
      return {i + at, high_bits == 0};
    }
    high_bits |= block_high;
  }
  const LineScan tail = scan_line_portable(data, i, size);
  return {tail.end, high_bits == 0 && tail.ascii};
}

#elif defined(MASTRA_LINE_SCAN_NEON)

/// NEON: 16 bytes a step; a narrowing shift packs the byte mask into 4 bits per byte.
inline LineScan scan_line(const char* data, std::size_t from, std::size_t size) {
  const uint8x16_t lf = vdupq_n_u8('\n');
  const uint8x16_t cr = vdupq_n_u8('\r');
  std::uint8_t high = 0;
  std::size_t i = from;
  for (; i + 16 <= size; i += 16) {
    const uint8x16_t block = vld1q_u8(reinterpret_cast<const std::uint8_t*>(data + i));
    const uint8x16_t ends = vorrq_u8(vceqq_u8(block, lf), vceqq_u8(block, cr));
    const std::uint64_t nibbles =
        vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(ends), 4)), 0);
    if (nibbles != 0) {
      const unsigned at = static_cast<unsigned>(__builtin_ctzll(nibbles)) / 4;
      const LineScan head = scan_line_portable(data, i, i + at);
      return {i + at, (high & 0x80U) == 0 && head.ascii};
    }
    high |= vmaxvq_u8(block);
  }
  const LineScan tail = scan_line_portable(data, i, size);
  return {tail.end, (high & 0x80U) == 0 && tail.ascii};
}

#else

inline LineScan scan_line(const char* data, std::size_t from, std::size_t size) {
  return scan_line_portable(data, from, size);
}

#endif

}  // namespace mastra::detail
