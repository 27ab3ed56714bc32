"""The quickstart example runs and writes its PNG."""

import pathlib
import subprocess
import sys

import pytest

from conftest import CI, run_by_name

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def test_quickstart_runs_and_writes_a_png(tmp_path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if CI:
            pytest.fail("matplotlib is needed by the quickstart (required under CI=true)")
        pytest.skip("matplotlib not installed")
    out = run_by_name("particles")[1]
    png = tmp_path / "q.png"
    p = subprocess.run([sys.executable, str(EXAMPLE), str(out), str(png)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "leaf cells" in p.stdout and "wrote" in p.stdout, p.stdout
