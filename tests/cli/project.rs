//! `project` on the shared real outputs: the reference maps (`.npy`) and
//! the drawing of the map PNG.

use testkit::{amrkit, read_npy, runs};

/// Decodes a map PNG and checks its drawing: the map box (from the
/// `amrkit:map` text chunk, in image pixels) has the window's aspect
/// ratio, the top colour of the colour map (viridis) sits where `map`
/// (row j = y, log-scaled) is largest, and there is text (dark pixels)
/// under the map (x ticks and label), left of it (y) and right of the
/// colour bar.
fn check_png_map(path: &std::path::Path, map: &[f64], nx: usize, ny: usize) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let boxtext = reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == "amrkit:map")
        .map(|t| t.text.clone())
        .expect("amrkit:map text chunk");
    let b: Vec<usize> = boxtext.split(' ').map(|v| v.parse().unwrap()).collect();
    let (bw, bh) = (b[2], b[3]);
    assert_eq!(bw, bh, "a square window: {boxtext}");
    let mut img = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut img).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    assert!(w > b[0] + bw && h > b[1] + bh, "margins around the map");
    let px = |x: usize, y: usize| {
        [
            img[(y * w + x) * 3],
            img[(y * w + x) * 3 + 1],
            img[(y * w + x) * 3 + 2],
        ]
    };
    let k = (0..map.len())
        .max_by(|&a, &c| map[a].total_cmp(&map[c]))
        .unwrap();
    let (i, j) = (k % nx, k / nx);
    // The image pixel at the centre of map pixel (i, j), y up.
    let x = b[0] + ((i as f64 + 0.5) / nx as f64 * bw as f64) as usize;
    let y = b[1] + bh - 1 - ((j as f64 + 0.5) / ny as f64 * bh as f64) as usize;
    assert_eq!(px(x, y), [254, 232, 37], "top colour at the maximum");
    let ink = |x0: usize, x1: usize, y0: usize, y1: usize| {
        (y0..y1).any(|y| (x0..x1).any(|x| px(x, y).iter().all(|&c| c < 90)))
    };
    assert!(ink(b[0], b[0] + bw, b[1] + bh + 2, h), "x axis labels");
    assert!(
        ink(0, b[0].saturating_sub(2), b[1], b[1] + bh),
        "y axis labels"
    );
    // Right of the colour bar (22 pixels past the map, 22 wide).
    assert!(ink(b[0] + bw + 48, w, b[1], b[1] + bh), "colour bar labels");
}

#[test]
fn project_writes_the_reference_maps() {
    let tmp = tempfile::tempdir().unwrap();
    for run in runs() {
        let dir = run.output.parent().unwrap();
        for (file, var, weight) in [
            ("proj_density_z_256.npy", "density", "none"),
            ("proj_massweighted_pressure_z_256.npy", "pressure", "mass"),
        ] {
            let npy = tmp.path().join(format!("{}_{var}.npy", run.name));
            let png = tmp.path().join(format!("{}_{var}.png", run.name));
            let out = amrkit()
                .args(["project"])
                .arg(&run.output)
                .args([
                    "--var", var, "--axis", "z", "--res", "256", "--weight", weight, "--log",
                    "--out",
                ])
                .arg(format!("{},{}", npy.display(), png.display()))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (_, _, got) = read_npy(&npy);
            let (_, _, want) = read_npy(&dir.join(file));
            let (worst, scale) = testkit::map_error(&got, &want);
            assert!(worst <= 1e-12 * scale, "{} {file}: {worst:e}", run.name);
            check_png_map(&png, &got, 256, 256);
        }
    }
}
