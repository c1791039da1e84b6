"""The letter's fonts, embedded as subsets: a PDF that any reader shows, with or without a
Chinese font of its own.

The faces are Noto Serif CJK SC (body, as 仿宋 would be; bold for the title, as 小标宋) and Noto
Sans CJK SC Bold (headings, as 黑体), from Debian's `fonts-noto-cjk` (the CI script and the
Dockerfile install it; `KUAIBAN_CJK_FONT_DIR` names another folder holding the same files).
They are CFF-outline collections (.ttc) that ReportLab cannot embed, so for each letter the
characters it uses are cut out with fontTools and their outlines converted to TrueType
quadratics: a few hundred glyphs, well under a second per face.
"""
from __future__ import annotations

import copy
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from eventlet import patcher
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as ReportLabFont

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/opentype/noto-cjk",
             "/usr/share/fonts/noto-cjk")
# Maximum error of the cubic-to-quadratic conversion, in font units (of 1000 per em).
CONVERSION_TOLERANCE = 1.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Face:
    role: str  # the name the letter uses
    filename: str
    family: str


FACES = (
    Face("body", "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    Face("title", "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
    Face("heading", "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
)
FAMILY_OF = {face.filename: face.family for face in FACES}


class FontMissing(RuntimeError):
    """The CJK fonts are not installed: the letter cannot be set (never with an empty box)."""


def font_file(face: Face) -> Path:
    dirs = [os.environ["KUAIBAN_CJK_FONT_DIR"]] if os.environ.get("KUAIBAN_CJK_FONT_DIR") else []
    for folder in [*dirs, *FONT_DIRS]:
        path = Path(folder) / face.filename
        if path.is_file():
            return path
    raise FontMissing(f"{face.filename} not found in {[*dirs, *FONT_DIRS]}: "
                      "install Debian's fonts-noto-cjk or set KUAIBAN_CJK_FONT_DIR")


def collection_index(path: Path, family: str) -> int:
    """Which font of the collection is the Simplified Chinese one."""
    with TTCollection(str(path), lazy=True) as collection:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return index
    raise FontMissing(f"{path} holds no {family}")


# A real lock (not eventlet's green one): the fonts are read and set in OS threads (tpool).
_lock = patcher.original("threading").Lock()
_registered: dict[str, int] = {}


_opened: dict[Path, TTFont] = {}
_converted: dict[tuple[Path, str], object] = {}  # (face, glyph name) -> its TrueType glyph


def opened(path: Path) -> TTFont:
    """The face, read once per process (lazily: only the glyphs asked for are decoded)."""
    if path not in _opened:
        font = TTFont(str(path), fontNumber=collection_index(path, FAMILY_OF[path.name]),
                      lazy=True)
        font.getBestCmap()  # the tables every letter needs, decoded once
        font.getGlyphSet()
        font["hmtx"]
        _opened[path] = font
    return _opened[path]


def truetype_glyph(path: Path, name: str):
    """One outline in quadratic curves, converted once per process."""
    key = (path, name)
    if key not in _converted:
        pen = TTGlyphPen(None)
        opened(path).getGlyphSet()[name].draw(
            Cu2QuPen(pen, CONVERSION_TOLERANCE, reverse_direction=True))
        _converted[key] = pen.glyph()
    return copy.deepcopy(_converted[key])


def truetype_subset(path: Path, text: str, tag: str = "") -> bytes:
    """The glyphs `text` needs from a CFF font, as a small TrueType font ReportLab can embed:
    each outline converted from cubic to quadratic curves, metrics and names kept. `tag` makes
    its PostScript name its own: ReportLab keeps one face per name, and a second subset under
    the same name would be set with the first one's glyphs."""
    source = opened(path)
    cmap = source.getBestCmap()
    metrics = source["hmtx"].metrics
    characters = sorted({ord(ch) for ch in text + " 　—0123456789"} & set(cmap))
    order = [".notdef"] + sorted({cmap[c] for c in characters} - {".notdef"})
    glyphs = {name: truetype_glyph(path, name) for name in order}
    names = source["name"]
    family = names.getDebugName(1)
    style = names.getDebugName(2)
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({c: cmap[c] for c in characters})
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: metrics[name] for name in order})
    hhea = source["hhea"]
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    builder.setupNameTable({"familyName": family, "styleName": style,
                            "psName": f"{names.getDebugName(6)}{tag}",
                            "copyright": names.getDebugName(0) or "",
                            "licenseDescription": names.getDebugName(13) or ""})
    os2 = source["OS/2"]
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent,
                     fsType=0, usWeightClass=os2.usWeightClass)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def register_for(texts: dict[str, str]) -> dict[str, str]:
    """Register each face cut to the text it sets ({role: text}); ReportLab names by role."""
    names = {}
    with _lock:
        for face in FACES:
            text = texts.get(face.role, "")
            path = font_file(face)
            digest = hashlib.sha1(text.encode()).hexdigest()[:12]
            name = f"{face.role}-{digest}"
            if name not in _registered:
                pdfmetrics.registerFont(ReportLabFont(
                    name, io.BytesIO(truetype_subset(path, text, f"-{digest}"))))
                _registered[name] = 1
                if len(_registered) > 300:  # a long-running service: forget the oldest
                    oldest = next(iter(_registered))
                    _registered.pop(oldest)
                    pdfmetrics._fonts.pop(oldest, None)
            names[face.role] = name
    return names


def warm(text: str) -> None:
    """Read the faces and convert the glyphs of the letter's fixed wording before the first
    letter is asked for (a service's start), so that a letter is set within the gateway's
    time; a machine without the fonts logs it here, at start."""
    try:
        register_for({face.role: text for face in FACES})
    except FontMissing as exc:
        log.error("the reply letter cannot be set: %s", exc)
