"""Guards that keep the architecture one-way (read from the source, nothing imported):

* no import cycle among the project's modules;
* layers: core → ingest → rag → ui → survey_rag; a module imports only from its own layer or below;
* llama-cpp-python's internals are touched in one adapter module only;
* rendering the page (ui.render) does not load FAISS.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAYERS = ("core", "ingest", "rag", "ui", "survey_rag")
LLAMA_ADAPTER = "rag.llm.llama_cpp_backend"
# Attributes of llama-cpp-python objects that are not its public API.
LLAMA_INTERNALS = {"_ctx", "_model", "_batch", "input_ids", "n_tokens", "_candidates"}


def project_modules() -> dict[str, Path]:
    modules = {}
    for layer in LAYERS:
        for path in (REPO / layer).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules that ``path`` imports, at any depth of the file (top level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_of(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_the_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_project_modules():
    assert find_cycle(import_graph()) is None


def test_imports_flow_down_the_layers():
    upward = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in import_graph().items()
        for imported in imported_modules
        if layer_of(imported) > layer_of(module)
    )
    assert upward == [], f"layers are {' → '.join(LAYERS)}; these import upwards:\n" + "\n".join(upward)


def test_nothing_imports_the_application_package():
    users = sorted(m for m, imported in import_graph().items() if not m.startswith("survey_rag")
                   and any(i.startswith("survey_rag") for i in imported))
    assert users == []


def test_llama_internals_are_touched_in_one_adapter_module_only():
    touching = []
    for path in [*REPO.glob("*/**/*.py")]:
        if ".venv" in path.parts or path.relative_to(REPO).parts[0] in {".git", "build"}:
            continue
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        if module == LLAMA_ADAPTER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in LLAMA_INTERNALS:
                touching.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n == "llama_cpp" or n.startswith("llama_cpp.") for n in names) and not module.startswith("tests"):
                    touching.append(f"{path.relative_to(REPO)}:{node.lineno} imports llama_cpp")
    assert touching == [], "llama-cpp-python internals outside " + LLAMA_ADAPTER + ":\n" + "\n".join(touching)


def test_rendering_the_page_does_not_load_faiss():
    code = "import sys, ui.render; print('faiss' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
