#!/usr/bin/env python3
"""The module graph in docs/ARCHITECTURE.md, written from Package.swift.

`scripts/module-graph.py --write` rewrites the block between the markers (`make docs` runs it);
`--check` exits 1 when the page differs from Package.swift (e2e/test_repository.py runs it):
every target the binaries are built from, every direct dependency between them.
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs/ARCHITECTURE.md"
BEGIN = "<!-- module graph: written by scripts/module-graph.py from Package.swift -->"
END = "<!-- end of module graph -->"
# Test helpers and benchmarks are not what the binaries are built from.
LEFT_OUT = {"TestSupport", "TestFixtures", "PolicyBench"}


def graph() -> str:
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    targets = [t for t in package["targets"] if t["type"] != "test" and t["name"] not in LEFT_OUT]
    names = {t["name"] for t in targets}
    lines = ["```mermaid", "graph TD"]
    for target in sorted(targets, key=lambda t: t["name"]):
        dependencies = sorted({d["byName"][0] for d in target["dependencies"] if "byName" in d} & names)
        if not dependencies:
            lines.append(f"    {target['name']}")
        lines += [f"    {target['name']} --> {dependency}" for dependency in dependencies]
    lines.append("```")
    return "\n".join(lines)


def page_with(block: str) -> str:
    text = PAGE.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + block + "\n" + text[end:]


def main() -> int:
    expected = page_with(graph())
    if sys.argv[1:] == ["--write"]:
        PAGE.write_text(expected)
        return 0
    if PAGE.read_text() != expected:
        print("docs/ARCHITECTURE.md's module graph differs from Package.swift: run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
