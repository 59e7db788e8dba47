"""The house in rooms: what a maintainer new to the code relies on, held true by tests.

The import contracts themselves (layers, the scanner without reportlab, the front ends
stopping at the pipeline) are checked by `lint-imports` in CI; these tests hold what
import-linter does not: no circles at all, the size of the top floor, the README's map.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp

from handouts import cache
from handouts.paths import cache_dir

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "handouts"
ROOMS = ("render", "scan", "library", "web")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), imports inside functions included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.find_modules_directly_imported_by(v):
            if not w.startswith("handouts"):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module.startswith("handouts") and module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_round_a_circle_even_inside_a_function():
    graph = grimp.build_graph("handouts")
    assert _cycles(graph) == []


def test_the_top_floor_holds_the_core_and_the_rooms_hold_the_rest():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 22, top
    for room in ROOMS:
        assert (PACKAGE / room / "__init__.py").is_file()


def test_every_module_says_what_it_holds_in_a_docstring():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lstrip()
        assert text.startswith('"""'), f"{path.relative_to(ROOT)} has no module docstring"


def test_the_readme_map_names_every_module_and_nothing_that_is_gone():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Development", 1)[1]
    named = set(re.findall(r"`((?:[a-z_]+/)?[a-z_]+\.py)`", section))
    # a room's __init__.py that only says what the room is needs no row; one that holds code does
    modules = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" or len(p.read_text(encoding="utf-8").splitlines()) > 5
    }
    assert modules - named == set(), "modules the README's map leaves out"
    assert named - modules == set(), "modules the README's map names but the code no longer has"


def test_the_scanner_loads_neither_reportlab_nor_the_renderer():
    probe = (
        "import sys, handouts.scan.reader; "
        "print(sorted(m for m in sys.modules if m.startswith(('reportlab', 'handouts.render', 'qrcode'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_tests_cache_into_their_own_directory_never_the_users():
    assert "handouts-test-cache-" in str(cache_dir())
    assert not str(cache_dir()).startswith(str(Path.home() / ".cache"))


def test_a_cache_entry_changes_with_the_shape_of_what_it_holds(tmp_path):
    from dataclasses import make_dataclass

    before = make_dataclass("Dose", [("sets", int)])
    after = make_dataclass("Dose", [("sets", int), ("rest_s", int)])
    assert cache.entry("library", cache.shape(before)) != cache.entry("library", cache.shape(after))

    def encode_v1(x: str) -> str:
        return x

    def encode_v2(x: str) -> str:
        return x.upper()

    assert cache.made_by(encode_v1) != cache.made_by(encode_v2)


def test_a_damaged_cache_entry_is_ignored_and_the_files_are_read_again(tmp_path, monkeypatch):
    from handouts.library.load import load_library
    from handouts.models import Library
    from handouts.paths import DEFAULT_LIBRARY

    monkeypatch.setenv("HANDOUTS_CACHE", str(tmp_path))
    first = load_library(DEFAULT_LIBRARY)
    [entry] = tmp_path.glob("library-*")
    entry.write_bytes(b"not a pickle")
    again = load_library(DEFAULT_LIBRARY)
    assert isinstance(again, Library) and again.exercises.keys() == first.exercises.keys()
    assert cache.get_value(entry, Library) is not None  # written afresh
