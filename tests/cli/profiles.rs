//! `amrkit profile` and `amrkit phase` as a user runs them: the files they
//! write (JSON keys as the issue names them, CSV, .npy, PNG), the same
//! bytes at 1 and 2 threads, and one clear line for each bad request.

use std::path::{Path, PathBuf};
use testkit::{amrkit, json_of, read_npy, run_ok};

fn output(run: &str) -> Option<PathBuf> {
    testkit::runs()
        .into_iter()
        .find(|r| r.name == run)
        .map(|r| r.output)
}

/// `amrkit --threads N ARGS…` into `dir`: (the bytes of each file written).
fn files_at(threads: usize, out: &Path, dir: &Path, args: &[&str]) -> Vec<Vec<u8>> {
    let o = assert_cmd::Command::cargo_bin("amrkit")
        .unwrap()
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .args(["--threads", &threads.to_string(), "-q"])
        .args(&args[..1])
        .arg(out)
        .args(&args[1..])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ["p.json", "p.csv", "h.npy", "h.json"]
        .iter()
        .filter_map(|f| std::fs::read(dir.join(f)).ok())
        .collect()
}

#[test]
fn profile_and_phase_write_their_files_with_the_issue_keys() {
    let Some(out) = output("gravity") else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).display().to_string();
    let args = [
        "profile",
        "--var",
        "density,temperature",
        "--center",
        "0.42,0.5,0.5",
        "--radius",
        "0.3",
        "--cumulative",
        "--json",
        &p("p.json"),
        "--csv",
        &p("p.csv"),
        "--out",
        &p("p.png"),
    ];
    let (so, _) = run_ok(&args, &out);
    assert!(so.contains("µ = 0.6"), "the µ is stated: {so}");
    let j = json_of(&std::fs::read(p("p.json")).unwrap());
    assert_eq!(j["edges"].as_array().unwrap().len(), 65);
    assert_eq!(j["center"], serde_json::json!([0.42, 0.5, 0.5]));
    for k in ["count", "weight", "mass", "mass_enclosed"] {
        assert_eq!(j["bins"][k].as_array().unwrap().len(), 64, "{k}");
    }
    for k in ["mean", "std", "cumulative_mean"] {
        assert!(j["bins"]["temperature"][k].is_array(), "{k}");
    }
    assert_eq!(j["units"]["temperature"], "K");
    assert_eq!(j["mu"], 0.6);
    let csv = std::fs::read_to_string(p("p.csv")).unwrap();
    assert_eq!(csv.lines().count(), 65);
    assert!(std::fs::read(p("p.png")).unwrap().starts_with(b"\x89PNG"));

    let args = [
        "phase",
        "--x",
        "density",
        "--y",
        "temperature",
        "--xrange",
        "0.5,500",
        "--out",
        &p("h.npy"),
        "--json",
        &p("h.json"),
    ];
    let (so, _) = run_ok(&args, &out);
    let j = json_of(&std::fs::read(p("h.json")).unwrap());
    let outside = j["cells_outside_range"].as_u64().unwrap();
    assert!(
        outside > 0 && so.contains(&format!("{outside} outside")),
        "{so}"
    );
    let (rows, cols, h) = read_npy(&dir.path().join("h.npy"));
    assert_eq!((rows, cols), (128, 128));
    let total: f64 = h.iter().sum();
    let m_in = j["mass_in_range"].as_f64().unwrap();
    assert!((total - m_in).abs() <= 1e-12 * m_in);
    assert_eq!(j["x"]["edges"].as_array().unwrap().len(), 129);
    assert_eq!(j["x"]["range"], serde_json::json!([0.5, 500.0]));
}

#[test]
fn profile_and_phase_are_the_same_bytes_on_one_and_two_threads() {
    for run in ["gravity", "sedov3d"] {
        let Some(out) = output(run) else { continue };
        let args = [
            "profile",
            "--var",
            "density,temperature,velocity_x",
            "--center",
            "0.1,0.9,0.5",
            "--radius",
            "0.45",
            "--json",
            "p.json",
            "--csv",
            "p.csv",
        ];
        let phase = [
            "phase",
            "--x",
            "density",
            "--y",
            "pressure",
            "--z",
            "velocity_x",
            "--out",
            "h.npy",
            "--json",
            "h.json",
        ];
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let one = files_at(1, &out, a.path(), &args);
        let two = files_at(2, &out, b.path(), &args);
        assert_eq!(one.len(), 2);
        assert!(
            one == two,
            "{run}: profile files differ between 1 and 2 threads"
        );
        let one = files_at(1, &out, a.path(), &phase);
        let two = files_at(2, &out, b.path(), &phase);
        assert_eq!(one.len(), 4);
        assert!(
            one == two,
            "{run}: phase files differ between 1 and 2 threads"
        );
    }
}

#[test]
fn bad_requests_are_one_line_each() {
    let Some(out) = output("gravity") else { return };
    let cases: [(&[&str], &str); 7] = [
        (&["profile", "--var", "densty"], "densty"),
        (
            &[
                "profile", "--var", "density", "--radius", "0.2", "--rmin", "0.3",
            ],
            "--rmin",
        ),
        (&["profile", "--var", "density", "--bins", "0"], "--bins"),
        (
            &["profile", "--var", "density", "--radius", "1e-4"],
            "empty selection",
        ),
        (
            &[
                "phase", "--x", "density", "--y", "pressure", "--xrange", "-1,10", "--out", "h.npy",
            ],
            "must be positive",
        ),
        (
            &[
                "phase", "--x", "density", "--y", "pressure", "--bins", "0", "--out", "h.npy",
            ],
            "at least 1 bin",
        ),
        (
            &[
                "phase", "--x", "density", "--y", "pressure", "--out", "h.txt",
            ],
            ".npy or .png",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (args, want) in cases {
        let o = amrkit()
            .args(&args[..1])
            .arg(&out)
            .args(&args[1..])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line: {err}"
        );
        assert!(!dir.path().join("h.npy").exists(), "no partial output");
    }
}

/// `--center densest` goes through the centring module: the profile's
/// centre is the one `amrkit center --method densest` prints.
#[test]
fn profile_centre_by_method_is_the_centring_modules() {
    let Some(out) = output("gravity") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("p.json");
    let centre = amrkit()
        .args([
            "center",
            out.to_str().unwrap(),
            "--method",
            "densest",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        centre.status.success(),
        "{}",
        String::from_utf8_lossy(&centre.stderr)
    );
    let centre = json_of(&centre.stdout);
    let run = amrkit()
        .args([
            "profile",
            out.to_str().unwrap(),
            "--var",
            "density",
            "--center",
            "densest",
        ])
        .args(["--radius", "0.2", "--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let p = json_of(&std::fs::read(&json).unwrap());
    assert_eq!(p["center"], centre["center"]);
}
