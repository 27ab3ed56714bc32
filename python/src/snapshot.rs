//! The Python class `amrkit.Snapshot`: every method's signature and
//! documentation. The small methods are here; the others hand their
//! arguments to the module of what they read or make. The class's data
//! (the opened output) is in `opened.rs`, which those modules use.

use crate::args::{Bins, CenterArg, Floats, LengthArg, Names, OneOrMany, RegionKw};
use crate::call::{capped, run};
use crate::convert::from_json;
use crate::errors::to_py;
use crate::opened::PySnapshot;
use crate::{cells, export, particles, profiles, views};
use amrkit_kernels::report::ClumpsReport;
use amrkit_kernels::summary::{info_json, stats_json, units_json};
use amrkit_kernels::temperature::DEFAULT_MU;
use amrkit_kernels::Units;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Arc;

#[pymethods]
impl PySnapshot {
    /// The output folder.
    #[getter]
    fn path(&self) -> String {
        self.snap.dir.display().to_string()
    }

    /// What `amrkit info --json` prints, as a dict: time, box, levels,
    /// CPUs, file layout, variables, particles per family, sinks.
    #[getter]
    fn info(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let snap = Arc::clone(&self.snap);
        let j = run(py, move |_| info_json(&snap))?;
        from_json(py, &j)
    }

    /// What `amrkit clumps --json` prints, as a dict: the PHEW clumps
    /// (`clump_NNNNN.txtCCCCC`) by decreasing mass, the `top` most massive
    /// when given, every column of the files, in code units.
    #[pyo3(signature = (top=None))]
    fn clumps(&self, py: Python<'_>, top: Option<usize>) -> PyResult<Py<PyAny>> {
        let snap = Arc::clone(&self.snap);
        let j = run(py, move |_| {
            ClumpsReport::of(&snap, top).map(|r| r.to_json())
        })?;
        from_json(py, &j)
    }

    /// Units as a dict: `unit_l_cm`, `unit_d_g_cm3`, `unit_t_s`,
    /// `boxlen_code`; `code_to_cgs` (one code unit of length, mass, time,
    /// density, velocity, pressure, temperature, number_density,
    /// surface_density, potential, acceleration in cgs); `code_to` (the
    /// factor from code units to named units: "kpc", "Msol", "Myr",
    /// "km/s", "g/cm^3", …, and for temperature (a code P/rho) "K/mu" and
    /// "K" for the mean molecular weight `mu`); `mu` (0.6). Both
    /// temperature factors are amrkit's one definition, T/mu = (P/rho)
    /// m_H/k_B (`code_to_cgs["temperature"]` is T/mu too).
    #[getter]
    fn units(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let j = units_json(&Units::from_info(&self.snap.info)).map_err(|e| to_py(py, e))?;
        from_json(py, &j)
    }

    /// Leaf cells as a dict of 1-D arrays: "x", "y", "z" (cell centres, as
    /// many as the output has dimensions; float64), "level" (int32), "dx"
    /// (cell size), then each variable of `vars` (float64)
    /// (a name or a list: hydro, gravity and RAMSES-RT variables as
    /// `info["hydro_variables"]`, `info["gravity_variables"]` and
    /// `info["rt_variables"]` name them, e.g. "photon_flux_01", or derived
    /// ones: "temperature", "mass", "volume", "sound_speed",
    /// "velocity_magnitude", "nH"); default every hydro, gravity and
    /// (readable) rt variable. Code units. `lmax`: deepest level read (cells there count
    /// as leaves). Region keywords as the CLI's: `center` (default the
    /// box centre), `xrange`/`yrange`/`zrange` (a, b relative to the
    /// centre) or `radius`; a number is in `range_unit` ("code": the box
    /// spans [0, boxlen]; "box", "kpc", "pc", "Mpc", "cMpc/h", …), a
    /// `(value, "unit")` tuple as yt's carries its own (`radius=(10,
    /// "kpc")`, `center=([0.5, 0.5, 0.5], "box")`). Cells are selected by
    /// their centre.
    #[pyo3(
        text_signature = "($self, vars=None, lmax=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code')"
    )]
    #[pyo3(signature = (vars=None, lmax=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn load(
        &self,
        py: Python<'_>,
        vars: Option<Names>,
        lmax: Option<u32>,
        max_threads: Option<usize>,
        center: Option<LengthArg>,
        xrange: Option<LengthArg>,
        yrange: Option<LengthArg>,
        zrange: Option<LengthArg>,
        radius: Option<LengthArg>,
        range_unit: String,
    ) -> PyResult<Py<PyDict>> {
        cells::load(
            self,
            py,
            vars,
            lmax,
            max_threads,
            RegionKw {
                center,
                xrange,
                yrange,
                zrange,
                radius,
                range_unit,
            },
        )
    }

    /// Particles as a dict of 1-D arrays, one per field of
    /// `info["particle_fields"]` (or of `fields`): reals as float64,
    /// identities and levels as int64, family and tag as int8; and
    /// "age_myr" (when the output has birth times, or when named in
    /// `fields`): the age of each star particle in Myr at the output's time
    /// as `amrkit particles` gives it (cosmological runs through Friedmann
    /// tables), NaN for the other particles. `families` keeps only those
    /// families ("DM", "star", "cloud", "debris", …). With a region the
    /// positions are always included.
    #[pyo3(
        text_signature = "($self, families=None, fields=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code')"
    )]
    #[pyo3(signature = (families=None, fields=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn particles(
        &self,
        py: Python<'_>,
        families: Option<Names>,
        fields: Option<Names>,
        max_threads: Option<usize>,
        center: Option<LengthArg>,
        xrange: Option<LengthArg>,
        yrange: Option<LengthArg>,
        zrange: Option<LengthArg>,
        radius: Option<LengthArg>,
        range_unit: String,
    ) -> PyResult<Py<PyDict>> {
        particles::particles(
            self,
            py,
            families,
            fields,
            max_threads,
            RegionKw {
                center,
                xrange,
                yrange,
                zrange,
                radius,
                range_unit,
            },
        )
    }

    /// What `amrkit stats --json` prints, as a dict: leaf cells per level,
    /// gas mass, min/max/volume- and mass-weighted means of every hydro,
    /// gravity and RAMSES-RT variable ("hydro", "gravity", "rt"), sinks and
    /// particles per family. Code units; `unit="auto"` reports
    /// astrophysical units (as `--unit auto`; rt variables in photons
    /// cm^-2 s^-1).
    #[pyo3(
        text_signature = "($self, lmax=None, unit=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code')"
    )]
    #[pyo3(signature = (lmax=None, unit=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn stats(
        &self,
        py: Python<'_>,
        lmax: Option<u32>,
        unit: Option<String>,
        max_threads: Option<usize>,
        center: Option<LengthArg>,
        xrange: Option<LengthArg>,
        yrange: Option<LengthArg>,
        zrange: Option<LengthArg>,
        radius: Option<LengthArg>,
        range_unit: String,
    ) -> PyResult<Py<PyAny>> {
        let region = RegionKw {
            center,
            xrange,
            yrange,
            zrange,
            radius,
            range_unit,
        }
        .args()
        .map_err(|e| to_py(py, e))?;
        let sel = self.selection(lmax, &region).map_err(|e| to_py(py, e))?;
        let snap = Arc::clone(&self.snap);
        let j = run(py, move |exec| {
            stats_json(&snap, &sel, unit.as_deref(), &capped(exec, max_threads))
        })?;
        from_json(py, &j)
    }

    /// Projects along `axis` ("x", "y", "z") onto `res` × `res` pixels:
    /// for one variable a 2-D float64 array `map[j, i]` (i along the first
    /// image axis: x for a z projection), the same numbers as the CLI's
    /// `.npy`; for a list of variables a dict of such arrays. `weight`:
    /// None (∫q dl; for density the surface density), "mass" or "volume"
    /// (weighted means along the line of sight). Code units. With a region
    /// the map covers its bounding box, and the range along `axis` clips
    /// the integral. A 2D output (projected along z only) gives its image,
    /// each pixel the area average of the cells over it; a 1D output a 1-D
    /// profile along x, as the CLI's `.npy`.
    ///
    /// Any orientation (the exact projection: each cell's volume over each
    /// pixel's prism, as `amrkit project` with view options): `normal`
    /// (nx, ny, nz) with `north` (image y, projected on the image plane),
    /// `face_on=R` / `edge_on=R` (about the spin axis of the gas, and the
    /// `particles` families, within R of the centre), `width` (W or
    /// [W, H]) and `depth`, lengths in `range_unit`; `center` may be
    /// "densest", "com" or "ssc" (found in the data, as `center()`).
    #[pyo3(
        text_signature = "($self, vars, axis='z', res=256, weight=None, lmax=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code', normal=None, north=None, face_on=None, edge_on=None, width=None, depth=None, particles=None)"
    )]
    #[pyo3(signature = (vars, axis="z".to_string(), res=256, weight=None, lmax=None, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string(), normal=None, north=None, face_on=None, edge_on=None, width=None, depth=None, particles=None))]
    #[allow(clippy::too_many_arguments)]
    fn project(
        &self,
        py: Python<'_>,
        vars: Names,
        axis: String,
        res: usize,
        weight: Option<String>,
        lmax: Option<u32>,
        max_threads: Option<usize>,
        center: Option<CenterArg>,
        xrange: Option<LengthArg>,
        yrange: Option<LengthArg>,
        zrange: Option<LengthArg>,
        radius: Option<LengthArg>,
        range_unit: String,
        normal: Option<Vec<f64>>,
        north: Option<Vec<f64>>,
        face_on: Option<f64>,
        edge_on: Option<f64>,
        width: Option<Floats>,
        depth: Option<f64>,
        particles: Option<Names>,
    ) -> PyResult<Py<PyAny>> {
        views::project(
            self,
            py,
            vars,
            axis,
            res,
            weight,
            lmax,
            max_threads,
            center,
            normal,
            north,
            face_on,
            edge_on,
            width,
            depth,
            particles,
            RegionKw {
                center: None,
                xrange,
                yrange,
                zrange,
                radius,
                range_unit,
            },
        )
    }

    /// A slice: each pixel the value of the leaf cell holding its centre
    /// (half-open cells: a plane on a face takes the upper cell; NaN outside
    /// the box), as `amrkit slice`. The plane goes through `center` (box
    /// units, or "densest", "com", "ssc"; default the box centre) normal to
    /// `axis` or `normal` (with `north`), or face-on / edge-on about the
    /// spin axis within `face_on` / `edge_on` of the centre; `width` (W or
    /// [W, H], default the box length) in `range_unit`; `res` pixels along
    /// image x. One variable: a 2-D float64 array `map[j, i]`; a list: a
    /// dict. Reads only the CPU files the plane crosses.
    #[pyo3(
        text_signature = "($self, vars, normal=None, center=None, width=None, res=512, *, axis=None, north=None, face_on=None, edge_on=None, particles=None, lmax=None, max_threads=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code')"
    )]
    #[pyo3(signature = (vars, normal=None, center=None, width=None, res=512, *, axis=None, north=None, face_on=None, edge_on=None, particles=None, lmax=None, max_threads=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn slice(
        &self,
        py: Python<'_>,
        vars: Names,
        normal: Option<Vec<f64>>,
        center: Option<CenterArg>,
        width: Option<Floats>,
        res: usize,
        axis: Option<String>,
        north: Option<Vec<f64>>,
        face_on: Option<f64>,
        edge_on: Option<f64>,
        particles: Option<Names>,
        lmax: Option<u32>,
        max_threads: Option<usize>,
        xrange: Option<LengthArg>,
        yrange: Option<LengthArg>,
        zrange: Option<LengthArg>,
        radius: Option<LengthArg>,
        range_unit: String,
    ) -> PyResult<Py<PyAny>> {
        views::slice(
            self,
            py,
            vars,
            normal,
            center,
            width,
            res,
            axis,
            north,
            face_on,
            edge_on,
            particles,
            lmax,
            max_threads,
            RegionKw {
                center: None,
                xrange,
                yrange,
                zrange,
                radius,
                range_unit,
            },
        )
    }

    /// The centre by `method` ("densest", "com", "ssc"), the bulk velocity
    /// and the specific angular momentum `L` and `L_hat` within `radius`
    /// (in `range_unit`; default half the box length) of it, of the gas
    /// and the `particles` families: the dict `amrkit center --json`
    /// prints (keys method, center, bulk_velocity, L, L_hat, radius,
    /// cells; code units; "units": the same in physical units).
    #[pyo3(
        text_signature = "($self, method='ssc', radius=None, particles=None, lmax=None, max_threads=None, *, range_unit='code')"
    )]
    #[pyo3(signature = (method="ssc".to_string(), radius=None, particles=None, lmax=None, max_threads=None, *, range_unit="code".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn center(
        &self,
        py: Python<'_>,
        method: String,
        radius: Option<f64>,
        particles: Option<Names>,
        lmax: Option<u32>,
        max_threads: Option<usize>,
        range_unit: String,
    ) -> PyResult<Py<PyAny>> {
        views::center(
            self,
            py,
            method,
            radius,
            particles,
            lmax,
            max_threads,
            range_unit,
        )
    }

    /// Writes the cells as VTK, as `amrkit export-vtk`: one
    /// `PREFIX_level_LL.vtu` per level and `PREFIX.vtm` joining them, with
    /// cell `scalars` (loaded or derived names; log10 with `log`) and a
    /// `vector` built from `<vector>_x/y/z` (None: no vector). Returns a
    /// dict: "files" (the paths, the .vtm last), "bytes", "cells", "points".
    #[pyo3(
        text_signature = "($self, prefix, scalars=['density'], vector='velocity', lmin=None, lmax=None, log=False, zlib=False, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code')"
    )]
    #[pyo3(signature = (prefix, scalars=OneOrMany::Many(vec!["density".to_string()]), vector=Some("velocity".to_string()), lmin=None, lmax=None, log=false, zlib=false, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn export_vtk(
        &self,
        py: Python<'_>,
        prefix: PathBuf,
        scalars: Names,
        vector: Option<String>,
        lmin: Option<u8>,
        lmax: Option<u8>,
        log: bool,
        zlib: bool,
        max_threads: Option<usize>,
        center: Option<LengthArg>,
        xrange: Option<LengthArg>,
        yrange: Option<LengthArg>,
        zrange: Option<LengthArg>,
        radius: Option<LengthArg>,
        range_unit: String,
    ) -> PyResult<Py<PyDict>> {
        export::export_vtk(
            self,
            py,
            prefix,
            scalars,
            vector,
            lmin,
            lmax,
            log,
            zlib,
            max_threads,
            RegionKw {
                center,
                xrange,
                yrange,
                zrange,
                radius,
                range_unit,
            },
        )
    }

    /// A radial (or cylindrical) profile, as `amrkit profile --json`: a
    /// dict with `edges` (code lengths), `center`, `bins` (`count`,
    /// `weight`, `mass`, `mass_enclosed` and per variable `mean`, `std`
    /// and, with `cumulative`, `cumulative_mean`: NumPy arrays, NaN for
    /// empty bins), `settings`, `selected`, `inside_rmin`, `on_radius`,
    /// `units` and `mu` (when a temperature is binned). Cells are points at
    /// their centres; distances are minimum images on periodic boxes; bin
    /// k holds `e_k ≤ r < e_{k+1}`. `center`: "densest", "com", "ssc" or
    /// coordinates (lengths as everywhere: numbers in `range_unit`, or with
    /// a unit); `radius` defaults to half the box, `rmin` to the smallest
    /// cell selected. Temperatures are in K (`temperature` with `mu`).
    #[pyo3(
        text_signature = "($self, vars, weight='mass', center=None, radius=None, rmin=None, bins=64, log=True, cylindrical=False, normal=None, height=None, cumulative=False, unit=None, mu=0.6, range_unit='code', lmax=None, max_threads=None)"
    )]
    #[pyo3(signature = (vars, weight="mass".to_string(), center=None, radius=None, rmin=None, bins=64, log=true, cylindrical=false, normal=None, height=None, cumulative=false, unit=None, mu=DEFAULT_MU, range_unit="code".to_string(), lmax=None, max_threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn profile(
        &self,
        py: Python<'_>,
        vars: Names,
        weight: String,
        center: Option<CenterArg>,
        radius: Option<f64>,
        rmin: Option<f64>,
        bins: usize,
        log: bool,
        cylindrical: bool,
        normal: Option<Vec<f64>>,
        height: Option<f64>,
        cumulative: bool,
        unit: Option<Names>,
        mu: f64,
        range_unit: String,
        lmax: Option<u32>,
        max_threads: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        profiles::profile(
            self,
            py,
            vars,
            weight,
            center,
            radius,
            rmin,
            bins,
            log,
            cylindrical,
            normal,
            height,
            cumulative,
            unit,
            mu,
            range_unit,
            lmax,
            max_threads,
        )
    }

    /// A phase diagram, as `amrkit phase`: a dict with `values` (the 2-D
    /// array `H[j, i]`, j along y: the mass per bin, or the weighted mean
    /// of `z`, NaN when empty: the CLI's `.npy`), `counts` (cells per bin),
    /// `x_edges`, `y_edges` (raw values) and the JSON's keys (`x`, `y`,
    /// counts in and outside the ranges, cells dropped from log axes,
    /// `units`, `mu`). Log axes for positive quantities unless
    /// `xlin`/`ylin`; `xrange`/`yrange` are raw values in the variable's
    /// unit; `bins` one number or `(nx, ny)`. The cells: every cell, or
    /// those within `radius` of `center`.
    #[pyo3(
        text_signature = "($self, x, y, z=None, weight='mass', bins=128, xrange=None, yrange=None, xlin=False, ylin=False, unit=None, mu=0.6, center=None, radius=None, range_unit='code', lmax=None, max_threads=None)"
    )]
    #[pyo3(signature = (x, y, z=None, weight="mass".to_string(), bins=Bins::One(128), xrange=None, yrange=None, xlin=false, ylin=false, unit=None, mu=DEFAULT_MU, center=None, radius=None, range_unit="code".to_string(), lmax=None, max_threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn phase(
        &self,
        py: Python<'_>,
        x: String,
        y: String,
        z: Option<String>,
        weight: String,
        bins: Bins,
        xrange: Option<Vec<f64>>,
        yrange: Option<Vec<f64>>,
        xlin: bool,
        ylin: bool,
        unit: Option<Names>,
        mu: f64,
        center: Option<CenterArg>,
        radius: Option<f64>,
        range_unit: String,
        lmax: Option<u32>,
        max_threads: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        profiles::phase(
            self,
            py,
            x,
            y,
            z,
            weight,
            bins,
            xrange,
            yrange,
            xlin,
            ylin,
            unit,
            mu,
            center,
            radius,
            range_unit,
            lmax,
            max_threads,
        )
    }

    /// The sinks of `sink_NNNNN.csv` (as `amrkit stats` counts them): a
    /// dict of 1-D float64 arrays, one per column of the file ("id",
    /// "msink", "x", …; code units), one value per sink. Empty when the
    /// output has no sink file.
    fn sinks(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let snap = Arc::clone(&self.snap);
        let sinks = run(py, move |_| Ok(snap.sinks()?))?;
        let d = PyDict::new(py);
        for (c, name) in sinks.columns.iter().enumerate() {
            let col: Vec<f64> = sinks.rows.iter().map(|r| r[c]).collect();
            d.set_item(name, PyArray1::from_vec(py, col))?;
        }
        Ok(d.unbind())
    }

    fn __repr__(&self) -> String {
        let i = &self.snap.info;
        format!(
            "<amrkit.Snapshot {} (t = {} code, ncpu {}, levels {}..{})>",
            self.snap.dir.display(),
            i.time,
            i.ncpu,
            i.levelmin,
            i.levelmax
        )
    }
}
