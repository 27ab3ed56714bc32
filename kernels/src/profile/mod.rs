//! Radial and cylindrical profiles of cell variables.
//!
//! One stated definition, so that a profile can be checked against a plain
//! loop over the cells (and against yt's `create_profile` of the same
//! definition):
//!
//! * Every cell is a point at its centre `x`. Its distance from the centre
//!   `c` is `r = |x − c|` (sphere), or the distance from the axis through
//!   `c` along the unit vector `n` (cylinder; the cell must also have
//!   `|(x − c)·n| ≤ h/2`). Along a periodic axis of length `L` (a box
//!   without boundary regions) `x − c` is the minimum image: shifted by
//!   `±L` when it is beyond `±L/2`.
//! * The selection is every cell with `r ≤ R`.
//! * Edges `e_0 … e_N`: log `e_k = r0·(R/r0)^(k/N)`, lin
//!   `e_k = r0 + k(R − r0)/N` (`e_0 = r0` and `e_N = R` exactly). A cell is
//!   in bin `k` when `e_k ≤ r < e_{k+1}`; cells with `r < r0` are "inside"
//!   (no bin, but in `mass_enclosed` and the cumulative means), cells with
//!   `r = R` are "beyond" (no bin).
//! * Per bin: `count`, `weight` Σw, `mass` Σm (m = ρ·dx³), `mass_enclosed`
//!   (the mass of every selected cell with `r < e_{k+1}`), and per variable
//!   the mean Σwf/Σw and the weighted population standard deviation
//!   √(Σw(f − mean)²/Σw) (NaN for an empty bin). The cumulative mean of bin
//!   `k` is Σwf/Σw over every selected cell with `r < e_{k+1}`.
//! * w is ρ·dx³ (mass), dx³ (volume) or 1 (none); dx³ is dx^ndim.
//!
//! Sums are taken per block of one CPU file — runs of
//! [`SUM_BLOCK`](crate::sums::SUM_BLOCK) selected cells of the file — and
//! folded in block order, so the result is the same bits for any thread
//! count, split of the files between processes, or region read around the
//! selection. Every sum is compensated ([`compensated`]): exact to a few
//! ulps however many cells a bin holds. A block keeps, per bin, its sums
//! and its own Σw(f − mean_block)²; two blocks' second moments combine
//! with Chan et al.'s update, which keeps the standard deviation accurate
//! where Σwf² − (Σwf)²/Σw would cancel.
//!
//! The module by noun: [`geometry`] (distances, the selection),
//! [`edges`] (edges and the bin of a distance, through [`lookup`]: no
//! `ln` per cell), [`partial`] (block sums and their fold), [`result`]
//! (the profile, JSON and CSV).

pub mod compensated;
pub mod edges;
pub mod geometry;
pub mod lookup;
pub mod partial;
pub mod result;

pub use edges::{Edges, Place};
pub use geometry::{deepest_selected, smallest_cell, Geometry, Selected};
pub use partial::{partials_of, profile_partials, ProfileFold, ProfilePartial, ProfilePlan};
pub use result::{Profile, Tally, VarProfile};

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::project::Weight;
use crate::table::CellTable;

/// How the edges are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// `e_k = r0·(R/r0)^(k/N)`.
    Log,
    /// `e_k = r0 + k(R − r0)/N`.
    Lin,
}

/// Which distance bins the cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// `r = |x − c|`.
    Sphere,
    /// Distance from the axis through `c` along `normal` (any length, not
    /// zero), for cells with `|(x − c)·n̂| ≤ height/2`.
    Cylinder {
        /// The axis direction.
        normal: [f64; 3],
        /// The full height of the cylinder (code units).
        height: f64,
    },
}

/// What profile to take. Lengths and the centre are in code units
/// (positions in `[0, extent·boxlen]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSpec {
    /// The centre `c`.
    pub center: [f64; 3],
    /// The selection radius `R` (the last edge).
    pub radius: f64,
    /// The first edge `r0`; `None`: the smallest leaf cell size in the
    /// selection.
    pub rmin: Option<f64>,
    /// Number of bins `N`.
    pub bins: usize,
    /// Edge spacing.
    pub spacing: Spacing,
    /// Sphere or cylinder.
    pub shape: Shape,
    /// The weight of the means.
    pub weight: Weight,
    /// Box length along each periodic axis (minimum-image distances),
    /// `None` along the others. See [`periods`].
    pub period: [Option<f64>; 3],
}

impl ProfileSpec {
    /// The defaults: 64 log bins of a mass-weighted spherical
    /// profile of radius `radius` around `center`, `r0` the smallest cell,
    /// no periodic wrap.
    pub fn new(center: [f64; 3], radius: f64) -> Self {
        ProfileSpec {
            center,
            radius,
            rmin: None,
            bins: 64,
            spacing: Spacing::Log,
            shape: Shape::Sphere,
            weight: Weight::Mass,
            period: [None; 3],
        }
    }
}

/// The periodic axes of an output's box (code units): every axis of the
/// run whose coarse grid has no boundary cells, with its length
/// `extent·boxlen`.
pub fn periods(info: &amrkit_io::Info) -> [Option<f64>; 3] {
    std::array::from_fn(|d| {
        (d < info.ndim && info.coarse_grid[d] == info.extent[d])
            .then(|| info.extent[d] as f64 * info.boxlen)
    })
}

/// An invalid request.
pub(crate) fn invalid<T>(msg: String) -> Result<T> {
    Err(KernelError::Invalid(msg))
}

/// The error of a selection that holds no cell centre.
pub(crate) fn empty(spec: &ProfileSpec) -> KernelError {
    KernelError::Invalid(format!(
        "empty selection: no cell centre within {} (code units) of {:?}",
        spec.radius, spec.center
    ))
}

/// The profile of the variables `vars` (columns of `t`, with `density`)
/// over the cells of `t` as `spec` defines it: partials per block, folded
/// in order.
pub fn profile(t: &CellTable, spec: &ProfileSpec, vars: &[&str], exec: &Exec) -> Result<Profile> {
    t.column("density")?;
    for v in vars {
        t.column(v)?;
    }
    // One pass finds the selected cells and their distances; r0 (when
    // not given) comes from them, and the binning reuses them.
    let geo = ProfilePlan::check(spec)?;
    let sel = Selected::of(t, &geo, spec.radius, exec);
    let plan = ProfilePlan::for_selection(spec, &sel)?;
    let parts = partials_of(t, &plan, &sel, vars, exec)?;
    let sums = ProfilePartial::fold(plan.edges.bins(), vars.len(), &parts);
    Profile::from_sums(&plan, vars, &sums)
}
