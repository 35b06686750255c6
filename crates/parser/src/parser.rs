//! The parser: `sqlparser`'s `Parser`, wrapped.
//!
//! [`AirlockParser`] peeks at the leading words of each statement. The statements Airlock
//! owns it parses itself; everything else goes to `sqlparser`'s `parse_statement`
//! untouched. `CREATE SECRET` and `DROP SECRET` are Airlock's even though `sqlparser`
//! has a DuckDB-flavoured grammar for them: ours is checked first.

use airlock_core::{Position, SqlState};
use std::ops::Range;

use sqlparser::dialect::{Dialect, PostgreSqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Word};

use crate::ast::*;
use crate::error::ParseError;
use crate::input::{bidi_control, bidi_error, check_complexity};

mod roles;

/// The dialect for everything Airlock passes through: its users come from PostgreSQL
/// and Materialize.
pub(crate) const DIALECT: PostgreSqlDialect = PostgreSqlDialect {};

/// How deep expressions may nest before the parser refuses (instead of overflowing the
/// stack). sqlparser's default is 50.
const RECURSION_LIMIT: usize = 50;

/// Parses a script of `;`-separated statements.
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>, ParseError> {
    AirlockParser::new(sql)?.parse_statements()
}

/// Parses a script with a host-chosen `sqlparser` dialect, returning each statement
/// with its source span: the byte range of its text in `sql`, without the `;`.
/// Airlock's own statements parse the same under every dialect.
pub fn parse_script(
    sql: &str,
    dialect: &dyn Dialect,
) -> Result<Vec<(Statement, Range<usize>)>, ParseError> {
    AirlockParser::with_dialect(sql, dialect)?.parse_statements_with_spans(sql)
}

/// Parses exactly one statement (a trailing `;` is allowed).
pub fn parse_statement(sql: &str) -> Result<Statement, ParseError> {
    let mut statements = parse_statements(sql)?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err(ParseError::new(
            "Expected: a statement, found: EOF",
            Some(end_position(sql)),
        )),
        n => Err(ParseError::new(
            format!("expected one statement, found {n}"),
            None,
        )),
    }
}

/// The position just past the last character of `sql`, where "found: EOF" points.
pub(crate) fn end_position(sql: &str) -> Position {
    let line = sql.split('\n').count() as u64;
    let last = sql.rsplit('\n').next().unwrap_or("");
    Position {
        line,
        column: last.chars().count() as u64 + 1,
    }
}

/// sqlparser's parser with Airlock's statements in front of it.
pub struct AirlockParser<'a> {
    parser: Parser<'a>,
    end: Position,
    /// An error richer than sqlparser's (its own SQLSTATE), raised deep in a statement
    /// parser; it replaces the `ParserError` that carried it out.
    pending: Option<ParseError>,
}

impl std::fmt::Debug for AirlockParser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AirlockParser")
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

type PResult<T> = Result<T, ParserError>;

impl<'a> AirlockParser<'a> {
    /// Tokenizes `sql` and checks, on the tokens, that no statement chains or nests
    /// operators too deeply to walk ([`crate::input`]): a statement that does gets 54001
    /// before any syntax tree exists.
    pub fn new(sql: &'a str) -> Result<Self, ParseError> {
        Self::with_dialect(sql, &DIALECT)
    }

    /// A parser whose pass-through statements follow `dialect` (PostgreSQL's in
    /// [`AirlockParser::new`]).
    pub fn with_dialect(sql: &'a str, dialect: &'a dyn Dialect) -> Result<Self, ParseError> {
        let end = end_position(sql);
        let tokens = Tokenizer::new(dialect, sql)
            .with_unescape(true)
            .tokenize_with_location()
            .map_err(|e| {
                ParseError::from_sqlparser(ParserError::TokenizerError(e.to_string()), end)
            })?;
        check_complexity(&tokens, end)?;
        let parser = Parser::new(dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .with_tokens_with_locations(tokens);
        Ok(AirlockParser {
            parser,
            end,
            pending: None,
        })
    }

    fn err(&self, e: ParserError) -> ParseError {
        ParseError::from_sqlparser(e, self.end)
    }

    /// Parses statements until the end of input, `;` between them.
    pub fn parse_statements(&mut self) -> Result<Vec<Statement>, ParseError> {
        let mut statements = Vec::new();
        self.parse_each(|statement, _, _| statements.push(statement))?;
        Ok(statements)
    }

    /// [`AirlockParser::parse_statements`], with each statement's byte range in `sql`
    /// (the text this parser was made from).
    pub fn parse_statements_with_spans(
        &mut self,
        sql: &str,
    ) -> Result<Vec<(Statement, Range<usize>)>, ParseError> {
        let lines = crate::script::LineIndex::new(sql);
        let mut statements = Vec::new();
        self.parse_each(|statement, start, end| {
            let start = lines.offset(start);
            let end = lines.offset(end).max(start);
            statements.push((statement, start..end));
        })?;
        Ok(statements)
    }

    fn parse_each(
        &mut self,
        mut each: impl FnMut(Statement, sqlparser::tokenizer::Location, sqlparser::tokenizer::Location),
    ) -> Result<(), ParseError> {
        let mut expecting_delimiter = false;
        loop {
            while self.parser.consume_token(&Token::SemiColon) {
                expecting_delimiter = false;
            }
            if self.parser.peek_token_ref().token == Token::EOF {
                return Ok(());
            }
            if expecting_delimiter {
                let found = self.parser.peek_token();
                return Err(self.err(expected_err("end of statement", &found)));
            }
            let start = self.parser.peek_token_ref().span.start;
            let statement = self.parse_statement()?;
            // The last token the statement consumed: sqlparser may stand on the
            // whitespace after it.
            let mut last = self.parser.get_current_index();
            while last > 0 && matches!(self.parser.token_at(last).token, Token::Whitespace(_)) {
                last -= 1;
            }
            each(statement, start, self.parser.token_at(last).span.end);
            expecting_delimiter = true;
        }
    }

    /// Parses one statement, Airlock's or `sqlparser`'s.
    pub fn parse_statement(&mut self) -> Result<Statement, ParseError> {
        match self.parse_airlock_statement() {
            Ok(Some(statement)) => Ok(statement),
            Ok(None) => self
                .parser
                .parse_statement()
                .map(|s| Statement::Sql(Box::new(s)))
                .map_err(|e| self.err(e)),
            Err(Failure::Syntax(e)) => Err(self.pending.take().unwrap_or_else(|| self.err(e))),
            Err(Failure::Rich(e)) => Err(e),
        }
    }

    /// `Ok(None)` when the statement is not one of Airlock's; nothing is consumed then.
    fn parse_airlock_statement(&mut self) -> Result<Option<Statement>, Failure> {
        if let Some(statement) = self.parse_role_statement()? {
            return Ok(Some(statement));
        }
        let statement = if self.peek_word_at(0, "CREATE") && self.peek_word_at(1, "SECRET") {
            self.advance(2);
            self.parse_create_secret()?
        } else if self.peek_word_at(0, "CREATE") && self.peek_word_at(1, "CONNECTION") {
            self.advance(2);
            self.parse_create_connection()?
        } else if self.peek_word_at(0, "ALTER") && self.peek_word_at(1, "SECRET") {
            self.advance(2);
            self.parse_alter_secret()?
        } else if self.peek_word_at(0, "ALTER") && self.peek_word_at(1, "CONNECTION") {
            self.advance(2);
            self.parse_alter_connection()?
        } else if self.peek_word_at(0, "ALTER") && self.peek_word_at(1, "SYSTEM") {
            self.advance(2);
            self.parse_alter_system()?
        } else if self.peek_word_at(0, "DROP") && self.peek_word_at(1, "SECRET") {
            self.advance(2);
            self.parse_drop(ObjectType::Secret)?
        } else if self.peek_word_at(0, "DROP") && self.peek_word_at(1, "CONNECTION") {
            self.advance(2);
            self.parse_drop(ObjectType::Connection)?
        } else if self.peek_word_at(0, "COMMENT")
            && self.peek_word_at(1, "ON")
            && (self.peek_word_at(2, "SECRET") || self.peek_word_at(2, "CONNECTION"))
        {
            let object_type = if self.peek_word_at(2, "SECRET") {
                ObjectType::Secret
            } else {
                ObjectType::Connection
            };
            self.advance(3);
            self.parse_comment(object_type)?
        } else if self.peek_word_at(0, "SELECT") && self.selects_from_show() {
            self.advance(1);
            self.parse_select_from_show()?
        } else if self.peek_word_at(0, "VALIDATE") {
            self.advance(1);
            self.expect_word("CONNECTION")?;
            Statement::ValidateConnection(ValidateConnection {
                name: self.parse_item_name()?,
            })
        } else if self.peek_word_at(0, "SHOW") {
            match self.parse_show()? {
                Some(statement) => statement,
                None => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        Ok(Some(statement))
    }

    // ---- statements -------------------------------------------------------------------

    fn parse_create_secret(&mut self) -> PResult<Statement> {
        let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
        let name = self.parse_item_name()?;
        if !self.parse_word("AS") && !self.parser.consume_token(&Token::Eq) {
            return self.expected_next("AS or =");
        }
        let value = self.parse_secret_value()?;
        Ok(Statement::CreateSecret(CreateSecret {
            if_not_exists,
            name,
            value,
        }))
    }

    fn parse_alter_secret(&mut self) -> PResult<Statement> {
        let if_exists = self.parse_words(&["IF", "EXISTS"]);
        let name = self.parse_item_name()?;
        if let Some(statement) = self.parse_owner_to(ObjectType::Secret, if_exists, &name)? {
            return Ok(statement);
        }
        if self.parse_word("RENAME") {
            self.expect_word("TO")?;
            return Ok(Statement::RenameObject(RenameObject {
                object_type: ObjectType::Secret,
                if_exists,
                name,
                new_name: self.parse_name()?,
            }));
        }
        if !self.parse_word("AS") && !self.parser.consume_token(&Token::Eq) {
            return self.expected_next("AS, RENAME TO or OWNER TO");
        }
        let value = self.parse_secret_value()?;
        Ok(Statement::AlterSecret(AlterSecret {
            if_exists,
            name,
            value,
        }))
    }

    fn parse_create_connection(&mut self) -> Result<Statement, Failure> {
        let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
        let name = self.parse_item_name()?;
        self.expect_word("TO")?;
        if !self.parse_word("AWS") {
            let found = self.parser.peek_token();
            let position = self.position_of(&found);
            return Err(Failure::Rich(
                ParseError::new(
                    format!("Expected: AWS, found: {}", found_text(&found)),
                    Some(position),
                )
                .with_hint(
                    "Airlock manages AWS connections only: CREATE CONNECTION name TO AWS (...).",
                ),
            ));
        }
        self.parser.expect_token(&Token::LParen)?;
        let mut options = Vec::new();
        let mut unsupported = Vec::new();
        let mut first_unsupported = None;
        if !self.parser.consume_token(&Token::RParen) {
            loop {
                let at = self.parser.peek_token();
                match self.parse_aws_option_or_other()? {
                    Ok(option) => options.push(option),
                    Err(other) => {
                        first_unsupported.get_or_insert_with(|| self.position_of(&at));
                        unsupported.push(other);
                    }
                }
                if self.parser.consume_token(&Token::RParen) {
                    break;
                }
                if !self.parser.consume_token(&Token::Comma) {
                    return Err(self.expected_here("a comma or )").into());
                }
            }
        }
        if !unsupported.is_empty() {
            return Err(Failure::Rich(unsupported_options(
                &unsupported,
                first_unsupported,
            )));
        }
        let validate = self.parse_with_validate()?;
        Ok(Statement::CreateConnection(CreateConnection {
            if_not_exists,
            name,
            options,
            validate,
        }))
    }

    fn parse_alter_connection(&mut self) -> Result<Statement, Failure> {
        let if_exists = self.parse_words(&["IF", "EXISTS"]);
        let name = self.parse_item_name()?;
        if let Some(statement) = self.parse_owner_to(ObjectType::Connection, if_exists, &name)? {
            return Ok(statement);
        }
        if self.parse_word("RENAME") {
            self.expect_word("TO")?;
            return Ok(Statement::RenameObject(RenameObject {
                object_type: ObjectType::Connection,
                if_exists,
                name,
                new_name: self.parse_name()?,
            }));
        }
        let mut actions = Vec::new();
        loop {
            let action = if self.parse_word("SET") {
                self.parser.expect_token(&Token::LParen)?;
                let option = self.parse_aws_option()?;
                self.parser.expect_token(&Token::RParen)?;
                AlterConnectionAction::Set(option)
            } else if self.parse_word("RESET") {
                AlterConnectionAction::Reset(self.parse_parenthesized_option_name()?)
            } else if self.parse_word("DROP") {
                AlterConnectionAction::Drop(self.parse_parenthesized_option_name()?)
            } else if actions.is_empty() {
                return Err(self.expected_here("SET, RESET, DROP or RENAME TO").into());
            } else {
                return Err(self.expected_here("SET, RESET or DROP").into());
            };
            actions.push(action);
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        let validate = self.parse_with_validate()?;
        Ok(Statement::AlterConnection(AlterConnection {
            if_exists,
            name,
            actions,
            validate,
        }))
    }

    fn parse_alter_system(&mut self) -> PResult<Statement> {
        if self.parse_word("RESET") {
            return Ok(Statement::AlterSystem(AlterSystem {
                name: self.parse_name()?,
                value: None,
                form: AlterSystemForm::Reset,
            }));
        }
        if !self.parse_word("SET") {
            return self.expected_next("SET or RESET");
        }
        let name = self.parse_name()?;
        if !self.parse_word("TO") && !self.parser.consume_token(&Token::Eq) {
            return self.expected_next("= or TO");
        }
        // A boolean written bare is its text, as in PostgreSQL's `SET x = on`: `= true`
        // is `= 'true'` (the planner judges the value). Other values are quoted.
        let value = if self.parse_word("DEFAULT") {
            None
        } else if let Some(word) = ["true", "false", "on", "off"]
            .into_iter()
            .find(|w| self.peek_word_at(0, w))
        {
            self.parser.advance_token();
            Some(word.to_owned())
        } else {
            Some(self.parse_string()?)
        };
        Ok(Statement::AlterSystem(AlterSystem {
            name,
            value,
            form: AlterSystemForm::Set,
        }))
    }

    fn parse_drop(&mut self, object_type: ObjectType) -> PResult<Statement> {
        let if_exists = self.parse_words(&["IF", "EXISTS"]);
        let mut names = vec![self.parse_item_name()?];
        while self.parser.consume_token(&Token::Comma) {
            names.push(self.parse_item_name()?);
        }
        let behavior = if self.parse_word("CASCADE") {
            Some(DropBehavior::Cascade)
        } else if self.parse_word("RESTRICT") {
            Some(DropBehavior::Restrict)
        } else {
            None
        };
        Ok(Statement::DropObjects(DropObjects {
            object_type,
            if_exists,
            names,
            behavior,
        }))
    }

    /// Whether the `SELECT` ahead reads `FROM (SHOW ...)`: its first `FROM` outside
    /// parentheses is followed by `(` and `SHOW`. One pass over the statement's tokens
    /// (by index: peeking the n-th token costs n).
    fn selects_from_show(&self) -> bool {
        let select = self.parser.peek_token_ref().span;
        let mut i = self.parser.get_current_index();
        while self.parser.token_at(i).span != select {
            if self.parser.token_at(i).token == Token::EOF {
                return false;
            }
            i += 1;
        }
        // The next `n` tokens after `i` that are not whitespace.
        let next = |mut i: usize, n: usize| -> Vec<&Token> {
            let mut out = Vec::new();
            while out.len() < n {
                i += 1;
                match &self.parser.token_at(i).token {
                    Token::Whitespace(_) => {}
                    Token::EOF => break,
                    t => out.push(t),
                }
            }
            out
        };
        let mut depth = 0usize;
        loop {
            i += 1;
            match &self.parser.token_at(i).token {
                Token::EOF | Token::SemiColon => return false,
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                t if depth == 0 && is_word(t, "FROM") => {
                    return matches!(
                        next(i, 2)[..],
                        [Token::LParen, show] if is_word(show, "SHOW")
                    );
                }
                _ => {}
            }
        }
    }

    /// `SELECT` (consumed) `{* | col, ...} FROM (SHOW [REDACTED] CREATE CONNECTION name)
    /// [[AS] alias]`.
    fn parse_select_from_show(&mut self) -> PResult<Statement> {
        let columns = if self.parser.consume_token(&Token::Mul) {
            None
        } else {
            let mut columns = Vec::new();
            loop {
                let at = self.parser.peek_token();
                let at = self.position_of(&at);
                let mut column = self.parse_ident()?;
                // `alias.column`: the qualifier is checked against the alias below.
                let mut qualifier = None;
                if self.parser.consume_token(&Token::Period) {
                    qualifier = Some(column);
                    column = self.parse_ident()?;
                }
                columns.push((qualifier, column, at));
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            Some(columns)
        };
        self.expect_word("FROM")?;
        self.parser.expect_token(&Token::LParen)?;
        self.expect_word("SHOW")?;
        let redacted = self.parse_word("REDACTED");
        self.expect_word("CREATE")?;
        self.expect_word("CONNECTION")?;
        let name = self.parse_item_name()?;
        self.parser.expect_token(&Token::RParen)?;
        let alias = if self.parse_word("AS")
            || matches!(&self.parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::NoKeyword || w.quote_style.is_some())
        {
            Some(self.parse_name()?)
        } else {
            None
        };
        let columns = match columns {
            None => None,
            Some(columns) => {
                let mut bare = Vec::new();
                for (qualifier, column, at) in columns {
                    if let Some(q) = qualifier
                        && alias.as_ref() != Some(&q)
                    {
                        // PostgreSQL's message and SQLSTATE (42P01).
                        self.pending = Some(ParseError::with_code(
                            SqlState::UndefinedTable,
                            format!("missing FROM-clause entry for table \"{}\"", q.as_str()),
                            Some(at),
                        ));
                        return Err(ParserError::ParserError("missing FROM entry".to_owned()));
                    }
                    bare.push(column);
                }
                Some(bare)
            }
        };
        Ok(Statement::SelectFromShowCreate(SelectFromShowCreate {
            columns,
            show: ShowCreateConnection { redacted, name },
            alias,
        }))
    }

    /// `SHOW` forms Airlock owns; `None` (nothing consumed) for the rest.
    fn parse_show(&mut self) -> PResult<Option<Statement>> {
        let object_type = if self.peek_word_at(1, "CONNECTIONS") {
            Some(ObjectType::Connection)
        } else if self.peek_word_at(1, "SECRETS") {
            Some(ObjectType::Secret)
        } else {
            None
        };
        if let Some(object_type) = object_type {
            self.advance(2);
            let like = if self.parse_word("LIKE") {
                Some(self.parse_string()?)
            } else {
                None
            };
            return Ok(Some(Statement::ShowObjects(ShowObjects {
                object_type,
                like,
            })));
        }
        let redacted = self.peek_word_at(1, "REDACTED");
        let create_at = if redacted { 2 } else { 1 };
        if self.peek_word_at(create_at, "CREATE") && self.peek_word_at(create_at + 1, "CONNECTION")
        {
            self.advance(create_at + 2);
            return Ok(Some(Statement::ShowCreateConnection(
                ShowCreateConnection {
                    redacted,
                    name: self.parse_item_name()?,
                },
            )));
        }
        if redacted {
            self.advance(2);
            return self.expected_next("CREATE CONNECTION");
        }
        let variable = match &self.parser.peek_nth_token_ref(1).token {
            Token::Word(w) => {
                let name = fold(w);
                SystemVariable::from_name(&name)
            }
            _ => None,
        };
        match variable {
            Some(variable) => {
                self.advance(2);
                Ok(Some(Statement::ShowVariable(ShowVariable { variable })))
            }
            None => Ok(None),
        }
    }

    // ---- pieces -----------------------------------------------------------------------

    /// One `name [=] value` of an AWS connection, or a switch written alone (`USE
    /// DEFAULT CREDENTIALS`), which takes no value.
    fn parse_aws_option(&mut self) -> Result<AwsOption, Failure> {
        let name = self.parse_aws_option_name()?;
        if name.is_flag() {
            if !matches!(
                self.parser.peek_token_ref().token,
                Token::Comma | Token::RParen
            ) {
                let found = self.parser.peek_token();
                return Err(Failure::Rich(
                    ParseError::new(
                        format!(
                            "Expected: , or ) after {name}, found: {}",
                            found_text(&found)
                        ),
                        Some(self.position_of(&found)),
                    )
                    .with_hint(format!("{name} takes no value: write it alone.")),
                ));
            }
            return Ok(AwsOption {
                name,
                value: OptionValue::Flag,
            });
        }
        let _ = self.parser.consume_token(&Token::Eq);
        let value = self.parse_option_value()?;
        Ok(AwsOption { name, value })
    }

    /// An AWS option, or (as `Err`) the name of an option of Materialize's other
    /// connection types, whose value is skipped unread: the statement is refused once
    /// the list is read, naming every such option at once, as Materialize does.
    fn parse_aws_option_or_other(&mut self) -> Result<Result<AwsOption, &'static str>, Failure> {
        if let Some(other) = self.parse_other_option_name() {
            let _ = self.parser.consume_token(&Token::Eq);
            self.skip_option_value();
            return Ok(Err(other));
        }
        self.parse_aws_option().map(Ok)
    }

    /// `'string'`, `SECRET name`, or an identifier standing for its text.
    fn parse_option_value(&mut self) -> Result<OptionValue, Failure> {
        // `SECRET name`; a lone `secret` before `,` or `)` is an identifier value.
        let secret_reference = self.peek_word_at(0, "SECRET")
            && !matches!(
                self.parser.peek_nth_token_ref(1).token,
                Token::Comma | Token::RParen
            );
        if secret_reference {
            self.advance(1);
            return Ok(OptionValue::Secret(self.parse_item_name()?));
        }
        let token = self.parser.peek_token();
        match &token.token {
            t if is_string_token(t) => Ok(OptionValue::String(self.parse_string()?)),
            Token::Word(w) if w.quote_style.is_none() || w.quote_style == Some('"') => {
                if let Some(c) = bidi_control(&w.value) {
                    return Err(Failure::Rich(bidi_error(c, Some(self.position_of(&token)))));
                }
                self.parser.advance_token();
                Ok(OptionValue::String(fold(w)))
            }
            _ => Err(self
                .value_error("a string literal, an identifier or SECRET name")
                .into()),
        }
    }

    /// Consumes one option value of any shape: tokens up to the `,` or `)` that ends it,
    /// brackets balanced.
    fn skip_option_value(&mut self) {
        let mut depth = 0usize;
        loop {
            match &self.parser.peek_token_ref().token {
                Token::EOF | Token::SemiColon => return,
                Token::Comma | Token::RParen if depth == 0 => return,
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.parser.advance_token();
        }
    }

    /// The name of an option of Materialize's other connection types, if one is ahead
    /// (consumed then).
    fn parse_other_option_name(&mut self) -> Option<&'static str> {
        // Longest first, so that `SSL CERTIFICATE AUTHORITY` is not read as `SSL
        // CERTIFICATE`.
        let mut best: Option<&'static str> = None;
        for candidate in OTHER_CONNECTION_OPTIONS {
            let matches = candidate
                .split(' ')
                .enumerate()
                .all(|(i, w)| self.peek_word_at(i, w));
            if matches && best.is_none_or(|b| b.len() < candidate.len()) {
                best = Some(candidate);
            }
        }
        let best = best?;
        // Words shared with AWS options (`SECRET ACCESS KEY` is not `SECRET`) never
        // reach here: no entry of the list starts like an AWS option.
        self.advance(best.split(' ').count());
        Some(best)
    }

    fn parse_parenthesized_option_name(&mut self) -> Result<AwsOptionName, Failure> {
        self.parser.expect_token(&Token::LParen)?;
        let name = self.parse_aws_option_name()?;
        self.parser.expect_token(&Token::RParen)?;
        Ok(name)
    }

    /// Matches the words ahead against every option name. On a miss, the error names the
    /// words that were found and lists every valid option, with the closest as a hint.
    fn parse_aws_option_name(&mut self) -> Result<AwsOptionName, Failure> {
        for option in AwsOptionName::ALL {
            let words: Vec<&str> = option.words().collect();
            let matches = words
                .iter()
                .enumerate()
                .all(|(i, w)| self.peek_word_at(i, w));
            // `ASSUME ROLE ARN` is a prefix of no other option, but guard against a future
            // one that is: a longer name must not be cut short by a shorter one.
            if matches {
                self.advance(words.len());
                return Ok(option);
            }
        }
        let start = self.parser.peek_token();
        let position = self.position_of(&start);
        let mut found = Vec::new();
        for i in 0..6 {
            match &self.parser.peek_nth_token_ref(i).token {
                Token::Word(w) if w.quote_style.is_none() => {
                    found.push(w.value.to_ascii_uppercase())
                }
                _ => break,
            }
        }
        let valid = AwsOptionName::ALL.map(AwsOptionName::as_str).join(", ");
        if found.is_empty() {
            return Err(Failure::Rich(ParseError::new(
                format!(
                    "Expected: an AWS connection option ({valid}), found: {}",
                    found_text(&start)
                ),
                Some(position),
            )));
        }
        let found_text = found.join(" ");
        let mut err = ParseError::new(
            format!("{found_text} is not an AWS connection option; expected one of: {valid}"),
            Some(position),
        );
        if let Some(closest) = closest_option(&found_text) {
            err = err.with_hint(format!("Did you mean {closest}?"));
        }
        Err(Failure::Rich(err))
    }

    fn parse_comment(&mut self, object_type: ObjectType) -> PResult<Statement> {
        let name = self.parse_item_name()?;
        self.expect_word("IS")?;
        let comment = if self.parse_word("NULL") {
            None
        } else if is_string_token(&self.parser.peek_token_ref().token) {
            Some(self.parse_string()?)
        } else {
            return self.expected_next("a string literal or NULL");
        };
        Ok(Statement::Comment(Comment {
            object_type,
            name,
            comment,
        }))
    }

    /// A secret's value: an expression the planner evaluates. A bare word there is a
    /// value typed without its quotes (`AS wJalrXUtnFEMI`): refused here, without
    /// echoing it, with a hint to quote it.
    fn parse_secret_value(&mut self) -> PResult<SecretValue> {
        let first = self.parser.peek_token();
        let constant = matches!(&first.token, Token::Word(w) if w.quote_style.is_none()
            && matches!(w.keyword, Keyword::NULL | Keyword::TRUE | Keyword::FALSE));
        let bare_word = matches!(first.token, Token::Word(_))
            && !constant
            && matches!(
                self.parser.peek_nth_token_ref(1).token,
                Token::EOF | Token::SemiColon | Token::Word(_) | Token::Period
            );
        if bare_word || first.token == Token::EOF || first.token == Token::SemiColon {
            return Err(self.value_error("a string literal"));
        }
        // Any word of the expression may be part of a secret typed without quotes
        // (`decode(wJalr XUtn, ...)`): errors inside it, and after it, name what they
        // found by its kind, never by its text.
        let expr = match self.parser.parse_expr() {
            Ok(expr) => expr,
            Err(ParserError::ParserError(message)) => {
                let expected = message
                    .split_once(", found: ")
                    .and_then(|(head, _)| head.strip_prefix("Expected: "))
                    .unwrap_or("an expression")
                    .to_owned();
                return Err(self.value_error(&expected));
            }
            Err(other) => return Err(other),
        };
        match &self.parser.peek_token_ref().token {
            Token::EOF | Token::SemiColon => {}
            // The next statement without its `;`: named, as anywhere else.
            t if STATEMENT_WORDS.iter().any(|w| is_word(t, w)) => {
                return self.expected_next("end of statement");
            }
            _ => return Err(self.value_error("end of statement")),
        }
        Ok(SecretValue::new(expr))
    }

    /// `WITH (VALIDATE [[=] true | false])`, if present.
    fn parse_with_validate(&mut self) -> PResult<Option<bool>> {
        if !self.parser.parse_keyword(Keyword::WITH) {
            return Ok(None);
        }
        self.parser.expect_token(&Token::LParen)?;
        self.expect_word("VALIDATE")?;
        let _ = self.parser.consume_token(&Token::Eq);
        let value = if self.parse_word("TRUE") {
            true
        } else if self.parse_word("FALSE") {
            false
        } else if self.parser.peek_token_ref().token == Token::RParen {
            true
        } else {
            return self.expected_next("TRUE, FALSE or )");
        };
        self.parser.expect_token(&Token::RParen)?;
        Ok(Some(value))
    }

    /// A single-part name, folded the PostgreSQL way: at most [`MAX_IDENT_BYTES`] bytes
    /// (42622), and not `.` or `..` (42602), as in Materialize.
    fn parse_name(&mut self) -> PResult<Ident> {
        let name = self.parse_ident()?;
        if self.parser.peek_token_ref().token == Token::Period {
            let found = self.parser.peek_token();
            return Err(expected_err("end of statement", &found));
        }
        Ok(name)
    }

    fn parse_ident(&mut self) -> PResult<Ident> {
        let token = self.parser.next_token();
        match &token.token {
            Token::Word(w) if w.quote_style == Some('"') && w.value.is_empty() => {
                Err(ParserError::ParserError(format!(
                    "zero-length delimited identifier{}",
                    token.span.start
                )))
            }
            Token::Word(w) if w.quote_style.is_none() || w.quote_style == Some('"') => {
                let position = self.position_of(&token);
                if let Some(c) = bidi_control(&w.value) {
                    // Reported as its own error (42602) by `parse_statement`.
                    self.pending = Some(bidi_error(c, Some(position)));
                    return Err(ParserError::ParserError("bidirectional control".to_owned()));
                }
                if w.value.len() > MAX_IDENT_BYTES {
                    self.pending = Some(
                        ParseError::with_code(
                            SqlState::NameTooLong,
                            format!("identifier length exceeds {MAX_IDENT_BYTES} bytes"),
                            Some(position),
                        )
                        .with_hint("Use a shorter name."),
                    );
                    return Err(ParserError::ParserError("identifier too long".to_owned()));
                }
                if w.value == "." || w.value == ".." {
                    self.pending = Some(
                        ParseError::with_code(
                            SqlState::InvalidName,
                            "invalid identifier",
                            Some(position),
                        )
                        .with_hint("\".\" and \"..\" cannot be names."),
                    );
                    return Err(ParserError::ParserError("invalid identifier".to_owned()));
                }
                Ok(Ident::new(fold(w)))
            }
            _ => Err(expected_err("a name", &token)),
        }
    }

    /// A name of one to three parts (`name`, `schema.name`, `database.schema.name`).
    fn parse_item_name(&mut self) -> PResult<ItemName> {
        let start = self.parser.peek_token();
        let mut parts = vec![self.parse_ident()?];
        while self.parser.consume_token(&Token::Period) {
            parts.push(self.parse_ident()?);
        }
        if parts.len() > 3 {
            self.pending = Some(ParseError::new(
                "qualified name did not have between 1 and 3 components",
                Some(self.position_of(&start)),
            ));
            return Err(ParserError::ParserError("too many components".to_owned()));
        }
        let name = parts.pop().expect("at least one part");
        let schema = parts.pop();
        let database = parts.pop();
        Ok(ItemName {
            database,
            schema,
            name,
        })
    }

    /// The error for something other than a value where `what` was expected (a secret's
    /// value, an option value). It describes what it found without quoting it: `CREATE
    /// SECRET s AS wJalrXUtnFEMI` is a secret typed without its quotes.
    fn value_error(&mut self, what: &str) -> ParserError {
        let found = self.parser.peek_token();
        let kind = match &found.token {
            Token::EOF => "EOF".to_owned(),
            Token::Word(_) => "a word".to_owned(),
            Token::Number(..) => "a number".to_owned(),
            t if is_literal_token(t) => literal_kind(t).to_owned(),
            Token::Comma | Token::RParen | Token::LParen | Token::SemiColon => found.to_string(),
            _ => "a symbol".to_owned(),
        };
        let message = format!("Expected: {what}, found: {kind}");
        let mut error = ParseError::new(message.clone(), Some(self.position_of(&found)));
        if matches!(found.token, Token::Word(_) | Token::Number(..)) {
            error = error.with_hint("Values are string literals: put the value in quotes ('...').");
        }
        // Reported with its hint by `parse_statement`.
        self.pending = Some(error);
        ParserError::ParserError(format!("{message}{}", found.span.start))
    }

    /// A string literal: `'...'`, `E'...'` or a dollar-quoted string.
    fn parse_string(&mut self) -> PResult<String> {
        let token = self.parser.next_token();
        match token.token {
            Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => Ok(s),
            Token::DollarQuotedString(s) => Ok(s.value),
            _ => Err(expected_err("a string literal", &token)),
        }
    }

    // ---- words ------------------------------------------------------------------------

    /// Whether the `n`th token ahead is the unquoted word `word` (any case).
    fn peek_word_at(&self, n: usize, word: &str) -> bool {
        is_word(&self.parser.peek_nth_token_ref(n).token, word)
    }

    fn parse_word(&mut self, word: &str) -> bool {
        let hit = self.peek_word_at(0, word);
        if hit {
            self.parser.advance_token();
        }
        hit
    }

    /// Consumes all of `words` or none of them.
    fn parse_words(&mut self, words: &[&str]) -> bool {
        let hit = words
            .iter()
            .enumerate()
            .all(|(i, w)| self.peek_word_at(i, w));
        if hit {
            self.advance(words.len());
        }
        hit
    }

    fn expect_word(&mut self, word: &str) -> PResult<()> {
        if self.parse_word(word) {
            Ok(())
        } else {
            self.expected_next(word)
        }
    }

    fn advance(&mut self, n: usize) {
        for _ in 0..n {
            self.parser.advance_token();
        }
    }

    fn expected_next<T>(&self, what: &str) -> PResult<T> {
        Err(self.expected_here(what))
    }

    fn expected_here(&self, what: &str) -> ParserError {
        expected_err(what, self.parser.peek_token_ref())
    }

    fn position_of(&self, token: &TokenWithSpan) -> Position {
        if token.token == Token::EOF || token.span.start.line == 0 {
            self.end
        } else {
            Position {
                line: token.span.start.line,
                column: token.span.start.column,
            }
        }
    }
}

/// Errors from the statement parsers: plain sqlparser errors, or ours with a hint.
enum Failure {
    Syntax(ParserError),
    Rich(ParseError),
}

impl From<ParserError> for Failure {
    fn from(e: ParserError) -> Self {
        Failure::Syntax(e)
    }
}

/// sqlparser's `Expected: X, found: Y at Line: l, Column: c`.
fn expected_err(what: &str, found: &TokenWithSpan) -> ParserError {
    ParserError::ParserError(format!(
        "Expected: {what}, found: {}{}",
        found_text(found),
        found.span.start
    ))
}

/// How an error names the token it found. A string literal is named, not quoted: its
/// text may be a secret value (`CREATE SECRET s 'hunter2'` is missing its `AS`), and
/// errors travel to logs and terminals.
pub(crate) fn found_text(found: &TokenWithSpan) -> String {
    if is_literal_token(&found.token) {
        "a string literal".to_owned()
    } else {
        found.to_string()
    }
}

pub(crate) fn is_literal_token(token: &Token) -> bool {
    matches!(
        token,
        Token::SingleQuotedString(_)
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
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
    )
}

/// Words that begin a statement: after a secret's value, one is a missing `;`, not part of
/// the value, and an error may name it.
const STATEMENT_WORDS: &[&str] = &[
    "ALTER", "COMMENT", "CREATE", "DELETE", "DROP", "INSERT", "SELECT", "SHOW", "UPDATE",
    "VALIDATE", "WITH",
];

/// The longest identifier, in bytes (Materialize's `max_identifier_length`).
pub const MAX_IDENT_BYTES: usize = 255;

/// Options of Materialize's other connection types (Kafka, Confluent Schema Registry,
/// PostgreSQL, MySQL, SQL Server, SSH tunnels, PrivateLink, Iceberg catalogs): given to
/// an AWS connection they are refused by name, as Materialize refuses them.
const OTHER_CONNECTION_OPTIONS: &[&str] = &[
    "AVAILABILITY ZONES",
    "AWS CONNECTION",
    "AWS PRIVATELINK",
    "BROKER",
    "BROKERS",
    "CATALOG TYPE",
    "CREDENTIAL",
    "DATABASE",
    "HOST",
    "PASSWORD",
    "PORT",
    "PROGRESS TOPIC",
    "PROGRESS TOPIC REPLICATION FACTOR",
    "PUBLIC KEY 1",
    "PUBLIC KEY 2",
    "SASL MECHANISMS",
    "SASL PASSWORD",
    "SASL USERNAME",
    "SECURITY PROTOCOL",
    "SERVICE NAME",
    "SSH TUNNEL",
    "SSL CERTIFICATE",
    "SSL CERTIFICATE AUTHORITY",
    "SSL KEY",
    "SSL MODE",
    "URL",
    "USER",
    "USERNAME",
    "WAREHOUSE",
];

/// `AWS connections do not support BROKER, PORT values`, in the order given.
fn unsupported_options(names: &[&str], position: Option<Position>) -> ParseError {
    let mut unique: Vec<&str> = Vec::new();
    for name in names {
        if !unique.contains(name) {
            unique.push(name);
        }
    }
    let valid = AwsOptionName::ALL.map(AwsOptionName::as_str).join(", ");
    ParseError::with_code(
        SqlState::InvalidParameterValue,
        format!(
            "AWS connections do not support {} values",
            unique.join(", ")
        ),
        position,
    )
    .with_hint(format!("AWS connections take {valid}."))
}

/// What an error calls a literal the parser did not expect, by its kind (never its text).
fn literal_kind(token: &Token) -> &'static str {
    match token {
        Token::HexStringLiteral(_) => "a hexadecimal string literal",
        Token::NationalStringLiteral(_) => "a national string literal",
        Token::UnicodeStringLiteral(_) => "a Unicode escape string literal",
        Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::TripleSingleQuotedByteStringLiteral(_)
        | Token::TripleDoubleQuotedByteStringLiteral(_) => "a byte string literal",
        Token::DoubleQuotedString(_) | Token::TripleDoubleQuotedString(_) => {
            "a double-quoted string"
        }
        _ => "a string literal of another kind",
    }
}

fn is_string_token(token: &Token) -> bool {
    matches!(
        token,
        Token::SingleQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::DollarQuotedString(_)
    )
}

fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// PostgreSQL's identifier folding: unquoted names are lower-cased (ASCII only, as for
/// UTF-8 databases), quoted names are kept as written.
fn fold(word: &Word) -> String {
    match word.quote_style {
        None => word.value.to_ascii_lowercase(),
        Some(_) => word.value.clone(),
    }
}

/// The option name closest to what was typed, if it is close enough to be a typo.
fn closest_option(found: &str) -> Option<&'static str> {
    AwsOptionName::ALL
        .iter()
        .map(|o| (edit_distance(found, o.as_str()), o.as_str()))
        .min()
        .filter(|(d, name)| *d <= name.len() / 3)
        .map(|(_, name)| name)
}

/// Levenshtein distance over bytes; both inputs are short.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("ASSUME ROLE ARM", "ASSUME ROLE ARN"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest_option("ASSUME ROLE ARM"), Some("ASSUME ROLE ARN"));
        assert_eq!(closest_option("FOO"), None);
    }

    #[test]
    fn end_position_counts_characters() {
        assert_eq!(end_position(""), Position { line: 1, column: 1 });
        assert_eq!(end_position("ab\ncdé"), Position { line: 2, column: 4 });
    }
}
