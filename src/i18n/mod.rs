//! Languages of the interface: Swedish (default), Norwegian bokmål and English.
//!
//! Texts live in Fluent files under `src/i18n/locales/<code>/`, compiled into the binary.

mod numbers;
mod times;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

pub use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use serde::Serialize;

pub use numbers::{format_decimal, parse_decimal};
pub use times::{local_date, local_day_end, local_day_start, local_month, local_naive, local_time};

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "./src/i18n/locales",
        fallback_language: "sv",
        // Unicode isolation marks around arguments confuse screen readers and copy-paste.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Language {
    Swedish,
    NorwegianBokmal,
    English,
}

impl Language {
    pub const ALL: [Language; 3] = [
        Language::Swedish,
        Language::NorwegianBokmal,
        Language::English,
    ];
    pub const DEFAULT: Language = Language::Swedish;

    /// BCP 47 code, used in `lang` attributes, cookies and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Language::Swedish => "sv",
            Language::NorwegianBokmal => "nb",
            Language::English => "en",
        }
    }

    /// The language's name in itself, as language switchers show it.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::Swedish => "Svenska",
            Language::NorwegianBokmal => "Norsk bokmål",
            Language::English => "English",
        }
    }

    /// Understands tags such as `sv-SE`, `nb`, `no`, `nn-NO`, `en-GB`. Nynorsk readers get
    /// bokmål, which they read daily, rather than a language they may not.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "sv" => Some(Language::Swedish),
            "nb" | "no" | "nn" => Some(Language::NorwegianBokmal),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    pub fn langid(self) -> LanguageIdentifier {
        match self {
            Language::Swedish => langid!("sv"),
            Language::NorwegianBokmal => langid!("nb"),
            Language::English => langid!("en"),
        }
    }

    /// The text for `key`. Keys are checked by tests, so a missing one is a bug, not input.
    pub fn text(self, key: &str) -> String {
        match self.try_text(key) {
            Some(text) => text,
            None => LOCALES.lookup(&self.langid(), key),
        }
    }

    pub fn text_with(self, key: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        LOCALES.lookup_with_args(&self.langid(), key, &args)
    }

    /// The text for `key` if this language (or the fallback) has one.
    pub fn try_text(self, key: &str) -> Option<String> {
        let texts = &PLAIN_TEXTS[self as usize];
        let known = texts.read().ok().and_then(|texts| texts.get(key).cloned());
        if let Some(text) = known {
            return Some(text.to_string());
        }
        let text = LOCALES.try_lookup(&self.langid(), key)?;
        // Only texts that exist are kept, so the map is bounded by the Fluent files.
        if let Ok(mut texts) = texts.write() {
            texts.insert(key.to_string(), text.as_str().into());
        }
        Some(text)
    }
}

/// Texts without arguments, once looked up. The Fluent files are compiled in, so a text
/// never changes while running; going through Fluent each time (language negotiation,
/// argument maps) cost a browse page more than rendering the words around them.
/// One map per language, in the order of the enum.
static PLAIN_TEXTS: LazyLock<[KeptTexts; Language::ALL.len()]> = LazyLock::new(Default::default);

type KeptTexts = RwLock<HashMap<String, Arc<str>>>;

/// The tera function `t(key=…, lang=…)` used by every template: a text without arguments
/// comes from [`PLAIN_TEXTS`], one with arguments from Fluent.
pub fn tera_function() -> impl tera::Function {
    Translate {
        fluent: fluent_templates::FluentLoader::new(&*LOCALES)
            .with_default_lang(Language::DEFAULT.langid()),
    }
}

/// The templates compiled in from an embedded folder, with [`tera_function`] registered:
/// the pages (`templates/`) and the mail (`templates/mail/`) each have their own.
pub fn compiled_templates<E: rust_embed::RustEmbed>() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    let files = E::iter().filter_map(|name| {
        let file = E::get(&name)?;
        let text = String::from_utf8(file.data.into_owned()).ok()?;
        Some((name.into_owned(), text))
    });
    tera.add_raw_templates(files.collect::<Vec<_>>())?;
    tera.register_function("t", tera_function());
    Ok(tera)
}

struct Translate<L> {
    fluent: fluent_templates::FluentLoader<L>,
}

impl<L> tera::Function for Translate<L>
where
    fluent_templates::FluentLoader<L>: tera::Function,
{
    fn call(&self, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        if let (2, Some(tera::Value::String(key)), Some(tera::Value::String(lang))) =
            (args.len(), args.get("key"), args.get("lang"))
            && let Some(text) = Language::from_tag(lang).and_then(|l| l.try_text(key))
        {
            return Ok(tera::Value::String(text));
        }
        self.fluent.call(args)
    }

    fn is_safe(&self) -> bool {
        self.fluent.is_safe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn message_ids(language: Language) -> BTreeSet<String> {
        let dir = format!(
            "{}/src/i18n/locales/{}",
            env!("CARGO_MANIFEST_DIR"),
            language.code()
        );
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("locale dir exists") {
            let text = std::fs::read_to_string(entry.expect("readable").path()).expect("utf-8");
            ids.extend(
                text.lines()
                    .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
                    .filter_map(|line| line.split_once('='))
                    .map(|(id, _)| id.trim().to_string()),
            );
        }
        ids
    }

    #[test]
    fn every_language_has_every_message() {
        let swedish = message_ids(Language::Swedish);
        assert!(swedish.len() > 20);
        for language in [Language::NorwegianBokmal, Language::English] {
            let other = message_ids(language);
            let missing: Vec<_> = swedish.difference(&other).collect();
            let extra: Vec<_> = other.difference(&swedish).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", language.code());
            assert!(extra.is_empty(), "{} has extra {extra:?}", language.code());
        }
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let known = message_ids(Language::Swedish);
        let dir = format!("{}/templates", env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(
                    std::fs::read_dir(&path)
                        .expect("dir")
                        .map(|e| e.expect("entry").path()),
                );
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("utf-8");
            for piece in text.split("key=\"").skip(1) {
                if let Some((key, _)) = piece.split_once('"') {
                    used.push((path.display().to_string(), key.to_string()));
                }
            }
        }
        assert!(!used.is_empty());
        for (file, key) in used {
            // `key="role-" ~ role` builds the id at render time: some message must fit.
            let found = if key.ends_with('-') {
                known.iter().any(|id| id.starts_with(&key))
            } else {
                known.contains(&key)
            };
            assert!(found, "{file} uses unknown message {key}");
        }
    }

    #[test]
    fn language_tags_are_understood() {
        assert_eq!(Language::from_tag("sv-SE"), Some(Language::Swedish));
        assert_eq!(Language::from_tag("nn-NO"), Some(Language::NorwegianBokmal));
        assert_eq!(Language::from_tag("no"), Some(Language::NorwegianBokmal));
        assert_eq!(Language::from_tag("EN_gb"), Some(Language::English));
        assert_eq!(Language::from_tag("de"), None);
        assert_eq!(Language::from_tag(""), None);
    }

    #[test]
    fn arguments_are_substituted_without_isolation_marks() {
        let text = Language::English.text_with("factor-per-item", &[("kg", "64".into())]);
        assert_eq!(text, "64 kg CO₂e per item");
    }
}
