/**
 * @file aligned_buffer.hpp
 * @brief A fixed-size, 64-byte aligned float buffer (internal to the core).
 */
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace mastra::detail {

class AlignedBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) { resize(count); }

  /// Makes room for `count` floats; contents are not preserved.
  void resize(std::size_t count) {
    if (count <= capacity_) return;
    data_.reset(static_cast<float*>(
        ::operator new[](count * sizeof(float), std::align_val_t{kAlignment})));
    capacity_ = count;
  }

  float* data() noexcept { return data_.get(); }
  const float* data() const noexcept { return data_.get(); }

 private:
  struct Free {
    void operator()(float* p) const noexcept {
      ::operator delete[](p, std::align_val_t{kAlignment});
    }
  };
  std::unique_ptr<float[], Free> data_;
  std::size_t capacity_ = 0;
};

}  // namespace mastra::detail
