//! Sinks in `stats`, and what weighted maps say in their PNG title.

use std::path::Path;
use testkit::{close, json_of, run_ok};

/// The `Title` text chunk of a PNG.
fn png_title(path: &Path) -> String {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = dec.read_info().unwrap();
    let info = reader.info();
    info.uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == "Title")
        .map(|t| t.text.clone())
        .expect("Title chunk")
}

#[test]
fn stats_lists_sinks_and_weighted_maps_say_so() {
    let Some(run) = testkit::runs().into_iter().find(|r| r.name == "particles") else {
        return;
    };
    let r = &run.reference["sinks"];
    let (so, _) = run_ok(&["stats", "--json"], &run.output);
    let st = json_of(&so);
    assert_eq!(st["sinks"]["count"], r["count"]);
    let m = st["sinks"]["total_mass"].as_f64().unwrap();
    assert!(
        close(m, r["total_msink_code"].as_f64().unwrap(), 1e-12, 0.0),
        "{m}"
    );
    // A region without the sink (it sits at the box centre) counts none.
    let (so, _) = run_ok(
        &[
            "stats",
            "--json",
            "--center",
            "0.1,0.1,0.1",
            "--radius",
            "0.05",
            "--range-unit",
            "box",
        ],
        &run.output,
    );
    assert_eq!(json_of(&so)["sinks"]["count"], 0);
    let (text, _) = run_ok(&["stats"], &run.output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("sinks") && l.contains("3.12805132e4")),
        "{text}"
    );
    // Map titles name the weighting.
    let tmp = tempfile::tempdir().unwrap();
    for (weight, want) in [
        ("mass", "mass-weighted pressure along z"),
        ("volume", "volume-weighted pressure along z"),
        ("none", "pressure projected along z"),
    ] {
        let png = tmp.path().join(format!("{weight}.png"));
        run_ok(
            &[
                "project",
                "--var",
                "pressure",
                "--weight",
                weight,
                "--res",
                "32",
                "--out",
                png.to_str().unwrap(),
            ],
            &run.output,
        );
        assert_eq!(png_title(&png), want);
    }
}
