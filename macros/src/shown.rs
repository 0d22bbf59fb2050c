//! `Table::SHOWN`: what the model's own `#[derive(Serialize)]` writes, field by field, read off
//! its `#[serde(...)]` attributes, so that a list can write a row straight from its columns.
//! Any attribute that changes what serde writes beyond the plain derive (a rename, a
//! `skip_serializing_if`, a `serialize_with`, a container attribute, …) leaves `SHOWN` at
//! `None`: such a model's lists keep the model path.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, LitStr};

/// What one field's `#[serde(...)]` attributes say, as far as the rows path cares.
#[derive(Default)]
struct SerdeField {
    /// `skip` or `skip_serializing`: not written.
    skipped: bool,
    /// A plain `default` (`Default::default()` when absent on input).
    default: bool,
    /// An attribute the rows path does not reproduce.
    other: bool,
}

fn serde_field(attrs: &[Attribute]) -> SerdeField {
    let mut out = SerdeField::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            if path.is_ident("skip") || path.is_ident("skip_serializing") {
                out.skipped = true;
            } else if path.is_ident("default") {
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<LitStr>()?;
                    out.other = true;
                } else {
                    out.default = true;
                }
            } else if path.is_ident("alias") {
                // Read only on input.
                meta.value()?.parse::<LitStr>()?;
            } else {
                out.other = true;
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                } else if meta.input.peek(syn::token::Paren) {
                    meta.parse_nested_meta(|_| Ok(()))?;
                }
            }
            Ok(())
        });
        if parsed.is_err() {
            out.other = true;
        }
    }
    out
}

/// One field as [`shown_const`] reads it.
pub(crate) struct ShownInput<'a> {
    /// All its attributes.
    pub(crate) attrs: &'a [Attribute],
    /// Its name, as the model's `Serialize` writes it.
    pub(crate) name: &'a str,
    /// `#[field(computed)]`.
    pub(crate) computed: bool,
    /// Its type, inside `Option` if it is one.
    pub(crate) inner: &'a syn::Type,
    /// An `Option`.
    pub(crate) optional: bool,
}

/// `const SHOWN` for `model`, whose container attributes are `container`.
pub(crate) fn shown_const(
    model: &syn::Ident,
    container: &[Attribute],
    fields: &[ShownInput<'_>],
) -> TokenStream {
    let none = quote! {
        const SHOWN: ::std::option::Option<(
            &'static str,
            &'static [::restframe::model::ShownField],
        )> = ::std::option::Option::None;
    };
    if container.iter().any(|a| a.path().is_ident("serde")) {
        return none;
    }
    let mut shown = Vec::new();
    for field in fields {
        let serde = serde_field(field.attrs);
        let (computed, inner, optional, name) =
            (field.computed, field.inner, field.optional, field.name);
        if serde.other || (computed && !serde.default && !serde.skipped) {
            return none;
        }
        if serde.skipped {
            continue;
        }
        shown.push(quote! {
            ::restframe::model::ShownField {
                name: #name,
                computed: #computed,
                optional: #optional,
                kind: <#inner as ::restframe::model::FieldType>::ROW,
            }
        });
    }
    let struct_name = model.to_string();
    quote! {
        const SHOWN: ::std::option::Option<(
            &'static str,
            &'static [::restframe::model::ShownField],
        )> = ::std::option::Option::Some((#struct_name, &[#(#shown),*]));
    }
}
