//! A command's failure: the one line the CLI ends with, and its exit code.

use crate::exit;

/// A command failure: one line on stderr and the exit code.
#[derive(Debug)]
pub struct CmdError {
    pub code: u8,
    pub message: String,
}

impl CmdError {
    /// A usage mistake (exit 2); nothing was written.
    pub fn usage(message: impl Into<String>) -> CmdError {
        CmdError {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl From<String> for CmdError {
    fn from(message: String) -> CmdError {
        CmdError {
            code: exit::FAILED,
            message,
        }
    }
}

impl From<&str> for CmdError {
    fn from(message: &str) -> CmdError {
        CmdError::from(message.to_string())
    }
}

/// A setting from the environment that cannot be used is a usage mistake.
impl From<leads_assignment::ConfigError> for CmdError {
    fn from(e: leads_assignment::ConfigError) -> CmdError {
        CmdError::usage(e.to_string())
    }
}
