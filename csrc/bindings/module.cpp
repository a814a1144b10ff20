/**
 * @file module.cpp
 * @brief mastra._core: version, capabilities, then one bind_* call per component.
 */
#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "mastra/parallel.hpp"
#include "mastra/simd.hpp"

namespace py = pybind11;

namespace mastra::bindings {
void bind_distance(py::module_& m);
void bind_embed(py::module_& m);
void bind_hnsw(py::module_& m);
void bind_sse(py::module_& m);
}  // namespace mastra::bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "mastra's compiled core. Import the public API from mastra, not from here.";
  m.attr("__version__") = MASTRA_VERSION;
  mastra::bindings::register_errors(m);

  m.def(
      "capabilities",
      [] {
        py::dict caps;
        caps["version"] = MASTRA_VERSION;
        caps["simd"] = mastra::simd::level_name(mastra::simd::active_level());
        caps["cpu_features"] = mastra::simd::cpu_features();
        caps["cores"] = mastra::available_cores();
        return caps;
      },
      "What this build and CPU provide.");

  mastra::bindings::bind_distance(m);
  mastra::bindings::bind_embed(m);
  mastra::bindings::bind_hnsw(m);
  mastra::bindings::bind_sse(m);
}
