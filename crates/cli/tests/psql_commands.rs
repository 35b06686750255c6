//! The `airlock` binary against the real `psql` on the same command lines and scripts:
//! flags, backslash-command wording (`\x auto`, `\pset`, bad values, extra arguments),
//! variables, `\g`/`\gx`/`\o`, and psql's `FILE:LINE: error:` script messages. Both
//! outputs must be identical, byte for byte, once psql's program name is read as
//! Airlock's (`psql:s.sql:2:` is `airlock:s.sql:2:`).
//!
//! The statements are ones whose results PostgreSQL and Airlock's engine print alike
//! (`SELECT 1 AS a`); result formatting itself is compared in `psql_parity.rs`.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use airlock_testkit::postgres::Server;

/// One run: command-line arguments, standard input, files in the working directory.
struct Case {
    name: &'static str,
    args: Vec<&'static str>,
    stdin: Option<&'static str>,
    files: Vec<(&'static str, &'static str)>,
}

fn case(name: &'static str, args: &[&'static str]) -> Case {
    Case {
        name,
        args: args.to_vec(),
        stdin: None,
        files: Vec::new(),
    }
}

fn script(name: &'static str, text: &'static str) -> Case {
    Case {
        name,
        args: vec!["-f", "s.sql"],
        stdin: None,
        files: vec![("s.sql", text)],
    }
}

fn piped(name: &'static str, args: &[&'static str], text: &'static str) -> Case {
    Case {
        name,
        args: args.to_vec(),
        stdin: Some(text),
        files: Vec::new(),
    }
}

const ROW: &str = "SELECT 1 AS a, 'x' AS b";

fn cases() -> Vec<Case> {
    vec![
        case("later of -A and --csv wins", &["-A", "--csv", "-c", ROW]),
        case("later of --csv and -A wins", &["--csv", "-A", "-c", ROW]),
        case("-H after -A", &["-A", "-H", "-c", ROW]),
        case(
            "repeated flags",
            &[
                "-x", "-x", "-A", "-A", "-F", "a", "-F", "b", "-t", "-t", "-c", ROW,
            ],
        ),
        case(
            "separator starting with a dash",
            &["-A", "-F", "--", "-c", ROW],
        ),
        case(
            "-c starting with a comment",
            &["-c", "-- generated\nSELECT 1 AS a"],
        ),
        case(
            "-R and -z",
            &["-A", "-R", "<rs>", "-z", "-c", ROW, "-c", ROW],
        ),
        case("-0", &["-A", "-0", "-c", ROW]),
        case(
            "-P border and title",
            &["-P", "border=2", "-P", "title=T", "-c", ROW],
        ),
        case("-P null", &["-P", "null=(null)", "-c", "SELECT NULL AS n"]),
        case("-P without a value", &["-P", "tuples_only", "-c", ROW]),
        case("-P bad format", &["-P", "format=foo", "-c", ROW]),
        case("-P unknown option", &["-P", "bogus=1", "-c", ROW]),
        case("-P bad expanded", &["-P", "expanded=maybe", "-c", ROW]),
        case("-T", &["-H", "-T", "class=\"x\"", "-c", ROW]),
        case(
            "\\x and \\timing wording",
            &[
                "-c",
                "\\x auto",
                "-c",
                "\\x",
                "-c",
                "\\x",
                "-c",
                "\\x on extra",
                "-c",
                "\\x maybe",
                "-c",
                "\\timing maybe",
                "-c",
                "\\timing on",
                "-c",
                "\\timing off",
            ],
        ),
        case("last -c fails", &["-c", "\\x off", "-c", "\\x maybe"]),
        case(
            "\\pset wording",
            &[
                "-c",
                "\\pset format",
                "-c",
                "\\pset border 3",
                "-c",
                "\\pset null",
                "-c",
                "\\pset null (nul)",
                "-c",
                "\\pset format wrapped",
                "-c",
                "\\pset format foo",
                "-c",
                "\\pset format a",
                "-c",
                "\\pset format U",
                "-c",
                "\\pset tuples_only",
                "-c",
                "\\pset fieldsep",
                "-c",
                "\\pset recordsep",
                "-c",
                "\\pset footer off",
                "-c",
                "\\pset footer",
                "-c",
                "\\pset title hi",
                "-c",
                "\\pset title",
                "-c",
                "\\pset pager off",
                "-c",
                "\\pset pager always",
                "-c",
                "\\pset pager maybe",
                "-c",
                "\\pset expanded auto",
                "-c",
                "\\pset bogus",
                "-c",
                "\\pset border x",
                "-c",
                "\\pset csv_fieldsep ab",
                "-c",
                "\\pset csv_fieldsep ;",
                "-c",
                "\\pset columns",
                "-c",
                "\\pset columns 40",
                "-c",
                "\\pset tableattr",
                "-c",
                "\\pset C \"x\"",
                "-c",
                "\\pset fieldsep_zero",
                "-c",
                "\\pset recordsep_zero",
                "-c",
                "\\pset recordsep x",
                "-c",
                "\\pset",
            ],
        ),
        case(
            "\\pset settings Airlock keeps at psql's defaults",
            &[
                "-c",
                "\\pset linestyle",
                "-c",
                "\\pset linestyle a",
                "-c",
                "\\pset linestyle x",
                "-c",
                "\\pset numericlocale off",
                "-c",
                "\\pset pager_min_lines 1",
                "-c",
                "\\pset pager_min_lines 5",
                "-c",
                "\\pset pager_min_lines",
            ],
        ),
        case(
            "shorthands for \\pset",
            &[
                "-c",
                "\\t",
                "-c",
                "\\t on",
                "-c",
                "\\t",
                "-c",
                "\\a",
                "-c",
                "\\a",
                "-c",
                "\\H",
                "-c",
                "\\H",
                "-c",
                "\\C a title",
                "-c",
                "\\C",
                "-c",
                "\\f ;",
                "-c",
                "\\f",
                "-c",
                "\\T width=1",
                "-c",
                "\\T",
                "-c",
                "\\t maybe",
            ],
        ),
        script(
            "script messages carry the locus and level",
            "SELECT 1 AS a;\n\\x maybe\n\\pset format foo\n\\x on extra\n\\dq\n\\i nofile\n\\timing maybe\n\\unset\n",
        ),
        script(
            "ON_ERROR_STOP set in the script",
            "\\set ON_ERROR_STOP on\n\\x maybe\nSELECT 2 AS b;\n",
        ),
        piped(
            "variables",
            &["-v", "y=7", "-v", "gone=1", "-v", "gone"],
            "\\set x 5\nSELECT :x AS v, :'x' AS q, 1 AS :\"x\";\n\\echo :x :'x' :\"x\" 'a b' \"c d\" :y :gone\n\\set x a 'b c' d\n\\echo :x\n\\unset x\n\\echo :x\n\\echo -n a\n\\echo b\nSELECT 1::int AS cast;\n",
        ),
        case(
            "-c is not interpolated but backslash commands are",
            &["-v", "y=7", "-c", "\\echo :y :'y'"],
        ),
        case(
            "variable errors",
            &[
                "-c",
                "\\set a-b 1",
                "-c",
                "\\set ON_ERROR_STOP maybe",
                "-c",
                "\\echo :'nope' :\"nope\" :nope",
                "-c",
                "\\set QUIET on",
                "-c",
                "\\x",
            ],
        ),
        Case {
            name: "-e echoes each statement",
            args: vec!["-e", "-f", "s.sql"],
            stdin: None,
            files: vec![(
                "s.sql",
                "SELECT 1 AS a;\n-- note\nSELECT 2 AS b; SELECT 3 AS c;\n\\x on\nSELECT\n 4 AS d;\n",
            )],
        },
        case("-e with -c", &["-e", "-c", ROW]),
        case("-b after -e", &["-e", "-b", "-c", ROW]),
        case(
            "-o sends results to a file",
            &["-o", "out.txt", "-c", ROW, "-c", "\\! cat out.txt"],
        ),
        case("bad -v name", &["-v", "a-b=1", "-c", ROW]),
        case("empty -v name", &["-v", "=1", "-c", ROW]),
        piped(
            "query buffer commands",
            &[],
            "SELECT 1 AS a\n\\g\n\\gx\nSELECT 2 AS b\n\\p\n\\r\n\\p\n\\g\nSELECT 3 AS c\n\\g out.txt\n\\! cat out.txt\n",
        ),
        piped(
            "backslash commands after statement text and several on a line",
            &[],
            "SELECT 1 AS a \\gx\nSELECT 2 AS b; \\x\nSELECT 'a\\b' AS c, \"x\\y\" FROM (SELECT 1 AS \"x\\y\") s;\n\\x \\t \\a\nSELECT 3 AS d\n\\g \\echo done\nSELECT 4 -- \\x\n AS e;\n",
        ),
        piped(
            "\\qecho and \\warn",
            &[],
            "\\qecho q1\n\\warn w1 -n\n\\warn -n w2\n\\o qout.txt\n\\qecho q2\n\\o\n\\qecho -n q3\n",
        ),
        piped(
            "\\o sends results to a file",
            &[],
            "\\o out2.txt\nSELECT 1 AS a;\n\\echo not in the file\n\\o\nSELECT 2 AS b;\n\\! cat out2.txt\n",
        ),
        piped(
            "wrapped and expanded auto with a width",
            &[],
            "\\pset columns 20\n\\pset format wrapped\nSELECT 'a long value that wraps around' AS long, 1 AS n;\n\\x auto\nSELECT 'a long value that wraps around' AS long, 1 AS n;\n",
        ),
    ]
}

/// Standard output, standard error and exit status, psql's name read as Airlock's.
fn outcome(output: &Output, from_psql: bool) -> String {
    let text = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if !from_psql {
            return text;
        }
        text.lines()
            .map(|line| match line.strip_prefix("psql:") {
                Some(rest) => format!("airlock:{rest}"),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + if text.ends_with('\n') { "\n" } else { "" }
    };
    format!(
        "--- stdout\n{}--- stderr\n{}--- exit status {}\n",
        text(&output.stdout),
        text(&output.stderr),
        output.status.code().unwrap_or(-1)
    )
}

fn run(mut command: Command, dir: &Path, stdin: Option<&str>) -> Output {
    command
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn backslash_commands_and_flags_match_psql() {
    let server = Server::start();
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let outcomes: Vec<String> = [true, false]
            .into_iter()
            .map(|from_psql| {
                let dir = tempfile::tempdir().expect("tempdir");
                for (name, text) in &case.files {
                    fs::write(dir.path().join(name), text).expect("write a script");
                }
                let mut command = if from_psql {
                    server.psql_command()
                } else {
                    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
                    command
                        .args(["--catalog", ":memory:"])
                        .env_remove("AIRLOCK_CATALOG")
                        .env_remove("AIRLOCK_AWS_PRINCIPAL")
                        .env("AIRLOCK_HISTORY", "");
                    command
                };
                command.args(&case.args);
                outcome(&run(command, dir.path(), case.stdin), from_psql)
            })
            .collect();
        if outcomes[0] != outcomes[1] {
            failures.push(format!(
                "{}: {:?}\n=== psql ===\n{}=== airlock ===\n{}",
                case.name, case.args, outcomes[0], outcomes[1]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs differ from psql:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} of {} runs identical to psql's",
        cases.len(),
        cases.len()
    );
}
