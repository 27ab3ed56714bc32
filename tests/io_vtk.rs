//! VTK files written by amrkit-io, read back by independent readers: the
//! `vtkio` crate for small files, and the real VTK library (Python `vtk`)
//! for raw appended data of any content (vtkio's XML parser trips over
//! binary bytes that look like tags).

mod common;

use amrkit_io::vtk::{encode, write_points_vtu, write_vtm, write_vtu, UnstructuredGrid, Values};
use vtkio::model::{Attribute, DataSet, IOBuffer, Piece, VertexNumbers};

fn two_hexes(zlib: bool) -> UnstructuredGrid {
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
    UnstructuredGrid {
        n_points: 12,
        n_cells: 2,
        points: encode("", 3, Values::F32(&pts), zlib),
        cells: [
            encode("connectivity", 1, Values::I64(&conn), zlib),
            encode("offsets", 1, Values::I64(&[8, 16]), zlib),
            encode("types", 1, Values::U8(&[12, 12]), zlib),
        ],
        cell_data: vec![
            encode("density", 1, Values::F64(&big), zlib),
            encode(
                "velocity",
                3,
                Values::F64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                zlib,
            ),
            encode("level", 1, Values::U8(&[3, 4]), zlib),
        ],
        point_data: vec![],
    }
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
        let n = write_vtu(&path, &two_hexes(zlib)).unwrap();
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
    let Some(py) = common::vtk_python() else {
        return;
    };
    let mut files = Vec::new();
    for zlib in [false, true] {
        let path = tmp.path().join(format!("parts_{zlib}.vtu"));
        write_points_vtu(
            &path,
            &pts,
            vec![encode("mass", 1, Values::F64(&mass), zlib)],
            zlib,
        )
        .unwrap();
        files.push(path);
    }
    let sum = common::vtk_summary(&py, &files);
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
    write_vtu(&tmp.path().join("a.vtu"), &two_hexes(false)).unwrap();
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
