/**
 * @file mapped_file.hpp
 * @brief A read-only memory map of a whole file (POSIX mmap / Windows file mapping).
 */
#pragma once

#include <cstddef>
#include <string>

namespace mastra::hnsw {

class MappedFile {
 public:
  /// Maps `path`; throws VectorError when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
#if defined(_WIN32)
  void* file_ = nullptr;
  void* mapping_ = nullptr;
#endif
};

}  // namespace mastra::hnsw
