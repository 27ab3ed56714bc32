//! `amrkit series` (issue 14): the pipeline (read stage -> analysis stage ->
//! writer) against the same work done stage by stage (read every snapshot
//! with the whole pool, then analyse every one) and against the scheduler
//! `series` had before the pipeline (whole snapshots side by side:
//! `par().max_threads(threads)` over the outputs, each read and analysed
//! with `threads / concurrent` threads; the same code, kept here).
//!
//! `cargo bench --bench series` (SERIES_DIR: a folder of output_NNNNN;
//! default: 8 synthetic outputs, levels 6-9, 2.9 M leaf cells each, written
//! once into target/series-bench; SERIES_SAMPLES: samples per strategy,
//! default 3; SERIES_THREADS: pool size, default all CPUs).
//!
//! Every sample runs in a fresh process (this binary re-executed), so its
//! peak RSS (VmHWM) is its own; the strategies are interleaved, and the
//! medians are printed. SERIES_CACHE=warm (default: every file read once
//! before each sample) or cold (each file's pages dropped from the page
//! cache before each sample with `posix_fadvise(DONTNEED)`: only these
//! files, nobody else's cache).

use amrkit_io::{SynthPlan, SynthSpec};
use amrkit_kernels::series::{analyse, read, series, Row, SeriesOptions};
use amrkit_kernels::Exec;
use amrkit_pool::Pool;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const STRATEGIES: [&str; 4] = [
    "stage_by_stage",
    "pipeline",
    "pipeline_read_all",
    "side_by_side",
];

fn dirs(root: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("output_"))
        })
        .collect();
    v.sort();
    v
}

fn vm(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn checksum(rows: &[Row]) -> f64 {
    rows.iter()
        .map(|r| r.time_myr + r.gas_mass + r.stellar_mass + r.mean_density + r.mean_temperature_k)
        .sum()
}

/// One strategy in this process; prints `RESULT name wall_s read_s
/// compute_s peak_rss_kib checksum one_table_kib`.
fn child(name: &str, root: &std::path::Path, threads: usize) {
    let pool = Pool::builder().num_threads(threads).build().unwrap();
    let dirs = dirs(root);
    let exec = Exec::on(&pool);
    let (mut read_s, mut compute_s, mut one_table) = (0.0, 0.0, 0);
    let t = Instant::now();
    let rows: Vec<Row> = match name {
        "stage_by_stage" => {
            let before = vm("VmRSS:");
            let mut loaded = Vec::new();
            for d in &dirs {
                loaded.push(read(d, &exec).unwrap());
                if loaded.len() == 1 {
                    one_table = vm("VmRSS:").saturating_sub(before);
                }
            }
            read_s = t.elapsed().as_secs_f64();
            let t2 = Instant::now();
            let rows = loaded.iter().map(|l| analyse(l, &exec).unwrap()).collect();
            compute_s = t2.elapsed().as_secs_f64();
            rows
        }
        "pipeline" | "pipeline_read_all" => {
            // `pipeline`: the CLI's defaults (reads capped at a quarter of
            // the pool, at least 1); `pipeline_read_all`: reads uncapped.
            let opts = SeriesOptions {
                read_threads: (name == "pipeline_read_all").then_some(threads),
                ..SeriesOptions::default()
            };
            let mut rows = Vec::new();
            let report = series(&pool, dirs.clone(), opts, |_, r| rows.push(r.unwrap()));
            assert_eq!(report.delivered, dirs.len());
            rows
        }
        "side_by_side" => {
            let concurrent = threads.clamp(1, dirs.len());
            let inner = (threads / concurrent).max(1);
            pool.par()
                .max_threads(concurrent)
                .min_chunk(1)
                .map(&dirs, |d| {
                    let exec = Exec::on(&pool).max_threads(inner);
                    analyse(&read(d, &exec).unwrap(), &exec).unwrap()
                })
        }
        _ => panic!("unknown strategy {name}"),
    };
    let wall = t.elapsed().as_secs_f64();
    assert_eq!(rows.len(), dirs.len());
    println!(
        "RESULT {name} {wall:.4} {read_s:.4} {compute_s:.4} {} {:.12e} {one_table}",
        vm("VmHWM:"),
        checksum(&rows)
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let threads: usize = std::env::var("SERIES_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(num_cpus);
    let root = std::env::var_os("SERIES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/series-bench"));
    if let Ok(name) = std::env::var("SERIES_CHILD") {
        child(&name, &root, threads);
        return;
    }
    if std::env::var_os("SERIES_DIR").is_none() && dirs_or_empty(&root) < 8 {
        write_outputs(&root);
    }
    let samples: usize = std::env::var("SERIES_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let n = dirs(&root).len();
    println!("series over {n} outputs in {}, {threads} threads, {samples} samples each (fresh process per sample)", root.display());
    let cold = std::env::var("SERIES_CACHE").is_ok_and(|v| v == "cold");
    let files: Vec<PathBuf> = dirs(&root)
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten().map(|e| e.path()))
        .collect();
    let prepare = || {
        for f in &files {
            if cold {
                drop_cache(f);
            } else {
                std::io::copy(&mut std::fs::File::open(f).unwrap(), &mut std::io::sink()).unwrap();
            }
        }
    };
    println!(
        "page cache: {}",
        if cold {
            "cold (files dropped before each sample)"
        } else {
            "warm"
        }
    );
    let res = run_samples(&root, threads, samples, prepare);
    report(&res);
}

/// Writes the eight synthetic outputs of the benchmark into `root`.
fn write_outputs(root: &std::path::Path) {
    eprintln!("writing 8 synthetic outputs into {} ...", root.display());
    for iout in 1..=8u32 {
        let base = SynthSpec {
            levelmin: 6,
            levelmax: 9,
            ..SynthSpec::default()
        };
        let spec = SynthSpec {
            iout,
            time: 0.1 * iout as f64,
            seed: base.seed + iout as u64,
            ..base
        };
        let plan = SynthPlan::new(spec).unwrap();
        plan.write(&plan.output_dir(root)).unwrap();
    }
}

/// Each strategy's `RESULT` figures, one child process per sample, the
/// page cache set by `prepare` before each.
fn run_samples(
    root: &std::path::Path,
    threads: usize,
    samples: usize,
    prepare: impl Fn(),
) -> Vec<(String, Vec<[f64; 6]>)> {
    let exe = std::env::current_exe().unwrap();
    let mut res: Vec<(String, Vec<[f64; 6]>)> = STRATEGIES
        .iter()
        .map(|s| (s.to_string(), Vec::new()))
        .collect();
    for _ in 0..samples {
        for (name, v) in res.iter_mut() {
            prepare();
            let out = Command::new(&exe)
                .env("SERIES_CHILD", name.as_str())
                .env("SERIES_DIR", root)
                .env("SERIES_THREADS", threads.to_string())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text
                .lines()
                .find(|l| l.starts_with("RESULT "))
                .unwrap_or_else(|| panic!("{name}: {}", String::from_utf8_lossy(&out.stderr)));
            let f: Vec<f64> = line
                .split_whitespace()
                .skip(2)
                .map(|x| x.parse().unwrap())
                .collect();
            v.push([f[0], f[1], f[2], f[3], f[4], f[5]]);
        }
    }
    res
}

/// Checks that the strategies agree and prints their table.
fn report(res: &[(String, Vec<[f64; 6]>)]) {
    let med = |v: &[[f64; 6]], i: usize| median(v.iter().map(|x| x[i]).collect());
    let sums: Vec<f64> = res.iter().map(|(_, v)| v[0][4]).collect();
    for s in &sums {
        assert!(
            ((s - sums[0]) / sums[0]).abs() < 1e-9,
            "strategies disagree: {sums:?}"
        );
    }
    let sbs = &res[0].1;
    let (r, c) = (med(sbs, 1), med(sbs, 2));
    println!(
        "stage by stage: read {r:.3} s, compute {c:.3} s; max {:.3} s; one table {:.0} MiB",
        r.max(c),
        med(sbs, 5) / 1024.0
    );
    println!("| strategy | wall (median) | samples | / max(read, compute) | peak RSS (median) |");
    println!("|---|---|---|---|---|");
    for (name, v) in res {
        let walls: Vec<String> = v.iter().map(|x| format!("{:.2}", x[0])).collect();
        println!(
            "| {name} | {:.3} s | {} | {:.2} | {:.0} MiB |",
            med(v, 0),
            walls.join(", "),
            med(v, 0) / r.max(c),
            med(v, 3) / 1024.0
        );
    }
}

fn dirs_or_empty(root: &std::path::Path) -> usize {
    if root.is_dir() {
        dirs(root).len()
    } else {
        0
    }
}

/// Drops `f`'s pages from the page cache (a hint the kernel follows for
/// clean pages).
fn drop_cache(f: &std::path::Path) {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(f).unwrap();
    // SAFETY: a valid open descriptor; offset 0 and length 0 mean the whole
    // file; the call only changes caching.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(rc, 0, "posix_fadvise on {}", f.display());
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
