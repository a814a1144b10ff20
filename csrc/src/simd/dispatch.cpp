/**
 * @file dispatch.cpp
 * @brief CPU feature detection and the choice of kernel table.
 *
 * Detection reads CPUID and XGETBV directly (x86) so that both the instruction set
 * and the operating system's saving of the wider registers are checked. The choice
 * is made once, on first use, and can be switched later by set_level().
 */
#include <atomic>
#include <cstdlib>
#include <string>

#include "kernels.hpp"
#include "mastra/errors.hpp"
#include "mastra/simd.hpp"

#if defined(MASTRA_HAVE_X86_KERNELS)
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace mastra::simd {
namespace {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool os_ymm = false;  // the OS saves YMM state
  bool os_zmm = false;  // the OS saves ZMM and opmask state
  bool neon = false;
};

#if defined(MASTRA_HAVE_X86_KERNELS)
void cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
#if defined(_MSC_VER)
  int r[4];
  __cpuidex(r, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) regs[i] = static_cast<unsigned>(r[i]);
#else
  __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#endif
}

unsigned long long read_xcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned r[4] = {0, 0, 0, 0};
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  if (max_leaf < 1) return f;
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1u;
  f.fma = (r[2] >> 12) & 1u;
  f.f16c = (r[2] >> 29) & 1u;
  if (osxsave) {
    const unsigned long long xcr0 = read_xcr0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;
    f.os_zmm = (xcr0 & 0xE6) == 0xE6;
  }
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    f.avx2 = (r[1] >> 5) & 1u;
    f.avx512f = (r[1] >> 16) & 1u;
    f.avx512dq = (r[1] >> 17) & 1u;
    f.avx512bw = (r[1] >> 30) & 1u;
    f.avx512vl = (r[1] >> 31) & 1u;
  }
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
#if defined(MASTRA_HAVE_NEON_KERNELS)
  f.neon = true;
#endif
  return f;
}
#endif

const CpuFeatures& features() {
  static const CpuFeatures f = detect();
  return f;
}

bool runs(Level level) {
  const CpuFeatures& f = features();
  switch (level) {
    case Level::scalar:
      return true;
    case Level::neon:
      return f.neon;
    case Level::avx2:
      return f.os_ymm && f.avx2 && f.fma && f.f16c;
    case Level::avx512:
      return f.os_zmm && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx2 &&
             f.fma && f.f16c;
  }
  return false;
}

const KernelTable& table_for(Level level) {
  switch (level) {
#if defined(MASTRA_HAVE_X86_KERNELS)
    case Level::avx2:
      return avx2_kernels();
    case Level::avx512:
      return avx512_kernels();
#endif
#if defined(MASTRA_HAVE_NEON_KERNELS)
    case Level::neon:
      return neon_kernels();
#endif
    default:
      return scalar_kernels();
  }
}

Level initial_level() {
  Level cap = Level::avx512;
  if (const char* env = std::getenv("MASTRA_SIMD"); env != nullptr && *env != '\0') {
    cap = parse_level(env);
  }
  Level best = Level::scalar;
  for (Level level : supported_levels()) {
    if (static_cast<int>(level) <= static_cast<int>(cap)) best = level;
  }
  return best;
}

std::atomic<const KernelTable*> g_active{nullptr};
std::atomic<int> g_active_level{-1};

void ensure_initialised() {
  if (g_active.load(std::memory_order_acquire) != nullptr) return;
  static const bool once = [] {
    const Level level = initial_level();
    g_active_level.store(static_cast<int>(level), std::memory_order_relaxed);
    g_active.store(&table_for(level), std::memory_order_release);
    return true;
  }();
  (void)once;
}

}  // namespace

const char* level_name(Level level) noexcept {
  switch (level) {
    case Level::scalar:
      return "scalar";
    case Level::neon:
      return "neon";
    case Level::avx2:
      return "avx2";
    case Level::avx512:
      return "avx512";
  }
  return "unknown";
}

Level parse_level(std::string_view name) {
  for (Level level : {Level::scalar, Level::neon, Level::avx2, Level::avx512}) {
    if (name == level_name(level)) return level;
  }
  throw ConfigError("unknown SIMD level '" + std::string(name) +
                    "': use one of scalar, neon, avx2, avx512 (MASTRA_SIMD caps the level)");
}

std::vector<Level> supported_levels() {
  std::vector<Level> levels;
  for (Level level : {Level::scalar, Level::neon, Level::avx2, Level::avx512}) {
    if (runs(level)) levels.push_back(level);
  }
  return levels;
}

Level active_level() {
  ensure_initialised();
  return static_cast<Level>(g_active_level.load(std::memory_order_acquire));
}

void set_level(Level level) {
  if (!runs(level)) {
    throw ConfigError(std::string("this CPU cannot run the ") + level_name(level) +
                      " kernels; supported levels: " + [] {
                        std::string names;
                        for (Level l : supported_levels()) {
                          names += names.empty() ? "" : ", ";
                          names += level_name(l);
                        }
                        return names;
                      }());
  }
  ensure_initialised();
  g_active_level.store(static_cast<int>(level), std::memory_order_release);
  g_active.store(&table_for(level), std::memory_order_release);
}

const KernelTable& active_kernels() {
  ensure_initialised();
  return *g_active.load(std::memory_order_acquire);
}

std::string cpu_features() {
  const CpuFeatures& f = features();
  std::string out;
  const auto add = [&out](bool present, const char* name) {
    if (!present) return;
    out += out.empty() ? "" : " ";
    out += name;
  };
  add(f.avx2 && f.os_ymm, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx512f && f.os_zmm, "avx512f");
  add(f.avx512bw && f.os_zmm, "avx512bw");
  add(f.avx512dq && f.os_zmm, "avx512dq");
  add(f.avx512vl && f.os_zmm, "avx512vl");
  add(f.neon, "neon");
  return out;
}

}  // namespace mastra::simd
