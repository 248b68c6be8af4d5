//! Words one slip of the keyboard away from what was meant ("skrifbord" for skrivbord).
//!
//! A correction is a word the Swedish or Norwegian lexicon knows, in any of its forms or as
//! a compound of its parts, one edit from the typed word: a letter left out, added, changed,
//! or two letters swapped. Only words of [`MIN_LEN`] letters or more are corrected: shorter
//! ones are a single edit from too many others (stol, stal, stool, sol). Search looks for
//! the corrections beside the typed word, weaker (see `search`), and the database says which
//! of them any listing has; so the lexicon only has to propose, not to know the catalogue.
//!
//! A word the lexicon knows is not corrected while it finds something ("hylsa" is a word);
//! when a search finds nothing at all, [`respellings`] are tried too, known or not.

use super::compound::Lexicon;

/// Words shorter than this are not corrected.
pub const MIN_LEN: usize = 5;
/// Longer words are not corrected: they are rare, and each letter adds some seventy
/// candidates to look up.
const MAX_LEN: usize = 24;
/// Corrections looked for per word, the likeliest slips first.
const MAX_CORRECTIONS: usize = 4;
/// What a slip may put in: the letters Swedish and Norwegian words are written with.
const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzåäöæøé";

fn either_lexicon(check: impl Fn(&Lexicon) -> bool) -> bool {
    check(Lexicon::swedish()) || check(Lexicon::bokmal())
}

/// Corrections for a word the lexicon does not list; none for a word it lists. A word that
/// only splits into listed parts may still be a slip ("bokhyla" is bok + the Norwegian
/// hyle): it is corrected only to words listed as written.
pub fn corrections(word: &str) -> Vec<String> {
    if either_lexicon(|lexicon| lexicon.lists(word)) {
        return Vec::new();
    }
    let mut found = respellings(word);
    if either_lexicon(|lexicon| lexicon.knows(word)) {
        found.retain(|respelled| either_lexicon(|lexicon| lexicon.has_form(respelled)));
    }
    found
}

/// Known words one edit from `word`, whether or not `word` is known itself, one per stem:
/// words listed as written first, then listed words in another form, then compounds (a
/// split each, so tried last); each kind in the order of [`one_edit`].
pub fn respellings(word: &str) -> Vec<String> {
    let len = word.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) || !word.chars().all(char::is_alphabetic) {
        return Vec::new();
    }
    let variants = one_edit(word);
    let stems = |word: &str| (Lexicon::swedish().stem(word), Lexicon::bokmal().stem(word));
    let mut found: Vec<String> = Vec::new();
    let mut found_stems = vec![stems(word)];
    let kinds: [fn(&Lexicon, &str) -> bool; 3] =
        [Lexicon::has_form, Lexicon::lists, Lexicon::knows];
    for kind in kinds {
        for variant in &variants {
            if found.len() == MAX_CORRECTIONS {
                return found;
            }
            if either_lexicon(|lexicon| kind(lexicon, variant)) {
                let variant_stems = stems(variant);
                if !found_stems.contains(&variant_stems) {
                    found_stems.push(variant_stems);
                    found.push(variant.clone());
                }
            }
        }
    }
    found
}

/// Every word one edit from `word`, the commonest slips first: two letters swapped, a
/// letter doubled or left in by mistake, a letter mistyped, a letter left out.
fn one_edit(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let letters: Vec<char> = LETTERS.chars().collect();
    let text = |chars: &[char]| chars.iter().collect::<String>();
    let mut variants = Vec::new();
    for at in 0..chars.len().saturating_sub(1) {
        if chars[at] != chars[at + 1] {
            let mut swapped = chars.clone();
            swapped.swap(at, at + 1);
            variants.push(text(&swapped));
        }
    }
    for at in 0..chars.len() {
        let mut shorter = chars.clone();
        shorter.remove(at);
        variants.push(text(&shorter));
    }
    for at in 0..chars.len() {
        for &letter in &letters {
            if letter != chars[at] {
                let mut changed = chars.clone();
                changed[at] = letter;
                variants.push(text(&changed));
            }
        }
    }
    for at in 0..=chars.len() {
        for &letter in &letters {
            let mut longer = chars.clone();
            longer.insert(at, letter);
            variants.push(text(&longer));
        }
    }
    let mut seen = std::collections::HashSet::new();
    variants.retain(|variant| variant != word && seen.insert(variant.clone()));
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slip_is_corrected_to_a_known_word() {
        for (typed, meant) in [
            ("skrifbord", "skrivbord"),
            ("bokhyla", "bokhylla"),
            ("diskmaksin", "diskmaskin"),
            ("kjøleskp", "kjøleskap"),
            ("kontorsstoll", "kontorsstol"),
            ("sofffa", "soffa"),
        ] {
            let found = corrections(typed);
            assert!(found.contains(&meant.to_string()), "{typed}: {found:?}");
        }
    }

    #[test]
    fn known_words_and_short_words_are_left_alone() {
        for word in [
            "skrivbord",
            "kontorsstolar",
            "møtebord",
            "hylsa",
            "stl",
            "bodr",
        ] {
            assert_eq!(corrections(word), Vec::<String>::new(), "{word}");
        }
        assert!(respellings("hylsa").contains(&"hylla".to_string()));
        assert_eq!(corrections("bokhyla"), ["bokhylla"]);
    }

    #[test]
    fn only_words_are_corrected() {
        assert!(corrections("x2000").is_empty());
        assert!(corrections(&"a".repeat(40)).is_empty());
    }

    #[test]
    fn the_edits_are_each_one_slip() {
        let variants = one_edit("bord");
        assert!(variants.contains(&"brod".to_string()));
        assert!(variants.contains(&"bor".to_string()));
        assert!(variants.contains(&"bård".to_string()));
        assert!(variants.contains(&"bords".to_string()));
        assert!(!variants.contains(&"bord".to_string()));
        assert!(!variants.contains(&"drob".to_string()));
    }
}
