//! The music catalogue's tracks: model, inputs, table and viewset.

use std::sync::Arc;

use restframe::permissions::{IsAuthenticatedOrReadOnly, Permission};
use restframe::renderers::Renderer;
use restframe::sql::{Column, ColumnType::*, SqlRepository, Table};
use restframe::{ApiSettings, Date, ModelViewSet, Validate, ValidationErrors};

use crate::ownership::IsSelfOrStaff;
use serde::{Deserialize, Serialize};

/// A track as the API shows it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Track {
    #[schema(read_only)]
    id: i64,
    title: String,
    artist_name: String,
    release_date: Option<Date>,
    #[schema(read_only)]
    file: Option<String>,
    /// The id of the user who created the track: they (and staff) may change it.
    #[schema(read_only)]
    #[serde(default)]
    owner: Option<i64>,
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
    /// Set by the app (the creator; kept on update), never by the client.
    #[serde(default, skip_deserializing)]
    #[schema(ignore)]
    owner: Option<i64>,
}

/// What PATCH accepts; `"release_date": null` clears the date.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct TrackPatch {
    title: Option<String>,
    artist_name: Option<String>,
    #[serde(with = "::serde_with::rust::double_option")]
    release_date: Option<Option<Date>>,
}

impl Validate for TrackInput {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.length("title", &self.title, 1, 100);
        errors.length("artist_name", &self.artist_name, 1, 100);
        errors.into_result()
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
        Column::new("release_date", Date),
        Column::new("file", Text).read_only(),
        Column::new("file_key", Text).read_only(),
        Column::new("owner", Integer),
    ];
}

impl Track {
    /// The id of the user who created the track.
    pub fn owner(&self) -> Option<i64> {
        self.owner
    }

    /// Makes `file` (stored as a path, `/api/tracks/ID/file/`) an absolute URL on `req`'s
    /// checked host; left as the path when the request has no usable host.
    pub fn absolute(&mut self, req: &restframe::Request) {
        if let Some(file) = self.file.as_mut().filter(|f| f.starts_with('/'))
            && let Ok(base) = req.base_url()
        {
            *file = format!("{base}{file}");
        }
    }
}

/// The `/api/tracks/` viewset (its file actions are added by `uploads::actions`): anyone
/// reads; an authenticated user creates, and owns what they create; only the owner or staff
/// change, delete or upload. The list and the detail also answer JSONP (`renderers`, the
/// router's plus JSONP): public data for anonymous callers only.
pub fn viewset(
    repo: SqlRepository<Track>,
    renderers: Vec<Arc<dyn Renderer>>,
) -> ModelViewSet<SqlRepository<Track>> {
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
        // Stored relative; absolute on this request's own (checked) host.
        .to_representation(|req, track: &mut Track| track.absolute(req))
        .perform_create(|req, input: &mut TrackInput| {
            input.owner = req.current_user().id();
            Ok(())
        })
        .perform_update(|req, input: &mut TrackInput| {
            // PUT replaces what the client may write; the owner stays.
            input.owner = req.extensions().get::<Arc<Track>>().and_then(|t| t.owner);
            Ok(())
        })
        .filter_fields(["artist_name"])
        .ordering_fields(["title", "artist_name", "release_date", "id"])
        .page_size(20, 100)
}
