//! Crash-safe state files: write a temporary file, (fsync it,) rename it over the old one. A
//! crash leaves either the old file or the new one, never half of either.
//!
//! Two strengths: `Durability::PowerLoss` fsyncs the file and the folder, for what must never
//! go back (snmpEngineBoots, RFC 3414 §2.2.2). `Durability::ProcessCrash` skips the fsyncs: the
//! rename is still atomic and the kernel keeps the data if the process dies, which is what outlet
//! state needs on the SET path, where an fsync would cost milliseconds per request.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    PowerLoss,
    ProcessCrash,
}

pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_file(path, contents, Durability::PowerLoss)
}

pub fn replace_file(path: &Path, contents: &[u8], durability: Durability) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "state path has no file name")
    })?;
    let mut tmp_name = file_name.to_os_string();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    {
        let mut file = File::create(&tmp)?;
        file.write_all(contents)?;
        if durability == Durability::PowerLoss {
            file.sync_all()?;
        }
    }
    fs::rename(&tmp, path)?;
    if durability == Durability::PowerLoss {
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.toml");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.toml")]);
    }
}
