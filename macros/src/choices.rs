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
    let indices = 0..variants.len();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::restframe::model::Choices for #name #ty_generics #where_clause {
            const CHOICES: &'static [&'static str] = &[#(#values),*];

            fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#variants => #values,)*
                }
            }
        }

        impl #impl_generics ::restframe::__private::serde::Serialize for #name #ty_generics
        #where_clause
        {
            fn serialize<S: ::restframe::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(::restframe::model::Choices::as_str(self))
            }
        }

        impl<'de> ::restframe::__private::serde::Deserialize<'de> for #name #ty_generics
        #where_clause
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

        impl #impl_generics ::restframe::model::FieldType for #name #ty_generics #where_clause {
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
