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
        ``code_to_cgs`` (per quantity), ``code_to`` (per named unit; for
        temperature ``K/mu`` and ``K``, the latter for ``mu``) and ``mu``."""
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
        center: Optional[Union[_Range, str]] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
        normal: Optional[Sequence[float]] = None,
        north: Optional[Sequence[float]] = None,
        face_on: Optional[float] = None,
        edge_on: Optional[float] = None,
        width: Optional[Union[float, Sequence[float]]] = None,
        depth: Optional[float] = None,
        particles: Optional[_Names] = None,
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
        center: Optional[Union[_Range, str]] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[float] = None,
        range_unit: str = "code",
        normal: Optional[Sequence[float]] = None,
        north: Optional[Sequence[float]] = None,
        face_on: Optional[float] = None,
        edge_on: Optional[float] = None,
        width: Optional[Union[float, Sequence[float]]] = None,
        depth: Optional[float] = None,
        particles: Optional[_Names] = None,
    ) -> Dict[str, npt.NDArray[np.float64]]: ...
    @overload
    def slice(
        self,
        vars: str,
        normal: Optional[Sequence[float]] = None,
        center: Optional[Union[_Range, str]] = None,
        width: Optional[Union[float, Sequence[float]]] = None,
        res: int = 512,
        *,
        axis: Optional[str] = None,
        north: Optional[Sequence[float]] = None,
        face_on: Optional[float] = None,
        edge_on: Optional[float] = None,
        particles: Optional[_Names] = None,
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[float] = None,
        range_unit: str = "code",
    ) -> npt.NDArray[np.float64]: ...
    @overload
    def slice(
        self,
        vars: Sequence[str],
        normal: Optional[Sequence[float]] = None,
        center: Optional[Union[_Range, str]] = None,
        width: Optional[Union[float, Sequence[float]]] = None,
        res: int = 512,
        *,
        axis: Optional[str] = None,
        north: Optional[Sequence[float]] = None,
        face_on: Optional[float] = None,
        edge_on: Optional[float] = None,
        particles: Optional[_Names] = None,
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        zrange: Optional[_Range] = None,
        radius: Optional[_Length] = None,
        range_unit: str = "code",
    ) -> Dict[str, npt.NDArray[np.float64]]: ...
    def center(
        self,
        method: str = "ssc",
        radius: Optional[float] = None,
        particles: Optional[_Names] = None,
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
        *,
        range_unit: str = "code",
    ) -> Dict[str, Any]: ...
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
    def profile(
        self,
        vars: _Names,
        weight: str = "mass",
        center: Union[str, _Range, None] = None,
        radius: Optional[float] = None,
        rmin: Optional[float] = None,
        bins: int = 64,
        log: bool = True,
        cylindrical: bool = False,
        normal: Optional[_Range] = None,
        height: Optional[float] = None,
        cumulative: bool = False,
        unit: Optional[_Names] = None,
        mu: float = 0.6,
        range_unit: str = "code",
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A radial (or cylindrical) profile as `amrkit profile --json`, with
        NumPy arrays: ``edges``, ``center``, ``bins`` (``count``, ``weight``,
        ``mass``, ``mass_enclosed``, and per variable ``mean``, ``std``
        [, ``cumulative_mean``]), ``units``, ``mu``."""
    def phase(
        self,
        x: str,
        y: str,
        z: Optional[str] = None,
        weight: str = "mass",
        bins: Union[int, Sequence[int]] = 128,
        xrange: Optional[_Range] = None,
        yrange: Optional[_Range] = None,
        xlin: bool = False,
        ylin: bool = False,
        unit: Optional[_Names] = None,
        mu: float = 0.6,
        center: Union[str, _Range, None] = None,
        radius: Optional[float] = None,
        range_unit: str = "code",
        lmax: Optional[int] = None,
        max_threads: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A phase diagram as `amrkit phase`: ``values`` (H[j, i], j along y),
        ``counts``, ``x_edges``, ``y_edges`` and the JSON's keys."""
    def sinks(self) -> Dict[str, npt.NDArray[np.float64]]:
        """The sinks of sink_NNNNN.csv, one float64 array per column (code units)."""
    def clumps(self, top: Optional[int] = None) -> Dict[str, Any]:
        """What ``amrkit clumps --json`` prints: the PHEW clumps by decreasing mass."""

def open(path: _Path, number: Optional[int] = None) -> Snapshot:
    """Opens an output folder (or a renamed one, or its info_NNNNN.txt), or a simulation folder's last (or ``number``-th) output."""

def num_threads() -> int:
    """The threads of amrkit's pool."""
