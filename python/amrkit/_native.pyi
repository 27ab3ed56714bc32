"""Type stubs of the compiled module (see the docstrings for details)."""

import os
from typing import Any, Dict, List, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt

_Path = Union[str, "os.PathLike[str]"]
_Names = Union[str, Sequence[str]]
# A number or numbers in ``range_unit``, a ``(value, "unit")`` tuple as yt's,
# or the CLI's text ("10kpc", "-5,5pc", "0.5,0.5,0.5box").
_Range = Union[Sequence[float], "tuple[Sequence[float], str]", str]
_Length = Union[float, "tuple[float, str]", str]

class Snapshot:
    """One RAMSES output, opened: what ``amrkit.open`` returns."""

    @property
    def path(self) -> str:
        """The output folder."""
    @property
    def info(self) -> Dict[str, Any]:
        """What ``amrkit info --json`` prints."""
    @property
    def units(self) -> Dict[str, Any]:
        """``unit_l_cm``, ``unit_d_g_cm3``, ``unit_t_s``, ``boxlen_code``,
        ``code_to_cgs`` (per quantity) and ``code_to`` (per named unit)."""
    def load(
        self,
        vars: Optional[_Names] = None,
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
        *,
        center: Optional[_Range] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> Dict[str, npt.NDArray[np.float64]]:
        """Leaf cells: "x", "y", "z" (as many as the output has dimensions), "level" (int32), "dx" and each variable."""
    def particles(
        self,
        families: Optional[_Names] = None,
        fields: Optional[_Names] = None,
        max_threads: Optional[int] = None,
        *,
        center: Optional[_Range] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> Dict[str, npt.NDArray[Any]]:
        """Particle fields (float64; identity and levels int64; family, tag int8) and "age_myr" (stars; NaN for others)."""
    def stats(
        self,
        lmax: Optional[int] = None,
        unit: Optional[str] = None,
        max_threads: Optional[int] = None,
        *,
        center: Optional[_Range] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> Dict[str, Any]:
        """What ``amrkit stats --json`` prints."""
    @overload
    def project(
        self,
        vars: str,
        axis: str = "z",
        res: int = 256,
        weight: Optional[str] = None,
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
        *,
        center: Optional[_Range] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> npt.NDArray[np.float64]: ...
    @overload
    def project(
        self,
        vars: Sequence[str],
        axis: str = "z",
        res: int = 256,
        weight: Optional[str] = None,
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
        *,
        center: Optional[_Range] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> Dict[str, npt.NDArray[np.float64]]: ...
    def export_vtk(
        self,
        prefix: _Path,
        scalars: _Names = ["density"],
        vector: Optional[str] = "velocity",
        lmin: Optional[int] = None,
        lmax: Optional[int] = None,
        log: bool = False,
        zlib: bool = False,
        max_threads: Optional[int] = None,
        *,
        center: Optional[_Range] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> Dict[str, Any]:
        """Writes PREFIX_level_LL.vtu files and PREFIX.vtm; returns what was written."""
    def sinks(self) -> Dict[str, npt.NDArray[np.float64]]:
        """The sinks of sink_NNNNN.csv, one float64 array per column (code units)."""
    def clumps(self, top: Optional[int] = None) -> Dict[str, Any]:
        """What ``amrkit clumps --json`` prints: the PHEW clumps by decreasing mass."""

def open(path: _Path, number: Optional[int] = None) -> Snapshot:
    """Opens an output folder (or a renamed one, or its info_NNNNN.txt), or a simulation folder's last (or ``number``-th) output."""

def num_threads() -> int:
    """The threads of amrkit's pool."""
