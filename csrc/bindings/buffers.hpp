/**
 * @file buffers.hpp
 * @brief NumPy arrays <-> core views, shared by every binder.
 *
 * float32 C-contiguous arrays are viewed in place; other float arrays and Python
 * sequences are converted once; anything else raises VectorError naming the
 * argument and the fix.
 */
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <string>

#include "errors.hpp"
#include "mastra/parallel.hpp"
#include "mastra/span.hpp"

namespace mastra::bindings {

namespace py = pybind11;

/// A float32 matrix taken from a Python argument; `owner` keeps the memory alive.
struct MatrixArg {
  py::array owner;
  MatrixView view;
  bool one_dimensional = false;
};

inline bool is_float_kind(const py::dtype& dtype) { return dtype.kind() == 'f'; }

inline py::array to_float32_array(py::handle obj, const char* name) {
  if (py::isinstance<py::array>(obj)) {
    const auto arr = py::reinterpret_borrow<py::array>(obj);
    if (arr.dtype().num() == py::dtype::of<float>().num() &&
        (arr.flags() & py::array::c_style) != 0) {
      return arr;  // read in place, no copy
    }
    if (!is_float_kind(arr.dtype())) {
      raise_vector_error(std::string(name) + " has dtype " + py::str(arr.dtype()).cast<std::string>() +
                         ": pass a float array, e.g. " + name + ".astype(numpy.float32)");
    }
    return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(obj);
  }
  // A list or other sequence: let NumPy build it, then insist on numbers.
  py::array converted;
  try {
    converted = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(obj);
  } catch (const py::error_already_set&) {
    converted = py::array();
  }
  if (!converted) {
    PyErr_Clear();
    raise_vector_error(std::string(name) + " must be a float array or a sequence of numbers, not " +
                       py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  }
  return converted;
}

/// Takes `obj` as a (rows, dim) float32 matrix; a 1-D vector is one row when
/// `allow_vector` is set.
inline MatrixArg as_matrix(py::handle obj, const char* name, bool allow_vector) {
  MatrixArg arg;
  arg.owner = to_float32_array(obj, name);
  const py::ssize_t ndim = arg.owner.ndim();
  if (ndim == 1 && allow_vector) {
    arg.one_dimensional = true;
    arg.view = MatrixView{static_cast<const float*>(arg.owner.data()), 1,
                          static_cast<std::size_t>(arg.owner.shape(0))};
  } else if (ndim == 2) {
    arg.view = MatrixView{static_cast<const float*>(arg.owner.data()),
                          static_cast<std::size_t>(arg.owner.shape(0)),
                          static_cast<std::size_t>(arg.owner.shape(1))};
  } else {
    raise_vector_error(std::string(name) + " must be " +
                       (allow_vector ? "a vector (d,) or a matrix (n, d)" : "a matrix (n, d)") +
                       ", got " + std::to_string(ndim) + " dimension(s)" +
                       (allow_vector ? "" : "; wrap a single vector as vector[None, :]"));
  }
  return arg;
}

/// Raises VectorError naming the first non-finite value of `m`.
inline void require_finite_rows(const MatrixView& m, const char* name) {
  const float* p = m.data;
  const std::size_t n = m.size();
  bool finite = true;  // a pass without an early exit, which the compiler vectorises
  for (std::size_t i = 0; i < n; ++i) finite &= std::isfinite(p[i]);
  if (finite) return;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) {
      raise_vector_error(std::string(name) + " row " + std::to_string(i / m.dim) + " holds " +
                         (std::isnan(p[i]) ? "NaN" : "infinity") + " at index " +
                         std::to_string(i % m.dim) + ": remove or replace non-finite values");
    }
  }
}

/// Validates a `threads=` argument (0 = all cores).
inline std::size_t as_threads(py::ssize_t threads) {
  if (threads < 0) raise_vector_error("threads must be >= 0 (0 uses every core)");
  return static_cast<std::size_t>(threads);
}

/// Polls for Ctrl-C from a worker-free moment on the calling thread.
inline InterruptCheck python_interrupt_check() {
  return [] {
    py::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
  };
}

/// Work below this many multiply-adds keeps the GIL: releasing it costs more.
constexpr std::size_t kReleaseGilWork = 1u << 16;

}  // namespace mastra::bindings
