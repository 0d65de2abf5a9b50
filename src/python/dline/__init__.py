"""dline: render static maps (PNG, SVG, PDF) from a YAML style, from Python.

A binding over dline's C API (include/dline.h) through ctypes; it needs
libdline.so.0, found in this order: the path in the environment variable
DLINE_LIBRARY; libdline.so.0 beside this package; <prefix>/lib/<multiarch>/
or <prefix>/lib/ when the package is installed as
<prefix>/lib/python3/dist-packages/dline/; ctypes.util.find_library("dline").

    import dline
    dline.render("styles/digital-line.yaml", "qingpu.png", size=[800, 600])
    png = dline.render_bytes("styles/digital-line.yaml", "png",
                             **{"layers.sites.paint.circle-color": "#06c"})
    with dline.Map("styles/digital-line.yaml") as m:
        print(m.layers, m.size, m.extent())
        m.set_dpi(300)
        m.render("qingpu@300dpi.png")

Overrides change style values before the style is checked, as the CLI's
``--set PATH=VALUE``: PATH is keys joined by dots, layers named by id. They are
given as ``sets`` (a list of "PATH=VALUE" strings, or a dict of path to
value) and as keyword arguments, applied in that order (a later one wins).
A keyword's name is the path with each double underscore standing for a
dot; single underscores stay as they are (``title__text="Hi"`` is
``title.text=Hi``). Paths with hyphens, which most style keys have, are
passed with ``**{"layers.sites.paint.circle-color": "#06c"}``. Values:

- str: as is, read as --set reads it (a text starting with "[" or "{" is a
  YAML flow collection, anything else a plain scalar, so "#06c" is a colour);
- int, float: as written (``repr``); bool: true/false; None: null;
- list or tuple: a YAML flow sequence ``[a, b]``; dict: a flow mapping
  ``{k: v}``; inside them strings are double-quoted, so they stay strings.

Errors raise DlineError (its ``status``, ``status_name`` and one-line
``message``); warnings (a font that is not installed, a MapLibre layer that is
skipped) are issued as DlineWarning through the warnings module once the call
that met them returns. Every Map has its own C context; the module keeps no
state besides the loaded library.
"""

import _thread
import ctypes
import enum
import itertools
import math
import operator
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Mapping

from . import _lib

__all__ = [
    "DlineError",
    "DlineWarning",
    "Map",
    "Status",
    "render",
    "render_bytes",
]

__version__ = "0.1.0"

_L = _lib.lib
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Status(enum.IntEnum):
    """dline_status, the result of every C call that can fail."""

    OK = 0
    ENOMEM = 1
    EIO = 2
    EDATA = 3
    ESTYLE = 4
    EPROJ = 5
    ERENDER = 6
    EUSAGE = 7
    ECANCELED = 8


class DlineError(Exception):
    """A call into dline failed.

    ``status`` is the dline_status (a Status, an int), ``status_name`` its
    name from dline_status_string ("style error", ...), and ``message`` the
    context's one-line message, e.g. "styles/a.yaml:12:7: unknown property
    'line-colour' (did you mean 'line-color'?)"; str() of the error is the
    message.
    """

    def __init__(self, status, message):
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status = status
        name = _L.dline_status_string(int(status))
        self.status_name = name.decode("utf-8", "replace") if name else ""
        self.message = message or self.status_name
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"DlineError({self.status!r}, {self.message!r})"


class DlineWarning(UserWarning):
    """A warning from dline, in its one-line form (e.g. "font 'X' is not
    installed; using ... instead")."""


def _format(name, auto_ok):
    """The dline_format for "png", "svg" or "pdf" (any case); None is AUTO
    (from the output path's extension) where auto_ok."""
    if name is None:
        if auto_ok:
            return 0
        raise ValueError("a format is needed: 'png', 'svg' or 'pdf'")
    if not isinstance(name, str):
        raise TypeError(f"format must be a str, not {type(name).__name__}")
    fmt = _L.dline_format_from_name(name.encode("utf-8"))
    if fmt == 0:
        raise ValueError(f"unknown format {name!r}: use 'png', 'svg' or 'pdf'")
    return fmt


def _c_int(value, what):
    """value as a C int: ctypes would silently wrap one out of range."""
    v = operator.index(value)
    if not -(2**31) <= v < 2**31:
        raise ValueError(f"{what} {v} does not fit in a C int")
    return v


def _path(p):
    return os.fsencode(p)


# Overrides


def _quote(text):
    """A YAML double-quoted scalar: always a string, whatever it holds."""
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif o < 0x20 or o == 0x7F or o in (0x85, 0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _yaml(value, top):
    # bool before int: True is an int.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"override value {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return value if top else _quote(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(v, False) for v in value) + "]"
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"override mapping keys must be str, not {type(k).__name__}")
            items.append(f"{_quote(k)}: {_yaml(v, False)}")
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot turn {type(value).__name__} into a style value")


def _set_string(path, value):
    """One "PATH=VALUE" override, as the C API (and the CLI's --set) takes it."""
    return f"{path}={_yaml(value, True)}"


def _keyword_path(name):
    return name.replace("__", ".")


def _override_strings(sets, overrides):
    out = []
    if sets is not None:
        if isinstance(sets, (str, bytes)):
            raise TypeError('sets must be a list of "PATH=VALUE" strings or a dict, not one string')
        if isinstance(sets, Mapping):
            out.extend(_set_string(k, v) for k, v in sets.items())
        else:
            for s in sets:
                if not isinstance(s, str):
                    raise TypeError(f'sets items must be "PATH=VALUE" strings, not {type(s).__name__}')
                out.append(s)
    out.extend(_set_string(_keyword_path(k), v) for k, v in overrides.items())
    return out


def _c_sets(strings):
    if not strings:
        return None, 0
    encoded = [s.encode("utf-8") for s in strings]
    return (ctypes.c_char_p * len(encoded))(*encoded), len(encoded)


# Contexts and maps


def _stacklevel():
    """The stacklevel that makes a warning point at the first caller outside
    this package."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == _PACKAGE_DIR:
        frame = frame.f_back
        level += 1
    return level


class _Handles:
    """The C objects of one Map: its context, the map, and the warning
    callback. The ctypes callback object must outlive every call that can
    warn, so it lives here until the context is freed (release), and this
    object is held by the Map's finalizer, not only by the Map."""

    def __init__(self):
        self.pending = []
        pending = self.pending

        def on_warning(message, user):
            # Runs inside the C call (maybe on another thread): no exception
            # may leave it, so warnings are only collected here and issued by
            # the caller once the call returns.
            try:
                pending.append(message.decode("utf-8", "replace") if message else "")
            except BaseException:
                pass

        self.callback = _lib.WARNING_FN(on_warning)
        self.ctx = _L.dline_ctx_new()
        if not self.ctx:
            raise MemoryError("dline_ctx_new failed")
        _L.dline_ctx_set_warning_handler(self.ctx, self.callback, None)
        self.map = None

    def release(self):
        if self.map:
            _L.dline_map_free(self.map)
            self.map = None
        if self.ctx:
            _L.dline_ctx_set_warning_handler(self.ctx, _lib.WARNING_FN(), None)
            _L.dline_ctx_free(self.ctx)
            self.ctx = None
        self.callback = None


_displays = itertools.count(1)  # SVG id prefixes of Map._repr_svg_


class Map:
    """A loaded and checked style, with overrides; it renders to files or
    bytes and shows itself in Jupyter.

    ``Map(path, sets=None, **overrides)`` loads the style file at path
    (overrides as in the module's docstring). Free its C objects with
    close() or by using it as a context manager; a Map that is not closed
    is freed when it is garbage-collected. A Map may be used from several
    threads; calls on one Map run one at a time.
    """

    def __init__(self, path, sets=None, **overrides):
        arr, n = _c_sets(_override_strings(sets, overrides))
        encoded = _path(path)
        self._name = os.fsdecode(path)
        self._open(lambda ctx, out: _L.dline_map_load_with(ctx, encoded, arr, n, out))

    @classmethod
    def from_string(cls, text, name=None, sets=None, **overrides):
        """A Map from style text (str or bytes, YAML or MapLibre JSON) rather
        than a file. name stands for the file it would be: messages name it
        ("name:line:col: ..."), relative paths in the style (sources,
        includes, icons) are taken from its folder, and a name ending in
        .json marks MapLibre JSON; None is "style.yaml" in the current
        folder."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        cname = _path(name) if name is not None else None
        arr, n = _c_sets(_override_strings(sets, overrides))
        self = cls.__new__(cls)
        self._name = os.fsdecode(name) if name is not None else "style.yaml"
        self._open(
            lambda ctx, out: _L.dline_map_load_string(ctx, data, len(data), cname, arr, n, out)
        )
        return self

    def _open(self, load):
        self._svg_prefix = None
        self._lock = threading.Lock()
        self._h = _Handles()
        self._finalizer = weakref.finalize(self, _Handles.release, self._h)
        out = _lib.MapPtr()
        try:
            self._finish(*self._invoke(load, ctypes.byref(out)))
        except BaseException:
            self._finalizer()
            raise
        self._h.map = out

    # Every C call goes through _invoke and then _finish: the context is
    # cleared first (its first error wins, so a stale one would hide this
    # call's); the warnings the call collected are issued after it, outside
    # the Map's lock (a warning hook may use the Map); a failure becomes a
    # DlineError.
    def _invoke(self, fn, *args):
        h = self._h
        _L.dline_ctx_clear(h.ctx)
        try:
            status = fn(h.ctx, *args)
            message = _L.dline_ctx_message(h.ctx) if status != 0 else None
        finally:
            pending = h.pending[:]
            del h.pending[:]
        return status, message, pending

    @staticmethod
    def _finish(status, message, pending):
        for text in pending:
            warnings.warn(text, DlineWarning, stacklevel=_stacklevel())
        if status != 0:
            raise DlineError(status, message.decode("utf-8", "replace") if message else "")

    def _map_call(self, fn, *args):
        with self._lock:
            self._check_open()
            m = self._h.map
            result = self._invoke(lambda ctx: fn(ctx, m, *args))
        self._finish(*result)

    # A render in the main thread runs on a helper thread, so that Ctrl-C
    # can stop it: Python handles a signal only between its own bytecodes,
    # which a long C call does not reach. KeyboardInterrupt while waiting
    # calls dline_ctx_cancel (only a flag, safe from another thread); the
    # render stops at its next feature, label or image row, removes its
    # temporary file, and KeyboardInterrupt goes on up. The cancel is asked
    # again until the render ends, in case it arrived before _invoke cleared
    # the context.
    def _render_call(self, fn, *args):
        if threading.current_thread() is not threading.main_thread():
            return self._map_call(fn, *args)
        with self._lock:
            self._check_open()
            h, m = self._h, self._h.map
            box = []
            done = threading.Event()

            def work():
                try:
                    box.append(self._invoke(lambda ctx: fn(ctx, m, *args)))
                except BaseException as e:  # handed to the caller's thread
                    box.append(e)
                finally:
                    done.set()

            # The end is told by our own flag, not by Thread.join or
            # is_alive, which a KeyboardInterrupt inside join can leave
            # saying the thread ended while it runs (CPython before 3.13);
            # _thread's start is one C call, so an interrupt comes before
            # it (nothing started) or after it (ident set), never halfway.
            interrupt = ident = None
            try:
                ident = _thread.start_new_thread(work, ())
            except KeyboardInterrupt as e:
                interrupt = e
            while ident is not None and not done.is_set():
                try:
                    if interrupt is not None:
                        _L.dline_ctx_cancel(h.ctx)
                    done.wait(0.05)
                except KeyboardInterrupt as e:
                    interrupt = e
        if interrupt is not None:
            raise interrupt
        if isinstance(box[0], BaseException):
            raise box[0]
        self._finish(*box[0])

    def _check_open(self):
        if self._h.map is None:
            raise ValueError("operation on a closed dline.Map")

    def close(self):
        """Frees the map and its context; closing again does nothing."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before _open
            return
        with lock:
            self._finalizer()

    @property
    def closed(self):
        """True once close() was called."""
        return self._h.map is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        if self._h.map is None:
            return f"<dline.Map {self._name!r} (closed)>"
        w, h = self.size
        return f"<dline.Map {self._name!r} {w:g}x{h:g} px, {len(self.layers)} layers>"

    # What the style holds

    @property
    def layers(self):
        """The style's layers in drawing order, as (id, type) tuples; type is
        "background", "fill", "line", "circle" or "symbol"."""
        with self._lock:
            self._check_open()
            m = self._h.map
            out = []
            for i in range(_L.dline_map_layer_count(m)):
                lid = _L.dline_map_layer_id(m, i)
                ltype = _L.dline_map_layer_type(m, i)
                out.append((lid.decode("utf-8", "replace") if lid else None,
                            ltype.decode("ascii") if ltype else None))
            return out

    @property
    def size(self):
        """(width, height) in px at 96 dpi, as floats: the style's size or
        paper, or what set_size/set_paper set. A PNG has
        round(size * dpi / 96) pixels a side."""
        with self._lock:
            self._check_open()
            w, h = ctypes.c_double(), ctypes.c_double()
            _L.dline_map_size(self._h.map, ctypes.byref(w), ctypes.byref(h))
            return (w.value, h.value)

    def extent(self):
        """The area the map shows as (minlon, minlat, maxlon, maxlat), worked
        out as a render would (the style's extent or fit, which opens the
        sources it fits, grown to the map's aspect ratio)."""
        box = (ctypes.c_double * 4)()
        self._map_call(_L.dline_map_extent, box)
        return tuple(box)

    def validate(self):
        """Checks what a render would meet without drawing (CRSs, sources,
        attributes the layers name, fonts) and returns the problems, each one
        line "FILE:LINE:COLUMN: message" (an empty list when there are none)."""
        problems = []

        def report(message, user):
            try:
                problems.append(message.decode("utf-8", "replace") if message else "")
            except BaseException:
                pass

        callback = _lib.PROBLEM_FN(report)  # referenced until the call returns
        self._map_call(_L.dline_map_validate, callback, None, None)
        return problems

    # Overrides of the style's values, as the CLI's options

    def set_size(self, width, height):
        """The map size in px at 96 dpi (--size WxH)."""
        self._map_call(_L.dline_map_set_size, _c_int(width, "width"), _c_int(height, "height"))

    def set_dpi(self, dpi):
        """Resolution of PNG output (--dpi): size * dpi / 96 pixels."""
        self._map_call(_L.dline_map_set_dpi, float(dpi))

    def set_extent(self, minlon, minlat=None, maxlon=None, maxlat=None):
        """The area to show, a longitude/latitude box (--extent); takes four
        numbers or one sequence of four."""
        if minlat is None and maxlon is None and maxlat is None:
            minlon, minlat, maxlon, maxlat = minlon
        self._map_call(_L.dline_map_set_extent, float(minlon), float(minlat), float(maxlon),
                       float(maxlat))

    def set_crs(self, crs):
        """The map's CRS, any CRS PROJ knows ("EPSG:3857") (--crs)."""
        if not isinstance(crs, str):
            raise TypeError(f"crs must be a str, not {type(crs).__name__}")
        self._map_call(_L.dline_map_set_crs, crs.encode("utf-8"))

    def set_threads(self, threads):
        """Threads a PNG render may use, at least 1 (--threads); the output
        is the same bytes whatever the count."""
        self._map_call(_L.dline_map_set_threads, _c_int(threads, "threads"))

    def set_paper(self, paper):
        """The map size as a paper size (--paper): "A3", "A4", "A5",
        "letter" or "legal", with ":landscape" for landscape."""
        if not isinstance(paper, str):
            raise TypeError(f"paper must be a str, not {type(paper).__name__}")
        self._map_call(_L.dline_map_set_paper, paper.encode("utf-8"))

    def set_png_compression(self, level):
        """PNG zlib level, 0 to 9 (--png-compression); the default is 3."""
        self._map_call(_L.dline_map_set_png_compression, _c_int(level, "level"))

    def set_max_pixels(self, max_pixels):
        """The most pixels a PNG may have (--max-pixels), at least 1."""
        v = operator.index(max_pixels)
        if not 0 <= v < 2**64:
            raise ValueError(f"max_pixels {v} is not a count of pixels")
        self._map_call(_L.dline_map_set_max_pixels, v)

    def set_creation_time(self, when):
        """The creation date of a PDF, in seconds since 1970 (what the CLI
        takes from SOURCE_DATE_EPOCH); two renders with one value are
        byte-identical."""
        v = operator.index(when)
        if not -(2**63) <= v < 2**63:
            raise ValueError(f"creation time {v} is out of range")
        self._map_call(_L.dline_map_set_creation_time, v)

    def set_cache_dir(self, path):
        """A folder where the map keeps the transformations PROJ's database
        search finds, for later processes (what the CLI does in
        $DLINE_CACHE_DIR or ~/.cache/dline); None for none, the default."""
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        self._map_call(_L.dline_map_set_cache_dir,
                       None if path is None else os.fsencode(path))

    def set_svg_id_prefix(self, prefix):
        """SVG output: put prefix before every id the document defines
        (--svg-id-prefix), so that two maps inlined in one HTML page keep
        their ids apart; None or "" for none."""
        if prefix is not None and not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {type(prefix).__name__}")
        self._map_call(_L.dline_map_set_svg_id_prefix,
                       None if prefix is None else prefix.encode("utf-8"))
        self._svg_prefix = prefix or None

    def set_debug_labels(self, path):
        """After each render, also write every label's placement as JSON to
        path (--debug-labels); None turns it off."""
        self._map_call(_L.dline_map_set_debug_labels, None if path is None else _path(path))

    # Rendering

    def render(self, path, format=None):
        """Renders to the file at path; format is "png", "svg" or "pdf", or
        None to take it from path's extension. The file is written under a
        temporary name and renamed when complete, so a failed render leaves
        nothing and never replaces an existing file. Ctrl-C in the main
        thread stops the render (KeyboardInterrupt), leaving nothing."""
        fmt = _format(format, True)
        self._render_call(_L.dline_map_render_file, _path(path), fmt)

    def render_bytes(self, format="png"):
        """Renders into memory: PNG or PDF bytes, or the SVG document's
        UTF-8 bytes."""
        fmt = _format(format, False)
        data = ctypes.POINTER(ctypes.c_ubyte)()
        length = ctypes.c_size_t()
        try:
            self._render_call(_L.dline_map_render_memory, fmt, ctypes.byref(data),
                           ctypes.byref(length))
            return ctypes.string_at(data, length.value) if data else b""
        finally:
            _L.dline_free(data)

    # Jupyter shows a Map as its rendering; a notebook asks for both, so a
    # displayed Map is rendered twice.
    def _repr_png_(self):
        return self.render_bytes("png")

    # A notebook inlines every displayed SVG in one page, where ids must be
    # unique: unless the caller chose a prefix, each display gets its own.
    def _repr_svg_(self):
        if self._svg_prefix is not None:
            return self.render_bytes("svg").decode("utf-8")
        self._map_call(_L.dline_map_set_svg_id_prefix, f"dline{next(_displays)}-".encode())
        try:
            return self.render_bytes("svg").decode("utf-8")
        finally:
            self._map_call(_L.dline_map_set_svg_id_prefix, None)


def render(style, out, *, format=None, sets=None, **overrides):
    """Renders the style file at style to the file out.

    format is "png", "svg" or "pdf", or None for the extension of out; sets
    and keyword overrides change style values before the style is checked
    (see the module docstring), e.g.
    ``render("s.yaml", "o.png", size=[800, 600], **{"layers.sites.paint.circle-color": "#06c"})``.
    Raises DlineError when loading or rendering fails; nothing is left at
    out then.
    """
    fmt = _format(format, True)  # a bad name fails before any work
    with Map(style, sets=sets, **overrides) as m:
        m._render_call(_L.dline_map_render_file, _path(out), fmt)


def render_bytes(style, format="png", *, sets=None, **overrides):
    """Renders the style file at style into memory and returns the PNG, SVG
    (UTF-8) or PDF bytes; overrides as for render()."""
    _format(format, False)
    with Map(style, sets=sets, **overrides) as m:
        return m.render_bytes(format)
