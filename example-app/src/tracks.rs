//! The music catalogue's tracks: the model (one declaration) and its viewset.

use std::sync::Arc;

use restframe::permissions::{IsAuthenticatedOrReadOnly, Permission};
use restframe::renderers::Renderer;
use restframe::router::Reverser;
use restframe::sql::{Database, DbError, SqlRepository};
use restframe::{
    ApiError, ApiSettings, Date, DateTime, Decimal, Model, ModelViewSet, Request, RowPage,
};

use crate::owner::{Owner, OwnerSummary};
use crate::ownership::IsSelfOrStaff;
use crate::users::User;
use restframe::pagination::VersionedPagination;
use restframe::{CursorPagination, PageNumberPagination};
use serde::{Deserialize, Serialize};

/// A track of the music catalogue: one declaration for its table, its create, update and
/// PATCH inputs, their validation and their schemas (`#[derive(Model)]`).
#[derive(Serialize, Deserialize, Model)]
#[model(table = "track")]
pub struct Track {
    /// The track's own URL (DRF's `HyperlinkedIdentityField`).
    #[field(computed)]
    #[serde(default)]
    url: String,
    #[field(primary_key, read_only)]
    id: i64,
    #[field(max_length = 100, ordering_index)]
    title: String,
    #[field(max_length = 100, ordering_index)]
    artist_name: String,
    #[field(ordering_index)]
    release_date: Option<Date>,
    /// Its length in seconds, a decimal (`"545.2"`) of at most 6 digits before the point and 3
    /// after it, kept as written (`545.20` stays `545.20`, on SQLite as on PostgreSQL).
    #[field(min_value = 0, max_digits = 9, decimal_places = 3)]
    duration: Option<Decimal>,
    /// The URL of the uploaded audio file, if any.
    #[field(read_only)]
    file: Option<String>,
    /// The user who created the track: they (and staff) may change it. Its id in version 1;
    /// `{"id", "username", "url"}` in version 2.
    #[field(set_by_server, references = User, on_delete = set_null, index)]
    #[serde(default)]
    owner: Option<Owner>,
    /// The owner's username.
    #[field(computed)]
    #[serde(default)]
    owner_username: Option<String>,
    /// The owner's URL (DRF's `HyperlinkedRelatedField`).
    #[field(computed)]
    #[serde(default)]
    owner_url: Option<String>,
    /// When the track was created.
    #[field(auto_now_add)]
    created_at: DateTime,
    /// When the track was last changed.
    #[field(auto_now)]
    updated_at: DateTime,
    /// Where the uploaded file is in storage; not shown.
    #[field(skip)]
    #[serde(default, skip_serializing)]
    pub file_key: Option<String>,
}

impl Track {
    /// The id of the user who created the track.
    pub fn owner(&self) -> Option<i64> {
        self.owner.as_ref().map(|o| o.id)
    }

    /// Makes `file` (stored as a path, `/api/tracks/ID/file/`) an absolute URL on `base`, the
    /// request's checked host, and sets `url` from `links` (the `track-detail` route's); paths
    /// when the request has no usable host. `digits` is a buffer for the id's text.
    fn absolute(
        &mut self,
        base: Option<&str>,
        links: Option<&Reverser<'_>>,
        digits: &mut itoa::Buffer,
    ) {
        if let Some(file) = self.file.as_mut().filter(|f| f.starts_with('/'))
            && let Some(base) = base
        {
            file.insert_str(0, base);
        }
        self.url = links
            .and_then(|links| links.url(&[digits.format(self.id)]).ok())
            .unwrap_or_default();
    }
}

/// `Track` as version 2's document shows it: `owner` is the nested object
/// (`{"id", "username", "url"}`, [`OwnerSummary`]) or null, where version 1 shows the id.
/// Given to [`restframe::openapi::ApiInfo::version_component`].
pub fn schema_v2(
    components: &mut utoipa::openapi::Components,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::{Ref, RefOr};
    use utoipa::{PartialSchema, ToSchema};
    components
        .schemas
        .insert(OwnerSummary::name().into_owned(), OwnerSummary::schema());
    let mut track = <Track as PartialSchema>::schema();
    if let RefOr::T(Schema::Object(object)) = &mut track {
        let owner = OneOfBuilder::new()
            .item(Ref::from_schema_name(OwnerSummary::name()))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .description(Some(
                "The user who created the track: they (and staff) may change it.",
            ));
        object.properties.insert("owner".into(), owner.into());
    }
    track
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

/// The tracks' repository reading each track's owner's username with the track
/// (`select_related`): a `GET /api/tracks/4/` costs one query, not two, and a page of tracks
/// reads its owners' usernames in its own read, so [`show`] and [`show_rows`] look none up.
pub fn with_owner(tracks: SqlRepository<Track>) -> Result<SqlRepository<Track>, DbError> {
    tracks.select_related::<User>("owner", "username", "owner_username")
}

/// The usernames of the users `ids` (sorted, each once), in one query: (id, username), sorted
/// by id, for a binary search.
async fn usernames(req: &Request, ids: &[i64]) -> Result<Vec<(i64, String)>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut found: Vec<(i64, String)> = req
        .state::<Owners>()?
        .0
        .retrieve_many(&ids)
        .await?
        .into_iter()
        .map(|u| (u.id(), u.username().to_owned()))
        .collect();
    found.sort_unstable_by_key(|&(id, _)| id);
    Ok(found)
}

fn username(usernames: &[(i64, String)], id: i64) -> Option<&str> {
    let i = usernames.binary_search_by_key(&id, |&(id, _)| id).ok()?;
    usernames.get(i).map(|(_, name)| name.as_str())
}

/// What a track's links are made of for `req`: its checked host (`None` when it has none),
/// and the reversers of a track's and of a user's URL.
struct Links<'r> {
    base: Option<String>,
    tracks: Option<Reverser<'r>>,
    owners: Option<Reverser<'r>>,
}

impl<'r> Links<'r> {
    fn of(req: &'r Request) -> Self {
        Self {
            base: req.base_url().ok(),
            tracks: req
                .reverser("track-detail")
                .or_else(|_| req.path_reverser("track-detail"))
                .ok(),
            owners: req
                .reverser("user-detail")
                .or_else(|_| req.path_reverser("user-detail"))
                .ok(),
        }
    }
}

/// Shapes tracks for `req`: each its `url`, an absolute `file`, and its owner's username and
/// URL. Usernames not read with the tracks ([`with_owner`]) are read in one query whatever the
/// number of tracks (no N+1). A list read as rows is shaped alike by [`show_rows`].
pub async fn show(req: &Request, tracks: &mut [Track]) -> Result<(), ApiError> {
    // Each owner once: a page of one user's tracks asks for one row, not a hundred.
    let mut ids: Vec<i64> = tracks
        .iter()
        .filter(|t| t.owner_username.is_none())
        .filter_map(Track::owner)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let usernames = usernames(req, &ids).await?;
    let nested = nests_owner(req);
    let links = Links::of(req);
    let mut digits = itoa::Buffer::new();
    // Each owner's URL once, however many of the tracks are theirs: (id, URL), sorted by id.
    let mut owner_urls: Vec<(i64, Option<String>)> = Vec::new();
    for track in tracks.iter_mut() {
        track.absolute(links.base.as_deref(), links.tracks.as_ref(), &mut digits);
        let Some(id) = track.owner() else {
            track.owner_username = None;
            continue;
        };
        let Some(username) = track
            .owner_username
            .take()
            .or_else(|| username(&usernames, id).map(str::to_owned))
        else {
            continue;
        };
        let url = match owner_urls.binary_search_by_key(&id, |&(id, _)| id) {
            Ok(i) => owner_urls.get(i).and_then(|(_, url)| url.clone()),
            Err(i) => {
                let url = links
                    .owners
                    .as_ref()
                    .and_then(|links| links.url(&[digits.format(id)]).ok());
                owner_urls.insert(i, (id, url.clone()));
                url
            }
        };
        if nested {
            if let Some(field) = track.owner.as_mut() {
                field.nested = Some(OwnerSummary {
                    id,
                    username,
                    url: url.unwrap_or_default(),
                });
            }
        } else {
            track.owner_username = Some(username);
            track.owner_url = url;
        }
    }
    Ok(())
}

/// [`show`] for a list page read as its rows ([`RowPage`]): the same `url`, absolute `file`,
/// `owner_username` and `owner_url`, written into the page without making tracks. Version 2
/// nests the owner, which rows cannot show: the page is declined and read as tracks.
pub async fn show_rows(req: &Request, page: &mut RowPage) -> Result<(), ApiError> {
    if nests_owner(req) {
        page.decline();
        return Ok(());
    }
    let field = |name: &str| {
        page.field(name)
            .ok_or_else(|| ApiError::internal(format!("a track page without `{name}`")))
    };
    let (id, url, file) = (field("id")?, field("url")?, field("file")?);
    let (owner, owner_username, owner_url) = (
        field("owner")?,
        field("owner_username")?,
        field("owner_url")?,
    );
    // Each owner once, among the tracks whose usernames were not read with the page
    // ([`with_owner`] reads them all, unless an owner is gone).
    let mut ids: Vec<i64> = (0..page.len())
        .filter(|&row| page.text(row, owner_username).is_none())
        .filter_map(|row| page.integer(row, owner))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let usernames = usernames(req, &ids).await?;
    let links = Links::of(req);
    let mut digits = itoa::Buffer::new();
    // Each owner's URL once, however many of the tracks are theirs: (id, URL), sorted by id.
    let mut owner_urls: Vec<(i64, String)> = Vec::new();
    // One buffer for the page's other URLs.
    let mut text = String::new();
    for row in 0..page.len() {
        text.clear();
        if let (Some(links), Some(id)) = (&links.tracks, page.integer(row, id)) {
            let _ = links.url_into(&mut text, &[digits.format(id)]);
        }
        page.set_text(row, url, &text)?;
        text.clear();
        if let (Some(base), Some(path)) = (&links.base, page.text(row, file))
            && path.starts_with('/')
        {
            text.push_str(base);
            text.push_str(path);
        }
        if !text.is_empty() {
            page.set_text(row, file, &text)?;
        }
        let Some(owner) = page.integer(row, owner) else {
            continue;
        };
        if page.text(row, owner_username).is_none() {
            let Some(name) = username(&usernames, owner) else {
                continue;
            };
            page.set_text(row, owner_username, name)?;
        }
        let Some(owners) = &links.owners else {
            continue;
        };
        let i = match owner_urls.binary_search_by_key(&owner, |&(id, _)| id) {
            Ok(i) => i,
            Err(i) => {
                let Ok(url) = owners.url(&[digits.format(owner)]) else {
                    continue;
                };
                owner_urls.insert(i, (owner, url));
                i
            }
        };
        if let Some((_, url)) = owner_urls.get(i) {
            page.set_text(row, owner_url, url)?;
        }
    }
    Ok(())
}

/// Whether `req` asks for API version 2, which shows a track's owner nested (`/api/v2/…`,
/// or `Accept: …; version=2`).
pub fn nests_owner(req: &Request) -> bool {
    matches!(req.version(), Some("v2" | "2"))
}

/// The `/api/tracks/` viewset (its file actions are added by `uploads::actions`): anyone
/// reads; an authenticated user creates, and owns what they create; only the owner or staff
/// change, delete or upload. The list and the detail also answer JSONP (`renderers`, the
/// router's plus JSONP): public data for anonymous callers only.
pub fn viewset(
    repo: SqlRepository<Track>,
    renderers: Vec<Arc<dyn Renderer>>,
    cursor_key: &[u8],
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
        // The same for a list read straight from its rows.
        .prefetch_rows(|req, page| Box::pin(show_rows(req, page)))
        .perform_create(|req, input: &mut TrackInput| {
            input.owner = req.current_user().id().map(Owner::new);
            Ok(())
        })
        .perform_update(|req, input: &mut TrackInput| {
            // PUT replaces what the client may write; the owner stays.
            if let Some(current) = req.extensions().get::<Arc<Track>>() {
                input.keep_server_fields(current);
            }
            Ok(())
        })
        // django-filter's `Meta.fields`, and DRF's `search_fields`.
        .filter("title", [Exact, IContains, IStartsWith])
        .filter("artist_name", [Exact, IContains, IStartsWith])
        .filter("release_date", [Exact, Gt, Gte, Lt, Lte, IsNull])
        .filter("id", [In])
        .search_fields(["title", "artist_name"])
        .ordering_fields(["title", "artist_name", "release_date", "id"])
        // Version 2 lists behind cursors, newest first; version 1 in pages of 20.
        .pagination(
            VersionedPagination::new(PageNumberPagination::new(20, 100)).version(
                ["v2", "2"],
                CursorPagination::new(20, 100).signing_key(cursor_key),
            ),
        )
}
