//! SQL pieces diesel's DSL cannot say, written so their statements stay prepared.
//!
//! diesel never caches a statement that contains `sql()` (the literal may carry binds of
//! any shape) or a SQLite `IN (?, ?, …)` list (its length varies), so each use is parsed
//! and planned again; on a filtered browse page that cost as much as running the queries.
//! A [`TextCondition`] has fixed text and one bind, so the statement cache keeps it (keyed
//! by its SQL text).

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel::{QueryResult, expression::is_aggregate};

use super::MultiBackend;

/// A condition with one text bind: `before ? after`, e.g. a full-text match.
#[derive(Debug, Clone)]
pub struct TextCondition {
    before: &'static str,
    value: String,
    after: &'static str,
}

impl TextCondition {
    pub fn new(before: &'static str, value: String, after: &'static str) -> Self {
        Self {
            before,
            value,
            after,
        }
    }

    /// `column IN (the numbers in values)` on SQLite, as one JSON array bind, so the
    /// statement is the same whatever the list's length.
    pub fn sqlite_in_list<T: std::fmt::Display>(
        column_in_json_each: &'static str,
        values: &[T],
    ) -> Self {
        let list = values
            .iter()
            .map(T::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Self::new(column_in_json_each, format!("[{list}]"), "))")
    }
}

impl Expression for TextCondition {
    type SqlType = Bool;
}

impl QueryFragment<MultiBackend> for TextCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql(self.before);
        out.push_bind_param::<Text, _>(&self.value)?;
        out.push_sql(self.after);
        Ok(())
    }
}

impl QueryId for TextCondition {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<GB> ValidGrouping<GB> for TextCondition {
    type IsAggregate = is_aggregate::Never;
}

impl<QS> AppearsOnTable<QS> for TextCondition {}

impl<QS> SelectableExpression<QS> for TextCondition {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_list_is_one_json_array() {
        let condition =
            TextCondition::sqlite_in_list("x IN (SELECT value FROM json_each(", &[3, 14, 15]);
        assert_eq!(condition.value, "[3,14,15]");
        assert_eq!(condition.after, "))");
    }
}
