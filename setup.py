"""Build step: ship the rules (indicators/), templates/ and profiles/ inside the wheel.

The folders stay at the top of the source tree (the design keeps rules as data next to the code); the build copies
them into ``engine/_data/`` of the wheel, where ``engine.rules.catalog.data_root()`` finds them through
importlib.resources. An editable install reads them from the source tree instead.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_DIRS = ("indicators", "templates", "profiles")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        source = Path(__file__).resolve().parent
        for name in DATA_DIRS:
            target = Path(self.build_lib) / "engine" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildPyWithData})
