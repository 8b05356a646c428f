#!/usr/bin/env python3
"""Builds assets/fonts/LAFormSans.ttf, the font the sheets' input fields use
for typed values (docs/decisions.md D24): DejaVu Sans Condensed's Latin-1,
punctuation and rupee sign, joined with Noto Sans Devanagari's Devanagari
block, without layout tables (viewers draw typed values unshaped).

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
LATIN = list(range(0x20, 0x7F)) + [0xA0,
    0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026, 0x20B9,
]
DEVANAGARI = list(range(0x900, 0x980)) + [0x200C, 0x200D, 0x25CC]


def cut(path, unicodes):
    font = TTFont(path)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "BASE", "FFTM", "MATH"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return font


def main():
    latin = cut(FONTS + "DejaVuSansCondensed.ttf", LATIN)
    deva = cut(FONTS + "NotoSansDevanagari-Regular.ttf", DEVANAGARI)
    scale_upem(deva, latin["head"].unitsPerEm)
    files = []
    for font in (latin, deva):
        buf = io.BytesIO()
        font.save(buf)
        buf.seek(0)
        files.append(buf)
    merged = Merger().merge(files)
    names = merged["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16):
            names.removeNames(nameID=record.nameID)
    names.setName("LA Form Sans", 1, 3, 1, 0x409)
    names.setName("LA Form Sans Regular", 4, 3, 1, 0x409)
    names.setName("LAFormSans", 6, 3, 1, 0x409)
    names.setName("LAFormSans;leads-assignment", 3, 3, 1, 0x409)
    merged["post"].formatType = 3.0
    merged.save(FONTS + "LAFormSans.ttf")


if __name__ == "__main__":
    main()
