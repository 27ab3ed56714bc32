//! Property tests: parallel results equal serial ones, for random sizes,
//! caps, chunk sizes and nesting; `reduce` is deterministic.

use amrkit_pool::{par, Pool};
use proptest::prelude::*;
use std::sync::OnceLock;

fn pool() -> &'static Pool {
    static P: OnceLock<Pool> = OnceLock::new();
    P.get_or_init(|| Pool::builder().num_threads(4).build().unwrap())
}

fn opts<'p>(p: &'p Pool, cap: Option<usize>, chunk: Option<usize>) -> amrkit_pool::Par<'p> {
    let mut o = p.par();
    if let Some(k) = cap {
        o = o.max_threads(k);
    }
    if let Some(c) = chunk {
        o = o.min_chunk(c);
    }
    o
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn map_equals_serial(v in prop::collection::vec(any::<i64>(), 0..3000),
                         cap in prop::option::of(1usize..6),
                         chunk in prop::option::of(1usize..300)) {
        let got = opts(pool(), cap, chunk).map(&v, |x| x.wrapping_mul(3) ^ 5);
        let want: Vec<i64> = v.iter().map(|x| x.wrapping_mul(3) ^ 5).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn nested_map_and_reduce_equal_serial(n in 0usize..200, m in 0usize..200,
                                          cap in prop::option::of(1usize..6),
                                          inner_cap in prop::option::of(1usize..6),
                                          chunk in prop::option::of(1usize..50)) {
        let got = opts(pool(), cap, chunk).map_range(0..n, |i| {
            let mut inner = par();
            if let Some(k) = inner_cap { inner = inner.max_threads(k); }
            inner.reduce(0..m, || 0u64, |a, j| a + (i * j) as u64, |a, b| a + b)
        });
        let want: Vec<u64> = (0..n).map(|i| (0..m).map(|j| (i * j) as u64).sum()).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn reduce_is_exact_for_integers_and_for_each_mut_touches_all(
        n in 0usize..20_000, cap in prop::option::of(1usize..6), chunk in prop::option::of(1usize..2000)) {
        let s = opts(pool(), cap, chunk).reduce(3..3 + n, || 0u128, |a, i| a + i as u128, |a, b| a + b);
        prop_assert_eq!(s, (3..3 + n as u128).sum::<u128>());
        let mut v = vec![1u32; n];
        opts(pool(), cap, chunk).for_each_mut(&mut v, |x| *x += 1);
        prop_assert!(v.iter().all(|&x| x == 2));
    }

    #[test]
    fn reduce_is_deterministic(v in prop::collection::vec(-1e6f64..1e6, 1..5000),
                               cap in 1usize..5, chunk in 1usize..700) {
        // Floating-point addition is not associative, so any change in the
        // combination tree would show up in the bits.
        let run = |p: &Pool| p.par().max_threads(cap).min_chunk(chunk)
            .reduce(0..v.len(), || 0.0f64, |a, i| a + v[i], |a, b| a + b).to_bits();
        let first = run(pool());
        for _ in 0..5 {
            prop_assert_eq!(run(pool()), first);
        }
        // With an explicit chunk the tree does not depend on the pool either.
        let other = Pool::builder().num_threads(2).build().unwrap();
        prop_assert_eq!(run(&other), first);
    }

    #[test]
    fn try_map_runs_every_item(v in prop::collection::vec(0u32..100, 0..2000), cap in prop::option::of(1usize..5)) {
        let got = opts(pool(), cap, None).try_map(&v, |&x| if x % 7 == 0 { Err(x) } else { Ok(x * 2) });
        let want: Vec<Result<u32, u32>> = v.iter().map(|&x| if x % 7 == 0 { Err(x) } else { Ok(x * 2) }).collect();
        prop_assert_eq!(got, want);
    }
}
