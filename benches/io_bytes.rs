//! Bytes read from storage against the bytes a request needs, cold cache.
//!
//! For each command, the output's files are evicted from the page cache
//! (`echo 3 > /proc/sys/vm/drop_caches` when run as root, else
//! `posix_fadvise(DONTNEED)` on every file of the output), the `amrkit`
//! binary runs the command, and the kernel's count of bytes its process
//! fetched from storage (`ru_inblock`, the `read_bytes` of `/proc/PID/io`)
//! is compared with the 4 KiB pages the request needs, as counted by
//! `amrkit_io::pages::needed_pages` (a plain marker walk of the files).
//!
//! `cargo bench --bench io_bytes [-- OUTPUT]`; without OUTPUT it writes a
//! 512-CPU synthetic output (levels 6..8, 2.3 GB) under `target/io-bytes`
//! once; `AMRKIT_BIN=path` measures another build of the binary instead.
//! Target (issue 15): read ≤ 1.3 × needed.

use amrkit_io::pages::{needed_pages, FilePages, PAGE};
use amrkit_io::{Snapshot, SynthPlan, SynthSpec};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

fn synthetic() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/io-bytes");
    let plan = SynthPlan::new(SynthSpec {
        ncpu: 512,
        levelmin: 6,
        levelmax: 8,
        ..SynthSpec::default()
    })
    .expect("synthetic plan");
    let out = plan.output_dir(&root);
    if !out.join("info_00001.txt").exists() {
        eprintln!("writing {} (once)", out.display());
        let tmp = root.join("partial");
        let _ = std::fs::remove_dir_all(&tmp);
        let out_tmp = plan.output_dir(&tmp);
        plan.write(&out_tmp).expect("write synthetic output");
        std::fs::rename(&out_tmp, &out).expect("rename");
    }
    out
}

/// Evicts the output's pages; returns how.
fn evict(dir: &Path) -> &'static str {
    // SAFETY: plain libc calls on our own file descriptors / no pointers.
    // AMRKIT_EVICT=fadvise: evict only the output's data pages, keeping
    // file-system metadata (directories, inodes) cached.
    let root = unsafe { libc::geteuid() } == 0
        && std::env::var("AMRKIT_EVICT").map_or(true, |v| v != "fadvise");
    if root {
        unsafe { libc::sync() };
        if std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok() {
            return "drop_caches";
        }
    }
    for e in std::fs::read_dir(dir).expect("output folder").flatten() {
        let Ok(f) = std::fs::File::open(e.path()) else {
            continue;
        };
        let _ = f.sync_all();
        // SAFETY: a valid open descriptor; advice only.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
    "posix_fadvise(DONTNEED)"
}

/// Runs `amrkit ARGS` and returns the bytes its process read from storage.
fn read_bytes(args: &[&str]) -> u64 {
    // AMRKIT_BIN: another build to compare (e.g. an older commit's).
    let bin = std::env::var_os("AMRKIT_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_amrkit").into());
    // The executable's own pages are not the request's: read it into the
    // cache first (after `drop_caches` it would be fetched, too).
    let _ = std::fs::read(&bin);
    // The children's counters grow by exactly this child's once it is
    // waited for (nothing else is spawned meanwhile).
    let before = children_inblock();
    let status = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run amrkit");
    assert!(status.success(), "amrkit {args:?} failed ({status})");
    (children_inblock() - before) * 512
}

/// Blocks (512 bytes) read from storage by this process's waited-for
/// children, from `getrusage(RUSAGE_CHILDREN)`.
fn children_inblock() -> u64 {
    // SAFETY: `ru` is a plain out-parameter.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    assert_eq!(rc, 0, "getrusage");
    ru.ru_inblock as u64
}

fn sum(pages: &[FilePages]) -> (u64, u64) {
    pages.iter().fold((0, 0), |(n, f), p| {
        (n + p.pages.len() as u64, f + p.file_pages())
    })
}

fn main() {
    let arg = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let out = arg.map(PathBuf::from).unwrap_or_else(synthetic);
    let snap = Snapshot::open(&out).expect("open output");
    let lmax = snap.info.levelmax;
    let rho = snap.hydro_index("density").expect("density");
    let all_hydro: Vec<usize> = (0..snap.hydro_fields.len()).collect();
    let all_grav: Vec<usize> = (0..snap.grav_fields.len()).collect();
    let ncpu = snap.info.ncpu;
    let all_cpus: Vec<usize> = (1..=ncpu).collect();
    // A small region: a cube of side 0.1 box at (0.3, 0.3, 0.3).
    let (lo, hi) = ([0.25; 3], [0.35; 3]);
    let region_cpus = snap.cpus_for_region(lo, hi).expect("region CPUs");
    let out_s = out.to_string_lossy().into_owned();
    let tmp = tempfile::tempdir().expect("temp dir");
    let map = tmp.path().join("map.npy");
    let map_s = map.to_string_lossy().into_owned();
    // (name, arguments, CPU files it reads, hydro and gravity variables)
    type Case<'a> = (&'a str, Vec<&'a str>, &'a [usize], &'a [usize], &'a [usize]);
    let cases: Vec<Case> = vec![
        (
            "project --var density",
            vec![
                "project", "-q", "--var", "density", "--res", "256", "--out", &map_s, &out_s,
            ],
            &all_cpus,
            std::slice::from_ref(&rho),
            &[],
        ),
        (
            "project --var density, region 0.1³",
            vec![
                "project",
                "-q",
                "--var",
                "density",
                "--res",
                "64",
                "--center",
                "0.3,0.3,0.3",
                "--xrange",
                "-0.05,0.05",
                "--yrange",
                "-0.05,0.05",
                "--zrange",
                "-0.05,0.05",
                "--range-unit",
                "box",
                "--out",
                &map_s,
                &out_s,
            ],
            &region_cpus,
            std::slice::from_ref(&rho),
            &[],
        ),
        (
            "stats (every variable)",
            vec!["stats", "-q", &out_s],
            &all_cpus,
            &all_hydro,
            &all_grav,
        ),
    ];
    println!("output: {} ({ncpu} CPUs)", out.display());
    println!(
        "| command | CPU files read | file bytes | needed (4 KiB pages) | read from storage | read / needed | eviction |"
    );
    println!("|---|---|---|---|---|---|---|");
    // What any command costs after a cold start (the libraries it maps,
    // directory and inode blocks, the info file): `amrkit info`.
    let how = evict(&out);
    let base = read_bytes(&["info", &out_s]);
    println!(
        "| `info` (start-up: libraries, metadata, info file) | 0 | | | {:.2} MB | | {how} |",
        base as f64 / 1e6
    );
    for (name, args, cpus, hv, gv) in cases {
        let (mut needed, mut file) = (0, 0);
        for &icpu in cpus {
            let p = needed_pages(&snap, icpu, lmax, hv, gv).expect("needed pages");
            let (n, f) = sum(&p);
            needed += n;
            file += f;
        }
        let how = evict(&out);
        let read = read_bytes(&args);
        let needed_b = needed * PAGE;
        println!(
            "| `{name}` | {} | {:.1} MB | {:.2} MB | {:.2} MB | {:.2} | {how} |",
            cpus.len(),
            (file * PAGE) as f64 / 1e6,
            needed_b as f64 / 1e6,
            read as f64 / 1e6,
            read as f64 / needed_b as f64,
        );
    }
}
