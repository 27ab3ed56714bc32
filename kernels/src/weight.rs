//! How a map or a reduction weights its cells: one enum that the
//! projections, the column loading and both front ends name, kept apart
//! so that loading columns for a weight does not depend on the
//! projection code that uses them.

/// The line-of-sight weighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    /// ∫q dl (for `density`: the surface density).
    None,
    /// ∫ρq dl / ∫ρ dl.
    Mass,
    /// ∫q dl / ∫dl.
    Volume,
}
