//! `bench`: the thread sweep runs.

use testkit::{amrkit, runs};

#[test]
fn bench_runs_a_thread_sweep() {
    let Some(run) = runs().into_iter().next() else {
        return;
    };
    let out = amrkit()
        .arg("bench")
        .arg(&run.output)
        .args(["--samples", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("threads") && text.lines().count() >= 4,
        "{text}"
    );
}
