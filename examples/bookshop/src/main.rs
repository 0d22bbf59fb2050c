//! A bookshop on restframe: authors and books, each one `#[derive(Model)]` declaration, served
//! with pagination, ordering, filtering and search, and documented at `/api/docs/`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::time::Duration;

use restframe::prelude::*;
use restframe::sql::Schema;
use restframe::{Date, Decimal, Lookup::*, Model};
use serde::{Deserialize, Serialize};

/// A writer.
#[derive(Serialize, Deserialize, Model)]
#[model(table = "author")]
pub struct Author {
    #[field(read_only)]
    id: i64,
    #[field(max_length = 100)]
    name: String,
}

/// An ISBN-13 (hyphens allowed) whose check digit is right.
fn isbn13(isbn: &str) -> Result<(), &'static str> {
    let digits: Vec<u32> = isbn.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 || !isbn.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return Err("Enter a valid ISBN-13.");
    }
    let weighted = digits.iter().enumerate();
    let sum: u32 = weighted
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    match sum % 10 {
        0 => Ok(()),
        _ => Err("The ISBN's check digit is wrong."),
    }
}

/// A book for sale.
#[derive(Serialize, Deserialize, Model)]
#[model(table = "book")]
pub struct Book {
    #[field(read_only)]
    id: i64,
    #[field(max_length = 200)]
    title: String,
    #[field(unique, max_length = 17, validator = isbn13)]
    isbn: String,
    /// The price in euros.
    #[field(min_value = 0, max_digits = 8, decimal_places = 2)]
    price: Decimal,
    published: Option<Date>,
    /// The author's id (a foreign key: an author with books cannot be deleted).
    #[field(references = Author, on_delete = restrict, index)]
    author: i64,
    /// The author's name, looked up for the whole page at once.
    #[field(computed)]
    #[serde(default)]
    author_name: Option<String>,
}

/// The API: `/api/authors/`, `/api/books/`, the OpenAPI document and Swagger UI.
pub fn router(db: &Database) -> Result<Router, RouteError> {
    let authors = SqlRepository::<Author>::new(db);
    let names = authors.clone();
    let router = ModelViewSet::new("Author", "author", authors)
        .with_schemas()
        .search_fields(["name"])
        .ordering_fields(["name"])
        .register(Router::new(), "/api/authors/")?;
    ModelViewSet::new("Book", "book", SqlRepository::<Book>::new(db))
        .with_schemas()
        .page_size(20, 100)
        .ordering_fields(["title", "price", "published"])
        .filter("price", [Gte, Lte])
        .filter("published", [Gte, Lte, IsNull])
        .filter("author", [Exact, In])
        .search_fields(["title", "isbn"])
        .prefetch(move |_req, books| {
            let names = names.clone();
            Box::pin(async move {
                let ids: Vec<String> = books.iter().map(|b| b.author.to_string()).collect();
                let found: HashMap<i64, String> = names
                    .retrieve_many(&ids)
                    .await?
                    .into_iter()
                    .map(|a| (a.id, a.name))
                    .collect();
                for book in books.iter_mut() {
                    book.author_name = found.get(&book.author).cloned();
                }
                Ok(())
            })
        })
        .register(router, "/api/books/")?
        .schema("/api/schema/", "schema", ApiInfo::new("Bookshop", "1.0.0"))?
        .swagger_ui("/api/docs/", "swagger-ui", "/api/schema/")
}

/// `--name VALUE` from the command line, else `default`.
fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name);
    at.and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::connect(&arg("--database-url", "sqlite://./bookshop.db")).await?;
    // The tables from the declarations, or checked against them if they exist.
    let schema = Schema::new().table::<Author>().table::<Book>();
    db.create_or_upgrade(&schema, &[]).await?;
    let listener = tokio::net::TcpListener::bind(arg("--bind", "127.0.0.1:8000")).await?;
    println!("bookshop listening on http://{}/", listener.local_addr()?);
    serve(
        listener,
        router(&db)?,
        shutdown_signal(),
        Duration::from_secs(10),
    )
    .await?;
    db.close().await;
    Ok(())
}
