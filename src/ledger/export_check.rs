//! Checks an export (CSV or JSON) against the installation's ledger: every row is the record
//! with that id, at the same place in the chain and with the same figures, the file has as
//! many rows as it says, and the chain head it was written with is still in the chain (so
//! nothing up to it was rewritten since).

use std::collections::HashMap;

use diesel::prelude::*;

use super::chain::{Link, links_of};
use crate::db::AnyConnection;
use crate::db::schema::{ledger_chain, organisations, reuse_records};
use crate::ids::{OrganisationId, RecordId};
use crate::stats::export::{COLUMNS, CSV_TRAILER, ChainJson};

/// A row of an export as far as the check needs it. Figures are in whole grams and öre,
/// rounded from what the file writes (kg with three decimals, kronor with two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedRow {
    pub id: RecordId,
    pub link: Option<Link>,
    pub quantity: i64,
    pub co2e_grams: i64,
    pub money_ore: i64,
}

/// What a file says of itself and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub head: Link,
    pub declared_rows: i64,
    pub rows: Vec<ExportedRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not a Bruka export: {0}")]
    Format(String),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

fn column(key: &str) -> usize {
    COLUMNS.iter().position(|c| *c == key).unwrap_or(usize::MAX)
}

/// Reads an export as written by Bruka (the format is told by its first character).
pub fn read(bytes: &[u8]) -> Result<Exported, ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        ReadError::Format("not UTF-8 text (an XLSX file? check its CSV or JSON twin)".into())
    })?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        read_json(text)
    } else {
        read_csv(text)
    }
}

fn whole(value: f64, per_unit: f64) -> i64 {
    (value * per_unit).round() as i64
}

fn read_json(text: &str) -> Result<Exported, ReadError> {
    #[derive(serde::Deserialize)]
    struct File {
        records: Vec<serde_json::Map<String, serde_json::Value>>,
        chain: Option<ChainJson>,
    }
    let file: File = serde_json::from_str(text)?;
    let chain = file.chain.ok_or_else(|| {
        ReadError::Format("no chain head (exported before the chain existed?)".into())
    })?;
    let number = |row: &serde_json::Map<String, serde_json::Value>, key: &str| {
        row.get(key).and_then(serde_json::Value::as_f64)
    };
    let rows = file
        .records
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let missing = || ReadError::Format(format!("record {} lacks a field", index + 1));
            Ok(ExportedRow {
                id: RecordId(number(row, "id").ok_or_else(missing)? as i64),
                link: match (
                    number(row, "chain_seq"),
                    row.get("chain_hash").and_then(|v| v.as_str()),
                ) {
                    (Some(seq), Some(hash)) => Some(Link {
                        seq: seq as i64,
                        hash: hash.to_string(),
                    }),
                    _ => None,
                },
                quantity: number(row, "quantity").ok_or_else(missing)? as i64,
                co2e_grams: whole(number(row, "kg_co2e").ok_or_else(missing)?, 1000.0),
                money_ore: whole(number(row, "money_sek").ok_or_else(missing)?, 100.0),
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    Ok(Exported {
        head: Link {
            seq: chain.head_seq,
            hash: chain.head_hash,
        },
        declared_rows: chain.rows,
        rows,
    })
}

fn read_csv(text: &str) -> Result<Exported, ReadError> {
    let header = text.lines().next().unwrap_or_default();
    // Swedish and Norwegian exports use ';' and a decimal comma, English ones ',' and a point.
    let (delimiter, decimal_comma) = if header.contains(';') {
        (b';', true)
    } else {
        (b',', false)
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let number = |field: &str| -> Option<f64> {
        let field = field.trim();
        if decimal_comma {
            field.replace(',', ".").parse().ok()
        } else {
            field.parse().ok()
        }
    };
    let mut rows = Vec::new();
    let mut trailer = None;
    for (index, record) in reader.records().enumerate() {
        let record = record?;
        let line = index + 2;
        let field = |key: &str| record.get(column(key)).unwrap_or_default();
        if record.get(0) == Some(CSV_TRAILER) {
            let part = |n: usize| record.get(n).unwrap_or_default();
            trailer = Some((
                part(1).parse::<i64>().ok(),
                part(2).to_string(),
                part(3).parse::<i64>().ok(),
            ));
            break;
        }
        let bad = || ReadError::Format(format!("line {line} is not a ledger row"));
        let seq = field("chain_seq");
        rows.push(ExportedRow {
            id: RecordId(field("id").parse().map_err(|_| bad())?),
            link: (!seq.is_empty()).then(|| Link {
                seq: seq.parse().unwrap_or(-1),
                hash: field("chain_hash").to_string(),
            }),
            quantity: field("quantity").parse().map_err(|_| bad())?,
            co2e_grams: whole(number(field("kg_co2e")).ok_or_else(bad)?, 1000.0),
            money_ore: whole(number(field("money_sek")).ok_or_else(bad)?, 100.0),
        });
    }
    match trailer {
        Some((Some(seq), hash, Some(declared))) => Ok(Exported {
            head: Link { seq, hash },
            declared_rows: declared,
            rows,
        }),
        _ => Err(ReadError::Format(
            "no chain head line at the end (cut off, or exported before the chain existed?)".into(),
        )),
    }
}

/// The outcome of checking an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCheck {
    /// The organisation whose chain holds the export's head.
    pub organisation: Option<String>,
    pub head: Link,
    pub rows: usize,
    /// What does not match, in file order (empty when the export matches).
    pub problems: Vec<String>,
}

/// Problems listed at most; the first is what an auditor needs.
const MAX_PROBLEMS: usize = 20;

/// Compares an export with the ledger.
pub fn check(conn: &mut AnyConnection, exported: &Exported) -> QueryResult<ExportCheck> {
    let mut problems = Vec::new();
    if exported.declared_rows != exported.rows.len() as i64 {
        problems.push(format!(
            "the file says {} rows but has {}",
            exported.declared_rows,
            exported.rows.len()
        ));
    }
    let head_owner: Option<OrganisationId> = if exported.head.seq == 0 {
        None
    } else {
        ledger_chain::table
            .filter(ledger_chain::seq.eq(exported.head.seq))
            .filter(ledger_chain::hash.eq(&exported.head.hash))
            .select(ledger_chain::organisation_id)
            .first(conn)
            .optional()?
    };
    if exported.head.seq > 0 && head_owner.is_none() {
        problems.push(format!(
            "the chain head {} at position {} is not in this installation's chain: the ledger was rewritten after the export, or the export is from elsewhere",
            exported.head.hash, exported.head.seq
        ));
    }
    let organisation = match head_owner {
        Some(id) => organisations::table
            .find(id)
            .select(organisations::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    for chunk in exported.rows.chunks(2_000) {
        let ids: Vec<RecordId> = chunk.iter().map(|r| r.id).collect();
        let links = links_of(conn, &ids)?;
        let stored: HashMap<RecordId, (OrganisationId, i32, i64, i64)> = reuse_records::table
            .filter(reuse_records::id.eq_any(&ids))
            .select((
                reuse_records::id,
                reuse_records::receiving_organisation_id,
                reuse_records::quantity,
                reuse_records::co2e_grams,
                reuse_records::money_saved_ore,
            ))
            .load::<(RecordId, OrganisationId, i32, i64, i64)>(conn)?
            .into_iter()
            .map(|(id, org, quantity, grams, ore)| (id, (org, quantity, grams, ore)))
            .collect();
        for row in chunk {
            let problem = match (stored.get(&row.id), links.get(&row.id)) {
                (None, _) => Some("is not in the ledger".to_string()),
                (Some((org, ..)), _) if head_owner.is_some_and(|owner| owner != *org) => {
                    Some("belongs to another organisation's chain".to_string())
                }
                (Some(_), Some(link)) if row.link.as_ref() != Some(link) => Some(format!(
                    "has chain position {} and hash {} in the ledger, not what the file says",
                    link.seq, link.hash
                )),
                (Some(_), Some(link)) if link.seq > exported.head.seq => Some(format!(
                    "is at chain position {}, after the file's head {}",
                    link.seq, exported.head.seq
                )),
                (Some(_), None) if row.link.is_some() => {
                    Some("has no place in the ledger's chain".to_string())
                }
                (Some((_, quantity, grams, ore)), _)
                    if i64::from(*quantity) != row.quantity
                        || *grams != row.co2e_grams
                        || *ore != row.money_ore =>
                {
                    Some(format!(
                        "differs from the ledger: quantity {} / {}, g CO2e {} / {}, öre {} / {} (ledger / file)",
                        quantity, row.quantity, grams, row.co2e_grams, ore, row.money_ore
                    ))
                }
                _ => None,
            };
            if let Some(problem) = problem
                && problems.len() < MAX_PROBLEMS
            {
                problems.push(format!("record {}: {problem}", row.id));
            }
        }
    }
    Ok(ExportCheck {
        organisation,
        head: exported.head.clone(),
        rows: exported.rows.len(),
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_line(fields: &[(&str, &str)], delimiter: char) -> String {
        let mut cells = vec![String::new(); COLUMNS.len()];
        for (key, value) in fields {
            cells[column(key)] = value.to_string();
        }
        cells.join(&delimiter.to_string())
    }

    #[test]
    fn a_swedish_csv_reads_with_decimal_commas_and_its_trailer() {
        let header = vec!["x"; COLUMNS.len()].join(";");
        let row = csv_line(
            &[
                ("id", "12"),
                ("quantity", "2"),
                ("kg_co2e", "143,8"),
                ("money_sek", "9000,5"),
                ("chain_seq", "3"),
                ("chain_hash", "ab"),
            ],
            ';',
        );
        let text = format!("\u{feff}{header}\n{row}\n{CSV_TRAILER};3;ab;1\n");
        let exported = read(text.as_bytes()).expect("reads");
        assert_eq!(exported.declared_rows, 1);
        assert_eq!(
            exported.head,
            Link {
                seq: 3,
                hash: "ab".into()
            }
        );
        assert_eq!(
            exported.rows,
            [ExportedRow {
                id: RecordId(12),
                link: Some(Link {
                    seq: 3,
                    hash: "ab".into()
                }),
                quantity: 2,
                co2e_grams: 143_800,
                money_ore: 900_050,
            }]
        );
    }

    #[test]
    fn a_cut_off_csv_or_a_foreign_file_is_refused() {
        let header = vec!["x"; COLUMNS.len()].join(",");
        let row = csv_line(
            &[
                ("id", "1"),
                ("quantity", "1"),
                ("kg_co2e", "1.5"),
                ("money_sek", "2"),
            ],
            ',',
        );
        assert!(read(format!("{header}\n{row}\n").as_bytes()).is_err());
        assert!(read(b"PK\x03\x04\xff\xfe").is_err());
        assert!(read(br#"{"records": []}"#).is_err());
    }

    #[test]
    fn a_json_export_reads_its_chain_object() {
        let text = r#"{"records":[{"id":5,"quantity":1,"kg_co2e":0.4,"money_sek":12.5,"chain_seq":1,"chain_hash":"cd"}],
            "chain":{"head_seq":4,"head_hash":"ef","rows":1}}"#;
        let exported = read(text.as_bytes()).expect("reads");
        assert_eq!(exported.head.seq, 4);
        assert_eq!(exported.rows[0].co2e_grams, 400);
        assert_eq!(exported.rows[0].money_ore, 1250);
    }
}
