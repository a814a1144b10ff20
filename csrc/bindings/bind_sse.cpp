/**
 * @file bind_sse.cpp
 * @brief Python bindings of the SSE parser and encoder (SSEEvent is in sse_event.cpp).
 */
#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "mastra/sse_parser.hpp"
#include "sse_event.hpp"

namespace py = pybind11;

namespace mastra::bindings {
namespace {

// Chunks at least this large are parsed with the GIL released.
constexpr std::size_t kReleaseGilBytes = 64 * 1024;

PyObject* g_stream_error = nullptr;  // mastra.errors.StreamError

[[noreturn]] void raise_stream_error(const char* message) {
  PyErr_SetString(g_stream_error, message);
  throw py::error_already_set();
}

/// The Python-facing parser: the core parser plus caches of the str objects that repeat
/// from event to event (event types, the id).
class PyParser {
 public:
  explicit PyParser(std::optional<std::size_t> max_event_size)
      : core_(max_event_size.value_or(0)) {}

  py::list feed(py::handle chunk) {
    ensure_idle();
    Py_buffer view;
    if (PyObject_GetBuffer(chunk.ptr(), &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
    const auto* bytes = static_cast<const char*>(view.buf);
    const auto size = static_cast<std::size_t>(view.len);
    const std::vector<SseEvent>* events = nullptr;
    busy_ = true;
    try {
      if (size >= kReleaseGilBytes) {
        py::gil_scoped_release release;
        events = &core_.feed(bytes, size);
      } else {
        events = &core_.feed(bytes, size);
      }
    } catch (...) {
      busy_ = false;
      PyBuffer_Release(&view);
      throw;
    }
    busy_ = false;
    PyObject* list = convert(*events);
    PyBuffer_Release(&view);
    if (list == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::list>(list);
  }

  void close() {
    ensure_idle();
    core_.close();
  }

  py::str last_event_id() const {
    ensure_idle();
    return decode(core_.last_event_id());
  }

  py::object retry() const {
    ensure_idle();
    const auto digits = core_.retry();
    if (!digits) return py::none();
    return py::reinterpret_steal<py::object>(to_int(*digits));
  }

  bool closed() const { return core_.closed(); }

  py::object max_event_size() const {
    if (core_.max_event_size() == 0) return py::none();
    return py::int_(core_.max_event_size());
  }

 private:
  // A feed() of a large chunk runs without the GIL: no other call may touch the parser.
  void ensure_idle() const {
    if (busy_) {
      raise_stream_error("the SSEParser is being fed by another thread; use one parser per "
                         "stream and call it from one thread at a time");
    }
  }

  static py::str decode(std::string_view bytes) {
    PyObject* s = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()),
                                       "replace");
    if (s == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(s);
  }

  // A new str for an event's data: a plain copy when the parser saw only ASCII bytes
  // (the str's one-byte storage is then the bytes themselves), else UTF-8 decoding with
  // U+FFFD for invalid sequences.
  static PyObject* data_str(const SseEvent& e) {
    const auto size = static_cast<Py_ssize_t>(e.data.size());
    if (!e.data_ascii) return PyUnicode_DecodeUTF8(e.data.data(), size, "replace");
    PyObject* s = PyUnicode_New(size, 127);
    if (s != nullptr && size > 0) std::memcpy(PyUnicode_1BYTE_DATA(s), e.data.data(), e.data.size());
    return s;
  }

  static PyObject* to_int(std::string_view digits) {
    const std::string text(digits);
    PyObject* value = PyLong_FromString(text.c_str(), nullptr, 10);
    if (value == nullptr) {
      PyErr_Clear();
      PyErr_Format(g_stream_error, "an SSE retry field has %zd digits, more than an int holds",
                   static_cast<Py_ssize_t>(digits.size()));
    }
    return value;
  }

  // New reference to the str for an event type, from a small cache.
  PyObject* event_str(std::string_view bytes) {
    for (auto& entry : event_cache_) {
      if (entry.second && entry.first == bytes) return Py_NewRef(entry.second.ptr());
    }
    PyObject* s = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()),
                                       "replace");
    if (s == nullptr) return nullptr;
    auto& slot = event_cache_[event_cache_next_];
    event_cache_next_ = (event_cache_next_ + 1) % event_cache_.size();
    slot.first.assign(bytes);
    slot.second = py::reinterpret_borrow<py::object>(s);
    return s;
  }

  PyObject* id_str(std::string_view bytes) {
    if (id_cache_.second && id_cache_.first == bytes) return Py_NewRef(id_cache_.second.ptr());
    PyObject* s = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()),
                                       "replace");
    if (s == nullptr) return nullptr;
    id_cache_.first.assign(bytes);
    id_cache_.second = py::reinterpret_borrow<py::object>(s);
    return s;
  }

  PyObject* convert(const std::vector<SseEvent>& events) {
    PyObject* list = PyList_New(static_cast<Py_ssize_t>(events.size()));
    if (list == nullptr) return nullptr;
    Py_ssize_t index = 0;
    for (const SseEvent& e : events) {
      PyObject* data = data_str(e);
      PyObject* type = data ? event_str(e.event) : nullptr;
      PyObject* id = type ? id_str(e.id) : nullptr;
      PyObject* retry = nullptr;
      if (id) retry = e.has_retry ? to_int(e.retry) : Py_NewRef(Py_None);
      PyObject* event = retry ? make_event(type, data, id, retry) : nullptr;
      if (event == nullptr) {
        Py_XDECREF(data);
        Py_XDECREF(type);
        Py_XDECREF(id);
        Py_XDECREF(retry);
        Py_DECREF(list);
        return nullptr;
      }
      PyList_SET_ITEM(list, index++, event);
    }
    return list;
  }

  SseParser core_;
  bool busy_ = false;
  std::array<std::pair<std::string, py::object>, 16> event_cache_;
  std::size_t event_cache_next_ = 0;
  std::pair<std::string, py::object> id_cache_;
};

std::optional<std::string_view> optional_view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

py::bytes encode(const std::string& data, const std::optional<std::string>& event,
                 const std::optional<std::string>& id, const std::optional<py::int_>& retry,
                 const std::optional<std::string>& comment) {
  std::optional<std::uint64_t> retry_ms;
  if (retry) {
    if (PyObject_RichCompareBool(retry->ptr(), py::int_(0).ptr(), Py_LT) == 1) {
      raise_stream_error("retry must be a non-negative number of milliseconds");
    }
    const unsigned long long value = PyLong_AsUnsignedLongLong(retry->ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      raise_stream_error("retry is too large; give the reconnection time in milliseconds");
    }
    retry_ms = value;
  }
  const std::string out =
      encode_sse(data, optional_view(event), optional_view(id), retry_ms, optional_view(comment));
  return py::bytes(out);
}

}  // namespace

void bind_sse(py::module_& m) {
  const py::module_ errors = py::module_::import("mastra.errors");
  g_stream_error = py::object(errors.attr("StreamError")).release().ptr();
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const mastra::StreamError& e) {
      PyErr_SetString(g_stream_error, e.what());
    }
  });

  PyObject* type = create_event_type();
  if (type == nullptr) throw py::error_already_set();
  m.add_object("SSEEvent", py::reinterpret_borrow<py::object>(type));

  py::class_<PyParser>(m, "SSEParser",
                       "SSEParser(*, max_event_size=None)\n\n"
                       "Incremental Server-Sent Events parser (WHATWG event-stream rules).")
      .def(py::init<std::optional<std::size_t>>(), py::kw_only(),
           py::arg("max_event_size") = py::none())
      .def("feed", &PyParser::feed, py::arg("chunk"),
           "Parses the next chunk of bytes; returns the events it completes.")
      .def("close", &PyParser::close, "Ends the stream; an unterminated event is discarded.")
      .def_property_readonly("last_event_id", &PyParser::last_event_id,
                             "The last event id string (\"\" until the stream sets one).")
      .def_property_readonly("retry", &PyParser::retry,
                             "The last valid reconnection time in milliseconds, or None.")
      .def_property_readonly("closed", &PyParser::closed, "Whether close() was called.")
      .def_property_readonly("max_event_size", &PyParser::max_event_size,
                             "The size limit of one event in bytes, or None.")
      .attr("__module__") = "mastra.streaming";

  m.def("encode_sse", &encode, py::arg("data"), py::kw_only(), py::arg("event") = py::none(),
        py::arg("id") = py::none(), py::arg("retry") = py::none(),
        py::arg("comment") = py::none(), "Encodes one Server-Sent Event as bytes.");
}

}  // namespace mastra::bindings
