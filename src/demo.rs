//! The demo (the default command), `bench`, `tune` and the series plot.

use crate::commands::{
    info_json, open, print_info, write_map, AnyResult, BenchArgs, DemoArgs, MapStyle,
};
use amrkit_io::{Snapshot, SynthPlan, SynthSpec};
use amrkit_kernels::derive::{derived, total_mass};
use amrkit_kernels::export::{export_particles_vtk, export_vtk, VtkOptions};
use amrkit_kernels::project::{project, project_particles, Deposit, ProjSpec, Weight};
use amrkit_kernels::{load_hydro, load_particles, Exec, Quantity, Selection};
use amrkit_pool::Pool;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes the synthetic snapshot of `spec` under `sim_dir`, one CPU file
/// set per task. Returns the output folder.
pub fn generate(spec: SynthSpec, sim_dir: &Path, exec: &Exec) -> AnyResult<PathBuf> {
    let ncpu = spec.ncpu;
    let plan = SynthPlan::new(spec)?;
    let out = plan.output_dir(sim_dir);
    plan.write_meta(&out)?;
    exec.par()
        .min_chunk(1)
        .map_range(1..ncpu + 1, |icpu| plan.write_cpu(&out, icpu))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// The demo: generate, inspect, load, project, export, and report.
pub fn demo(a: &DemoArgs, pool: &Pool, exec: &Exec, quiet: bool) -> AnyResult<()> {
    let mut steps: Vec<(&str, Duration, String)> = Vec::new();
    let total = Instant::now();
    let say = |s: &str| {
        if !quiet {
            println!("{s}");
        }
    };
    say(&format!(
        "amrkit demo: {} threads; writing a synthetic RAMSES output to {}",
        pool.num_threads(),
        a.dir.display()
    ));
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
        print_info(&info_json(&s)?);
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
    let res = 512;
    let rho = project(
        &table,
        &ProjSpec::whole_box(2, res, &["density"], Weight::None),
        exec,
    )?;
    let tmap = project(
        &table,
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
            let quantity = format!("{var} [{unit}]");
            let style = MapStyle {
                log: true,
                title,
                quantity: &quantity,
                axis: 2,
                units: &u,
            };
            files.push(write_map(&p, maps, var, f, &style)?);
        }
    }
    let mass_map: f64 = rho.maps[0].1.iter().sum::<f64>() * rho.pixel_area;
    steps.push((
        "project",
        t.elapsed(),
        format!(
            "{res}² maps of surface density and mass-weighted T; map mass / cell mass − 1 = {:.1e}",
            mass_map / mass - 1.0
        ),
    ));

    let t = Instant::now();
    let vtk_dir = a.dir.join("vtk");
    let rep = export_vtk(
        &table,
        &VtkOptions {
            scalars: vec!["density".into(), "temperature".into()],
            log10: true,
            vector: VtkOptions::vector_of("velocity"),
            lmax: Some((a.levelmax - 1) as u8),
            ..Default::default()
        },
        &vtk_dir.join("cells"),
        exec,
    )?;
    let p = load_particles(&s, &Selection::default(), &[], exec)?;
    let prep = export_particles_vtk(&p, &vtk_dir.join("particles.vtu"), false, exec)?;
    steps.push((
        "export",
        t.elapsed(),
        format!(
            "{} cells (levels ≤ {}) in {:.0} MB; {} particles; open {} in ParaView",
            rep.cells,
            a.levelmax - 1,
            (rep.bytes + prep.bytes) as f64 / 1e6,
            p.len(),
            rep.files
                .last()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        ),
    ));

    let t = Instant::now();
    let stars = project_particles(
        &p,
        &ProjSpec::whole_box(2, 256, &["mass"], Weight::None),
        Deposit::Cic,
        &[2],
        exec,
    )?;
    files.push(write_map(
        &maps_dir.join("stars_z.png"),
        &stars,
        "mass",
        1.0,
        &MapStyle {
            log: true,
            title: "stellar surface density (CIC)",
            quantity: "mass / area [code]",
            axis: 2,
            units: &u,
        },
    )?);
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

fn levels(per: &[usize]) -> Vec<usize> {
    (0..per.len()).filter(|&l| per[l] > 0).collect()
}

/// A machine signature: CPU model and core count.
pub fn signature() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!(
        "{model} / {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )
}

fn cache_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("amrkit").join("tune.json"))
}

/// The thread count `amrkit tune` stored for this machine, unless
/// `AMRKIT_NUM_THREADS` or `AMRKIT_NO_TUNE_CACHE` is set (or the caller
/// got `--no-tune-cache`).
pub fn tuned_threads() -> Option<usize> {
    if std::env::var_os("AMRKIT_NUM_THREADS").is_some()
        || std::env::var_os("AMRKIT_NO_TUNE_CACHE").is_some()
    {
        return None;
    }
    let text = std::fs::read_to_string(cache_file()?).ok()?;
    let j: serde_json::Value = serde_json::from_str(&text).ok()?;
    j[signature()]["threads"].as_u64().map(|n| n as usize)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `bench` (and `tune`, which also stores the best thread count).
pub fn bench(a: &BenchArgs, pool: &Pool, store: bool) -> AnyResult<()> {
    let tmp = std::env::temp_dir().join(format!("amrkit-bench-{}", std::process::id()));
    let out = match &a.output {
        Some(o) => open(o)?.dir,
        None => generate(
            SynthSpec {
                levelmin: 6,
                levelmax: 8,
                ..SynthSpec::default()
            },
            &tmp,
            &Exec::on(pool),
        )?,
    };
    let s = Snapshot::open(&out)?;
    let n = pool.num_threads();
    println!("machine {}; output {}", signature(), out.display());
    println!(
        "{:>7} {:>10} {:>10} {:>10} {:>8} {:>6}",
        "threads", "load s", "project s", "export s", "speedup", "CV"
    );
    let mut rows = Vec::new();
    let mut base = None;
    for k in 1..=n {
        let exec = Exec::on(pool).max_threads(k);
        let before = pool.stats();
        let (mut tl, mut tp, mut te) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..a.samples.max(1) {
            let t = Instant::now();
            let table = load_hydro(&s, &Selection::default(), &[], &exec)?;
            tl.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            project(
                &table,
                &ProjSpec::whole_box(2, 512, &["density"], Weight::None),
                &exec,
            )?;
            tp.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            export_vtk(
                &table,
                &VtkOptions {
                    scalars: vec!["density".into()],
                    ..Default::default()
                },
                &tmp.join("vtk/cells"),
                &exec,
            )?;
            te.push(t.elapsed().as_secs_f64());
        }
        let cv = pool.stats().since(&before).load_balance_cv().unwrap_or(0.0);
        let (l, p, e) = (median(tl), median(tp), median(te));
        let sum = l + p + e;
        let speed = base.get_or_insert(sum).to_owned() / sum;
        println!("{k:>7} {l:>10.4} {p:>10.4} {e:>10.4} {speed:>7.2}x {cv:>6.3}");
        rows.push((k, l, p, e, sum));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    if store {
        let best = rows
            .iter()
            .min_by(|a, b| a.4.total_cmp(&b.4))
            .expect("a row")
            .0;
        let path = cache_file().ok_or("no cache folder (HOME unset)")?;
        std::fs::create_dir_all(path.parent().expect("parent"))?;
        let mut j: serde_json::Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(json!({}));
        j[signature()] = json!({
            "threads": best,
            "seconds_per_thread_count": rows.iter().map(|r| json!({"threads": r.0, "load": r.1, "project": r.2, "export": r.3})).collect::<Vec<_>>(),
        });
        let tmpf = path.with_extension("json.tmp");
        std::fs::write(&tmpf, serde_json::to_string_pretty(&j)?)?;
        std::fs::rename(&tmpf, &path)?;
        println!("stored: {best} threads for this machine in {} (used by default; AMRKIT_NO_TUNE_CACHE=1 or --threads to override)", path.display());
    }
    Ok(())
}

/// A plot of gas (blue) and stellar (orange) mass against code time, each
/// scaled to its own maximum, with axes, tick labels and a legend.
pub fn plot_series(path: &Path, points: &[(f64, f64, f64)]) -> amrkit_io::Result<()> {
    use crate::png::{Axes, Canvas};
    let (t0, t1) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (t0, t1) = if t1 > t0 {
        (t0, t1)
    } else {
        (t0 - 0.5, t0 + 0.5)
    };
    let axes = Axes {
        scale: 1,
        x: (t0, t1, "time [code]".into()),
        y: (0.0, 1.0, "mass / max".into()),
    };
    let (left, top, pw, ph) = (axes.left_margin(), 40usize, 456usize, 280usize);
    let mut c = Canvas::new(left + pw + 24, top + ph + axes.bottom_margin());
    c.text(left, 12, "gas and stellar mass against time", 1, false);
    axes.draw(&mut c, left, top, pw, ph);
    let series = [("gas", [30u8, 80, 200]), ("stars", [230, 120, 20])];
    for (n, (name, colour)) in series.iter().enumerate() {
        let lx = left + pw - 120 + 64 * n;
        c.fill(lx, 12, lx + 8, 20, *colour);
        c.text(lx + 12, 12, name, 1, false);
        let value = |p: &(f64, f64, f64)| if n == 0 { p.1 } else { p.2 };
        let max = points.iter().map(value).fold(0.0, f64::max);
        for p in points {
            let f = if max > 0.0 { value(p) / max } else { 0.0 };
            let (x, y) = (axes.xpix(p.0, left, pw), axes.ypix(f, top, ph));
            c.fill(
                x.saturating_sub(2),
                y.saturating_sub(2),
                x + 3,
                y + 3,
                *colour,
            );
        }
    }
    let (w, h, img) = c.into_rgb();
    crate::png::write_rgb(
        path,
        w,
        h,
        &img,
        &[(
            "Title",
            "gas (blue) and stellar (orange) mass against time, each scaled to its maximum",
        )],
    )
}
