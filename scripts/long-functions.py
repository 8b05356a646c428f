#!/usr/bin/env python3
"""Functions longer than N lines in a tree's Rust sources (not tests,
examples or `#[cfg(test)]` modules): from a `fn` line to its closing brace.

    python3 scripts/long-functions.py . 60
"""
import os, re, sys
root, limit = sys.argv[1], int(sys.argv[2])
out = []
for d, _, files in os.walk(root):
    if '/target' in d or '/.git' in d or '/tests' in d or '/examples' in d:
        continue
    for f in files:
        if not f.endswith('.rs'):
            continue
        p = os.path.join(d, f)
        lines = open(p, encoding='utf-8').read().split('\n')
        in_tests = False
        i = 0
        while i < len(lines):
            l = lines[i]
            if re.match(r'\s*#\[cfg\(test\)\]', l):
                break
            m = re.match(r'\s*(pub(\([a-z]+\))? )?(const )?(async )?fn (\w+)', l)
            if m:
                depth, started, j = 0, False, i
                while j < len(lines):
                    depth += lines[j].count('{') - lines[j].count('}')
                    if '{' in lines[j]:
                        started = True
                    if started and depth <= 0:
                        break
                    if not started and lines[j].rstrip().endswith(';'):
                        break
                    j += 1
                n = j - i + 1
                if started and n > limit:
                    out.append((n, p.replace(root + '/', ''), m.group(5)))
                i = j + 1 if started else i + 1
                continue
            i += 1
for n, p, name in sorted(out, reverse=True):
    print(n, p, name)
print(len(out), 'functions over', limit, 'lines')
