/**
 * @file bind_distance.cpp
 * @brief Python bindings of the distance kernels and the SIMD level controls.
 */
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "buffers.hpp"
#include "mastra/distance.hpp"
#include "mastra/simd.hpp"

namespace py = pybind11;

namespace mastra::bindings {
namespace {

/// Runs `work` with the GIL released (and Ctrl-C polled) when it is big enough.
template <typename Work>
void run_released(std::size_t multiply_adds, std::size_t threads, Work&& work) {
  ParallelOptions options;
  options.threads = threads;
  if (multiply_adds < kReleaseGilWork) {
    work(options);
    return;
  }
  options.interrupted = python_interrupt_check();
  py::gil_scoped_release release;
  work(options);
}

py::array pairwise(Metric metric, py::handle a, py::handle b, py::ssize_t threads) {
  const MatrixArg lhs = as_matrix(a, "a", true);
  const MatrixArg rhs = as_matrix(b, "b", false);
  const std::size_t n_threads = as_threads(threads);
  py::array_t<float> out = lhs.one_dimensional
                               ? py::array_t<float>(static_cast<py::ssize_t>(rhs.view.rows))
                               : py::array_t<float>({static_cast<py::ssize_t>(lhs.view.rows),
                                                     static_cast<py::ssize_t>(rhs.view.rows)});
  float* out_data = out.mutable_data();
  run_released(lhs.view.size() * rhs.view.rows, n_threads, [&](const ParallelOptions& options) {
    mastra::pairwise(metric, lhs.view, rhs.view, out_data, options);
  });
  return std::move(out);
}

using RowArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

py::tuple exact_search(py::handle queries, py::handle vectors, py::ssize_t k,
                       const std::string& metric, py::ssize_t threads, py::handle rows) {
  const Metric parsed = parse_metric(metric);
  if (k <= 0) raise_vector_error("k must be >= 1, got " + std::to_string(k));
  const MatrixArg q = as_matrix(queries, "queries", true);
  const MatrixArg v = as_matrix(vectors, "vectors", false);
  const std::size_t n_threads = as_threads(threads);
  const auto kk = static_cast<py::ssize_t>(k);
  const auto m = static_cast<py::ssize_t>(q.view.rows);
  py::array_t<std::int64_t> keys = q.one_dimensional ? py::array_t<std::int64_t>(kk)
                                                     : py::array_t<std::int64_t>({m, kk});
  py::array_t<float> distances =
      q.one_dimensional ? py::array_t<float>(kk) : py::array_t<float>({m, kk});
  std::int64_t* keys_data = keys.mutable_data();
  float* distances_data = distances.mutable_data();
  if (rows.is_none()) {
    run_released(q.view.size() * v.view.rows, n_threads, [&](const ParallelOptions& options) {
      mastra::exact_search(parsed, q.view, v.view, static_cast<std::size_t>(k), keys_data,
                           distances_data, options);
    });
  } else {
    const py::array given = py::array::ensure(rows);
    const bool integers = given && (given.dtype().kind() == 'i' || given.dtype().kind() == 'u');
    if (!given || given.ndim() != 1 || (given.size() > 0 && !integers)) {
      raise_vector_error("rows must be a 1-d sequence of integer row numbers");
    }
    const RowArray listed = RowArray::ensure(given);
    const auto n_rows = static_cast<std::size_t>(listed.size());
    run_released(q.view.size() * n_rows, n_threads, [&](const ParallelOptions& options) {
      mastra::exact_search_rows(parsed, q.view, v.view, listed.data(), n_rows,
                                static_cast<std::size_t>(k), keys_data, distances_data, options);
    });
  }
  return py::make_tuple(std::move(keys), std::move(distances));
}

double sum(py::handle data, py::ssize_t threads) {
  const py::array arr = to_float32_array(data, "data");
  const auto* ptr = static_cast<const float*>(arr.data());
  const auto n = static_cast<std::size_t>(arr.size());
  const std::size_t n_threads = as_threads(threads);
  double total = 0.0;
  run_released(n, n_threads, [&](const ParallelOptions& options) {
    total = mastra::sum(ptr, n, options);
  });
  return total;
}

std::vector<std::string> supported_backends() {
  std::vector<std::string> names;
  for (simd::Level level : simd::supported_levels()) names.emplace_back(simd::level_name(level));
  return names;
}

}  // namespace

void bind_distance(py::module_& m) {
  m.def(
      "cosine_similarity",
      [](py::handle a, py::handle b, py::ssize_t threads) {
        return pairwise(Metric::cosine, a, b, threads);
      },
      py::arg("a"), py::arg("b"), py::arg("threads") = 0);
  m.def(
      "inner_product",
      [](py::handle a, py::handle b, py::ssize_t threads) {
        return pairwise(Metric::inner_product, a, b, threads);
      },
      py::arg("a"), py::arg("b"), py::arg("threads") = 0);
  m.def(
      "l2_squared",
      [](py::handle a, py::handle b, py::ssize_t threads) {
        return pairwise(Metric::l2, a, b, threads);
      },
      py::arg("a"), py::arg("b"), py::arg("threads") = 0);
  m.def("exact_search", &exact_search, py::arg("queries"), py::arg("vectors"),
        py::arg("k") = 10, py::arg("metric") = "cosine", py::arg("threads") = 0,
        py::arg("rows") = py::none());
  m.def("sum", &sum, py::arg("data"), py::arg("threads") = 0,
        "Sum of a float array read at memory bandwidth (a probe for benchmarks).");

  m.def("simd_backend", [] { return std::string(simd::level_name(simd::active_level())); },
        "The SIMD level the kernels use now.");
  m.def("simd_backends", &supported_backends, "SIMD levels this CPU can run, lowest first.");
  m.def(
      "set_simd_backend",
      [](const std::string& name) {
        const std::string previous = simd::level_name(simd::active_level());
        simd::set_level(simd::parse_level(name));
        return previous;
      },
      py::arg("name"), "Switches the SIMD level; returns the previous one.");
  m.def("cpu_features", &simd::cpu_features, "CPU features detected, space separated.");
}

}  // namespace mastra::bindings
