"""Tests of the Python binding (src/python/dline) against the shared library.

Run by ctest (python.binding) from tests/ with DLINE_LIBRARY, PYTHONPATH and
the pinned fonts set; the paths below are taken from this file, so it also
runs from elsewhere with those variables.
"""

import gc
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings
import zlib

import dline

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, os.path.join(TESTS, "cli"))
import tiles_png  # noqa: E402  (the PNG decoder the CLI tests use)
FLAGSHIP = os.path.join(ROOT, "styles", "digital-line.yaml")
PACKAGE = os.path.dirname(os.path.abspath(dline.__file__))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# tests/data/points.shp: four points, lon 120.92-121.124, lat 31.04-31.15.
INLINE = """\
size: [400, 300]
crs: EPSG:3857
fit: {layers: [points], padding: 20}
background: "#ffffff"
sources:
  pts: data/points.shp
layers:
  - id: points
    type: circle
    source: pts
    paint: {circle-radius: 8, circle-color: "#d1402b"}
  - id: names
    type: symbol
    source: pts
    layout: {text-field: "{NAME}", text-size: 12}
"""


def png_header(data):
    """(width, height, bit depth, colour type) from a PNG's IHDR, checking the
    signature, the chunk's place and its CRC."""
    if data[:8] != PNG_SIGNATURE:
        raise AssertionError(f"not a PNG signature: {data[:8]!r}")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise AssertionError(f"first chunk is {kind!r} of {length} bytes, not IHDR")
    body = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    if zlib.crc32(kind + body) != crc:
        raise AssertionError("IHDR CRC does not match")
    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    return width, height, depth, colour


def png_pixels(data):
    """The pixels of an 8-bit RGB or RGBA PNG as a set of (r, g, b) and the
    list of RGBA rows, decoded by tests/cli/tiles_png.py."""
    _, _, rows = tiles_png.decode(data)
    colours = set()
    for row in rows:
        for x in range(0, len(row), 4):
            colours.add(tuple(row[x:x + 3]))
    return colours, rows


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dline-py-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def test_flagship_png_file_has_the_style_size(self):
        with dline.Map(FLAGSHIP) as m:
            width, height = m.size
        # The style says size: [1600, 1100] at dpi 96.
        self.assertEqual((width, height), (1600, 1100))
        out = os.path.join(self.tmp, "qingpu.png")
        dline.render(FLAGSHIP, out)
        with open(out, "rb") as f:
            data = f.read()
        self.assertEqual(png_header(data)[:2], (round(width), round(height)))
        # Written under a temporary name and renamed: nothing else is left.
        self.assertEqual(os.listdir(self.tmp), ["qingpu.png"])

    def test_render_with_explicit_format(self):
        out = os.path.join(self.tmp, "map.bin")
        dline.render(FLAGSHIP, out, format="svg", size=[320, 240])
        with open(out, "rb") as f:
            self.assertIn(b"<svg", f.read(4096))
        with self.assertRaises(ValueError):
            dline.render(FLAGSHIP, out, format="gif")
        with self.assertRaises(dline.DlineError) as cm:
            dline.render(FLAGSHIP, os.path.join(self.tmp, "map.txt"))
        self.assertEqual(cm.exception.status, dline.Status.EUSAGE)

    def test_render_bytes_formats(self):
        png = dline.render_bytes(FLAGSHIP, "png")
        self.assertEqual(png_header(png)[:2], (1600, 1100))
        svg = dline.render_bytes(FLAGSHIP, "svg")
        self.assertTrue(svg.startswith(b"<?xml"), svg[:40])
        self.assertIn(b"<svg", svg[:1000])
        self.assertTrue(svg.rstrip().endswith(b"</svg>"))
        self.assertNotIn(b"\0", svg)
        pdf = dline.render_bytes(FLAGSHIP, "pdf", size=[320, 240])
        self.assertTrue(pdf.startswith(b"%PDF-"), pdf[:16])
        self.assertTrue(pdf.rstrip().endswith(b"%%EOF"))
        with self.assertRaises(ValueError):
            dline.render_bytes(FLAGSHIP, None)

    def test_size_override(self):
        png = dline.render_bytes(FLAGSHIP, "png", size=[320, 240])
        self.assertEqual(png_header(png)[:2], (320, 240))
        png = dline.render_bytes(FLAGSHIP, "png", sets=["size=[300, 200]"])
        self.assertEqual(png_header(png)[:2], (300, 200))
        with dline.Map(FLAGSHIP, sets={"size": (640, 480)}) as m:
            self.assertEqual(m.size, (640, 480))

    def test_paint_override_changes_pixels(self):
        small = {"size": [320, 240]}
        red = dline.render_bytes(FLAGSHIP, "png", **small)
        blue = dline.render_bytes(FLAGSHIP, "png", **small,
                                  **{"layers.sites.paint.circle-color": "#06c"})
        self.assertNotEqual(red, blue)
        red_colours, red_rows = png_pixels(red)
        blue_colours, blue_rows = png_pixels(blue)
        self.assertEqual(len(red_rows), 240)
        # The sites' fill, #d1402b, becomes #0066cc.
        self.assertIn((0xD1, 0x40, 0x2B), red_colours)
        self.assertNotIn((0x00, 0x66, 0xCC), red_colours)
        self.assertIn((0x00, 0x66, 0xCC), blue_colours)
        # The same override as a --set string gives the same bytes.
        again = dline.render_bytes(FLAGSHIP, "png", sets=["layers.sites.paint.circle-color=#06c"],
                                   **small)
        self.assertEqual(again, blue)

    def test_keyword_paths_and_values(self):
        # Double underscores are dots; a dict is a flow mapping, so the lake's
        # paint becomes exactly this.
        lake = dline.render_bytes(FLAGSHIP, "png", size=(320, 240),
                                  layers__lake__paint={"fill-color": "#00ff00"})
        colours, _ = png_pixels(lake)
        self.assertIn((0, 255, 0), colours)
        # Single underscores stay: the style has no key scale_bar, and dline
        # says which one it meant.
        with self.assertRaises(dline.DlineError) as cm:
            dline.Map(FLAGSHIP, scale_bar=False)
        self.assertIn("scale_bar", cm.exception.message)
        self.assertIn("scale-bar", cm.exception.message)

    def test_override_strings(self):
        s = dline._set_string
        self.assertEqual(s("size", [800, 600]), "size=[800, 600]")
        self.assertEqual(s("dpi", 150.5), "dpi=150.5")
        self.assertEqual(s("a.b-c", "#06c"), "a.b-c=#06c")
        self.assertEqual(s("scale-bar", False), "scale-bar=false")
        self.assertEqual(s("x", None), "x=null")
        self.assertEqual(s("f", ["Noto Sans", 'a"b\\', "x\ny"]),
                         'f=["Noto Sans", "a\\"b\\\\", "x\\u000ay"]')
        self.assertEqual(s("p", {"fill-color": "#fff", "o": 0.5}),
                         'p={"fill-color": "#fff", "o": 0.5}')
        self.assertEqual(dline._keyword_path("layers__my_layer__paint"), "layers.my_layer.paint")
        with self.assertRaises(ValueError):
            s("dpi", float("nan"))
        with self.assertRaises(TypeError):
            s("dpi", object())
        with self.assertRaises(TypeError):
            dline.Map(FLAGSHIP, sets="size=[1, 1]")

    def test_from_string_layers_extent(self):
        name = os.path.join(TESTS, "inline.yaml")  # data/points.shp is relative to it
        with dline.Map.from_string(INLINE, name=name) as m:
            self.assertEqual(m.layers, [("points", "circle"), ("names", "symbol")])
            self.assertEqual(m.size, (400, 300))
            minlon, minlat, maxlon, maxlat = m.extent()
            # The points' box, padded and grown to 4:3, and no more.
            self.assertLess(minlon, 120.92)
            self.assertLess(minlat, 31.04)
            self.assertGreater(maxlon, 121.124)
            self.assertGreater(maxlat, 31.15)
            self.assertGreater(minlon, 120.8)
            self.assertGreater(minlat, 30.95)
            self.assertLess(maxlon, 121.25)
            self.assertLess(maxlat, 31.25)
            png = m.render_bytes("png")
        self.assertEqual(png_header(png)[:2], (400, 300))
        self.assertIn((0xD1, 0x40, 0x2B), png_pixels(png)[0])

    def test_flagship_layers_and_extent(self):
        with open(FLAGSHIP, encoding="utf-8") as f:
            ids = [line.split("id:", 1)[1].strip() for line in f if line.startswith("  - id:")]
        with dline.Map(FLAGSHIP) as m:
            layers = m.layers
            box = m.extent()
        self.assertEqual([i for i, _ in layers], ids)
        self.assertIn(("sites", "circle"), layers)
        self.assertIn(("site-labels", "symbol"), layers)
        self.assertIn(("qingpu-fill", "fill"), layers)
        # Qingpu District: about 120.9-121.3 E, 30.95-31.25 N.
        minlon, minlat, maxlon, maxlat = box
        self.assertTrue(120.5 < minlon < 120.95 and 121.2 < maxlon < 121.6, box)
        self.assertTrue(30.7 < minlat < 31.0 and 31.2 < maxlat < 31.5, box)

    def test_setters(self):
        with dline.Map(FLAGSHIP) as m:
            m.set_size(200, 150)
            self.assertEqual(m.size, (200, 150))
            m.set_dpi(192)
            self.assertEqual(png_header(m.render_bytes("png"))[:2], (400, 300))
            m.set_dpi(96)
            m.set_threads(1)
            one = m.render_bytes("png")
            m.set_threads(2)
            self.assertEqual(m.render_bytes("png"), one)
            m.set_extent(120.9, 31.0, 121.1, 31.15)
            lo = m.extent()
            self.assertTrue(lo[0] <= 120.9 and lo[2] >= 121.1 and lo[2] - lo[0] < 0.3, lo)
            west = m.render_bytes("png")
            self.assertNotEqual(west, one)
            m.set_extent([120.9, 31.0, 121.1, 31.15])
            self.assertEqual(m.extent(), lo)
            m.set_crs("EPSG:3857")
            self.assertNotEqual(m.render_bytes("png"), west)
            m.set_paper("A5:landscape")
            self.assertAlmostEqual(m.size[0], 210 / 25.4 * 96, places=3)
            m.set_png_compression(9)
            m.set_max_pixels(1000)
            with self.assertRaises(dline.DlineError) as cm:
                m.render_bytes("png")
            self.assertEqual(cm.exception.status, dline.Status.ENOMEM)
            m.set_creation_time(0)
            pdf = m.render_bytes("pdf")
            # Cairo 1.16 writes the date without PDF's "D:" prefix.
            self.assertIn(b"/CreationDate (19700101000000Z)", pdf[-2048:])
            with self.assertRaises(ValueError):
                m.set_size(2**32 + 200, 150)  # would wrap to 200 in a C int
            with self.assertRaises(ValueError):
                m.set_max_pixels(-1)

    def test_cache_dir(self):
        folder = os.path.join(self.tmp, "cache", "dline")
        with dline.Map(FLAGSHIP) as m:
            m.set_size(320, 220)
            plain = m.render_bytes("png")
        with dline.Map(FLAGSHIP) as m:
            m.set_size(320, 220)
            m.set_cache_dir(folder)
            self.assertEqual(m.render_bytes("png"), plain)
        kept = [f for f in os.listdir(folder) if f.startswith("proj-")]
        self.assertEqual(len(kept), 1, kept)
        with dline.Map(FLAGSHIP) as m:  # read back, the same bytes
            m.set_size(320, 220)
            m.set_cache_dir(folder)
            self.assertEqual(m.render_bytes("png"), plain)
            m.set_cache_dir(None)
            with self.assertRaises(TypeError):
                m.set_cache_dir(3)

    def test_debug_labels(self):
        out = os.path.join(self.tmp, "labels.json")
        with dline.Map.from_string(INLINE, name=os.path.join(TESTS, "inline.yaml")) as m:
            m.set_debug_labels(out)
            m.render_bytes("png")
        with open(out, encoding="utf-8") as f:
            self.assertIn('"layer": "names"', f.read())


class InterruptTest(unittest.TestCase):
    # Ctrl-C during a render: KeyboardInterrupt, and no file. The child
    # says when the render starts; SIGINT follows 0.2 s later, well before
    # the render (a 10000 x 6875 px PNG, over a second even in a Release
    # build) would end, and a render that were not cancelled would write
    # its file before the interrupt could be raised.
    def test_ctrl_c_cancels_a_render(self):
        import signal
        import time
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "big.png")
            code = (
                "import sys, dline\n"
                "m = dline.Map(sys.argv[1])\n"
                "m.set_dpi(600)\n"
                "print('rendering', flush=True)\n"
                "try:\n"
                "    m.render(sys.argv[2])\n"
                "except KeyboardInterrupt:\n"
                "    print('interrupted', flush=True)\n"
                "    sys.exit(3)\n"
                "print('finished', flush=True)\n"
            )
            p = subprocess.Popen([sys.executable, "-c", code, FLAGSHIP, out],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.stdout.readline(), "rendering\n")
            time.sleep(0.2)
            p.send_signal(signal.SIGINT)
            rest, err = p.communicate(timeout=120)
            self.assertEqual((p.returncode, rest), (3, "interrupted\n"), err)
            self.assertEqual(os.listdir(tmp), [])

    def test_render_in_another_thread_is_direct(self):
        # Off the main thread there is no signal to wait for: the call is made
        # on that thread, and gives the same bytes.
        with dline.Map(FLAGSHIP, size=[320, 240]) as m:
            here = m.render_bytes("png")
            box = []
            t = threading.Thread(target=lambda: box.append(m.render_bytes("png")))
            t.start()
            t.join()
            self.assertEqual(box, [here])


class ErrorTest(unittest.TestCase):
    BAD = INLINE.replace("circle-color:", "circle-colour:")

    def where(self, text):
        lines = text.splitlines()
        for n, line in enumerate(lines, 1):
            if "circle-colour" in line:
                return n, line.index("circle-colour") + 1
        raise AssertionError("no mistake in the text")

    def test_bad_style_from_string(self):
        name = os.path.join(TESTS, "bad-inline.yaml")
        line, col = self.where(self.BAD)
        with self.assertRaises(dline.DlineError) as cm:
            dline.Map.from_string(self.BAD, name=name)
        e = cm.exception
        self.assertIsInstance(e, Exception)
        self.assertEqual(e.status, dline.Status.ESTYLE)
        self.assertEqual(int(e.status), 4)
        self.assertEqual(e.status_name, "style error")
        self.assertTrue(e.message.startswith(f"{name}:{line}:{col}: unknown property "
                                             "'circle-colour'"), e.message)
        self.assertIn("did you mean 'circle-color'", str(e))

    def test_bad_style_file(self):
        # A mistake on another line than in the inline text: the position
        # comes from the file.
        text = "# a comment\n\n" + self.BAD.replace("    paint: {circle", "    paint:   {circle")
        line, col = self.where(text)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            with self.assertRaises(dline.DlineError) as cm:
                dline.render(path, os.path.join(tmp, "bad.png"))
            self.assertEqual(os.listdir(tmp), ["bad.yaml"])
        self.assertEqual(cm.exception.status, dline.Status.ESTYLE)
        self.assertIn(f"{path}:{line}:{col}:", cm.exception.message)

    def test_missing_file(self):
        missing = os.path.join(TESTS, "no-such-style.yaml")
        for call in (lambda: dline.Map(missing),
                     lambda: dline.render_bytes(missing),
                     lambda: dline.render(missing, os.path.join(TESTS, "never.png"))):
            with self.assertRaises(dline.DlineError) as cm:
                call()
            self.assertEqual(cm.exception.status, dline.Status.EIO)
            self.assertEqual(cm.exception.status_name, "input/output error")
            self.assertTrue(cm.exception.message.startswith(missing + ": "), cm.exception.message)
        self.assertFalse(os.path.exists(os.path.join(TESTS, "never.png")))

    def test_missing_source(self):
        with self.assertRaises(dline.DlineError) as cm:
            with dline.Map.from_string(INLINE, name="/nonexistent/inline.yaml") as m:
                m.render_bytes("png")
        self.assertIn("/nonexistent/data/points.shp", cm.exception.message)

    def test_each_error_is_its_own(self):
        # The C context keeps its first error until cleared: the binding
        # clears it before each call, so a later error is reported as itself.
        with dline.Map(FLAGSHIP) as m:
            with self.assertRaises(dline.DlineError) as cm:
                m.set_threads(0)
            self.assertIn("--threads 0", cm.exception.message)
            self.assertEqual(cm.exception.status, dline.Status.EUSAGE)
            with self.assertRaises(dline.DlineError) as cm:
                m.set_dpi(-1)
            self.assertIn("dpi -1", cm.exception.message)
            m.set_size(100, 80)  # works after the errors
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the graticule does not fit
                self.assertEqual(png_header(m.render_bytes("png"))[:2], (100, 80))

    def test_bad_override(self):
        with self.assertRaises(dline.DlineError) as cm:
            dline.Map(FLAGSHIP, **{"layers.sitez.paint.circle-color": "#06c"})
        self.assertEqual(cm.exception.status, dline.Status.EUSAGE)
        self.assertIn("did you mean 'sites'", cm.exception.message)


class WarningTest(unittest.TestCase):
    def style(self):
        return INLINE.replace("text-size: 12}", "text-size: 12, text-font: [No Such Font]}")

    def test_font_warning(self):
        name = os.path.join(TESTS, "inline.yaml")
        with dline.Map.from_string(self.style(), name=name) as m:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                m.render_bytes("png")
        found = [w for w in caught if issubclass(w.category, dline.DlineWarning)]
        self.assertEqual(len(found), 1, [str(w.message) for w in caught])
        self.assertTrue(str(found[0].message).startswith(
            "font 'No Such Font' is not installed; using "), found[0].message)
        # Attributed to the caller, not to the binding.
        self.assertEqual(found[0].filename, __file__)

    def test_warning_as_error(self):
        with dline.Map.from_string(self.style(), name=os.path.join(TESTS, "inline.yaml")) as m:
            with warnings.catch_warnings():
                warnings.simplefilter("error", dline.DlineWarning)
                with self.assertRaises(dline.DlineWarning):
                    m.render_bytes("png")
            # The Map is still usable, and warns again.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                m.render_bytes("png")
            self.assertEqual(len(caught), 1)

    def test_warning_hook_may_use_the_map(self):
        # Warnings are issued once the Map's lock is released: a hook that
        # asks the Map something must not wait for itself.
        m = dline.Map.from_string(self.style(), name=os.path.join(TESTS, "inline.yaml"))
        seen, done = [], []

        def hook(message, category, filename, lineno, file=None, line=None):
            seen.append((str(message)[:28], m.size))

        def work():
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                warnings.showwarning = hook
                m.render_bytes("png")
            done.append(True)

        t = threading.Thread(target=work, daemon=True)
        t.start()
        t.join(60)
        self.assertEqual(done, [True], "the render did not return: the hook waited for the Map")
        self.assertEqual(seen, [("font 'No Such Font' is not i", (400, 300))])
        m.close()

    def test_callback_outlives_garbage_collection(self):
        # The ctypes callback is referenced only by the binding: were it
        # collected while the C context holds it, the next warning would call
        # freed memory. Many Maps, collections in between, warnings from both
        # of a render's threads' setup, and from a second thread.
        maps = [dline.Map.from_string(self.style(), name=os.path.join(TESTS, "inline.yaml"))
                for _ in range(4)]
        gc.collect()
        counts = []

        def work(m):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                m.render_bytes("png")
            counts.append(sum(issubclass(w.category, dline.DlineWarning) for w in caught))

        for m in maps:
            gc.collect()
            work(m)
        t = threading.Thread(target=work, args=(maps[0],))
        t.start()
        t.join()
        for m in maps:
            m.close()
        self.assertEqual(counts, [1] * 5)


class MapObjectTest(unittest.TestCase):
    def test_repr_png_and_svg(self):
        with dline.Map(FLAGSHIP, size=[320, 240]) as m:
            png = m._repr_png_()
            svg = m._repr_svg_()
        self.assertIsInstance(png, bytes)
        self.assertEqual(png_header(png)[:2], (320, 240))
        self.assertIsInstance(svg, str)
        self.assertIn("<svg", svg)

    def test_svg_id_prefix(self):
        import re
        ids = lambda svg: re.findall(r' id="([^"]*)"', svg)
        with dline.Map(FLAGSHIP, size=[320, 240]) as m:
            plain = m.render_bytes("svg").decode()
            # Two displays in one notebook page: no id in common.
            a, b = m._repr_svg_(), m._repr_svg_()
            self.assertTrue(ids(plain))
            self.assertFalse(set(ids(a)) & set(ids(b)))
            self.assertFalse(set(ids(a)) & set(ids(plain)))
            m.set_svg_id_prefix("fig2-")
            mine = m.render_bytes("svg").decode()
            self.assertEqual(m._repr_svg_(), mine)  # the caller's prefix is kept
            self.assertEqual(ids(mine), ["fig2-" + i for i in ids(plain)])
            self.assertIn('clip-path="url(#fig2-clip', mine)
            with self.assertRaises(dline.DlineError) as cm:
                m.set_svg_id_prefix("2fig")
            self.assertIn("--svg-id-prefix '2fig' is not an id prefix", str(cm.exception))
            m.set_svg_id_prefix(None)
            self.assertEqual(m.render_bytes("svg").decode(), plain)

    def test_close_twice_and_use_after_close(self):
        m = dline.Map(FLAGSHIP)
        self.assertFalse(m.closed)
        m.close()
        m.close()
        self.assertTrue(m.closed)
        self.assertIn("closed", repr(m))
        with self.assertRaises(ValueError):
            m.render_bytes("png")
        with self.assertRaises(ValueError):
            m.layers
        with dline.Map(FLAGSHIP) as m2:
            self.assertTrue(m2.layers)
        self.assertTrue(m2.closed)
        m2.close()
        del m, m2
        gc.collect()

    def test_maps_are_independent(self):
        a = dline.Map(FLAGSHIP, size=[100, 100])
        b = dline.Map(FLAGSHIP)
        a.set_size(120, 90)
        self.assertEqual(b.size, (1600, 1100))
        with self.assertRaises(dline.DlineError):
            a.set_threads(0)
        b.set_threads(1)  # b's context holds no error of a's
        a.close()
        self.assertEqual(b.size, (1600, 1100))
        b.close()


class LibraryLoadingTest(unittest.TestCase):
    """The library search order, on installed-looking trees in a temporary
    folder: a child interpreter imports dline from there and says what it
    loaded."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dline-py-install-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.real = dline._lib.path

    def loaded(self, pythonpath, env_library=None):
        env = dict(os.environ)
        env.pop("DLINE_LIBRARY", None)
        if env_library:
            env["DLINE_LIBRARY"] = env_library
        env["PYTHONPATH"] = pythonpath
        r = subprocess.run(
            [sys.executable, "-c", "import dline; print(dline._lib.path)"],
            env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip(), r.stderr

    def install(self, site):
        shutil.copytree(PACKAGE, os.path.join(site, "dline"),
                        ignore=shutil.ignore_patterns("__pycache__"))

    def link(self, folder):
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, "libdline.so.0")
        os.symlink(os.path.abspath(self.real), target)
        return target

    def test_multiarch_then_lib(self):
        prefix = os.path.join(self.tmp, "usr")
        site = os.path.join(prefix, "lib", "python3", "dist-packages")
        self.install(site)
        plain = self.link(os.path.join(prefix, "lib"))
        self.assertEqual(self.loaded(site)[0], plain)
        import sysconfig
        multiarch = self.link(os.path.join(prefix, "lib", sysconfig.get_config_var("MULTIARCH")))
        self.assertEqual(self.loaded(site)[0], multiarch)
        beside = self.link(os.path.join(site, "dline"))
        self.assertEqual(self.loaded(site)[0], beside)
        # DLINE_LIBRARY comes first.
        self.assertEqual(self.loaded(site, env_library=self.real)[0], self.real)

    def test_site_packages_layout(self):
        prefix = os.path.join(self.tmp, "venv")
        site = os.path.join(prefix, "lib", "python3.11", "site-packages")
        self.install(site)
        plain = self.link(os.path.join(prefix, "lib"))
        self.assertEqual(self.loaded(site)[0], plain)

    def test_missing_library_named(self):
        env = dict(os.environ, DLINE_LIBRARY=os.path.join(self.tmp, "nope.so"))
        r = subprocess.run([sys.executable, "-c", "import dline"], env=env,
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError: dline: DLINE_LIBRARY=", r.stderr)

    def test_nothing_found(self):
        import ctypes.util
        if ctypes.util.find_library("dline"):
            self.skipTest("a libdline is installed where the linker finds it")
        site = os.path.join(self.tmp, "lib", "python3", "dist-packages")
        self.install(site)
        env = dict(os.environ, PYTHONPATH=site)
        env.pop("DLINE_LIBRARY", None)
        r = subprocess.run([sys.executable, "-c", "import dline"], env=env,
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot find libdline.so.0; tried DLINE_LIBRARY (not set), "
                      + os.path.join(site, "dline", "libdline.so.0"), r.stderr)

    def test_this_run_loaded_the_named_library(self):
        wanted = os.environ.get("DLINE_LIBRARY")
        if not wanted:
            self.skipTest("DLINE_LIBRARY is not set")
        self.assertEqual(dline._lib.path, wanted)


if __name__ == "__main__":
    unittest.main()
