//! The per-file floor of reading an output by its CPU files
//! (`cargo run --release -p amrkit-io --example filefloor -- DIR [THREADS]`):
//! the time to open each CPU file once, read its first page and close it,
//! and to copy from each amr file as many bytes as its `numbl` table holds
//! (`ncpu × nlevelmax` int32, which the format makes every reader take
//! whole to locate the own domain's blocks), on THREADS threads (default 2)
//! sharing the CPUs as `amrkit` does. No record is decoded: what this takes
//! is what any reader of these files pays before the first cell, and
//! `benches/ncpu_curve.sh` prints it beside `amrkit`'s times.
use std::fs::File;
use std::os::unix::fs::FileExt;

fn main() {
    let mut a = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(a.next().expect("output folder"));
    let threads: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let s = amrkit_io::Snapshot::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let (ncpu, nlevelmax) = (s.info.ncpu, s.info.levelmax as usize);
    // The CPU files, grouped by CPU number (the `.outNNNNN` suffix).
    let mut by_cpu: Vec<Vec<(std::path::PathBuf, bool)>> = vec![Vec::new(); ncpu];
    for e in std::fs::read_dir(&dir).expect("read the folder") {
        let path = e.expect("folder entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((stem, cpu)) = name.rsplit_once(".out") else {
            continue;
        };
        if let Ok(i) = cpu.parse::<usize>() {
            if (1..=ncpu).contains(&i) {
                by_cpu[i - 1].push((path, stem.starts_with("amr_")));
            }
        }
    }
    let numbl = 4 * ncpu * nlevelmax;
    let start = std::time::Instant::now();
    let bytes: usize = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let by_cpu = &by_cpu;
                sc.spawn(move || {
                    let mut buf = vec![0u8; numbl.max(4096)];
                    let mut got = 0;
                    for files in by_cpu.iter().skip(t).step_by(threads) {
                        for (path, amr) in files {
                            let f = File::open(path).expect("open");
                            let len = f.metadata().expect("stat").len() as usize;
                            got += f.read_at(&mut buf[..4096.min(len)], 0).expect("read");
                            if *amr && len > 4096 {
                                let n = numbl.min(len - 4096);
                                got += f.read_at(&mut buf[..n], 4096).expect("read");
                            }
                        }
                    }
                    got
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let files: usize = by_cpu.iter().map(Vec::len).sum();
    println!(
        "{} ms for {files} files of {ncpu} CPUs on {threads} threads ({:.1} MB read)",
        start.elapsed().as_millis(),
        bytes as f64 / 1e6
    );
}
