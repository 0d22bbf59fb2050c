//! The guides of `docs/`, one module per page, so that `cargo doc` shows them and their
//! examples run as doctests.
//!
//! A guide whose examples need cargo features is only compiled in with them; without them its
//! page names the features and holds one ignored example, so that
//! `cargo test -p restframe --doc` lists it as ignored instead of skipping it silently. Run
//! every guide's examples with `cargo test -p restframe --doc --all-features`.

// The guides link items as `restframe::Name`, as a user's crate would; a module's outer docs
// resolve links in its parent, this module.
#[allow(unused_imports)]
use crate as restframe;

/// One guide: its page when `features` are on, a stub naming them otherwise.
macro_rules! guide {
    ($name:ident, $file:literal, [$($feature:literal),*]) => {
        #[cfg(all($(feature = $feature),*))]
        #[doc = include_str!(concat!("../../docs/", $file))]
        pub mod $name {}

        #[cfg(not(all($(feature = $feature),*)))]
        #[doc = concat!(
            "The guide `docs/", $file, "` needs the cargo features ",
            $("`", $feature, "` ",)*
            "(build the docs or run its examples with `--all-features`).\n\n",
            "```ignore\n",
            "cargo test -p restframe --doc --all-features\n",
            "```"
        )]
        pub mod $name {}
    };
}

guide!(
    quickstart,
    "quickstart.md",
    [
        "yaml",
        "xml",
        "form",
        "multipart",
        "upload",
        "sqlite",
        "openapi",
        "files",
        "validators"
    ]
);
guide!(content_negotiation, "content-negotiation.md", []);
guide!(renderers, "renderers.md", []);
guide!(parsers, "parsers.md", []);
guide!(routers, "routers.md", []);
guide!(server, "server.md", []);
guide!(viewsets, "viewsets.md", ["sqlite"]);
guide!(filtering, "filtering.md", ["sqlite"]);
guide!(pagination, "pagination.md", ["sqlite"]);
guide!(versioning, "versioning.md", ["openapi"]);
guide!(models, "models.md", ["sqlite", "openapi"]);
guide!(
    uploads,
    "uploads.md",
    ["multipart", "upload", "files", "validators"]
);
guide!(storage, "storage.md", ["s3", "files"]);
guide!(exceptions, "exceptions.md", ["template"]);
guide!(openapi, "openapi.md", ["openapi", "sqlite"]);
guide!(authentication, "authentication.md", ["auth"]);
guide!(permissions, "permissions.md", ["auth", "sqlite"]);
guide!(throttling, "throttling.md", ["auth", "redis"]);
guide!(
    settings,
    "settings.md",
    [
        "auth",
        "sqlite",
        "yaml",
        "xml",
        "msgpack",
        "csv",
        "form",
        "multipart",
        "upload",
        "binary"
    ]
);
