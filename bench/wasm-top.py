#!/usr/bin/env python3
"""Lists the largest functions of a wasm module by body size, with their names (from the
`name` section), to see what each dependency costs. Usage: bench/wasm-top.py <file.wasm> [N]"""
import sys

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80:
            return r, i

def demangle(name):
    """`_ZN8reftrail6cookie6decode17h…E` → `reftrail::cookie::decode` (Rust's legacy mangling,
    which the module's names use since no wasm-bindgen pass rewrites them); others unchanged."""
    if not (name.startswith('_ZN') and name.endswith('E')):
        return name
    i, parts = 3, []
    while i < len(name) - 1 and name[i].isdigit():
        j = i
        while name[j].isdigit():
            j += 1
        l = int(name[i:j]); parts.append(name[j:j + l]); i = j + l
    if parts and parts[-1].startswith('h') and len(parts[-1]) == 17:
        parts.pop()
    out = '::'.join(parts)
    for code, ch in (('$LT$', '<'), ('$GT$', '>'), ('$u20$', ' '), ('$RF$', '&'), ('$C$', ','), ('..', '::'), ('$u7b$', '{'), ('$u7d$', '}')):
        out = out.replace(code, ch)
    return out

def main(path, n):
    b = open(path, 'rb').read()
    i, imports, bodies, names = 8, 0, [], {}
    while i < len(b):
        sid = b[i]; i += 1
        size, i = leb(b, i); end = i + size
        if sid == 2:  # imports: count function imports
            cnt, j = leb(b, i)
            for _ in range(cnt):
                for _ in range(2):
                    l, j = leb(b, j); j += l
                kind = b[j]; j += 1
                if kind == 0: _, j = leb(b, j); imports += 1
                elif kind == 1: j += 1; fl = b[j]; j += 1; _, j = leb(b, j); j = leb(b, j)[1] if fl & 1 else j
                elif kind == 2: fl = b[j]; j += 1; _, j = leb(b, j); j = leb(b, j)[1] if fl & 1 else j
                elif kind == 3: j += 2
                elif kind == 4: j += 1; _, j = leb(b, j)
        elif sid == 10:
            cnt, j = leb(b, i)
            for _ in range(cnt):
                l, j = leb(b, j); bodies.append(l); j += l
        elif sid == 0:
            l, j = leb(b, i); nm = b[j:j + l].decode(); j += l
            if nm == 'name':
                while j < end:
                    sub = b[j]; j += 1
                    sl, j = leb(b, j); se = j + sl
                    if sub == 1:
                        cnt, j = leb(b, j)
                        for _ in range(cnt):
                            idx, j = leb(b, j); l, j = leb(b, j)
                            names[idx] = b[j:j + l].decode(errors='replace'); j += l
                    j = se
        i = end
    rows = sorted(((sz, names.get(k + imports, f'func{k + imports}')) for k, sz in enumerate(bodies)), reverse=True)
    print(f'{len(bodies)} functions, {sum(bodies)} bytes of code, {imports} imports')
    for sz, nm in rows[:n]:
        print(f'{sz:7d}  {demangle(nm)[:150]}')

main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
