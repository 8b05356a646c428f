#!/usr/bin/env python3
"""Public items of the library crates that nothing outside their crate names.

usage: scripts/unused-pub.py [ROOT] [--list]

An item is a `pub` fn, struct, enum, const, static, trait, type or mod (not
`pub(crate)`) declared in a library crate's `src/` (`crates/*/src`, the
facade's `src/`). It counts as used when its name appears as a word in any
Rust file outside that `src/` (the crate's own tests and examples, other
crates, the binary). A textual count: a name shared with something else
counts as used, so the figure is a lower bound.
"""

import pathlib
import re
import sys

DECL = re.compile(
    r"^\s*pub\s+(?:unsafe\s+|const\s+(?=fn)|async\s+)*(fn|struct|enum|const|static|trait|type|mod)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.M,
)
BINARIES = {"la-cli"}


def rust_files(root):
    return [p for p in root.rglob("*.rs") if "target" not in p.parts]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = pathlib.Path(args[0] if args else ".").resolve()
    listing = "--list" in sys.argv
    files = {p: p.read_text(encoding="utf-8") for p in rust_files(root)}
    srcs = [root / "src"] + [
        c / "src" for c in sorted((root / "crates").iterdir()) if c.name not in BINARIES
    ]
    total = unused = 0
    for src in srcs:
        inside = [p for p in files if src in p.parents]
        outside = "\n".join(t for p, t in files.items() if src not in p.parents)
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", outside))
        for p in inside:
            for m in DECL.finditer(files[p]):
                total += 1
                if m.group(2) not in words:
                    unused += 1
                    if listing:
                        line = files[p].count("\n", 0, m.start()) + 1
                        print(f"{p.relative_to(root)}:{line}: {m.group(1)} {m.group(2)}")
    print(f"{unused} of {total} public items are named nowhere outside their crate")


if __name__ == "__main__":
    main()
