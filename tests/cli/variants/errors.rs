//! Errors that name what the user typed.

use testkit::fails_with;

#[test]
fn errors_name_what_the_user_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nonexistent");
    let e = fails_with(&["info"], &missing);
    assert!(
        e.contains("nonexistent: no such folder") && !e.contains("line 0"),
        "{e}"
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = fails_with(&["stats"], &empty);
    assert!(e.contains("empty: is not an `output_NNNNN` folder"), "{e}");
    assert!(!e.contains("Snapshot") && !e.contains("line 0"), "{e}");
    // Writing into a missing folder names the file asked for.
    let out = tmp.path().join("sim");
    amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
        ncpu: 2,
        levelmin: 3,
        levelmax: 4,
        n_dm: 0,
        n_star: 0,
        ..amrkit_io::SynthSpec::default()
    })
    .unwrap()
    .write(&out.join("output_00001"))
    .unwrap();
    let target = tmp.path().join("no/such/dir/x.npy");
    let e = fails_with(
        &[
            "project",
            "--var",
            "density",
            "--res",
            "8",
            "--out",
            target.to_str().unwrap(),
        ],
        &out,
    );
    assert!(
        e.contains("x.npy: cannot write") && !e.contains("x.npy.tmp"),
        "{e}"
    );
}
