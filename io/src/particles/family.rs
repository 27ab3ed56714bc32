//! RAMSES particle family codes and their names.

/// Name of a RAMSES particle family code (`pm_commons.f90`).
pub fn family_name(code: i8) -> &'static str {
    match code {
        1 => "DM",
        2 => "star",
        3 => "cloud",
        4 => "debris",
        5 => "other",
        0 => "gas_tracer",
        -1 => "DM_tracer",
        -2 => "star_tracer",
        -3 => "cloud_tracer",
        -4 => "debris_tracer",
        -5 => "other_tracer",
        127 => "undefined",
        _ => "unknown",
    }
}

/// The family code of a name accepted by [`family_name`].
pub fn family_code(name: &str) -> Option<i8> {
    (-5..=5)
        .chain([127])
        .find(|&c| family_name(c).eq_ignore_ascii_case(name))
}
