"""amrkit: fast analysis of RAMSES adaptive-mesh outputs, as NumPy arrays.

>>> import amrkit
>>> s = amrkit.open("sim/output_00002")        # or amrkit.open("sim", 2)
>>> s.info["levelmax"]
>>> cells = s.load(["density", "temperature"], radius=10, range_unit="kpc")
>>> m = s.project("density", axis="z", res=512)  # 2-D float64, map[j, i]

Reading, selection and projection run in Rust on amrkit's thread pool
with the GIL released; arrays wrap Rust's memory (no copy). Values are in
code units (see ``Snapshot.units``). Errors raise ``amrkit.FileError``
(an ``OSError``) or ``amrkit.ArgumentError`` (a ``ValueError``), both
subclasses of ``amrkit.Error``.
"""

from ._errors import ArgumentError, Error, FileError
from ._native import Snapshot, num_threads, open

__all__ = ["open", "Snapshot", "num_threads", "Error", "FileError", "ArgumentError"]
__version__ = "0.1.0"
