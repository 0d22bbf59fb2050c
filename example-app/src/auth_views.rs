//! Logging in and out: `/api/auth/token/` (DRF's `obtain_auth_token`, plus DELETE to revoke
//! the caller's token) for API clients, and `/api/auth/login/` and `/api/auth/logout/` (DRF's
//! `rest_framework.urls`) for the browsable API's session.

use std::path::Path;
use std::sync::Arc;

use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, StatusCode};
use restframe::auth::{
    CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, cookie, csrf_cookie, expired_session_cookie,
    generate_key, hash_key, keys_match, session_cookie,
};
use restframe::openapi::Doc;
use restframe::permissions::{AllowAny, IsAuthenticated, Permission};
use restframe::{ApiError, ApiView, Request, Response, RouteError, Router, api_view};
use serde::{Deserialize, Serialize};

use crate::credentials::{Credentials, SESSION_AGE};

/// The login page's path (the browsable API links to it).
pub const LOGIN_URL: &str = "/api/auth/login/";
/// The logout view's path (the browsable API's "Log out" posts to it).
pub const LOGOUT_URL: &str = "/api/auth/logout/";

/// What DRF answers to wrong credentials.
const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";

/// `POST /api/auth/token/`'s body, as JSON or a form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    username: Option<String>,
    #[schema(write_only)]
    password: Option<String>,
}

/// `POST /api/auth/token/`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenReply {
    /// The key to send as `Authorization: Token <key>`; shown once, stored hashed.
    token: String,
}

/// Both fields, or DRF's 400 naming every missing one.
fn required(
    username: Option<String>,
    password: Option<String>,
) -> Result<(String, String), ApiError> {
    match (
        username.filter(|u| !u.is_empty()),
        password.filter(|p| !p.is_empty()),
    ) {
        (Some(u), Some(p)) => Ok((u, p)),
        (u, p) => {
            let mut missing = Vec::new();
            if u.is_none() {
                missing.push(("username", "This field is required."));
            }
            if p.is_none() {
                missing.push(("password", "This field is required."));
            }
            Err(ApiError::validation(missing))
        }
    }
}

/// No authenticator (a stale credential must not stop a login) and no permission.
fn open_to_all(view: ApiView) -> ApiView {
    view.authenticators([])
        .permissions([Arc::new(AllowAny) as Arc<dyn Permission>])
}

fn obtain_token(credentials: &Credentials) -> ApiView {
    let view = api_view(|mut req: Request| async move {
        let credentials = req.state::<Credentials>()?;
        let body: TokenRequest = req.data().await?;
        let (username, password) = required(body.username, body.password)?;
        let Some(user) = credentials.check_password(&username, &password).await? else {
            return Err(ApiError::validation([("", BAD_CREDENTIALS)]));
        };
        let token = credentials.issue_token(user.id()).await?;
        Ok(Response::new(TokenReply { token }))
    })
    .name("Obtain auth token")
    .description("Trades a username and password for a new token (DRF's `obtain_auth_token`).")
    .doc(
        Doc::new()
            .summary("Log in: get a token")
            .request::<TokenRequest>()
            .response::<TokenReply>(200, "A new token.")
            .errors([400]),
    )
    .with_state(credentials.clone());
    open_to_all(view)
}

fn revoke_token(credentials: &Credentials) -> ApiView {
    api_view(|req: Request| async move {
        let credentials = req.state::<Credentials>()?;
        req.user().await?;
        let token = req
            .credentials()
            .filter(|c| c.scheme() == "token")
            .and_then(|c| c.key_hash())
            .ok_or_else(|| ApiError::bad_request("Only a token can be revoked here."))?;
        credentials.revoke_token(token).await?;
        Ok(Response::empty(StatusCode::NO_CONTENT))
    })
    .name("Revoke auth token")
    .description("Deletes the token the request is authenticated with.")
    .doc(
        Doc::new()
            .summary("Log out: revoke this token")
            .empty_response(204, "The token no longer works."),
    )
    .permissions([Arc::new(IsAuthenticated) as Arc<dyn Permission>])
    .with_state(credentials.clone())
}

/// What the login template shows.
#[derive(Serialize)]
struct LoginPage {
    next: String,
    csrf_token: String,
    username: String,
    error: Option<&'static str>,
}

/// The login form's fields.
#[derive(Deserialize)]
struct LoginForm {
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
    csrfmiddlewaretoken: Option<String>,
}

/// `next` when it is a path on this site; `/api/` otherwise (no open redirect).
///
/// Only visible ASCII is kept: browsers drop tabs and newlines from a `Location` and read a
/// backslash as a slash, so `/\t/evil.example` or `/\\evil.example` would leave the site.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/api/".to_owned(),
    }
}

fn append_cookie(res: &mut Response, value: HeaderValue) {
    res.headers_mut().append(SET_COOKIE, value);
}

/// `GET`: the form, with a fresh CSRF token in a cookie and in the form (the double submit a
/// cross-site page cannot read). `POST`: the form's fields; a session and a redirect to `next`,
/// or the form again with the error.
fn login(credentials: &Credentials, templates: &Path, debug: bool) -> ApiView {
    let view = api_view(|mut req: Request| async move {
        let credentials = req.state::<Credentials>()?;
        let age = SESSION_AGE.as_secs();
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            // The browser's CSRF token, if it has a sane one (a logged-in session's, say, which
            // must keep working); a new one otherwise.
            let token = cookie(req.head(), CSRF_COOKIE)
                .filter(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                .map_or_else(generate_key, str::to_owned);
            let mut res = Response::new(LoginPage {
                next: local_path(req.query().get("next").as_deref()),
                csrf_token: token.clone(),
                username: String::new(),
                error: None,
            });
            append_cookie(&mut res, csrf_cookie(&token, req.head(), age)?);
            return Ok(res);
        }
        let form: LoginForm = req.data().await?;
        let sent = form.csrfmiddlewaretoken.unwrap_or_default();
        let expected = cookie(req.head(), CSRF_COOKIE).unwrap_or_default();
        if sent.is_empty()
            || expected.is_empty()
            || !keys_match(sent.as_bytes(), expected.as_bytes())
        {
            return Err(ApiError::permission_denied(Some(
                "CSRF Failed: CSRF token missing or incorrect.",
            )));
        }
        let next = local_path(form.next.as_deref());
        let user = match required(form.username.clone(), form.password) {
            Ok((username, password)) => credentials.check_password(&username, &password).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            return Ok(Response::new(LoginPage {
                next,
                csrf_token: expected.to_owned(),
                username: form.username.unwrap_or_default(),
                error: Some(BAD_CREDENTIALS),
            })
            .with_status(StatusCode::BAD_REQUEST)
            // The form again, with the error: a page, not the error view.
            .with_template("login.html"));
        };
        let (key, csrf) = credentials.start_session(user.id()).await?;
        let location =
            HeaderValue::from_str(&next).map_err(|_| ApiError::bad_request("Bad next."))?;
        let mut res = Response::empty(StatusCode::FOUND).with_header(LOCATION, location);
        append_cookie(&mut res, session_cookie(&key, req.head(), age)?);
        append_cookie(&mut res, csrf_cookie(&csrf, req.head(), age)?);
        Ok(res)
    })
    .name("Log in")
    .description("Logs in to the browsable API (a session cookie).")
    .template_name("login.html")
    .renderers(crate::pages::renderers(templates, debug))
    .doc(Doc::new().exclude())
    .with_state(credentials.clone());
    open_to_all(view)
}

/// `POST` with the session cookie and its CSRF token (the `X-CSRFToken` header, or the form
/// field): the session ends, the cookie is expired, and the browser goes to `next`.
fn logout(credentials: &Credentials) -> ApiView {
    let view = api_view(|mut req: Request| async move {
        let credentials = req.state::<Credentials>()?;
        let key_hash = cookie(req.head(), SESSION_COOKIE)
            .filter(|k| !k.is_empty())
            .map(hash_key);
        let mut next = local_path(req.query().get("next").as_deref());
        let session = match &key_hash {
            Some(key_hash) => credentials.session(key_hash).await?,
            None => None,
        };
        if let (Some(key_hash), Some(session)) = (key_hash, session) {
            let sent = match req.headers().get(CSRF_HEADER) {
                Some(v) => v.to_str().unwrap_or_default().to_owned(),
                None => {
                    let form: LogoutForm = req.data().await?;
                    next = local_path(form.next.as_deref().or(Some(next.as_str())));
                    form.csrfmiddlewaretoken.unwrap_or_default()
                }
            };
            if session.csrf_token.is_empty()
                || !keys_match(sent.as_bytes(), session.csrf_token.as_bytes())
            {
                return Err(ApiError::permission_denied(Some(
                    "CSRF Failed: CSRF token missing or incorrect.",
                )));
            }
            credentials.end_session(&key_hash).await?;
        }
        let location =
            HeaderValue::from_str(&next).map_err(|_| ApiError::bad_request("Bad next."))?;
        let mut res = Response::empty(StatusCode::FOUND).with_header(LOCATION, location);
        append_cookie(&mut res, expired_session_cookie(req.head())?);
        Ok(res)
    })
    .name("Log out")
    .description("Ends the browsable API's session.")
    .doc(Doc::new().exclude())
    .with_state(credentials.clone());
    open_to_all(view)
}

/// The logout form's fields (when the token is not in the header).
#[derive(Deserialize, Default)]
#[serde(default)]
struct LogoutForm {
    next: Option<String>,
    csrfmiddlewaretoken: Option<String>,
}

/// Adds `/api/auth/token/`, `/api/auth/login/` and `/api/auth/logout/`.
pub fn routes(
    router: Router,
    credentials: &Credentials,
    templates: &Path,
    debug: bool,
) -> Result<Router, RouteError> {
    let login = login(credentials, templates, debug);
    router
        .route(
            "/api/auth/token/",
            "auth-token",
            [
                (Method::POST, obtain_token(credentials)),
                (Method::DELETE, revoke_token(credentials)),
            ],
        )?
        .route(
            LOGIN_URL,
            "login",
            [(Method::GET, login.clone()), (Method::POST, login)],
        )?
        .route(LOGOUT_URL, "logout", [(Method::POST, logout(credentials))])
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_is_a_path_on_this_site_or_the_api_root() {
        for ok in ["/api/tracks/", "/api/tracks/?page=2&x=%2F"] {
            assert_eq!(local_path(Some(ok)), ok);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "api/",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/api/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/api/");
    }
}
