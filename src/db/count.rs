//! `SELECT COUNT(*) FROM (query)`: counts the rows of a (LIMITed) query without fetching
//! them. diesel's `count()` cannot wrap a query that has a LIMIT, which is what makes a
//! capped count cheap.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::BigInt;
use diesel::{QueryResult, RunQueryDsl};

use super::{AnyConnection, MultiBackend};

pub struct CountRows<Q>(pub Q);

impl<Q> QueryId for CountRows<Q> {
    type QueryId = ();
    // The inner query is built at run time (boxed), so the statement is not cached by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for CountRows<Q> {
    type SqlType = BigInt;
}

impl<Q: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for CountRows<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS counted");
        Ok(())
    }
}

impl<Q> RunQueryDsl<AnyConnection> for CountRows<Q> {}
