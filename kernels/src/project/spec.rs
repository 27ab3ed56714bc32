//! What a projection is asked for: the line of sight, the pixels, the
//! prism and the weighting, and the checks every entry point makes first.

use crate::error::{KernelError, Result};

pub use crate::weight::Weight;

/// What to project.
#[derive(Clone, Debug)]
pub struct ProjSpec {
    /// Line of sight: 0 = x, 1 = y, 2 = z.
    pub axis: usize,
    /// Pixels along the two image axes.
    pub res: [usize; 2],
    /// The projected box in box units, `[lo, hi]` per axis (the range along
    /// the line of sight clips the integral).
    pub range: [[f64; 2]; 3],
    /// Variables (RAMSES names in the table).
    pub vars: Vec<String>,
    /// Weighting.
    pub weight: Weight,
}

impl ProjSpec {
    /// The whole box along `axis` at `res × res` pixels.
    /// (Boxes of several coarse cells, `Units::extent`, need their own
    /// `range`.)
    pub fn whole_box(axis: usize, res: usize, vars: &[&str], weight: Weight) -> ProjSpec {
        ProjSpec {
            axis,
            res: [res, res],
            range: [[0.0, 1.0]; 3],
            vars: vars.iter().map(|s| s.to_string()).collect(),
            weight,
        }
    }

    /// The image axes (first, second) for the line of sight.
    pub fn image_axes(&self) -> (usize, usize) {
        match self.axis {
            0 => (1, 2),
            1 => (2, 0),
            _ => (0, 1),
        }
    }
}

pub(super) fn check(spec: &ProjSpec) -> Result<()> {
    if spec.axis > 2 || spec.res[0] == 0 || spec.res[1] == 0 || spec.vars.is_empty() {
        return Err(KernelError::Invalid(format!(
            "projection needs axis 0..2, pixels ≥ 1 and a variable (axis {}, res {:?}, vars {:?})",
            spec.axis, spec.res, spec.vars
        )));
    }
    if (0..3)
        .any(|d| spec.range[d][0] >= spec.range[d][1] || spec.range[d].iter().any(|v| v.is_nan()))
    {
        return Err(KernelError::Invalid(format!(
            "empty projection range {:?}",
            spec.range
        )));
    }
    Ok(())
}
