//! `amrkit._native`: the Python bindings of amrkit, a thin layer over
//! `amrkit-kernels`.
//!
//! Every call resolves its arguments with `amrkit_kernels::request` (the
//! CLI's own resolution), runs the kernels on a helper thread with the GIL
//! released, and hands the Rust vectors to NumPy without copying them.

use amrkit_io::particles::PartColumn;
use amrkit_io::Snapshot;
use amrkit_kernels::binned_request::{
    describe_units, length_in_code, phase_output, profile_output, PhaseAxisRequest, ProfileRequest,
};
use amrkit_kernels::center::{Center, Method};
use amrkit_kernels::export::VtkOptions;
use amrkit_kernels::load::{CellTable, ParticleTable};
use amrkit_kernels::profile::{ProfileSpec, Shape, Spacing};
use amrkit_kernels::project::{project as project_maps, Weight};
use amrkit_kernels::report::ClumpsReport;
use amrkit_kernels::request::{
    axis_of, cells_for, check_axis, export_output_vtk, family_codes, proj_spec, require_particles,
    weight_of, Lengths, RegionArgs,
};
use amrkit_kernels::summary::{info_json, stats_json, units_json};
use amrkit_kernels::temperature::DEFAULT_MU;
use amrkit_kernels::view_request;
use amrkit_kernels::{
    derive, load_particles, Exec, KernelError, Progress, Region, Selection, Units,
};
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyType};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// How often a waiting call looks for Ctrl-C (and lets other Python
/// threads run in between: the GIL is released while it waits).
const POLL: Duration = Duration::from_millis(50);

/// The kernels' progress observer, used only to ask a load to stop.
struct Cancel(Arc<AtomicBool>);

impl Progress for Cancel {
    fn start(&self, _what: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The Python exception for a kernel error: `amrkit.FileError` (an
/// `OSError`) for what comes from the files, `amrkit.ArgumentError` (a
/// `ValueError`) for bad arguments; both subclass `amrkit.Error`.
fn to_py(py: Python<'_>, e: KernelError) -> PyErr {
    let class = match &e {
        KernelError::Io(_) | KernelError::Write { .. } => "FileError",
        KernelError::Cancelled => return PyKeyboardInterrupt::new_err("cancelled"),
        KernelError::NoVariable { .. } | KernelError::Unit { .. } | KernelError::Invalid(_) => {
            "ArgumentError"
        }
    };
    match py
        .import("amrkit._errors")
        .and_then(|m| m.getattr(class))
        .and_then(|t| t.cast_into::<PyType>().map_err(PyErr::from))
    {
        Ok(t) => PyErr::from_type(t, e.to_string()),
        Err(import_failed) => import_failed,
    }
}

/// Runs `work` on a helper thread while this one waits with the GIL
/// released, looking for signals every [`POLL`]: Ctrl-C raises
/// `KeyboardInterrupt` at once and asks the kernels to stop (loads stop
/// between CPU files; the helper thread's results are dropped).
fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Exec) -> Result<T, KernelError> + Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("amrkit-call".into())
        .spawn(move || {
            let progress = Cancel(flag);
            let exec = Exec::default().progress(&progress);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&exec)));
            // The caller may have gone (Ctrl-C): then nobody reads this.
            let _ = tx.send(r);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("amrkit: cannot start a thread: {e}")))?;
    let mut rx = rx;
    loop {
        let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        match got {
            Ok(Ok(r)) => return r.map_err(|e| to_py(py, e)),
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(PyRuntimeError::new_err(format!(
                    "amrkit: internal error (please report): {msg}"
                )));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    cancel.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("amrkit: the worker thread ended"))
            }
        }
    }
}

/// The exec of one call: the caller's `max_threads` cap on the global pool.
fn capped<'a>(exec: &Exec<'a>, max_threads: Option<usize>) -> Exec<'a> {
    Exec {
        max_threads: max_threads.map(|k| k.max(1)),
        ..*exec
    }
}

/// One name or a list of names.
#[derive(FromPyObject)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn into_vec(self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s],
            Names::Many(v) => v,
        }
    }
}

/// A `center`: a method ("densest", "com", "ssc"), or coordinates by the
/// common length rule (`[x, y, z]` in `range_unit`, `([x, y, z], "unit")`,
/// or the CLI's text `"0.5,0.5,0.5box"`).
#[derive(FromPyObject)]
enum CenterArg {
    Name(String),
    Point(LengthArg),
}

/// One number or a list (a window `W` or `[W, H]`).
#[derive(FromPyObject)]
enum Floats {
    One(f64),
    Many(Vec<f64>),
}

impl Floats {
    fn into_vec(self) -> Vec<f64> {
        match self {
            Floats::One(x) => vec![x],
            Floats::Many(v) => v,
        }
    }
}

/// The view options of `slice` and `project` (lengths in `range_unit`).
struct ViewOpts {
    axis: Option<String>,
    normal: Option<Vec<f64>>,
    north: Option<Vec<f64>>,
    face_on: Option<f64>,
    edge_on: Option<f64>,
    width: Option<Vec<f64>>,
    depth: Option<f64>,
    particles: Vec<String>,
}

impl ViewOpts {
    fn any(&self) -> bool {
        self.normal.is_some()
            || self.north.is_some()
            || self.face_on.is_some()
            || self.edge_on.is_some()
            || self.width.is_some()
            || self.depth.is_some()
    }
}

fn vec3(v: &[f64], what: &str) -> Result<[f64; 3], KernelError> {
    match v {
        [x, y, z] => Ok([*x, *y, *z]),
        _ => Err(KernelError::Invalid(format!(
            "{what} needs three components, got {}",
            v.len()
        ))),
    }
}

/// Resolves a view as the CLI does (`--center` method first, over the
/// whole output or the box ranges; then the orientation) and maps it:
/// a slice, or the exact projection along the view, read from the files.
#[allow(clippy::too_many_arguments)]
fn view_maps(
    snap: &Snapshot,
    vars: &[String],
    slice_only: bool,
    weight: Weight,
    res: usize,
    lmax: Option<u32>,
    center: Option<Center>,
    mut region: RegionArgs,
    o: &ViewOpts,
    exec: &Exec,
) -> Result<amrkit_kernels::project::Maps, KernelError> {
    use amrkit_kernels::view_request::{resolve_center, resolve_view, Orientation, ViewArgs};
    let u = Units::from_info(&snap.info);
    let unit = region.range_unit.clone().unwrap_or_else(|| "code".into());
    let per_code = u.factor(amrkit_kernels::Quantity::Length, &unit)?;
    let code = |x: f64| x / per_code;
    let centre = center;
    let has_region = region.radius.is_some()
        || region.xrange.is_some()
        || region.yrange.is_some()
        || region.zrange.is_some();
    let c = match centre {
        None => None,
        Some(Center::At(p)) => Some(p),
        Some(m) => {
            let mut plain = region.clone();
            plain.radius = None;
            let ranges = plain.selection(lmax, &u)?;
            Some(resolve_center(snap, Some(m), Some(&ranges), lmax, exec)?)
        }
    };
    if let Some(c) = c {
        region.center = Some(code_center(c));
    }
    let sel = region.selection(lmax, &u)?;
    if o.axis.is_some() && (o.normal.is_some() || o.face_on.is_some() || o.edge_on.is_some()) {
        return Err(KernelError::Invalid(
            "axis goes without normal, face_on and edge_on".into(),
        ));
    }
    let n_given = [o.normal.is_some(), o.face_on.is_some(), o.edge_on.is_some()];
    if n_given.iter().filter(|&&b| b).count() > 1 {
        return Err(KernelError::Invalid(
            "give one of normal, face_on and edge_on".into(),
        ));
    }
    let orientation = if let Some(n) = &o.normal {
        Orientation::Normal {
            normal: vec3(n, "normal")?,
            north: o.north.as_deref().map(|v| vec3(v, "north")).transpose()?,
        }
    } else if let Some(r) = o.face_on {
        Orientation::FaceOn(code(r))
    } else if let Some(r) = o.edge_on {
        Orientation::EdgeOn(code(r))
    } else {
        Orientation::Axis(axis_of(o.axis.as_deref().unwrap_or("z"))?)
    };
    let width = match o.width.as_deref() {
        None => None,
        Some([w]) => Some([code(*w), code(*w)]),
        Some([w, h]) => Some([code(*w), code(*h)]),
        Some(v) => {
            return Err(KernelError::Invalid(format!(
                "width takes W or [W, H], got {} values",
                v.len()
            )))
        }
    };
    let va = ViewArgs {
        center: c.map(Center::At),
        orientation,
        width,
        depth: o.depth.map(code),
        res,
        particles: o.particles.clone(),
        lmax,
    };
    let r = resolve_view(snap, &va, Some(&sel), exec)?;
    let cells = if has_region {
        sel
    } else {
        Selection {
            lmax,
            ..Selection::default()
        }
    };
    let refs: Vec<&str> = vars.iter().map(String::as_str).collect();
    if slice_only {
        amrkit_kernels::slice::slice(snap, &cells, &r.view, &refs, exec)
    } else {
        let spec = amrkit_kernels::offaxis::ViewSpec {
            view: r.view,
            vars: vars.to_vec(),
            weight,
        };
        amrkit_kernels::offaxis::project_view_streaming(snap, &cells, &spec, exec)
    }
}

/// Maps as NumPy: one 2-D array, or a dict of them by variable.
fn maps_to_py(
    py: Python<'_>,
    maps: amrkit_kernels::project::Maps,
    single: bool,
) -> PyResult<Py<PyAny>> {
    let (ny, nx) = (maps.ny, maps.nx);
    let d = PyDict::new(py);
    let mut last = None;
    for (name, m) in maps.maps {
        let a = Array2::from_shape_vec((ny, nx), m)
            .map_err(|e| PyRuntimeError::new_err(format!("amrkit: map shape: {e}")))?;
        let a = PyArray2::from_owned_array(py, a).into_any();
        if single {
            last = Some(a);
        } else {
            d.set_item(name, a)?;
        }
    }
    match last {
        Some(a) => Ok(a.unbind()),
        None => Ok(d.into_any().unbind()),
    }
}

/// A JSON value as Python objects (via the `json` module: floats round
/// trip exactly).
fn from_json(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(v)
        .map_err(|e| PyRuntimeError::new_err(format!("amrkit: JSON: {e}")))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// A length option as Python takes it: a number or a list of numbers (in
/// `range_unit`), a `(value, "unit")` or `([values], "unit")` tuple as
/// yt's, or the CLI's text (`"10kpc"`, `"-5,5pc"`).
#[derive(FromPyObject)]
enum LengthArg {
    Text(String),
    One(f64),
    OneIn((f64, String)),
    ManyIn((Vec<f64>, String)),
    Many(Vec<f64>),
}

impl LengthArg {
    fn lengths(self) -> Result<Lengths, KernelError> {
        Ok(match self {
            LengthArg::Text(s) => Lengths::parse(&s)?,
            LengthArg::One(v) => Lengths::bare(vec![v]),
            LengthArg::Many(v) => Lengths::bare(v),
            LengthArg::OneIn((v, u)) => Lengths::with_unit(vec![v], &u),
            LengthArg::ManyIn((v, u)) => Lengths::with_unit(v, &u),
        })
    }
}

fn region_args(
    center: Option<LengthArg>,
    xrange: Option<LengthArg>,
    yrange: Option<LengthArg>,
    zrange: Option<LengthArg>,
    radius: Option<LengthArg>,
    range_unit: String,
) -> Result<RegionArgs, KernelError> {
    let l = |a: Option<LengthArg>| a.map(LengthArg::lengths).transpose();
    Ok(RegionArgs {
        center: l(center)?,
        xrange: l(xrange)?,
        yrange: l(yrange)?,
        zrange: l(zrange)?,
        radius: l(radius)?,
        range_unit: Some(range_unit),
    })
}

/// Takes the column `name` out of a table (no copy).
fn take_column(t: &mut CellTable, name: &str) -> Vec<f64> {
    match t.names.iter().position(|n| n == name) {
        Some(i) => std::mem::take(&mut t.columns[i]),
        None => Vec::new(),
    }
}

/// One RAMSES output, opened: what `amrkit.open` returns.
///
/// Every method reads the files it needs on amrkit's thread pool with the
/// GIL released, and returns NumPy arrays that wrap Rust's memory (no
/// copy: `arr.flags.owndata` is False). Values are in code units; see
/// `units` for the factors.
#[pyclass(module = "amrkit", name = "Snapshot", frozen)]
struct PySnapshot {
    snap: Arc<Snapshot>,
}

impl PySnapshot {
    fn selection(&self, lmax: Option<u32>, region: &RegionArgs) -> Result<Selection, KernelError> {
        region.selection(lmax, &Units::from_info(&self.snap.info))
    }
}

impl CenterArg {
    /// The centring module's `Center`, a point in code units.
    fn resolve(self, range_unit: &str, u: &Units) -> Result<Center, KernelError> {
        let lengths = match self {
            CenterArg::Name(n) => match Method::parse(n.trim()) {
                Ok(m) => return Ok(Center::Method(m)),
                Err(_) => Lengths::parse(&n)?,
            },
            CenterArg::Point(l) => l.lengths()?,
        };
        match lengths.to_code(range_unit, u)?[..] {
            [x, y, z] => Ok(Center::At([x, y, z])),
            ref v => Err(KernelError::Invalid(format!(
                "center must be densest, com, ssc or three coordinates x,y,z, got {} values",
                v.len()
            ))),
        }
    }
}

/// A point's region centre, in code units with the unit written (so that
/// no `range_unit` applies to it).
fn code_center(c: [f64; 3]) -> Lengths {
    Lengths::with_unit(c.to_vec(), "code")
}

/// Bins of a phase diagram: one number for both axes, or `(nx, ny)`.
#[derive(FromPyObject)]
enum Bins {
    One(usize),
    Two((usize, usize)),
    Many(Vec<usize>),
}

impl Bins {
    fn pair(&self) -> Result<(usize, usize), KernelError> {
        match self {
            Bins::One(n) => Ok((*n, *n)),
            Bins::Two(p) => Ok(*p),
            Bins::Many(v) => match v[..] {
                [n] => Ok((n, n)),
                [nx, ny] => Ok((nx, ny)),
                _ => Err(KernelError::Invalid(format!(
                    "bins needs one number or (nx, ny), got {} values",
                    v.len()
                ))),
            },
        }
    }
}

/// The shortest side of the box (code units).
fn box_side(u: &Units) -> f64 {
    (0..u.ndim.max(1))
        .map(|d| u.extent[d] as f64 * u.boxlen)
        .fold(f64::INFINITY, f64::min)
}

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
    /// factor from code units to named units: "kpc", "Msol", "Myr", "K"
    /// with mu = 0.6, "km/s", "g/cm^3", …).
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
        let region = region_args(center, xrange, yrange, zrange, radius, range_unit)
            .map_err(|e| to_py(py, e))?;
        let sel = self.selection(lmax, &region).map_err(|e| to_py(py, e))?;
        let snap = Arc::clone(&self.snap);
        let mut names: Vec<String> = match vars {
            Some(v) => v.into_vec(),
            None => snap
                .hydro_fields
                .iter()
                .map(|f| f.name.clone())
                .chain(snap.grav_fields.iter().cloned())
                // RAMSES-RT variables when the rt files can be read (an
                // unreadable rt component fails only when named).
                .chain(
                    snap.rt_fields
                        .iter()
                        .filter(|_| snap.rt_problem().is_none())
                        .map(|f| f.name.clone()),
                )
                .collect(),
        };
        // The coordinates come first anyway; each name once.
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| {
            !["x", "y", "z", "level", "dx"].contains(&n.as_str()) && seen.insert(n.clone())
        });
        let columns = run(py, move |exec| {
            let exec = capped(exec, max_threads);
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut t = cells_for(&snap, &sel, &refs, Weight::None, &exec)?;
            let mut out: Vec<(String, Vec<f64>)> = Vec::with_capacity(names.len() + 5);
            // As many coordinates as the output has dimensions.
            for c in ["x", "y", "z"].into_iter().take(snap.info.ndim) {
                out.push((c.to_string(), derive::derived(&t, c, &exec)?));
            }
            // The level is an integer: int32 (one copy of a byte column).
            let level: Vec<i32> = exec.par().map_range(0..t.len(), |k| i32::from(t.level[k]));
            out.push(("dx".into(), derive::derived(&t, "cell_size", &exec)?));
            for n in &names {
                let col = take_column(&mut t, n);
                out.push((n.clone(), col));
            }
            Ok((out, level))
        })?;
        let (columns, level) = columns;
        let d = PyDict::new(py);
        let mut level = Some(level);
        for (name, col) in columns {
            if name == "dx" {
                if let Some(l) = level.take() {
                    d.set_item("level", PyArray1::from_vec(py, l))?;
                }
            }
            d.set_item(name, PyArray1::from_vec(py, col))?;
        }
        Ok(d.unbind())
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
        let region = region_args(center, xrange, yrange, zrange, radius, range_unit)
            .map_err(|e| to_py(py, e))?;
        let sel = self.selection(None, &region).map_err(|e| to_py(py, e))?;
        let codes = family_codes(&families.map(Names::into_vec).unwrap_or_default())
            .map_err(|e| to_py(py, e))?;
        let fields = fields.map(Names::into_vec).unwrap_or_default();
        let snap = Arc::clone(&self.snap);
        let table = run(py, move |exec| -> Result<ParticleTable, KernelError> {
            let exec = capped(exec, max_threads);
            require_particles(&snap)?;
            // `age_myr` is made from `birth_time` (and `family`): every
            // field of the files when none is named, else as asked.
            let want_age = fields.is_empty() || fields.iter().any(|f| f == "age_myr");
            let mut want: Vec<&str> = fields
                .iter()
                .map(String::as_str)
                .filter(|f| *f != "age_myr")
                .collect();
            let has = |e: &str| {
                snap.particle_layout()
                    .is_ok_and(|l| l.fields.iter().any(|f| f.name == e))
            };
            // Fields loaded only to filter or to make ages: dropped after.
            let mut added: Vec<&str> = Vec::new();
            if !fields.is_empty() {
                let mut extra = Vec::new();
                if !codes.is_empty() {
                    extra.push("family");
                }
                if want_age {
                    extra.extend(["birth_time", "family"]);
                }
                for e in extra {
                    if !want.contains(&e) && has(e) {
                        want.push(e);
                        added.push(e);
                    }
                }
            }
            let mut p = load_particles(&snap, &sel, &want, &exec)?;
            if !codes.is_empty() {
                let keep: Vec<bool> = p.families()?.iter().map(|f| codes.contains(f)).collect();
                for c in &mut p.columns {
                    match c {
                        PartColumn::F64(v) => retain_mask(v, &keep),
                        PartColumn::I64(v) => retain_mask(v, &keep),
                        PartColumn::I8(v) => retain_mask(v, &keep),
                    }
                }
            }
            if want_age {
                let ages = star_ages_myr(&p, &snap.info).ok_or_else(|| {
                    KernelError::Invalid(format!(
                        "{}: age_myr needs the particles' birth_time, which this output does not have",
                        snap.dir.display()
                    ))
                });
                match ages {
                    Ok(a) => {
                        p.names.push("age_myr".into());
                        p.columns.push(PartColumn::F64(a));
                    }
                    // Without birth times, ages only when asked for.
                    Err(e) if !fields.is_empty() => return Err(e),
                    Err(_) => {}
                }
            }
            if !added.is_empty() {
                let keep: Vec<bool> = p
                    .names
                    .iter()
                    .map(|n| !added.contains(&n.as_str()))
                    .collect();
                let mut k = 0;
                p.names.retain(|_| {
                    k += 1;
                    keep[k - 1]
                });
                let mut k = 0;
                p.columns.retain(|_| {
                    k += 1;
                    keep[k - 1]
                });
            }
            Ok(p)
        })?;
        let d = PyDict::new(py);
        for (name, col) in table.names.into_iter().zip(table.columns) {
            match col {
                PartColumn::F64(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
                PartColumn::I64(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
                PartColumn::I8(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
            }
        }
        Ok(d.unbind())
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
        let region = region_args(center, xrange, yrange, zrange, radius, range_unit)
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
        let single = matches!(vars, Names::One(_));
        let names = vars.into_vec();
        let opts = ViewOpts {
            axis: (axis != "z").then(|| axis.clone()),
            normal,
            north,
            face_on,
            edge_on,
            width: width.map(Floats::into_vec),
            depth,
            particles: particles.map(Names::into_vec).unwrap_or_default(),
        };
        let u = Units::from_info(&self.snap.info);
        let center = center
            .map(|c| c.resolve(&range_unit, &u))
            .transpose()
            .map_err(|e| to_py(py, e))?;
        let mut region = region_args(None, xrange, yrange, zrange, radius, range_unit)
            .map_err(|e| to_py(py, e))?;
        match center {
            Some(Center::At(p)) if !opts.any() => region.center = Some(code_center(p)),
            None if !opts.any() => {}
            c => {
                let weight =
                    weight_of(weight.as_deref().unwrap_or("none")).map_err(|e| to_py(py, e))?;
                let snap = Arc::clone(&self.snap);
                let maps = run(py, move |exec| {
                    let exec = capped(exec, max_threads);
                    view_maps(
                        &snap, &names, false, weight, res, lmax, c, region, &opts, &exec,
                    )
                })?;
                return maps_to_py(py, maps, single);
            }
        }
        let prep = || -> Result<_, KernelError> {
            let sel = self.selection(lmax, &region)?;
            let axis = axis_of(&axis)?;
            check_axis(&self.snap, axis)?;
            let weight = weight_of(weight.as_deref().unwrap_or("none"))?;
            if res == 0 {
                return Err(KernelError::Invalid("res must be at least 1".into()));
            }
            if names.is_empty() {
                return Err(KernelError::Invalid("no variable to project".into()));
            }
            Ok((sel, axis, weight))
        };
        let (sel, axis, weight) = prep().map_err(|e| to_py(py, e))?;
        let snap = Arc::clone(&self.snap);
        let maps = run(py, move |exec| {
            let exec = capped(exec, max_threads);
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            // Every cell the window overlaps: the map is the integral over it.
            let cover = sel.with_overlapping_cells(&snap.info);
            let t = cells_for(&snap, &cover, &refs, weight, &exec)?;
            let spec = proj_spec(
                &Units::from_info(&snap.info),
                &sel,
                axis,
                res,
                &refs,
                weight,
            );
            project_maps(&t, &spec, &exec)
        })?;
        let (ny, nx) = (maps.ny, maps.nx);
        // A 1D output gives a profile: a 1-D array, as the CLI's .npy.
        let profile = self.snap.info.ndim == 1;
        let mut arrays = Vec::with_capacity(maps.maps.len());
        for (name, m) in maps.maps {
            if profile {
                arrays.push((name, PyArray1::from_vec(py, m).into_any()));
                continue;
            }
            let a = Array2::from_shape_vec((ny, nx), m)
                .map_err(|e| PyRuntimeError::new_err(format!("amrkit: map shape: {e}")))?;
            arrays.push((name, PyArray2::from_owned_array(py, a).into_any()));
        }
        if single {
            let (_, a) = arrays
                .pop()
                .ok_or_else(|| PyRuntimeError::new_err("amrkit: no map"))?;
            return Ok(a.into_any().unbind());
        }
        let d = PyDict::new(py);
        for (name, a) in arrays {
            d.set_item(name, a)?;
        }
        Ok(d.into_any().unbind())
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
        let single = matches!(vars, Names::One(_));
        let names = vars.into_vec();
        let opts = ViewOpts {
            axis,
            normal,
            north,
            face_on,
            edge_on,
            width: width.map(Floats::into_vec),
            depth: None,
            particles: particles.map(Names::into_vec).unwrap_or_default(),
        };
        let u = Units::from_info(&self.snap.info);
        let center = center
            .map(|c| c.resolve(&range_unit, &u))
            .transpose()
            .map_err(|e| to_py(py, e))?;
        let region = region_args(None, xrange, yrange, zrange, radius, range_unit)
            .map_err(|e| to_py(py, e))?;
        let snap = Arc::clone(&self.snap);
        let maps = run(py, move |exec| {
            let exec = capped(exec, max_threads);
            view_maps(
                &snap,
                &names,
                true,
                Weight::None,
                res,
                lmax,
                center,
                region,
                &opts,
                &exec,
            )
        })?;
        maps_to_py(py, maps, single)
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
        let snap = Arc::clone(&self.snap);
        let families = particles.map(Names::into_vec).unwrap_or_default();
        let j = run(py, move |exec| {
            let exec = capped(exec, max_threads);
            let u = Units::from_info(&snap.info);
            let m = amrkit_kernels::center::Method::parse(&method)?;
            let per_code = u.factor(amrkit_kernels::Quantity::Length, &range_unit)?;
            let r = radius.map(|r| r / per_code);
            // The CLI's length unit for the "units" object.
            let kpc = u
                .factor(amrkit_kernels::Quantity::Length, "kpc")
                .unwrap_or(0.0);
            let boxkpc = u.boxlen * kpc;
            let lu = if boxkpc >= 1e3 {
                "Mpc"
            } else if boxkpc >= 1.0 {
                "kpc"
            } else if boxkpc >= 1e-6 {
                "pc"
            } else {
                "code"
            };
            amrkit_kernels::view_request::center_report(
                &snap, m, r, &families, None, lmax, lu, &exec,
            )
        })?;
        from_json(py, &j)
    }

    /// Writes the cells as VTK, as `amrkit export-vtk`: one
    /// `PREFIX_level_LL.vtu` per level and `PREFIX.vtm` joining them, with
    /// cell `scalars` (loaded or derived names; log10 with `log`) and a
    /// `vector` built from `<vector>_x/y/z` (None: no vector). Returns a
    /// dict: "files" (the paths, the .vtm last), "bytes", "cells", "points".
    #[pyo3(
        text_signature = "($self, prefix, scalars=['density'], vector='velocity', lmin=None, lmax=None, log=False, zlib=False, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit='code')"
    )]
    #[pyo3(signature = (prefix, scalars=Names::Many(vec!["density".to_string()]), vector=Some("velocity".to_string()), lmin=None, lmax=None, log=false, zlib=false, max_threads=None, *, center=None, xrange=None, yrange=None, zrange=None, radius=None, range_unit="code".to_string()))]
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
        let region = region_args(center, xrange, yrange, zrange, radius, range_unit)
            .map_err(|e| to_py(py, e))?;
        let sel = self
            .selection(lmax.map(u32::from), &region)
            .map_err(|e| to_py(py, e))?;
        let opts = VtkOptions {
            scalars: scalars.into_vec(),
            log10: log,
            vector: vector.as_deref().and_then(VtkOptions::vector_of),
            lmin,
            lmax,
            zlib,
        };
        let snap = Arc::clone(&self.snap);
        let rep = run(py, move |exec| {
            export_output_vtk(&snap, &sel, &opts, &prefix, &capped(exec, max_threads))
        })?;
        let d = PyDict::new(py);
        d.set_item(
            "files",
            PyList::new(py, rep.files.iter().map(|f| f.display().to_string()))?,
        )?;
        d.set_item("bytes", rep.bytes)?;
        d.set_item("cells", rep.cells)?;
        d.set_item("points", rep.points)?;
        Ok(d.unbind())
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
        let u = Units::from_info(&self.snap.info);
        let prep = || -> Result<_, KernelError> {
            let one = |a: Option<f64>| a.map(|v| length_in_code(v, &range_unit, &u)).transpose();
            let center = center.map(|c| c.resolve(&range_unit, &u)).transpose()?;
            let mut spec = ProfileSpec::new([0.0; 3], 1.0);
            spec.weight = weight_of(&weight)?;
            spec.rmin = one(rmin)?;
            spec.bins = bins;
            spec.spacing = if log { Spacing::Log } else { Spacing::Lin };
            if cylindrical {
                let normal = match normal.as_deref() {
                    None => [0.0, 0.0, 1.0],
                    Some(&[x, y, z]) => [x, y, z],
                    Some(v) => {
                        return Err(KernelError::Invalid(format!(
                            "normal needs 3 values, got {}",
                            v.len()
                        )))
                    }
                };
                let height = one(height)?.unwrap_or_else(|| box_side(&u));
                spec.shape = Shape::Cylinder { normal, height };
            }
            Ok((center, spec, one(radius)?))
        };
        let (center, spec, radius) = prep().map_err(|e| to_py(py, e))?;
        let names = vars.into_vec();
        let units = unit.map(Names::into_vec).unwrap_or_default();
        let snap = Arc::clone(&self.snap);
        let (p, cols) = run(py, move |exec| {
            let exec = capped(exec, max_threads);
            let c = view_request::resolve_center(&snap, center, None, None, &exec)?;
            let req = ProfileRequest {
                vars: names,
                units,
                center: c,
                radius,
                spec,
                mu,
                lmax,
            };
            profile_output(&snap, &req, &exec)
        })?;
        let mut j = p.to_json(cumulative);
        describe_units(&mut j, &cols, mu);
        let d = from_json(py, &j)?;
        let d = d.bind(py).cast::<PyDict>()?.clone();
        d.set_item("edges", PyArray1::from_vec(py, p.edges.clone()))?;
        let b = d
            .get_item("bins")?
            .ok_or_else(|| PyRuntimeError::new_err("no bins"))?;
        let b = b.cast::<PyDict>()?;
        b.set_item("count", PyArray1::from_vec(py, p.count.clone()))?;
        b.set_item("weight", PyArray1::from_vec(py, p.weight.clone()))?;
        b.set_item("mass", PyArray1::from_vec(py, p.mass.clone()))?;
        b.set_item(
            "mass_enclosed",
            PyArray1::from_vec(py, p.mass_enclosed.clone()),
        )?;
        for v in &p.vars {
            let o = PyDict::new(py);
            o.set_item("mean", PyArray1::from_vec(py, v.mean.clone()))?;
            o.set_item("std", PyArray1::from_vec(py, v.std.clone()))?;
            if cumulative {
                o.set_item(
                    "cumulative_mean",
                    PyArray1::from_vec(py, v.cumulative_mean.clone()),
                )?;
            }
            b.set_item(&v.name, o)?;
        }
        Ok(d.into_any().unbind())
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
        let u = Units::from_info(&self.snap.info);
        let prep = || -> Result<_, KernelError> {
            let (nx, ny) = bins.pair()?;
            let pair = |r: Option<Vec<f64>>, what: &str| match r.as_deref() {
                None => Ok(None),
                Some(&[a, b]) => Ok(Some([a, b])),
                Some(v) => Err(KernelError::Invalid(format!(
                    "{what} needs two values a,b, got {}",
                    v.len()
                ))),
            };
            let units = unit.map(Names::into_vec).unwrap_or_default();
            let nvars = 2 + usize::from(z.is_some());
            if units.len() > 1 && units.len() != nvars {
                return Err(KernelError::Invalid(format!(
                    "unit: {} units for {nvars} variables",
                    units.len()
                )));
            }
            let unit_of = |k: usize| match units.len() {
                0 => None,
                1 => Some(units[0].clone()),
                _ => units.get(k).cloned(),
            };
            let xa = PhaseAxisRequest {
                var: x,
                unit: unit_of(0),
                lin: xlin,
                range: pair(xrange, "xrange")?,
                bins: nx,
            };
            let ya = PhaseAxisRequest {
                var: y,
                unit: unit_of(1),
                lin: ylin,
                range: pair(yrange, "yrange")?,
                bins: ny,
            };
            let radius = radius
                .map(|r| length_in_code(r, &range_unit, &u))
                .transpose()?;
            if center.is_some() && radius.is_none() {
                return Err(KernelError::Invalid(
                    "center selects nothing without radius (the sphere around it)".into(),
                ));
            }
            let center = center.map(|c| c.resolve(&range_unit, &u)).transpose()?;
            Ok((xa, ya, unit_of(2), weight_of(&weight)?, center, radius))
        };
        let (xa, ya, zu, weight, center, radius) = prep().map_err(|e| to_py(py, e))?;
        let snap = Arc::clone(&self.snap);
        let (ph, cols) = run(py, move |exec| {
            let exec = capped(exec, max_threads);
            let region = match radius {
                None => None,
                Some(r) => {
                    let c = view_request::resolve_center(&snap, center, None, None, &exec)?;
                    let b = snap.info.boxlen;
                    Some(Region::Sphere {
                        centre: c.map(|x| x / b),
                        radius: r / b,
                    })
                }
            };
            let sel = Selection {
                lmax,
                region,
                files: None,
            };
            let z = z.as_deref().map(|z| (z, zu.as_deref()));
            phase_output(&snap, &sel, [&xa, &ya], z, weight, mu, &exec)
        })?;
        let mut j = ph.to_json();
        describe_units(&mut j, &cols, mu);
        let d = from_json(py, &j)?;
        let d = d.bind(py).cast::<PyDict>()?.clone();
        let (nx, ny) = (ph.axes[0].bins, ph.axes[1].bins);
        let shape = |v: Vec<f64>| {
            Array2::from_shape_vec((ny, nx), v)
                .map_err(|e| PyRuntimeError::new_err(format!("amrkit: phase shape: {e}")))
        };
        d.set_item(
            "values",
            PyArray2::from_owned_array(py, shape(ph.values.clone())?),
        )?;
        let counts = Array2::from_shape_vec((ny, nx), ph.counts.clone())
            .map_err(|e| PyRuntimeError::new_err(format!("amrkit: phase shape: {e}")))?;
        d.set_item("counts", PyArray2::from_owned_array(py, counts))?;
        d.set_item("x_edges", PyArray1::from_vec(py, ph.axes[0].edges.clone()))?;
        d.set_item("y_edges", PyArray1::from_vec(py, ph.axes[1].edges.clone()))?;
        Ok(d.into_any().unbind())
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

/// Ages in Myr at the output's time of the star particles (family `star`,
/// or, without families, a non-zero birth time), NaN for the others, as
/// `amrkit particles` computes them (cosmological runs: super-conformal
/// birth times through Friedmann tables); `None` without birth times.
fn star_ages_myr(p: &ParticleTable, info: &amrkit_io::Info) -> Option<Vec<f64>> {
    let birth = p.reals("birth_time").ok()?;
    let fam = p.families().ok();
    let ages = derive::particle_ages(birth, info);
    Some(
        ages.iter()
            .enumerate()
            .map(|(k, &a)| {
                let star = fam.map_or(birth[k] != 0.0, |f| f[k] == 2);
                if star {
                    a / amrkit_kernels::units::MYR
                } else {
                    f64::NAN
                }
            })
            .collect(),
    )
}

/// Keeps the values whose `keep` is true, in order.
fn retain_mask<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}

/// Opens a RAMSES output: an `output_NNNNN` folder (or a renamed folder
/// holding one `info_NNNNN.txt`), its `info_NNNNN.txt` file as yt takes
/// it, or a simulation folder (its last output, or output `number`:
/// `amrkit.open("sim", 2)` opens `sim/output_00002`; a missing output
/// lists those there). Outputs in `group_GGGGG` folders are read like
/// flat ones, 1D and 2D outputs too. Raises
/// `amrkit.FileError` (an `OSError`) naming the file when the output
/// cannot be read.
#[pyfunction]
#[pyo3(text_signature = "(path, number=None)")]
#[pyo3(signature = (path, number=None))]
fn open(py: Python<'_>, path: PathBuf, number: Option<u32>) -> PyResult<PySnapshot> {
    let snap = run(py, move |_| match number {
        Some(n) => amrkit_kernels::request::open(&path.join(format!("output_{n:05}"))),
        None => amrkit_kernels::request::open(&path),
    })?;
    Ok(PySnapshot {
        snap: Arc::new(snap),
    })
}

/// The threads of amrkit's pool (`AMRKIT_NUM_THREADS`, else the CPU
/// count); `max_threads` caps a call below it.
#[pyfunction]
fn num_threads() -> usize {
    amrkit_pool::current_num_threads()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySnapshot>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    Ok(())
}
