//! Kernel benchmarks (a bench binary; `cargo bench --bench kernels`).
//!
//! 1. Load of all hydro variables of each shared real output, median of 7,
//!    against yt's load+read time stored in its reference.json.
//! 2. A generated ~2 GB, 64-CPU snapshot (`AMRKIT_BENCH_BIG_LEVELMIN`,
//!    default 7): load at 1 and 2 threads (median of 3) and the peak RSS of
//!    a load in a fresh child process against the final table's size;
//!    single-variable projection at 1 and 2 threads; streaming projection
//!    peak RSS (child process); VTK export throughput against a plain
//!    sequential write of the same byte count.
//!
//! Peak RSS is `VmHWM` of a child process that does one operation.

use amrkit_io::{Snapshot, SynthPlan, SynthSpec};
use amrkit_kernels::export::{export_vtk, VtkOptions};
use amrkit_kernels::project::{project, project_streaming, ProjSpec, Weight};
use amrkit_kernels::{load_hydro, Exec, Selection};
use amrkit_pool::Pool;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(n: usize, mut f: impl FnMut() -> T) -> f64 {
    median((0..n).map(|_| secs(&mut f)).collect())
}

/// Medians of `a` and `b` timed in alternation (a, b, a, b, …) after one
/// untimed warm-up of each, so that both see the same machine state
/// (page cache, writeback of earlier writes, neighbours on a shared host).
/// Each closure returns the seconds it measured itself (so that untimed
/// set-up can precede the timed part).
fn time_pair(n: usize, mut a: impl FnMut() -> f64, mut b: impl FnMut() -> f64) -> (f64, f64) {
    a();
    b();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..n {
        ta.push(a());
        tb.push(b());
    }
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("  samples (s): [{}] vs [{}]", show(&ta), show(&tb));
    (median(ta), median(tb))
}

/// Seconds `f` takes.
fn secs<T>(f: impl FnOnce() -> T) -> f64 {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed().as_secs_f64()
}

/// Flushes dirty pages to disk (`sync`), so that a timed write does not pay
/// for the writeback of an earlier one.
fn sync() {
    let _ = std::process::Command::new("sync").status();
}

fn vm_hwm_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Child mode: one operation, then print the peak RSS.
fn child(op: &str, out: &Path) {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    let s = Snapshot::open(out).unwrap();
    let table_mb = match op {
        "load" => {
            let t = load_hydro(&s, &Selection::default(), &[], &exec).unwrap();
            (t.len() * (1 + 12 + 8 * t.columns.len())) as f64 / 1048576.0
        }
        "stream" => {
            let spec = ProjSpec::whole_box(2, 1024, &["density"], Weight::None);
            project_streaming(&s, &Selection::default(), &spec, &exec).unwrap();
            0.0
        }
        _ => panic!("unknown op {op}"),
    };
    println!("{} {}", vm_hwm_mb(), table_mb);
}

fn in_child(op: &str, out: &Path) -> (f64, f64) {
    let o = std::process::Command::new(std::env::current_exe().unwrap())
        .env("AMRKIT_BENCH_CHILD", op)
        .env("AMRKIT_BENCH_OUT", out)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    let v: Vec<f64> = t
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    (v[0], v[1])
}

fn main() {
    if let Ok(op) = std::env::var("AMRKIT_BENCH_CHILD") {
        child(&op, Path::new(&std::env::var("AMRKIT_BENCH_OUT").unwrap()));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let one = Exec::on(&pool).max_threads(1);
    let two = Exec::on(&pool).max_threads(2);
    real_outputs(&two);
    let dir = std::env::temp_dir().join("amrkit-bench-big");
    let out = write_big(&pool, &dir);
    let s = Snapshot::open(&out).unwrap();
    threads_and_memory(&s, &out, &one, &two);
    vtk_against_plain_write(&s, &dir.join("vtk"), &two);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The load of the shared real outputs against yt's time in their
/// `reference.json`.
fn real_outputs(two: &Exec) {
    println!("## load of the shared real outputs (all hydro variables, 2 threads)");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ramses");
    let root = std::env::var_os("AMRKIT_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or(root);
    for run in ["sedov3d", "gravity", "particles"] {
        let dir = root.join(run);
        let Ok(text) = std::fs::read_to_string(dir.join("reference.json")) else {
            continue;
        };
        let r: serde_json::Value = serde_json::from_str(&text).unwrap();
        let yt = r["timings"]["yt_load_and_read_all_hydro_fields_s"]["median"]
            .as_f64()
            .unwrap();
        let s = Snapshot::open(dir.join("output_00002")).unwrap();
        let t = time(7, || {
            load_hydro(&s, &Selection::default(), &[], two).unwrap()
        });
        println!(
            "{run:<10} ours {:>8.2} ms   yt {:>8.1} ms   yt/ours {:>6.0}x",
            t * 1e3,
            yt * 1e3,
            yt / t
        );
    }
}

/// Writes the big generated snapshot (64 CPUs, levels
/// `AMRKIT_BENCH_BIG_LEVELMIN` (7) + 0..2) under `dir`; its output folder.
fn write_big(pool: &Pool, dir: &Path) -> PathBuf {
    let levelmin: u32 = std::env::var("AMRKIT_BENCH_BIG_LEVELMIN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let _ = std::fs::remove_dir_all(dir);
    let t = Instant::now();
    let plan = SynthPlan::new(SynthSpec {
        ncpu: 64,
        levelmin,
        levelmax: levelmin + 2,
        gravity: false,
        n_dm: 0,
        n_star: 0,
        ..SynthSpec::default()
    })
    .unwrap();
    let out = plan.output_dir(dir);
    plan.write_meta(&out).unwrap();
    pool.par()
        .min_chunk(1)
        .for_each(1..65, |i| plan.write_cpu(&out, i).unwrap());
    let bytes: u64 = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum();
    println!(
        "\n## generated snapshot: 64 CPUs, levels {levelmin}..{}, {:.2} GB written in {:.1} s",
        levelmin + 2,
        bytes as f64 / 1e9,
        t.elapsed().as_secs_f64()
    );
    sync();
    out
}

/// Load and projection at 1 and 2 threads, and the peak RSS of the load
/// and of the streaming projection (each in a child process).
fn threads_and_memory(s: &Snapshot, out: &Path, one: &Exec, two: &Exec) {
    let (l1, l2) = time_pair(
        5,
        || secs(|| load_hydro(s, &Selection::default(), &[], one).unwrap()),
        || secs(|| load_hydro(s, &Selection::default(), &[], two).unwrap()),
    );
    let (rss, table) = in_child("load", out);
    println!(
        "load all hydro: 1 thread {l1:.3} s, 2 threads {l2:.3} s, speed-up {:.2}x",
        l1 / l2
    );
    println!(
        "load peak RSS {rss:.0} MB, final table {table:.0} MB, ratio {:.2}",
        rss / table
    );

    let t = load_hydro(s, &Selection::default(), &["density"], two).unwrap();
    let spec = ProjSpec::whole_box(2, 1024, &["density"], Weight::None);
    let (p1, p2) = time_pair(
        5,
        || secs(|| project(&t, &spec, one).unwrap()),
        || secs(|| project(&t, &spec, two).unwrap()),
    );
    println!(
        "projection of density, 1024²: 1 thread {p1:.3} s, 2 threads {p2:.3} s, speed-up {:.2}x",
        p1 / p2
    );
    drop(t);
    let (srss, _) = in_child("stream", out);
    println!("streaming projection 1024² peak RSS {srss:.0} MB");
}

/// The VTK export of every cell against a plain write of as many bytes,
/// alternated, into `vdir`.
fn vtk_against_plain_write(s: &Snapshot, vdir: &Path, two: &Exec) {
    let t = load_hydro(s, &Selection::default(), &[], two).unwrap();
    let opts = VtkOptions {
        scalars: vec!["density".into(), "pressure".into()],
        vector: VtkOptions::vector_of("velocity"),
        ..Default::default()
    };
    let nbytes = export_vtk(&t, &opts, &vdir.join("cells"), two)
        .unwrap()
        .bytes;
    let buf = vec![7u8; 1 << 20];
    // Each sample starts with no dirty pages (sync, untimed), and export
    // and plain write alternate.
    let (te, tw) = time_pair(
        5,
        || {
            sync();
            secs(|| export_vtk(&t, &opts, &vdir.join("cells"), two).unwrap())
        },
        || {
            sync();
            let t = Instant::now();
            let p = vdir.join("plain.bin");
            let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
            let mut left = nbytes as usize;
            while left > 0 {
                let n = left.min(buf.len());
                f.write_all(&buf[..n]).unwrap();
                left -= n;
            }
            f.flush().unwrap();
            t.elapsed().as_secs_f64()
        },
    );
    println!(
        "VTK export {:.2} GB: {te:.2} s ({:.0} MB/s); plain write of the same bytes {tw:.2} s ({:.0} MB/s); ratio {:.2}",
        nbytes as f64 / 1e9,
        nbytes as f64 / 1e6 / te,
        nbytes as f64 / 1e6 / tw,
        tw / te
    );
}
