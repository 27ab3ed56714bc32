"""Slices, off-axis projections and centres: the Python calls give the
CLI's bits (`amrkit slice`, `amrkit project --normal/--face-on`,
`amrkit center --json`), and the maps keep their definitions."""

import json

import numpy as np
import pytest

import amrkit
from conftest import run_by_name


def test_slice_and_views_equal_the_cli_bit_for_bit(cli, tmp_path):
    name, out, ref = run_by_name("gravity")
    s = amrkit.open(out)
    cases = [
        (["slice", "--normal", "1,2,3"], lambda: s.slice("density", normal=[1, 2, 3], res=64)),
        (["slice", "--axis", "x", "--center", "com"], lambda: s.slice("density", axis="x", center="com", res=64)),
        (
            ["project", "--normal", "0.3,-1,0.6", "--north", "1,0,0", "--depth", "0.4", "--weight", "mass"],
            lambda: s.project("density", normal=[0.3, -1, 0.6], north=[1, 0, 0], depth=0.4, weight="mass", res=64),
        ),
        (
            ["project", "--face-on", "0.3", "--center", "ssc", "--width", "0.6,0.4"],
            lambda: s.project("density", face_on=0.3, center="ssc", width=[0.6, 0.4], res=64),
        ),
    ]
    for k, (args, call) in enumerate(cases):
        npy = tmp_path / f"m{k}.npy"
        cli(args[0], out, "--var", "density", "--res", 64, *args[1:], "--out", npy)
        want = np.load(npy)
        got = call()
        assert got.shape == want.shape, args
        assert got.tobytes() == want.tobytes(), args
        side = json.loads((tmp_path / f"m{k}.npy.json").read_text())
        assert side["pixels"] == [want.shape[1], want.shape[0]]
        assert set(side) >= {"center", "e1", "e2", "normal", "width", "depth", "pixels",
                             "variable", "weight", "unit", "length_unit"}


def test_center_equals_the_cli_json(cli):
    name, out, ref = run_by_name("gravity")
    s = amrkit.open(out)
    for method in ["densest", "com", "ssc"]:
        want = json.loads(cli("center", out, "--method", method, "--json"))
        got = s.center(method)
        assert got == want, method
        assert set(got) == {"method", "center", "bulk_velocity", "L", "L_hat", "radius", "cells", "units"}


def test_off_axis_mass_is_conserved_and_slices_are_nan_outside():
    name, out, ref = run_by_name("sedov3d")
    s = amrkit.open(out)
    c = s.load(["density", "mass"])
    total = c["mass"].sum()
    m = s.project("density", normal=[1, -2, 0.5], width=1.8, res=96)
    assert abs(m.sum() * (1.8 / 96) ** 2 - total) <= 1e-12 * total
    sl = s.slice("density", normal=[1, 1, 1], width=2.0, res=40)
    assert np.isnan(sl[0, 0]) and np.isfinite(sl[20, 20])


def test_bad_views_are_argument_errors():
    name, out, ref = run_by_name("gravity")
    s = amrkit.open(out)
    for kw in [dict(normal=[0, 0, 0]), dict(normal=[1, 0, 0], north=[2, 0, 0]), dict(face_on=1e-7, center=[0.5000001] * 3)]:
        with pytest.raises(amrkit.ArgumentError):
            s.project("density", res=8, **kw)
    with pytest.raises(amrkit.ArgumentError):
        s.center("middle")
