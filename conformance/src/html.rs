//! What the HTML reports (`check --report`, `run --report`, `matrix --html`) share: text
//! escaping and one print-friendly style sheet, inlined so each report is one self-contained
//! file.

/// `text` safe in HTML text and double-quoted attributes (the dashboard's own escaping).
pub(crate) use pdusim::dashboard::escape;

/// The reports' style: system fonts, print-friendly; results are words, colour repeats them.
pub(crate) const STYLE: &str = "body { font: 14px/1.45 system-ui, sans-serif; max-width: 70rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.8rem; } h3 { font-size: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
td.result { font-weight: 700; white-space: nowrap; }
tr.fail td.result, tr.changed td.result, tr.hung td.result, td.fail, td.hung, section.fail h3, #totals.failed { color: #b42318; }
tr.pass td.result, td.pass { color: #1a7f37; }
tr.not-applicable td.result, td.not-applicable { color: #666; }
pre { background: #f5f5f5; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
details { margin: 0.3rem 0 0.8rem; }
@media print { pre { background: none; border: 1px solid #ccc; } section { break-inside: avoid; } }
";

/// The head of a report page titled `title` (escaped here), with the style inlined.
pub(crate) fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}
