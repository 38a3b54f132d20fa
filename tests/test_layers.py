"""The layers the code is read in: each imports only what lies below it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matchmaker"

# A layer's modules, and what none of them may import.
FORBIDDEN = {
    # The engine is pure computation: no database, no web, not the service around it.
    "engine": ("asyncpg", "aiosql", "litestar", "matchmaker.db", "matchmaker.web", "matchmaker.ranking",
               "matchmaker.app", "matchmaker.evaluation"),
    # Storage infrastructure: the pool, servers, migrations and the SQL loader; what is
    # derived from the reference files is refreshed by ``upkeep``, above it.
    "db": ("matchmaker.accounts", "matchmaker.organisations", "matchmaker.needs", "matchmaker.offers",
           "matchmaker.matches", "matchmaker.events", "matchmaker.ranking", "matchmaker.engine", "matchmaker.search",
           "matchmaker.rates", "matchmaker.reporting", "matchmaker.results", "matchmaker.alerts", "matchmaker.app", "litestar"),
    # HTTP helpers sit below every controller: no domain package, no app.
    "web": ("matchmaker.accounts", "matchmaker.organisations", "matchmaker.needs", "matchmaker.offers",
            "matchmaker.matches", "matchmaker.events", "matchmaker.ranking", "matchmaker.engine",
            "matchmaker.reporting", "matchmaker.results", "matchmaker.alerts", "matchmaker.app"),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", FORBIDDEN)
def test_a_layer_imports_nothing_above_it(layer):
    found = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / layer).rglob("*.py")
        for name in _imports(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])
    }
    assert not found, sorted(found)


def test_nothing_in_the_service_imports_the_evaluation_tools():
    found = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "evaluation" not in path.parts and path.name != "cli.py" and path.name != "bench.py"
        and any(name.startswith("matchmaker.evaluation") for name in _imports(path))
    }
    assert not found, sorted(found)
