//! The map figures of `project` and `slice` as a paper needs them: a
//! figure size set by the window's shape, never by the pixel count (small
//! maps used to cut their titles and colour-bar labels), and a map box
//! with the window's physical aspect ratio. The drawing itself (colours,
//! ticks, labels) is tested in the library (`src/render/`).

use std::path::Path;
use testkit::{run_ok, runs};

/// The image size of a PNG and its `amrkit:map` box (left, top, width,
/// height of the map in the image).
fn figure(path: &Path) -> ((u32, u32), [u32; 4]) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = dec.read_info().unwrap();
    let info = reader.info();
    let text = info
        .uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == "amrkit:map")
        .map(|t| t.text.clone())
        .expect("amrkit:map text chunk");
    let b: Vec<u32> = text.split(' ').map(|v| v.parse().unwrap()).collect();
    ((info.width, info.height), [b[0], b[1], b[2], b[3]])
}

/// Runs `amrkit <args[0]> <output> <args[1..]> --out <dir>/<name>` and
/// reads the PNG.
fn draw(output: &Path, dir: &Path, name: &str, args: &[&str]) -> ((u32, u32), [u32; 4]) {
    let path = dir.join(name);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--out", path.to_str().unwrap()]);
    run_ok(&all, output);
    figure(&path)
}

#[test]
fn map_figures_do_not_depend_on_the_pixel_count() {
    let Some(run) = runs().into_iter().find(|r| r.name == "sedov3d") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["project", "slice"] {
        let sizes: Vec<_> = ["16", "64", "300"]
            .iter()
            .map(|res| {
                let name = format!("{cmd}_{res}.png");
                let args = [cmd, "--var", "density", "--res", res];
                draw(&run.output, tmp.path(), &name, &args)
            })
            .collect();
        assert!(sizes.iter().all(|s| *s == sizes[0]), "{cmd}: {sizes:?}");
        // Room for a title and a colour bar label of a paper's size.
        let ((w, h), [_, _, bw, bh]) = sizes[0];
        assert!(w >= 760 && h >= 600 && bw >= 500 && bh >= 500, "{sizes:?}");
    }
}

#[test]
fn map_boxes_keep_the_window_aspect_ratio() {
    let Some(run) = runs().into_iter().find(|r| r.name == "sedov3d") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let box_ranges = |x: &'static str, y: &'static str| {
        [
            "--xrange",
            x,
            "--yrange",
            y,
            "--range-unit",
            "box",
            "--res",
            "64",
        ]
    };
    let cases: [(&str, Vec<&str>, f64); 5] = [
        (
            "square",
            vec!["project", "--var", "density", "--res", "64"],
            1.0,
        ),
        (
            "wide",
            {
                let mut a = vec!["project", "--var", "density"];
                a.extend(box_ranges("0.2,0.8", "0.4,0.6"));
                a
            },
            3.0,
        ),
        (
            "tall",
            {
                let mut a = vec!["project", "--var", "density"];
                a.extend(box_ranges("0.4,0.6", "0.1,0.9"));
                a
            },
            0.25,
        ),
        (
            "slice",
            vec![
                "slice", "--var", "density", "--normal", "1,1,0", "--width", "0.5,0.25", "--res",
                "64",
            ],
            2.0,
        ),
        (
            "off-axis",
            vec![
                "project", "--var", "density", "--normal", "1,2,3", "--width", "0.3,0.6", "--res",
                "64",
            ],
            0.5,
        ),
    ];
    for (name, args, aspect) in cases {
        let (_, [_, _, w, h]) = draw(&run.output, tmp.path(), &format!("{name}.png"), &args);
        let got = w as f64 / h as f64;
        assert!(
            (got / aspect - 1.0).abs() < 0.01,
            "{name}: {w}×{h}, want {aspect}"
        );
    }
}
