/**
 * @file bind_hnsw.cpp
 * @brief Python binding of mastra::HnswIndex (wrapped by mastra.vector.HNSWIndex).
 */
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "buffers.hpp"
#include "mastra/hnsw_index.hpp"

namespace py = pybind11;

namespace mastra::bindings {
namespace {

using KeyArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

KeyArray as_keys(py::handle keys) {
  if (py::isinstance<py::array>(keys)) {
    const auto arr = py::reinterpret_borrow<py::array>(keys);
    if (arr.dtype().kind() != 'i' && arr.dtype().kind() != 'u') {
      raise_vector_error("keys must be integers, got dtype " +
                         py::str(arr.dtype()).cast<std::string>());
    }
  }
  KeyArray out = KeyArray::ensure(keys);
  if (!out) {
    PyErr_Clear();
    raise_vector_error("keys must be an int or a sequence of ints");
  }
  if (out.ndim() > 1) raise_vector_error("keys must be one-dimensional");
  return out;
}

std::unique_ptr<HnswIndex> make_index(std::size_t dim, const std::string& metric, std::size_t m,
                                      std::size_t ef_construction, std::size_t ef_search,
                                      std::size_t capacity, const std::string& dtype,
                                      std::uint64_t seed) {
  HnswConfig c;
  c.dim = dim;
  c.metric = parse_metric(metric);
  c.m = m;
  c.ef_construction = ef_construction;
  c.ef_search = ef_search;
  c.capacity = capacity;
  c.storage = parse_storage(dtype);
  c.seed = seed;
  return std::make_unique<HnswIndex>(c);
}

void add(HnswIndex& index, py::handle keys, py::handle vectors, py::ssize_t threads) {
  const KeyArray k = as_keys(keys);
  const MatrixArg v = as_matrix(vectors, "vectors", true);
  const std::size_t n_keys = static_cast<std::size_t>(k.size());
  if (v.view.dim != index.config().dim) {
    raise_vector_error("vectors have dimension " + std::to_string(v.view.dim) +
                       " but the index has dimension " + std::to_string(index.config().dim));
  }
  if (n_keys != v.view.rows) {
    raise_vector_error(std::to_string(n_keys) + " keys for " + std::to_string(v.view.rows) +
                       " vectors: pass one key per vector");
  }
  ParallelOptions options;
  options.threads = as_threads(threads);
  options.interrupted = python_interrupt_check();
  py::gil_scoped_release release;
  index.add(k.data(), v.view.data, n_keys, options);
}

py::tuple search(const HnswIndex& index, py::handle queries, py::ssize_t k, py::ssize_t ef,
                 py::object allowed, py::object predicate, py::ssize_t threads,
                 py::object exact) {
  if (k <= 0) raise_vector_error("k must be >= 1, got " + std::to_string(k));
  if (ef < 0) raise_vector_error("ef must be >= 1 (or None for the index default)");
  const MatrixArg q = as_matrix(queries, "queries", true);
  if (q.view.dim != index.config().dim) {
    raise_vector_error("queries have dimension " + std::to_string(q.view.dim) +
                       " but the index has dimension " + std::to_string(index.config().dim));
  }
  require_finite_rows(q.view, "queries");
  SearchFilter filter;
  KeyArray allowed_keys;
  if (!allowed.is_none()) {
    allowed_keys = as_keys(allowed);
    filter.allowed = allowed_keys.data();
    filter.allowed_count = static_cast<std::size_t>(allowed_keys.size());
  } else if (!predicate.is_none()) {
    filter.predicate = [predicate](std::int64_t key) {
      py::gil_scoped_acquire gil;
      return predicate(key).cast<bool>();
    };
  }
  const auto kk = static_cast<py::ssize_t>(k);
  const auto m = static_cast<py::ssize_t>(q.view.rows);
  py::array_t<std::int64_t> keys = q.one_dimensional ? py::array_t<std::int64_t>(kk)
                                                     : py::array_t<std::int64_t>({m, kk});
  py::array_t<float> distances =
      q.one_dimensional ? py::array_t<float>(kk) : py::array_t<float>({m, kk});
  std::int64_t* keys_out = keys.mutable_data();
  float* dist_out = distances.mutable_data();
  ParallelOptions options;
  options.threads = as_threads(threads);
  SearchMode mode = SearchMode::automatic;
  if (!exact.is_none()) {
    if (!py::isinstance<py::bool_>(exact)) raise_vector_error("exact must be True, False or None");
    mode = exact.cast<bool>() ? SearchMode::exact : SearchMode::graph;
  }
  {
    py::gil_scoped_release release;
    index.search(q.view.data, q.view.rows, static_cast<std::size_t>(k),
                 static_cast<std::size_t>(ef), filter, keys_out, dist_out, options, mode);
  }
  return py::make_tuple(std::move(keys), std::move(distances));
}

py::dict stats(const HnswIndex& index) {
  HnswStats s;
  {
    py::gil_scoped_release release;  // stats walk every link
    s = index.stats();
  }
  py::dict d;
  d["size"] = s.size;
  d["slots"] = s.slots;
  d["capacity"] = s.capacity;
  d["levels"] = s.levels;
  d["edges"] = s.edges;
  d["bytes"] = s.bytes;
  d["unreachable"] = s.unreachable;
  d["nodes_per_level"] = py::cast(s.nodes_per_level);
  return d;
}

}  // namespace

void bind_hnsw(py::module_& m) {
  py::class_<HnswIndex>(m, "HNSWIndex")
      .def(py::init(&make_index), py::arg("dim"), py::arg("metric"), py::arg("m"),
           py::arg("ef_construction"), py::arg("ef_search"), py::arg("capacity"),
           py::arg("dtype"), py::arg("seed"))
      .def("add", &add, py::arg("keys"), py::arg("vectors"), py::arg("threads"))
      .def("search", &search, py::arg("queries"), py::arg("k"), py::arg("ef"),
           py::arg("allowed"), py::arg("predicate"), py::arg("threads"), py::arg("exact"))
      .def("remove",
           [](HnswIndex& index, py::handle keys) {
             const KeyArray k = as_keys(keys);
             return index.remove(k.data(), static_cast<std::size_t>(k.size()));
           })
      .def("__len__", &HnswIndex::size)
      .def("contains", &HnswIndex::contains)
      .def("get",
           [](const HnswIndex& index, std::int64_t key) -> py::object {
             py::array_t<float> out(static_cast<py::ssize_t>(index.config().dim));
             if (!index.get(key, out.mutable_data())) return py::none();
             return std::move(out);
           })
      .def("keys",
           [](const HnswIndex& index) {
             const std::vector<std::int64_t> keys = index.keys();
             py::array_t<std::int64_t> out(static_cast<py::ssize_t>(keys.size()));
             std::copy(keys.begin(), keys.end(), out.mutable_data());
             return out;
           })
      .def("stats", &stats)
      .def("save", &HnswIndex::save, py::call_guard<py::gil_scoped_release>())
      .def_static("load", &HnswIndex::load, py::call_guard<py::gil_scoped_release>())
      .def_static("view", &HnswIndex::view, py::call_guard<py::gil_scoped_release>())
      .def("to_bytes",
           [](const HnswIndex& index) {
             std::vector<char> bytes;
             {
               py::gil_scoped_release release;
               bytes = index.to_bytes();
             }
             return py::bytes(bytes.data(), bytes.size());
           })
      .def_static("from_bytes",
                  [](const py::bytes& data) {
                    const std::string_view view = data;
                    py::gil_scoped_release release;
                    return HnswIndex::from_bytes(view.data(), view.size());
                  })
      .def("clone", &HnswIndex::clone, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("dim", [](const HnswIndex& i) { return i.config().dim; })
      .def_property_readonly("metric", [](const HnswIndex& i) { return metric_name(i.config().metric); })
      .def_property_readonly("dtype", [](const HnswIndex& i) { return storage_name(i.config().storage); })
      .def_property_readonly("m", [](const HnswIndex& i) { return i.config().m; })
      .def_property_readonly("ef_construction",
                             [](const HnswIndex& i) { return i.config().ef_construction; })
      .def_property("ef_search", [](const HnswIndex& i) { return i.config().ef_search; },
                    &HnswIndex::set_ef_search)
      .def_property_readonly("seed", [](const HnswIndex& i) { return i.config().seed; })
      .def_property_readonly("read_only", &HnswIndex::read_only);
}

}  // namespace mastra::bindings
