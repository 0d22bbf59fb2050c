//! The API: the `Book` model, its viewset with a cover upload, the uploaded files, and the
//! OpenAPI document with Swagger UI.

use std::sync::Arc;

use http::Method;
use restframe::prelude::*;
use restframe::storage::FileSystemStorage;
use serde::{Deserialize, Serialize};

/// A book as the API shows it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Book {
    #[schema(read_only)]
    id: i64,
    title: String,
    author: String,
    /// The cover's URL, once one is uploaded.
    #[schema(read_only)]
    cover: Option<String>,
}

/// What create and update accept: the writable fields.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct BookInput {
    title: String,
    author: String,
}

/// What PATCH accepts: any writable field.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct BookPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
}

impl Validate for BookInput {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.length("title", &self.title, 1, 200);
        errors.length("author", &self.author, 1, 100);
        errors.into_result()
    }
}

impl Table for Book {
    type Input = BookInput;
    type Patch = BookPatch;
    const NAME: &'static str = "book";
    const COLUMNS: &'static [Column] = &[
        Column::integer("id").read_only(),
        Column::text("title"),
        Column::text("author"),
        Column::text("cover").read_only(),
    ];
}

/// The API: the books, their covers, the API root, the OpenAPI document and Swagger UI.
pub fn router(
    books: SqlRepository<Book>,
    media: FileSystemStorage,
) -> Result<Router, Box<dyn std::error::Error>> {
    let settings = ApiSettings::all_formats();

    // `POST /api/books/{id}/cover/`: an image as the raw body or the multipart field `file`,
    // checked (extension, size, real image content), stored under `covers/{id}/`, and
    // recorded as the book's `cover`.
    let rules = FileRules::new("file")
        .extensions(&["png", "jpg", "jpeg", "gif", "webp"])
        .max_size(2 << 20)
        .image();
    let upload_cover = api_view(|mut req| async move {
        let books = req.state::<SqlRepository<Book>>()?;
        let id = req.path::<i64>("id")?.to_string();
        let no_book = || ApiError::not_found("No such book.");
        books.retrieve(&id).await?.ok_or_else(no_book)?;
        // Take the file, check it, store it.
        let file = req.file("file").await?;
        let media_type = req.state::<FileRules>()?.check_upload(&file).await?;
        let media = req.state::<FileSystemStorage>()?;
        let key = format!("covers/{id}/{}", file.filename());
        media.save_upload(&key, media_type, file).await?;
        let cover = [("cover", media.url(&key).into())];
        let book = books.set(&id, &cover).await?.ok_or_else(no_book)?;
        Ok(Response::new(book))
    })
    .name("Book Cover")
    .description("Uploads the book's cover: the raw body, or the multipart field `file`.")
    .settings(&settings.file_uploads())
    .with_state(rules);

    let router = ModelViewSet::new("Book", "book", books.clone())
        .description("The books of the catalogue.")
        .settings(&settings)
        .with_schemas()
        .filter_fields(["author"])
        .ordering_fields(["title", "author", "id"])
        .page_size(20, 100)
        .action(Action::detail("cover", "cover").method(Method::POST, upload_cover))
        .register(Router::with_settings(settings.clone()), "/api/books/")?
        .files(
            "/media/",
            "media",
            Arc::new(media.clone()),
            "public, max-age=3600",
        )?
        .api_root("/api/", "api-root")?
        .schema("/api/schema/", "schema", ApiInfo::new("Books", "1.0.0"))?
        .swagger_ui("/api/docs/", "swagger-ui", "/api/schema/")?
        .with_state(books)
        .with_state(media);
    Ok(router)
}
