//! Secrets (passwords, tokens) come from environment variables or files, never from the config
//! text itself, and never show in logs or error messages.

use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value. Its `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret is to be read from, as the config says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
}

/// Where it comes from: `environment variable X` or `file P`.
impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(var) => write!(f, "environment variable {var}"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

impl SecretSource {
    /// From a `<name>_env` / `<name>_file` key pair; both set is a mistake.
    pub fn from_keys(env: Option<&str>, file: Option<&Path>, key: &str) -> Result<Option<SecretSource>, String> {
        match (env, file) {
            (Some(_), Some(_)) => Err(format!("set either `{key}_env` or `{key}_file`, not both")),
            (Some(var), None) => Ok(Some(SecretSource::Env(var.to_string()))),
            (None, Some(path)) => Ok(Some(SecretSource::File(path.to_path_buf()))),
            (None, None) => Ok(None),
        }
    }

    /// Reads the secret. A trailing newline in a file is not part of it. The error names the
    /// variable or file, never the value.
    pub fn read(&self) -> Result<Secret, String> {
        match self {
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(Secret(value)),
                Ok(_) => Err(format!("environment variable {var} is empty")),
                Err(_) => Err(format!("environment variable {var} is not set")),
            },
            SecretSource::File(path) => {
                let value = std::fs::read_to_string(path).map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
                let value = value.trim_end_matches(['\n', '\r']);
                if value.is_empty() {
                    return Err(format!("secret file {} is empty", path.display()));
                }
                Ok(Secret(value.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn read_from_file_without_newline_and_name_the_source_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\n").unwrap();
        assert_eq!(SecretSource::File(path.clone()).read().unwrap().expose(), "s3cret");
        let err = SecretSource::Env("LINEWATCH_TEST_SURELY_UNSET".into()).read().unwrap_err();
        assert!(err.contains("LINEWATCH_TEST_SURELY_UNSET"));
        let err = SecretSource::File(dir.path().join("missing")).read().unwrap_err();
        assert!(err.contains("missing"));
        assert!(SecretSource::from_keys(Some("A"), Some(&path), "password").is_err());
    }
}
