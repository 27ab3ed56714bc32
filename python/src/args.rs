//! The argument types the methods share: names, numbers, lengths with
//! their units, centres, bins, and the region keywords every reading
//! method takes ([`RegionKw`], as the CLI's selection flags).

use amrkit_kernels::center::{Center, Method};
use amrkit_kernels::request::{Lengths, RegionArgs};
use amrkit_kernels::{KernelError, Units};
use pyo3::prelude::*;

/// One value or a list of them, as the methods take names (`"density"`
/// or `["density", "pressure"]`) and windows (`W` or `[W, H]`).
#[derive(FromPyObject)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x],
            OneOrMany::Many(v) => v,
        }
    }
}

/// One name or a list of names.
pub(crate) type Names = OneOrMany<String>;

/// One number or a list (a window `W` or `[W, H]`).
pub(crate) type Floats = OneOrMany<f64>;

/// A `center`: a method ("densest", "com", "ssc"), or coordinates by the
/// common length rule (`[x, y, z]` in `range_unit`, `([x, y, z], "unit")`,
/// or the CLI's text `"0.5,0.5,0.5box"`).
#[derive(FromPyObject)]
pub(crate) enum CenterArg {
    Name(String),
    Point(LengthArg),
}

/// A length option as Python takes it: a number or a list of numbers (in
/// `range_unit`), a `(value, "unit")` or `([values], "unit")` tuple as
/// yt's, or the CLI's text (`"10kpc"`, `"-5,5pc"`).
#[derive(FromPyObject)]
pub(crate) enum LengthArg {
    Text(String),
    One(f64),
    OneIn((f64, String)),
    ManyIn((Vec<f64>, String)),
    Many(Vec<f64>),
}

impl LengthArg {
    pub(crate) fn lengths(self) -> Result<Lengths, KernelError> {
        Ok(match self {
            LengthArg::Text(s) => Lengths::parse(&s)?,
            LengthArg::One(v) => Lengths::bare(vec![v]),
            LengthArg::Many(v) => Lengths::bare(v),
            LengthArg::OneIn((v, u)) => Lengths::with_unit(vec![v], &u),
            LengthArg::ManyIn((v, u)) => Lengths::with_unit(v, &u),
        })
    }
}

impl CenterArg {
    /// The centring module's `Center`, a point in code units.
    pub(crate) fn resolve(self, range_unit: &str, u: &Units) -> Result<Center, KernelError> {
        let lengths = match self {
            CenterArg::Name(n) => match Method::parse(n.trim()) {
                Ok(m) => return Ok(Center::Method(m)),
                Err(_) => Lengths::parse(&n)?,
            },
            CenterArg::Point(l) => l.lengths()?,
        };
        match lengths.to_code(range_unit, u)?[..] {
            [x, y, z] => Ok(Center::At([x, y, z])),
            ref v => Err(KernelError::Invalid(format!(
                "center must be densest, com, ssc or three coordinates x,y,z, got {} values",
                v.len()
            ))),
        }
    }
}

/// A point's region centre, in code units with the unit written (so that
/// no `range_unit` applies to it).
pub(crate) fn code_center(c: [f64; 3]) -> Lengths {
    Lengths::with_unit(c.to_vec(), "code")
}

/// Bins of a phase diagram: one number for both axes, or `(nx, ny)`.
#[derive(FromPyObject)]
pub(crate) enum Bins {
    One(usize),
    Two((usize, usize)),
    Many(Vec<usize>),
}

impl Bins {
    pub(crate) fn pair(&self) -> Result<(usize, usize), KernelError> {
        match self {
            Bins::One(n) => Ok((*n, *n)),
            Bins::Two(p) => Ok(*p),
            Bins::Many(v) => match v[..] {
                [n] => Ok((n, n)),
                [nx, ny] => Ok((nx, ny)),
                _ => Err(KernelError::Invalid(format!(
                    "bins needs one number or (nx, ny), got {} values",
                    v.len()
                ))),
            },
        }
    }
}

/// The region keywords of a reading method: `center` (default the box
/// centre), `xrange`/`yrange`/`zrange` (a, b relative to the centre) or
/// `radius`, lengths in `range_unit` unless they carry a unit.
pub(crate) struct RegionKw {
    pub(crate) center: Option<LengthArg>,
    pub(crate) xrange: Option<LengthArg>,
    pub(crate) yrange: Option<LengthArg>,
    pub(crate) zrange: Option<LengthArg>,
    pub(crate) radius: Option<LengthArg>,
    pub(crate) range_unit: String,
}

impl RegionKw {
    /// The keywords as the kernels' region arguments (lengths parsed).
    pub(crate) fn args(self) -> Result<RegionArgs, KernelError> {
        let l = |a: Option<LengthArg>| a.map(LengthArg::lengths).transpose();
        Ok(RegionArgs {
            center: l(self.center)?,
            xrange: l(self.xrange)?,
            yrange: l(self.yrange)?,
            zrange: l(self.zrange)?,
            radius: l(self.radius)?,
            range_unit: Some(self.range_unit),
        })
    }
}
