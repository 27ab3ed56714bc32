//! The CLI's error type: any error, shown as one line (`amrkit: …`).

/// Any error, as one line.
pub type AnyResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// An error with the message `msg`.
pub fn fail<T>(msg: impl Into<String>) -> AnyResult<T> {
    Err(msg.into().into())
}
