//! The commands: argument types and what each does.

use crate::png::{write_map_png, write_npy, MapLabel};
use crate::progress::Bars;
use crate::{Cli, Command};
use amrkit_dist::Comm;
use amrkit_io::{family_name, Snapshot};
use amrkit_kernels::derive::{particle_ages, quantity_of};
use amrkit_kernels::export::{export_particles_vtk, VtkOptions};
use amrkit_kernels::project::{project_particles, Deposit, Maps, ProjSpec, Weight};
use amrkit_kernels::request::{
    axis_of, check_axis, family_codes, proj_spec, require_particles, weight_of, Lengths, RegionArgs,
};
use amrkit_kernels::series::{Row, SeriesOptions};
use amrkit_kernels::{Exec, Quantity, Selection, Units};
use amrkit_pool::Pool;
use clap::{Args, Parser};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Any error, as one line.
pub type AnyResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn fail<T>(msg: impl Into<String>) -> AnyResult<T> {
    Err(msg.into().into())
}

pub use amrkit_kernels::request::{open, outputs};

/// Shared selection options.
#[derive(Args, Clone, Debug, Default)]
pub struct SelArgs {
    /// Deepest level to read (cells there count as leaves).
    #[arg(long)]
    pub lmax: Option<u32>,
    /// Centre of the ranges "x,y,z" (default the box centre). Every length
    /// option: a bare number is in --range-unit; a unit may follow the
    /// (last) value: 0.5,0.5,0.5box, 10kpc, -5,5pc.
    #[arg(long, allow_hyphen_values = true)]
    pub center: Option<Lengths>,
    /// x range "a,b" relative to the centre.
    #[arg(long, allow_hyphen_values = true)]
    pub xrange: Option<Lengths>,
    /// y range.
    #[arg(long, allow_hyphen_values = true)]
    pub yrange: Option<Lengths>,
    /// z range (a projection along z: the depth slab).
    #[arg(long, allow_hyphen_values = true)]
    pub zrange: Option<Lengths>,
    /// Sphere radius around the centre.
    #[arg(long)]
    pub radius: Option<Lengths>,
    /// Unit of bare lengths: code (the box spans [0, boxlen]), box, kpc,
    /// pc, Mpc, cm, … Regions select cells by their centre; `project`
    /// integrates over the window and slab, clipping the cells that
    /// straddle their faces.
    #[arg(long, default_value = "code")]
    pub range_unit: String,
    /// Thread cap for this call (nested work inherits it).
    #[arg(long)]
    pub max_threads: Option<usize>,
}

impl SelArgs {
    fn selection(&self, units: &Units) -> AnyResult<Selection> {
        let region = RegionArgs {
            center: self.center.clone(),
            xrange: self.xrange.clone(),
            yrange: self.yrange.clone(),
            zrange: self.zrange.clone(),
            radius: self.radius.clone(),
            range_unit: Some(self.range_unit.clone()),
        };
        Ok(region.selection(self.lmax, units)?)
    }
}

/// `amrkit demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the demo (default ./amrkit-demo).
    #[arg(default_value = "amrkit-demo")]
    pub dir: PathBuf,
    /// Coarsest level of the generated snapshot.
    #[arg(long, default_value_t = 6)]
    pub levelmin: u32,
    /// Deepest level.
    #[arg(long, default_value_t = 9)]
    pub levelmax: u32,
    /// CPU files.
    #[arg(long, default_value_t = 8)]
    pub ncpu: usize,
}

/// `amrkit info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// An output_NNNNN folder (or a simulation folder: its last output).
    pub output: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// `amrkit stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// The output folder.
    pub output: PathBuf,
    #[command(flatten)]
    pub sel: SelArgs,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Named units for the table (e.g. density in g/cm^3): "auto" picks
    /// astrophysical ones; default code units.
    #[arg(long)]
    pub unit: Option<String>,
}

/// `amrkit project`.
#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Variables, comma-separated (RAMSES or derived names).
    #[arg(long, value_delimiter = ',', required = true)]
    pub var: Vec<String>,
    /// Line of sight: x, y or z.
    #[arg(long, default_value = "z")]
    pub axis: String,
    /// Pixels per side.
    #[arg(long)]
    pub res: Option<usize>,
    /// Pixel size in --unit (instead of --res).
    #[arg(long)]
    pub pixel_size: Option<f64>,
    /// Unit of --pixel-size, and of the map values when given for them.
    #[arg(long)]
    pub unit: Option<String>,
    /// Weight: mass, volume or none.
    #[arg(long, default_value = "none")]
    pub weight: String,
    #[command(flatten)]
    pub sel: SelArgs,
    /// Colour the PNG by log10 of the values.
    #[arg(long)]
    pub log: bool,
    /// Output files (.npy and/or .png), one per variable, or a folder.
    #[arg(long, value_delimiter = ',', required = true)]
    pub out: Vec<PathBuf>,
}

/// `amrkit export-vtk`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Cell scalars.
    #[arg(long, value_delimiter = ',', default_value = "density,pressure")]
    pub scalars: Vec<String>,
    /// A vector (velocity).
    #[arg(long)]
    pub vector: Option<String>,
    /// log10 of the scalars.
    #[arg(long)]
    pub log: bool,
    /// Coarsest level to write.
    #[arg(long)]
    pub lmin: Option<u8>,
    #[command(flatten)]
    pub sel: SelArgs,
    /// zlib compression.
    #[arg(long)]
    pub zlib: bool,
    /// Also write particles (`PREFIX_particles.vtu`).
    #[arg(long)]
    pub particles: bool,
    /// File prefix.
    #[arg(long, required = true)]
    pub out: PathBuf,
}

/// `amrkit particles`.
#[derive(Args, Debug)]
pub struct ParticlesArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Families to keep (DM, star, cloud, …), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub family: Vec<String>,
    /// Deposition: ngp or cic.
    #[arg(long, default_value = "cic")]
    pub deposit: String,
    /// Line of sight.
    #[arg(long, default_value = "z")]
    pub axis: String,
    /// Pixels per side.
    #[arg(long, default_value_t = 256)]
    pub res: usize,
    #[command(flatten)]
    pub sel: SelArgs,
    /// Machine-readable statistics.
    #[arg(long)]
    pub json: bool,
    /// Mass map (.npy and/or .png).
    #[arg(long, value_delimiter = ',')]
    pub out: Vec<PathBuf>,
}

/// `amrkit clumps`.
#[derive(Args, Debug)]
pub struct ClumpsArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Only the N most massive clumps.
    #[arg(long)]
    pub top: Option<usize>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// `amrkit series`.
#[derive(Args, Debug)]
pub struct SeriesArgs {
    /// The simulation folder holding output_NNNNN folders.
    pub sim: PathBuf,
    /// Outputs, e.g. "1..10" (default: all).
    #[arg(long)]
    pub outputs: Option<String>,
    /// Snapshots read at once (default 1; at most --capacity).
    #[arg(long)]
    pub concurrent: Option<usize>,
    /// Threads per snapshot read (default: a quarter of the pool, at least 1).
    #[arg(long)]
    pub read_threads: Option<usize>,
    /// Threads of the analysis stage (default: the whole pool).
    #[arg(long)]
    pub analysis_threads: Option<usize>,
    /// Snapshots in memory at once: being read, waiting, or being analysed
    /// (default 2: the next is read while one is analysed; 1 reads and
    /// analyses in turn). Peak memory is this many cell tables plus a
    /// constant.
    #[arg(long, default_value_t = 2)]
    pub capacity: usize,
    /// CSV file (default stdout).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Plot of gas and stellar mass against time.
    #[arg(long)]
    pub png: Option<PathBuf>,
}

/// `amrkit bench` / `amrkit tune`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The output folder (default: the demo's).
    pub output: Option<PathBuf>,
    /// Samples per point (median is reported).
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
}

/// `r`, or the first error of any process (every process gets it): the
/// steps before a distributed one go through here, so that a process that
/// fails early does not leave the others waiting for it.
fn agree<T>(comm: &dyn Comm, r: AnyResult<T>) -> AnyResult<T> {
    let (value, local) = match r {
        Ok(v) => (Some(v), Ok(Vec::new())),
        Err(e) => (None, Err(e.to_string())),
    };
    amrkit_dist::gather_checked(comm, local)?;
    Ok(value.expect("no error anywhere"))
}

/// Opens `output` and builds the selection of `sel` on every process
/// (`check` runs on the opened output), all of them agreeing on the
/// outcome (an error anywhere is every process's), and caps `exec` by
/// `--max-threads`.
fn open_selected<'e>(
    comm: &dyn Comm,
    output: &Path,
    sel: &SelArgs,
    exec: &Exec<'e>,
    check: impl FnOnce(&Snapshot) -> AnyResult<()>,
) -> AnyResult<(Snapshot, Selection, Exec<'e>)> {
    let (s, selection) = agree(
        comm,
        (|| {
            let s = open(output)?;
            check(&s)?;
            let selection = sel.selection(&Units::from_info(&s.info))?;
            Ok((s, selection))
        })(),
    )?;
    let exec = Exec {
        max_threads: sel.max_threads,
        ..*exec
    };
    Ok((s, selection, exec))
}

/// Runs the parsed command line as one of the processes of `comm` (a
/// group of one for the plain binary): the distributed commands share the
/// files; rank 0 alone prints and writes, and alone runs the others.
pub fn run(cli: Cli, comm: &dyn Comm) -> AnyResult<()> {
    let mut b = Pool::builder();
    let tuned = if cli.no_tune_cache {
        None
    } else {
        crate::demo::tuned_threads()
    };
    if let Some(n) = cli.threads.or(tuned) {
        b = b.num_threads(n);
    }
    let pool = b.pin_threads(cli.pin).build()?;
    let bars = Bars::new(&cli.progress, cli.quiet || !comm.is_root());
    let exec = Exec::on(&pool).progress(&bars);
    let quiet = cli.quiet || !comm.is_root();
    // No command: the demo with its command-line defaults.
    let command = cli.command.unwrap_or_else(|| {
        crate::Cli::parse_from(["amrkit", "demo"])
            .command
            .expect("demo parses")
    });
    match command {
        Command::Stats(a) => return stats(&a, &exec, comm),
        Command::Project(a) => return project_cmd(&a, &exec, quiet, comm),
        Command::ExportVtk(a) => return export_cmd(&a, &exec, quiet, comm),
        Command::Particles(a) => return particles_cmd(&a, &exec, quiet, comm),
        Command::Series(a) => return series(&a, &pool, quiet, comm),
        // The others run on rank 0 alone.
        _ if !comm.is_root() => return Ok(()),
        _ => {}
    }
    match command {
        Command::Demo(a) => crate::demo::demo(&a, &pool, &exec, quiet),
        Command::Info(a) => info(&a),
        Command::Clumps(a) => clumps_cmd(&a),
        Command::Stats(_)
        | Command::Project(_)
        | Command::ExportVtk(_)
        | Command::Particles(_)
        | Command::Series(_) => unreachable!("run above"),
        Command::Bench(a) => crate::demo::bench(&a, &pool, false),
        Command::Tune(a) => crate::demo::bench(&a, &pool, true),
    }
}

pub use amrkit_kernels::summary::info_json;

fn info(a: &InfoArgs) -> AnyResult<()> {
    let s = open(&a.output)?;
    let j = info_json(&s)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        print_info(&j);
    }
    Ok(())
}

/// Prints `info` as text.
pub fn print_info(j: &Value) {
    println!("output      {}", j["output"].as_str().unwrap_or(""));
    let num = |k: &str| j[k].as_f64().unwrap_or(f64::NAN);
    if j["cosmological"].as_bool() == Some(true) {
        println!(
            "time        {:.6e} code (super-comoving conformal time)",
            num("time_code")
        );
        println!(
            "expansion   aexp {:.6}   redshift {:.4}   H0 {} km/s/Mpc   Ω_m {:.4}  Ω_Λ {:.4}  Ω_k {:.4}",
            num("aexp"),
            num("redshift"),
            j["h0"],
            num("omega_m"),
            num("omega_l"),
            num("omega_k")
        );
        match (j["age_myr"].as_f64(), j["lookback_myr"].as_f64()) {
            (Some(age), Some(lb)) => println!(
                "age         {age:.2} Myr at aexp (age of the universe); lookback time {lb:.2} Myr"
            ),
            _ => println!("age         not defined for this cosmology (no matter, or aexp > 1)"),
        }
        println!(
            "box         {} code = {:.4} cMpc/h (comoving) = {:.4} Mpc (proper at aexp)",
            j["boxlen_code"],
            num("boxlen_cmpc_h"),
            num("boxlen_mpc")
        );
    } else {
        println!(
            "time        {:.6e} code = {:.4} Myr",
            num("time_code"),
            num("time_myr")
        );
        println!(
            "box         {} code = {:.4} kpc",
            j["boxlen_code"],
            num("boxlen_kpc")
        );
    }
    if let Some(nd) = j["ndim"].as_u64().filter(|&n| n < 3) {
        println!(
            "dimensions  {nd}D: masses and volumes are per unit {} (one code length{})",
            if nd == 2 { "depth" } else { "cross-section" },
            if nd == 2 { "" } else { " squared" }
        );
    }
    if j["box_coarse_cells"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v != 1))
    {
        println!(
            "coarse box  {} coarse cells of boxlen each",
            j["box_coarse_cells"]
        );
    }
    println!(
        "levels      {}..{}   ncpu {}   ordering {}",
        j["levelmin"],
        j["levelmax"],
        j["ncpu"],
        j["ordering"].as_str().unwrap_or("")
    );
    if j["file_layout"]["kind"] == "groups" {
        println!(
            "files       in group_XXXXX folders of {} CPUs ({} groups, IOGROUPSIZEREP)",
            j["file_layout"]["group_size"], j["file_layout"]["groups"]
        );
    }
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    println!("hydro       {}", list(&j["hydro_variables"]));
    println!("gravity     {}", list(&j["gravity_variables"]));
    match j["particles_error"].as_str() {
        Some(e) => println!("particles   not readable: {e}"),
        None => println!("particles   {}", list(&j["particle_fields"])),
    }
    if let Some(m) = j["particles_per_family"].as_object() {
        for (k, v) in m {
            println!("  {k:<10} {v}");
        }
    }
    println!("sinks       {}", j["sinks"]);
    if let Some(e) = j["rt_error"].as_str() {
        println!("rt          not readable: {e}");
    }
    if let Some(rt) = j["rt"].as_object() {
        let num = |k: &str| rt[k].as_f64().unwrap_or(f64::NAN);
        let c: Vec<String> = rt["rt_c_frac"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| format!("{}", v.as_f64().unwrap_or(f64::NAN)))
            .collect();
        println!(
            "rt          {} photon groups, {} ions (from hydro variable {}); rt_c_frac {}{}",
            rt["ngroups"],
            rt["nions"],
            rt["iions"],
            c.join(", "),
            if c.len() > 1 {
                " (levels levelmin..)"
            } else {
                ""
            }
        );
        println!(
            "rt units    1 code unit of every rt variable = {:.6e} photons/cm^2/s (unit_pf); unit_np {:.6e} photons/cm^3",
            num("unit_pf"),
            num("unit_np")
        );
        for g in rt["groups"].as_array().into_iter().flatten() {
            println!(
                "  group {}  {:.2}..{} eV, mean {:.3} eV: {}",
                g["group"],
                g["l0_ev"].as_f64().unwrap_or(f64::NAN),
                match g["l1_ev"].as_f64() {
                    Some(x) if x > 0.0 => format!("{x:.2}"),
                    _ => "∞".to_string(),
                },
                g["egy_ev"].as_f64().unwrap_or(f64::NAN),
                list(&g["variables"])
            );
        }
        if rt["groups"].as_array().is_none_or(|a| a.is_empty()) {
            println!("  variables {}", list(&j["rt_variables"]));
        }
    }
    println!(
        "disk        {:.1} MB",
        j["disk_bytes"].as_f64().unwrap_or(0.0) / 1e6
    );
}

fn stats(a: &StatsArgs, exec: &Exec, comm: &dyn Comm) -> AnyResult<()> {
    let (s, sel, exec) = open_selected(comm, &a.output, &a.sel, exec, |_| Ok(()))?;
    let Some(j) = amrkit_dist::stats(comm, &s, &sel, a.unit.as_deref(), &exec)? else {
        return Ok(());
    };
    if let Some(e) = j["particles_error"].as_str() {
        eprintln!("amrkit: warning: particles not read (gas figures are complete): {e}");
    }
    if let Some(e) = j["rt_error"].as_str() {
        eprintln!("amrkit: warning: RAMSES-RT variables not read (gas figures are complete): {e}");
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    println!(
        "leaf cells {} per level {}",
        j["n_leaf_total"], j["leaf_cells_per_level"]
    );
    println!(
        "gas mass   {:.10e} ({}{})",
        j["total_mass"].as_f64().unwrap_or(0.0),
        if a.unit.is_some() { "Msol" } else { "code" },
        match s.info.ndim {
            2 => ", Σρ·dx² per code length of depth",
            1 => ", Σρ·dx per code area of cross-section",
            _ => "",
        }
    );
    if a.unit.is_some() && j["rt"].is_object() {
        println!("(rt variables in photons/cm^2/s: code values × unit_pf)");
    }
    for g in ["hydro", "gravity", "rt"] {
        if let Some(m) = j[g].as_object() {
            println!(
                "{:<16} {:>16} {:>16} {:>16} {:>16}",
                g, "min", "max", "vol-mean", "mass-mean"
            );
            for (k, v) in m {
                println!(
                    "{k:<16} {:>16.8e} {:>16.8e} {:>16.8e} {:>16.8e}",
                    v["min"].as_f64().unwrap_or(0.0),
                    v["max"].as_f64().unwrap_or(0.0),
                    v["volume_weighted_mean"].as_f64().unwrap_or(0.0),
                    v["mass_weighted_mean"].as_f64().unwrap_or(0.0)
                );
            }
        }
    }
    if let Some(m) = j["particles"].as_object() {
        for (k, v) in m {
            println!(
                "particles {k:<8} {:>9}  mass {:.8e}",
                v["count"],
                v["total_mass"].as_f64().unwrap_or(0.0)
            );
        }
    }
    if j["sinks"].is_object() {
        println!(
            "sinks              {:>9}  mass {:.8e}",
            j["sinks"]["count"],
            j["sinks"]["total_mass"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}

/// How a map is drawn in a PNG.
pub struct MapStyle<'a> {
    /// log10 colour scale.
    pub log: bool,
    /// Title above the map.
    pub title: &'a str,
    /// The quantity and its unit, e.g. `density [Msol/pc^2]`.
    pub quantity: &'a str,
    /// Projection axis (0, 1, 2): names the image axes.
    pub axis: usize,
    /// Units of the output: the axes are labelled in pc, kpc or Mpc.
    pub units: &'a Units,
}

/// The unit the axes of a map are labelled in, and code lengths per unit:
/// Mpc, kpc or pc by the box size, or code lengths when the output has no
/// physical length unit (box under 10^-3 pc).
pub fn length_unit(u: &Units) -> (&'static str, f64) {
    let kpc = u.factor(Quantity::Length, "kpc").unwrap_or(0.0);
    let boxkpc = u.boxlen * kpc;
    if boxkpc >= 1e3 {
        ("Mpc", kpc / 1e3)
    } else if boxkpc >= 1.0 {
        ("kpc", kpc)
    } else if boxkpc >= 1e-6 {
        ("pc", kpc * 1e3)
    } else {
        ("code length", 1.0)
    }
}

/// Names of the horizontal and vertical image axes of a projection.
pub fn image_axis_names(axis: usize) -> [&'static str; 2] {
    let (a, b) = ProjSpec::whole_box(axis, 1, &[], Weight::None).image_axes();
    [["x", "y", "z"][a], ["x", "y", "z"][b]]
}

/// Writes one map (`factor` × the code-unit map `name`) to `path`: `.npy`
/// or `.png` by extension.
pub fn write_map(
    path: &Path,
    maps: &Maps,
    name: &str,
    factor: f64,
    style: &MapStyle,
) -> AnyResult<String> {
    let m: Vec<f64> = maps
        .get(name)
        .ok_or("no map")?
        .iter()
        .map(|v| v * factor)
        .collect();
    let profile = style.units.ndim == 1;
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") if profile => {
            crate::png::write_npy_1d(path, &m)?;
            Ok(format!(
                "{} ({} float64, a 1D profile)",
                path.display(),
                maps.nx
            ))
        }
        Some("png") if profile => fail(format!(
            "{}: a 1D output gives a profile, not an image: write it as .npy",
            path.display()
        )),
        Some("npy") => {
            write_npy(path, maps.ny, maps.nx, &m)?;
            Ok(format!(
                "{} ({}×{} float64)",
                path.display(),
                maps.ny,
                maps.nx
            ))
        }
        Some("png") => {
            let (unit, per) = length_unit(style.units);
            let extent = maps.extent.map(|e| e * per);
            let comment = format!(
                "extent [{}, {}] × [{}, {}] {unit}",
                extent[0], extent[1], extent[2], extent[3]
            );
            let (w, h) = write_map_png(
                path,
                &m,
                maps.nx,
                maps.ny,
                style.log,
                &MapLabel {
                    title: style.title,
                    quantity: style.quantity,
                    axes: image_axis_names(style.axis),
                    unit,
                    extent,
                    comment: &comment,
                },
            )?;
            Ok(format!("{} ({w}×{h} PNG)", path.display()))
        }
        _ => fail(format!(
            "{}: output must end in .npy or .png",
            path.display()
        )),
    }
}

fn project_cmd(a: &ProjectArgs, exec: &Exec, quiet: bool, comm: &dyn Comm) -> AnyResult<()> {
    let (s, sel, axis, weight, res) = agree(
        comm,
        (|| {
            let s = open(&a.output)?;
            let u = Units::from_info(&s.info);
            let sel = a.sel.selection(&u)?;
            let axis = axis_of(&a.axis)?;
            let weight = weight_of(&a.weight)?;
            check_axis(&s, axis)?;
            let spec0 = proj_spec(&u, &sel, axis, 1, &[], weight);
            let (ia, _) = spec0.image_axes();
            let width_box = spec0.range[ia][1] - spec0.range[ia][0];
            let res = match (a.res, a.pixel_size) {
                (Some(r), _) => r,
                (None, Some(px)) => {
                    let unit = a.unit.as_deref().unwrap_or("code");
                    let px_box = px * u.box_per(unit)?;
                    (width_box / px_box).round().max(1.0) as usize
                }
                (None, None) => 256,
            };
            Ok((s, sel, axis, weight, res))
        })(),
    )?;
    let u = Units::from_info(&s.info);
    let exec = Exec {
        max_threads: a.sel.max_threads,
        ..*exec
    };
    let vars: Vec<&str> = a.var.iter().map(String::as_str).collect();
    let spec = proj_spec(&u, &sel, axis, res, &vars, weight);
    let Some(maps) = amrkit_dist::project_cells(comm, &s, &sel, &vars, weight, &spec, &exec)?
    else {
        return Ok(());
    };
    let outs: Vec<PathBuf> = if a.out.len() == 1
        && (a.out[0].is_dir() || a.out[0].extension().is_none())
    {
        std::fs::create_dir_all(&a.out[0])?;
        vars.iter()
            .flat_map(|v| ["npy", "png"].map(|e| a.out[0].join(format!("proj_{v}_{}.{e}", a.axis))))
            .collect()
    } else {
        a.out.clone()
    };
    let per_var = outs.len().div_ceil(vars.len()).max(1);
    for (k, path) in outs.iter().enumerate() {
        let v = vars[(k / per_var).min(vars.len() - 1)];
        // 1D and 2D maps are averages of the cells over each pixel (the
        // integral over the unit depth): the variable's own quantity.
        let flat = s.info.ndim < 3;
        let q = if weight == Weight::None && v == "density" && !flat {
            Quantity::SurfaceDensity
        } else {
            quantity_of(v)
        };
        let (factor, unit) = match &a.unit {
            Some(_) if weight == Weight::None && q != Quantity::SurfaceDensity && !flat => {
                return fail(format!(
                    "--unit: ∫{v} dl has no named unit here; use --weight mass|volume, or code units"
                ))
            }
            Some(unit) if a.pixel_size.is_none() => (u.factor(q, unit)?, unit.clone()),
            _ => (1.0, "code".into()),
        };
        let title = match weight {
            Weight::None if s.info.ndim == 2 => format!("{v} (2D image)"),
            Weight::None if s.info.ndim == 1 => format!("{v} (1D profile)"),
            Weight::None => format!("{v} projected along {}", a.axis),
            Weight::Mass => format!("mass-weighted {v} along {}", a.axis),
            Weight::Volume => format!("volume-weighted {v} along {}", a.axis),
        };
        let quantity = format!("{v} [{unit}]");
        let style = MapStyle {
            log: a.log,
            title: &title,
            quantity: &quantity,
            axis,
            units: &u,
        };
        let msg = write_map(path, &maps, v, factor, &style)?;
        if !quiet {
            println!("wrote {msg}");
        }
    }
    Ok(())
}

fn export_cmd(a: &ExportArgs, exec: &Exec, quiet: bool, comm: &dyn Comm) -> AnyResult<()> {
    let (s, sel, exec) = open_selected(comm, &a.output, &a.sel, exec, |_| Ok(()))?;
    let vector = a.vector.as_deref().and_then(VtkOptions::vector_of);
    let opts = VtkOptions {
        scalars: a.scalars.clone(),
        log10: a.log,
        vector,
        lmin: a.lmin,
        lmax: a.sel.lmax.map(|l| l as u8),
        zlib: a.zlib,
    };
    let rep = amrkit_dist::export_vtk(comm, &s, &sel, &opts, &a.out, &exec)?;
    let particles = if a.particles && s.has_particles {
        amrkit_dist::particles(comm, &s, &sel, &[], &exec)?
    } else {
        None
    };
    let Some(rep) = rep else {
        return Ok(());
    };
    if !quiet {
        println!(
            "wrote {} cells, {} points, {:.1} MB:",
            rep.cells,
            rep.points,
            rep.bytes as f64 / 1e6
        );
        for f in &rep.files {
            println!("  {}", f.display());
        }
    }
    if let Some(p) = particles {
        let path = a.out.with_file_name(format!(
            "{}_particles.vtu",
            a.out.file_name().unwrap_or_default().to_string_lossy()
        ));
        let r = export_particles_vtk(&p, &path, a.zlib, &exec)?;
        if !quiet {
            println!("  {} ({} particles)", path.display(), r.points);
        }
    }
    Ok(())
}

fn particles_cmd(a: &ParticlesArgs, exec: &Exec, quiet: bool, comm: &dyn Comm) -> AnyResult<()> {
    let (s, sel, exec) =
        open_selected(comm, &a.output, &a.sel, exec, |s| Ok(require_particles(s)?))?;
    let Some(p) = amrkit_dist::particles(comm, &s, &sel, &[], &exec)? else {
        return Ok(());
    };
    let codes = family_codes(&a.family)?;
    let m = p.reals("mass")?;
    let fam = p.families().ok();
    let mut per: std::collections::BTreeMap<&str, (u64, f64)> = Default::default();
    for k in 0..p.len() {
        let code = fam.map_or(1, |f| f[k]);
        if !codes.is_empty() && !codes.contains(&code) {
            continue;
        }
        let e = per.entry(family_name(code)).or_default();
        e.0 += 1;
        e.1 += m[k];
    }
    // Stellar ages (Myr) at the output's time, cosmology-aware.
    let ages = match (p.reals("birth_time"), fam) {
        (Ok(birth), Some(f)) => {
            let stars: Vec<f64> = (0..p.len())
                .filter(|&k| f[k] == 2)
                .map(|k| birth[k])
                .collect();
            let myr = 1e6 * amrkit_kernels::units::YR;
            let a = particle_ages(&stars, &s.info);
            let (lo, hi) = a
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v / myr), h.max(v / myr))
                });
            (lo <= hi).then_some((lo, hi))
        }
        _ => None,
    };
    let j: Map<String, Value> = per
        .iter()
        .map(|(k, (c, mm))| {
            let mut o = json!({"count": c, "total_mass": mm});
            if let (&"star", Some((lo, hi))) = (k, ages) {
                o["age_myr"] = json!({"min": lo, "max": hi});
            }
            (k.to_string(), o)
        })
        .collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&Value::Object(j))?);
    } else if !quiet {
        for (k, (c, mm)) in &per {
            println!("{k:<12} {c:>10} particles, mass {mm:.8e} code");
        }
        if let Some((lo, hi)) = ages {
            println!("star ages    {lo:.4} to {hi:.4} Myr");
        }
    }
    if !a.out.is_empty() {
        let scheme = match a.deposit.as_str() {
            "ngp" => Deposit::Ngp,
            "cic" => Deposit::Cic,
            d => return fail(format!("--deposit must be ngp or cic, got {d:?}")),
        };
        let axis = axis_of(&a.axis)?;
        check_axis(&s, axis)?;
        let spec = proj_spec(&p.units, &sel, axis, a.res, &["mass"], Weight::None);
        let maps = project_particles(&p, &spec, scheme, &codes, &exec)?;
        for path in &a.out {
            let style = MapStyle {
                log: true,
                title: "particle surface density",
                quantity: "mass / area [code]",
                axis: spec.axis,
                units: &p.units,
            };
            let msg = write_map(path, &maps, "mass", 1.0, &style)?;
            if !quiet && !a.json {
                println!("wrote {msg}");
            }
        }
    }
    Ok(())
}

/// The clump table as JSON: every column of the files (integers as
/// integers) for the clumps by decreasing mass, `top` of them when given.
pub fn clumps_json(s: &Snapshot, top: Option<usize>) -> AnyResult<Value> {
    let t = s.clumps()?;
    let order = t.by_mass();
    let shown = top.unwrap_or(order.len()).min(order.len());
    let rows: Vec<Value> = order[..shown]
        .iter()
        .map(|&k| {
            let c = &t.clumps[k];
            let mut o = Map::new();
            for ((name, &v), &int) in t.columns.iter().zip(&c.values).zip(&t.integer) {
                o.insert(name.clone(), if int { json!(v as i64) } else { json!(v) });
            }
            o.insert("cpu".into(), json!(c.cpu));
            Value::Object(o)
        })
        .collect();
    Ok(json!({
        "output": s.dir.display().to_string(),
        "units": "code",
        "n_files": t.files.len(),
        "n_clumps": t.clumps.len(),
        "total_mass": t.total_mass(),
        "columns": t.columns,
        "clumps": rows,
    }))
}

fn clumps_cmd(a: &ClumpsArgs) -> AnyResult<()> {
    let s = open(&a.output)?;
    let j = clumps_json(&s, a.top)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    println!(
        "{} clumps in {} files, total mass {:.8e} (code units); {}:",
        j["n_clumps"],
        j["n_files"],
        j["total_mass"].as_f64().unwrap_or(0.0),
        match a.top {
            Some(n) => format!("the {n} most massive"),
            None => "by mass".to_string(),
        }
    );
    let cols = [
        "index",
        "lev",
        "parent",
        "ncell",
        "peak_x",
        "peak_y",
        "peak_z",
        "rho+",
        "mass_cl",
        "relevance",
    ];
    let rows = j["clumps"].as_array().cloned().unwrap_or_default();
    // Columns the files have, in this order; the rest only in --json.
    let cols: Vec<&str> = cols
        .into_iter()
        .filter(|c| !rows.first().is_some_and(|r| r[*c].is_null()))
        .collect();
    let mut head = String::from("rank");
    for c in &cols {
        head += &if c.starts_with("peak") || *c == "rho+" || *c == "mass_cl" || *c == "relevance" {
            format!(" {c:>15}")
        } else {
            format!(" {c:>8}")
        };
    }
    println!("{head}");
    for (k, r) in rows.iter().enumerate() {
        let mut line = format!("{:>4}", k + 1);
        for c in &cols {
            line += &match &r[*c] {
                Value::Number(n) if n.is_i64() => format!(" {:>8}", n.as_i64().unwrap_or(0)),
                v => format!(" {:>15.8e}", v.as_f64().unwrap_or(f64::NAN)),
            };
        }
        println!("{line}");
    }
    Ok(())
}

fn series(a: &SeriesArgs, pool: &Pool, quiet: bool, comm: &dyn Comm) -> AnyResult<()> {
    let outs = agree(
        comm,
        (|| {
            let mut outs = outputs(&a.sim)?;
            if let Some(r) = &a.outputs {
                let (lo, hi) = r
                    .split_once("..")
                    .map_or((r.as_str(), r.as_str()), |(a, b)| (a, b));
                let (lo, hi): (u32, u32) = (
                    lo.parse()
                        .map_err(|_| format!("--outputs {r:?}: expected A..B"))?,
                    hi.parse()
                        .map_err(|_| format!("--outputs {r:?}: expected A..B"))?,
                );
                outs.retain(|(n, _)| (lo..=hi).contains(n));
            }
            if outs.is_empty() {
                return fail(format!("{}: no output_NNNNN folders", a.sim.display()));
            }
            Ok(outs)
        })(),
    )?;
    // Read stage -> analysis stage -> this writer, on the pool
    // (`amrkit_kernels::series`): rows arrive in output order.
    let opts = SeriesOptions {
        read_workers: a.concurrent.unwrap_or(1).max(1),
        read_threads: a.read_threads,
        analysis_threads: a.analysis_threads,
        capacity: a.capacity.max(1),
    };
    let dirs: Vec<PathBuf> = outs.iter().map(|(_, d)| d.clone()).collect();
    // Each row lands at its output's index, whatever the delivery order
    // (and whichever process computed it).
    let Some(rows): Option<Vec<Result<Row, String>>> = amrkit_dist::series(comm, pool, dirs, opts)?
    else {
        return Ok(());
    };
    let mut csv = String::from("output,time_code,time_myr,gas_mass_code,stellar_mass_code,mean_density_code,mean_temperature_K,error\n");
    let mut failed = 0;
    let mut points = Vec::new();
    for ((n, _), r) in outs.iter().zip(&rows) {
        match r {
            Ok(v) => {
                csv += &format!(
                    "{n},{},{},{},{},{},{},\n",
                    v.time_code,
                    v.time_myr,
                    v.gas_mass,
                    v.stellar_mass,
                    v.mean_density,
                    v.mean_temperature_k
                );
                points.push((v.time_code, v.gas_mass, v.stellar_mass));
            }
            Err(e) => {
                failed += 1;
                csv += &format!("{n},,,,,,,\"{}\"\n", e.replace('"', "'"));
                if !quiet {
                    eprintln!("amrkit: output {n}: {e}");
                }
            }
        }
    }
    match &a.csv {
        // Via a temporary name, so a failed write leaves no partial CSV.
        Some(p) => amrkit_io::atomic::write_atomic(p, csv.as_bytes())?,
        None => print!("{csv}"),
    }
    if let Some(p) = &a.png {
        crate::demo::plot_series(p, &points)?;
    }
    if failed == outs.len() {
        return fail(format!("all {failed} snapshots failed"));
    }
    Ok(())
}
