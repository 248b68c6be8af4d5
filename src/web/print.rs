//! A listing's print view: one sheet to tape on the furniture, with what it is, where it is
//! picked up and a QR code that opens its page, where colleagues reserve it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::Serialize;

use super::auth::CurrentUser;
use super::{AppError, Page};
use crate::app::App;
use crate::app::listings;
use crate::categories::category_name;
use crate::ids::ItemId;
use crate::items::{Item, Photo};

/// `items/print.html`.
#[derive(Serialize)]
struct PrintSheet<'a> {
    item: &'a Item,
    photo: Option<&'a Photo>,
    category_name: Option<String>,
    organisation_name: &'a str,
    unit_name: Option<&'a str>,
    url: String,
    /// The QR code as inline SVG; none if the address does not fit in one.
    qr_code: Option<String>,
}

#[get("/items/{id}/print")]
pub async fn print_sheet(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let listing = listings::listing(&app, user.0.viewer, path.into_inner()).await?;
    let language = page.language();
    let url = format!("{}/items/{}", app.site.0, listing.item.id);
    let label = language.text_with(
        "print-qr-label",
        &[("title", listing.item.fields.title.clone().into())],
    );
    let view = PrintSheet {
        item: &listing.item,
        photo: listing.photos.first(),
        category_name: listing
            .category
            .as_ref()
            .map(|c| category_name(language, c)),
        organisation_name: &listing.organisation_name,
        unit_name: listing.unit_name.as_deref(),
        qr_code: qr_svg(&url, &label),
        url,
    };
    page.show(StatusCode::OK, "items/print.html", &view)
}

/// The address as a QR code in SVG, labelled for screen readers. Medium error correction
/// survives a scuffed or partly covered sheet.
pub(super) fn qr_svg(url: &str, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // The renderer writes a standalone document; inline SVG needs only the element.
    let element = &drawn[drawn.find("<svg")?..];
    let escaped = tera::escape_html(label);
    Some(element.replacen(
        "<svg ",
        &format!(r#"<svg role="img" aria-label="{escaped}" focusable="false" "#),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_inline_labelled_svg() {
        let svg = qr_svg("https://bruka.boras.se/items/42", "QR <kod> & länk").expect("fits");
        assert!(svg.starts_with(r#"<svg role="img" aria-label="QR &lt;kod&gt; &amp; länk""#));
        assert!(!svg.contains("<?xml"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
