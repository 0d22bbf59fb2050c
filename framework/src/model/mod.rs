//! Models declared once: [`derive@Model`] on one struct makes its table
//! ([`Table`](crate::sql::Table)), its create/update input, its partial-update input, their
//! validation with DRF's messages (every field's errors at once, whatever the body's format)
//! and their OpenAPI schemas; [`derive@Choices`] makes a unit-only enum a field with a fixed
//! set of values. The guide is [`crate::guide::models`].
//!
//! ```
//! use restframe::{Choices, Model};
//! use restframe::sql::Table;
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Choices)]
//! enum Genre { Jazz, #[choice("hip-hop")] HipHop }
//!
//! #[derive(serde::Serialize, serde::Deserialize, Model)]
//! #[model(table = "track")]
//! struct Track {
//!     #[field(primary_key, read_only)]
//!     id: i64,
//!     #[field(max_length = 100)]
//!     title: String,
//!     genre: Option<Genre>,
//! }
//!
//! assert_eq!(Track::NAME, "track");
//! let input: TrackInput = serde_json::from_str(r#"{"title": "So What", "genre": "hip-hop"}"#)?;
//! assert_eq!(input.genre, Some(Genre::HipHop));
//! let patch: TrackPatch = serde_json::from_str(r#"{"genre": null}"#)?;
//! assert_eq!(patch.genre, Some(None));
//! # Ok::<(), serde_json::Error>(())
//! ```

#[doc(hidden)]
pub mod private;
pub use crate::rows::{RowKind, ShownField};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sql::ColumnType;
use crate::validation::{
    DATE_FORMAT_MESSAGE, DATETIME_FORMAT_MESSAGE, DECIMAL_INVALID_MESSAGE, Date, DateTime, Decimal,
    UUID_INVALID_MESSAGE, Uuid,
};

/// `#[derive(Model)]` on a struct with named fields: from that struct alone, its
/// [`Table`](crate::sql::Table) impl, its create/update input `{Name}Input` (with
/// `Deserialize`, which reads every field on its own and reports every error at once, and
/// [`Validate`](crate::Validate)), its partial-update input `{Name}Patch` (absent, `null` or a
/// value per field), and with feature `openapi` `utoipa::ToSchema` for the three. Options:
/// `#[model(table = "...", input = "...", patch = "...", validate = path, derive(...))]` on
/// the struct, `#[field(...)]` on its fields (DRF's field options); every one is in the guide,
/// [`crate::guide::models`]. The model derives `Serialize` and `Deserialize` itself.
///
/// ```
/// use restframe::Model;
/// use restframe::sql::{ColumnType, Table};
///
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[model(table = "artist")]
/// struct Artist {
///     #[field(read_only)]
///     id: i64,
///     #[field(max_length = 100, unique)]
///     name: String,
///     born: Option<restframe::Date>,
/// }
///
/// assert_eq!(Artist::NAME, "artist");
/// assert_eq!(Artist::COLUMNS[2].ty, ColumnType::Date);
/// assert!(Artist::COLUMNS[2].nullable && Artist::COLUMNS[1].unique);
/// let input: ArtistInput = serde_json::from_str(r#"{"name": "Miles Davis"}"#)?;
/// assert_eq!(input.born, None);
/// let patch: ArtistPatch = serde_json::from_str(r#"{"born": null}"#)?;
/// assert_eq!(patch.born, Some(None));
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// Options that cannot apply are refused at compile time, such as a length on a number:
///
/// ```compile_fail
/// #[derive(serde::Serialize, serde::Deserialize, restframe::Model)]
/// struct Album { id: i64, #[field(max_length = 3)] tracks: i64 }
/// ```
///
/// or an option the derive does not know:
///
/// ```compile_fail
/// #[derive(serde::Serialize, serde::Deserialize, restframe::Model)]
/// struct Album { id: i64, #[field(maxlength = 3)] title: String }
/// ```
///
/// or a model default on a nullable column, where null could not tell a value left out:
///
/// ```compile_fail
/// #[derive(serde::Serialize, serde::Deserialize, restframe::Model)]
/// struct Album { id: i64, #[field(db_default = 1)] disc: Option<i64> }
/// ```
///
/// or a foreign key without its `on_delete`:
///
/// ```compile_fail
/// # #[derive(serde::Serialize, serde::Deserialize, restframe::Model)]
/// # struct Artist { id: i64 }
/// #[derive(serde::Serialize, serde::Deserialize, restframe::Model)]
/// struct Album { id: i64, #[field(references = Artist)] artist: i64 }
/// ```
pub use restframe_macros::Model;

/// `#[derive(Choices)]` on a unit-only enum: a field with a fixed set of values (the trait
/// [`Choices`](trait@Choices)), written as each variant's name or its `#[choice("...")]`
/// string, stored as text, an `enum` in the schema; anything else is DRF's
/// `"x" is not a valid choice.` The enum also derives `Clone` (a field type is `Clone`).
///
/// ```
/// use restframe::model::Choices as _;
///
/// #[derive(Clone, Debug, PartialEq, restframe::Choices)]
/// enum Speed { #[choice("33")] LongPlay, #[choice("45")] Single }
///
/// assert_eq!(Speed::CHOICES, ["33", "45"]);
/// // A number is compared as its text, as DRF does.
/// assert_eq!(serde_json::from_str::<Speed>("45")?, Speed::Single);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use restframe_macros::Choices;

/// A type a [`derive@Model`] field may have (or an `Option` of one): its column type, DRF's
/// message for a value of the wrong type, and its OpenAPI schema. Implemented for `i64`,
/// `i32`, `f64`, `bool`, `String`, [`Date`], [`DateTime`], [`Decimal`], [`Uuid`],
/// `serde_json::Value`, and by [`derive@Choices`].
///
/// ```
/// use restframe::model::FieldType;
/// use restframe::sql::ColumnType;
/// assert_eq!(<String as FieldType>::COLUMN, ColumnType::Text);
/// assert_eq!(<i64 as FieldType>::invalid_message("invalid type"), "A valid integer is required.");
/// ```
pub trait FieldType: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The column type it is stored as.
    const COLUMN: ColumnType;

    /// How a list may read the field straight from its column and show it, without making a
    /// model ([`RowKind`]): `Some` only when the type's `Serialize` writes exactly what the
    /// kind writes for the column's value (an `i64` as `serialize_i64`, text as
    /// `serialize_str`, …). `None`, the default, keeps a list of a model with such a field on
    /// the model path: read into models, then serialized.
    ///
    /// ```
    /// use restframe::model::{FieldType, RowKind};
    /// assert_eq!(<i64 as FieldType>::ROW, Some(RowKind::Integer));
    /// assert_eq!(<serde_json::Value as FieldType>::ROW, None);
    /// ```
    const ROW: Option<RowKind> = None;

    /// DRF's message for a value that is not of this type, given the deserializer's.
    fn invalid_message(error: &str) -> String;

    /// Its schema (type and format); `nullable` adds `"null"` to the type.
    #[cfg(feature = "openapi")]
    fn schema(nullable: bool) -> utoipa::openapi::schema::ObjectBuilder;
}

/// A unit-only enum with a fixed set of values, from [`derive@Choices`]: each variant is
/// written as its name or its `#[choice("…")]` string, and anything else is DRF's
/// `"x" is not a valid choice.`
///
/// ```
/// use restframe::model::Choices;
/// #[derive(Clone, Copy, Debug, PartialEq, restframe::Choices)]
/// enum Format { #[choice("mp3")] Mp3, #[choice("flac")] Flac }
/// assert_eq!(Format::CHOICES, ["mp3", "flac"]);
/// assert_eq!(Format::Flac.as_str(), "flac");
/// let err = serde_json::from_str::<Format>(r#""ogg""#).unwrap_err();
/// assert!(err.to_string().starts_with(r#""ogg" is not a valid choice."#));
/// ```
pub trait Choices: FieldType {
    /// The allowed values, in variant order.
    const CHOICES: &'static [&'static str];

    /// This variant's value.
    fn as_str(&self) -> &'static str;
}

/// `ty`, or `[ty, "null"]` when `nullable`.
#[cfg(feature = "openapi")]
fn typed(
    ty: utoipa::openapi::schema::Type,
    nullable: bool,
) -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    if nullable {
        ObjectBuilder::new().schema_type(SchemaType::Array(vec![ty, Type::Null]))
    } else {
        ObjectBuilder::new().schema_type(ty)
    }
}

#[cfg(feature = "openapi")]
fn known(
    ty: utoipa::openapi::schema::Type,
    format: utoipa::openapi::schema::KnownFormat,
    nullable: bool,
) -> utoipa::openapi::schema::ObjectBuilder {
    typed(ty, nullable).format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
        format,
    )))
}

macro_rules! field_type {
    ($($ty:ty => $column:ident, $row:expr, $message:expr, |$nullable:ident| $schema:expr;)*) => {$(
        impl FieldType for $ty {
            const COLUMN: ColumnType = ColumnType::$column;
            const ROW: Option<RowKind> = $row;

            fn invalid_message(_error: &str) -> String {
                $message.to_owned()
            }

            #[cfg(feature = "openapi")]
            fn schema($nullable: bool) -> utoipa::openapi::schema::ObjectBuilder {
                #[allow(unused_imports)]
                use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
                $schema
            }
        }
    )*};
}

field_type! {
    i64 => Integer, Some(RowKind::Integer), "A valid integer is required.",
        |nullable| known(Type::Integer, KnownFormat::Int64, nullable);
    i32 => Integer, None, "A valid integer is required.",
        |nullable| known(Type::Integer, KnownFormat::Int32, nullable);
    f64 => Real, Some(RowKind::Real), "A valid number is required.",
        |nullable| known(Type::Number, KnownFormat::Double, nullable);
    bool => Boolean, Some(RowKind::Boolean), "Must be a valid boolean.", |nullable| typed(Type::Boolean, nullable);
    String => Text, Some(RowKind::Text), "Not a valid string.", |nullable| typed(Type::String, nullable);
    // The pattern as well: a generator that ignores `format` still writes what is taken.
    Date => Date, Some(RowKind::Date), DATE_FORMAT_MESSAGE,
        |nullable| known(Type::String, KnownFormat::Date, nullable)
            .pattern(Some(crate::validation::DATE_PATTERN));
    DateTime => DateTime, Some(RowKind::DateTime), DATETIME_FORMAT_MESSAGE,
        |nullable| known(Type::String, KnownFormat::DateTime, nullable);
    Decimal => Decimal, Some(RowKind::Decimal), DECIMAL_INVALID_MESSAGE,
        |nullable| typed(Type::String, nullable)
            .format(Some(SchemaFormat::Custom("decimal".into())));
    Uuid => Uuid, None, UUID_INVALID_MESSAGE,
        |nullable| known(Type::String, KnownFormat::Uuid, nullable);
}

/// Any JSON value; a JSON `null` is SQL `NULL`, so declare it `Option<serde_json::Value>`.
impl FieldType for serde_json::Value {
    const COLUMN: ColumnType = ColumnType::Json;

    fn invalid_message(_error: &str) -> String {
        "Value must be valid JSON.".to_owned()
    }

    #[cfg(feature = "openapi")]
    fn schema(_nullable: bool) -> utoipa::openapi::schema::ObjectBuilder {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
    }
}

/// Expands to its input when restframe is built with feature `openapi`, else to nothing: the
/// derives' schema code, which lives in the user's crate, follows restframe's feature.
#[cfg(feature = "openapi")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_openapi {
    ($($t:tt)*) => { $($t)* };
}

/// Expands to its input when restframe is built with feature `openapi`, else to nothing.
#[cfg(not(feature = "openapi"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_openapi {
    ($($t:tt)*) => {};
}
