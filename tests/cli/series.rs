//! `series`: one row per snapshot in output order, broken snapshots
//! reported in their row.

use testkit::amrkit;

#[test]
fn series_reports_each_snapshot_and_survives_a_broken_one() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path();
    for iout in [1, 2] {
        let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
            ncpu: 3,
            levelmin: 4,
            levelmax: 6,
            iout,
            time: 0.01 * iout as f64,
            n_dm: 100,
            n_star: 10 * iout as usize,
            ..Default::default()
        })
        .unwrap();
        plan.write(&plan.output_dir(sim)).unwrap();
    }
    std::fs::create_dir(sim.join("output_00003")).unwrap(); // empty: broken
    let csv = sim.join("series.csv");
    let png = sim.join("series.png");
    let out = amrkit()
        .arg("series")
        .arg(sim)
        .args(["--outputs", "1..3", "--csv"])
        .arg(&csv)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("1,0.01,"));
    assert!(
        lines[3].starts_with("3,") && lines[3].contains("info_00003.txt"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("output 3"));
    assert!(png.is_file());
}

/// `series` runs as a pipeline (read -> analysis -> writer): with two
/// snapshots read at once and one broken in the middle, the rows still come
/// in output order, the broken one carries its error, and the rows after it
/// are the same as with one read at a time.
#[test]
fn series_pipeline_keeps_output_order_around_a_broken_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path();
    for iout in [1, 3, 4, 5] {
        let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
            ncpu: 2,
            levelmin: 3,
            levelmax: 5,
            iout,
            time: 0.01 * iout as f64,
            n_dm: 50,
            n_star: 5 * iout as usize,
            ..Default::default()
        })
        .unwrap();
        plan.write(&plan.output_dir(sim)).unwrap();
    }
    std::fs::create_dir(sim.join("output_00002")).unwrap(); // empty: broken
    let run = |extra: &[&str]| {
        let out = amrkit()
            .arg("series")
            .arg(sim)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let two = run(&[
        "--concurrent",
        "2",
        "--capacity",
        "2",
        "--read-threads",
        "1",
    ]);
    let lines: Vec<&str> = two.lines().collect();
    assert_eq!(lines.len(), 6, "{two}");
    for (k, n) in [1, 2, 3, 4, 5].iter().enumerate() {
        assert!(lines[k + 1].starts_with(&format!("{n},")), "{two}");
    }
    assert!(lines[2].contains("info_00002.txt"), "{two}");
    assert!(!lines[4].ends_with(",\"\""), "{two}");
    assert_eq!(two, run(&[]), "rows depend on the pipeline's settings");
}
