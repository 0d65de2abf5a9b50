"""Finds and loads libdline.so.0 and declares the C functions the binding calls.

The only module-level state of the binding: the loaded library (``lib``) and
the path it was loaded from (``path``).
"""

import ctypes
import ctypes.util
import os
import platform
import sysconfig

SONAME = "libdline.so.0"


class Ctx(ctypes.Structure):
    """Opaque ``dline_ctx``."""


class MapStruct(ctypes.Structure):
    """Opaque ``dline_map``."""


CtxPtr = ctypes.POINTER(Ctx)
MapPtr = ctypes.POINTER(MapStruct)

# void (*dline_warning_fn)(const char *message, void *user), and
# dline_problem_fn, which has the same shape.
WARNING_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)
PROBLEM_FN = WARNING_FN

# time_t is a long on every glibc target Debian builds this for (64-bit, and
# 32-bit with 32-bit time); ctypes.c_time_t only arrives in Python 3.12.
c_time_t = getattr(ctypes, "c_time_t", ctypes.c_long)

_status = ctypes.c_int
_format = ctypes.c_int
_str = ctypes.c_char_p
_sets = ctypes.POINTER(ctypes.c_char_p)
_size = ctypes.c_size_t
_double = ctypes.c_double

# name: (restype, argtypes), exactly as in include/dline.h.
PROTOTYPES = {
    "dline_status_string": (_str, [_status]),
    "dline_ctx_new": (CtxPtr, []),
    "dline_ctx_free": (None, [CtxPtr]),
    "dline_ctx_status": (_status, [CtxPtr]),
    "dline_ctx_message": (_str, [CtxPtr]),
    "dline_ctx_clear": (None, [CtxPtr]),
    "dline_ctx_set_warning_handler": (None, [CtxPtr, WARNING_FN, ctypes.c_void_p]),
    "dline_map_load_with": (_status, [CtxPtr, _str, _sets, _size, ctypes.POINTER(MapPtr)]),
    "dline_map_load_string": (
        _status,
        [CtxPtr, _str, _size, _str, _sets, _size, ctypes.POINTER(MapPtr)],
    ),
    "dline_map_free": (None, [MapPtr]),
    "dline_map_layer_count": (_size, [MapPtr]),
    "dline_map_layer_id": (_str, [MapPtr, _size]),
    "dline_map_layer_type": (_str, [MapPtr, _size]),
    "dline_map_size": (None, [MapPtr, ctypes.POINTER(_double), ctypes.POINTER(_double)]),
    "dline_map_extent": (_status, [CtxPtr, MapPtr, ctypes.POINTER(_double)]),
    "dline_map_set_size": (_status, [CtxPtr, MapPtr, ctypes.c_int, ctypes.c_int]),
    "dline_map_set_dpi": (_status, [CtxPtr, MapPtr, _double]),
    "dline_map_set_extent": (_status, [CtxPtr, MapPtr, _double, _double, _double, _double]),
    "dline_map_set_crs": (_status, [CtxPtr, MapPtr, _str]),
    "dline_map_set_png_compression": (_status, [CtxPtr, MapPtr, ctypes.c_int]),
    "dline_map_set_threads": (_status, [CtxPtr, MapPtr, ctypes.c_int]),
    "dline_map_set_max_pixels": (_status, [CtxPtr, MapPtr, ctypes.c_ulonglong]),
    "dline_map_set_debug_labels": (_status, [CtxPtr, MapPtr, _str]),
    "dline_map_set_svg_id_prefix": (_status, [CtxPtr, MapPtr, _str]),
    "dline_map_set_cache_dir": (_status, [CtxPtr, MapPtr, _str]),
    "dline_map_set_paper": (_status, [CtxPtr, MapPtr, _str]),
    "dline_map_set_creation_time": (_status, [CtxPtr, MapPtr, c_time_t]),
    "dline_map_render_file": (_status, [CtxPtr, MapPtr, _str, _format]),
    "dline_map_render_memory": (
        _status,
        [CtxPtr, MapPtr, _format, ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
         ctypes.POINTER(_size)],
    ),
    "dline_free": (None, [ctypes.c_void_p]),
    "dline_map_validate": (
        _status,
        [CtxPtr, MapPtr, PROBLEM_FN, ctypes.c_void_p, ctypes.POINTER(_size)],
    ),
    "dline_format_from_name": (_format, [_str]),
}


def _installed_candidates(package_dir):
    """libdline.so.0 beside the package, then in the lib folder it is installed
    under: <prefix>/lib/python3/dist-packages/dline (Debian) or
    <prefix>/lib/python3.11/site-packages/dline both have <prefix>/lib three
    levels up, with the library in it or in its multiarch folder
    (<prefix>/lib/x86_64-linux-gnu)."""
    yield os.path.join(package_dir, SONAME)
    libdir = os.path.normpath(os.path.join(package_dir, os.pardir, os.pardir, os.pardir))
    multiarch = sysconfig.get_config_var("MULTIARCH") or (
        platform.machine() + "-linux-gnu"
    )
    yield os.path.join(libdir, multiarch, SONAME)
    yield os.path.join(libdir, SONAME)


def _load():
    env = os.environ.get("DLINE_LIBRARY")
    if env:
        # Asked for by name: no falling back to another copy.
        if not os.path.exists(env):
            raise ImportError(f"dline: DLINE_LIBRARY={env}: no such file")
        return ctypes.CDLL(env), env
    package_dir = os.path.dirname(os.path.abspath(__file__))
    tried = ["DLINE_LIBRARY (not set)"]
    for candidate in _installed_candidates(package_dir):
        if os.path.exists(candidate):
            return ctypes.CDLL(candidate), candidate
        tried.append(candidate)
    found = ctypes.util.find_library("dline")
    if found:
        return ctypes.CDLL(found), found
    tried.append('ctypes.util.find_library("dline")')
    raise ImportError(
        "dline: cannot find libdline.so.0; tried " + ", ".join(tried)
        + " (set DLINE_LIBRARY to its path)"
    )


def _declare(library):
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(library, name)
        except AttributeError:
            raise ImportError(
                f"dline: {path} has no {name}: it is older than this binding"
            ) from None
        fn.restype = restype
        fn.argtypes = argtypes


try:
    lib, path = _load()
except OSError as e:
    raise ImportError(f"dline: cannot load libdline: {e}") from e
_declare(lib)
