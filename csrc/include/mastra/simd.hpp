/**
 * @file simd.hpp
 * @brief Run-time selection of the instruction set used by the kernels.
 *
 * The core is compiled for the platform baseline; faster kernels live in separate
 * translation units built with their own flags and are only called after CPU
 * detection says they can run. MASTRA_SIMD=scalar|neon|avx2|avx512 caps the level.
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mastra::simd {

enum class Level { scalar = 0, neon = 1, avx2 = 2, avx512 = 3 };

/// Lower-case name of a level, as accepted by MASTRA_SIMD and set_level().
const char* level_name(Level level) noexcept;

/// Parses a level name; throws mastra::ConfigError naming the accepted values.
Level parse_level(std::string_view name);

/// Every level this CPU (and operating system) can run, lowest first.
std::vector<Level> supported_levels();

/// The level in use now: the best supported one, capped by MASTRA_SIMD.
Level active_level();

/// Switches the kernels in use (tests and benchmarks compare levels this way).
/// Throws mastra::ConfigError when the CPU cannot run `level`.
void set_level(Level level);

/// CPU features detected, space separated (for diagnostics).
std::string cpu_features();

}  // namespace mastra::simd
