"""Errors: amrkit.FileError (OSError) naming the file, amrkit.ArgumentError
(ValueError) for arguments, the CLI's one-line messages."""

import shutil

import pytest

import amrkit


def test_a_missing_folder_names_it(tmp_path):
    missing = tmp_path / "nowhere" / "output_00001"
    with pytest.raises(amrkit.FileError) as e:
        amrkit.open(missing)
    assert isinstance(e.value, OSError) and isinstance(e.value, amrkit.Error)
    assert str(missing) in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(OSError):
        amrkit.open(tmp_path, 7)


def _copy(out, tmp_path):
    dst = tmp_path / out.parent.name / out.name
    shutil.copytree(out, dst)
    return dst


def test_a_truncated_amr_file_names_the_file(particles_run, tmp_path):
    out = _copy(particles_run[1], tmp_path)
    amr = sorted(out.glob("amr_*.out*"))[1]
    data = amr.read_bytes()
    amr.write_bytes(data[: len(data) // 2])
    s = amrkit.open(out)  # the AMR files are read when cells are
    with pytest.raises(amrkit.FileError) as e:
        s.load(["density"])
    msg = str(e.value)
    assert msg.startswith(f"{amr}: ") and "truncated" in msg and "\n" not in msg, msg
    with pytest.raises(amrkit.FileError):
        s.project("density", res=16)


def test_a_corrupt_info_file_fails_open(particles_run, tmp_path):
    out = _copy(particles_run[1], tmp_path)
    info = next(out.glob("info_*.txt"))
    info.write_text(info.read_text().replace("ncpu", "nqpu", 1))
    with pytest.raises(amrkit.FileError) as e:
        amrkit.open(out)
    assert str(info) in str(e.value)


def test_bad_arguments_are_value_errors_with_the_cli_messages(particles_run):
    s = amrkit.open(particles_run[1])
    cases = [
        (lambda: s.load(["dnesity"]), "no variable `dnesity`"),
        (lambda: s.project("density", axis="w"), "--axis must be x, y or z"),
        (lambda: s.project("density", weight="heavy"), "--weight must be mass, volume or none"),
        (lambda: s.load(["density"], radius=3, range_unit="furlong"), "furlong"),
        (lambda: s.load(["density"], xrange=[2, 1]), "--xrange needs two increasing values"),
        (lambda: s.load(["density"], center=[0.5, 0.5]), "--center needs 3 values"),
        (lambda: s.particles(families=["dragons"]), 'unknown family "dragons"'),
        (lambda: s.stats(range_unit="cMpc/h", radius=1), "needs a cosmological output"),
        (lambda: s.project("density", res=0), "res must be at least 1"),
    ]
    for call, text in cases:
        with pytest.raises(amrkit.ArgumentError) as e:
            call()
        assert isinstance(e.value, ValueError) and isinstance(e.value, amrkit.Error)
        assert text in str(e.value), (text, str(e.value))
    with pytest.raises(TypeError):
        s.load(["density"], radious=3)


def test_no_particles_is_a_file_error(tmp_path):
    from conftest import run_by_name

    sedov = run_by_name("sedov3d")
    with pytest.raises(amrkit.FileError) as e:
        amrkit.open(sedov[1]).particles()
    assert "no particle files" in str(e.value) and str(sedov[1]) in str(e.value)
