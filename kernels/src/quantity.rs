//! What a number measures: the one enum that units, errors and the
//! requests name quantities by. Apart from `units.rs` so that the error
//! type can name a quantity without the units module (which returns those
//! errors) being a dependency of it.

/// What a number measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Length.
    Length,
    /// Mass.
    Mass,
    /// Mass density.
    Density,
    /// Velocity.
    Velocity,
    /// Time.
    Time,
    /// Pressure.
    Pressure,
    /// p/ρ (code velocity²), converted to temperature.
    Temperature,
    /// ρ, converted to hydrogen number density.
    NumberDensity,
    /// ∫ρ dl.
    SurfaceDensity,
    /// Potential (velocity²).
    Potential,
    /// Acceleration.
    Acceleration,
    /// Pure number.
    Dimensionless,
}

impl Quantity {
    /// The quantity in words, with its article ("a length").
    pub fn name(self) -> &'static str {
        use Quantity::*;
        match self {
            Length => "a length",
            Mass => "a mass",
            Density => "a density",
            Velocity => "a velocity",
            Time => "a time",
            Pressure => "a pressure",
            Temperature => "a temperature",
            NumberDensity => "a number density",
            SurfaceDensity => "a surface density",
            Potential => "a potential",
            Acceleration => "an acceleration",
            Dimensionless => "a pure number",
        }
    }
}
