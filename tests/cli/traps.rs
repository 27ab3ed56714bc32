//! Traps of the new-user trial, each as the user met it: a slice over a
//! region shows that region (not a box of NaN around it), an empty phase
//! diagram is an error naming the flags that emptied it, `--pixel-size`
//! takes lengths with units and refuses `--res` beside it, negative
//! lengths reach our own check (not clap's "unexpected argument"), a
//! missing info file is named as such, and `--help` says what the commands
//! take.

use testkit::{amrkit, read_npy, runs, stdout_ok, Run};

fn run(name: &str) -> Option<Run> {
    runs().into_iter().find(|r| r.name == name)
}

/// stderr of a run that must fail.
fn fails(args: &[&str]) -> String {
    let out = amrkit().args(args).output().unwrap();
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The sidecar of a map.
fn sidecar(npy: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{}.json", npy.display())).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An axis slice over `--xrange/--yrange` is a zoom: its window is the
/// ranges' rectangle, every pixel has a value, and the values are those of
/// the same window given with `--center` and `--width` (the whole output's
/// cells). With `--radius` the window is the sphere's square, `2R`.
#[test]
fn slice_window_follows_the_region() {
    let Some(r) = run("sedov3d") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (zoom, given) = (tmp.path().join("zoom.npy"), tmp.path().join("given.npy"));
    let s = |extra: &[&str], out: &std::path::Path| {
        let mut args = vec!["slice", "--var", "density", "--res", "64", "--out"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        stdout_ok(&args, &r.output);
    };
    s(&["--xrange", "0.05,0.45", "--yrange", "-0.1,0.1"], &zoom);
    s(&["--center", "0.75,0.5,0.5", "--width", "0.4,0.2"], &given);
    let (rows, cols, got) = read_npy(&zoom);
    assert_eq!((rows, cols), (32, 64));
    let nan = got.iter().filter(|v| v.is_nan()).count();
    assert_eq!(nan, 0, "{nan} of {} pixels without a value", got.len());
    let (_, _, want) = read_npy(&given);
    assert_eq!(
        got, want,
        "the zoom differs from the same window by --width"
    );
    let j = sidecar(&zoom);
    let w: Vec<f64> = serde_json::from_value(j["width"].clone()).unwrap();
    let c: Vec<f64> = serde_json::from_value(j["center"].clone()).unwrap();
    assert!(
        (w[0] - 0.4).abs() < 1e-12 && (w[1] - 0.2).abs() < 1e-12,
        "{w:?}"
    );
    assert!(
        (c[0] - 0.75).abs() < 1e-12 && (c[1] - 0.5).abs() < 1e-12,
        "{c:?}"
    );

    let sphere = tmp.path().join("sphere.npy");
    s(&["--radius", "0.1"], &sphere);
    let (rows, cols, got) = read_npy(&sphere);
    assert_eq!((rows, cols), (64, 64));
    let w: Vec<f64> = serde_json::from_value(sidecar(&sphere)["width"].clone()).unwrap();
    assert!(
        (w[0] - 0.2).abs() < 1e-12 && (w[1] - 0.2).abs() < 1e-12,
        "{w:?}"
    );
    // The disc fills π/4 of the square; outside it no cell is selected.
    let filled = got.iter().filter(|v| v.is_finite()).count() as f64 / got.len() as f64;
    assert!(filled > 0.7, "{filled} of the pixels have a value");
}

/// Box ranges cannot set the window of an oblique slice: refused, saying
/// which flag does.
#[test]
fn oblique_slice_with_box_ranges_asks_for_width() {
    let Some(r) = run("sedov3d") else { return };
    let o = r.output.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let never = tmp.path().join("never.npy");
    let e = fails(&[
        "slice",
        o,
        "--var",
        "density",
        "--normal",
        "1,1,0",
        "--xrange",
        "-0.1,0.1",
        "--out",
        never.to_str().unwrap(),
    ]);
    assert!(e.contains("--width"), "{e}");
}

/// A phase diagram with no cell in its bins is an error naming the flags
/// that emptied it, and writes nothing.
#[test]
fn empty_phase_is_an_error_naming_the_flags() {
    let Some(r) = run("sedov3d") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("ph.png");
    let e = fails(&[
        "phase",
        r.output.to_str().unwrap(),
        "--x",
        "density",
        "--y",
        "pressure",
        "--xrange",
        "1e5,1e6",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("empty") && e.contains("--xrange 1e5,1e6"), "{e}");
    assert!(!png.exists());
}

/// `--pixel-size` takes a length with its unit (gravity's box is 10 pc:
/// 0.1pc pixels are 100 of them), and is refused beside `--res`.
#[test]
fn pixel_size_takes_units_and_conflicts_with_res() {
    let Some(r) = run("gravity") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let npy = tmp.path().join("p.npy");
    let o = r.output.to_str().unwrap();
    let p = npy.to_str().unwrap();
    amrkit()
        .args([
            "project",
            o,
            "--var",
            "density",
            "--pixel-size",
            "0.1pc",
            "--out",
            p,
        ])
        .assert()
        .success();
    let (rows, cols, _) = read_npy(&npy);
    assert_eq!((rows, cols), (100, 100));
    let e = fails(&[
        "project",
        o,
        "--var",
        "density",
        "--res",
        "64",
        "--pixel-size",
        "0.1pc",
        "--out",
        p,
    ]);
    assert!(e.contains("--res") && e.contains("--pixel-size"), "{e}");
}

/// Negative lengths reach amrkit's own check, which names the flag.
#[test]
fn negative_lengths_are_refused_by_name() {
    let Some(r) = run("sedov3d") else { return };
    let o = r.output.to_str().unwrap();
    // Outputs in a scratch folder: a broken check must not litter the
    // working folder.
    let tmp = tempfile::tempdir().unwrap();
    let (npy, png) = (tmp.path().join("n.npy"), tmp.path().join("n.png"));
    let (npy, png) = (npy.to_str().unwrap(), png.to_str().unwrap());
    for (args, flag) in [
        (
            vec![
                "project", o, "--var", "density", "--depth", "-1", "--out", npy,
            ],
            "--depth",
        ),
        (
            vec![
                "slice", o, "--var", "density", "--width", "-1", "--out", npy,
            ],
            "--width",
        ),
        (vec!["stats", o, "--radius", "-1"], "--radius"),
        (
            vec![
                "profile", o, "--var", "density", "--radius", "-1", "--out", png,
            ],
            "--radius",
        ),
        (
            vec![
                "phase", o, "--x", "density", "--y", "pressure", "--radius", "-1", "--out", png,
            ],
            "--radius",
        ),
        (
            vec![
                "project",
                o,
                "--var",
                "density",
                "--pixel-size",
                "-1",
                "--out",
                npy,
            ],
            "--pixel-size",
        ),
    ] {
        let e = fails(&args);
        assert!(
            e.trim() == format!("amrkit: {flag} must be positive, got -1"),
            "{args:?}: {e}"
        );
    }
}

/// An info file path is taken as its output; a missing one is named as a
/// missing file (or, in a missing output folder, the outputs there are
/// listed), not as "no such folder".
#[test]
fn info_file_paths_are_named_in_errors() {
    let Some(r) = run("sedov3d") else { return };
    let info = r.output.join("info_00002.txt");
    assert!(stdout_ok(&["info"], &info).contains("output_00002"));
    let e = fails(&["info", r.output.join("info_00003.txt").to_str().unwrap()]);
    assert!(e.contains("info_00003.txt: no such file"), "{e}");
    let sim = r.output.parent().unwrap();
    let e = fails(&[
        "info",
        sim.join("output_00099/info_00099.txt").to_str().unwrap(),
    ]);
    assert!(
        e.contains("output_00099: no such output") && e.contains("holds output 2"),
        "{e}"
    );
}

/// `--help` says what each command takes.
#[test]
fn help_says_what_the_commands_take() {
    let help = |cmd: &str| {
        let out = amrkit().args([cmd, "--help"]).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(help("info").contains("info_NNNNN.txt"));
    for cmd in ["slice", "stats"] {
        let h = help(cmd);
        assert!(h.contains("for `project --axis z`, the"), "{cmd}: {h}");
    }
    assert!(help("project").contains("0.1pc"));
    assert!(help("slice").contains("--xrange/--yrange/--radius"));
}
