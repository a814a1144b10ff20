/**
 * @file bind_cache.cpp
 * @brief mastra._cache: the LRUCache extension type over mastra::LruCache, written
 *        against the CPython C API (METH_FASTCALL, mp_subscript) because a cache hit is a
 *        few tens of nanoseconds of work and the binding's per-call cost decides the figure.
 *
 * Values are owned PyObject* references. They leave the core through a ReleaseList that is
 * drained (decref'd) only after the core call returned, so no destructor runs under a
 * shard lock. The GIL is held throughout: every operation is shorter than a GIL handoff.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <vector>

#include "mastra/lru_cache.hpp"

namespace {

using Cache = mastra::LruCache<PyObject*>;

constexpr std::uint8_t kBytesKey = 0;
constexpr std::uint8_t kStrKey = 1;

/// Collects values the core gives back; drops the references once the call is over.
class ReleaseList {
 public:
  ReleaseList() = default;
  ReleaseList(const ReleaseList&) = delete;
  ReleaseList& operator=(const ReleaseList&) = delete;
  ~ReleaseList() {
    for (std::size_t i = 0; i < n_ && i < kInline; ++i) Py_DECREF(inline_[i]);
    for (PyObject* value : more_) Py_DECREF(value);
  }
  void operator()(PyObject*&& value) {
    if (n_ < kInline) {
      inline_[n_] = value;
    } else {
      more_.push_back(value);
    }
    ++n_;
  }
  /// Takes back the first released value (a new reference), or nullptr.
  PyObject* take_first() {
    if (n_ == 0) return nullptr;
    PyObject* first = inline_[0];
    inline_[0] = Py_None;
    Py_INCREF(Py_None);
    return first;
  }

 private:
  static constexpr std::size_t kInline = 4;
  PyObject* inline_[kInline] = {};
  std::size_t n_ = 0;
  std::vector<PyObject*> more_;
};

struct CacheObject {
  PyObject_HEAD
  Cache* cache;
  PyObject* sizeof_fn;  // nullptr: sys.getsizeof
  PyObject* clock;      // nullptr: steady_clock
  std::int64_t default_ttl_ns;  // 0: none
  PyObject* weakreflist;
};

PyObject* g_getsizeof = nullptr;

PyObject* config_error_type() {
  static PyObject* type = nullptr;
  if (type == nullptr) {
    PyObject* module = PyImport_ImportModule("mastra.errors");
    if (module == nullptr) return nullptr;
    type = PyObject_GetAttrString(module, "ConfigError");
    Py_DECREF(module);
  }
  return type;
}

void raise_config_error(const char* message) {
  PyObject* type = config_error_type();
  if (type != nullptr) PyErr_SetString(type, message);
}

/// Fills `key` from a str or bytes object; -1 with TypeError set otherwise.
inline int parse_key(PyObject* obj, mastra::LruKey* key) {
  Py_ssize_t size = 0;
  if (PyUnicode_CheckExact(obj) && PyUnicode_IS_COMPACT_ASCII(obj)) {
    // The common key: its bytes are stored inline and are already UTF-8.
    key->data = std::string_view(static_cast<const char*>(PyUnicode_DATA(obj)),
                                 static_cast<std::size_t>(PyUnicode_GET_LENGTH(obj)));
    const Py_hash_t hash = PyObject_Hash(obj);  // cached in the str after the first call
    if (hash == -1) return -1;
    key->hash = static_cast<std::uint64_t>(hash);
    key->kind = kStrKey;
    return 0;
  }
  if (PyUnicode_Check(obj)) {
    const char* data = PyUnicode_AsUTF8AndSize(obj, &size);
    if (data == nullptr) return -1;
    key->data = std::string_view(data, static_cast<std::size_t>(size));
    key->hash = static_cast<std::uint64_t>(PyUnicode_Type.tp_hash(obj));
    key->kind = kStrKey;
    return 0;
  }
  if (PyBytes_Check(obj)) {
    key->data = std::string_view(PyBytes_AS_STRING(obj),
                                 static_cast<std::size_t>(PyBytes_GET_SIZE(obj)));
    key->hash = static_cast<std::uint64_t>(PyBytes_Type.tp_hash(obj));
    key->kind = kBytesKey;
    return 0;
  }
  PyErr_Format(PyExc_TypeError,
               "cache keys must be str or bytes, got %.100s; build a str key from it "
               "(e.g. with repr() or a key= function)",
               Py_TYPE(obj)->tp_name);
  return -1;
}

bool ready(CacheObject* self) {
  if (self->cache != nullptr) return true;
  PyErr_SetString(PyExc_RuntimeError, "LRUCache.__init__ was not called");
  return false;
}

/// Current time in ns from the injected clock (seconds, float) or steady_clock.
bool read_clock(CacheObject* self, std::int64_t* now) {
  if (self->clock == nullptr) {
    *now = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
    return true;
  }
  PyObject* result = PyObject_CallNoArgs(self->clock);
  if (result == nullptr) return false;
  const double seconds = PyFloat_AsDouble(result);
  Py_DECREF(result);
  if (seconds == -1.0 && PyErr_Occurred()) return false;
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.0e9) {
    raise_config_error("the cache clock must return finite seconds (like time.monotonic())");
    return false;
  }
  *now = static_cast<std::int64_t>(seconds * 1e9);
  return true;
}

/// The time to judge expiry by: only read when some entry can expire.
inline bool expiry_now(CacheObject* self, std::int64_t* now) {
  *now = 0;
  return !self->cache->has_ttl() || read_clock(self, now);
}

bool ttl_to_ns(PyObject* ttl, std::int64_t* out) {
  const double seconds = PyFloat_AsDouble(ttl);
  if (seconds == -1.0 && PyErr_Occurred()) return false;
  if (!(seconds > 0.0) || !std::isfinite(seconds) || seconds > 9.0e9) {
    raise_config_error("ttl must be a positive number of seconds (or None for no expiry)");
    return false;
  }
  *out = std::max<std::int64_t>(1, static_cast<std::int64_t>(seconds * 1e9));
  return true;
}

bool value_size(CacheObject* self, PyObject* value, std::uint64_t* size) {
  if (PyBytes_Check(value)) {
    *size = static_cast<std::uint64_t>(PyBytes_GET_SIZE(value));
    return true;
  }
  if (PyUnicode_Check(value)) {
    *size = static_cast<std::uint64_t>(PyUnicode_GET_LENGTH(value)) *
            static_cast<std::uint64_t>(PyUnicode_KIND(value));
    return true;
  }
  PyObject* fn = self->sizeof_fn != nullptr ? self->sizeof_fn : g_getsizeof;
  PyObject* result = PyObject_CallOneArg(fn, value);
  if (result == nullptr) return false;
  const long long n = PyLong_AsLongLong(result);
  Py_DECREF(result);
  if (n == -1 && PyErr_Occurred()) return false;
  if (n < 0) {
    raise_config_error("sizeof= must return a size in bytes >= 0");
    return false;
  }
  *size = static_cast<std::uint64_t>(n);
  return true;
}

void translate_exception() {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  }
}

/// Stores value (a borrowed reference) under key; 0 on success (stored or too large).
int store(CacheObject* self, PyObject* key_obj, PyObject* value, PyObject* ttl) {
  if (!ready(self)) return -1;
  mastra::LruKey key{};
  if (parse_key(key_obj, &key) < 0) return -1;
  std::int64_t ttl_ns = self->default_ttl_ns;
  if (ttl != nullptr && ttl != Py_None && !ttl_to_ns(ttl, &ttl_ns)) return -1;
  std::uint64_t size = 0;
  if (!value_size(self, value, &size)) return -1;
  // The size callback may have run arbitrary code; the key's buffer is still owned by
  // key_obj, which the caller keeps alive.
  std::int64_t now = 0;
  if ((ttl_ns != 0 || self->cache->has_ttl()) && !read_clock(self, &now)) return -1;
  const std::int64_t expires_at = ttl_ns == 0 ? 0 : std::max<std::int64_t>(1, now + ttl_ns);
  ReleaseList released;
  Py_INCREF(value);
  try {
    self->cache->set(key, value, size, expires_at, now, released);
  } catch (...) {
    Py_DECREF(value);
    translate_exception();
    return -1;
  }
  return 0;
}

// ---- methods -------------------------------------------------------------------------

PyObject* lookup(CacheObject* self, PyObject* key_obj, PyObject* fallback) {
  if (!ready(self)) return nullptr;
  mastra::LruKey key{};
  if (parse_key(key_obj, &key) < 0) return nullptr;
  std::int64_t now = 0;
  if (!expiry_now(self, &now)) return nullptr;
  PyObject* found = nullptr;
  ReleaseList released;
  self->cache->get(
      key, now,
      [&found](PyObject* const& value) {
        Py_INCREF(value);
        found = value;
      },
      released);
  if (found != nullptr) return found;
  if (fallback == nullptr) {
    PyErr_SetObject(PyExc_KeyError, key_obj);
    return nullptr;
  }
  Py_INCREF(fallback);
  return fallback;
}

PyObject* cache_get(CacheObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs < 1 || nargs > 2) {
    PyErr_SetString(PyExc_TypeError, "get() takes a key and an optional default");
    return nullptr;
  }
  return lookup(self, args[0], nargs == 2 ? args[1] : Py_None);
}

PyObject* cache_subscript(PyObject* self, PyObject* key) {
  return lookup(reinterpret_cast<CacheObject*>(self), key, nullptr);
}

PyObject* cache_set(CacheObject* self, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  PyObject* ttl = nullptr;
  const Py_ssize_t nkw = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, i);
    if (PyUnicode_CompareWithASCIIString(name, "ttl") != 0) {
      PyErr_Format(PyExc_TypeError, "set() got an unexpected keyword argument '%U'", name);
      return nullptr;
    }
    ttl = args[nargs + i];
  }
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "set() takes a key, a value and an optional ttl=");
    return nullptr;
  }
  if (store(self, args[0], args[1], ttl) < 0) return nullptr;
  Py_RETURN_NONE;
}

/// Removes key; returns 1 if a live entry was removed, 0 if none, -1 on error. With `out`,
/// the removed live value is handed over (a new reference).
int remove_key(CacheObject* self, PyObject* key_obj, PyObject** out) {
  if (!ready(self)) return -1;
  mastra::LruKey key{};
  if (parse_key(key_obj, &key) < 0) return -1;
  std::int64_t now = 0;
  if (!expiry_now(self, &now)) return -1;
  ReleaseList released;
  const mastra::LruErase result = self->cache->erase(key, now, released);
  if (result != mastra::LruErase::removed) return 0;
  if (out != nullptr) *out = released.take_first();
  return 1;
}

int cache_ass_subscript(PyObject* self, PyObject* key, PyObject* value) {
  auto* cache = reinterpret_cast<CacheObject*>(self);
  if (value != nullptr) return store(cache, key, value, nullptr);
  const int removed = remove_key(cache, key, nullptr);
  if (removed == 0) PyErr_SetObject(PyExc_KeyError, key);
  return removed == 1 ? 0 : -1;
}

PyObject* cache_delete(CacheObject* self, PyObject* key) {
  const int removed = remove_key(self, key, nullptr);
  if (removed < 0) return nullptr;
  return PyBool_FromLong(removed);
}

PyObject* cache_pop(CacheObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs < 1 || nargs > 2) {
    PyErr_SetString(PyExc_TypeError, "pop() takes a key and an optional default");
    return nullptr;
  }
  PyObject* value = nullptr;
  const int removed = remove_key(self, args[0], &value);
  if (removed < 0) return nullptr;
  if (removed == 1) return value;
  if (nargs == 1) {
    PyErr_SetObject(PyExc_KeyError, args[0]);
    return nullptr;
  }
  Py_INCREF(args[1]);
  return args[1];
}

int cache_contains(PyObject* self_obj, PyObject* key_obj) {
  auto* self = reinterpret_cast<CacheObject*>(self_obj);
  if (!ready(self)) return -1;
  mastra::LruKey key{};
  if (parse_key(key_obj, &key) < 0) return -1;
  std::int64_t now = 0;
  if (!expiry_now(self, &now)) return -1;
  return self->cache->contains(key, now) ? 1 : 0;
}

/// Removes expired entries; -1 on error.
Py_ssize_t purge(CacheObject* self) {
  if (!ready(self)) return -1;
  std::int64_t now = 0;
  if (!expiry_now(self, &now)) return -1;
  ReleaseList released;
  return static_cast<Py_ssize_t>(self->cache->purge_expired(now, released));
}

Py_ssize_t cache_length(PyObject* self_obj) {
  auto* self = reinterpret_cast<CacheObject*>(self_obj);
  if (purge(self) < 0) return -1;
  return static_cast<Py_ssize_t>(self->cache->size());
}

PyObject* cache_expire(CacheObject* self, PyObject*) {
  const Py_ssize_t purged = purge(self);
  return purged < 0 ? nullptr : PyLong_FromSsize_t(purged);
}

PyObject* cache_clear(CacheObject* self, PyObject*) {
  if (!ready(self)) return nullptr;
  {
    ReleaseList released;
    self->cache->clear(released);
  }
  Py_RETURN_NONE;
}

PyObject* cache_keys(CacheObject* self, PyObject*) {
  if (!ready(self)) return nullptr;
  std::int64_t now = 0;
  if (!expiry_now(self, &now)) return nullptr;
  std::vector<std::pair<std::uint8_t, std::string>> keys;
  try {
    keys = self->cache->keys(now);
  } catch (...) {
    translate_exception();
    return nullptr;
  }
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(keys.size()));
  if (list == nullptr) return nullptr;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& data = keys[i].second;
    const auto n = static_cast<Py_ssize_t>(data.size());
    PyObject* item = keys[i].first == kStrKey ? PyUnicode_DecodeUTF8(data.data(), n, nullptr)
                                              : PyBytes_FromStringAndSize(data.data(), n);
    if (item == nullptr) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), item);
  }
  return list;
}

PyObject* cache_iter(PyObject* self) {
  PyObject* keys = cache_keys(reinterpret_cast<CacheObject*>(self), nullptr);
  if (keys == nullptr) return nullptr;
  PyObject* it = PyObject_GetIter(keys);
  Py_DECREF(keys);
  return it;
}

PyObject* cache_stats_tuple(CacheObject* self, PyObject*) {
  if (!ready(self)) return nullptr;
  const mastra::LruStats s = self->cache->stats();
  return Py_BuildValue("(KKKKKK)", static_cast<unsigned long long>(s.hits),
                       static_cast<unsigned long long>(s.misses),
                       static_cast<unsigned long long>(s.evictions),
                       static_cast<unsigned long long>(s.expirations),
                       static_cast<unsigned long long>(s.entries),
                       static_cast<unsigned long long>(s.bytes));
}

// ---- lifecycle -----------------------------------------------------------------------

int cache_traverse(PyObject* self_obj, visitproc visit, void* arg) {
  auto* self = reinterpret_cast<CacheObject*>(self_obj);
  Py_VISIT(Py_TYPE(self_obj));
  Py_VISIT(self->sizeof_fn);
  Py_VISIT(self->clock);
  if (self->cache == nullptr) return 0;
  return self->cache->for_each_value([&](PyObject* const& value) {
    Py_VISIT(value);
    return 0;
  });
}

int cache_tp_clear(PyObject* self_obj) {
  auto* self = reinterpret_cast<CacheObject*>(self_obj);
  if (self->cache != nullptr) {
    ReleaseList released;
    self->cache->clear(released);
  }
  Py_CLEAR(self->sizeof_fn);
  Py_CLEAR(self->clock);
  return 0;
}

void cache_dealloc(PyObject* self_obj) {
  auto* self = reinterpret_cast<CacheObject*>(self_obj);
  PyTypeObject* type = Py_TYPE(self_obj);
  PyObject_GC_UnTrack(self_obj);
  if (self->weakreflist != nullptr) PyObject_ClearWeakRefs(self_obj);
  cache_tp_clear(self_obj);
  delete self->cache;
  self->cache = nullptr;
  type->tp_free(self_obj);
  Py_DECREF(type);
}

int cache_init(PyObject* self_obj, PyObject* args, PyObject* kwargs) {
  auto* self = reinterpret_cast<CacheObject*>(self_obj);
  static const char* names[] = {"max_entries", "max_bytes", "ttl",    "sizeof",
                                "clock",       "shards",    nullptr};
  Py_ssize_t max_entries = 0;
  PyObject* max_bytes = Py_None;
  PyObject* ttl = Py_None;
  PyObject* sizeof_fn = Py_None;
  PyObject* clock = Py_None;
  Py_ssize_t shards = 8;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n|$OOOOn", const_cast<char**>(names),
                                   &max_entries, &max_bytes, &ttl, &sizeof_fn, &clock,
                                   &shards)) {
    return -1;
  }
  if (max_entries < 1) {
    raise_config_error("max_entries must be >= 1");
    return -1;
  }
  if (shards < 1) {
    raise_config_error("shards must be >= 1");
    return -1;
  }
  std::uint64_t byte_limit = Cache::no_limit;
  if (max_bytes != Py_None) {
    const long long n = PyLong_AsLongLong(max_bytes);
    if (n == -1 && PyErr_Occurred()) return -1;
    if (n < 1) {
      raise_config_error("max_bytes must be >= 1 (or None for no byte bound)");
      return -1;
    }
    byte_limit = static_cast<std::uint64_t>(n);
  }
  std::int64_t ttl_ns = 0;
  if (ttl != Py_None && !ttl_to_ns(ttl, &ttl_ns)) return -1;
  for (PyObject* fn : {sizeof_fn, clock}) {
    if (fn != Py_None && !PyCallable_Check(fn)) {
      raise_config_error("sizeof= and clock= must be callables (or None)");
      return -1;
    }
  }
  Cache* cache = nullptr;
  try {
    cache = new Cache(static_cast<std::size_t>(max_entries), byte_limit,
                      static_cast<std::size_t>(shards));
  } catch (...) {
    translate_exception();
    return -1;
  }
  cache_tp_clear(self_obj);
  delete self->cache;
  self->cache = cache;
  self->default_ttl_ns = ttl_ns;
  if (sizeof_fn != Py_None) self->sizeof_fn = Py_NewRef(sizeof_fn);
  if (clock != Py_None) self->clock = Py_NewRef(clock);
  return 0;
}

PyObject* get_max_entries(PyObject* self, void*) {
  auto* cache = reinterpret_cast<CacheObject*>(self);
  if (!ready(cache)) return nullptr;
  return PyLong_FromSize_t(cache->cache->max_entries());
}

PyObject* get_max_bytes(PyObject* self, void*) {
  auto* cache = reinterpret_cast<CacheObject*>(self);
  if (!ready(cache)) return nullptr;
  if (cache->cache->max_bytes() == Cache::no_limit) Py_RETURN_NONE;
  return PyLong_FromUnsignedLongLong(cache->cache->max_bytes());
}

PyObject* get_ttl(PyObject* self, void*) {
  auto* cache = reinterpret_cast<CacheObject*>(self);
  if (cache->default_ttl_ns == 0) Py_RETURN_NONE;
  return PyFloat_FromDouble(static_cast<double>(cache->default_ttl_ns) / 1e9);
}

#define FASTCALL(fn) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(fn))

PyMethodDef cache_methods[] = {
    {"get", FASTCALL(cache_get), METH_FASTCALL,
     "get($self, key, default=None, /)\n--\n\nThe value under key (marked most recently used), or "
     "default."},
    {"set", FASTCALL(cache_set), METH_FASTCALL | METH_KEYWORDS,
     "set($self, key, value, /, *, ttl=None)\n--\n\nStores value under key, evicting least "
     "recently used entries to stay within the bounds."},
    {"delete", FASTCALL(cache_delete), METH_O,
     "delete($self, key, /)\n--\n\nRemoves key; True if a live entry was removed."},
    {"pop", FASTCALL(cache_pop), METH_FASTCALL,
     "pop(key[, default])\n\nRemoves key and returns its value (KeyError, or default, if "
     "absent)."},
    {"clear", FASTCALL(cache_clear), METH_NOARGS, "clear($self, /)\n--\n\nRemoves every entry."},
    {"keys", FASTCALL(cache_keys), METH_NOARGS,
     "keys($self, /)\n--\n\nThe live keys, least recently used first."},
    {"expire", FASTCALL(cache_expire), METH_NOARGS,
     "expire($self, /)\n--\n\nRemoves expired entries now and returns how many."},
    {"_stats_tuple", FASTCALL(cache_stats_tuple), METH_NOARGS,
     "_stats_tuple($self, /)\n--\n\n(hits, misses, evictions, expirations, entries, bytes)"},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef cache_getset[] = {
    {"max_entries", get_max_entries, nullptr, "The entry bound.", nullptr},
    {"max_bytes", get_max_bytes, nullptr, "The byte bound, or None.", nullptr},
    {"ttl", get_ttl, nullptr, "The default time to live in seconds, or None.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMemberDef cache_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(CacheObject, weakreflist), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot cache_slots[] = {
    {Py_tp_doc, const_cast<char*>("The compiled LRU cache; use mastra.cache.LRUCache.")},
    {Py_tp_dealloc, reinterpret_cast<void*>(cache_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(cache_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(cache_tp_clear)},
    {Py_tp_init, reinterpret_cast<void*>(cache_init)},
    {Py_tp_iter, reinterpret_cast<void*>(cache_iter)},
    {Py_tp_methods, cache_methods},
    {Py_tp_getset, cache_getset},
    {Py_mp_subscript, reinterpret_cast<void*>(cache_subscript)},
    {Py_mp_ass_subscript, reinterpret_cast<void*>(cache_ass_subscript)},
    {Py_mp_length, reinterpret_cast<void*>(cache_length)},
    {Py_sq_contains, reinterpret_cast<void*>(cache_contains)},
    {Py_tp_members, cache_members},
    {0, nullptr},
};

int module_exec(PyObject* module) {
  PyObject* sys = PyImport_ImportModule("sys");
  if (sys == nullptr) return -1;
  g_getsizeof = PyObject_GetAttrString(sys, "getsizeof");
  Py_DECREF(sys);
  if (g_getsizeof == nullptr) return -1;
  PyType_Spec spec = {"mastra._cache.LRUCache", sizeof(CacheObject), 0,
                      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
                      cache_slots};
  PyObject* type = PyType_FromSpec(&spec);
  if (type == nullptr) return -1;
  if (PyModule_AddObject(module, "LRUCache", type) < 0) {
    Py_DECREF(type);
    return -1;
  }
  return 0;
}

PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, reinterpret_cast<void*>(module_exec)},
    {0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_cache", "mastra's compiled LRU cache (use mastra.cache).", 0,
    nullptr, module_slots, nullptr, nullptr, nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit__cache() { return PyModuleDef_Init(&module_def); }
