//! One line for an error and its causes, each said once.
//!
//! Many errors here put their cause in their own message (`cannot read X: <cause>; fix ...`)
//! and also return it as their `source()`, so printing the chain (`{:#}`) repeats it. [`text`]
//! appends a cause only when its message is not already in the line.

use std::error::Error;

/// `error`'s message followed by each cause (`": "`-separated) whose message the line does not
/// already contain.
pub fn text(error: &(dyn Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !said.is_empty() && !out.contains(&said) {
            out.push_str(": ");
            out.push_str(&said);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("engine state s.toml is corrupt ({source}); fix or delete the file")]
    struct Corrupt {
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("state directory d: {source}")]
    struct Dir {
        source: Corrupt,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("starting failed")]
    struct Outer {
        source: std::io::Error,
    }

    #[test]
    fn causes_already_in_the_message_are_said_once() {
        let e = Dir {
            source: Corrupt {
                source: std::io::Error::other("bad TOML at line 1"),
            },
        };
        let line = text(&e);
        assert_eq!(
            line,
            "state directory d: engine state s.toml is corrupt (bad TOML at line 1); fix or delete the file"
        );
        assert_eq!(line.matches("is corrupt").count(), 1, "{line}");
        assert_eq!(line.matches("bad TOML").count(), 1, "{line}");
    }

    #[test]
    fn causes_not_in_the_message_are_appended() {
        let e = Outer {
            source: std::io::Error::other("no space left"),
        };
        assert_eq!(text(&e), "starting failed: no space left");
    }
}
