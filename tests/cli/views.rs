//! `amrkit slice`, `amrkit center` and `amrkit project` with view options:
//! the files and sidecars they write, the same bits as the kernels, the
//! JSON keys, and one-line errors for bad views.

use amrkit_io::Snapshot;
use amrkit_kernels::offaxis::{project_view_streaming, ViewSpec};
use amrkit_kernels::project::Weight;
use amrkit_kernels::slice::slice;
use amrkit_kernels::view::{Basis, View};
use amrkit_kernels::{Exec, Selection, Units};
use testkit::{fails_with, run_ok, runs, stdout_ok};

fn npy(path: &std::path::Path) -> Vec<f64> {
    let b = std::fs::read(path).unwrap();
    let h = u16::from_le_bytes([b[8], b[9]]) as usize;
    b[10 + h..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn slices_and_views_are_the_kernels_bits_with_sidecars() {
    let Some(run) = runs().into_iter().find(|r| r.name == "gravity") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = Snapshot::open(&run.output).unwrap();
    let u = Units::from_info(&s.info);
    let exec = Exec::default();
    let view = |n: [f64; 3]| {
        let mut v = View::whole_box(&u, Basis::from_normal(n, None).unwrap(), 48);
        v.pixels = [48, 48];
        v
    };
    let a = dir.path().join("s.npy");
    run_ok(
        &[
            "slice",
            "--var",
            "density",
            "--normal",
            "1,2,3",
            "--res",
            "48",
            "--out",
            a.to_str().unwrap(),
        ],
        &run.output,
    );
    let want = slice(
        &s,
        &Selection::default(),
        &view([1.0, 2.0, 3.0]),
        &["density"],
        &exec,
    )
    .unwrap();
    let got = npy(&a);
    assert_eq!(
        got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        want.get("density")
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    );
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.npy.json")).unwrap())
            .unwrap();
    for k in [
        "center",
        "e1",
        "e2",
        "normal",
        "width",
        "depth",
        "pixels",
        "variable",
        "weight",
        "unit",
        "length_unit",
    ] {
        assert!(side.get(k).is_some(), "sidecar lacks {k}: {side}");
    }
    assert!(side["depth"].is_null());
    let b = dir.path().join("p.npy");
    run_ok(
        &[
            "project",
            "--var",
            "density",
            "--normal",
            "-1,0.5,2",
            "--res",
            "48",
            "--depth",
            "0.3",
            "--out",
            b.to_str().unwrap(),
        ],
        &run.output,
    );
    let mut v = view([-1.0, 0.5, 2.0]);
    v.depth = Some(0.3);
    let spec = ViewSpec {
        view: v,
        vars: vec!["density".into()],
        weight: Weight::None,
    };
    let want = project_view_streaming(&s, &Selection::default(), &spec, &exec).unwrap();
    assert_eq!(
        npy(&b).iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        want.get("density")
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    );
    // The axis-aligned map gets its sidecar too.
    let c = dir.path().join("z.png");
    run_ok(
        &[
            "project",
            "--var",
            "density",
            "--res",
            "32",
            "--out",
            c.to_str().unwrap(),
        ],
        &run.output,
    );
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("z.png.json")).unwrap())
            .unwrap();
    assert_eq!(side["normal"], serde_json::json!([0.0, 0.0, 1.0]));
}

#[test]
fn center_json_has_the_issue_keys() {
    let Some(run) = runs().into_iter().find(|r| r.name == "gravity") else {
        return;
    };
    let j: serde_json::Value = serde_json::from_str(&stdout_ok(
        &["center", "--method", "com", "--json"],
        &run.output,
    ))
    .unwrap();
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "method",
        "center",
        "bulk_velocity",
        "L",
        "L_hat",
        "radius",
        "cells",
        "units",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(j["method"], "com");
}

#[test]
fn bad_views_are_one_line_errors() {
    let Some(run) = runs().into_iter().find(|r| r.name == "gravity") else {
        return;
    };
    let o = run.output.clone();
    let cases: [(&[&str], &str); 9] = [
        (
            &[
                "project", "--var", "density", "--axis", "z", "--normal", "1,0,0", "--out", "x.npy",
            ],
            "--axis goes without",
        ),
        (
            &[
                "project", "--var", "density", "--normal", "0,0,0", "--out", "x.npy",
            ],
            "--normal",
        ),
        (
            &[
                "slice", "--var", "density", "--normal", "1,0,0", "--north", "2,0,0", "--out",
                "x.npy",
            ],
            "parallel",
        ),
        (
            &[
                "project",
                "--var",
                "density",
                "--face-on",
                "1e-7",
                "--center",
                "0.5000001,0.5,0.5",
                "--out",
                "x.npy",
            ],
            "--face-on",
        ),
        (
            &[
                "slice",
                "--var",
                "density",
                "--center",
                "0.5,0.5,3",
                "--out",
                "x.npy",
            ],
            "outside the box",
        ),
        (
            &[
                "slice",
                "--var",
                "density",
                "--center",
                "0.5,0.5,1",
                "--out",
                "x.npy",
            ],
            "misses the box",
        ),
        (&["center", "--method", "middle"], "densest, com or ssc"),
        (
            &[
                "slice", "--var", "density", "--depth", "0.1", "--out", "x.npy",
            ],
            "--depth",
        ),
        (
            &[
                "slice",
                "--var",
                "density",
                "--particles",
                "star",
                "--out",
                "x.npy",
            ],
            "--particles",
        ),
    ];
    for (args, want) in cases {
        let e = fails_with(args, &o);
        assert!(e.contains(want), "{args:?}: {e}");
    }
}
