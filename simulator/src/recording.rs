//! snmpsim `.snmprec` recordings of real devices: one `OID|TAG|VALUE` line per object, sorted.
//! TAG is the BER type number, with an `x` suffix for a hex value and `e` for an escaped string;
//! a `:module` suffix marks a simulator variation (e.g. `4:writecache|value=Outlet 1`,
//! `2:numeric|min=1,max=2,initial=1`), which a real device never produced, so only its initial
//! value is kept. A recording is the static base of a PDU; its vendor profile owns the live
//! outlet columns.

use std::borrow::Cow;
use std::path::Path;

use snmp_proto::{Oid, Value};

/// A recording that cannot be read, or one of its lines.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file could not be read.
    #[error("cannot read recording {path}: {source}")]
    Read {
        /// The file, as given.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A line that is not `OID|TAG|VALUE` with a known tag and a value of that type.
    #[error("{origin}:{line}: {problem}")]
    Line {
        /// The file's path, or what the text came from.
        origin: String,
        /// The line number, from 1.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
}

/// A recorded device: every object it answered, in OID order.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// Where it came from (the file's path); also what tells recordings apart for sharing MIB
    /// trees.
    pub origin: String,
    /// Every recorded object, sorted by OID; of two lines for one OID the first is kept.
    pub entries: Vec<(Oid, Value<'static>)>,
    /// Objects whose value came from a simulator variation (`:numeric`, `:writecache`, ...),
    /// not from the device: sorted, for `is_synthetic`.
    synthetic: Vec<Oid>,
}

impl Recording {
    /// Loads a recording, refusing it at the first bad line.
    ///
    /// Errors: [`RecordingError::Read`], [`RecordingError::Line`].
    pub fn load(path: &Path) -> Result<Recording, RecordingError> {
        Self::load_with(path, Strictness::Strict).map(|(r, _)| r)
    }

    /// Loads a recording; with `Strictness::Lenient`, bad lines are skipped and returned as
    /// warnings instead of failing the whole file.
    pub fn load_with(
        path: &Path,
        strictness: Strictness,
    ) -> Result<(Recording, Vec<RecordingError>), RecordingError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecordingError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse_with(&text, &path.display().to_string(), strictness)
    }

    /// Parses recording text (`origin` names it in errors), refusing it at the first bad line.
    /// Blank lines and lines starting with `#` are skipped.
    ///
    /// Errors: [`RecordingError::Line`].
    pub fn parse(text: &str, origin: &str) -> Result<Recording, RecordingError> {
        Self::parse_with(text, origin, Strictness::Strict).map(|(r, _)| r)
    }

    /// As [`Recording::parse`]; with [`Strictness::Lenient`], bad lines are skipped and
    /// returned beside the recording instead of failing it.
    pub fn parse_with(
        text: &str,
        origin: &str,
        strictness: Strictness,
    ) -> Result<(Recording, Vec<RecordingError>), RecordingError> {
        let mut entries = Vec::new();
        let mut skipped = Vec::new();
        let mut synthetic = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Ok((oid, value, variation)) => {
                    if variation {
                        synthetic.push(oid.clone());
                    }
                    entries.push((oid, value));
                }
                Err(problem) => {
                    let error = RecordingError::Line {
                        origin: origin.to_string(),
                        line: n + 1,
                        problem,
                    };
                    match strictness {
                        Strictness::Strict => return Err(error),
                        Strictness::Lenient => skipped.push(error),
                    }
                }
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        synthetic.sort();
        Ok((
            Recording {
                origin: origin.to_string(),
                entries,
                synthetic,
            },
            skipped,
        ))
    }

    /// True when the recorded value was made up by a simulator variation, not read off the device.
    pub fn is_synthetic(&self, oid: &[u32]) -> bool {
        self.synthetic
            .binary_search_by(|o| o.arcs().cmp(oid))
            .is_ok()
    }

    /// The recorded value of the instance `oid`, if recorded.
    pub fn get(&self, oid: &[u32]) -> Option<&Value<'static>> {
        let i = self
            .entries
            .binary_search_by(|(o, _)| o.arcs().cmp(oid))
            .ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// The recorded value of a DisplayString object, as text.
    pub fn text(&self, oid: &[u32]) -> Option<String> {
        match self.get(oid)? {
            Value::OctetString(s) => Some(String::from_utf8_lossy(s).into_owned()),
            _ => None,
        }
    }
}

/// What to do with a bad line: fail the file (the default), or skip the line and say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// A bad line fails the whole recording.
    Strict,
    /// A bad line is skipped and reported as a warning.
    Lenient,
}

/// One line: the OID, its value, and whether the value came from a variation.
fn parse_line(line: &str) -> Result<(Oid, Value<'static>, bool), String> {
    let mut fields = line.splitn(3, '|');
    let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
        return Err("expected OID|TAG|VALUE".into());
    };
    let oid = Oid::parse(oid).ok_or_else(|| format!("{oid:?} is not an OID"))?;
    Ok((oid, parse_value(tag, value)?, tag.contains(':')))
}

fn parse_value(tag: &str, value: &str) -> Result<Value<'static>, String> {
    // `4:writecache` -> tag 4 with a variation whose initial value stands in for the value.
    let (tag, value) = match tag.split_once(':') {
        Some((t, _module)) => (t, variation_initial(value)),
        None => (tag, value.to_string()),
    };
    let (number, encoding) = match tag.strip_suffix('x') {
        Some(t) => (t, Encoding::Hex),
        None => match tag.strip_suffix('e') {
            Some(t) => (t, Encoding::Escaped),
            None => (tag, Encoding::Plain),
        },
    };
    let number: u32 = number
        .parse()
        .map_err(|_| format!("{tag:?} is not a BER type number"))?;
    let bytes = || -> Result<Vec<u8>, String> {
        match encoding {
            Encoding::Hex => hex::decode(value.trim()).map_err(|_| format!("{value:?} is not hex")),
            Encoding::Escaped => Ok(unescape(&value)),
            Encoding::Plain => Ok(value.as_bytes().to_vec()),
        }
    };
    let number_of = |what: &str| -> Result<i128, String> {
        value
            .trim()
            .parse::<i128>()
            .map_err(|_| format!("{value:?} is not a valid {what}"))
    };
    let unsigned32 = |what: &str| -> Result<u32, String> {
        u32::try_from(number_of(what)?).map_err(|_| format!("{value} is out of range for {what}"))
    };
    Ok(match number {
        2 => Value::Integer(
            i32::try_from(number_of("Integer32")?)
                .map_err(|_| format!("{value} is out of range for Integer32"))?,
        ),
        4 => Value::OctetString(Cow::Owned(bytes()?)),
        5 => Value::Null,
        6 => Value::ObjectId(
            Oid::parse(value.trim()).ok_or_else(|| format!("{value:?} is not an OID"))?,
        ),
        64 => {
            let raw = match encoding {
                Encoding::Hex => bytes()?,
                _ => value
                    .trim()
                    .parse::<std::net::Ipv4Addr>()
                    .map_err(|_| format!("{value:?} is not an IPv4 address"))?
                    .octets()
                    .to_vec(),
            };
            Value::IpAddress(
                raw.try_into()
                    .map_err(|_| "an IpAddress is 4 octets".to_string())?,
            )
        }
        65 => Value::Counter32(unsigned32("Counter32")?),
        66 => Value::Gauge32(unsigned32("Gauge32")?),
        67 => Value::TimeTicks(unsigned32("TimeTicks")?),
        68 => Value::Opaque(Cow::Owned(bytes()?)),
        70 => Value::Counter64(
            u64::try_from(number_of("Counter64")?)
                .map_err(|_| format!("{value} is out of range for Counter64"))?,
        ),
        128 => Value::NoSuchObject,
        129 => Value::NoSuchInstance,
        130 => Value::EndOfMibView,
        other => return Err(format!("BER type {other} is not an SNMP type")),
    })
}

enum Encoding {
    Plain,
    Hex,
    Escaped,
}

/// The value a variation starts with: `value=...` (the rest of the line, commas and all), else
/// `initial=`, `value=` or `min=` among comma-separated parameters.
fn variation_initial(params: &str) -> String {
    if let Some(rest) = params.strip_prefix("value=") {
        return rest.to_string();
    }
    let pairs: Vec<(&str, &str)> = params
        .split(',')
        .filter_map(|p| p.split_once('='))
        .collect();
    ["initial", "value", "min"]
        .iter()
        .find_map(|key| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.to_string())
        })
        .unwrap_or_default()
}

/// Backslash escapes as snmpsim writes them: `\xNN`, `\n`, `\r`, `\t`, `\\`.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'x') => {
                let hi = bytes.next();
                let lo = bytes.next();
                let pair = [hi.unwrap_or(b'0'), lo.unwrap_or(b'0')];
                match std::str::from_utf8(&pair)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => out.push(v),
                    None => out.extend_from_slice(b"\\x"),
                }
            }
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_suffixes_and_variations() {
        let text = "1.3.6.1.2.1.1.5.0|4x|7077722d6463\n\
                    1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318.1.3.4.6\n\
                    1.3.6.1.4.1.318.1.1.26.9.2.1.1.3.1|4:writecache|value=IBM Server 1, PS1\n\
                    1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.1|2:numeric|min=1,max=2,initial=2\n\
                    1.3.6.1.2.1.4.20.1.1.10.0.0.1|64x|0a000001\n\
                    1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n\
                    1.3.6.1.2.1.1.3.0|67|165328680\n";
        let r = Recording::parse(text, "t.snmprec").unwrap();
        assert_eq!(
            r.text(&[1, 3, 6, 1, 2, 1, 1, 5, 0]).as_deref(),
            Some("pwr-dc")
        );
        assert_eq!(
            r.text(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 1, 1, 3, 1])
                .as_deref(),
            Some("IBM Server 1, PS1")
        );
        assert_eq!(
            r.get(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 5, 1]),
            Some(&Value::Integer(2))
        );
        assert_eq!(
            r.get(&[1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10, 0, 0, 1]),
            Some(&Value::IpAddress([10, 0, 0, 1]))
        );
        assert_eq!(
            r.get(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]),
            Some(&Value::Counter64(u64::MAX))
        );
        // Sorted by OID whatever the file order.
        assert!(r.entries.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_bad_line_names_the_file_and_line() {
        let e = Recording::parse("1.3.6.1.2.1.1.5.0|4|ok\n1.3.6|2|many\n", "x.snmprec")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.snmprec:2:") && e.contains("Integer32"),
            "{e}"
        );
        let e = Recording::parse("1.3.6|99|1\n", "x.snmprec")
            .unwrap_err()
            .to_string();
        assert!(e.contains("BER type 99"), "{e}");
        // Lenient: the good lines load, the bad ones are reported.
        let (r, skipped) = Recording::parse_with(
            "1.3.6.1|2|5\nnonsense\n1.3.6.2|4|ok\n",
            "x.snmprec",
            Strictness::Lenient,
        )
        .unwrap();
        assert_eq!(r.entries.len(), 2);
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].to_string().starts_with("x.snmprec:2:"),
            "{}",
            skipped[0]
        );
    }

    /// Both recordings of real APC PDUs shipped in recordings/ load completely.
    #[test]
    fn loads_the_real_apc_recordings() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../recordings");
        for (file, outlets) in [("apc-8932.snmprec", 24), ("apc-7902b.snmprec", 16)] {
            let r = Recording::load(&dir.join(file)).unwrap();
            assert!(
                r.entries.len() > 1000,
                "{file}: {} entries",
                r.entries.len()
            );
            // rPDU2OutletSwitchedTableSize.0 ... is not always present; rPDUIdentDeviceNumOutlets is.
            assert_eq!(
                r.get(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 1, 8, 0]),
                Some(&Value::Integer(outlets)),
                "{file}"
            );
            assert_eq!(
                r.get(&[1, 3, 6, 1, 2, 1, 1, 2, 0]).map(|v| v.type_name()),
                Some("OBJECT IDENTIFIER")
            );
        }
    }
}
