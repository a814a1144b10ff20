/**
 * @file errors.hpp
 * @brief Maps the core's C++ exceptions to the classes of mastra.errors.
 */
#pragma once

#include <pybind11/pybind11.h>

namespace mastra::bindings {

/// Registers the translators; call once from the module initialiser.
void register_errors(pybind11::module_& m);

/// Raises mastra.errors.VectorError(message) from binding code.
[[noreturn]] void raise_vector_error(const std::string& message);

}  // namespace mastra::bindings
