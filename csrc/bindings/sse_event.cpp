/**
 * @file sse_event.cpp
 * @brief mastra.streaming.SSEEvent: a small CPython type (four object slots, no GC, no
 *        dict) rather than a pybind11 class, since creating events is the parser's
 *        per-event cost and this type is made by one malloc and four stores.
 */
#include "sse_event.hpp"

#include <structmember.h>

#include <cstddef>

namespace mastra::bindings {
namespace {

PyTypeObject* g_event_type = nullptr;
PyObject* g_orjson_loads = nullptr;

struct EventObject {
  PyObject_HEAD
  PyObject* event;
  PyObject* data;
  PyObject* id;
  PyObject* retry;
};

PyObject* exact_str(PyObject* value, const char* name) {
  if (!PyUnicode_Check(value)) {
    PyErr_Format(PyExc_TypeError, "SSEEvent %s must be a str, got %.100s", name,
                 Py_TYPE(value)->tp_name);
    return nullptr;
  }
  return PyUnicode_FromObject(value);
}

PyObject* event_new(PyTypeObject* /*type*/, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"data", "event", "id", "retry", nullptr};
  PyObject* data = nullptr;
  PyObject* event = nullptr;
  PyObject* id = nullptr;
  PyObject* retry = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOOO:SSEEvent", const_cast<char**>(keywords),
                                   &data, &event, &id, &retry)) {
    return nullptr;
  }
  if (retry != Py_None && (!PyLong_Check(retry) || PyBool_Check(retry))) {
    PyErr_Format(PyExc_TypeError, "SSEEvent retry must be an int or None, got %.100s",
                 Py_TYPE(retry)->tp_name);
    return nullptr;
  }
  // Each field: the given str (a str subclass becomes a plain str), or the default.
  PyObject* d = data ? exact_str(data, "data") : PyUnicode_FromString("");
  PyObject* e = nullptr;
  PyObject* i = nullptr;
  PyObject* r = nullptr;
  if (d != nullptr) e = event ? exact_str(event, "event") : PyUnicode_FromString("message");
  if (e != nullptr) i = id ? exact_str(id, "id") : PyUnicode_FromString("");
  if (i != nullptr) r = retry == Py_None ? Py_NewRef(Py_None) : PyNumber_Index(retry);
  if (r == nullptr) {
    Py_XDECREF(d);
    Py_XDECREF(e);
    Py_XDECREF(i);
    return nullptr;
  }
  PyObject* self = make_event(e, d, i, r);
  if (self == nullptr) {
    Py_DECREF(d);
    Py_DECREF(e);
    Py_DECREF(i);
    Py_DECREF(r);
  }
  return self;
}

void event_dealloc(PyObject* self) {
  auto* ev = reinterpret_cast<EventObject*>(self);
  Py_DECREF(ev->event);
  Py_DECREF(ev->data);
  Py_DECREF(ev->id);
  Py_DECREF(ev->retry);
  PyTypeObject* type = Py_TYPE(self);
  PyObject_Free(self);
  Py_DECREF(type);
}

PyObject* event_repr(PyObject* self) {
  auto* ev = reinterpret_cast<EventObject*>(self);
  return PyUnicode_FromFormat("SSEEvent(event=%R, data=%R, id=%R, retry=%R)", ev->event, ev->data,
                              ev->id, ev->retry);
}

PyObject* event_fields(PyObject* self) {
  auto* ev = reinterpret_cast<EventObject*>(self);
  return PyTuple_Pack(4, ev->data, ev->event, ev->id, ev->retry);
}

Py_hash_t event_hash(PyObject* self) {
  PyObject* fields = event_fields(self);
  if (fields == nullptr) return -1;
  const Py_hash_t hash = PyObject_Hash(fields);
  Py_DECREF(fields);
  return hash;
}

PyObject* event_richcompare(PyObject* self, PyObject* other, int op) {
  if ((op != Py_EQ && op != Py_NE) || Py_TYPE(other) != Py_TYPE(self)) {
    Py_RETURN_NOTIMPLEMENTED;
  }
  PyObject* a = event_fields(self);
  PyObject* b = a ? event_fields(other) : nullptr;
  PyObject* result = b ? PyObject_RichCompare(a, b, op) : nullptr;
  Py_XDECREF(a);
  Py_XDECREF(b);
  return result;
}

PyObject* event_json(PyObject* self, PyObject* /*unused*/) {
  if (g_orjson_loads == nullptr) {
    PyObject* orjson = PyImport_ImportModule("orjson");
    if (orjson == nullptr) return nullptr;
    g_orjson_loads = PyObject_GetAttrString(orjson, "loads");
    Py_DECREF(orjson);
    if (g_orjson_loads == nullptr) return nullptr;
  }
  return PyObject_CallOneArg(g_orjson_loads, reinterpret_cast<EventObject*>(self)->data);
}

PyObject* event_reduce(PyObject* self, PyObject* /*unused*/) {
  PyObject* fields = event_fields(self);
  if (fields == nullptr) return nullptr;
  return Py_BuildValue("(ON)", reinterpret_cast<PyObject*>(Py_TYPE(self)), fields);
}

PyMemberDef event_members[] = {
    {"event", T_OBJECT_EX, offsetof(EventObject, event), READONLY,
     "The event type: the stream's event field, or \"message\"."},
    {"data", T_OBJECT_EX, offsetof(EventObject, data), READONLY,
     "The data lines joined with \"\\n\"."},
    {"id", T_OBJECT_EX, offsetof(EventObject, id), READONLY,
     "The last event id in force when the event was dispatched (\"\" if none)."},
    {"retry", T_OBJECT_EX, offsetof(EventObject, retry), READONLY,
     "The valid retry value (milliseconds) of this event's block, else None."},
    {nullptr, 0, 0, 0, nullptr}};

PyMethodDef event_methods[] = {
    {"json", event_json, METH_NOARGS, "json() -> Any\n\nDecodes data as JSON with orjson."},
    {"__reduce__", event_reduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

const char* const kEventDoc =
    "SSEEvent(data='', event='message', id='', retry=None)\n\n"
    "One Server-Sent Event, as dispatched by SSEParser. Immutable.";

PyType_Slot event_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(event_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(event_dealloc)},
    {Py_tp_repr, reinterpret_cast<void*>(event_repr)},
    {Py_tp_hash, reinterpret_cast<void*>(event_hash)},
    {Py_tp_richcompare, reinterpret_cast<void*>(event_richcompare)},
    {Py_tp_members, event_members},
    {Py_tp_methods, event_methods},
    {Py_tp_doc, const_cast<char*>(kEventDoc)},
    {0, nullptr}};

PyType_Spec event_spec = {"mastra.streaming.SSEEvent", sizeof(EventObject), 0,
                          Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE, event_slots};

}  // namespace

PyObject* make_event(PyObject* event, PyObject* data, PyObject* id, PyObject* retry) {
  auto* self = static_cast<EventObject*>(PyObject_Malloc(sizeof(EventObject)));
  if (self == nullptr) return PyErr_NoMemory();
  PyObject_Init(reinterpret_cast<PyObject*>(self), g_event_type);
  self->event = event;
  self->data = data;
  self->id = id;
  self->retry = retry;
  return reinterpret_cast<PyObject*>(self);
}

PyObject* create_event_type() {
  PyObject* type = PyType_FromSpec(&event_spec);
  if (type != nullptr) g_event_type = reinterpret_cast<PyTypeObject*>(type);
  return type;
}

}  // namespace mastra::bindings
