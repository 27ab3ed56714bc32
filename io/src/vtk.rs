//! VTK XML writers: `.vtu` (unstructured grid: hexahedral cells, or one
//! vertex cell per particle) and `.vtm` (multiblock index).
//!
//! Arrays are stored as binary appended raw data with `header_type="UInt64"`:
//! each array is a block `[u64 byte count][bytes]`, or, with zlib, the
//! compressed-block layout VTK reads: `[u64 nblocks][u64 block size][u64
//! last block size][u64 compressed size × nblocks][zlib blocks…]`.
//!
//! An array's values come from a [`Source`]: a borrowed slice ([`Values`],
//! written straight from memory on little-endian hosts) or anything that
//! can produce its little-endian bytes range by range (a caller's gather,
//! a computed sequence). Uncompressed arrays are streamed from their source
//! while the file is written, through one small reused buffer, so an export
//! never holds a byte copy of its arrays. Compressed arrays are compressed
//! before writing, block by block ([`zlib_block`]), so a caller can spread
//! the blocks of all arrays over threads. Files are written under a
//! temporary name and renamed when complete.

use crate::atomic::{write_atomic, write_with};
use crate::error::Result;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Uncompressed size of one zlib block (VTK's own writer uses 32 KiB; any
/// size is valid, since the header lists every block's size). A multiple
/// of every value size.
pub const ZLIB_BLOCK: usize = 1 << 20;

/// Values converted per step when a source is streamed through a buffer.
const STREAM_VALUES: usize = 1 << 16;

/// The values of one VTK data array, produced on demand.
pub trait Source: Sync {
    /// VTK type name (`Float64`, `Int64`, …).
    fn vtk_type(&self) -> &'static str;
    /// Number of values (tuples × components).
    fn len(&self) -> usize;
    /// Whether there are no values.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes per value.
    fn value_size(&self) -> usize;
    /// Appends the little-endian bytes of the values in `range`.
    fn put(&self, range: Range<usize>, out: &mut Vec<u8>);
    /// All bytes at once, when they already lie in memory in file order.
    fn as_bytes(&self) -> Option<&[u8]> {
        None
    }
}

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

/// The native bytes of a slice of plain numbers.
fn native<T: bytemuck::Pod>(v: &[T]) -> &[u8] {
    bytemuck::cast_slice(v)
}

impl Values<'_> {
    fn native_bytes(&self) -> &[u8] {
        match self {
            Values::F32(v) => native(v),
            Values::F64(v) => native(v),
            Values::I64(v) => native(v),
            Values::I32(v) => native(v),
            Values::U8(v) => v,
        }
    }
}

impl Source for Values<'_> {
    fn vtk_type(&self) -> &'static str {
        match self {
            Values::F32(_) => "Float32",
            Values::F64(_) => "Float64",
            Values::I64(_) => "Int64",
            Values::I32(_) => "Int32",
            Values::U8(_) => "UInt8",
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::U8(v) => v.len(),
        }
    }

    fn value_size(&self) -> usize {
        match self {
            Values::F32(_) | Values::I32(_) => 4,
            Values::F64(_) | Values::I64(_) => 8,
            Values::U8(_) => 1,
        }
    }

    fn put(&self, r: Range<usize>, out: &mut Vec<u8>) {
        if cfg!(target_endian = "little") {
            let s = self.value_size();
            out.extend_from_slice(&self.native_bytes()[r.start * s..r.end * s]);
            return;
        }
        match self {
            Values::F32(v) => v[r].iter().for_each(|x| out.extend(x.to_le_bytes())),
            Values::F64(v) => v[r].iter().for_each(|x| out.extend(x.to_le_bytes())),
            Values::I64(v) => v[r].iter().for_each(|x| out.extend(x.to_le_bytes())),
            Values::I32(v) => v[r].iter().for_each(|x| out.extend(x.to_le_bytes())),
            Values::U8(v) => out.extend_from_slice(&v[r]),
        }
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        cfg!(target_endian = "little").then(|| self.native_bytes())
    }
}

enum Data<'a> {
    /// Streamed from the source when the file is written.
    Raw(Box<dyn Source + 'a>),
    /// Compressed blocks, in order.
    Zlib {
        /// Uncompressed byte count.
        raw_len: usize,
        blocks: Vec<Vec<u8>>,
    },
}

/// One data array of a VTK file: its XML attributes and its values.
pub struct Array<'a> {
    /// Array name (`Name=`); empty for `Points`.
    pub name: String,
    /// VTK type name.
    pub vtk_type: &'static str,
    /// Components per tuple.
    pub components: usize,
    data: Data<'a>,
}

/// Number of zlib blocks the values of `src` are compressed into (an empty
/// array still has one, empty, block).
pub fn zlib_blocks(src: &dyn Source) -> usize {
    (src.len() * src.value_size()).div_ceil(ZLIB_BLOCK).max(1)
}

/// Compresses block `i` of the values of `src` (see [`zlib_blocks`]).
pub fn zlib_block(src: &dyn Source, i: usize) -> Vec<u8> {
    let per = ZLIB_BLOCK / src.value_size();
    let r = (i * per).min(src.len())..((i + 1) * per).min(src.len());
    let mut raw = Vec::with_capacity(r.len() * src.value_size());
    src.put(r, &mut raw);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&raw).expect("writing to memory");
    z.finish().expect("writing to memory")
}

impl<'a> Array<'a> {
    /// An array streamed from `src`, or compressed now (block after block
    /// on this thread) when `zlib`.
    pub fn new(name: &str, components: usize, src: impl Source + 'a, zlib: bool) -> Self {
        if zlib {
            let blocks = (0..zlib_blocks(&src))
                .map(|i| zlib_block(&src, i))
                .collect();
            Array::compressed(name, components, &src, blocks)
        } else {
            Array {
                name: name.to_string(),
                vtk_type: src.vtk_type(),
                components,
                data: Data::Raw(Box::new(src)),
            }
        }
    }

    /// An array from the zlib blocks of `src` compressed by the caller
    /// (`blocks[i] = zlib_block(src, i)` for every block).
    pub fn compressed(
        name: &str,
        components: usize,
        src: &dyn Source,
        blocks: Vec<Vec<u8>>,
    ) -> Array<'static> {
        assert_eq!(blocks.len(), zlib_blocks(src), "one entry per zlib block");
        Array {
            name: name.to_string(),
            vtk_type: src.vtk_type(),
            components,
            data: Data::Zlib {
                raw_len: src.len() * src.value_size(),
                blocks,
            },
        }
    }

    /// Whether the values are zlib-compressed.
    pub fn is_compressed(&self) -> bool {
        matches!(self.data, Data::Zlib { .. })
    }

    /// Size of the appended block, header included.
    pub fn block_len(&self) -> usize {
        match &self.data {
            Data::Raw(src) => 8 + src.len() * src.value_size(),
            Data::Zlib { blocks, .. } => {
                8 * (3 + blocks.len()) + blocks.iter().map(Vec::len).sum::<usize>()
            }
        }
    }

    /// Writes the appended block; `buf` is scratch space reused between
    /// arrays.
    fn write_block(&self, w: &mut impl Write, buf: &mut Vec<u8>) -> std::io::Result<()> {
        match &self.data {
            Data::Raw(src) => {
                w.write_all(&((src.len() * src.value_size()) as u64).to_le_bytes())?;
                if let Some(bytes) = src.as_bytes() {
                    return w.write_all(bytes);
                }
                let mut at = 0;
                while at < src.len() {
                    let end = (at + STREAM_VALUES).min(src.len());
                    buf.clear();
                    src.put(at..end, buf);
                    w.write_all(buf)?;
                    at = end;
                }
                Ok(())
            }
            Data::Zlib { raw_len, blocks } => {
                let last = raw_len - (blocks.len() - 1) * ZLIB_BLOCK;
                w.write_all(&(blocks.len() as u64).to_le_bytes())?;
                w.write_all(&(ZLIB_BLOCK as u64).to_le_bytes())?;
                w.write_all(&(last as u64).to_le_bytes())?;
                for b in blocks {
                    w.write_all(&(b.len() as u64).to_le_bytes())?;
                }
                blocks.iter().try_for_each(|b| w.write_all(b))
            }
        }
    }
}

/// An unstructured grid piece. Either every array is compressed or none
/// is (the file header names one compressor for all of them).
pub struct UnstructuredGrid<'a> {
    /// Number of points.
    pub n_points: usize,
    /// Number of cells.
    pub n_cells: usize,
    /// Point coordinates (3 components).
    pub points: Array<'a>,
    /// `connectivity`, `offsets`, `types`.
    pub cells: [Array<'a>; 3],
    /// Cell data arrays.
    pub cell_data: Vec<Array<'a>>,
    /// Point data arrays.
    pub point_data: Vec<Array<'a>>,
}

fn data_array(xml: &mut String, e: &Array, offset: &mut usize) {
    let name = if e.name.is_empty() {
        String::new()
    } else {
        format!(" Name=\"{}\"", xml_escape(&e.name))
    };
    xml.push_str(&format!(
        "        <DataArray type=\"{}\"{name} NumberOfComponents=\"{}\" format=\"appended\" offset=\"{}\"/>\n",
        e.vtk_type, e.components, offset
    ));
    *offset += e.block_len();
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
fn write_with_appended(path: &Path, xml: &str, blocks: &[&Array]) -> Result<u64> {
    const OPEN: &[u8] = b"  <AppendedData encoding=\"raw\">\n   _";
    const CLOSE: &[u8] = b"\n  </AppendedData>\n</VTKFile>\n";
    write_with(path, |w| {
        w.write_all(xml.as_bytes())?;
        w.write_all(OPEN)?;
        let mut buf = Vec::new();
        for b in blocks {
            b.write_block(w, &mut buf)?;
        }
        w.write_all(CLOSE)
    })?;
    let data: usize = blocks.iter().map(|b| b.block_len()).sum();
    Ok((xml.len() + OPEN.len() + data + CLOSE.len()) as u64)
}

/// Writes a `.vtu` file. Returns the bytes written.
pub fn write_vtu(path: &Path, g: &UnstructuredGrid) -> Result<u64> {
    let compressed = g.points.is_compressed();
    let all = std::iter::once(&g.points)
        .chain(&g.cells)
        .chain(&g.point_data)
        .chain(&g.cell_data);
    if all.clone().any(|a| a.is_compressed() != compressed) {
        return Err(crate::error::Error::Inconsistent {
            path: path.to_path_buf(),
            problem: "every array of a VTK file must be zlib-compressed, or none".into(),
        });
    }
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
    write_with_appended(path, &xml, &all.collect::<Vec<_>>())
}

/// Writes points (`3·n` coordinates) with point data as a `.vtu` of vertex
/// cells (one `VTK_VERTEX` per point), which every VTK reader opens.
/// Returns the bytes written.
pub fn write_points_vtu(
    path: &Path,
    points: impl Source,
    point_data: Vec<Array>,
    zlib: bool,
) -> Result<u64> {
    let n = points.len() / 3;
    let g = UnstructuredGrid {
        n_points: n,
        n_cells: n,
        points: Array::new("", 3, points, zlib),
        cells: [
            Array::new(
                "connectivity",
                1,
                Counting {
                    n,
                    step: 1,
                    first: 0,
                },
                zlib,
            ),
            Array::new(
                "offsets",
                1,
                Counting {
                    n,
                    step: 1,
                    first: 1,
                },
                zlib,
            ),
            Array::new("types", 1, Fill { n, value: 1 }, zlib), // VTK_VERTEX
        ],
        cell_data: Vec::new(),
        point_data,
    };
    write_vtu(path, &g)
}

/// `Int64` values `first, first + step, …` (`n` of them): connectivity and
/// offsets of cells that do not share points.
#[derive(Clone, Copy, Debug)]
pub struct Counting {
    /// Number of values.
    pub n: usize,
    /// Difference between consecutive values.
    pub step: i64,
    /// First value.
    pub first: i64,
}

impl Source for Counting {
    fn vtk_type(&self) -> &'static str {
        "Int64"
    }
    fn len(&self) -> usize {
        self.n
    }
    fn value_size(&self) -> usize {
        8
    }
    fn put(&self, r: Range<usize>, out: &mut Vec<u8>) {
        for i in r {
            out.extend((self.first + self.step * i as i64).to_le_bytes());
        }
    }
}

/// `n` copies of one `UInt8` value (cell types, a level number).
#[derive(Clone, Copy, Debug)]
pub struct Fill {
    /// Number of values.
    pub n: usize,
    /// The value.
    pub value: u8,
}

impl Source for Fill {
    fn vtk_type(&self) -> &'static str {
        "UInt8"
    }
    fn len(&self) -> usize {
        self.n
    }
    fn value_size(&self) -> usize {
        1
    }
    fn put(&self, r: Range<usize>, out: &mut Vec<u8>) {
        out.resize(out.len() + r.len(), self.value);
    }
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
