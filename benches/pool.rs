//! amrkit-pool against rayon and serial code, in the same run, on the
//! workloads of the pool issue. Both pools get the same thread counts.
//!
//! `cargo bench --bench pool` (filter with e.g. `-- tree_large`).

use amrkit_pool::Pool;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;

struct Node {
    value: u64,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}

fn make_tree(depth: u32, next: &mut u64) -> Option<Box<Node>> {
    if depth == 0 {
        return None;
    }
    *next += 1;
    let value = *next;
    Some(Box::new(Node {
        value,
        left: make_tree(depth - 1, next),
        right: make_tree(depth - 1, next),
    }))
}

fn sum_serial(n: &Node) -> u64 {
    n.value + n.left.as_deref().map_or(0, sum_serial) + n.right.as_deref().map_or(0, sum_serial)
}

fn sum_ours(n: &Node) -> u64 {
    let (l, r) = amrkit_pool::join(
        || n.left.as_deref().map_or(0, sum_ours),
        || n.right.as_deref().map_or(0, sum_ours),
    );
    n.value + l + r
}

/// The context-passing fork: no thread-local lookup per level.
fn sum_ours_worker(w: &amrkit_pool::Worker, n: &Node) -> u64 {
    let (l, r) = w.join(
        |w| n.left.as_deref().map_or(0, |c| sum_ours_worker(w, c)),
        |w| n.right.as_deref().map_or(0, |c| sum_ours_worker(w, c)),
    );
    n.value + l + r
}

fn sum_rayon(n: &Node) -> u64 {
    let (l, r) = rayon::join(
        || n.left.as_deref().map_or(0, sum_rayon),
        || n.right.as_deref().map_or(0, sum_rayon),
    );
    n.value + l + r
}

fn fib_serial(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib_serial(n - 1) + fib_serial(n - 2)
    }
}

fn fib_ours(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    let (a, b) = amrkit_pool::join(|| fib_ours(n - 1), || fib_ours(n - 2));
    a + b
}

fn fib_rayon(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

fn pools(threads: usize) -> (Pool, rayon::ThreadPool) {
    (
        Pool::builder().num_threads(threads).build().unwrap(),
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap(),
    )
}

fn tree(c: &mut Criterion, name: &str, depth: u32) {
    let mut next = 0;
    let root = make_tree(depth, &mut next).unwrap();
    let expected = next * (next + 1) / 2;
    let mut g = c.benchmark_group(name);
    g.bench_function("serial", |b| {
        b.iter(|| assert_eq!(sum_serial(black_box(&root)), expected))
    });
    for threads in [1, 2] {
        let (ours, rayon_pool) = pools(threads);
        g.bench_function(BenchmarkId::new("amrkit", threads), |b| {
            b.iter(|| assert_eq!(ours.install(|| sum_ours(black_box(&root))), expected))
        });
        g.bench_function(BenchmarkId::new("amrkit_worker_join", threads), |b| {
            b.iter(|| {
                let s = ours
                    .install(|| amrkit_pool::with_worker(|w| sum_ours_worker(w, black_box(&root))));
                assert_eq!(s, expected)
            })
        });
        g.bench_function(BenchmarkId::new("rayon", threads), |b| {
            b.iter(|| assert_eq!(rayon_pool.install(|| sum_rayon(black_box(&root))), expected))
        });
    }
    g.finish();
}

fn tree_large(c: &mut Criterion) {
    tree(c, "tree_large_2^22", 22);
}

fn tree_small(c: &mut Criterion) {
    tree(c, "tree_small_1023", 10);
}

fn fib(c: &mut Criterion) {
    let expected = fib_serial(32);
    let mut g = c.benchmark_group("fib32");
    g.bench_function("serial", |b| {
        b.iter(|| assert_eq!(fib_serial(black_box(32)), expected))
    });
    let (ours, rayon_pool) = pools(2);
    g.bench_function("amrkit/2", |b| {
        b.iter(|| assert_eq!(ours.install(|| fib_ours(black_box(32))), expected))
    });
    g.bench_function("rayon/2", |b| {
        b.iter(|| assert_eq!(rayon_pool.install(|| fib_rayon(black_box(32))), expected))
    });
    g.finish();
}

fn reduce_sum(c: &mut Criterion) {
    use rayon::prelude::*;
    let n = 100_000_000usize;
    let data: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.5).collect();
    let mut g = c.benchmark_group("sum_1e8_f64");
    g.bench_function("serial", |b| b.iter(|| black_box(data.iter().sum::<f64>())));
    let (ours, rayon_pool) = pools(2);
    g.bench_function("amrkit/2", |b| {
        b.iter(|| {
            black_box(ours.par().min_chunk(1 << 16).reduce(
                0..n,
                || 0.0f64,
                |a, i| a + data[i],
                |a, b| a + b,
            ))
        })
    });
    // The same reduction written over chunks, as kernels do it.
    g.bench_function("amrkit_chunks/2", |b| {
        b.iter(|| {
            let chunk = 1 << 16;
            black_box(ours.par().min_chunk(1).reduce(
                0..n.div_ceil(chunk),
                || 0.0f64,
                |a, c| {
                    a + data[c * chunk..((c + 1) * chunk).min(n)]
                        .iter()
                        .sum::<f64>()
                },
                |a, b| a + b,
            ))
        })
    });
    g.bench_function("rayon/2", |b| {
        b.iter(|| black_box(rayon_pool.install(|| data.par_iter().sum::<f64>())))
    });
    g.finish();
}

/// ~0.5 µs of arithmetic that the optimiser cannot remove.
fn work(x: u64) -> u64 {
    let mut h = x;
    for _ in 0..220 {
        h = h
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        h ^= h >> 29;
    }
    h
}

fn small_maps(c: &mut Criterion) {
    use rayon::prelude::*;
    const MAPS: usize = 10_000;
    let items: Vec<u64> = (0..128).collect();
    let mut g = c.benchmark_group("small_maps_1e4x128");
    g.bench_function("serial", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..MAPS {
                let v: Vec<u64> = items.iter().map(|&x| work(x ^ acc)).collect();
                acc = acc.wrapping_add(v[7]);
            }
            black_box(acc)
        })
    });
    let (ours, rayon_pool) = pools(2);
    g.bench_function("amrkit/2", |b| {
        b.iter(|| {
            ours.install(|| {
                let mut acc = 0u64;
                for _ in 0..MAPS {
                    let v = amrkit_pool::par().map(&items, |&x| work(x ^ acc));
                    acc = acc.wrapping_add(v[7]);
                }
                black_box(acc)
            })
        })
    });
    g.bench_function("rayon/2", |b| {
        b.iter(|| {
            rayon_pool.install(|| {
                let mut acc = 0u64;
                for _ in 0..MAPS {
                    let v: Vec<u64> = items.par_iter().map(|&x| work(x ^ acc)).collect();
                    acc = acc.wrapping_add(v[7]);
                }
                black_box(acc)
            })
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = tree_large, tree_small, fib, reduce_sum, small_maps
}
criterion_main!(benches);
