/**
 * @file errors.cpp
 * @brief C++ exceptions -> mastra.errors classes, in one place.
 */
#include "errors.hpp"

#include "mastra/errors.hpp"

namespace py = pybind11;

namespace mastra::bindings {
namespace {

// Owned references to the Python classes, kept for the life of the interpreter.
PyObject* g_vector_error = nullptr;
PyObject* g_config_error = nullptr;
PyObject* g_mastra_error = nullptr;

PyObject* load_class(const py::module_& errors, const char* name) {
  py::object cls = errors.attr(name);
  return cls.release().ptr();
}

}  // namespace

void register_errors(py::module_& /*m*/) {
  const py::module_ errors = py::module_::import("mastra.errors");
  g_vector_error = load_class(errors, "VectorError");
  g_config_error = load_class(errors, "ConfigError");
  g_mastra_error = load_class(errors, "MastraError");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const mastra::Interrupted&) {
      // The signal handler's exception (KeyboardInterrupt) is already set.
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const mastra::VectorError& e) {
      PyErr_SetString(g_vector_error, e.what());
    } catch (const mastra::ConfigError& e) {
      PyErr_SetString(g_config_error, e.what());
    } catch (const mastra::Error& e) {
      PyErr_SetString(g_mastra_error, e.what());
    }
  });
}

void raise_vector_error(const std::string& message) {
  PyErr_SetString(g_vector_error, message.c_str());
  throw py::error_already_set();
}

}  // namespace mastra::bindings
