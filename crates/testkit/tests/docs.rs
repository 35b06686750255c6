//! The repository's documentation points somewhere real and stands alone: every relative
//! link in `README.md` and `docs/` resolves (to a file, and an `#anchor` to a heading of
//! it), every `docs/….md` path that a source or build file names exists, and no doc cites
//! a document that is not in the repository.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// Every file below `dir` whose name passes `keep`, skipping build output and VCS data.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "corpus" | "artifacts") {
                files(&path, keep, out);
            }
        } else if keep(&path) {
            out.push(path);
        }
    }
}

fn markdown_files() -> Vec<PathBuf> {
    let root = root();
    let mut out = vec![root.join("README.md")];
    files(
        &root.join("docs"),
        &|p| p.extension().is_some_and(|e| e == "md"),
        &mut out,
    );
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The text outside fenced code blocks, line by line.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .into_iter()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

/// The targets of `[text](target)` links in `text`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].trim().to_owned());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn relative_links_resolve() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("read a doc");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match link.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (link.as_str(), None),
            };
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", file.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && target.extension().is_some_and(|e| e == "md")
            {
                let text = std::fs::read_to_string(&target).expect("read a linked doc");
                if !anchors(&text).contains(anchor) {
                    broken.push(format!("{}: {link} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "found only {checked} links: is the scan broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn docs_named_in_code_exist() {
    let root = root();
    let mut sources = Vec::new();
    let keep = |p: &Path| {
        p.extension().is_some_and(|e| {
            ["rs", "toml", "sh", "slt", "test", "sql"].contains(&&*e.to_string_lossy())
        }) || p.file_name().is_some_and(|n| n == "Makefile" || n == "run")
    };
    for dir in ["crates", "fuzz", "scripts", "testdata", "migrations", ".ci"] {
        files(&root.join(dir), &keep, &mut sources);
    }
    sources.push(root.join("Makefile"));
    let mut missing = Vec::new();
    let mut named = 0;
    for file in &sources {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(at) = rest.find("docs/") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
                .unwrap_or(tail.len());
            let path = tail[..end].trim_end_matches('.');
            if path.ends_with(".md") {
                named += 1;
                if !root.join(path).exists() {
                    missing.push(format!("{}: {path}", file.display()));
                }
            }
            rest = &rest[at + 5..];
        }
    }
    assert!(
        named > 0,
        "no docs/….md path found in the sources: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "docs named but missing:\n{}",
        missing.join("\n")
    );
}

#[test]
fn docs_stand_alone() {
    let mut cited = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("read a doc");
        for (n, line) in text.lines().enumerate() {
            if line.contains("SPEC") || line.contains("§") {
                cited.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        cited.is_empty(),
        "docs cite a specification that is not in the repository; explain the rule instead:\n{}",
        cited.join("\n")
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug(" The catalog (`airlock-catalog`)"),
        "the-catalog-airlock-catalog"
    );
    assert_eq!(slug("What users can `SELECT`"), "what-users-can-select");
    assert_eq!(links("see [a](b.md#c) and [d](e)"), ["b.md#c", "e"]);
}
