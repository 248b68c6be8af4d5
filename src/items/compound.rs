//! Splitting Swedish and Norwegian compounds into their parts, from a real lexicon.
//!
//! Both languages write compounds as one word (kontorsstol, skrivbordslampa, møtebord), so
//! a search for "stol" has to know that "kontorsstol" is a kind of stol. The parts come from
//! the hunspell dictionaries Debian ships (`lexicon/extract.py` says how the lists were made
//! and under which licences): a form may be a head (the last part, what the thing is) or a
//! modifier (a part before it), as the dictionary's compound flags say, and Swedish lists
//! the linking forms itself (kontor → kontors-, skola → skol-). Between parts a linking -s-
//! or -e- is allowed for words the dictionary gives without one. A caller may add words
//! the lists lack as parts of any kind (`extra`); search does not need to yet, since the
//! category names it indexes all split or stand as words of their own.
//!
//! Splitting works on the word as typed, and the head is compared by its stem, so the
//! inflected compound "kontorsstolarna" still has the head "stol". Of the possible splits
//! the one with the fewest parts wins, then the one with the shortest head: the dictionaries
//! list compounds too, and "skrivbordslampa" is skrivbord + lampa (a lamp), not skriv +
//! bordslampa, nor skriv + bord + lampa.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Shorter parts split too many words by accident (the dictionaries list "ko", "is", "få").
/// Three letters are needed for kyl, ugn, rum, ovn; Norwegian hunspell asks for four, which
/// would lose stekeovn.
const MIN_PART_LEN: usize = 3;
/// A head this short must be written exactly as listed: by stem alone too many endings pass
/// for words (skrivare is not skriv + are).
const SHORT_HEAD_LEN: usize = 3;
/// Longer chains are rare and mostly false splits.
const MAX_PARTS: usize = 4;
const LINKING_LETTERS: [char; 2] = ['s', 'e'];

const SWEDISH: &str = include_str!("lexicon/sv.txt");
const BOKMAL: &str = include_str!("lexicon/nb.txt");

/// Reads both lexicons now rather than at the first search or listing that needs them.
pub fn warm_up() {
    Lexicon::swedish();
    Lexicon::bokmal();
}

/// A compound's parts, each as a stem (the form that is indexed and searched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// Before the head, in order.
    pub modifiers: Vec<String>,
    pub head: String,
}

/// One language's parts: heads by stem, modifiers by the form they take inside a compound
/// (with the stem of the word they are a form of).
pub struct Lexicon {
    stemmer: Stemmer,
    min_part: usize,
    /// Stems of heads of more than [`SHORT_HEAD_LEN`] letters.
    heads: HashSet<String>,
    /// Short heads as written.
    short_heads: HashSet<String>,
    modifiers: HashMap<String, String>,
    /// Every listed form, whatever its role, and their stems: the words the lexicon knows.
    forms: HashSet<String>,
    known: HashSet<String>,
}

impl Lexicon {
    fn parse(algorithm: Algorithm, min_part: usize, text: &str) -> Self {
        let stemmer = Stemmer::create(algorithm);
        let mut heads = HashSet::new();
        let mut short_heads = HashSet::new();
        let mut modifiers = HashMap::new();
        let mut forms = HashSet::new();
        let mut known = HashSet::new();
        for line in text.lines() {
            let mut fields = line.split(' ');
            let (Some(form), Some(roles)) = (fields.next(), fields.next()) else {
                continue;
            };
            let lemma = fields.next().unwrap_or(form);
            known.insert(stemmer.stem(form).into_owned());
            forms.insert(form.to_string());
            let len = form.chars().count();
            if len < min_part {
                continue;
            }
            if roles.contains('h') {
                if len <= SHORT_HEAD_LEN {
                    short_heads.insert(form.to_string());
                } else {
                    heads.insert(stemmer.stem(form).into_owned());
                }
            }
            if roles.contains('m') {
                modifiers.insert(form.to_string(), stemmer.stem(lemma).into_owned());
            }
        }
        Self {
            stemmer,
            min_part,
            heads,
            short_heads,
            modifiers,
            forms,
            known,
        }
    }

    pub fn swedish() -> &'static Self {
        static LEXICON: LazyLock<Lexicon> =
            LazyLock::new(|| Lexicon::parse(Algorithm::Swedish, MIN_PART_LEN, SWEDISH));
        &LEXICON
    }

    pub fn bokmal() -> &'static Self {
        static LEXICON: LazyLock<Lexicon> =
            LazyLock::new(|| Lexicon::parse(Algorithm::Norwegian, MIN_PART_LEN, BOKMAL));
        &LEXICON
    }

    pub fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }

    /// Whether `word` (lowercase) is listed as it is written.
    pub fn has_form(&self, word: &str) -> bool {
        self.forms.contains(word)
    }

    /// Whether `word` (lowercase) is a listed word in any of its forms (by stem).
    pub fn lists(&self, word: &str) -> bool {
        self.known.contains(self.stemmer.stem(word).as_ref())
    }

    /// Whether `word` is a listed word or a compound of listed parts.
    pub fn knows(&self, word: &str) -> bool {
        self.lists(word) || self.split(word, &HashSet::new()).is_some()
    }

    /// The parts of `word` (lowercase), if it is a compound of known parts. `extra` are
    /// further words (the category names) that may be any part.
    pub fn split(&self, word: &str, extra: &HashSet<String>) -> Option<Parts> {
        let chars: Vec<char> = word.chars().collect();
        let min = self.min_part;
        if chars.len() < 2 * min {
            return None;
        }
        // (parts, linking letters the dictionary did not give, head length): smaller wins.
        let mut best: Option<((usize, usize, usize), Parts)> = None;
        // The head is a tail of the word; what comes before it must be modifiers.
        for head_start in min..=chars.len() - min {
            let tail: String = chars[head_start..].iter().collect();
            let head = self.stem(&tail);
            let listed = if chars.len() - head_start <= SHORT_HEAD_LEN {
                self.short_heads.contains(&tail)
            } else {
                self.heads.contains(&head)
            };
            if !(listed || extra.contains(&tail) || extra.contains(&head)) {
                continue;
            }
            let Some(chain) = self.modifiers_of(&chars[..head_start], extra, MAX_PARTS - 1) else {
                continue;
            };
            let rank = (
                chain.stems.len() + 1,
                chain.linked,
                chars.len() - head_start,
            );
            if best.as_ref().is_none_or(|(best, _)| rank < *best) {
                let parts = Parts {
                    modifiers: chain.stems,
                    head,
                };
                best = Some((rank, parts));
            }
        }
        best.map(|(_, parts)| parts)
    }

    /// `chars` as a chain of at most `left` modifiers: the fewest, then the fewest linking
    /// letters added.
    fn modifiers_of(&self, chars: &[char], extra: &HashSet<String>, left: usize) -> Option<Chain> {
        if left == 0 {
            return None;
        }
        let whole: String = chars.iter().collect();
        if let Some((stem, linked)) = self.modifier(&whole, extra) {
            return Some(Chain {
                stems: vec![stem],
                linked: usize::from(linked),
            });
        }
        let mut best: Option<Chain> = None;
        for cut in self.min_part..=chars.len().saturating_sub(self.min_part) {
            let first: String = chars[..cut].iter().collect();
            let Some((stem, linked)) = self.modifier(&first, extra) else {
                continue;
            };
            let Some(rest) = self.modifiers_of(&chars[cut..], extra, left - 1) else {
                continue;
            };
            let chain = Chain {
                linked: rest.linked + usize::from(linked),
                stems: std::iter::once(stem).chain(rest.stems).collect(),
            };
            if best.as_ref().is_none_or(|b| chain.rank() < b.rank()) {
                best = Some(chain);
            }
        }
        best
    }

    /// The stem a modifier form stands for, and whether a linking letter had to be taken
    /// off to find it: as listed, or a listed word with a linking letter after it.
    fn modifier(&self, form: &str, extra: &HashSet<String>) -> Option<(String, bool)> {
        if let Some(stem) = self.modifiers.get(form) {
            return Some((stem.clone(), false));
        }
        if extra.contains(form) {
            return Some((self.stem(form), false));
        }
        let bare = form.strip_suffix(LINKING_LETTERS)?;
        if bare.chars().count() < self.min_part {
            return None;
        }
        if let Some(stem) = self.modifiers.get(bare) {
            return Some((stem.clone(), true));
        }
        extra.contains(bare).then(|| (self.stem(bare), true))
    }
}

struct Chain {
    stems: Vec<String>,
    linked: usize,
}

impl Chain {
    fn rank(&self) -> (usize, usize) {
        (self.stems.len(), self.linked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split of `word` as the words its parts are forms of (`kontor`, not the stem
    /// `kont` that is indexed).
    fn split(lexicon: &Lexicon, word: &str, extra: &[&str]) -> Option<(Vec<String>, String)> {
        let extra = extra.iter().map(|w| w.to_string()).collect();
        lexicon.split(word, &extra).map(|p| (p.modifiers, p.head))
    }

    fn stems(lexicon: &Lexicon, modifiers: &[&str], head: &str) -> Option<(Vec<String>, String)> {
        Some((
            modifiers.iter().map(|m| lexicon.stem(m)).collect(),
            lexicon.stem(head),
        ))
    }

    #[test]
    fn swedish_compounds_split_at_their_linking_forms() {
        let sv = Lexicon::swedish();
        for (word, modifiers, head) in [
            ("kontorsstol", &["kontor"][..], "stol"),
            ("kontorsstolarna", &["kontor"], "stol"),
            ("skolstol", &["skola"], "stol"),
            ("konferensbord", &["konferens"], "bord"),
            ("vägghylla", &["vägg"], "hylla"),
            ("kylskåp", &["kyl"], "skåp"),
            ("soffbord", &["soffa"], "bord"),
            ("skrivbord", &["skriva"], "bord"),
        ] {
            assert_eq!(split(sv, word, &[]), stems(sv, modifiers, head), "{word}");
        }
    }

    #[test]
    fn the_fewest_parts_and_then_the_shortest_head_win() {
        let sv = Lexicon::swedish();
        assert_eq!(
            split(sv, "skrivbordslampa", &[]),
            stems(sv, &["skrivbord"], "lampa")
        );
    }

    #[test]
    fn plain_words_do_not_split() {
        let sv = Lexicon::swedish();
        for word in [
            "stol", "bord", "soffa", "lampa", "hylla", "gardin", "fåtölj", "matta", "skrivare",
        ] {
            assert_eq!(split(sv, word, &[]), None, "{word}");
        }
    }

    #[test]
    fn norwegian_compounds_split_with_and_without_linking_letters() {
        let nb = Lexicon::bokmal();
        assert_eq!(split(nb, "møtebord", &[]), stems(nb, &["møte"], "bord"));
        assert_eq!(split(nb, "kontorstol", &[]), stems(nb, &["kontor"], "stol"));
        assert_eq!(split(nb, "skrivebord", &[]), stems(nb, &["skrive"], "bord"));
        assert_eq!(split(nb, "skolestoler", &[]), stems(nb, &["skole"], "stol"));
        assert_eq!(split(nb, "kjøleskap", &[]), stems(nb, &["kjøle"], "skap"));
        assert_eq!(split(nb, "stekeovn", &[]), stems(nb, &["steke"], "ovn"));
        assert_eq!(split(nb, "modulsofa", &[]), stems(nb, &["modul"], "sofa"));
        for word in ["sofa", "hylle", "stol"] {
            assert_eq!(split(nb, word, &[]), None, "{word}");
        }
        // Words the lexicon lacks split when a category name gives them.
        assert_eq!(split(nb, "kontorzyxq", &[]), None);
        assert_eq!(
            split(nb, "kontorzyxq", &["zyxq"]),
            stems(nb, &["kontor"], "zyxq")
        );
    }
}
