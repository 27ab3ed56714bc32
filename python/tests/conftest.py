"""Finding the shared real RAMSES outputs and the CLI for the tests.

The outputs are in ``$AMRKIT_TEST_DATA`` (the ``ramses`` folder, as for
the Rust tests) or ``../shared/data/ramses`` beside the repository, with
``ramses-variants`` next to it. The CLI is ``$AMRKIT_BIN`` or the
repository's ``target/release/amrkit``. Without them the tests that need
them skip with the reason; under ``CI=true`` that is a failure instead.
"""

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CI = os.environ.get("CI") == "true"


def _missing(what):
    msg = f"{what} not found"
    if CI:
        pytest.fail(f"{msg}: required under CI=true", pytrace=False)
    pytest.skip(msg)


def data_root():
    """The folder holding ``ramses/`` and ``ramses-variants/``, or None."""
    env = os.environ.get("AMRKIT_TEST_DATA")
    for c in ([pathlib.Path(env).parent] if env else []) + [REPO.parent / "shared" / "data"]:
        if (c / "ramses").is_dir():
            return c
    return None


def _output_of(folder, reference):
    out = folder / reference.get("output", "output_00002")
    if out.is_dir():
        return out
    outs = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith("output_"))
    return outs[-1]


def all_runs():
    """(name, output folder, reference dict) of every shared output."""
    root = data_root()
    if root is None:
        return []
    runs = []
    for group in ("ramses", "ramses-variants"):
        base = root / group
        if not base.is_dir():
            continue
        for d in sorted(base.iterdir()):
            ref = d / "reference.json"
            if ref.is_file():
                r = json.loads(ref.read_text())
                runs.append((d.name, _output_of(d, r), r))
    return runs


RUNS = all_runs()
# Every shared output is read; the 3D ones share map files and a z axis,
# the 1D and 2D ones come with images and profiles instead.
READ = [r for r in RUNS if r[2]["info"].get("ndim", 3) == 3]
FLAT = [r for r in RUNS if r[2]["info"].get("ndim", 3) != 3]
ALL = RUNS


def runs_or_missing(runs):
    """Parametrisation over ``runs``: one failing/skipping case when empty."""
    if runs:
        return pytest.mark.parametrize("run", runs, ids=[r[0] for r in runs])
    return pytest.mark.parametrize("run", [None], ids=["no-data"])


@pytest.fixture
def need_data():
    if data_root() is None:
        _missing("real RAMSES test data (../shared/data or AMRKIT_TEST_DATA)")


def run_by_name(name):
    for r in RUNS:
        if r[0] == name:
            return r
    _missing(f"shared output {name!r}")


@pytest.fixture
def particles_run():
    return run_by_name("particles")


@pytest.fixture(scope="session")
def cli():
    """A function running the CLI (2 threads, no stored tuning) that
    returns its stdout."""
    exe = pathlib.Path(os.environ.get("AMRKIT_BIN", REPO / "target" / "release" / "amrkit"))
    if not exe.is_file():
        _missing(f"the amrkit CLI ({exe}; build it with cargo build --release)")

    def call(*args):
        env = dict(os.environ, AMRKIT_NO_TUNE_CACHE="1")
        p = subprocess.run(
            [str(exe), "--threads", "2", "--quiet", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
        )
        assert p.returncode == 0, p.stderr
        return p.stdout

    return call


def close(got, want, rel, scale=0.0):
    return abs(got - want) <= rel * max(abs(want), scale)


def need(run):
    """The run, or a skip (a failure under CI=true) when there is no data."""
    if run is None:
        _missing("real RAMSES test data (../shared/data or AMRKIT_TEST_DATA)")
    return run
