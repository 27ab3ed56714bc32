//! Projected maps, and the partial sums of one run of cells that fold into
//! them (what processes send each other under MPI).

/// Projected maps.
#[derive(Clone, Debug, PartialEq)]
pub struct Maps {
    /// Pixels along the first image axis.
    pub nx: usize,
    /// Pixels along the second.
    pub ny: usize,
    /// One map per variable, code units (`nx·ny`, row `j` after row `j-1`).
    pub maps: Vec<(String, Vec<f64>)>,
    /// Pixel area in code units².
    pub pixel_area: f64,
    /// Extent in code units: `[a0, a1, b0, b1]` along the image axes.
    pub extent: [f64; 4],
}

impl Maps {
    /// A map by variable name.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.maps
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m.as_slice())
    }
}

/// Partial sums of one run of cells (or particles) over the pixels it
/// touches: the box of pixels `[i0, i0 + nx) × [j0, j0 + ny)` of the map,
/// one array per variable plus the weight array (empty when the projection
/// is not weighted: nothing divides by it), row after row. Folding the
/// partials of all runs in order ([`fold_partials`](super::fold_partials)) gives the maps; a
/// process can send its partials to another one that folds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Partial {
    /// First column of the box.
    pub i0: usize,
    /// First row of the box.
    pub j0: usize,
    /// Columns of the box.
    pub nx: usize,
    /// Rows of the box.
    pub ny: usize,
    /// Sums per variable, `nx·ny` each.
    pub acc: Vec<Vec<f64>>,
    /// Weight sums, `nx·ny` (empty when not weighted).
    pub w: Vec<f64>,
}
