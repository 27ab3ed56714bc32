//! The `amrkit` command-line tool.
//!
//! For now it runs a short self-check of the thread pool that every amrkit
//! kernel runs on; the RAMSES commands (`info`, `stats`, `project`, …) come
//! with the kernels.

use amrkit_pool::Pool;
use std::time::Instant;

fn main() {
    let pool = match Pool::builder().build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("amrkit: {e}");
            std::process::exit(2);
        }
    };
    let n = 50_000_000usize;
    let t = Instant::now();
    let serial: f64 = (0..n).map(|i| (i as f64).sqrt()).sum();
    let t_serial = t.elapsed();
    let t = Instant::now();
    let parallel = pool.par().min_chunk(1 << 16).reduce(
        0..n,
        || 0.0f64,
        |a, i| a + (i as f64).sqrt(),
        |a, b| a + b,
    );
    let t_par = t.elapsed();
    let rel = ((parallel - serial) / serial).abs();
    println!("amrkit {} — pool self-check", env!("CARGO_PKG_VERSION"));
    println!("  threads            {}", pool.num_threads());
    println!("  sum sqrt(i), i<5e7 serial   {serial:.6e} in {t_serial:?}");
    println!(
        "  same on the pool            {parallel:.6e} in {t_par:?} (relative difference {rel:.1e})"
    );
    println!(
        "  speed-up           {:.2}x",
        t_serial.as_secs_f64() / t_par.as_secs_f64()
    );
    let stats = pool.stats();
    if let Some(cv) = stats.load_balance_cv() {
        println!("  load balance CV    {cv:.3} (jobs per worker)");
    }
    if rel > 1e-9 {
        eprintln!("amrkit: parallel and serial sums disagree");
        std::process::exit(1);
    }
}
