//! The `Idempotency-Key` header on the API's POSTs (see [`crate::app::idempotency`]): a
//! retry gets the first answer, marked `Idempotent-Replayed: true`.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use sha2::{Digest, Sha256};

use super::super::AppError;
use crate::accounts::tokens::hex;
use crate::app::App;
use crate::app::idempotency::{self, Claim, KeptAnswer, Known};
use crate::refusal::{FieldError, Message, Refusal};

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// The most a key may be; a UUID is 36.
const MAX_KEY_CHARS: usize = 255;
/// Bodies read to compare a retry with the first try; the JSON limit is lower.
const MAX_BODY_BYTES: usize = 256 * 1024;

fn refuse(req: ServiceRequest, error: AppError) -> ServiceResponse<BoxBody> {
    req.error_response(error).map_into_boxed_body()
}

fn conflict(code: &'static str, key: &'static str) -> AppError {
    AppError::Refused(Refusal::Conflict {
        code,
        message: Message::new(key),
    })
}

pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|value| value.to_str().map(str::to_string));
    let api_post = req.method() == Method::POST && req.path().starts_with("/api/");
    let (Some(key), true) = (key, api_post) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(key) = key.map(|key| key.trim().to_string()) else {
        return Ok(refuse(req, invalid_key()));
    };
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        return Ok(refuse(req, invalid_key()));
    }
    let (Some(app), Some(authorization)) = (
        req.app_data::<web::Data<App>>().cloned(),
        req.headers()
            .get(header::AUTHORIZATION)
            .map(|value| value.as_bytes().to_vec()),
    ) else {
        // Without a token the request is refused anyway; nothing to remember.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(error) => return Ok(refuse(req, error)),
    };
    let scope = hex(&Sha256::digest(&authorization));
    let mut request = Sha256::new();
    request.update(req.method().as_str());
    request.update(b" ");
    request.update(req.uri().to_string());
    request.update(b"\n");
    request.update(&body);
    let fingerprint = hex(&request.finalize());
    req.set_payload(Payload::from(body));

    let (lookup_scope, lookup_key, lookup_print) =
        (scope.clone(), key.clone(), fingerprint.clone());
    let known = app
        .read(move |conn| idempotency::lookup(conn, &lookup_scope, &lookup_key, &lookup_print))
        .await;
    match known {
        Err(failure) => return Ok(refuse(req, AppError::from(failure))),
        Ok(Known::OtherRequest) => {
            return Ok(refuse(
                req,
                AppError::Refused(Refusal::Invalid(vec![FieldError::new(
                    "Idempotency-Key",
                    "api-error-idempotency-other-request",
                )])),
            ));
        }
        Ok(Known::DoneWithoutAnswer) => {
            return Ok(refuse(
                req,
                conflict(
                    "idempotency_done_without_answer",
                    "api-error-idempotency-done",
                ),
            ));
        }
        Ok(Known::Answered(answer)) => {
            let (request, _) = req.into_parts();
            return Ok(ServiceResponse::new(request, replay(&answer)));
        }
        Ok(Known::Unused) => {}
    }

    let claim = Claim::new(scope, key, fingerprint);
    let response = idempotency::within(claim.clone(), next.call(req)).await?;
    if claim.lost_the_race() {
        let (request, _) = response.into_parts();
        let refused = conflict(
            "idempotency_in_progress",
            "api-error-idempotency-in-progress",
        );
        return Ok(ServiceResponse::new(request, refused.error_response()).map_into_boxed_body());
    }
    // Nothing committed: nothing to remember. Work committed but answered with a server
    // error (a read after the commit failed): the answer is not kept, and a retry is told
    // the work was done rather than given the error again.
    if !claim.recorded() || response.status().is_server_error() {
        return Ok(response.map_into_boxed_body());
    }
    // The work is done: keep what is answered, so a retry gets exactly this.
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body).await.map_err(|_| AppError::BadRequest)?;
    let text_header = |name| {
        head.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let kept = KeptAnswer {
        status: head.status().as_u16(),
        content_type: text_header(header::CONTENT_TYPE),
        location: text_header(header::LOCATION),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let (scope, key) = (claim.scope.clone(), claim.key.clone());
    let keep = kept.clone();
    if let Err(error) = app
        .read(move |conn| idempotency::keep_answer(conn, &scope, &key, &keep))
        .await
    {
        // The work stands; a retry is told it was done instead of getting this answer.
        tracing::warn!(%error, "an idempotent answer could not be kept");
    }
    let response = head.set_body(bytes).map_into_boxed_body();
    Ok(ServiceResponse::new(request, response))
}

fn invalid_key() -> AppError {
    AppError::Refused(Refusal::Invalid(vec![FieldError::new(
        "Idempotency-Key",
        "api-error-idempotency-key",
    )]))
}

async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    use futures_util::StreamExt;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(AppError::BadRequest);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn replay(answer: &KeptAnswer) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
    response
        .insert_header((REPLAYED, "true"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(content_type) = &answer.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type.as_str()));
    }
    if let Some(location) = &answer.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.body(answer.body.clone())
}
