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


def test_quickstart_needs_an_output_and_runs_without_matplotlib(tmp_path):
    """A fresh venv: no data path in the script (it asks for one), and
    without matplotlib everything but the picture runs, saying how to get
    it (`pip install "./python[plot]"`)."""
    p = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                       cwd=tmp_path)
    assert p.returncode != 0 and "usage" in p.stderr and "OUTPUT" in p.stderr, p.stderr
    out = run_by_name("particles")[1]
    block = ("import sys; sys.modules['matplotlib'] = None; "
             f"sys.argv = ['quickstart.py', {str(out)!r}, 'q.png']; "
             f"exec(open({str(EXAMPLE)!r}).read())")
    p = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "leaf cells" in p.stdout and 'python[plot]' in p.stdout, p.stdout
    assert not (tmp_path / "q.png").exists()
