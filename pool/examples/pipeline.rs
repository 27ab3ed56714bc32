//! A pipeline on the pool: a "read" stage that mostly waits (a sleep stands
//! for I/O; one item at a time, one thread) feeding a "compute" stage (a
//! parallel reduction over the whole pool), feeding a sink that prints in
//! source order. A blocking read occupies the worker that runs it, so the
//! read stage gets fewer workers than the pool has: the others compute
//! while it waits. One item fails and is reported in its row; the others
//! carry on. Then the same pipeline over an endless source, cancelled by
//! the sink after five items.
//!
//! `cargo run --release -p amrkit-pool --example pipeline`

use amrkit_pool::pipeline::{Flow, Pipeline, Stage};
use amrkit_pool::{par, Pool};
use std::time::{Duration, Instant};

const READ: Duration = Duration::from_millis(40);

fn read(i: u64) -> Result<Vec<f64>, String> {
    std::thread::sleep(READ);
    if i == 5 {
        return Err(format!("item {i}: unreadable (a stand-in for a bad file)"));
    }
    Ok((0..200_000)
        .map(|k| ((k as u64 ^ i) % 1000) as f64)
        .collect())
}

fn compute(v: Vec<f64>) -> Result<f64, String> {
    // A few dozen flops per value: tens of milliseconds over the pool.
    let f = |x: f64| (0..40).fold(x, |y, _| (y * 1.000_001 + 0.5).sqrt() + 1.0);
    Ok(par()
        .min_chunk(1 << 12)
        .reduce(0..v.len(), || 0.0, |a, k| a + f(v[k]), |a, b| a + b))
}

fn main() {
    let pool = Pool::builder().build().unwrap();
    println!("{} workers", pool.num_threads());

    let t = Instant::now();
    let report = Pipeline::on(&pool, 0..10u64)
        .stage_with(Stage::new().workers(1).max_threads(1), read)
        .stage(compute)
        .for_each(|i, r| {
            match r {
                Ok(x) => println!("  item {i}: {x:.1}"),
                Err(e) => println!("  item {i}: error: {e}"),
            }
            Flow::Continue
        });
    let piped = t.elapsed();

    let t = Instant::now();
    for i in 0..10 {
        let _ = pool.install(|| read(i).and_then(compute));
    }
    let serial = t.elapsed();
    println!(
        "pipeline: {piped:.2?} for {} items ({} errors, at most {} in flight); one after the other: {serial:.2?}",
        report.delivered, report.errors, report.peak_in_flight
    );

    // An endless source, stopped by the sink.
    let report = Pipeline::on(&pool, 0u64..)
        .stage(|i| Ok::<_, String>(i * i))
        .for_each(|i, r| {
            println!("  endless {i}: {:?}", r.unwrap());
            if i == 4 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
    println!(
        "cancelled: {}, delivered {}, produced {} (the source stopped promptly)",
        report.cancelled, report.delivered, report.produced
    );
}
