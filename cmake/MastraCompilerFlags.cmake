# Warnings, optimisation and sanitizers shared by every mastra target.

function(mastra_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  endif()
endfunction()

function(mastra_set_optimisation target)
  if(MSVC)
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:/O2>)
  else()
    # -O3 without any -march: the wheel must run on every CPU of its platform; faster
    # instruction sets are reached through the run-time dispatch in csrc/src/simd/.
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-O3>)
  endif()
endfunction()

if(MASTRA_SANITIZE)
  if(MSVC)
    message(FATAL_ERROR "MASTRA_SANITIZE needs GCC or Clang")
  endif()
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

if(MASTRA_SANITIZE_THREAD)
  if(MSVC OR MASTRA_SANITIZE)
    message(FATAL_ERROR "MASTRA_SANITIZE_THREAD needs GCC or Clang, and not MASTRA_SANITIZE")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=thread)
endif()
