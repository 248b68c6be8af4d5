//! Full-text search that behaves the same on SQLite and PostgreSQL: Bruka computes Snowball
//! stems itself (Swedish and Norwegian), stores them in `items.search_stems`, and both
//! databases match stems with prefix search.

use rust_stemmers::{Algorithm, Stemmer};

/// Words shorter than this are not worth a prefix search ("a", "i").
const MIN_PREFIX_LEN: usize = 2;
const MAX_QUERY_WORDS: usize = 8;

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

fn stemmers() -> [Stemmer; 2] {
    [
        Stemmer::create(Algorithm::Swedish),
        Stemmer::create(Algorithm::Norwegian),
    ]
}

/// The stems to index for an item's text: each word's Swedish and Norwegian stem, so a
/// search in either language finds it.
pub fn index_stems(text: &str) -> String {
    let stemmers = stemmers();
    let mut stems: Vec<String> = Vec::new();
    for word in words(text) {
        for stemmer in &stemmers {
            let stem = stemmer.stem(&word).into_owned();
            if !stems.contains(&stem) {
                stems.push(stem);
            }
        }
    }
    stems.join(" ")
}

/// A search as typed, reduced to stems: every word must match (as a prefix of an indexed
/// stem, so "kontorsst" finds "kontorsstol").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// For each word, its distinct stems (Swedish, Norwegian); any of them may match.
    pub words: Vec<Vec<String>>,
}

impl SearchQuery {
    pub fn parse(input: &str) -> Option<Self> {
        let stemmers = stemmers();
        let words: Vec<Vec<String>> = words(input)
            .filter(|word| word.chars().count() >= MIN_PREFIX_LEN)
            .take(MAX_QUERY_WORDS)
            .map(|word| {
                let mut alternatives: Vec<String> = Vec::new();
                for stemmer in &stemmers {
                    let stem = stemmer.stem(&word).into_owned();
                    if !alternatives.contains(&stem) {
                        alternatives.push(stem);
                    }
                }
                alternatives
            })
            .collect();
        (!words.is_empty()).then_some(Self { words })
    }

    /// FTS5 syntax: `("stol"* OR "stoln"*) AND ("kontor"*)`. Stems are alphanumeric, so
    /// quoting them cannot break out of the expression.
    pub fn to_fts5(&self) -> String {
        self.words
            .iter()
            .map(|alternatives| {
                let any: Vec<String> = alternatives.iter().map(|s| format!("\"{s}\"*")).collect();
                format!("({})", any.join(" OR "))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// PostgreSQL tsquery syntax: `(stol:* | stoln:*) & (kontor:*)`.
    pub fn to_tsquery(&self) -> String {
        self.words
            .iter()
            .map(|alternatives| {
                let any: Vec<String> = alternatives.iter().map(|s| format!("{s}:*")).collect();
                format!("({})", any.join(" | "))
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_inflections_share_a_stem() {
        let indexed = index_stems("Tre kontorsstolar och ett skrivbord");
        let query = SearchQuery::parse("kontorsstol").expect("a word");
        let stem = &query.words[0][0];
        assert!(
            indexed.split(' ').any(|s| s.starts_with(stem.as_str())),
            "{indexed} / {stem}"
        );
        let plural = SearchQuery::parse("skrivborden").expect("a word");
        assert!(
            indexed
                .split(' ')
                .any(|s| plural.words[0].iter().any(|q| s.starts_with(q.as_str())))
        );
    }

    #[test]
    fn queries_are_safe_for_both_syntaxes() {
        let query = SearchQuery::parse("stol\" OR 1=1; -- (drop)").expect("words");
        assert!(query.to_fts5().chars().filter(|c| *c == '"').count() % 2 == 0);
        for stems in &query.words {
            for stem in stems {
                assert!(stem.chars().all(char::is_alphanumeric), "{stem}");
            }
        }
        assert!(!query.to_tsquery().contains(';'));
        assert_eq!(SearchQuery::parse("  - ! "), None);
        assert_eq!(SearchQuery::parse("a"), None);
    }
}
