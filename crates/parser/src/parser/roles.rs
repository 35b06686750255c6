//! The role and privilege statements: `CREATE|ALTER|DROP ROLE`, `GRANT`/`REVOKE` of
//! roles and of privileges on secrets, connections and the schema, `ALTER ... OWNER TO`,
//! `SET ROLE` and `RESET ROLE` (Materialize's grammar for them).

use sqlparser::parser::ParserError;
use sqlparser::tokenizer::Token;

use super::{AirlockParser, PResult, is_word};
use crate::ast::*;

impl AirlockParser<'_> {
    /// The role statement ahead, consumed; `None` (nothing consumed) when there is none.
    pub(super) fn parse_role_statement(&mut self) -> PResult<Option<Statement>> {
        let role_words = |this: &Self, verb: &str| {
            this.peek_word_at(0, verb) && this.peek_word_at(1, "ROLE") && this.options_are_ours(3)
        };
        let statement = if role_words(self, "CREATE") && self.parse_words(&["CREATE", "ROLE"]) {
            let name = self.parse_name()?;
            Statement::CreateRole(CreateRole {
                name,
                options: self.parse_role_options(false)?,
            })
        } else if role_words(self, "ALTER") && self.parse_words(&["ALTER", "ROLE"]) {
            let name = self.parse_name()?;
            Statement::AlterRole(AlterRole {
                name,
                options: self.parse_role_options(true)?,
            })
        } else if self.parse_words(&["DROP", "ROLE"]) {
            let if_exists = self.parse_words(&["IF", "EXISTS"]);
            Statement::DropRoles(DropRoles {
                if_exists,
                names: self.parse_name_list()?,
            })
        } else if (self.peek_word_at(0, "GRANT") || self.peek_word_at(0, "REVOKE"))
            && self.grant_is_ours()
        {
            let revoke = self.parse_word("REVOKE");
            if !revoke {
                self.expect_word("GRANT")?;
            }
            self.parse_grant(revoke)?
        } else if self.parse_words(&["SET", "ROLE"]) {
            if self.parse_word("NONE") {
                Statement::SetRole(SetRole {
                    role: None,
                    reset: false,
                })
            } else {
                Statement::SetRole(SetRole {
                    role: Some(self.parse_name()?),
                    reset: false,
                })
            }
        } else if self.parse_words(&["RESET", "ROLE"]) {
            Statement::SetRole(SetRole {
                role: None,
                reset: true,
            })
        } else {
            return Ok(None);
        };
        Ok(Some(statement))
    }

    /// `OWNER TO role` after `ALTER {SECRET | CONNECTION} [IF EXISTS] name`, when it
    /// follows.
    pub(super) fn parse_owner_to(
        &mut self,
        object_type: ObjectType,
        if_exists: bool,
        name: &ItemName,
    ) -> PResult<Option<Statement>> {
        if !self.parse_word("OWNER") {
            return Ok(None);
        }
        self.expect_word("TO")?;
        Ok(Some(Statement::AlterOwner(AlterOwner {
            object_type,
            if_exists,
            name: name.clone(),
            new_owner: self.parse_name()?,
        })))
    }

    /// Whether every token from the `n`th ahead to the statement's end is a role option
    /// Airlock knows (or `WITH`): `CREATE ROLE r PASSWORD '…'` and `ALTER ROLE r SET …`
    /// are the host's statements.
    fn options_are_ours(&self, mut n: usize) -> bool {
        loop {
            match &self.parser.peek_nth_token_ref(n).token {
                Token::EOF | Token::SemiColon => return true,
                t if is_word(t, "WITH")
                    || RoleOption::ALL.iter().any(|o| is_word(t, o.as_str())) =>
                {
                    n += 1
                }
                _ => return false,
            }
        }
    }

    /// Whether the `GRANT`/`REVOKE` ahead is one of Airlock's: a grant of roles (no
    /// `ON` before `TO`/`FROM`), or of privileges on a secret, a connection, all of
    /// either, or a schema. Others (`GRANT SELECT ON TABLE t ...`) are the host's.
    fn grant_is_ours(&self) -> bool {
        let mut n = 1;
        loop {
            let token = &self.parser.peek_nth_token_ref(n).token;
            match token {
                Token::EOF | Token::SemiColon => return false,
                t if is_word(t, "TO") || is_word(t, "FROM") => return true,
                t if is_word(t, "ON") => {
                    let next = |i: usize| &self.parser.peek_nth_token_ref(n + i).token;
                    return ["SECRET", "CONNECTION", "SCHEMA", "SYSTEM"]
                        .iter()
                        .any(|w| is_word(next(1), w))
                        || (is_word(next(1), "ALL")
                            && (is_word(next(2), "SECRETS") || is_word(next(2), "CONNECTIONS")));
                }
                _ => n += 1,
            }
        }
    }

    /// After `GRANT` or `REVOKE`.
    fn parse_grant(&mut self, revoke: bool) -> PResult<Statement> {
        let to = if revoke { "FROM" } else { "TO" };
        let privileges = if self.parse_word("ALL") {
            self.parse_word("PRIVILEGES");
            Some(None)
        } else if ["USAGE", "CREATE", "CREATEROLE"]
            .iter()
            .any(|w| self.peek_word_at(0, w))
        {
            let mut list = Vec::new();
            loop {
                list.push(if self.parse_word("USAGE") {
                    Privilege::Usage
                } else if self.parse_word("CREATE") {
                    Privilege::Create
                } else if self.parse_word("CREATEROLE") {
                    Privilege::CreateRole
                } else {
                    return self.expected_next("USAGE, CREATE or CREATEROLE");
                });
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            Some(Some(list))
        } else {
            None
        };
        let Some(privileges) = privileges else {
            // A grant of roles.
            let roles = self.parse_name_list()?;
            self.expect_word(to)?;
            return Ok(Statement::GrantRole(GrantRole {
                revoke,
                roles,
                members: self.parse_name_list()?,
            }));
        };
        self.expect_word("ON")?;
        let target = if self.parse_word("SECRET") {
            GrantTarget::Objects {
                object_type: ObjectType::Secret,
                names: self.parse_item_name_list()?,
            }
        } else if self.parse_word("CONNECTION") {
            GrantTarget::Objects {
                object_type: ObjectType::Connection,
                names: self.parse_item_name_list()?,
            }
        } else if self.parse_word("SCHEMA") {
            GrantTarget::Schemas(self.parse_schema_name_list()?)
        } else if self.parse_word("SYSTEM") {
            GrantTarget::System
        } else if self.parse_word("ALL") {
            let object_type = if self.parse_word("SECRETS") {
                ObjectType::Secret
            } else if self.parse_word("CONNECTIONS") {
                ObjectType::Connection
            } else {
                return self.expected_next("SECRETS or CONNECTIONS");
            };
            let schemas = if self.parse_words(&["IN", "SCHEMA"]) {
                self.parse_schema_name_list()?
            } else {
                Vec::new()
            };
            GrantTarget::AllObjects {
                object_type,
                schemas,
            }
        } else {
            return self.expected_next("SECRET, CONNECTION, SCHEMA, SYSTEM or ALL");
        };
        self.expect_word(to)?;
        let mut grantees = Vec::new();
        loop {
            grantees.push(if self.parse_word("PUBLIC") {
                Grantee::Public
            } else {
                Grantee::Role(self.parse_name()?)
            });
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        Ok(Statement::GrantPrivileges(GrantPrivileges {
            revoke,
            privileges,
            target,
            grantees,
        }))
    }

    /// `[WITH] option [...]`; at least one option when `required`.
    fn parse_role_options(&mut self, required: bool) -> PResult<Vec<RoleOption>> {
        let with = self.parse_word("WITH");
        let mut options = Vec::new();
        while let Some(option) = RoleOption::ALL
            .into_iter()
            .find(|o| self.peek_word_at(0, o.as_str()))
        {
            self.parser.advance_token();
            options.push(option);
        }
        if options.is_empty() && (required || with) {
            return self.expected_next("SUPERUSER, NOSUPERUSER, LOGIN, NOLOGIN or INHERIT");
        }
        Ok(options)
    }

    fn parse_name_list(&mut self) -> PResult<Vec<Ident>> {
        let mut names = vec![self.parse_name()?];
        while self.parser.consume_token(&Token::Comma) {
            names.push(self.parse_name()?);
        }
        Ok(names)
    }

    fn parse_item_name_list(&mut self) -> PResult<Vec<ItemName>> {
        let mut names = vec![self.parse_item_name()?];
        while self.parser.consume_token(&Token::Comma) {
            names.push(self.parse_item_name()?);
        }
        Ok(names)
    }

    fn parse_schema_name_list(&mut self) -> PResult<Vec<SchemaName>> {
        let mut names = Vec::new();
        loop {
            let first = self.parse_ident()?;
            names.push(if self.parser.consume_token(&Token::Period) {
                let schema = self.parse_ident()?;
                if self.parser.peek_token_ref().token == Token::Period {
                    return Err(ParserError::ParserError(
                        "Expected: a schema name (schema or database.schema), found: .".to_owned(),
                    ));
                }
                SchemaName {
                    database: Some(first),
                    schema,
                }
            } else {
                SchemaName {
                    database: None,
                    schema: first,
                }
            });
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        Ok(names)
    }
}
