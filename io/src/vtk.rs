//! VTK XML writers: `.vtu` (unstructured grid: hexahedral cells, or one
//! vertex cell per particle) and `.vtm` (multiblock index).
//!
//! Arrays are stored as binary appended raw data with `header_type="UInt64"`:
//! each array is a block `[u64 byte count][bytes]`, or, with zlib, the
//! compressed-block layout VTK reads: `[u64 nblocks][u64 block size][u64
//! last block size][u64 compressed size × nblocks][zlib blocks…]`.
//! Encoding ([`encode`]) is separate from writing, so a caller can encode
//! arrays on several threads and then write them in one pass. Files are
//! written under a temporary name and renamed when complete.

use crate::atomic::{write_atomic, write_with};
use crate::error::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Uncompressed size of one zlib block (VTK's own writer uses 32 KiB; any
/// size is valid, since the header lists every block's size).
pub const ZLIB_BLOCK: usize = 1 << 20;

/// The values of one array, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum Values<'a> {
    /// `Float32`.
    F32(&'a [f32]),
    /// `Float64`.
    F64(&'a [f64]),
    /// `Int64`.
    I64(&'a [i64]),
    /// `Int32`.
    I32(&'a [i32]),
    /// `UInt8`.
    U8(&'a [u8]),
}

impl Values<'_> {
    fn vtk_type(&self) -> &'static str {
        match self {
            Values::F32(_) => "Float32",
            Values::F64(_) => "Float64",
            Values::I64(_) => "Int64",
            Values::I32(_) => "Int32",
            Values::U8(_) => "UInt8",
        }
    }

    fn le_bytes(&self) -> Vec<u8> {
        match self {
            Values::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::U8(v) => v.to_vec(),
        }
    }
}

/// An array ready to be written: its XML attributes and its appended block.
#[derive(Clone, Debug)]
pub struct Encoded {
    /// Array name (`Name=`); empty for `Points`.
    pub name: String,
    /// VTK type name.
    pub vtk_type: &'static str,
    /// Components per tuple.
    pub components: usize,
    /// The appended block, header included.
    pub block: Vec<u8>,
    /// Whether the block is zlib-compressed.
    pub compressed: bool,
}

/// Encodes one array (`components` values per tuple), optionally with zlib.
pub fn encode(name: &str, components: usize, values: Values, zlib: bool) -> Encoded {
    let raw = values.le_bytes();
    let block = if zlib {
        let nblocks = raw.len().div_ceil(ZLIB_BLOCK).max(1);
        let last = raw.len() - (nblocks - 1) * ZLIB_BLOCK;
        let mut parts = Vec::with_capacity(nblocks);
        for chunk in raw.chunks(ZLIB_BLOCK).chain(
            // An empty array still has one (empty) block.
            std::iter::once(&[][..]).take(usize::from(raw.is_empty())),
        ) {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(chunk).expect("writing to memory");
            parts.push(z.finish().expect("writing to memory"));
        }
        let mut b =
            Vec::with_capacity(8 * (3 + nblocks) + parts.iter().map(Vec::len).sum::<usize>());
        b.extend((nblocks as u64).to_le_bytes());
        b.extend((ZLIB_BLOCK as u64).to_le_bytes());
        b.extend((last as u64).to_le_bytes());
        for p in &parts {
            b.extend((p.len() as u64).to_le_bytes());
        }
        for p in &parts {
            b.extend(p);
        }
        b
    } else {
        let mut b = Vec::with_capacity(8 + raw.len());
        b.extend((raw.len() as u64).to_le_bytes());
        b.extend(raw);
        b
    };
    Encoded {
        name: name.to_string(),
        vtk_type: values.vtk_type(),
        components,
        block,
        compressed: zlib,
    }
}

/// An unstructured grid piece, with every array already encoded.
pub struct UnstructuredGrid {
    /// Number of points.
    pub n_points: usize,
    /// Number of cells.
    pub n_cells: usize,
    /// Point coordinates (3 components).
    pub points: Encoded,
    /// `connectivity`, `offsets`, `types`.
    pub cells: [Encoded; 3],
    /// Cell data arrays.
    pub cell_data: Vec<Encoded>,
    /// Point data arrays.
    pub point_data: Vec<Encoded>,
}

fn data_array(xml: &mut String, e: &Encoded, offset: &mut usize) {
    let name = if e.name.is_empty() {
        String::new()
    } else {
        format!(" Name=\"{}\"", xml_escape(&e.name))
    };
    xml.push_str(&format!(
        "        <DataArray type=\"{}\"{name} NumberOfComponents=\"{}\" format=\"appended\" offset=\"{}\"/>\n",
        e.vtk_type, e.components, offset
    ));
    *offset += e.block.len();
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn header(kind: &str, compressed: bool) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<VTKFile type=\"{kind}\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\"{}>\n",
        if compressed {
            " compressor=\"vtkZLibDataCompressor\""
        } else {
            ""
        }
    )
}

/// Writes `xml`, then the appended section holding `blocks` in order, to
/// `path` via a temporary file. Returns the bytes written.
fn write_with_appended(path: &Path, xml: &str, blocks: &[&Encoded]) -> Result<u64> {
    const OPEN: &[u8] = b"  <AppendedData encoding=\"raw\">\n   _";
    const CLOSE: &[u8] = b"\n  </AppendedData>\n</VTKFile>\n";
    write_with(path, |w| {
        w.write_all(xml.as_bytes())?;
        w.write_all(OPEN)?;
        for b in blocks {
            w.write_all(&b.block)?;
        }
        w.write_all(CLOSE)
    })?;
    let data: usize = blocks.iter().map(|b| b.block.len()).sum();
    Ok((xml.len() + OPEN.len() + data + CLOSE.len()) as u64)
}

/// Writes a `.vtu` file. Returns the bytes written.
pub fn write_vtu(path: &Path, g: &UnstructuredGrid) -> Result<u64> {
    let compressed = g.points.compressed;
    let mut xml = header("UnstructuredGrid", compressed);
    xml.push_str("  <UnstructuredGrid>\n");
    xml.push_str(&format!(
        "    <Piece NumberOfPoints=\"{}\" NumberOfCells=\"{}\">\n",
        g.n_points, g.n_cells
    ));
    let mut off = 0;
    xml.push_str("      <Points>\n");
    data_array(&mut xml, &g.points, &mut off);
    xml.push_str("      </Points>\n      <Cells>\n");
    for c in &g.cells {
        data_array(&mut xml, c, &mut off);
    }
    xml.push_str("      </Cells>\n");
    for (tag, arrays) in [("PointData", &g.point_data), ("CellData", &g.cell_data)] {
        if arrays.is_empty() {
            continue;
        }
        xml.push_str(&format!("      <{tag}>\n"));
        for a in arrays {
            data_array(&mut xml, a, &mut off);
        }
        xml.push_str(&format!("      </{tag}>\n"));
    }
    xml.push_str("    </Piece>\n  </UnstructuredGrid>\n");
    let mut blocks: Vec<&Encoded> = vec![&g.points];
    blocks.extend(g.cells.iter());
    blocks.extend(g.point_data.iter());
    blocks.extend(g.cell_data.iter());
    write_with_appended(path, &xml, &blocks)
}

/// Writes points with point data as a `.vtu` of vertex cells (one
/// `VTK_VERTEX` per point), which every VTK reader opens. Returns bytes.
pub fn write_points_vtu(
    path: &Path,
    points: &[f64],
    point_data: Vec<Encoded>,
    zlib: bool,
) -> Result<u64> {
    let n = points.len() / 3;
    let conn: Vec<i64> = (0..n as i64).collect();
    let offs: Vec<i64> = (1..=n as i64).collect();
    let types = vec![1u8; n];
    let g = UnstructuredGrid {
        n_points: n,
        n_cells: n,
        points: encode("", 3, Values::F64(points), zlib),
        cells: [
            encode("connectivity", 1, Values::I64(&conn), zlib),
            encode("offsets", 1, Values::I64(&offs), zlib),
            encode("types", 1, Values::U8(&types), zlib),
        ],
        cell_data: Vec::new(),
        point_data,
    };
    write_vtu(path, &g)
}

/// Writes a `.vtm` multiblock index naming `files` (paths relative to the
/// `.vtm`'s folder) as blocks `names`.
pub fn write_vtm(path: &Path, blocks: &[(String, PathBuf)]) -> Result<u64> {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<VTKFile type=\"vtkMultiBlockDataSet\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n  <vtkMultiBlockDataSet>\n",
    );
    for (i, (name, file)) in blocks.iter().enumerate() {
        xml.push_str(&format!(
            "    <DataSet index=\"{i}\" name=\"{}\" file=\"{}\"/>\n",
            xml_escape(name),
            xml_escape(&file.to_string_lossy())
        ));
    }
    xml.push_str("  </vtkMultiBlockDataSet>\n</VTKFile>\n");
    write_atomic(path, xml.as_bytes())?;
    Ok(xml.len() as u64)
}
