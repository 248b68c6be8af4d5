//! Search that behaves the same on SQLite and PostgreSQL, because Bruka decides both what
//! matches and how well: it reduces a listing's text to weighted terms when the listing is
//! saved, and a query to alternatives per word. The databases only find the listings that
//! have the terms (SQLite's FTS5, PostgreSQL's `tsvector`, exact terms on both); the ranking
//! is computed here from the weights stored beside them.
//!
//! A term is a Snowball stem (Swedish and Norwegian), of a whole word or of a compound's part
//! (see [`super::compound`]): "kontorsstolar" gives kontorsstol (whole), stol (head) and
//! kontor (modifier). Its weight says where it stood: the title counts most, then the
//! category's names in every language, then the description, site and room; a whole word
//! counts more than a compound's head, which counts more than a modifier, so desks come
//! before desk lamps.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use memchr::memmem;
use quick_cache::sync::Cache;

use super::compound::Lexicon;
use super::spelling;

/// Words shorter than this are not searched for ("a", "i").
const MIN_WORD_LEN: usize = 2;
const MAX_QUERY_WORDS: usize = 8;
/// Bumped when the terms a listing text gives change, so stored listings are indexed again
/// (see `items::reindex`).
pub const INDEX_VERSION: i32 = 3;

/// Where a word stood in the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    /// The category's and its parent's names, in every language.
    Category,
    /// Description, site, room.
    Text,
}

/// What a term is of its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Whole,
    Head,
    Modifier,
}

fn weight(field: Field, role: Role) -> u8 {
    match (field, role) {
        (Field::Title, Role::Whole) => 100,
        (Field::Title, Role::Head) => 70,
        (Field::Title, Role::Modifier) => 30,
        (Field::Category, Role::Whole) => 60,
        (Field::Category, Role::Head) => 50,
        (Field::Category, Role::Modifier) => 20,
        (Field::Text, Role::Whole) => 20,
        (Field::Text, Role::Head) => 15,
        (Field::Text, Role::Modifier) => 8,
    }
}

/// A query word found only as all the parts of its compound (a "kontorsstol" query and a
/// listing "Stol till kontoret") counts this much of the parts' weakest weight.
const PARTS_FACTOR: f32 = 0.6;
/// A query word found only through a correction counts this much of what the correction
/// would: below a compound's part in the same field (a title's modifier counts 30).
const CORRECTION_FACTOR: f32 = 0.25;

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

/// The word's distinct stems, Swedish first (each lexicon stems as its language does).
fn stems(word: &str) -> Vec<String> {
    let swedish = Lexicon::swedish().stem(word);
    let norwegian = Lexicon::bokmal().stem(word);
    if swedish == norwegian {
        vec![swedish]
    } else {
        vec![swedish, norwegian]
    }
}

/// The parts a compound splits into in either language (Swedish first), each as stems.
fn compound_parts(word: &str) -> Vec<(Vec<String>, String)> {
    let none = Default::default();
    let mut found: Vec<(Vec<String>, String)> = Vec::new();
    for lexicon in [Lexicon::swedish(), Lexicon::bokmal()] {
        if let Some(parts) = lexicon.split(word, &none) {
            let parts = (parts.modifiers, parts.head);
            if !found.contains(&parts) {
                found.push(parts);
            }
        }
    }
    found
}

/// A query word the title has exactly as typed (bokhylla, not the Norwegian bokhylle with
/// the same stem) counts this much more.
const EXACT_BONUS: f32 = 5.0;
/// A title match counts this much more, divided by the title's words: "Skrivbord" is a
/// closer answer to "skrivbord" than "Höj- och sänkbart skrivbord".
const SHORT_TITLE_BONUS: f32 = 10.0;
/// The weight a title match has at least (a whole word or a compound's head).
const TITLE_MATCH: u8 = 70;
/// Stored beside the terms, marked by characters a term cannot contain: a title word as
/// written, and the number of title words.
const EXACT_MARK: char = '=';
const TITLE_WORDS_KEY: &str = "#";

/// A listing's text as weighted terms: each term with the best weight it has anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexTerms {
    weights: BTreeMap<String, u8>,
    title_words: Vec<String>,
}

impl IndexTerms {
    pub fn new(parts: &[(Field, &str)]) -> Self {
        let mut terms = Self::default();
        for (field, text) in parts {
            for word in words(text) {
                if *field == Field::Title && !terms.title_words.contains(&word) {
                    terms.title_words.push(word.clone());
                }
                for stem in stems(&word) {
                    terms.add(stem, weight(*field, Role::Whole));
                }
                for (modifiers, head) in compound_parts(&word) {
                    terms.add(head, weight(*field, Role::Head));
                    for modifier in modifiers {
                        terms.add(modifier, weight(*field, Role::Modifier));
                    }
                }
            }
        }
        terms
    }

    fn add(&mut self, term: String, weight: u8) {
        let best = self.weights.entry(term).or_insert(0);
        *best = (*best).max(weight);
    }

    /// The terms the databases index (`items.search_stems`).
    pub fn terms(&self) -> String {
        self.weights.keys().cloned().collect::<Vec<_>>().join(" ")
    }

    /// The terms with their weights (`items.search_weights`): `kontorsstol:100 stol:70`.
    pub fn encoded(&self) -> String {
        let title_words = self.title_words.len().min(usize::from(u8::MAX));
        self.weights
            .iter()
            .map(|(term, weight)| format!("{term}:{weight}"))
            .chain(
                self.title_words
                    .iter()
                    .map(|word| format!("{EXACT_MARK}{word}:1")),
            )
            .chain(std::iter::once(format!("{TITLE_WORDS_KEY}:{title_words}")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Stored weights read back; a malformed entry is skipped (it only lowers a ranking).
pub fn decode_weights(encoded: &str) -> HashMap<&str, u8> {
    encoded
        .split(' ')
        .filter_map(|entry| {
            let (term, weight) = entry.rsplit_once(':')?;
            Some((term, weight.parse().ok()?))
        })
        .collect()
}

/// The stored entries a query looks at (see [`SearchQuery::looked_at`]), found in a
/// listing's encoded weights by substring search: ranking reads thousands of listings, and
/// splitting each into its few dozen terms to hash them cost more than reading them.
pub struct LookedAt {
    /// Each entry's key as stored between a space and its weight: ` key:`.
    entries: Vec<memmem::Finder<'static>>,
}

impl LookedAt {
    fn new(keys: impl IntoIterator<Item = String>) -> Self {
        Self {
            entries: keys
                .into_iter()
                .map(|key| memmem::Finder::new(format!(" {key}:").as_bytes()).into_owned())
                .collect(),
        }
    }

    /// The looked-at entries of `encoded` (see [`IndexTerms::encoded`]), each stored once.
    pub fn decode<'a>(&self, encoded: &'a str) -> HashMap<&'a str, u8> {
        let bytes = encoded.as_bytes();
        let mut found = HashMap::new();
        for entry in &self.entries {
            let needle = entry.needle();
            // The first entry has no space before it.
            let key_at = if bytes.starts_with(&needle[1..]) {
                Some(0)
            } else {
                entry.find(bytes).map(|at| at + 1)
            };
            let Some(key_at) = key_at else { continue };
            let weight_at = key_at + needle.len() - 1;
            let weight_end = memchr::memchr(b' ', &bytes[weight_at..])
                .map_or(bytes.len(), |length| weight_at + length);
            // Slicing at ASCII bytes (space, colon) is on character boundaries.
            let (Some(key), Some(weight)) = (
                encoded.get(key_at..weight_at - 1),
                encoded.get(weight_at..weight_end),
            ) else {
                continue;
            };
            if let Ok(weight) = weight.parse() {
                found.insert(key, weight);
            }
        }
        found
    }
}

/// One word of a query and the ways a listing can have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// As typed, lowercase.
    pub typed: String,
    /// The word's stems; any of them matches.
    pub stems: Vec<String>,
    /// If the word is a compound: its parts' stems, all of which together also match.
    pub parts: Vec<Vec<String>>,
    /// If the lexicon does not know the word: known words one edit away, which match too
    /// but count less (see [`spelling`]).
    pub corrections: Vec<QueryWord>,
}

/// Words kept as parsed: splitting and correcting a word costs far more than looking it up,
/// and people search for the same words.
const KEPT_WORDS: usize = 4096;

/// How well a listing has a query word.
#[derive(Debug, Clone, Copy)]
struct WordScore {
    /// As the word or its correction is found, before [`CORRECTION_FACTOR`].
    score: f32,
    /// Found only through this correction.
    corrected: Option<usize>,
}

impl QueryWord {
    fn new(typed: String) -> Self {
        static KEPT: LazyLock<Cache<String, QueryWord>> = LazyLock::new(|| Cache::new(KEPT_WORDS));
        KEPT.get_or_insert_with(&typed, || {
            let mut word = Self::plain(typed.clone());
            word.corrections = spelling::corrections(&typed)
                .into_iter()
                .map(Self::plain)
                .collect();
            Ok::<_, std::convert::Infallible>(word)
        })
        .unwrap_or_else(|never| match never {})
    }

    /// The word without corrections.
    fn plain(typed: String) -> Self {
        let stems = stems(&typed);
        let parts = compound_parts(&typed)
            .into_iter()
            .map(|(modifiers, head)| {
                let mut all = modifiers;
                all.push(head);
                all
            })
            .filter(|parts| parts.iter().all(|p| !stems.contains(p)))
            .collect();
        Self {
            typed,
            stems,
            parts,
            corrections: Vec::new(),
        }
    }

    /// How well a listing with these weights has the word as typed, by a stem or by all of
    /// a compound's parts; `None` if it does not.
    fn exact_score(&self, weights: &HashMap<&str, u8>) -> Option<f32> {
        let whole = self
            .stems
            .iter()
            .filter_map(|stem| weights.get(stem.as_str()))
            .max()
            .map(|w| f32::from(*w));
        let parts = self
            .parts
            .iter()
            .filter_map(|parts| {
                parts
                    .iter()
                    .map(|part| weights.get(part.as_str()).copied())
                    .collect::<Option<Vec<u8>>>()
                    .and_then(|found| found.into_iter().min())
            })
            .max()
            .map(|w| f32::from(w) * PARTS_FACTOR);
        match (whole, parts) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// How well a listing has the word, as typed or else through its best correction.
    fn score(&self, weights: &HashMap<&str, u8>) -> Option<WordScore> {
        if let Some(score) = self.exact_score(weights) {
            return Some(WordScore {
                score,
                corrected: None,
            });
        }
        self.corrections
            .iter()
            .enumerate()
            .filter_map(|(at, correction)| Some((at, correction.exact_score(weights)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(at, score)| WordScore {
                score,
                corrected: Some(at),
            })
    }

    /// Every term of the word as typed: its stems and each compound part on its own.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.stems
            .iter()
            .chain(self.parts.iter().flatten())
            .map(String::as_str)
    }

    /// The stems and compound parts that match the word as typed.
    fn alternatives(&self) -> impl Iterator<Item = Alternative<'_>> {
        let stems = self.stems.iter().map(|stem| Alternative::Term(stem));
        let parts = self.parts.iter().map(|parts| Alternative::AllOf(parts));
        stems.chain(parts)
    }
}

/// One way a listing can have a query word, for the databases.
enum Alternative<'a> {
    Term(&'a str),
    AllOf(&'a [String]),
}

/// How well a listing matches a whole query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub score: f32,
    /// Every word was found as typed, none only through a correction.
    pub exact: bool,
}

/// A search as typed, reduced to words each of which a listing must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub words: Vec<QueryWord>,
}

impl SearchQuery {
    pub fn parse(input: &str) -> Option<Self> {
        let mut seen: Vec<String> = Vec::new();
        let words: Vec<QueryWord> = words(input)
            .filter(|word| word.chars().count() >= MIN_WORD_LEN)
            .filter(|word| {
                let new = !seen.contains(word);
                seen.push(word.clone());
                new
            })
            .take(MAX_QUERY_WORDS)
            .map(QueryWord::new)
            .collect();
        (!words.is_empty()).then_some(Self { words })
    }

    /// How well a listing with these stored weights matches: the sum over the words of how
    /// well it has each; `None` unless it has every word.
    pub fn score(&self, weights: &HashMap<&str, u8>) -> Option<Scored> {
        let mut total = 0.0;
        // How much a title match counts: fully if a word as typed is in the title.
        let mut in_title: Option<f32> = None;
        let mut exact = true;
        for word in &self.words {
            let found = word.score(weights)?;
            let (as_written, factor) = match found.corrected {
                Some(at) => (&word.corrections[at].typed, CORRECTION_FACTOR),
                None => (&word.typed, 1.0),
            };
            exact &= found.corrected.is_none();
            let mut score = found.score;
            if weights.contains_key(format!("{EXACT_MARK}{as_written}").as_str()) {
                score += EXACT_BONUS;
            }
            if found.score >= f32::from(TITLE_MATCH) {
                in_title = Some(in_title.map_or(factor, |f| f.max(factor)));
            }
            total += score * factor;
        }
        if let (Some(factor), Some(&count)) = (in_title, weights.get(TITLE_WORDS_KEY)) {
            total += factor * SHORT_TITLE_BONUS / f32::from(count.max(1));
        }
        Some(Scored {
            score: total,
            exact,
        })
    }

    /// The query as a listing with these weights says it was meant: each word it has only
    /// through a correction replaced by that correction. `None` if no word needed one.
    pub fn corrected_for(&self, weights: &HashMap<&str, u8>) -> Option<String> {
        let mut changed = false;
        let words: Vec<&str> = self
            .words
            .iter()
            .map(|word| match word.score(weights).and_then(|s| s.corrected) {
                Some(at) => {
                    changed = true;
                    word.corrections[at].typed.as_str()
                }
                None => word.typed.as_str(),
            })
            .collect();
        changed.then(|| words.join(" "))
    }

    /// Queries one edit from this one, a word at a time, for when it finds nothing: the
    /// likeliest first.
    pub fn respellings(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (at, word) in self.words.iter().enumerate() {
            for respelled in spelling::respellings(&word.typed) {
                let words: Vec<&str> = self
                    .words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i == at {
                            respelled.as_str()
                        } else {
                            w.typed.as_str()
                        }
                    })
                    .collect();
                found.push(words.join(" "));
            }
        }
        found
    }

    /// Every stored entry [`Self::score`] and [`Self::corrected_for`] may look up.
    pub fn looked_at(&self) -> LookedAt {
        LookedAt::new(self.looked_at_keys())
    }

    fn looked_at_keys(&self) -> std::collections::HashSet<String> {
        let mut keys = std::collections::HashSet::from([TITLE_WORDS_KEY.to_string()]);
        for word in self
            .words
            .iter()
            .flat_map(|w| std::iter::once(w).chain(&w.corrections))
        {
            keys.extend(word.terms().map(str::to_string));
            keys.insert(format!("{EXACT_MARK}{}", word.typed));
        }
        keys
    }

    /// Whether a listing with these stored weights matches (saved searches, wanted ads).
    pub fn matches(&self, encoded_weights: &str) -> bool {
        self.score(&decode_weights(encoded_weights)).is_some()
    }

    /// Each word's alternatives (its corrections' too), written with `any` between
    /// alternatives and `all` between a compound's parts, e.g.
    /// `("kontorsstol" OR ("kontor" AND "stol"))`.
    fn expression(&self, quote: fn(&str) -> String, any: &str, all: &str, and: &str) -> String {
        self.words
            .iter()
            .map(|word| {
                let alternatives: Vec<String> = std::iter::once(word)
                    .chain(&word.corrections)
                    .flat_map(QueryWord::alternatives)
                    .map(|alternative| match alternative {
                        Alternative::Term(term) => quote(term),
                        Alternative::AllOf(parts) => {
                            let joined: Vec<String> = parts.iter().map(|p| quote(p)).collect();
                            format!("({})", joined.join(all))
                        }
                    })
                    .collect();
                format!("({})", alternatives.join(any))
            })
            .collect::<Vec<_>>()
            .join(and)
    }

    /// FTS5 syntax. Terms are alphanumeric, so quoting them cannot break out of it.
    pub fn to_fts5(&self) -> String {
        self.expression(|t| format!("\"{t}\""), " OR ", " AND ", " AND ")
    }

    /// PostgreSQL tsquery syntax (the `simple` configuration: terms as they are).
    pub fn to_tsquery(&self) -> String {
        self.expression(|t| t.to_string(), " | ", " & ", " & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(title: &str, category: &str, text: &str) -> String {
        IndexTerms::new(&[
            (Field::Title, title),
            (Field::Category, category),
            (Field::Text, text),
        ])
        .encoded()
    }

    fn score(query: &str, weights: &str) -> Option<f32> {
        SearchQuery::parse(query)
            .expect("words")
            .score(&decode_weights(weights))
            .map(|scored| scored.score)
    }

    #[test]
    fn inflections_and_compound_parts_match() {
        let chairs = listing("Tre kontorsstolar", "Möbler Kontorsstol", "");
        for query in [
            "kontorsstol",
            "kontorsstolar",
            "stolar",
            "stol",
            "kontorsstolen",
        ] {
            assert!(score(query, &chairs).is_some(), "{query}");
        }
        let norwegian = listing("Møtebord i eik", "Møbler Bord", "");
        for query in ["møtebord", "bord", "bordet", "møte"] {
            assert!(score(query, &norwegian).is_some(), "{query}");
        }
        assert_eq!(score("lampa", &chairs), None);
    }

    #[test]
    fn a_compound_query_finds_its_parts_written_apart() {
        let apart = listing("Stol till kontoret", "Möbler", "");
        assert!(score("kontorsstol", &apart).is_some());
        let whole = listing("Kontorsstol", "Möbler", "");
        assert!(score("kontorsstol", &whole) > score("kontorsstol", &apart));
    }

    #[test]
    fn the_head_of_a_compound_ranks_above_its_modifier() {
        let desk = listing("Hörnskrivbord", "Möbler Skrivbord", "");
        let lamp = listing("Skrivbordslampa", "Belysning", "");
        assert!(score("skrivbord", &desk) > score("skrivbord", &lamp));
        let exact = listing("Skrivbord", "Möbler Skrivbord", "");
        assert!(score("skrivbord", &exact) > score("skrivbord", &desk));
    }

    #[test]
    fn the_title_counts_more_than_the_category_and_the_description() {
        let title = listing("Kylskåp", "Vitvaror", "");
        let category = listing("Kyl och frys", "Vitvaror Kylskåp Kjøleskap Fridge", "");
        let description = listing("Vitvara", "Vitvaror", "Passar bredvid kylskåpet");
        let (t, c, d) = (
            score("kylskåp", &title),
            score("kylskåp", &category),
            score("kylskåp", &description),
        );
        assert!(t > c && c > d && d.is_some(), "{t:?} {c:?} {d:?}");
        assert!(score("kjøleskap", &category).is_some());
    }

    #[test]
    fn the_exact_word_and_the_shorter_title_come_first() {
        let short = listing("Skrivbord", "Möbler Skrivbord", "");
        let long = listing("Höj- och sänkbart skrivbord", "Möbler Skrivbord", "");
        assert!(score("skrivbord", &short) > score("skrivbord", &long));
        let swedish = listing("Bokhylla i björk", "Möbler Skåp", "");
        let norwegian = listing("Bokhylle i bjørk", "Møbler Skap", "");
        assert!(score("bokhylla", &swedish) > score("bokhylla", &norwegian));
        assert!(score("bokhylle", &norwegian) > score("bokhylle", &swedish));
    }

    #[test]
    fn a_slip_finds_the_word_meant_below_any_match_as_typed() {
        let desk = listing("Skrivbord", "Möbler Skrivbord", "");
        let lamp = listing("Skrivbordslampa", "Belysning", "");
        let corrected = score("skrifbord", &desk).expect("found through skrivbord");
        // A compound's modifier in the title still counts more than a correction.
        assert!(score("skrivbord", &lamp).expect("a part") > corrected);
        let query = SearchQuery::parse("skrifbord").expect("a word");
        let weights = decode_weights(&desk);
        assert_eq!(query.corrected_for(&weights).as_deref(), Some("skrivbord"));
        assert!(!query.score(&weights).expect("found").exact);
        assert!(query.to_fts5().contains("\"skrivbord\""));
        let right = SearchQuery::parse("skrivbord").expect("a word");
        assert_eq!(right.corrected_for(&weights), None);
        assert!(right.words[0].corrections.is_empty());
    }

    #[test]
    fn respellings_change_one_word_at_a_time() {
        let query = SearchQuery::parse("vit hylsa").expect("words");
        let respelled = query.respellings();
        assert!(
            respelled.contains(&"vit hylla".to_string()),
            "{respelled:?}"
        );
        assert!(respelled.iter().all(|q| q.starts_with("vit ")));
    }

    #[test]
    fn only_the_weights_a_query_looks_at_are_read_and_they_score_the_same() {
        let stored = listing(
            "Kontorsstol med armstöd",
            "Möbler Kontorsstol",
            "Svart, höj",
        );
        for typed in ["kontorsstolar svart", "skrifbord", "stol", "armstöd kontor"] {
            let query = SearchQuery::parse(typed).expect("words");
            let all = decode_weights(&stored);
            let looked_at = query.looked_at().decode(&stored);
            assert!(looked_at.len() < all.len(), "{typed}");
            assert_eq!(query.score(&all), query.score(&looked_at), "{typed}");
            assert_eq!(query.corrected_for(&all), query.corrected_for(&looked_at));
        }
    }

    #[test]
    fn looked_at_entries_are_found_whole_wherever_they_stand() {
        let keys = ["stol", "kontorsstol", "tol", "=stol", "#", "bord"];
        let looked_at = LookedAt::new(keys.map(String::from));
        let found = looked_at.decode("stol:70 kontorsstol:100 tolv:20 =stol:1 #:2");
        let expected = HashMap::from([("stol", 70), ("kontorsstol", 100), ("=stol", 1), ("#", 2)]);
        assert_eq!(found, expected);
        assert!(looked_at.decode("").is_empty());
        assert!(looked_at.decode("stol:x bord").is_empty());
    }

    #[test]
    fn every_word_must_match() {
        let chairs = listing("Kontorsstol, svart", "Möbler", "");
        assert!(score("svart stol", &chairs).is_some());
        assert_eq!(score("vit stol", &chairs), None);
    }

    #[test]
    fn stored_weights_read_back() {
        let terms = IndexTerms::new(&[(Field::Title, "Kontorsstol")]);
        let encoded = terms.encoded();
        let weights = decode_weights(&encoded);
        assert_eq!(weights.get("kontorsstol"), Some(&100));
        assert_eq!(weights.get("stol"), Some(&70));
        assert!(terms.terms().split(' ').all(|t| weights.contains_key(t)));
        assert!(decode_weights("stol:x bord:20 :5").get("bord") == Some(&20));
        assert!(weights.contains_key("=kontorsstol") && weights.get("#") == Some(&1));
        assert!(!terms.terms().contains('='));
    }

    #[test]
    fn queries_are_safe_for_both_syntaxes() {
        let query = SearchQuery::parse("stol\" OR 1=1; -- (drop)").expect("words");
        assert!(query.to_fts5().chars().filter(|c| *c == '"').count() % 2 == 0);
        for word in &query.words {
            for stem in word.stems.iter().chain(word.parts.iter().flatten()) {
                assert!(stem.chars().all(char::is_alphanumeric), "{stem}");
            }
        }
        assert!(!query.to_tsquery().contains(';'));
        assert_eq!(SearchQuery::parse("  - ! "), None);
        assert_eq!(SearchQuery::parse("a"), None);
    }

    #[test]
    fn compound_queries_are_written_for_both_databases() {
        let query = SearchQuery::parse("kontorsstol").expect("a word");
        // Split in Swedish (kontor stems to kont) and in Norwegian (kontor stays).
        assert_eq!(
            query.to_fts5(),
            r#"("kontorsstol" OR ("kont" AND "stol") OR ("kontor" AND "stol"))"#
        );
        assert_eq!(
            query.to_tsquery(),
            "(kontorsstol | (kont & stol) | (kontor & stol))"
        );
    }
}
