"""docs/architecture.md matches the code: every module on the map, the layers as linted."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text()


def _map_entries() -> dict[str, str]:
    """The module map's bullet per package: {"app.plans": "— `models` (...), ..."}."""
    section = DOC.split("## Module map", 1)[1].split("\n## ", 1)[0]
    entries: dict[str, str] = {}
    for bullet in re.split(r"\n- ", "\n" + section.strip()):
        for match in re.finditer(r"`(app\.[\w.]+)` — (.*?)(?=`app\.[\w.]+` —|\Z)", bullet, re.S):
            entries[match.group(1)] = match.group(2)
    return entries


def test_every_module_is_on_the_module_map():
    entries = _map_entries()
    missing = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        package = ".".join(path.parent.relative_to(ROOT).parts)
        if path.name == "__init__.py" or path.parent == ROOT / "app":
            continue
        if path.stem == "blueprint":
            continue  # every package has one; the file set table names it
        if f"`{path.stem}`" not in entries.get(package, ""):
            missing.append(f"{package}.{path.stem}")
    assert missing == []


def test_layers_table_lists_the_linted_layers_in_order():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    linted = [name for layer in contract["layers"] for name in re.findall(r"app\.\w+", layer)]
    table = DOC.split("## Layers", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| \d+ \| (.*?) \|", table, re.M)
    in_doc = [name for row in documented for name in re.findall(r"`(app\.\w+)`", row)]
    assert sorted(in_doc) == sorted(linted)
    # the table runs from the top layer down, like the contract
    assert [n for n in in_doc if n != "app.extensions"] == [
        n for n in linted if n != "app.extensions"
    ]
