//! Parts of pages rendered once per distinct content: the site header and footer, the browse
//! filters, a listing's card.
//!
//! Such a part is a template whose variables are the fields of one key value, and the key
//! holds everything the part shows (texts in the page's language included). Its HTML is
//! kept by that key, so an edit, a renamed unit or another language is simply a different
//! key and nothing ever needs invalidating. The data still comes from the database on every
//! request; what is saved is running the template interpreter over the same text again.

use std::hash::Hash;
use std::sync::Arc;

use quick_cache::UnitWeighter;
use quick_cache::sync::{Cache, DefaultLifecycle};
use serde::Serialize;
use tera::{Context, Tera};

/// Rendered HTML of one template, by key.
pub struct Fragments<K> {
    template: &'static str,
    rendered: Cache<K, Arc<str>, UnitWeighter, foldhash::fast::RandomState>,
}

impl<K> Fragments<K>
where
    K: Hash + Eq + Serialize,
{
    /// Keeps up to `kept` distinct renderings of `template`.
    pub fn new(template: &'static str, kept: usize) -> Self {
        Self {
            template,
            rendered: Cache::with(
                kept,
                kept as u64,
                UnitWeighter,
                foldhash::fast::RandomState::default(),
                DefaultLifecycle::default(),
            ),
        }
    }

    /// The HTML for `key`.
    pub fn render(&self, tera: &Tera, key: K) -> Result<String, tera::Error> {
        let mut html = String::new();
        self.render_into(tera, key, &mut html)?;
        Ok(html)
    }

    /// Appends the HTML for `key` to `html`.
    pub fn render_into(&self, tera: &Tera, key: K, html: &mut String) -> Result<(), tera::Error> {
        if let Some(rendered) = self.rendered.get(&key) {
            html.push_str(&rendered);
            return Ok(());
        }
        let rendered: Arc<str> = tera
            .render(self.template, &Context::from_serialize(&key)?)?
            .into();
        html.push_str(&rendered);
        self.rendered.insert(key, rendered);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, PartialEq, Eq, Hash)]
    struct Greeting {
        name: String,
    }

    fn tera() -> Tera {
        let mut tera = Tera::default();
        tera.add_raw_template("greeting.html", "<p>Hej {{ name }}</p>")
            .expect("template compiles");
        tera
    }

    #[test]
    fn each_key_shows_its_own_content_and_escapes_it() {
        let fragments = Fragments::new("greeting.html", 2);
        let tera = tera();
        let mut html = String::new();
        for name in ["Anna", "<b>Bo</b>", "Anna"] {
            let key = Greeting {
                name: name.to_string(),
            };
            fragments
                .render_into(&tera, key, &mut html)
                .expect("renders");
        }
        assert_eq!(
            html,
            "<p>Hej Anna</p><p>Hej &lt;b&gt;Bo&lt;&#x2F;b&gt;</p><p>Hej Anna</p>"
        );
    }

    #[test]
    fn more_keys_than_kept_still_render_correctly() {
        let fragments = Fragments::new("greeting.html", 2);
        let tera = tera();
        for round in 0..3 {
            for n in 0..10 {
                let mut html = String::new();
                let key = Greeting {
                    name: format!("nr {n}"),
                };
                fragments
                    .render_into(&tera, key, &mut html)
                    .expect("renders");
                assert_eq!(html, format!("<p>Hej nr {n}</p>"), "round {round}");
            }
        }
    }
}
