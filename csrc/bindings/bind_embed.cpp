/**
 * @file bind_embed.cpp
 * @brief Python binding of the hashing embedder: texts in, a float32 (n, d) array out.
 */
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <string_view>
#include <vector>

#include "buffers.hpp"
#include "mastra/hashing_embedder.hpp"

namespace py = pybind11;

namespace mastra::bindings {
namespace {

constexpr std::size_t kReleaseGilBytes = 1u << 14;

py::array_t<float> embed(const HashingEmbedder& embedder, const std::vector<std::string>& texts,
                         py::ssize_t threads) {
  const std::size_t n_threads = as_threads(threads);
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::size_t total_bytes = 0;
  for (const std::string& text : texts) total_bytes += text.size();
  py::array_t<float> out({static_cast<py::ssize_t>(texts.size()),
                          static_cast<py::ssize_t>(embedder.dimension())});
  float* data = out.mutable_data();
  ParallelOptions options;
  options.threads = n_threads;
  if (total_bytes < kReleaseGilBytes) {
    options.threads = 1;
    embedder.embed_batch(views, data, options);
    return out;
  }
  options.interrupted = python_interrupt_check();
  py::gil_scoped_release release;
  embedder.embed_batch(views, data, options);
  return out;
}

}  // namespace

void bind_embed(py::module_& m) {
  py::class_<HashingEmbedder>(m, "HashingEmbedder")
      .def(py::init([](std::size_t dimension, std::size_t min_n, std::size_t max_n, bool words,
                       std::uint64_t seed) {
             return HashingEmbedder(HashingEmbedderOptions{dimension, min_n, max_n, words, seed});
           }),
           py::arg("dimension") = 384, py::arg("min_n") = 3, py::arg("max_n") = 5,
           py::arg("words") = true, py::arg("seed") = 0)
      .def("embed", &embed, py::arg("texts"), py::arg("threads") = 0,
           "Unit vectors of the texts, float32 (n, dimension).")
      .def_property_readonly("dimension", &HashingEmbedder::dimension)
      .def_property_readonly("min_n", [](const HashingEmbedder& e) { return e.options().min_n; })
      .def_property_readonly("max_n", [](const HashingEmbedder& e) { return e.options().max_n; })
      .def_property_readonly("words", [](const HashingEmbedder& e) { return e.options().words; })
      .def_property_readonly("seed", [](const HashingEmbedder& e) { return e.options().seed; });
}

}  // namespace mastra::bindings
