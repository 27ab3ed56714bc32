//! Sums a perfect binary tree with one `join` per node: a quick way to look
//! at per-fork overhead (`cargo run --release --example treesum -- 22 1`).
//! A third argument `worker` uses the context-passing `Worker::join`
//! instead of `join` (no thread-local lookup per level).

struct Node {
    value: u64,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}

fn make(depth: u32, next: &mut u64) -> Option<Box<Node>> {
    if depth == 0 {
        return None;
    }
    *next += 1;
    let value = *next;
    Some(Box::new(Node {
        value,
        left: make(depth - 1, next),
        right: make(depth - 1, next),
    }))
}

fn sum(n: &Node) -> u64 {
    let (l, r) = amrkit_pool::join(
        || n.left.as_deref().map_or(0, sum),
        || n.right.as_deref().map_or(0, sum),
    );
    n.value + l + r
}

fn sum_worker(w: &amrkit_pool::Worker, n: &Node) -> u64 {
    let (l, r) = w.join(
        |w| n.left.as_deref().map_or(0, |c| sum_worker(w, c)),
        |w| n.right.as_deref().map_or(0, |c| sum_worker(w, c)),
    );
    n.value + l + r
}

fn sum_serial(n: &Node) -> u64 {
    n.value + n.left.as_deref().map_or(0, sum_serial) + n.right.as_deref().map_or(0, sum_serial)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let depth: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(22);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let worker = args.next().is_some_and(|a| a == "worker");
    let mut next = 0;
    let root = make(depth, &mut next).unwrap();
    let reps = (1u64 << 26) / next + 1;
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..reps {
        total += std::hint::black_box(sum_serial(std::hint::black_box(&root)));
    }
    let dt = t.elapsed() / reps as u32;
    assert_eq!(total, reps * next * (next + 1) / 2);
    println!(
        "serial: {dt:?} per sum ({:.2} ns/node)",
        dt.as_nanos() as f64 / next as f64
    );
    let pool = amrkit_pool::Pool::builder()
        .num_threads(threads)
        .build()
        .unwrap();
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..reps {
        total += if worker {
            pool.install(|| amrkit_pool::with_worker(|w| sum_worker(w, &root)))
        } else {
            pool.install(|| sum(&root))
        };
    }
    let dt = t.elapsed() / reps as u32;
    assert_eq!(total, reps * next * (next + 1) / 2);
    println!(
        "{next} nodes, {threads} threads{}: {dt:?} per sum ({:.2} ns/node)",
        if worker { ", Worker::join" } else { "" },
        dt.as_nanos() as f64 / next as f64
    );
}
