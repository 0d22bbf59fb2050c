//! The music catalogue's tracks: model, inputs, table and viewset.

use restframe::sql::{Column, ColumnType::*, SqlRepository, Table};
use restframe::{ApiSettings, Date, ModelViewSet, Validate, ValidationErrors};
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
    ];
}

/// The `/api/tracks/` viewset (its file actions are added by `uploads::actions`).
pub fn viewset(
    repo: SqlRepository<Track>,
    settings: &ApiSettings,
) -> ModelViewSet<SqlRepository<Track>> {
    ModelViewSet::new("Track", "track", repo)
        .description("Tracks of the music catalogue.")
        .settings(settings)
        .with_schemas()
        .filter_fields(["artist_name"])
        .ordering_fields(["title", "artist_name", "release_date", "id"])
        .page_size(20, 100)
}
