//! `#[derive(Model)]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{
    Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitStr, PathArguments, Type,
    Visibility,
};

use crate::attrs::{FieldAttrs, ModelAttrs};
use crate::shown::{ShownInput, shown_const};

/// One field of the model.
struct Field {
    ident: Ident,
    /// All its attributes (serde's among them).
    all_attrs: Vec<syn::Attribute>,
    name: String,
    vis: Visibility,
    /// The declared type.
    ty: Type,
    /// The type inside `Option`, or the declared type.
    inner: Type,
    nullable: bool,
    is_string: bool,
    docs: Vec<syn::Attribute>,
    description: Option<String>,
    attrs: FieldAttrs,
}

impl Field {
    /// Accepted from clients (create, update and patch).
    fn writable(&self) -> bool {
        let a = &self.attrs;
        !(a.read_only || a.skip || a.computed || a.set_by_server || a.auto_now || a.auto_now_add)
    }

    /// In the create/update input (the writable ones and those the server sets).
    fn in_input(&self) -> bool {
        self.writable() || self.attrs.set_by_server
    }

    /// Shown in the model's schema.
    fn shown(&self) -> bool {
        !(self.attrs.skip || self.attrs.write_only)
    }

    /// Read-only in the model's schema.
    fn read_only(&self) -> bool {
        let a = &self.attrs;
        a.read_only || a.computed || a.set_by_server || a.auto_now || a.auto_now_add
    }

    /// Must be in a create or update body.
    fn required(&self) -> bool {
        self.attrs.required
            || (!self.input_nullable()
                && self.attrs.default.is_none()
                && self.attrs.db_default.is_none())
    }

    /// Whether the inputs take `null` for it: a nullable column, unless `allow_null = false`.
    fn input_nullable(&self) -> bool {
        self.nullable && self.attrs.allow_null.as_ref().is_none_or(|b| b.value)
    }

    /// Whether the create/update input holds it as an `Option`: nullable there, or left to
    /// the column's default when absent (`db_default`).
    fn input_optional(&self) -> bool {
        self.input_nullable() || self.attrs.db_default.is_some()
    }

    /// Its type in the create/update input.
    fn input_ty(&self) -> TokenStream {
        let inner = &self.inner;
        if self.input_optional() {
            quote!(::std::option::Option<#inner>)
        } else {
            quote!(#inner)
        }
    }

    fn check_fn(&self) -> Ident {
        format_ident!("__restframe_check_{}", self.ident)
    }
}

/// The type inside `Option<…>`, if `ty` is one.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        None
    } else {
        Some(lines.join(" ").trim().to_owned())
    }
}

/// The bound as declared, for the message: `-5`, `1.5`.
fn shown(expr: &Expr) -> String {
    quote!(#expr).to_string().replace(' ', "")
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "Model is derived for a struct without generics",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "Model is derived for a struct with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "Model is derived for a struct with named fields",
        ));
    };
    let model_attrs = ModelAttrs::parse(&input.attrs)?;
    let mut fields = Vec::new();
    for f in &named.named {
        let Some(ident) = f.ident.clone() else {
            continue;
        };
        let attrs = FieldAttrs::parse(&f.attrs)?;
        let (inner, nullable) = match option_inner(&f.ty) {
            Some(inner) => (inner.clone(), true),
            None => (f.ty.clone(), false),
        };
        let field = Field {
            all_attrs: f.attrs.clone(),
            name: ident.to_string().trim_start_matches("r#").to_owned(),
            ident,
            vis: f.vis.clone(),
            ty: f.ty.clone(),
            is_string: is_string(&inner),
            inner,
            nullable,
            docs: f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
            description: doc_text(&f.attrs),
            attrs,
        };
        check_field(&field)?;
        fields.push(field);
    }

    let model = &input.ident;
    let vis = &input.vis;
    let input_name = model_attrs
        .input
        .clone()
        .unwrap_or_else(|| format_ident!("{}Input", model));
    let patch_name = model_attrs
        .patch
        .clone()
        .unwrap_or_else(|| format_ident!("{}Patch", model));
    let table = model_attrs
        .table
        .clone()
        .unwrap_or_else(|| snake_case(&model.to_string()));

    let shown: Vec<ShownInput<'_>> = fields
        .iter()
        .map(|f| ShownInput {
            attrs: &f.all_attrs,
            name: &f.name,
            computed: f.attrs.computed,
            inner: &f.inner,
            optional: f.nullable,
        })
        .collect();
    let shown = shown_const(model, &input.attrs, &shown);
    let table_impl = table_impl(model, &input_name, &patch_name, &table, &fields, &shown);
    let structs = structs(vis, model, &input_name, &patch_name, &model_attrs, &fields);
    let checks = checks(&input_name, &model_attrs, &fields);
    let input_de = input_deserialize(&input_name, &fields);
    let patch_de = patch_deserialize(&input_name, &patch_name, &fields);
    let schemas = schemas(
        model,
        &input_name,
        &patch_name,
        &fields,
        doc_text(&input.attrs),
    );
    Ok(quote! {
        #table_impl
        #structs
        #checks
        #input_de
        #patch_de
        #schemas
    })
}

/// Attribute combinations that make no sense, refused at compile time.
fn check_field(f: &Field) -> syn::Result<()> {
    let a = &f.attrs;
    let err = |message: &str| Err(syn::Error::new(f.ident.span(), message));
    if !f.is_string
        && (a.min_length.is_some()
            || a.max_length.is_some()
            || a.regex.is_some()
            || a.email
            || a.url
            || a.allow_blank)
    {
        return err(
            "min_length, max_length, regex, email, url and allow_blank apply to a String field",
        );
    }
    if a.read_only && a.write_only {
        return err("a field cannot be both read_only and write_only");
    }
    if a.set_by_server && a.write_only {
        return err("a field set by the server cannot be write_only");
    }
    if a.computed
        && (a.write_only
            || a.skip
            || a.set_by_server
            || a.unique
            || a.primary_key
            || a.auto_now
            || a.auto_now_add
            || a.default.is_some())
    {
        return err(
            "a computed field is no column and is never written: it takes none of write_only, \
             skip, set_by_server, unique, primary_key, auto_now, auto_now_add or default",
        );
    }
    if let Some(re) = &a.regex
        && re.value().is_empty()
    {
        return err("regex is empty");
    }
    if a.regex_message.is_some() && a.regex.is_none() {
        return err("regex_message goes with regex");
    }
    if a.db_default.is_some() {
        if f.nullable {
            return err(
                "db_default applies to a field that is not an Option: in a nullable column, \
                 null could not tell a value left out from a null",
            );
        }
        if a.default.is_some() || a.computed || a.set_by_server {
            return err("db_default takes none of default, computed or set_by_server");
        }
    }
    if let Some(allow) = &a.allow_null
        && (!f.nullable || allow.value)
    {
        return err(
            "allow_null = false refuses null in the inputs of an Option field (a nullable \
             column); other fields take no null already",
        );
    }
    match (&a.references, &a.on_delete) {
        (Some(_), None) => {
            return err("references needs on_delete = cascade, set_null or restrict");
        }
        (None, Some(_)) => return err("on_delete goes with references"),
        (Some(_), Some(on_delete)) if on_delete == "set_null" && !f.nullable => {
            return err("on_delete = set_null needs an Option field");
        }
        _ => {}
    }
    if a.computed
        && (a.index || a.ordering_index || a.references.is_some() || a.db_default.is_some())
    {
        return err(
            "a computed field is no column: it takes no index, ordering_index, references or \
             db_default",
        );
    }
    if a.index && a.ordering_index {
        return err("index or ordering_index: one index per field");
    }
    Ok(())
}

fn table_impl(
    model: &Ident,
    input: &Ident,
    patch: &Ident,
    table: &str,
    fields: &[Field],
    shown: &TokenStream,
) -> TokenStream {
    let columns = fields.iter().filter(|f| !f.attrs.computed).map(|f| {
        let name = &f.name;
        let inner = &f.inner;
        let mut column = quote! {
            ::restframe::sql::Column::new(
                #name,
                <#inner as ::restframe::model::FieldType>::COLUMN,
            )
        };
        let a = &f.attrs;
        let mut add = |m: &str| {
            let m = Ident::new(m, Span::call_site());
            column = quote!(#column.#m());
        };
        if f.nullable {
            add("nullable");
        }
        if a.read_only || a.skip {
            add("read_only");
        }
        if a.unique {
            add("unique");
        }
        if a.primary_key {
            add("primary_key");
        }
        if a.auto_now {
            add("auto_now");
        }
        if a.auto_now_add {
            add("auto_now_add");
        }
        if a.index {
            add("index");
        }
        if a.ordering_index {
            add("ordering_index");
        }
        if let Some(lit) = &a.db_default {
            let default = match lit {
                syn::Lit::Bool(_) => quote!(Boolean(#lit)),
                syn::Lit::Int(_) => quote!(Integer(#lit)),
                _ => quote!(Text(#lit)),
            };
            column = quote!(#column.default(::restframe::sql::ColumnDefault::#default));
        }
        if let (Some(target), Some(on_delete)) = (&a.references, &a.on_delete) {
            let on_delete = match on_delete.to_string().as_str() {
                "cascade" => quote!(Cascade),
                "set_null" => quote!(SetNull),
                _ => quote!(Restrict),
            };
            column = quote!(#column.references(
                <#target as ::restframe::sql::Table>::NAME,
                <#target as ::restframe::sql::Table>::PRIMARY_KEY,
                ::restframe::sql::OnDelete::#on_delete,
            ));
        }
        column
    });
    quote! {
        impl ::restframe::sql::Table for #model {
            type Input = #input;
            type Patch = #patch;
            const NAME: &'static str = #table;
            const COLUMNS: &'static [::restframe::sql::Column] = &[#(#columns),*];
            #shown
        }
    }
}

fn structs(
    vis: &Visibility,
    model: &Ident,
    input: &Ident,
    patch: &Ident,
    attrs: &ModelAttrs,
    fields: &[Field],
) -> TokenStream {
    let derives = &attrs.derives;
    let input_fields = fields.iter().filter(|f| f.in_input()).map(|f| {
        let (ident, vis, docs) = (&f.ident, &f.vis, &f.docs);
        // A field the server sets keeps its declared type (copied from the stored row).
        let ty = if f.attrs.set_by_server {
            let ty = &f.ty;
            quote!(#ty)
        } else {
            f.input_ty()
        };
        quote!(#(#docs)* #vis #ident: #ty)
    });
    let patch_fields = fields.iter().filter(|f| f.writable()).map(|f| {
        let (ident, vis, docs) = (&f.ident, &f.vis, &f.docs);
        let inner = &f.inner;
        let ty = if f.input_nullable() {
            quote!(::std::option::Option<::std::option::Option<#inner>>)
        } else {
            quote!(::std::option::Option<#inner>)
        };
        quote! {
            #(#docs)*
            #[serde(skip_serializing_if = "::std::option::Option::is_none")]
            #vis #ident: #ty
        }
    });
    let patch_idents: Vec<&Ident> = fields
        .iter()
        .filter(|f| f.writable())
        .map(|f| &f.ident)
        .collect();
    let server: Vec<&Ident> = fields
        .iter()
        .filter(|f| f.attrs.set_by_server)
        .map(|f| &f.ident)
        .collect();
    let input_doc = format!(
        "What create and update of [`{model}`] accept: its writable fields (from \
         `#[derive(Model)]`)."
    );
    let patch_doc = format!(
        "What a partial update of [`{model}`] accepts: each writable field, absent when not \
         sent; a nullable one is `Some(None)` when sent as `null` (from `#[derive(Model)]`)."
    );
    quote! {
        #[doc = #input_doc]
        #[derive(::restframe::__private::serde::Serialize #(, #derives)*)]
        #[serde(crate = "::restframe::__private::serde")]
        #vis struct #input {
            #(#input_fields,)*
        }

        #[doc = #patch_doc]
        #[derive(::restframe::__private::serde::Serialize #(, #derives)*)]
        #[serde(crate = "::restframe::__private::serde")]
        #vis struct #patch {
            #(#patch_fields,)*
        }

        impl ::std::default::Default for #patch {
            fn default() -> Self {
                Self { #(#patch_idents: ::std::option::Option::None,)* }
            }
        }

        impl #input {
            /// Copies the fields the server sets (`#[field(set_by_server)]`) from the stored
            /// row, for an update that keeps them.
            #[allow(unused_variables)]
            pub fn keep_server_fields(&mut self, current: &#model) {
                #(self.#server = ::std::clone::Clone::clone(&current.#server);)*
            }
        }
    }
}

/// Each writable field's rules as a function, and `Validate` for the input.
fn checks(input: &Ident, attrs: &ModelAttrs, fields: &[Field]) -> TokenStream {
    let rt = quote!(::restframe::__private);
    let fns = fields.iter().filter(|f| f.writable()).map(|f| {
        let name = &f.name;
        let inner = &f.inner;
        let a = &f.attrs;
        let mut rules = Vec::new();
        if f.is_string {
            let allow_blank = a.allow_blank;
            let min = opt(a.min_length.as_ref().map(|l| quote!(#l)));
            let max = opt(a.max_length.as_ref().map(|l| quote!(#l)));
            rules.push(quote!(#rt::text(errors, #name, value, #allow_blank, #min, #max);));
            if let Some(re) = &a.regex {
                let message = match &a.regex_message {
                    Some(m) => quote!(#m),
                    None => quote!(#rt::PATTERN_MESSAGE),
                };
                rules.push(quote!(#rt::pattern(errors, #name, value, #re, #message);));
            }
            if a.email {
                rules.push(quote!(#rt::email(errors, #name, value);));
            }
            if a.url {
                rules.push(quote!(#rt::url(errors, #name, value);));
            }
        }
        if let Some(max) = &a.max_value {
            let shown = shown(max);
            rules.push(quote!(#rt::max_value(errors, #name, value, (#max) as f64, #shown);));
        }
        if let Some(min) = &a.min_value {
            let shown = shown(min);
            rules.push(quote!(#rt::min_value(errors, #name, value, (#min) as f64, #shown);));
        }
        if a.max_digits.is_some() || a.decimal_places.is_some() {
            let digits = opt(a.max_digits.as_ref().map(|l| quote!(#l)));
            let places = opt(a.decimal_places.as_ref().map(|l| quote!(#l)));
            rules.push(quote!(#rt::decimal(errors, #name, value, #digits, #places);));
        }
        for validator in &a.validators {
            // A text field's validator takes a `&str`.
            let value = if f.is_string {
                quote!(value.as_str())
            } else {
                quote!(value)
            };
            rules.push(quote!(#rt::custom(errors, #name, #value, #validator);));
        }
        let assert_choices = a.choices.then(|| {
            quote! {
                fn assert_choices<T: ::restframe::model::Choices>() {}
                assert_choices::<#inner>();
            }
        });
        let check = f.check_fn();
        quote! {
            #[doc(hidden)]
            #[allow(unused_variables, clippy::ptr_arg)]
            pub fn #check(value: &#inner, errors: &mut ::restframe::ValidationErrors) {
                #assert_choices
                #(#rules)*
            }
        }
    });
    let validate_fields = fields.iter().filter(|f| f.writable()).map(|f| {
        let ident = &f.ident;
        let check = f.check_fn();
        if f.input_optional() {
            quote! {
                if let ::std::option::Option::Some(value) = &self.#ident {
                    Self::#check(value, &mut errors);
                }
            }
        } else {
            quote!(Self::#check(&self.#ident, &mut errors);)
        }
    });
    let model_validator = attrs.validate.as_ref().map(|path| {
        quote! {
            if errors.is_empty()
                && let ::std::result::Result::Err(found) = #path(self)
            {
                for (field, message) in found.errors() {
                    errors.add(field, message);
                }
            }
        }
    });
    quote! {
        impl #input {
            #(#fns)*
        }

        impl ::restframe::Validate for #input {
            fn validate(&self) -> ::std::result::Result<(), ::restframe::ValidationErrors> {
                let mut errors = ::restframe::ValidationErrors::new();
                #(#validate_fields)*
                #model_validator
                errors.into_result()
            }
        }
    }
}

/// The local a field is read into, apart from the deserializer's own names.
fn local(ident: &Ident) -> Ident {
    format_ident!("__field_{}", ident)
}

fn opt(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

/// `Deserialize` for the input: every field read on its own, every error collected.
fn input_deserialize(input: &Ident, fields: &[Field]) -> TokenStream {
    let rt = quote!(::restframe::__private);
    let reads = fields.iter().filter(|f| f.in_input()).map(|f| {
        let ident = local(&f.ident);
        let name = &f.name;
        let inner = &f.inner;
        let nullable = f.input_nullable();
        let allow_blank = f.attrs.allow_blank;
        let default = match &f.attrs.default {
            Some(Some(expr)) => quote!(#expr),
            // Left to the column's default (`db_default`).
            _ if f.attrs.db_default.is_some() => quote!(::std::option::Option::None),
            _ => quote!(::std::default::Default::default()),
        };
        if f.attrs.set_by_server {
            return quote!(let #ident = ::std::option::Option::Some(#default););
        }
        let check = f.check_fn();
        let value = if f.input_optional() {
            quote!(::std::option::Option::Some(::std::option::Option::Some(
                value
            )))
        } else {
            quote!(::std::option::Option::Some(value))
        };
        let null = if nullable {
            quote!(::std::option::Option::Some(::std::option::Option::None))
        } else {
            quote!(::std::option::Option::None)
        };
        let absent = if f.required() {
            quote!({
                __errors.add(#name, #rt::REQUIRED);
                ::std::option::Option::None
            })
        } else {
            quote!(::std::option::Option::Some(#default))
        };
        quote! {
            let #ident = match #rt::read::<#inner>(&mut __body, #name, #nullable, #allow_blank, &mut __errors) {
                #rt::Slot::Value(value) => {
                    Self::#check(&value, &mut __errors);
                    #value
                }
                #rt::Slot::Null => #null,
                #rt::Slot::Absent => #absent,
                #rt::Slot::Invalid => ::std::option::Option::None,
            };
        }
    });
    let builds = fields.iter().filter(|f| f.in_input()).map(|f| {
        let ident = &f.ident;
        let local = local(ident);
        let name = &f.name;
        quote!(#ident: #rt::take(#local, #name)?)
    });
    quote! {
        impl<'de> #rt::serde::Deserialize<'de> for #input {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let mut __body = #rt::body(deserializer)?;
                let mut __errors = ::restframe::ValidationErrors::new();
                #(#reads)*
                if !__errors.is_empty() {
                    return ::std::result::Result::Err(#rt::fail(__errors));
                }
                ::std::result::Result::Ok(Self { #(#builds,)* })
            }
        }
    }
}

/// `Deserialize` for the patch: what is sent is read and checked, the rest stays absent.
fn patch_deserialize(input: &Ident, patch: &Ident, fields: &[Field]) -> TokenStream {
    let rt = quote!(::restframe::__private);
    let reads = fields.iter().filter(|f| f.writable()).map(|f| {
        let ident = local(&f.ident);
        let name = &f.name;
        let inner = &f.inner;
        let nullable = f.input_nullable();
        let allow_blank = f.attrs.allow_blank;
        let check = f.check_fn();
        let (value, null) = if nullable {
            (
                quote!(::std::option::Option::Some(::std::option::Option::Some(
                    value
                ))),
                quote!(::std::option::Option::Some(::std::option::Option::None)),
            )
        } else {
            (
                quote!(::std::option::Option::Some(value)),
                quote!(::std::option::Option::None),
            )
        };
        quote! {
            let #ident = match #rt::read::<#inner>(&mut __body, #name, #nullable, #allow_blank, &mut __errors) {
                #rt::Slot::Value(value) => {
                    #input::#check(&value, &mut __errors);
                    #value
                }
                #rt::Slot::Null => #null,
                #rt::Slot::Absent | #rt::Slot::Invalid => ::std::option::Option::None,
            };
        }
    });
    let idents = fields.iter().filter(|f| f.writable()).map(|f| {
        let ident = &f.ident;
        let local = local(ident);
        quote!(#ident: #local)
    });
    quote! {
        impl<'de> #rt::serde::Deserialize<'de> for #patch {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let mut __body = #rt::body(deserializer)?;
                let mut __errors = ::restframe::ValidationErrors::new();
                #(#reads)*
                if !__errors.is_empty() {
                    return ::std::result::Result::Err(#rt::fail(__errors));
                }
                ::std::result::Result::Ok(Self { #(#idents,)* })
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Model,
    Input,
    Patch,
}

/// One property's schema, with every constraint that applies in `shape`.
fn property(f: &Field, shape: Shape) -> TokenStream {
    let utoipa = quote!(::restframe::__private::utoipa);
    let inner = &f.inner;
    let nullable = match shape {
        Shape::Model => f.nullable,
        Shape::Input | Shape::Patch => f.input_nullable(),
    };
    let a = &f.attrs;
    let mut schema = quote!(<#inner as ::restframe::model::FieldType>::schema(#nullable));
    if let Some(d) = &f.description {
        schema = quote!(#schema.description(::std::option::Option::Some(#d)));
    }
    if shape == Shape::Model {
        if f.read_only() {
            schema = quote!(#schema.read_only(true));
        }
        if a.email {
            schema = quote!(#schema.format(::std::option::Option::Some(
                #utoipa::openapi::schema::SchemaFormat::KnownFormat(
                    #utoipa::openapi::schema::KnownFormat::Email,
                ),
            )));
        }
        return schema;
    }
    if a.write_only {
        schema = quote!(#schema.write_only(true));
    }
    if f.is_string {
        let min = match &a.min_length {
            Some(l) => Some(quote!(#l)),
            None if !a.allow_blank => Some(quote!(1)),
            None => None,
        };
        if let Some(min) = min {
            schema = quote!(#schema.min_length(::std::option::Option::Some(#min)));
        }
        if let Some(max) = &a.max_length {
            schema = quote!(#schema.max_length(::std::option::Option::Some(#max)));
        }
        // One pattern: the field's own, else the one its email or url rule checks.
        if let Some(re) = &a.regex {
            schema = quote!(#schema.pattern(::std::option::Option::Some(#re)));
        } else if a.email {
            schema = quote!(#schema.pattern(::std::option::Option::Some(
                ::restframe::__private::EMAIL_PATTERN
            )));
        } else if a.url {
            schema = quote!(#schema.pattern(::std::option::Option::Some(
                ::restframe::__private::URL_PATTERN
            )));
        } else {
            // No NUL character, which no SQL repository stores.
            schema = quote!(#schema.pattern(::std::option::Option::Some(
                ::restframe::__private::NUL_FREE_PATTERN
            )));
        }
        if a.email {
            schema = quote!(#schema.format(::std::option::Option::Some(
                #utoipa::openapi::schema::SchemaFormat::KnownFormat(
                    #utoipa::openapi::schema::KnownFormat::Email,
                ),
            )));
        }
        if a.url {
            schema = quote!(#schema.format(::std::option::Option::Some(
                #utoipa::openapi::schema::SchemaFormat::Custom("uri".into()),
            )));
        }
    }
    if let Some(pattern) = decimal_pattern(a) {
        schema = quote!(#schema.pattern(::std::option::Option::Some(#pattern)));
    }
    if let Some(min) = &a.min_value {
        schema = quote!(#schema.minimum(::std::option::Option::Some(#min)));
    }
    if let Some(max) = &a.max_value {
        schema = quote!(#schema.maximum(::std::option::Option::Some(#max)));
    }
    schema
}

/// The text a `Decimal` with `max_digits` and `decimal_places` may be, as drf-spectacular
/// writes it (`^-?\d{0,4}(?:\.\d{0,2})?$`), but with a digit before the point required.
fn decimal_pattern(a: &FieldAttrs) -> Option<String> {
    let places: u32 = a.decimal_places.as_ref()?.base10_parse().ok()?;
    let fraction = if places == 0 {
        String::new()
    } else {
        format!("(?:\\.[0-9]{{1,{places}}})?")
    };
    let whole = match &a.max_digits {
        Some(digits) => {
            let digits: u32 = digits.base10_parse().ok()?;
            match digits.checked_sub(places)? {
                0 => "0".to_owned(),
                n => format!("[0-9]{{1,{n}}}"),
            }
        }
        None => "[0-9]+".to_owned(),
    };
    // A minimum of zero or more leaves the sign out, so that the pattern alone says what the
    // server takes (`minimum` does not bind a string).
    let non_negative = a.min_value.as_ref().is_some_and(|min| {
        let text = quote!(#min).to_string();
        !text.trim_start().starts_with('-')
    });
    let sign = if non_negative { "" } else { "-?" };
    Some(format!("^{sign}{whole}{fraction}$"))
}

fn object(name: &Ident, fields: &[&Field], shape: Shape, description: &str) -> TokenStream {
    let utoipa = quote!(::restframe::__private::utoipa);
    let title = name.to_string();
    let description = (!description.is_empty())
        .then(|| quote!(.description(::std::option::Option::Some(#description))));
    let props = fields.iter().map(|f| {
        let key = &f.name;
        let schema = property(f, shape);
        let required = match shape {
            Shape::Model => true,
            Shape::Input => f.required(),
            Shape::Patch => false,
        };
        let required = required.then(|| quote!(.required(#key)));
        quote!(let object = object.property(#key, #schema)#required;)
    });
    let lit = LitStr::new(&title, Span::call_site());
    quote! {
        impl #utoipa::PartialSchema for #name {
            fn schema() -> #utoipa::openapi::RefOr<#utoipa::openapi::schema::Schema> {
                let object = #utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(#utoipa::openapi::schema::Type::Object)
                    #description;
                #(#props)*
                object.into()
            }
        }

        impl #utoipa::ToSchema for #name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#lit)
            }
        }
    }
}

fn schemas(
    model: &Ident,
    input: &Ident,
    patch: &Ident,
    fields: &[Field],
    docs: Option<String>,
) -> TokenStream {
    let shown: Vec<&Field> = fields.iter().filter(|f| f.shown()).collect();
    let writable: Vec<&Field> = fields.iter().filter(|f| f.writable()).collect();
    let input_doc = format!("What create and update of a {model} accept.");
    let patch_doc = format!(
        "What a partial update of a {model} accepts: any of its fields; null clears a \
         nullable one."
    );
    let model = object(
        model,
        &shown,
        Shape::Model,
        docs.as_deref().unwrap_or_default(),
    );
    let input = object(input, &writable, Shape::Input, &input_doc);
    let patch = object(patch, &writable, Shape::Patch, &patch_doc);
    quote! {
        ::restframe::__if_openapi! {
            #model
            #input
            #patch
        }
    }
}
