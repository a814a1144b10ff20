/**
 * @file sse_event.hpp
 * @brief The SSEEvent Python type, shared by the SSE binding.
 */
#pragma once

#include <Python.h>

namespace mastra::bindings {

/// Creates the mastra.streaming.SSEEvent type (a new reference), once, at import.
PyObject* create_event_type();

/// A new SSEEvent that steals the four references; on failure (nullptr, MemoryError
/// set) they stay the caller's. Needs create_event_type() first.
PyObject* make_event(PyObject* event, PyObject* data, PyObject* id, PyObject* retry);

}  // namespace mastra::bindings
