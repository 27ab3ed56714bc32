//! `amrkit series`: one CSV row per snapshot of a simulation (time, gas
//! and stellar mass, means), read and analysed as a pipeline on the pool;
//! a table for people (Myr, M☉) when the CSV goes to a file, and the plot.

use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::agree;
use crate::render::png_file::write_rgb;
use crate::render::series_plot::{describe, draw_series, SeriesFigure};
use amrkit_kernels::request::outputs;
use amrkit_kernels::series::{Row, RowUnits, SeriesOptions};
use clap::Args;
use std::path::PathBuf;

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
    /// CSV file (default stdout). With it, stdout shows a table in Myr
    /// and solar masses and the files written.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Plot of gas and stellar mass (M☉; code units on a run without
    /// physical units) against time (Myr), log mass axis.
    #[arg(long)]
    pub png: Option<PathBuf>,
}

/// Runs the pipeline on every process; rank 0 writes the table.
pub fn run(ctx: &Ctx, a: &SeriesArgs) -> AnyResult<()> {
    let (pool, comm, quiet) = (ctx.pool, ctx.comm, ctx.quiet);
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
    let mut rows_out = Vec::with_capacity(outs.len());
    for ((n, dir), r) in outs.iter().zip(rows) {
        let r = match r {
            Ok(v) => Ok((v, RowUnits::of(dir)?)),
            Err(e) => {
                if !quiet {
                    eprintln!("amrkit: output {n}: {e}");
                }
                Err(e)
            }
        };
        rows_out.push((*n, r));
    }
    let rows = rows_out;
    let csv = csv_text(&rows);
    let failed = rows.iter().filter(|(_, r)| r.is_err()).count();
    let mut wrote = Vec::new();
    if let Some(p) = &a.csv {
        // Via a temporary name, so a failed write leaves no partial CSV.
        amrkit_io::atomic::write_atomic(p, csv.as_bytes())?;
        wrote.push(p.display().to_string());
    }
    if let Some(p) = a.png.as_ref().filter(|_| failed < rows.len()) {
        let fig = figure(&a.sim, &rows)?;
        let img = draw_series(&fig)?;
        let text = [
            ("Title", fig.title.as_str()),
            ("Description", &describe(&fig)),
        ];
        write_rgb(p, img.w, img.h, &img.px, &text)?;
        wrote.push(p.display().to_string());
    }
    if a.csv.is_some() {
        // The CSV is in its file: stdout gets the table for people.
        print!("{}", table(&rows));
        println!("wrote {}", wrote.join(", "));
    } else {
        // stdout is the CSV, for pipes; what else was written goes to stderr.
        print!("{csv}");
        if !wrote.is_empty() && !quiet {
            eprintln!("amrkit: wrote {}", wrote.join(", "));
        }
    }
    if failed == outs.len() {
        return fail(format!("all {failed} snapshots failed"));
    }
    Ok(())
}

/// One output's row with its physical units (`None`: a unitless run), or
/// the error that stopped it.
type UnitRow = (u32, Result<(Row, Option<RowUnits>), String>);

/// The CSV: code units as computed, the masses also in M☉ where the run
/// has physical units (empty otherwise), the error last.
fn csv_text(rows: &[UnitRow]) -> String {
    let mut csv = String::from("output,time_code,time_myr,gas_mass_code,stellar_mass_code,gas_mass_msun,stellar_mass_msun,mean_density_code,mean_temperature_K,error\n");
    for (n, r) in rows {
        match r {
            Ok((v, u)) => {
                let msun =
                    |m: f64| u.map_or(String::new(), |u| (m * u.msun_per_code_mass).to_string());
                csv += &format!(
                    "{n},{},{},{},{},{},{},{},{},\n",
                    v.time_code,
                    v.time_myr,
                    v.gas_mass,
                    v.stellar_mass,
                    msun(v.gas_mass),
                    msun(v.stellar_mass),
                    v.mean_density,
                    v.mean_temperature_k
                );
            }
            Err(e) => csv += &format!("{n},,,,,,,,,\"{}\"\n", e.replace('"', "'")),
        }
    }
    csv
}

/// Whether every computed row has physical units (then times are shown
/// in Myr and masses in M☉).
fn physical(rows: &[UnitRow]) -> bool {
    rows.iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .all(|(_, u)| u.is_some())
}

/// A row's time, masses and mean density in the units of the table and
/// plot.
fn shown(v: &Row, u: &Option<RowUnits>, physical: bool) -> (f64, f64, f64, f64) {
    match (physical, u) {
        (true, Some(u)) => (
            v.time_myr,
            v.gas_mass * u.msun_per_code_mass,
            v.stellar_mass * u.msun_per_code_mass,
            v.mean_density * u.gcm3_per_code_density,
        ),
        _ => (v.time_code, v.gas_mass, v.stellar_mass, v.mean_density),
    }
}

/// `v` with 4 significant digits: plain between 0.01 and 10^5,
/// `1.234e9` outside.
fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (1e-2..1e5).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// The table printed when the CSV goes to a file: one line per output,
/// columns aligned, units in the header, then what the means are.
fn table(rows: &[UnitRow]) -> String {
    let phys = physical(rows);
    let (t, m, d) = if phys {
        ("Myr", "Msun", "g/cm^3")
    } else {
        ("code", "code", "code")
    };
    let head = [
        "output".to_string(),
        format!("time [{t}]"),
        format!("gas mass [{m}]"),
        format!("stellar mass [{m}]"),
        format!("mean density [{d}]"),
        "mean T [K]".to_string(),
    ];
    let mut lines = vec![head.to_vec()];
    for (n, r) in rows {
        lines.push(match r {
            Ok((v, u)) => {
                let (t, gas, stars, rho) = shown(v, u, phys);
                vec![
                    n.to_string(),
                    sig(t),
                    sig(gas),
                    sig(stars),
                    sig(rho),
                    sig(v.mean_temperature_k),
                ]
            }
            Err(e) => vec![n.to_string(), format!("failed: {e}")],
        });
    }
    // A failed row (two cells) only sets the width of the first column.
    let width = |c: usize| {
        lines
            .iter()
            .filter(|l| c == 0 || l.len() == head.len())
            .map(|l| l[c].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = if l.len() == head.len() {
            l.iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:>w$}"))
                .collect()
        } else {
            vec![format!("{:>w$}", l[0], w = widths[0]), l[1].clone()]
        };
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    out += "(mean density: volume-weighted; mean T: mass-weighted, mu = 0.6)\n";
    out
}

/// The plot's content: absolute masses against time.
fn figure(sim: &std::path::Path, rows: &[UnitRow]) -> AnyResult<SeriesFigure> {
    let phys = physical(rows);
    let (mut times, mut gas, mut stars) = (Vec::new(), Vec::new(), Vec::new());
    for (v, u) in rows.iter().filter_map(|(_, r)| r.as_ref().ok()) {
        let (t, g, s, _) = shown(v, u, phys);
        times.push(t);
        gas.push(g);
        stars.push(s);
    }
    let name = sim
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| sim.display().to_string());
    Ok(SeriesFigure {
        title: format!("{name}: gas and stellar mass"),
        time_label: if phys {
            "time [Myr]".into()
        } else {
            "time [code units]".into()
        },
        mass_unit: if phys {
            "Msun".into()
        } else {
            "code units".into()
        },
        times,
        gas,
        stars,
    })
}
