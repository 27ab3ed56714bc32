//! Stress: a million tasks in random nested shapes of `join`, `scope` and
//! `par`, with the right answer and no hang.

use crate::common;

use amrkit_pool::{join, par, scope, Pool};
use common::with_watchdog;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A deterministic pseudo-random stream (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Runs a random tree of about `budget` tasks below `seed`; every task adds
/// its seed to `sum` and counts itself. Returns the tasks it ran, which the
/// serial twin `expect` computes independently.
fn shape(seed: u64, budget: u64, sum: &AtomicU64) -> u64 {
    sum.fetch_add(seed & 0xFFFF, Ordering::Relaxed);
    if budget <= 1 {
        return 1;
    }
    let rest = budget - 1;
    match mix(seed) % 3 {
        0 => {
            let left = rest / 2;
            let (a, b) = join(
                || shape(mix(seed ^ 1), left, sum),
                || shape(mix(seed ^ 2), rest - left, sum),
            );
            1 + a + b
        }
        1 => {
            let parts = 1 + (mix(seed ^ 3) % 4);
            let each = rest / parts;
            let counted = AtomicU64::new(0);
            scope(|s| {
                for p in 0..parts {
                    let b = if p + 1 == parts {
                        rest - each * (parts - 1)
                    } else {
                        each
                    };
                    let counted = &counted;
                    s.spawn(move |_| {
                        counted.fetch_add(shape(mix(seed ^ (10 + p)), b, sum), Ordering::Relaxed);
                    });
                }
            });
            1 + counted.into_inner()
        }
        _ => {
            let parts = 1 + (mix(seed ^ 4) % 8);
            let each = rest / parts;
            let cap = 1 + (mix(seed ^ 5) % 3) as usize;
            let counts = par().max_threads(cap).map_range(0..parts as usize, |p| {
                let p = p as u64;
                let b = if p + 1 == parts {
                    rest - each * (parts - 1)
                } else {
                    each
                };
                shape(mix(seed ^ (20 + p)), b, sum)
            });
            1 + counts.iter().sum::<u64>()
        }
    }
}

fn expect(seed: u64, budget: u64, sum: &mut u64) -> u64 {
    *sum += seed & 0xFFFF;
    if budget <= 1 {
        return 1;
    }
    let rest = budget - 1;
    match mix(seed) % 3 {
        0 => {
            let left = rest / 2;
            1 + expect(mix(seed ^ 1), left, sum) + expect(mix(seed ^ 2), rest - left, sum)
        }
        1 => {
            let parts = 1 + (mix(seed ^ 3) % 4);
            let each = rest / parts;
            1 + (0..parts)
                .map(|p| {
                    let b = if p + 1 == parts {
                        rest - each * (parts - 1)
                    } else {
                        each
                    };
                    expect(mix(seed ^ (10 + p)), b, sum)
                })
                .sum::<u64>()
        }
        _ => {
            let parts = 1 + (mix(seed ^ 4) % 8);
            let each = rest / parts;
            1 + (0..parts)
                .map(|p| {
                    let b = if p + 1 == parts {
                        rest - each * (parts - 1)
                    } else {
                        each
                    };
                    expect(mix(seed ^ (20 + p)), b, sum)
                })
                .sum::<u64>()
        }
    }
}

#[test]
fn stampede_of_a_million_random_nested_tasks() {
    let pool = Pool::builder().num_threads(4).build().unwrap();
    with_watchdog("million tasks", Duration::from_secs(300), || {
        let mut total = 0;
        for seed in 0..4u64 {
            let sum = AtomicU64::new(0);
            let ran = pool.install(|| shape(seed, 250_000, &sum));
            let mut want_sum = 0;
            let want = expect(seed, 250_000, &mut want_sum);
            assert_eq!(ran, want);
            assert_eq!(sum.into_inner(), want_sum);
            total += ran;
        }
        assert!(total >= 1_000_000, "{total}");
    });
}

#[test]
fn no_starvation_between_outside_callers() {
    // Several outside threads install into one small pool at once; each
    // must get its answer.
    let pool = Pool::builder().num_threads(2).build().unwrap();
    with_watchdog("outside callers", Duration::from_secs(120), || {
        std::thread::scope(|s| {
            for t in 0..6u64 {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..200u64 {
                        let v = pool.par().map_range(0..64, |j| j as u64 + t + i);
                        assert_eq!(v.iter().sum::<u64>(), (0..64).sum::<u64>() + 64 * (t + i));
                    }
                });
            }
        });
    });
}

#[test]
fn destructors_run_exactly_once() {
    use std::sync::Arc;
    let pool = Pool::builder().num_threads(3).build().unwrap();
    let token = Arc::new(());
    pool.install(|| {
        for _ in 0..1000 {
            let (a, b) = (token.clone(), token.clone());
            join(move || drop(a), move || drop(b));
        }
        scope(|s| {
            for _ in 0..1000 {
                let c = token.clone();
                s.spawn(move |_| drop(c));
            }
        });
        let v: Vec<Arc<()>> = par().map_range(0..1000, |_| token.clone());
        drop(v);
    });
    for _ in 0..100 {
        let c = token.clone();
        pool.spawn(move || drop(c));
    }
    pool.shutdown();
    assert_eq!(Arc::strong_count(&token), 1);
}
