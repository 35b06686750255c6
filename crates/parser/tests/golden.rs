//! Golden files under `testdata/parser/`: each case is SQL in, and either the canonical
//! and redacted forms or the error with a caret under its position out. Reviewers read
//! them as documentation of the grammar.
//!
//! Format (blank line ends a case's expected output; `#` starts a comment line):
//!
//! ```text
//! parse
//! <SQL, one or more lines>
//! ----
//! <expected output>
//! ```
//!
//! `AIRLOCK_REWRITE=1 cargo test -p airlock-parser --test golden` rewrites the files
//! with what the parser does now; review the diff before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use airlock_core::SqlError;
use airlock_parser::{Statement, parse_statements};

struct Case {
    /// Lines before the case's `parse` directive (comments, blank lines).
    preamble: Vec<String>,
    input: String,
    expected: String,
}

fn parse_file(text: &str, path: &Path) -> (Vec<Case>, Vec<String>) {
    let mut cases = Vec::new();
    let mut preamble = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line != "parse" {
            preamble.push(line.to_owned());
            continue;
        }
        let mut input = Vec::new();
        loop {
            match lines.next() {
                Some("----") => break,
                Some(l) => input.push(l),
                None => panic!("{}: case without ---- separator", path.display()),
            }
        }
        let mut expected = Vec::new();
        while let Some(l) = lines.next_if(|l| !l.is_empty()) {
            expected.push(l);
        }
        cases.push(Case {
            preamble: std::mem::take(&mut preamble),
            input: input.join("\n"),
            expected: expected.join("\n"),
        });
    }
    (cases, preamble)
}

/// What the parser makes of `input`, in the golden format.
fn render(input: &str) -> String {
    match parse_statements(input) {
        Ok(statements) => {
            let mut out = String::new();
            for statement in &statements {
                let full = statement.to_string();
                // Every success is also a round trip.
                let again = parse_statements(&full)
                    .unwrap_or_else(|e| panic!("{full:?} does not parse: {e}"));
                assert_eq!(again, vec![statement.clone()], "round trip of {full:?}");
                let redacted = statement.to_redacted_string();
                parse_statements(&redacted)
                    .unwrap_or_else(|e| panic!("{redacted:?} does not parse: {e}"));
                match statement {
                    Statement::Sql(_) => writeln!(out, "pass-through: {full}"),
                    _ => writeln!(out, "{full}"),
                }
                .unwrap();
                if redacted != full {
                    writeln!(out, "redacted: {redacted}").unwrap();
                }
            }
            if statements.is_empty() {
                out.push_str("(no statements)\n");
            }
            out.trim_end().to_owned()
        }
        Err(e) => {
            let mut out = format!("error: {e}\ncode: {}", e.code());
            if let Some(hint) = e.hint() {
                write!(out, "\nhint: {hint}").unwrap();
            }
            match e.position() {
                Some(p) => {
                    let line = input.split('\n').nth((p.line - 1) as usize).unwrap_or("");
                    let prefix = format!("LINE {}: ", p.line);
                    let pad = prefix.chars().count() + (p.column as usize).saturating_sub(1);
                    write!(out, "\n{prefix}{line}\n{}^", " ".repeat(pad)).unwrap();
                }
                None => out.push_str("\n(no position)"),
            }
            out
        }
    }
}

fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/parser");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files in {}", dir.display());
    files
}

#[test]
fn golden() {
    let rewrite = std::env::var_os("AIRLOCK_REWRITE").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in golden_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (cases, trailer) = parse_file(&text, &path);
        let mut rewritten = String::new();
        for case in &cases {
            count += 1;
            let actual = render(&case.input);
            if actual != case.expected {
                failures.push(format!(
                    "{}:\n--- input\n{}\n--- expected\n{}\n--- actual\n{}\n",
                    path.display(),
                    case.input,
                    case.expected,
                    actual
                ));
            }
            for line in &case.preamble {
                writeln!(rewritten, "{line}").unwrap();
            }
            writeln!(rewritten, "parse\n{}\n----\n{actual}", case.input).unwrap();
        }
        for line in &trailer {
            writeln!(rewritten, "{line}").unwrap();
        }
        if rewrite && rewritten != text {
            std::fs::write(&path, rewritten).unwrap();
        }
    }
    assert!(count > 0);
    if !rewrite {
        assert!(
            failures.is_empty(),
            "{} of {count} cases differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// The suite promises at least 30 error cases; keep it honest.
#[test]
fn golden_files_cover_errors() {
    let errors: usize = golden_files()
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("error: "))
                .count()
        })
        .sum();
    assert!(errors >= 30, "only {errors} error cases");
}
