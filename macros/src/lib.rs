//! The derives of restframe, re-exported by it: `#[derive(Model)]`, one declaration for a
//! table, its create/update and partial-update inputs, their validation and their OpenAPI
//! schemas; and `#[derive(Choices)]`, a unit-only enum as a field with a fixed set of values.
//! Their documentation, with examples, is restframe's (`restframe::Model`,
//! `restframe::Choices`, and the guide page `docs/models.md`).

#![forbid(unsafe_code)]

mod attrs;
mod choices;
mod model;
mod shown;

use proc_macro::TokenStream;

/// One declaration for a model: its table, inputs, validation and schemas. See
/// `restframe::Model`.
#[proc_macro_derive(Model, attributes(model, field))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    model::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// A unit-only enum as a field with a fixed set of values. See `restframe::Choices`.
#[proc_macro_derive(Choices, attributes(choice))]
pub fn derive_choices(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    choices::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
