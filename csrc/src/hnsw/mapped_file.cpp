/**
 * @file mapped_file.cpp
 * @brief MappedFile for POSIX and Windows.
 */
#include "mapped_file.hpp"

#include "mastra/errors.hpp"

#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace mastra::hnsw {

#if defined(_WIN32)

MappedFile::MappedFile(const std::string& path) {
  file_ = CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                      FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file_ == INVALID_HANDLE_VALUE) {
    file_ = nullptr;
    throw VectorError("cannot open index file '" + path + "': check the path");
  }
  LARGE_INTEGER size;
  GetFileSizeEx(file_, &size);
  size_ = static_cast<std::size_t>(size.QuadPart);
  if (size_ == 0) {
    CloseHandle(file_);
    throw VectorError("index file '" + path + "' is empty");
  }
  mapping_ = CreateFileMappingA(file_, nullptr, PAGE_READONLY, 0, 0, nullptr);
  if (mapping_ != nullptr) {
    data_ = static_cast<const char*>(MapViewOfFile(mapping_, FILE_MAP_READ, 0, 0, 0));
  }
  if (data_ == nullptr) {
    if (mapping_ != nullptr) CloseHandle(mapping_);
    CloseHandle(file_);
    throw VectorError("cannot memory-map index file '" + path + "'");
  }
}

MappedFile::~MappedFile() {
  UnmapViewOfFile(data_);
  CloseHandle(mapping_);
  CloseHandle(file_);
}

#else

MappedFile::MappedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw VectorError("cannot open index file '" + path + "': check the path");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    throw VectorError("index file '" + path + "' is empty or unreadable");
  }
  size_ = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) throw VectorError("cannot memory-map index file '" + path + "'");
  data_ = static_cast<const char*>(p);
}

MappedFile::~MappedFile() { ::munmap(const_cast<char*>(data_), size_); }

#endif

}  // namespace mastra::hnsw
