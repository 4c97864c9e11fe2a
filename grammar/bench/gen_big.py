#!/usr/bin/env python3
"""Writes a large script of varied Python/conc code for measuring parse speed.

Usage: gen_big.py [LINES] > big.conc   (default about 50,000 lines)

The output is deterministic: the same LINES always give the same file. Every block
is valid Python 3.11, so CPython's compile() and `conc check` do the same work.
"""
import random
import sys

BLOCKS = [
    '''def compute_{n}(a, b=2, *args, scale: float = 1.5, **kw) -> float:
    """Docstring for compute_{n}: mixes arithmetic and calls."""
    total = 0
    for i in range(a):
        if i % 3 == 0 and not kw.get("skip"):
            total += i ** 2 - b * (i // 2) + scale
        elif i % 3 == 1:
            total -= (i << 1) | (i >> 2) & 0xff
        else:
            continue
    return total / max(1, len(args))
''',
    '''class Worker{n}(Base, metaclass=Meta):
    limit = {n}
    names = ["alpha", "beta", 'gamma', """delta"""]

    def __init__(self, name, *, queue=None):
        super().__init__()
        self.name = name
        self.queue = queue or []
        self.table = {{k: v for k, v in zip(self.names, range({n}))}}

    @property
    def size(self):
        return len(self.queue)

    async def run(self):
        async with self.lock as held:
            await self.step(held)
''',
    '''try:
    value_{n} = data[{n}:{n} + 10:2]
    result_{n} = [x * 2 for x in value_{n} if x > 0 if x != 3]
except (KeyError, IndexError) as exc:
    print(f"failed at {{exc!r}}: {{value_{n}[0]:>10}} and {{len(result_{n}) = }}")
    raise RuntimeError("bad") from exc
else:
    pairs_{n} = {{(i, j) for i in range(3) for j in range(i)}}
finally:
    cleanup({n})
''',
    '''with open("file_{n}.txt") as fh, lock:
    lines = [line.strip() for line in fh]
    mapping = dict(**defaults, extra={n}, other=lambda x, y=1: x + y)
    print("读取", len(lines), "行", sep=", ", end="\\n")
    gen = (w.upper() for w in lines if w)
    while lines and lines[-1] == "":
        lines.pop()
''',
    '''@decorator
@other.decorator(arg={n})
def handler_{n}(event, /, context=None):
    global counter
    counter += 1
    x = y = z = {n}
    a, *rest = [1, 2, 3, {n}]
    flag = x if y else z
    if (m := len(rest)) > 2:
        return m, flag
    assert x == y, "mismatch"
    return not flag or x is not None and y in rest
''',
    '''numbers_{n} = [
    1, 2.5, 3e10, 0x1F, 0o17, 0b1010, 1_000_000,
    -7, +8, ~9, 10 % 3, 2 ** 10, 7 // 2,
    "string", 'single', b"bytes", r"raw\\d+",
]
settings_{n} = {{"key": "value", "number": {n}, "nested": {{"a": [1, 2, {{"b": None}}]}}, "flag": True}}
message_{n} = "%s at %d" % ("name", {n}) + "{{}}".format({n}) + f"{{numbers_{n}[0]:.2f}}"
''',
]


def main():
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    rng = random.Random(42)
    out = ["import threading, time, queue", "from collections import defaultdict as dd", ""]
    lines = len(out)
    n = 0
    while lines < target:
        block = rng.choice(BLOCKS).format(n=n)
        out.append(block)
        lines += block.count("\n") + 1
        n += 1
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
