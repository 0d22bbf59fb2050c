//! The music catalogue's tracks: model, inputs, table and viewset.

use std::collections::HashMap;
use std::sync::Arc;

use restframe::permissions::{IsAuthenticatedOrReadOnly, Permission};
use restframe::renderers::Renderer;
use restframe::sql::{Column, ColumnType::*, Database, SqlRepository, Table};
use restframe::{
    ApiError, ApiSettings, Date, DateTime, Decimal, ModelViewSet, Request, Validate,
    ValidationErrors,
};

use crate::ownership::IsSelfOrStaff;
use crate::users::User;
use serde::{Deserialize, Serialize};

/// A track as the API shows it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Track {
    /// The track's own URL (DRF's `HyperlinkedIdentityField`).
    #[schema(read_only, required = true, format = "uri")]
    #[serde(default)]
    url: String,
    #[schema(read_only)]
    id: i64,
    title: String,
    artist_name: String,
    release_date: Option<Date>,
    /// Its length in seconds, a decimal (`"545.2"`) with at most 3 decimal places.
    #[schema(value_type = Option<String>, format = "decimal", pattern = r"^[0-9]{1,6}(\.[0-9]{1,3})?$")]
    duration: Option<Decimal>,
    #[schema(read_only)]
    file: Option<String>,
    /// The id of the user who created the track: they (and staff) may change it.
    #[schema(read_only)]
    #[serde(default)]
    owner: Option<i64>,
    /// The owner's username.
    #[schema(read_only)]
    #[serde(default)]
    owner_username: Option<String>,
    /// The owner's URL (DRF's `HyperlinkedRelatedField`).
    #[schema(read_only, format = "uri")]
    #[serde(default)]
    owner_url: Option<String>,
    /// When the track was created.
    #[schema(read_only)]
    created_at: DateTime,
    /// When the track was last changed.
    #[schema(read_only)]
    updated_at: DateTime,
    /// Where the uploaded file is in storage; not shown.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub file_key: Option<String>,
}

/// What create and update accept; `id` and `file` are read-only.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrackInput {
    title: String,
    artist_name: String,
    release_date: Option<Date>,
    /// Its length in seconds, a decimal (`"545.2"`) with at most 3 decimal places.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = "decimal", pattern = r"^[0-9]{1,6}(\.[0-9]{1,3})?$")]
    duration: Option<Decimal>,
    /// Set by the app (the creator; kept on update), never by the client.
    #[serde(default, skip_deserializing)]
    #[schema(ignore)]
    owner: Option<i64>,
}

/// What PATCH accepts: any of the writable fields. `"release_date": null` clears the date;
/// `"title": null` is a 400, "This field may not be null." (DRF's answer; a title is not
/// nullable). No field has a default in the document: one left out is left as it is.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct TrackPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String)]
    title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String)]
    artist_name: Option<String>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<Date>)]
    release_date: Option<Option<Date>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>, format = "decimal", pattern = r"^[0-9]{1,6}(\.[0-9]{1,3})?$")]
    duration: Option<Option<Decimal>>,
}

/// A PATCH field that may be left out but not set to null: DRF's "This field may not be null.".
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)?
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("This field may not be null."))
}

impl Validate for TrackInput {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.length("title", &self.title, 1, 100);
        errors.length("artist_name", &self.artist_name, 1, 100);
        if let Some(duration) = &self.duration {
            check_duration(&mut errors, duration);
        }
        errors.into_result()
    }
}

/// At most 9 digits, 3 of them decimal places, and not negative (kept as written: `545.20`
/// stays `545.20`, on SQLite as on PostgreSQL).
fn check_duration(errors: &mut ValidationErrors, duration: &Decimal) {
    if let Err(message) = restframe::decimal_rules(duration, Some(9), Some(3)) {
        errors.add("duration", message);
    } else if duration.is_sign_negative() && !duration.is_zero() {
        errors.add(
            "duration",
            "Ensure this value is greater than or equal to 0.",
        );
    }
}

impl Table for Track {
    type Input = TrackInput;
    type Patch = TrackPatch;
    const NAME: &'static str = "track";
    const COLUMNS: &'static [Column] = &[
        Column::new("id", Integer).read_only(),
        Column::new("title", Text),
        Column::new("artist_name", Text),
        Column::new("release_date", Date).nullable(),
        Column::new("duration", Decimal).nullable(),
        Column::new("file", Text).nullable().read_only(),
        Column::new("file_key", Text).nullable().read_only(),
        Column::new("owner", Integer).nullable(),
        Column::new("created_at", DateTime).auto_now_add(),
        Column::new("updated_at", DateTime).auto_now(),
    ];
}

impl Track {
    /// The id of the user who created the track.
    pub fn owner(&self) -> Option<i64> {
        self.owner
    }

    /// Makes `file` (stored as a path, `/api/tracks/ID/file/`) an absolute URL on `req`'s
    /// checked host, and sets `url`; paths when the request has no usable host.
    fn absolute(&mut self, req: &Request) {
        let base = req.base_url().ok();
        if let Some(file) = self.file.as_mut().filter(|f| f.starts_with('/'))
            && let Some(base) = &base
        {
            *file = format!("{base}{file}");
        }
        let id = self.id.to_string();
        self.url = req
            .reverse("track-detail", &[&id])
            .or_else(|_| req.reverse_path("track-detail", &[&id]))
            .unwrap_or_default();
    }
}

/// The tracks' owners, looked up for a whole page at once (DRF's `prefetch_related`): the
/// router's state, so that every view answering tracks shows them alike.
#[derive(Clone)]
pub struct Owners(SqlRepository<User>);

impl Owners {
    /// The owners in `db`.
    pub fn new(db: &Database) -> Self {
        Self(SqlRepository::new(db))
    }
}

/// Shapes tracks for `req`: each its `url`, an absolute `file`, and its owner's username and
/// URL, the owners read in one query whatever the number of tracks (no N+1).
pub async fn show(req: &Request, tracks: &mut [Track]) -> Result<(), ApiError> {
    let owners = req.state::<Owners>()?;
    let ids: Vec<String> = tracks
        .iter()
        .filter_map(|t| t.owner)
        .map(|id| id.to_string())
        .collect();
    let users: HashMap<i64, User> = if ids.is_empty() {
        HashMap::new()
    } else {
        owners
            .0
            .retrieve_many(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id(), u))
            .collect()
    };
    for track in tracks.iter_mut() {
        track.absolute(req);
        let owner = track.owner.and_then(|id| users.get(&id));
        track.owner_username = owner.map(|u| u.username().to_owned());
        track.owner_url = owner.and_then(|u| {
            let id = u.id().to_string();
            req.reverse("user-detail", &[&id])
                .or_else(|_| req.reverse_path("user-detail", &[&id]))
                .ok()
        });
    }
    Ok(())
}

/// The `/api/tracks/` viewset (its file actions are added by `uploads::actions`): anyone
/// reads; an authenticated user creates, and owns what they create; only the owner or staff
/// change, delete or upload. The list and the detail also answer JSONP (`renderers`, the
/// router's plus JSONP): public data for anonymous callers only.
pub fn viewset(
    repo: SqlRepository<Track>,
    renderers: Vec<Arc<dyn Renderer>>,
) -> ModelViewSet<SqlRepository<Track>> {
    use restframe::Lookup::*;
    let jsonp = ApiSettings::default().renderers(renderers);
    ModelViewSet::new("Track", "track", repo)
        .description(
            "Tracks of the music catalogue. Anyone may read; a logged-in user creates; the \
             owner (or staff) changes, deletes and uploads.",
        )
        .with_schemas()
        .permissions([
            Arc::new(IsAuthenticatedOrReadOnly) as Arc<dyn Permission>,
            Arc::new(IsSelfOrStaff::<Track>::new(Track::owner)),
        ])
        .action_settings("list", jsonp.clone())
        .action_settings("retrieve", jsonp)
        // `url`, `file` absolute on this request's own (checked) host, and the owners of the
        // whole page in one query.
        .prefetch(|req, tracks| Box::pin(show(req, tracks)))
        .perform_create(|req, input: &mut TrackInput| {
            input.owner = req.current_user().id();
            Ok(())
        })
        .perform_update(|req, input: &mut TrackInput| {
            // PUT replaces what the client may write; the owner stays.
            input.owner = req.extensions().get::<Arc<Track>>().and_then(|t| t.owner);
            Ok(())
        })
        // django-filter's `Meta.fields`, and DRF's `search_fields`.
        .filter("title", [Exact, IContains, IStartsWith])
        .filter("artist_name", [Exact, IContains, IStartsWith])
        .filter("release_date", [Exact, Gt, Gte, Lt, Lte, IsNull])
        .filter("id", [In])
        .search_fields(["title", "artist_name"])
        .ordering_fields(["title", "artist_name", "release_date", "id"])
        .page_size(20, 100)
}
