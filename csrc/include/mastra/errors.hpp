/**
 * @file errors.hpp
 * @brief The exceptions the core throws. The bindings map each to a class of
 *        mastra.errors, so every message here is written for the library's user.
 */
#pragma once

#include <stdexcept>
#include <string>

namespace mastra {

/// Base of every error the core raises on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad configuration: an unknown option value, an unsupported SIMD level.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Bad vector input or a vector operation that cannot be done (shape, NaN, k <= 0).
class VectorError : public Error {
 public:
  using Error::Error;
};

/// A long computation stopped because the caller asked it to (Ctrl-C in Python).
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
};

}  // namespace mastra
