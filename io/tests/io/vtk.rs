//! VTK files written by amrkit-io, read back by independent readers: the
//! `vtkio` crate for small files, and the real VTK library (Python `vtk`)
//! for raw appended data of any content (vtkio's XML parser trips over
//! binary bytes that look like tags).

use amrkit_io::vtk::{
    write_points_vtu, write_vtm, write_vtu, Array, Counting, Fill, UnstructuredGrid, Values,
};
use std::path::Path;
use vtkio::model::{Attribute, DataSet, IOBuffer, Piece, VertexNumbers};

/// Writes two hexahedra to `path`; returns the bytes written.
fn write_two_hexes(path: &Path, zlib: bool) -> amrkit_io::Result<u64> {
    // Two unit cubes side by side along x: 12 shared points.
    let mut pts = Vec::new();
    for z in 0..2 {
        for y in 0..2 {
            for x in 0..3 {
                pts.extend([x as f32, y as f32, z as f32]);
            }
        }
    }
    let id = |x: i64, y: i64, z: i64| x + 3 * y + 6 * z;
    let mut conn = Vec::new();
    for c in 0..2 {
        conn.extend([
            id(c, 0, 0),
            id(c + 1, 0, 0),
            id(c + 1, 1, 0),
            id(c, 1, 0),
            id(c, 0, 1),
            id(c + 1, 0, 1),
            id(c + 1, 1, 1),
            id(c, 1, 1),
        ]);
    }
    let big: Vec<f64> = (0..2).map(|i| 1.5 + i as f64).collect();
    // Computed sources (`Counting`, `Fill`) next to borrowed slices.
    let g = UnstructuredGrid {
        n_points: 12,
        n_cells: 2,
        points: Array::new("", 3, Values::F32(&pts), zlib),
        cells: [
            Array::new("connectivity", 1, Values::I64(&conn), zlib),
            Array::new(
                "offsets",
                1,
                Counting {
                    n: 2,
                    step: 8,
                    first: 8,
                },
                zlib,
            ),
            Array::new("types", 1, Fill { n: 2, value: 12 }, zlib),
        ],
        cell_data: vec![
            Array::new("density", 1, Values::F64(&big), zlib),
            Array::new(
                "velocity",
                3,
                Values::F64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                zlib,
            ),
            Array::new("level", 1, Values::U8(&[3, 4]), zlib),
        ],
        point_data: vec![],
    };
    write_vtu(path, &g)
}

fn piece(path: &std::path::Path) -> vtkio::model::UnstructuredGridPiece {
    let vtk = vtkio::Vtk::import(path).unwrap_or_else(|e| panic!("{path:?}: {e:?}"));
    let DataSet::UnstructuredGrid { pieces, .. } = vtk.data else {
        panic!("not an unstructured grid")
    };
    match pieces.into_iter().next().unwrap() {
        Piece::Inline(p) => *p,
        _ => panic!("expected an inline piece"),
    }
}

fn cell_array(p: &vtkio::model::UnstructuredGridPiece, name: &str) -> IOBuffer {
    for a in &p.data.cell {
        if let Attribute::DataArray(d) = a {
            if d.name == name {
                return d.data.clone();
            }
        }
    }
    panic!("no cell array {name}")
}

#[test]
fn hexahedra_read_back_raw_and_zlib() {
    let tmp = tempfile::tempdir().unwrap();
    for zlib in [false, true] {
        let path = tmp.path().join(format!("hex_{zlib}.vtu"));
        let n = write_two_hexes(&path, zlib).unwrap();
        assert_eq!(n, std::fs::metadata(&path).unwrap().len());
        let p = piece(&path);
        assert_eq!(p.num_points(), 12);
        let IOBuffer::F32(pts) = &p.points else {
            panic!("points not f32")
        };
        assert_eq!(&pts[3..6], &[1.0, 0.0, 0.0]);
        let (conn, offs) = match &p.cells.cell_verts {
            VertexNumbers::XML {
                connectivity,
                offsets,
            } => (connectivity.clone(), offsets.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(offs, vec![8, 16]);
        assert_eq!(conn[8..10], [1, 2]);
        assert_eq!(p.cells.types.len(), 2);
        assert_eq!(cell_array(&p, "density"), IOBuffer::F64(vec![1.5, 2.5]));
        assert_eq!(
            cell_array(&p, "velocity"),
            IOBuffer::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
        assert_eq!(cell_array(&p, "level"), IOBuffer::U8(vec![3, 4]));
    }
}

#[test]
fn large_zlib_arrays_span_several_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 300_000usize; // 2.4 MB of f64: three zlib blocks
    let pts: Vec<f64> = (0..3 * n).map(|i| (i as f64).sin()).collect();
    let mass: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let Some(py) = testkit::vtk_python() else {
        return;
    };
    let mut files = Vec::new();
    for zlib in [false, true] {
        let path = tmp.path().join(format!("parts_{zlib}.vtu"));
        write_points_vtu(
            &path,
            Values::F64(&pts),
            vec![Array::new("mass", 1, Values::F64(&mass), zlib)],
            zlib,
        )
        .unwrap();
        files.push(path);
    }
    let sum = testkit::vtk_summary(&py, &files);
    for f in &files {
        let b = &sum[f.to_str().unwrap()][0];
        assert_eq!(b["points"], n as u64);
        assert_eq!(b["cells"], n as u64);
        assert_eq!(b["cell_types"], serde_json::json!([1]));
        let m = &b["point_data"]["mass"];
        assert_eq!(m["tuples"], n as u64);
        let want: f64 = mass.iter().sum();
        assert!((m["sum"].as_f64().unwrap() - want).abs() <= 1e-12 * want);
        assert_eq!(m["max"].as_f64().unwrap(), mass[n - 1]);
    }
}

#[test]
fn multiblock_index_lists_the_pieces() {
    let tmp = tempfile::tempdir().unwrap();
    write_two_hexes(&tmp.path().join("a.vtu"), false).unwrap();
    let vtm = tmp.path().join("all.vtm");
    write_vtm(&vtm, &[("level_03".into(), "a.vtu".into())]).unwrap();
    let text = std::fs::read_to_string(&vtm).unwrap();
    assert!(text.contains("file=\"a.vtu\"") && text.contains("vtkMultiBlockDataSet"));
    // Every file the index names loads (vtkio has no multiblock reader).
    let files: Vec<&str> = text
        .split("file=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert_eq!(files, ["a.vtu"]);
    assert_eq!(piece(&tmp.path().join(files[0])).num_points(), 12);
}

#[test]
fn mixed_compression_is_refused_and_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mixed.vtu");
    let conn: Vec<i64> = (0..8).collect();
    let g = UnstructuredGrid {
        n_points: 8,
        n_cells: 1,
        points: Array::new("", 3, Values::F64(&[0.0; 24]), false),
        cells: [
            Array::new("connectivity", 1, Values::I64(&conn), true),
            Array::new(
                "offsets",
                1,
                Counting {
                    n: 1,
                    step: 8,
                    first: 8,
                },
                false,
            ),
            Array::new("types", 1, Fill { n: 1, value: 12 }, false),
        ],
        cell_data: vec![],
        point_data: vec![],
    };
    let e = write_vtu(&path, &g).unwrap_err().to_string();
    assert!(e.contains("mixed.vtu") && e.contains("compressed"), "{e}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
