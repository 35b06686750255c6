//! Every `sql` example in `docs/sql/` parses; every `text` grammar block is left alone.
//! (The engine's tests also execute them.)

use std::path::Path;

#[test]
fn every_sql_example_in_the_docs_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sql");
    let mut blocks = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut in_sql = false;
        let mut block = String::new();
        for line in text.lines() {
            match (in_sql, line.trim_end()) {
                (false, "```sql") => in_sql = true,
                (true, "```") => {
                    in_sql = false;
                    blocks += 1;
                    if let Err(e) = airlock_parser::parse_statements(&block) {
                        panic!("{}: {e} at {:?} in\n{block}", path.display(), e.position);
                    }
                    block.clear();
                }
                (true, _) => {
                    block.push_str(line);
                    block.push('\n');
                }
                _ => {}
            }
        }
        assert!(!in_sql, "{}: unterminated sql block", path.display());
    }
    assert!(blocks >= 10, "only {blocks} sql examples");
}
