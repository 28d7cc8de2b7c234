"""The committed editor bundle (static/editor/) is what frontend/ builds: nobody edits it by hand and
nobody forgets `make editor` after changing the sources. Needs node and frontend/node_modules
(`make editor` installs them); skipped, saying so, where they are missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
COMMITTED = ROOT / "static" / "editor"


def test_the_committed_bundle_is_built_from_the_frontend_sources(tmp_path):
    if shutil.which("node") is None or not (FRONTEND / "node_modules").is_dir():
        pytest.skip("node or frontend/node_modules is missing: `make editor` installs them")
    subprocess.run(["node", "build.mjs"], cwd=FRONTEND, env={**os.environ, "EDITOR_OUT": str(tmp_path)},
                   check=True, capture_output=True, timeout=120)
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == sorted(path.name for path in COMMITTED.iterdir())
    for name in built:
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), f"run `make editor`: {name} is stale"
