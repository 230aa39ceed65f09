"""Dependencies between features run one way: a feature imports only the features before it
in ``FEATURE_ORDER`` (the README's "Layout for developers" draws the same map). A lower
feature that must react to a higher one records a change or sends a signal instead."""

from __future__ import annotations

import ast
from pathlib import Path

import forumapp

PACKAGE = Path(forumapp.__file__).parent
# Lowest first. The app factory, the CLI, the demo and the WSGI entry point assemble
# everything and may import any feature.
FEATURE_ORDER = [
    "extensions",
    "core",
    "mail",
    "agenda",
    "registration",
    "language_access",
    "calendar",
    "checkin",
    "feedback",
    "attendance",
    "messages",
    "commitments",
    "measures",
    "materials",
    "privacy",
    "api",
    "attendee",
]


def _imported_features(path: Path) -> set[str]:
    """The top-level parts of ``forumapp`` that the module at ``path`` imports (at the top or
    inside functions)."""
    here = list(path.relative_to(PACKAGE).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = here[: len(here) - (node.level - 1)]
            target = base + (node.module.split(".") if node.module else [])
            found |= {target[0]} if target else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom | ast.Import):
            if isinstance(node, ast.ImportFrom):
                names = [node.module]
            else:
                names = [alias.name for alias in node.names]
            found |= {
                name.split(".")[1]
                for name in names
                if name and name.startswith("forumapp.") and "." in name
            }
    return found


def test_every_feature_imports_only_the_features_below_it():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        feature = parts[0] if len(parts) > 1 else path.stem
        if feature not in FEATURE_ORDER:
            continue
        rank = FEATURE_ORDER.index(feature)
        for imported in _imported_features(path):
            if imported in FEATURE_ORDER and FEATURE_ORDER.index(imported) > rank:
                upward.append(f"{path.relative_to(PACKAGE)} imports {imported}")
    assert upward == []


def test_every_feature_folder_is_placed_in_the_order():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders - set(FEATURE_ORDER) == set()


def test_each_feature_has_one_blueprint_named_after_it(app):
    """A page's endpoint says which feature owns it (``registration.registrations``), and a
    feature's pages share one blueprint whichever module holds them."""
    owners = {}
    for name, blueprint in app.blueprints.items():
        owners[name] = blueprint.import_name.split(".")[1]
    assert all(name == feature for name, feature in owners.items()), owners
    assert sorted(owners) == sorted(set(owners.values()))


def test_templates_are_filed_under_the_feature_that_renders_them():
    templates = PACKAGE.parent / "templates"
    folders = {p.name for p in templates.iterdir() if p.is_dir()}
    assert folders - set(FEATURE_ORDER) == set()
