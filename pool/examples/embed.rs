//! How a third-party crate embeds `amrkit-pool`: only the public API, as
//! `use amrkit_pool::…` from a crate that depends on it.
//!
//! A small "library" (`histogram`) parallelises internally with `par()` and
//! never decides the thread count itself; the application decides it once,
//! and caps the library per call. Run with
//! `cargo run --release -p amrkit-pool --example embed`.

use amrkit_pool::{current_num_threads, par, Pool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Library code: a histogram of `values` into `bins` bins over [0, 1).
/// Uses whatever budget its caller gives it (`current_num_threads`).
fn histogram(values: &[f64], bins: usize) -> Vec<u64> {
    let chunk = values.len().div_ceil(4 * current_num_threads()).max(1);
    par().min_chunk(1).reduce(
        0..values.len().div_ceil(chunk),
        || vec![0u64; bins],
        |mut h, c| {
            for &v in &values[c * chunk..((c + 1) * chunk).min(values.len())] {
                h[((v * bins as f64) as usize).min(bins - 1)] += 1;
            }
            h
        },
        |mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        },
    )
}

fn main() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let pool = Pool::builder()
        .num_threads(4)
        .thread_name(|i| format!("app-worker-{i}"))
        .start_handler(move |_| {
            s.fetch_add(1, Ordering::Relaxed);
        })
        .build()
        .expect("thread pool");

    // Three data sets analysed side by side, each with at most two threads:
    // the cap holds for the library's nested parallel code too.
    let sets: Vec<Vec<f64>> = (1..=3u64)
        .map(|k| {
            (0..200_000u64)
                .map(|i| ((i * 2_654_435_761 * k) % 1_000_003) as f64 / 1_000_003.0)
                .collect()
        })
        .collect();
    let hists = pool.par().max_threads(2).map(&sets, |v| histogram(v, 10));
    for (k, h) in hists.iter().enumerate() {
        println!("set {k}: {h:?} (total {})", h.iter().sum::<u64>());
    }

    // A background job with a handle, and a scope that borrows the stack.
    let background = pool.spawn(|| histogram(&[0.05, 0.95], 2));
    let mut maxima = vec![0u64; sets.len()];
    pool.scope(|s| {
        for (m, h) in maxima.iter_mut().zip(&hists) {
            s.spawn(move |_| *m = *h.iter().max().unwrap());
        }
    });
    println!(
        "maxima {maxima:?}; background {:?}",
        background.join().unwrap()
    );
    println!("{} workers started", started.load(Ordering::Relaxed));
}
