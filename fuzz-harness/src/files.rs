//! The file targets that parse text in memory: snmpsim recordings and conformance scenarios.

use pdusim::recording::{Recording, Strictness};

/// `pdusim::recording::Recording::parse_with` on `data` as UTF-8 text (the parser the file
/// loader uses), strict and lenient.
///
/// Invariants: neither panics; a strict parse that succeeds keeps every entry a lenient parse
/// keeps (no line was skipped); entries come out sorted by OID with no OID twice; the lenient
/// parse always succeeds and every skipped line's error names a line inside the text.
pub fn recording_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = Recording::parse_with(text, "fuzz", Strictness::Strict);
    let lenient = match Recording::parse_with(text, "fuzz", Strictness::Lenient) {
        Ok(r) => r,
        Err(e) => panic!("a lenient parse failed: {e}"),
    };
    let (recording, skipped) = &lenient;
    assert!(
        recording.entries.windows(2).all(|w| w[0].0 < w[1].0),
        "recording entries are not sorted by OID or hold an OID twice"
    );
    let lines = text.lines().count();
    for error in skipped {
        match error {
            pdusim::recording::RecordingError::Line { line, .. } => assert!(
                (1..=lines).contains(line),
                "a skipped line's number {line} is outside the text's {lines} lines"
            ),
            other => panic!("a parse in memory reported a read error: {other}"),
        }
    }
    if let Ok((strict, warnings)) = strict {
        assert!(warnings.is_empty(), "a strict parse returned warnings");
        assert!(
            skipped.is_empty(),
            "strict parse accepted a line the lenient one skipped"
        );
        assert_eq!(
            strict.entries, recording.entries,
            "strict and lenient parses of a clean text differ"
        );
    }
}

/// `pdu_conformance::scenario::parse` on `data` as UTF-8 text: TOML, the scenario's own
/// checks and pdusim's config validation of its `[[pdu]]` tables.
///
/// Invariants: never panics; an error names the scenario's file and a position inside the
/// text (line 0 means "the whole file"). Validation may read a recording file the text names;
/// nothing is written and no simulator is started.
pub fn scenario_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = pdu_conformance::scenario::parse(text, "fuzz.toml") {
        assert_eq!(e.file, "fuzz.toml", "a scenario error names another file");
        let lines = text.lines().count().max(1);
        assert!(
            e.line <= lines + 1,
            "a scenario error points at line {} of a {lines}-line text: {e}",
            e.line
        );
    }
}
