//! The demo (the default command): writes a synthetic output, then
//! inspects, loads, projects and exports it, timing each step.

use crate::context::Ctx;
use crate::error::AnyResult;
use crate::render::info_text::print_info;
use crate::render::labels::{map_quantity, MapKind};
use crate::render::map::{write_map, MapStyle};
use crate::synth::generate;
use amrkit_io::{Snapshot, SynthSpec};
use amrkit_kernels::derive::{derived, total_mass};
use amrkit_kernels::export::{export_particles_vtk, export_vtk, VtkOptions};
use amrkit_kernels::project::{project, project_particles, Deposit, ProjSpec, Weight};
use amrkit_kernels::report::InfoReport;
use amrkit_kernels::{
    load_hydro, load_particles, CellTable, Exec, ParticleTable, Quantity, Selection, Units,
};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// One line of the demo's table: step, its time, what it did.
type Step = (&'static str, Duration, String);

/// Runs the demo with the pool of `ctx`; rank 0 only.
pub fn run(ctx: &Ctx, a: &DemoArgs) -> AnyResult<()> {
    let (pool, exec, quiet) = (ctx.pool, &ctx.exec, ctx.quiet);
    let mut steps: Vec<Step> = Vec::new();
    let total = Instant::now();
    if !quiet {
        println!(
            "amrkit demo: {} threads; writing a synthetic RAMSES output to {}",
            pool.num_threads(),
            a.dir.display()
        );
    }
    let t = Instant::now();
    let spec = SynthSpec {
        ncpu: a.ncpu,
        levelmin: a.levelmin,
        levelmax: a.levelmax,
        ..SynthSpec::default()
    };
    let out = generate(spec, &a.dir, exec)?;
    let bytes: u64 = std::fs::read_dir(&out)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    steps.push((
        "generate",
        t.elapsed(),
        format!("{} ({:.0} MB)", out.display(), bytes as f64 / 1e6),
    ));

    let s = Snapshot::open(&out)?;
    if !quiet {
        println!("\n$ amrkit info {}", out.display());
        print_info(&InfoReport::of(&s)?);
        println!();
    }

    let t = Instant::now();
    let table = load_hydro(&s, &Selection::default(), &[], exec)?;
    let mass = total_mass(&table, exec)?;
    let msol = table.units.factor(Quantity::Mass, "Msol")?;
    steps.push((
        "load",
        t.elapsed(),
        format!(
            "{} leaf cells, levels {:?}, gas mass {:.4e} Msol",
            table.len(),
            levels(&table.cells_per_level()),
            mass * msol
        ),
    ));

    let t = Instant::now();
    let mut table = table;
    let temp = derived(&table, "temperature", exec)?;
    table.names.push("temperature".into());
    table.columns.push(temp);
    let maps_dir = a.dir.join("maps");
    std::fs::create_dir_all(&maps_dir)?;
    let (mut files, what) = gas_maps(&table, mass, &maps_dir, exec)?;
    steps.push(("project", t.elapsed(), what));

    let t = Instant::now();
    let vtk_dir = a.dir.join("vtk");
    let (p, what) = export(&s, &table, &vtk_dir, a.levelmax, exec)?;
    steps.push(("export", t.elapsed(), what));

    let t = Instant::now();
    files.push(star_map(&p, &table.units, &maps_dir, exec)?);
    steps.push((
        "particles",
        t.elapsed(),
        format!("{} particles, star map by CIC", p.len()),
    ));

    if !quiet {
        println!("{:<10} {:>9}  what", "step", "time");
        for (name, d, what) in &steps {
            println!("{name:<10} {:>8.2}s  {what}", d.as_secs_f64());
        }
        println!("\nfiles:");
        for f in &files {
            println!("  {f}");
        }
        println!("  {} (.vtu per level + .vtm)", vtk_dir.display());
        println!("total {:.2}s", total.elapsed().as_secs_f64());
        println!("\nnext: amrkit stats {} ; amrkit --help", out.display());
    }
    Ok(())
}

/// The caption of the demo's map figures.
const DEMO_CAPTION: &str = "amrkit demo: a synthetic output";

/// Projects the surface density and the mass-weighted temperature along
/// z into `maps_dir` (`.npy` and `.png` each). Returns the files written
/// and the step's line (with the map's mass against the cells', `mass`).
fn gas_maps(
    table: &CellTable,
    mass: f64,
    maps_dir: &Path,
    exec: &Exec,
) -> AnyResult<(Vec<String>, String)> {
    let res = 512;
    let rho = project(
        table,
        &ProjSpec::whole_box(2, res, &["density"], Weight::None),
        exec,
    )?;
    let tmap = project(
        table,
        &ProjSpec::whole_box(2, res, &["temperature"], Weight::Mass),
        exec,
    )?;
    let u = table.units;
    let sd = u.factor(Quantity::SurfaceDensity, "Msol/pc^2")?;
    let kf = u.factor(Quantity::Temperature, "K")?;
    let mut files = Vec::new();
    for (maps, var, f, unit, title) in [
        (
            &rho,
            "density",
            sd,
            "Msol/pc^2",
            "density projected along z",
        ),
        (
            &tmap,
            "temperature",
            kf,
            "K",
            "mass-weighted temperature along z",
        ),
    ] {
        for ext in ["npy", "png"] {
            let p = maps_dir.join(format!("{var}_z.{ext}"));
            let kind = match var {
                "density" => MapKind::Projection(Weight::None),
                _ => MapKind::Projection(Weight::Mass),
            };
            let quantity = map_quantity(kind, var, unit);
            let style = MapStyle {
                log: true,
                limits: [None, None],
                title,
                caption: DEMO_CAPTION,
                quantity: &quantity,
                axis: 2,
                units: &u,
            };
            files.push(write_map(&p, maps, var, f, &style)?);
        }
    }
    let mass_map: f64 = rho.maps[0].1.iter().sum::<f64>() * rho.pixel_area;
    let what = format!(
        "{res}² maps of surface density and mass-weighted T; map mass / cell mass − 1 = {:.1e}",
        mass_map / mass - 1.0
    );
    Ok((files, what))
}

/// Exports the cells up to level `levelmax - 1` and every particle to VTK
/// under `vtk_dir`. Returns the particles and the step's line.
fn export(
    s: &Snapshot,
    table: &CellTable,
    vtk_dir: &Path,
    levelmax: u32,
    exec: &Exec,
) -> AnyResult<(ParticleTable, String)> {
    let rep = export_vtk(
        table,
        &VtkOptions {
            scalars: vec!["density".into(), "temperature".into()],
            log10: true,
            vector: VtkOptions::vector_of("velocity"),
            lmax: Some((levelmax - 1) as u8),
            ..Default::default()
        },
        &vtk_dir.join("cells"),
        exec,
    )?;
    let p = load_particles(s, &Selection::default(), &[], exec)?;
    let prep = export_particles_vtk(&p, &vtk_dir.join("particles.vtu"), false, exec)?;
    let what = format!(
        "{} cells (levels ≤ {}) in {:.0} MB; {} particles; open {} in ParaView",
        rep.cells,
        levelmax - 1,
        (rep.bytes + prep.bytes) as f64 / 1e6,
        p.len(),
        rep.files
            .last()
            .map(|f| f.display().to_string())
            .unwrap_or_default()
    );
    Ok((p, what))
}

/// The stars' surface density along z by CIC, as `stars_z.png` in
/// `maps_dir`. Returns what `write_map` says of the file.
fn star_map(p: &ParticleTable, u: &Units, maps_dir: &Path, exec: &Exec) -> AnyResult<String> {
    let stars = project_particles(
        p,
        &ProjSpec::whole_box(2, 256, &["mass"], Weight::None),
        Deposit::Cic,
        &[2],
        exec,
    )?;
    write_map(
        &maps_dir.join("stars_z.png"),
        &stars,
        "mass",
        1.0,
        &MapStyle {
            log: true,
            limits: [None, None],
            title: "stellar surface density (CIC)",
            caption: DEMO_CAPTION,
            quantity: "projected stellar mass per area [code units]",
            axis: 2,
            units: u,
        },
    )
}

/// The levels that have cells.
fn levels(per: &[usize]) -> Vec<usize> {
    (0..per.len()).filter(|&l| per[l] > 0).collect()
}
