"""Build step for the wheel; everything else about the package is in pyproject.toml.

templates/, static/ and migrations/ stay at the repository root (that layout is the product's),
but an installed package's parent folder is site-packages, so the wheel carries them inside the
package as ``forumapp/_shipped/<name>``; ``create_app`` uses that folder when it exists and the
repository root otherwise. An editable install reads them from the checkout, as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "static", "migrations")


class BuildPyWithShippedFolders(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED:
            target = Path(self.build_lib, "forumapp", "_shipped", name)
            shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))


setup(cmdclass={"build_py": BuildPyWithShippedFolders})
