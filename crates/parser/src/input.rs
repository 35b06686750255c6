//! The checks every entry point applies to input before anything is parsed: the
//! engine's `execute` and `execute_statement`, the shell's `-c`, `-f`, standard input,
//! prompt and `\i`, and any future server. They live here, next to the parser, so that
//! there is one copy of each.
//!
//! - [`check_utf8`]: bytes must be UTF-8 (PostgreSQL's 22021), checked before any lossy
//!   conversion could turn a bad byte into U+FFFD inside a secret value;
//! - [`check_text`]: at most [`MAX_INPUT_BYTES`] (54000) and no NUL byte (22021);
//! - the parser itself refuses statements whose expressions chain or nest operators
//!   deeper than [`MAX_EXPRESSION_DEPTH`] (54001), on the token stream, before any
//!   syntax tree exists — see [`check_complexity`];
//! - names may not hold bidirectional-text controls ([`bidi_control`], 42602).

use airlock_core::{Position, SqlState};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::ast::{
    AlterConnectionAction, AwsOption, GrantTarget, Grantee, Ident, ItemName, OptionValue, Statement,
};
use crate::error::ParseError;

/// The most text one call accepts. The parser holds every token of its input at once
/// (about 60 bytes a token), so this bounds its memory: 4 MiB of `(((…` is some 250 MB
/// of tokens. Real statements are a few hundred bytes.
pub const MAX_INPUT_BYTES: usize = 4 << 20;

/// How deep the syntax tree of one statement may get, estimated on its tokens (see
/// [`check_complexity`]). Parsing, planning, printing, cloning and dropping a syntax tree
/// all recurse once per level; at this depth a statement takes well under 1 MiB of stack
/// in an unoptimized build, so the engine runs on 2 MiB threads. Real statements stay far
/// below it: a `WHERE` clause of 60 `a = 'x' AND` conditions is about 120.
pub const MAX_EXPRESSION_DEPTH: usize = 200;

/// What one open `(`, `[` or `{` adds to the estimate: a nested query is a heavy level.
const LEVEL_WEIGHT: usize = 2;
/// What one `UNION`, `INTERSECT` or `EXCEPT` adds: each is a whole query level.
const SET_OPERATOR_WEIGHT: usize = 4;

/// Refuses text longer than [`MAX_INPUT_BYTES`] (54000) or holding a NUL byte (22021,
/// as PostgreSQL refuses NUL in text whatever the client).
pub fn check_text(sql: &str) -> Result<(), ParseError> {
    if sql.len() > MAX_INPUT_BYTES {
        return Err(too_long());
    }
    if let Some(at) = sql.find('\0') {
        return Err(nul_error(Some(position_of_byte(sql, at))));
    }
    Ok(())
}

/// The error for input past [`MAX_INPUT_BYTES`].
pub fn too_long() -> ParseError {
    ParseError::with_code(
        SqlState::ProgramLimitExceeded,
        format!("statement text exceeds {} MiB", MAX_INPUT_BYTES >> 20),
        None,
    )
    .with_hint("Split the input into smaller statements.")
}

/// The bytes as UTF-8 text, or PostgreSQL's 22021 naming the offending bytes
/// (`invalid byte sequence for encoding "UTF8": 0xe9 0x27 0x3b`).
pub fn check_utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let bad = &bytes[e.valid_up_to()..];
        // PostgreSQL shows as many bytes as the first one announces (its `pg_mblen`).
        let announced = match bad[0] {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 1,
        };
        let shown: Vec<String> = bad
            .iter()
            .take(announced)
            .map(|b| format!("0x{b:02x}"))
            .collect();
        ParseError::with_code(
            SqlState::CharacterNotInRepertoire,
            format!(
                "invalid byte sequence for encoding \"UTF8\": {}",
                shown.join(" ")
            ),
            None,
        )
    })
}

/// The first bidirectional-text control in `name`, if any. Such characters make a name
/// display as something else (`admin\u{202e}txt` shows as `admintxt` reversed), so names
/// may not hold them.
pub fn bidi_control(name: &str) -> Option<char> {
    name.chars().find(|c| {
        matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
    })
}

/// The error for a name holding a bidirectional-text control (42602).
pub(crate) fn bidi_error(c: char, position: Option<Position>) -> ParseError {
    ParseError::with_code(
        SqlState::InvalidName,
        format!(
            "names may not contain bidirectional-text control characters (found U+{:04X})",
            u32::from(c)
        ),
        position,
    )
    .with_hint("Remove the invisible character from the name.")
}

/// Refuses a statement whose syntax tree would be too deep to walk safely, from its
/// tokens alone: no tree is built for it.
///
/// `sqlparser` bounds how deep its parser recurses, but a flat chain — `1+1+…+1`,
/// `a AND b AND …`, `x::text::text…`, `SELECT 1 UNION ALL SELECT 1 …` — is parsed in a
/// loop into a tree as deep as the chain is long, and every later walk over it (planning,
/// printing, cloning, dropping) recurses once per link: 3,000 links overflow a 2 MiB
/// thread. The estimate, per statement, at every token: for each open bracket, its
/// weight plus the operators seen at that level since its last comma (a comma separates
/// siblings of a list, which do not deepen the tree), set operators weighing more and
/// counting across commas. It never underestimates the depth of the tree along the
/// current path.
pub(crate) fn check_complexity(tokens: &[TokenWithSpan], end: Position) -> Result<(), ParseError> {
    // Per open level: operators since the last comma, and set operators.
    let mut levels: Vec<(usize, usize)> = vec![(0, 0)];
    let mut depth = 0usize;
    for token in tokens {
        let weight = match &token.token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                levels.push((0, 0));
                depth += LEVEL_WEIGHT;
                0
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                if levels.len() > 1
                    && let Some((ops, sets)) = levels.pop()
                {
                    depth -= ops + sets + LEVEL_WEIGHT;
                }
                0
            }
            Token::Comma => {
                let top = levels.last_mut().expect("level 0 is never popped");
                depth -= top.0;
                top.0 = 0;
                0
            }
            Token::SemiColon => {
                let top = levels.last_mut().expect("level 0 is never popped");
                depth -= top.0 + top.1;
                *top = (0, 0);
                if levels.len() == 1 {
                    depth = 0;
                }
                0
            }
            Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT | Keyword::MINUS => {
                    levels.last_mut().expect("level 0").1 += SET_OPERATOR_WEIGHT;
                    depth += SET_OPERATOR_WEIGHT;
                    0
                }
                Keyword::AND
                | Keyword::OR
                | Keyword::XOR
                | Keyword::NOT
                | Keyword::IS
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::SIMILAR
                | Keyword::REGEXP
                | Keyword::RLIKE
                | Keyword::BETWEEN
                | Keyword::IN
                | Keyword::COLLATE
                | Keyword::AT
                | Keyword::OPERATOR
                | Keyword::OVERLAPS
                | Keyword::DIV
                | Keyword::MOD
                | Keyword::ESCAPE
                | Keyword::MEMBER => 1,
                _ => 0,
            },
            t if is_neutral(t) => 0,
            // Every other symbol is an operator of some kind: `+`, `||`, `::`, `->`, `.`.
            _ => 1,
        };
        if weight > 0 {
            levels.last_mut().expect("level 0").0 += weight;
            depth += weight;
        }
        if depth > MAX_EXPRESSION_DEPTH {
            let position = if token.span.start.line == 0 {
                end
            } else {
                Position {
                    line: token.span.start.line,
                    column: token.span.start.column,
                }
            };
            return Err(ParseError::with_code(
                SqlState::StatementTooComplex,
                "statement is too complex: operators are chained or nested too deeply",
                Some(position),
            )
            .with_hint(format!(
                "A statement may chain and nest operators (a + b + …, a AND b AND …, x::t::t, \
                 UNION ALL …) about {MAX_EXPRESSION_DEPTH} deep. Split it into smaller \
                 statements, or use lists: x IN (1, 2, 3) instead of x = 1 OR x = 2 OR …"
            )));
        }
    }
    Ok(())
}

/// The checks of [`check_text`] and the name rules, for a statement that did not come
/// from text (a host built it): no NUL in any name or value (22021), no
/// bidirectional-text control in a name (42602).
pub fn check_statement(statement: &Statement) -> Result<(), ParseError> {
    let mut names: Vec<&Ident> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    // A secret's value expression, printed: a NUL anywhere in it is in one of its literals.
    let printed_value;
    match statement {
        Statement::CreateSecret(s) => {
            names.extend(s.name.parts());
            printed_value = s.value.expose_expr().to_string();
            values.push(&printed_value);
        }
        Statement::AlterSecret(s) => {
            names.extend(s.name.parts());
            printed_value = s.value.expose_expr().to_string();
            values.push(&printed_value);
        }
        Statement::CreateConnection(c) => {
            names.extend(c.name.parts());
            for o in &c.options {
                push_option(o, &mut names, &mut values);
            }
        }
        Statement::AlterConnection(c) => {
            names.extend(c.name.parts());
            for action in &c.actions {
                if let AlterConnectionAction::Set(o) = action {
                    push_option(o, &mut names, &mut values);
                }
            }
        }
        Statement::DropObjects(d) => names.extend(d.names.iter().flat_map(ItemName::parts)),
        Statement::RenameObject(r) => {
            names.extend(r.name.parts());
            names.push(&r.new_name);
        }
        Statement::ValidateConnection(v) => names.extend(v.name.parts()),
        Statement::ShowObjects(s) => values.extend(s.like.as_deref()),
        Statement::ShowCreateConnection(s) => names.extend(s.name.parts()),
        Statement::SelectFromShowCreate(s) => {
            names.extend(s.show.name.parts());
            names.extend(s.columns.iter().flatten());
            names.extend(s.alias.iter());
        }
        Statement::Comment(c) => {
            names.extend(c.name.parts());
            values.extend(c.comment.as_deref());
        }
        Statement::ShowVariable(_) => {}
        Statement::AlterSystem(a) => {
            names.push(&a.name);
            values.extend(a.value.as_deref());
        }
        Statement::CreateRole(r) => names.push(&r.name),
        Statement::AlterRole(r) => names.push(&r.name),
        Statement::DropRoles(d) => names.extend(&d.names),
        Statement::GrantRole(g) => names.extend(g.roles.iter().chain(&g.members)),
        Statement::GrantPrivileges(g) => {
            match &g.target {
                GrantTarget::Objects { names: items, .. } => {
                    names.extend(items.iter().flat_map(ItemName::parts));
                }
                GrantTarget::AllObjects { schemas, .. } | GrantTarget::Schemas(schemas) => {
                    for s in schemas {
                        names.extend(s.database.iter().chain([&s.schema]));
                    }
                }
                GrantTarget::System => {}
            }
            for grantee in &g.grantees {
                if let Grantee::Role(name) = grantee {
                    names.push(name);
                }
            }
        }
        Statement::AlterOwner(a) => {
            names.extend(a.name.parts());
            names.push(&a.new_owner);
        }
        Statement::SetRole(s) => names.extend(s.role.iter()),
        Statement::Sql(s) => {
            if s.to_string().contains('\0') {
                return Err(nul_error(None));
            }
        }
    }
    for name in names {
        if name.as_str().contains('\0') {
            return Err(nul_error(None));
        }
        if let Some(c) = bidi_control(name.as_str()) {
            return Err(bidi_error(c, None));
        }
    }
    if values.iter().any(|v| v.contains('\0')) {
        return Err(nul_error(None));
    }
    Ok(())
}

fn push_option<'a>(o: &'a AwsOption, names: &mut Vec<&'a Ident>, values: &mut Vec<&'a str>) {
    match &o.value {
        OptionValue::String(v) => values.push(v),
        OptionValue::Secret(name) => names.extend(name.parts()),
        OptionValue::Flag => {}
    }
}

fn nul_error(position: Option<Position>) -> ParseError {
    ParseError::with_code(
        SqlState::CharacterNotInRepertoire,
        "invalid byte sequence for encoding \"UTF8\": 0x00",
        position,
    )
}

/// Tokens that do not deepen an expression: words, literals, whitespace, placeholders.
fn is_neutral(token: &Token) -> bool {
    matches!(
        token,
        Token::EOF
            | Token::Word(_)
            | Token::Number(..)
            | Token::Char(_)
            | Token::Whitespace(_)
            | Token::Placeholder(_)
            | Token::Colon
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::TripleSingleQuotedByteStringLiteral(_)
            | Token::TripleDoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedRawStringLiteral(_)
            | Token::DoubleQuotedRawStringLiteral(_)
            | Token::TripleSingleQuotedRawStringLiteral(_)
            | Token::TripleDoubleQuotedRawStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::QuoteDelimitedStringLiteral(_)
            | Token::NationalQuoteDelimitedStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
    )
}

/// The 1-based line and column (in characters) of byte `at`.
pub(crate) fn position_of_byte(sql: &str, at: usize) -> Position {
    let before = &sql[..at];
    Position {
        line: before.matches('\n').count() as u64 + 1,
        column: before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_statements;

    fn code(sql: &str) -> Option<SqlState> {
        parse_statements(sql).err().map(|e| e.code)
    }

    #[test]
    fn long_flat_chains_are_refused_before_parsing() {
        let too_complex = Some(SqlState::StatementTooComplex);
        assert_eq!(code(&format!("SELECT 1{}", "+1".repeat(8000))), too_complex);
        assert_eq!(
            code(&format!("SELECT true{}", " AND true".repeat(3000))),
            too_complex
        );
        assert_eq!(
            code(&format!("SELECT 'a'{}", " || 'a'".repeat(3000))),
            too_complex
        );
        assert_eq!(
            code(&format!("SELECT 1{}", "::text".repeat(3000))),
            too_complex
        );
        assert_eq!(
            code(&format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(3000))),
            too_complex
        );
        // Chains inside brackets add up with the chain around them.
        let inner = format!("({}1)", "1+".repeat(120));
        assert_eq!(code(&format!("SELECT {}", [&inner[..]; 2].join("+"))), None);
        assert_eq!(
            code(&format!("SELECT {}1+{inner}", "1+".repeat(120))),
            too_complex
        );
    }

    #[test]
    fn real_statements_are_far_below_the_bound() {
        let conditions: Vec<String> = (0..60).map(|i| format!("name = 'n{i}'")).collect();
        let sql = format!(
            "SELECT * FROM mz_connections WHERE {}",
            conditions.join(" AND ")
        );
        assert_eq!(code(&sql), None);
        // Lists do not deepen the tree: thousands of items are fine.
        let list: Vec<String> = (0..5000).map(|i| format!("-{i}")).collect();
        assert_eq!(code(&format!("SELECT {}", list.join(", "))), None);
        assert_eq!(
            code(&format!("SELECT 1 WHERE 1 IN ({})", list.join(", "))),
            None
        );
        // Each statement of a script has its own budget.
        let script = format!("SELECT 1{};", "+1".repeat(150)).repeat(100);
        assert_eq!(code(&script), None);
        // 40 set operations are fine.
        assert_eq!(
            code(&format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(40))),
            None
        );
    }

    #[test]
    fn text_checks() {
        assert!(check_text("SELECT 1").is_ok());
        let e = check_text("SELECT\n 'a\0'").unwrap_err();
        assert_eq!(e.code, SqlState::CharacterNotInRepertoire);
        assert_eq!(e.position, Some(Position { line: 2, column: 4 }));
        let e = check_text(&" ".repeat(MAX_INPUT_BYTES + 1)).unwrap_err();
        assert_eq!(e.code, SqlState::ProgramLimitExceeded);
        assert_eq!(check_utf8(b"ok").unwrap(), "ok");
        let e = check_utf8(b"CREATE SECRET s AS '\xe9';").unwrap_err();
        assert_eq!(
            e.message,
            "invalid byte sequence for encoding \"UTF8\": 0xe9 0x27 0x3b"
        );
        assert_eq!(e.code, SqlState::CharacterNotInRepertoire);
        let e = check_utf8(b"x\xff").unwrap_err();
        assert_eq!(
            e.message,
            "invalid byte sequence for encoding \"UTF8\": 0xff"
        );
    }

    #[test]
    fn bidi_controls_are_found() {
        assert_eq!(bidi_control("plain"), None);
        for c in [
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert_eq!(bidi_control(&format!("a{c}b")), Some(c));
        }
        assert_eq!(bidi_control("naïve"), None);
    }
}
