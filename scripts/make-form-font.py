#!/usr/bin/env python3
"""Builds assets/fonts/LAFormSans-<Script>.ttf, the fonts the sheets' input
fields use for typed values (docs/decisions.md D30): each is DejaVu Sans
Condensed's Windows Latin-1 repertoire, rupee sign and punctuation, joined
with the Noto font of one script (its whole block,
without shaping tables: no viewer shapes typed values).

Needs fontTools (`pip install fonttools`); run from the repository root:
    python3 scripts/make-form-font.py
The output is committed, so builds never run this.
"""
import io

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

FONTS = "assets/fonts/"
# Windows-1252 as Unicode (what WinAnsiEncoding names), the rupee sign,
# the dotted circle viewers draw a lone mark on, and the joiners.
WIN_ANSI = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
LATIN = sorted(
    {ord(c) for c in WIN_ANSI.decode("cp1252", errors="ignore")}
    | {0x20B9, 0x25CC, 0x200C, 0x200D, 0x2212}
)
SCRIPTS = {
    "Devanagari": ("NotoSansDevanagari-Regular.ttf", [(0x900, 0x97F), (0xA8E0, 0xA8FF)]),
    "Bengali": ("NotoSansBengali-Regular.ttf", [(0x980, 0x9FF)]),
    "Gurmukhi": ("NotoSansGurmukhi-Regular.ttf", [(0xA00, 0xA7F)]),
    "Gujarati": ("NotoSansGujarati-Regular.ttf", [(0xA80, 0xAFF)]),
    "Oriya": ("NotoSansOriya-Regular.ttf", [(0xB00, 0xB7F)]),
    "Tamil": ("NotoSansTamil-Regular.ttf", [(0xB80, 0xBFF)]),
    "Telugu": ("NotoSansTelugu-Regular.ttf", [(0xC00, 0xC7F)]),
    "Kannada": ("NotoSansKannada-Regular.ttf", [(0xC80, 0xCFF)]),
    "Malayalam": ("NotoSansMalayalam-Regular.ttf", [(0xD00, 0xD7F)]),
    "Arabic": ("NotoNaskhArabic-Regular.ttf", [(0x600, 0x6FF)]),
}
# Ranges of the Indian scripts' own digits are inside their blocks; the
# Devanagari danda and double danda (U+0964, U+0965) serve every Indian script.
DANDAS = [0x964, 0x965]


def cut(path, unicodes, layout):
    font = TTFont(path)
    options = subset.Options()
    options.layout_features = ["*"] if layout else []
    options.hinting = False
    options.drop_tables += ["FFTM", "MATH", "BASE"]
    if not layout:
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return font


def saved(font):
    buf = io.BytesIO()
    font.save(buf)
    buf.seek(0)
    return buf


def rename(font, script):
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16, 17):
            names.removeNames(nameID=record.nameID)
    family = f"LA Form Sans {script}"
    names.setName(family, 1, 3, 1, 0x409)
    names.setName(f"{family} Regular", 4, 3, 1, 0x409)
    names.setName(f"LAFormSans-{script}", 6, 3, 1, 0x409)
    names.setName(f"LAFormSans-{script};leads-assignment", 3, 3, 1, 0x409)
    font["post"].formatType = 3.0


def build(script):
    latin = cut(FONTS + "DejaVuSansCondensed.ttf", LATIN, layout=False)
    path, ranges = SCRIPTS[script]
    wanted = [c for lo, hi in ranges for c in range(lo, hi + 1)] + DANDAS
    other = cut(FONTS + path, wanted, layout=False)
    # Latin's own characters win (the script font's copies are dropped).
    keep = [c for c in other.getBestCmap() if c not in set(LATIN)]
    other = cut(saved(other), keep, layout=False)
    scale_upem(other, latin["head"].unitsPerEm)
    merged = Merger().merge([saved(latin), saved(other)])
    rename(merged, script)
    merged.save(FONTS + f"LAFormSans-{script}.ttf")


def main():
    for script in SCRIPTS:
        build(script)


if __name__ == "__main__":
    main()
