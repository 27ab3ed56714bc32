//! CPU time an idle pool burns in the second after a burst of work, for
//! amrkit-pool and rayon, each with 2 threads. Per-thread CPU time comes from
//! `/proc/self/task/<tid>/schedstat` (nanoseconds on CPU), summed over the
//! pool's threads, found by name. Linux only.
//!
//! `cargo bench --bench idle_cpu`

use std::time::Duration;

/// Total on-CPU nanoseconds of this process's threads whose name starts
/// with `prefix`.
fn cpu_ns(prefix: &str) -> u64 {
    let mut total = 0;
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !name.trim_end().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

fn burst_ours(pool: &amrkit_pool::Pool) -> u64 {
    pool.par().reduce(
        0..20_000_000,
        || 0u64,
        |a, i| a.wrapping_add((i as u64).wrapping_mul(i as u64)),
        u64::wrapping_add,
    )
}

fn burst_rayon(pool: &rayon::ThreadPool) -> u64 {
    use rayon::prelude::*;
    pool.install(|| {
        (0..20_000_000u64)
            .into_par_iter()
            .map(|i| i.wrapping_mul(i))
            .reduce(|| 0, u64::wrapping_add)
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let samples = 5;
    let ours = amrkit_pool::Pool::builder()
        .num_threads(2)
        .thread_name(|i| format!("idle-ours-{i}"))
        .build()
        .unwrap();
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("idle-rayon-{i}"))
        .build()
        .unwrap();
    let (mut o, mut r) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        let a = burst_ours(&ours);
        let before = cpu_ns("idle-ours");
        std::thread::sleep(Duration::from_secs(1));
        o.push((cpu_ns("idle-ours") - before) as f64 / 1e6);

        let b = burst_rayon(&rayon_pool);
        assert_eq!(a, b);
        let before = cpu_ns("idle-rayon");
        std::thread::sleep(Duration::from_secs(1));
        r.push((cpu_ns("idle-rayon") - before) as f64 / 1e6);
    }
    println!("CPU ms burned by 2 idle workers in the 1 s after a burst ({samples} samples)");
    println!(
        "amrkit-pool: median {:.3} ms  samples {:?}",
        median(o.clone()),
        o
    );
    println!(
        "rayon:       median {:.3} ms  samples {:?}",
        median(r.clone()),
        r
    );
}
