//! Any bytes: the parser, the statement splitter and the error-excerpt masker must not
//! panic, and every Airlock statement they accept must print back to the same tree, in
//! full and redacted form. Seeds (long operator chains, masking attacks) are in
//! `fuzz/seeds/`.
#![no_main]

use airlock_parser::{Statement, check_utf8, mask_statement, parse_statements, split_complete};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = check_utf8(data) else {
        return;
    };
    let _ = split_complete(sql);
    // The masker maps every character of the original into its text.
    let masked = mask_statement(sql);
    let last = masked.char_index(usize::MAX);
    assert_eq!(last, masked.text.chars().count());
    let Ok(statements) = parse_statements(sql) else {
        return;
    };
    for statement in statements {
        let _ = statement.to_redacted_string();
        if matches!(statement, Statement::Sql(_)) {
            continue;
        }
        let printed = statement.to_string();
        let again = parse_statements(&printed).expect("printed statement parses");
        assert_eq!(again, vec![statement.clone()], "round trip via {printed:?}");
        parse_statements(&statement.to_redacted_string()).expect("redacted statement parses");
    }
});
