//! The stylesheet and icon, compiled into the binary and served with long cache lifetimes:
//! their URLs carry a content hash, so a new release is fetched at once.

use actix_web::http::header::{self, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, get, web};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
struct AssetFiles;

/// 16 hex digits of the file's SHA-256: plenty to tell releases apart.
fn content_hash(name: &str) -> Option<String> {
    let file = AssetFiles::get(name)?;
    Some(
        file.metadata
            .sha256_hash()
            .iter()
            .take(8)
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    )
}

/// `/assets/bruka.css?v=<hash>`; the hash makes the URL change whenever the file does.
pub fn versioned_url(name: &str) -> String {
    match content_hash(name) {
        Some(hash) => format!("/assets/{name}?v={hash}"),
        None => format!("/assets/{name}"),
    }
}

#[get("/assets/{name}")]
pub async fn serve(name: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let (Some(file), Some(hash)) = (AssetFiles::get(&name), content_hash(&name)) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = EntityTag::new_strong(hash.clone());
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim().trim_matches('"') == hash)
        });
    let versioned = req.query_string() == format!("v={hash}");
    let cache_control = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(ETag(etag))
        .insert_header((header::CACHE_CONTROL, cache_control));
    if fresh {
        return response.finish();
    }
    response
        .content_type(file.metadata.mimetype())
        .body(file.data.into_owned())
}
