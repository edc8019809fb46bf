"""Checks on the repository itself: every document a comment cites is in the repository.

Comments cite the behaviour specifications as `docs/specs/<file>.md §<section>` and the pods
backend's upstream weaknesses as `docs/specs/pods-backend.md W<n>`. A citation of a file,
section or id that is not there fails, as does a bare `specs/…` path or a `W<n>` without its
file.
"""
import re
import subprocess

from rexec_harness import ROOT

SPECS = ROOT / "docs/specs"
CITATION = re.compile(r"docs/specs/([\w-]+)\.md((?:[ ,]*(?:and|steps? [\d-]+|§[\w.]+(?:-§?[\d.]+)?|W\d+))*)")


def tracked_files():
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if not name.startswith("docs/specs/") and (ROOT / name).is_file()]


def sections_and_ids(path):
    text = path.read_text()
    sections = {number.rstrip(".") for number in re.findall(r"^#+\s+([0-9][0-9.]*)", text, re.M)}
    ids = set(re.findall(r"^\|\s*(W\d+)\s*\|", text, re.M))
    return sections, ids


def test_every_cited_spec_section_and_id_exists():
    known = {path.stem: sections_and_ids(path) for path in SPECS.glob("*.md")}
    problems = []
    for path in tracked_files():
        try:
            lines = path.read_text().splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            for bare in re.findall(r"(?<![\w/.])specs/[\w-]+\.md", line.replace("docs/specs/", "")):
                # A relative link from docs/ is fine; anything else names a file not in the repo.
                if not (path.parent / bare).is_file():
                    problems.append(f"{where}: cites {bare}, which is not in the repository (docs/specs/…)")
            for match in CITATION.finditer(line):
                name, rest = match.group(1), match.group(2)
                if name not in known:
                    problems.append(f"{where}: no docs/specs/{name}.md")
                    continue
                sections, ids = known[name]
                for cited in re.findall(r"§([\d.]+)", rest):
                    if cited.rstrip(".") not in sections:
                        problems.append(f"{where}: docs/specs/{name}.md has no §{cited}")
                for cited in re.findall(r"W\d+", rest):
                    if cited not in ids:
                        problems.append(f"{where}: docs/specs/{name}.md has no {cited}")
            if path.suffix in {".swift", ".py", ".sh", ".yaml"} and re.search(r"\bW\d+\b", line) and "pods-backend.md" not in line:
                problems.append(f"{where}: a W id without its file (docs/specs/pods-backend.md W<n>)")
    assert not problems, "\n".join(problems)


def test_the_module_graph_in_the_architecture_page_is_package_swifts():
    """docs/ARCHITECTURE.md's graph is written from Package.swift (`make docs`); a dependency
    added or removed without the page saying so fails here."""
    result = subprocess.run([str(ROOT / "scripts/module-graph.py"), "--check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_every_markdown_link_between_the_docs_resolves():
    """The README and docs/ link to each other by relative paths; a moved page breaks none."""
    problems = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                problems.append(f"{page.relative_to(ROOT)}: {target} does not exist")
    assert not problems, "\n".join(problems)
