//! `#[derive(Choices)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "Choices is derived for a unit-only enum",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "Choices is derived for an enum without generics",
        ));
    }
    let name = &input.ident;
    let mut values = Vec::new();
    let mut variants = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                variant,
                "Choices is derived for a unit-only enum: this variant has fields",
            ));
        }
        let mut value = variant.ident.to_string();
        for attr in &variant.attrs {
            if attr.path().is_ident("choice") {
                value = attr.parse_args::<LitStr>()?.value();
            }
        }
        values.push(value);
        variants.push(&variant.ident);
    }
    if variants.is_empty() {
        return Err(syn::Error::new_spanned(
            name,
            "Choices is derived for an enum with at least one variant",
        ));
    }
    let indices = 0..variants.len();
    Ok(quote! {
        impl ::restframe::model::Choices for #name  {
            const CHOICES: &'static [&'static str] = &[#(#values),*];

            fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#variants => #values,)*
                }
            }
        }

        impl ::restframe::__private::serde::Serialize for #name
        {
            fn serialize<S: ::restframe::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(::restframe::model::Choices::as_str(self))
            }
        }

        impl<'de> ::restframe::__private::serde::Deserialize<'de> for #name
        {
            fn deserialize<D: ::restframe::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let index = deserializer.deserialize_any(::restframe::__private::ChoiceVisitor(
                    <Self as ::restframe::model::Choices>::CHOICES,
                ))?;
                match index {
                    #(#indices => ::std::result::Result::Ok(Self::#variants),)*
                    _ => ::std::result::Result::Err(
                        <D::Error as ::restframe::__private::serde::de::Error>::custom(
                            "Not a valid choice.",
                        ),
                    ),
                }
            }
        }

        impl ::restframe::model::FieldType for #name  {
            const COLUMN: ::restframe::sql::ColumnType = ::restframe::sql::ColumnType::Text;

            fn invalid_message(error: &str) -> ::std::string::String {
                ::restframe::__private::choice_message(error)
            }

            ::restframe::__if_openapi! {
                fn schema(
                    nullable: bool,
                ) -> ::restframe::__private::utoipa::openapi::schema::ObjectBuilder {
                    ::restframe::__private::choices_schema(
                        <Self as ::restframe::model::Choices>::CHOICES,
                        nullable,
                    )
                }
            }
        }
    })
}
