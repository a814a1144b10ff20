# One source file per instruction set, each compiled with only its own flags; the
# dispatcher (csrc/src/simd/dispatch.cpp) picks one at run time from CPU detection.

set(MASTRA_SIMD_DIR "${CMAKE_CURRENT_LIST_DIR}/../csrc/src/simd")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|x64|i[3-6]86)$")
  set(MASTRA_ARCH_X86 ON)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(MASTRA_ARCH_ARM64 ON)
endif()
# macOS universal builds report the host; trust CMAKE_OSX_ARCHITECTURES when set.
if(APPLE AND CMAKE_OSX_ARCHITECTURES)
  if(CMAKE_OSX_ARCHITECTURES STREQUAL "arm64")
    set(MASTRA_ARCH_X86 OFF)
    set(MASTRA_ARCH_ARM64 ON)
  elseif(CMAKE_OSX_ARCHITECTURES STREQUAL "x86_64")
    set(MASTRA_ARCH_X86 ON)
    set(MASTRA_ARCH_ARM64 OFF)
  endif()
endif()

function(mastra_add_simd_sources target)
  target_sources(${target} PRIVATE "${MASTRA_SIMD_DIR}/kernels_scalar.cpp")
  if(MASTRA_ARCH_X86)
    target_sources(${target} PRIVATE
      "${MASTRA_SIMD_DIR}/kernels_avx2.cpp"
      "${MASTRA_SIMD_DIR}/kernels_avx512.cpp")
    if(MSVC)
      set(_avx2 "/arch:AVX2")
      set(_avx512 "/arch:AVX512")
    else()
      set(_avx2 "-mavx2;-mfma;-mf16c")
      set(_avx512 "-mavx512f;-mavx512bw;-mavx512dq;-mavx512vl;-mavx2;-mfma;-mf16c")
    endif()
    set_source_files_properties("${MASTRA_SIMD_DIR}/kernels_avx2.cpp"
      PROPERTIES COMPILE_OPTIONS "${_avx2}")
    set_source_files_properties("${MASTRA_SIMD_DIR}/kernels_avx512.cpp"
      PROPERTIES COMPILE_OPTIONS "${_avx512}")
    target_compile_definitions(${target} PRIVATE MASTRA_HAVE_X86_KERNELS=1)
  elseif(MASTRA_ARCH_ARM64)
    # NEON is part of the AArch64 baseline: no extra flag is needed or allowed.
    target_sources(${target} PRIVATE "${MASTRA_SIMD_DIR}/kernels_neon.cpp")
    target_compile_definitions(${target} PRIVATE MASTRA_HAVE_NEON_KERNELS=1)
  endif()
endfunction()
