"""`auditdesk.services` loads each name on first use: every export resolves, the three lists agree,
and importing the package alone loads none of the heavy libraries."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from auditdesk import services

INIT = Path(services.__file__)


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    """What mypy sees: exported name -> (module, its name there), from the ``if TYPE_CHECKING:`` block."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    names: dict[str, tuple[str, str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        for alias in node.names:
            if node.module == services.__name__:
                names[alias.asname or alias.name] = (f"{node.module}.{alias.name}", "")
            else:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def test_every_exported_name_resolves_to_the_object_of_its_module() -> None:
    seen = _type_checking_imports()
    assert sorted(seen) == sorted(services.__all__)
    assert len(set(services.__all__)) == len(services.__all__)
    for name in services.__all__:
        module, attribute = seen[name]
        expected = importlib.import_module(module)
        if attribute:
            expected = getattr(expected, attribute)
        assert getattr(services, name) is expected, name


def test_the_runtime_table_matches_what_mypy_sees() -> None:
    seen = _type_checking_imports()
    runtime = dict(services._SOURCES)
    runtime.update({name: (f"{services.__name__}.{name}", "") for name in services._SUBMODULES})
    assert runtime == seen


def test_submodules_resolve_as_attributes_and_unknown_names_raise_attribute_error() -> None:
    assert services.store.__name__ == "auditdesk.services.store"  # type: ignore[attr-defined]
    assert "list_controls" in dir(services)
    with pytest.raises(AttributeError, match="no_such_service"):
        services.no_such_service  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        services._private  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(services, "__wrapped__")


def test_from_import_of_a_name_and_of_a_submodule() -> None:
    from auditdesk.services import PopulationMapping, review
    from auditdesk.services.populations import SourceMapping

    assert PopulationMapping is SourceMapping
    assert review.__name__ == "auditdesk.services.review"


def test_a_function_named_like_its_module_stays_the_function_after_the_module_loads() -> None:
    code = (
        "import importlib\n"
        "module = importlib.import_module('auditdesk.services.population_checks')\n"
        "from auditdesk import services\n"
        "print(callable(services.population_checks), services.population_checks is module.population_checks)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True True"


def test_importing_services_alone_loads_no_heavy_library() -> None:
    heavy = ("sqlalchemy", "cryptography", "pyhanko", "openpyxl", "reportlab", "numpy", "scipy")
    code = f"import sys\nimport auditdesk.services\nprint(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_overview_figures_load_without_the_signing_and_file_libraries() -> None:
    code = (
        "import sys\n"
        "from auditdesk import services\n"
        "services.engagement_conclusions, services.open_store, services.list_engagements\n"
        "import auditdesk.services.dashboard\n"
        "print(sorted(m for m in ('cryptography', 'pyhanko', 'openpyxl', 'reportlab') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
