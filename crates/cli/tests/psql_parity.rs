//! Parity with the real psql: starts a throwaway PostgreSQL server, builds each result
//! set below in it with the same column types, runs `psql -c` in every output mode and
//! compares psql's standard output with `format_rows`, byte for byte. Error rendering
//! is compared the same way, on statements the server rejects with a position.
//!
//! Needs Debian's `postgresql` package (`scripts/install-test-deps.sh`); without it the
//! test fails rather than skips, so a green run always means parity was checked.

use std::fmt::Write as _;

use airlock_cli::args::Parsed;
use airlock_cli::diagnostic::render_diagnostic;
use airlock_cli::format::{PrintOptions, format_rows, format_table};
use airlock_core::{Column, ColumnType, Diagnostic, Position, Rows, SqlState};

use airlock_testkit::postgres::Server;

// ---------------------------------------------------------------------------------
// Result sets: each is built in PostgreSQL from the same typed values, so psql prints
// PostgreSQL's own output of them (a value that is not in PostgreSQL's output form
// shows up as a mismatch).

struct Case {
    name: &'static str,
    rows: Rows,
    /// The SQL, when the VALUES form cannot express the case (no columns).
    sql: Option<&'static str>,
}

fn case(name: &'static str, columns: &[(&str, ColumnType)], rows: &[&[Option<&str>]]) -> Case {
    Case {
        name,
        rows: Rows {
            columns: columns.iter().map(|(n, t)| Column::new(*n, *t)).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| v.map(str::to_owned)).collect())
                .collect(),
        },
        sql: None,
    }
}

fn cases() -> Vec<Case> {
    use ColumnType::*;
    let long = "x".repeat(300);
    let long_words = "lorem ipsum dolor sit amet ".repeat(12);
    let mut cases = vec![
        case(
            "basic",
            &[("id", Int4), ("name", Text), ("active", Bool)],
            &[
                &[Some("1"), Some("alpha"), Some("t")],
                &[Some("2"), Some("b"), Some("f")],
                &[Some("30"), Some("gamma delta"), None],
            ],
        ),
        case(
            "numeric types are right-aligned",
            &[
                ("i8", Int8),
                ("i4", Int4),
                ("oid", Oid),
                ("num", Numeric),
                ("f8", Float8),
            ],
            &[
                &[
                    Some("-9223372036854775808"),
                    Some("0"),
                    Some("4294967295"),
                    Some("3.14159"),
                    Some("1.5"),
                ],
                &[Some("42"), Some("-7"), Some("1"), None, Some("1e+20")],
                &[
                    None,
                    Some("2147483647"),
                    None,
                    Some("-1000.000"),
                    Some("NaN"),
                ],
                &[Some("7"), None, Some("26"), Some("0"), Some("-Infinity")],
            ],
        ),
        case(
            "nulls and empty strings",
            &[("a", Text), ("b", Text), ("n", Int8)],
            &[
                &[None, Some(""), None],
                &[Some(""), None, Some("5")],
                &[Some(" "), Some("  "), None],
                &[None, None, None],
            ],
        ),
        case(
            "multi-line values",
            &[("id", Int4), ("body", Text), ("tail", Text)],
            &[
                &[Some("1"), Some("one\ntwo\nthree"), Some("x")],
                &[Some("2"), Some("trailing\n"), Some("a\nb")],
                &[Some("3"), Some("\nleading"), Some("")],
                &[Some("4"), Some("\n\n"), None],
                &[Some("5"), Some("short"), Some("l1\nlonger line 2\n3")],
            ],
        ),
        case(
            "wide characters",
            &[("名前", Text), ("n", Int4), ("mixed", Text)],
            &[
                &[Some("日本語"), Some("1"), Some("aé日b")],
                &[Some("ｶﾀｶﾅ"), Some("22"), Some("e\u{301}t\u{301}e\u{301}")],
                &[Some("한국어 텍스트"), Some("333"), Some("🎉 party")],
                &[Some("x"), None, Some("中\n文字")],
            ],
        ),
        case("zero rows", &[("a", Text), ("bb", Int8), ("c", Bool)], &[]),
        case("one row one column", &[("only", Text)], &[&[Some("value")]]),
        case("one null", &[("n", Int4)], &[&[None]]),
        case(
            "separators and quotes",
            &[("a,b", Text), ("q\"uote", Text), ("p|ipe", Text)],
            &[
                &[Some("x|y"), Some("1,2"), Some("say \"hi\"")],
                &[Some("it's"), Some(" lead"), Some("trail ")],
                &[Some("\\."), Some("back\\slash"), Some("semi;colon")],
                &[Some("\"\""), Some(","), Some("|")],
                &[Some("tab\there"), Some("cr\r\nlf"), Some("\u{1}ctl\u{7f}")],
            ],
        ),
        case(
            "very long values",
            &[("id", Int4), ("long", Text), ("words", Text)],
            &[
                &[Some("1"), Some(long.as_str()), Some(long_words.as_str())],
                &[Some("2"), Some("short"), None],
            ],
        ),
        case(
            "jsonb timestamptz boolean",
            &[("doc", Jsonb), ("at", TimestampTz), ("ok", Bool)],
            &[
                &[
                    Some(r#"{"a": 1, "b": [true, null, "x"]}"#),
                    Some("2024-01-02 03:04:05+00"),
                    Some("t"),
                ],
                &[Some("[]"), Some("1999-12-31 23:59:59.123456+00"), Some("f")],
                &[Some(r#""text""#), None, None],
            ],
        ),
        case(
            "multi-line and wide headers",
            &[("two\nlines", Text), ("n", Int4), ("wide 名前", Text)],
            &[
                &[Some("a"), Some("1"), Some("b")],
                &[Some("cc\ndd"), Some("10"), Some("")],
            ],
        ),
        case(
            "header wider than values",
            &[("a_long_column_name", Text), ("even", Int4), ("odd", Text)],
            &[&[Some("x"), Some("1"), Some("yy")]],
        ),
        case(
            "empty strings only",
            &[("e", Text), ("f", Text)],
            &[&[Some(""), Some("")], &[Some(""), None]],
        ),
    ];
    cases.push(case(
        "typed values",
        &[
            ("b", Bool),
            ("num", Numeric),
            ("f8", Float8),
            ("none", Numeric),
            ("i", Int8),
        ],
        &[
            &[Some("t"), Some("1.50"), Some("1e+20"), None, Some("-1")],
            &[Some("f"), Some("-0.000100"), Some("1e-05"), None, None],
            &[
                None,
                Some("12345678901234567890.123"),
                Some("-Infinity"),
                None,
                Some("0"),
            ],
        ],
    ));
    cases.push(case(
        "code points psql drops or measures its own way",
        &[("drop\u{1FFFE}ped", Text), ("w", Text)],
        &[
            &[Some("a\u{10FFFF}b\u{1FFFF}"), Some("\u{200B}zw\u{200D}j")],
            &[Some("\u{FFFE}\u{AD}soft"), Some("👩\u{200D}💻 dev")],
            &[Some("\u{1160}\u{11FF}"), Some("\u{1FAE8}\u{17D8}\u{3099}")],
        ],
    ));
    let generated = generated_values();
    let generated: Vec<Vec<Option<&str>>> = generated
        .iter()
        .map(|r| r.iter().map(|v| v.as_deref()).collect())
        .collect();
    let generated: Vec<&[Option<&str>]> = generated.iter().map(Vec::as_slice).collect();
    cases.push(case(
        "generated values",
        &[
            ("text", Text),
            ("n", Int4),
            ("more text", Text),
            ("ok", Bool),
        ],
        &generated,
    ));
    let many: Vec<Vec<Option<String>>> = (1..=12)
        .map(|n| vec![Some(n.to_string()), Some(format!("v{n}"))])
        .collect();
    let many: Vec<Vec<Option<&str>>> = many
        .iter()
        .map(|r| r.iter().map(|v| v.as_deref()).collect())
        .collect();
    let many: Vec<&[Option<&str>]> = many.iter().map(Vec::as_slice).collect();
    cases.push(case("twelve rows", &[("n", Int4), ("v", Text)], &many));
    cases.push(Case {
        name: "no columns",
        rows: Rows {
            columns: vec![],
            rows: vec![vec![], vec![]],
        },
        sql: Some("SELECT FROM generate_series(1, 2)"),
    });
    cases.push(Case {
        name: "no columns no rows",
        rows: Rows::default(),
        sql: Some("SELECT WHERE false"),
    });
    cases
}

/// Rows built from fragments of every kind that changes how psql prints a value: wide,
/// combining, zero-width, control, multi-line, emoji, long, NULL, empty, quotes and
/// separators. A fixed linear congruential sequence picks them, so every run is the same.
fn generated_values() -> Vec<Vec<Option<String>>> {
    const FRAGMENTS: &[&str] = &[
        "plain",
        "日本語",
        "ｶﾅ",
        "e\u{301}",
        "\u{200B}",
        "\u{FEFF}",
        "\t",
        "\r",
        "\u{1}",
        "\u{7f}",
        "\u{85}",
        "\n",
        "line1\nline2",
        "🎉",
        "👍🏽",
        "🏳️‍🌈",
        "a,b",
        "x|y",
        "\"q\"",
        "'s'",
        "\\.",
        " ",
        "",
        "<&>",
        ";",
        "long text that goes on and on and on",
        "\u{10FFFE}",
        "한",
        "١٢٣",
        "\u{300}",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as usize
    };
    (0..24)
        .map(|row| {
            let text = |next: &mut dyn FnMut(usize) -> usize| -> Option<String> {
                match next(8) {
                    0 => None,
                    _ => Some(
                        (0..next(4))
                            .map(|_| FRAGMENTS[next(FRAGMENTS.len())])
                            .collect(),
                    ),
                }
            };
            let first = text(&mut next);
            let number = (next(5) > 0).then(|| (row as i64 * 7919 - 40_000).to_string());
            let second = text(&mut next);
            let flag = match next(3) {
                0 => None,
                1 => Some("t".to_owned()),
                _ => Some("f".to_owned()),
            };
            vec![first, number, second, flag]
        })
        .collect()
}

/// `SELECT "a", "b" FROM (VALUES (0, 'x'::text, …), …) AS t(ord, "a", "b") ORDER BY ord`.
fn values_sql(rows: &Rows) -> String {
    let ident = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let literal = |value: &Option<String>, ty: ColumnType| match value {
        Some(v) => format!("'{}'::{}", v.replace('\'', "''"), ty.name()),
        None => format!("NULL::{}", ty.name()),
    };
    let names: Vec<String> = rows.columns.iter().map(|c| ident(&c.name)).collect();
    // A zero-row result still needs one typed row to give VALUES its column types.
    let placeholder = vec![None; rows.columns.len()];
    let data: Vec<&Vec<Option<String>>> = if rows.rows.is_empty() {
        vec![&placeholder]
    } else {
        rows.rows.iter().collect()
    };
    let tuples: Vec<String> = data
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let values: Vec<String> = row
                .iter()
                .zip(&rows.columns)
                .map(|(v, c)| literal(v, c.ty))
                .collect();
            format!("({i}, {})", values.join(", "))
        })
        .collect();
    format!(
        "SELECT {} FROM (VALUES {}) AS t(ord, {}) {}ORDER BY ord",
        names.join(", "),
        tuples.join(", "),
        names.join(", "),
        if rows.rows.is_empty() {
            "WHERE false "
        } else {
            ""
        }
    )
}

/// Every combination of output flags the test runs: each format (`-A`, `--csv`, `-H`,
/// `-P format=asciidoc`, `-P format=wrapped` on a 30-column screen) × expanded or not
/// (and `\x auto` on the screen formats) × tuples-only or not × each border, then the
/// separator, NULL, footer and title flags over the formats they change. Airlock reads
/// the same flags with its own argument parser, so flag parsing is compared too.
fn modes() -> Vec<Vec<String>> {
    let formats: &[&[&str]] = &[
        &[],
        &["-A"],
        &["--csv"],
        &["-H"],
        &["-P", "format=asciidoc"],
        &["-P", "format=wrapped", "-P", "columns=30"],
    ];
    let mut modes = Vec::new();
    for format in formats {
        let screen = format.is_empty() || format.contains(&"format=wrapped");
        let mut expanded: Vec<&[&str]> = vec![&[], &["-x"]];
        if screen {
            expanded.push(&["-P", "expanded=auto", "-P", "columns=30"]);
        }
        for x in &expanded {
            for t in [&[][..], &["-t"]] {
                for border in [&[][..], &["-P", "border=0"], &["-P", "border=2"]] {
                    let flags: Vec<String> = format
                        .iter()
                        .chain(x.iter())
                        .chain(t.iter())
                        .chain(border.iter())
                        .map(|f| (*f).to_owned())
                        .collect();
                    modes.push(flags);
                }
            }
        }
    }
    let extras: &[&[&str]] = &[
        &["-A", "-F", ","],
        &["-A", "-t", "-F", " :: "],
        &["-A", "-F", ""],
        &["-A", "-F", "--"],
        &["-A", "-x", "-t", "-F", "="],
        &["-A", "-R", "<rs>"],
        &["-A", "-x", "-R", ";"],
        &["-A", "-z"],
        &["-A", "-0"],
        &["-A", "-x", "-z", "-0"],
        &["--csv", "-F", ";"],
        &["--csv", "-P", "csv_fieldsep=;"],
        &["--csv", "-A"],
        &["-A", "--csv"],
        &["-x", "-x", "-A", "-A", "-F", "a", "-F", "b"],
        &["-H", "-A"],
        &["-A", "-H", "-T", "class=\"t\" width=50%"],
        &["-P", "null=(null)"],
        &["-x", "-P", "null=<NULL>"],
        &["-A", "-P", "null=NULL"],
        &["-H", "-P", "null= "],
        &["-P", "footer=off"],
        &["-A", "-P", "footer=off"],
        &["-H", "-P", "footer=off"],
        &["-P", "format=asciidoc", "-P", "footer=off"],
        &["-P", "title=Some Title"],
        &["-x", "-P", "title=Title"],
        &["-A", "-P", "title=Title"],
        &["-H", "-P", "title=<T&T>"],
        &["-P", "format=asciidoc", "-P", "title=Title"],
        &["-t", "-P", "title=hidden"],
        &["-P", "format=wrapped", "-P", "columns=12"],
        &["-P", "format=wrapped", "-P", "columns=12", "-P", "border=2"],
        &["-P", "format=wrapped", "-P", "columns=12", "-P", "border=0"],
        &["-P", "format=wrapped", "-P", "columns=12", "-x"],
        &[
            "-P",
            "format=wrapped",
            "-P",
            "columns=12",
            "-x",
            "-P",
            "border=2",
        ],
        &[
            "-P",
            "format=wrapped",
            "-P",
            "columns=12",
            "-x",
            "-P",
            "border=0",
        ],
        &["-P", "format=wrapped", "-P", "columns=80"],
        &["-P", "border=5"],
        &["-x", "-P", "border=3"],
        &["-P", "format=u"],
        &["-P", "tuples_only", "-P", "tuples_only"],
        &["-P", "expanded", "-t"],
    ];
    modes.extend(
        extras
            .iter()
            .map(|flags| flags.iter().map(|f| (*f).to_owned()).collect()),
    );
    modes
}

/// Airlock's print options for `flags`, read by Airlock's own argument parser.
fn print_options(flags: &[String]) -> PrintOptions {
    let args = std::iter::once("airlock".to_owned()).chain(flags.iter().cloned());
    match airlock_cli::args::parse(args) {
        Parsed::Run(options) => options.print,
        other => panic!("airlock refuses flags {flags:?}: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// Errors: statements the server rejects with a position. The message, detail and hint
// are given here; the position comes from psql's terse output ("at character N"), and
// the caret display we draw must equal psql's.

struct ErrorCase {
    sql: String,
    message: &'static str,
    detail: Option<&'static str>,
    hint: Option<&'static str>,
}

fn error_cases() -> Vec<ErrorCase> {
    let err = |sql: String, message| ErrorCase {
        sql,
        message,
        detail: None,
        hint: None,
    };
    vec![
        err(
            "SELECT 1 +* FROM".into(),
            "syntax error at or near \"FROM\"",
        ),
        err(
            "SELECT 1,\n  2 +\n  FORM t".into(),
            "column \"form\" does not exist",
        ),
        err(
            "SELECT 1,\n\n  2 + ) x".into(),
            "syntax error at or near \")\"",
        ),
        err("SELECT 1 +".into(), "syntax error at end of input"),
        err(
            "SELECT 1,\r\n 2 ++ ;".into(),
            "syntax error at or near \";\"",
        ),
        err(
            "SELECT\t'日本語',\t1 FROM FROM".into(),
            "syntax error at or near \"FROM\"",
        ),
        err(
            format!("SELECT {}1 FORM t", "1, ".repeat(30)),
            "syntax error at or near \"t\"",
        ),
        err(
            format!("SELECT {}1 FORM t, {}", "1, ".repeat(10), "x, ".repeat(30)),
            "syntax error at or near \"t\"",
        ),
        err(
            format!("SELECT {}1 FORM t", "'日本', ".repeat(20)),
            "syntax error at or near \"t\"",
        ),
        ErrorCase {
            sql: "SELECT 1\n  FROM pg_class\n WHERE nosuchcolumn = 1".into(),
            message: "column \"nosuchcolumn\" does not exist",
            detail: None,
            hint: None,
        },
        ErrorCase {
            sql: "SELECT lower(1, 2)".into(),
            message: "function lower(integer, integer) does not exist",
            detail: None,
            hint: Some(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            ),
        },
        ErrorCase {
            sql: "SELECT '{\"a\":}'::jsonb".into(),
            message: "invalid input syntax for type json",
            detail: Some("Expected JSON value, but found \"}\"."),
            hint: None,
        },
    ]
}

/// A 1-based character offset as a 1-based line and column (lines end at `\n`).
fn position_of(sql: &str, offset: usize) -> Position {
    let before: Vec<char> = sql.chars().take(offset - 1).collect();
    let line = before.iter().filter(|&&c| c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|&&c| c != '\n').count() + 1;
    Position {
        line: line as u64,
        column: column as u64,
    }
}

// ---------------------------------------------------------------------------------

/// `AIRLOCK_REWRITE=1` rewrites `tests/golden/psql_parity.txt`, the list of flag
/// combinations with their comparison counts, which a reviewer reads as the coverage.
#[test]
fn output_matches_psql_byte_for_byte() {
    let server = Server::start();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut matched = 0;
    let mut summary = String::new();

    let cases = cases();
    let sqls: Vec<String> = cases
        .iter()
        .map(|case| {
            case.sql
                .map(str::to_owned)
                .unwrap_or_else(|| values_sql(&case.rows))
        })
        .collect();
    for flags in modes() {
        let options = print_options(&flags);
        let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        // All cases in one psql run (one `-c` each); only a difference is looked at
        // case by case.
        let out = server.psql_many(&flag_refs, &sqls);
        assert!(
            out.status.success(),
            "psql {flags:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = String::from_utf8(out.stdout).expect("psql printed UTF-8");
        let actual: String = cases
            .iter()
            .map(|case| format_rows(&case.rows, &options))
            .collect();
        checked += cases.len();
        let mut mode_matched = cases.len();
        if actual != expected {
            for (case, sql) in cases.iter().zip(&sqls) {
                let out = server.psql(&flag_refs, sql);
                let expected = String::from_utf8(out.stdout).expect("psql printed UTF-8");
                let actual = format_rows(&case.rows, &options);
                if actual != expected {
                    mode_matched -= 1;
                    failures.push(format!(
                        "case {:?}, psql {flags:?}:\n--- psql ---\n{expected}--- ours ---\n{actual}--- psql (debug) ---\n{expected:?}\n--- ours (debug) ---\n{actual:?}\n",
                        case.name
                    ));
                }
            }
        }
        matched += mode_matched;
        let _ = writeln!(
            summary,
            "{flags:?}: {mode_matched} of {} identical",
            cases.len()
        );
    }

    for case in error_cases() {
        let terse = server.psql(&["-v", "VERBOSITY=terse"], &case.sql);
        let terse = String::from_utf8_lossy(&terse.stderr).into_owned();
        let Some(offset) = terse
            .trim_end()
            .rsplit_once(" at character ")
            .and_then(|(_, n)| n.parse::<usize>().ok())
        else {
            failures.push(format!(
                "no position in psql's error for {:?}: {terse:?}",
                case.sql
            ));
            continue;
        };
        let out = server.psql(&["-v", "SHOW_CONTEXT=never"], &case.sql);
        let expected = String::from_utf8(out.stderr).expect("psql printed UTF-8");
        let mut diagnostic = Diagnostic::error(SqlState::SyntaxError, case.message);
        diagnostic.position = Some(position_of(&case.sql, offset));
        diagnostic.detail = case.detail.map(str::to_owned);
        diagnostic.hint = case.hint.map(str::to_owned);
        let actual = render_diagnostic(&diagnostic, Some(&case.sql));
        checked += 1;
        if actual == expected {
            matched += 1;
        } else {
            failures.push(format!(
                "error for {:?} (character {offset}):\n--- psql ---\n{expected}--- ours ---\n{actual}--- psql (debug) ---\n{expected:?}\n--- ours (debug) ---\n{actual:?}\n",
                case.sql
            ));
        }
    }

    let _ = writeln!(
        summary,
        "total: {matched} of {checked} outputs identical to psql's"
    );
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/psql_parity.txt");
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        std::fs::write(&golden, &summary).expect("write the parity summary");
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} outputs differ from psql:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    let recorded = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(
        recorded, summary,
        "tests/golden/psql_parity.txt is out of date (AIRLOCK_REWRITE=1 rewrites it)"
    );
    eprintln!("{matched} of {checked} outputs identical to psql's");
    drop(server);
}

/// Every code point psql can receive (U+0001 to U+10FFFF without surrogates; and without
/// U+000A, which starts a new line and is checked by the cases above), one per row, left-aligned in front of a second column: each line's padding shows the width
/// psql gives the character, and a dropped character (U+nFFFE, U+nFFFF) shows as none.
#[test]
fn every_code_point_has_psql_width() {
    let server = Server::start();
    let mut differing = Vec::new();
    let mut checked = 0usize;
    for plane in 0u32..=16 {
        let first = (plane << 16).max(1);
        let last = (plane << 16) | 0xFFFF;
        let sql = format!(
            "SELECT chr(cp) AS c, 1 AS n FROM generate_series({first}, {last}) cp \
             WHERE cp NOT BETWEEN 55296 AND 57343 AND cp <> 10 ORDER BY cp"
        );
        let out = server.psql(&[], &sql);
        assert!(
            out.status.success(),
            "psql failed on plane {plane}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = String::from_utf8(out.stdout).expect("psql printed UTF-8");
        let chars: Vec<char> = (first..=last)
            .filter_map(char::from_u32)
            .filter(|&c| c != '\n')
            .collect();
        let rows = Rows {
            columns: vec![
                Column::new("c", ColumnType::Text),
                Column::new("n", ColumnType::Int4),
            ],
            rows: chars
                .iter()
                .map(|c| vec![Some(c.to_string()), Some("1".to_owned())])
                .collect(),
        };
        let actual = format_rows(&rows, &PrintOptions::default());
        checked += chars.len();
        if actual == expected {
            continue;
        }
        // Lines 3.. hold one code point each (none of them holds a newline).
        let expected_lines: Vec<&str> = expected.lines().skip(2).collect();
        let actual_lines: Vec<&str> = actual.lines().skip(2).collect();
        if expected.lines().next() != actual.lines().next() {
            differing.push(format!(
                "plane {plane}: header {:?} vs ours {:?}",
                expected.lines().next(),
                actual.lines().next()
            ));
        }
        for ((c, e), a) in chars.iter().zip(&expected_lines).zip(&actual_lines) {
            if e != a {
                differing.push(format!("U+{:04X}: psql {e:?}, ours {a:?}", u32::from(*c)));
            }
        }
    }
    let shown: Vec<&String> = differing.iter().take(40).collect();
    assert!(
        differing.is_empty(),
        "{} of {checked} code points print differently from psql:\n{shown:#?}",
        differing.len()
    );
    eprintln!("{checked} code points printed as psql prints them");
}

/// psql's own listings (`\dt`, `\d t`: a title, and the default footer or footers of
/// their own) in every flag combination, against [`format_table`] with the same title
/// and footers — the way Airlock prints its `\d` listings.
#[test]
fn titled_listings_match_psql() {
    let server = Server::start();
    let setup = server.psql(&[], "CREATE TABLE t (a int PRIMARY KEY, b text)");
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let text = |names: &[&str], rows: &[&[&str]]| Rows {
        columns: names
            .iter()
            .map(|n| Column::new(*n, ColumnType::Text))
            .collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|v| Some((*v).to_owned())).collect())
            .collect(),
    };
    let relations = text(
        &["Schema", "Name", "Type", "Owner"],
        &[&["public", "t", "table", "postgres"]],
    );
    let table = text(
        &["Column", "Type", "Collation", "Nullable", "Default"],
        &[
            &["a", "integer", "", "not null", ""],
            &["b", "text", "", "", ""],
        ],
    );
    let footers = vec![
        "Indexes:".to_owned(),
        "    \"t_pkey\" PRIMARY KEY, btree (a)".to_owned(),
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for flags in modes() {
        let options = print_options(&flags);
        let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        let mut compare = |command: &str, expected_of: &dyn Fn() -> String| {
            let out = server.psql(&flag_refs, command);
            let expected = String::from_utf8(out.stdout).expect("psql printed UTF-8");
            let actual = expected_of();
            checked += 1;
            if actual != expected {
                failures.push(format!(
                    "{command} with {flags:?}:\n--- psql ---\n{expected}--- ours ---\n{actual}"
                ));
            }
        };
        compare("\\dt", &|| {
            format_table(&relations, &options, Some("List of relations"), None)
        });
        // psql prints one table's details never expanded.
        if options.expanded == airlock_cli::format::Expanded::Off {
            compare("\\d t", &|| {
                format_table(&table, &options, Some("Table \"public.t\""), Some(&footers))
            });
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} listings differ from psql:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} listings identical to psql's");
}
