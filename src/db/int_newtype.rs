//! Whole numbers with a meaning, stored in a `BigInt` column: ids that cannot be swapped for
//! one another, and amounts (grams, öre) that say their unit. One declaration gives the
//! column mapping on both backends and the connection enum, transparent serde (JSON and
//! templates see the number), an OpenAPI schema of the number, `Display` and `FromStr`.

/// Declares `pub struct Name(pub i64)` as a column value.
#[macro_export]
macro_rules! int_newtype {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        $vis struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                raw.parse().map($name)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>>::from_sql(
                    bytes,
                )
                .map($name)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::int_newtype! {
        struct ThingId;
    }

    #[test]
    fn reads_writes_and_shows_as_the_number() {
        let id: ThingId = "42".parse().expect("a number");
        assert_eq!(id, ThingId(42));
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).expect("json"), "42");
        assert_eq!(
            serde_json::from_str::<ThingId>("7").expect("json"),
            ThingId(7)
        );
        assert!("seven".parse::<ThingId>().is_err());
    }
}
