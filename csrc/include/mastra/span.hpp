/**
 * @file span.hpp
 * @brief Non-owning views of contiguous float data: a row-major matrix view.
 */
#pragma once

#include <cstddef>

namespace mastra {

/// A read-only, row-major, C-contiguous matrix of float32 owned by someone else.
struct MatrixView {
  const float* data = nullptr;
  std::size_t rows = 0;
  std::size_t dim = 0;

  const float* row(std::size_t i) const noexcept { return data + i * dim; }
  std::size_t size() const noexcept { return rows * dim; }
};

}  // namespace mastra
