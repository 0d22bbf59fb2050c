//! The attributes of `#[derive(Model)]`: `#[model(...)]` on the struct, `#[field(...)]` on
//! its fields.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Ident, Lit, LitBool, LitInt, LitStr, Path, Type};

/// `#[model(table = "...", input = "...", patch = "...", validate = path, derive(...))]`.
#[derive(Default)]
pub(crate) struct ModelAttrs {
    pub(crate) table: Option<String>,
    pub(crate) input: Option<Ident>,
    pub(crate) patch: Option<Ident>,
    pub(crate) validate: Option<Path>,
    pub(crate) derives: Vec<Path>,
}

impl ModelAttrs {
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = Self::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("model")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("table") {
                    out.table = Some(string(&meta)?.value());
                } else if meta.path.is_ident("input") {
                    let name = string(&meta)?;
                    out.input = Some(name.parse()?);
                } else if meta.path.is_ident("patch") {
                    let name = string(&meta)?;
                    out.patch = Some(name.parse()?);
                } else if meta.path.is_ident("validate") {
                    out.validate = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("derive") {
                    meta.parse_nested_meta(|derive| {
                        let name = derive.path.segments.last().map(|s| s.ident.to_string());
                        if matches!(
                            name.as_deref(),
                            Some("Serialize" | "Deserialize" | "Default" | "ToSchema")
                        ) {
                            return Err(derive.error(
                                "the inputs already have Serialize, Deserialize and ToSchema, \
                                 and the patch Default: derive(...) is for the others",
                            ));
                        }
                        out.derives.push(derive.path);
                        Ok(())
                    })?;
                } else {
                    return Err(meta.error(
                        "unknown model attribute: expected table, input, patch, validate or \
                         derive",
                    ));
                }
                Ok(())
            })?;
        }
        Ok(out)
    }
}

/// `#[field(...)]`: DRF's field options.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) read_only: bool,
    pub(crate) write_only: bool,
    pub(crate) skip: bool,
    /// Not a column: filled per response (a URL, a related row's name), shown read-only.
    pub(crate) computed: bool,
    pub(crate) set_by_server: bool,
    pub(crate) required: bool,
    /// `default` alone is `Default::default()`.
    pub(crate) default: Option<Option<Expr>>,
    pub(crate) allow_blank: bool,
    pub(crate) unique: bool,
    pub(crate) primary_key: bool,
    pub(crate) min_length: Option<LitInt>,
    pub(crate) max_length: Option<LitInt>,
    pub(crate) min_value: Option<Expr>,
    pub(crate) max_value: Option<Expr>,
    pub(crate) regex: Option<LitStr>,
    pub(crate) email: bool,
    pub(crate) url: bool,
    pub(crate) choices: bool,
    pub(crate) validators: Vec<Path>,
    pub(crate) max_digits: Option<LitInt>,
    pub(crate) decimal_places: Option<LitInt>,
    pub(crate) auto_now: bool,
    pub(crate) auto_now_add: bool,
    /// Django's model default: the column's own, taken when a create leaves the field out;
    /// an update that leaves it out keeps the stored value.
    pub(crate) db_default: Option<Lit>,
    /// `allow_null = false`: null refused in the inputs although the column is nullable.
    pub(crate) allow_null: Option<LitBool>,
    pub(crate) regex_message: Option<LitStr>,
    pub(crate) index: bool,
    pub(crate) ordering_index: bool,
    /// A foreign key to the model's table.
    pub(crate) references: Option<Type>,
    pub(crate) on_delete: Option<Ident>,
}

impl FieldAttrs {
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = Self::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("field")) {
            attr.parse_nested_meta(|meta| {
                let flag = |name: &str| meta.path.is_ident(name);
                if flag("read_only") {
                    out.read_only = true;
                } else if flag("write_only") {
                    out.write_only = true;
                } else if flag("skip") {
                    out.skip = true;
                } else if flag("computed") {
                    out.computed = true;
                } else if flag("set_by_server") {
                    out.set_by_server = true;
                } else if flag("required") {
                    out.required = true;
                } else if flag("default") {
                    out.default = Some(if meta.input.peek(syn::Token![=]) {
                        Some(meta.value()?.parse()?)
                    } else {
                        None
                    });
                } else if flag("allow_blank") {
                    out.allow_blank = true;
                } else if flag("unique") {
                    out.unique = true;
                } else if flag("primary_key") {
                    out.primary_key = true;
                } else if flag("min_length") {
                    out.min_length = Some(meta.value()?.parse()?);
                } else if flag("max_length") {
                    out.max_length = Some(meta.value()?.parse()?);
                } else if flag("min_value") {
                    out.min_value = Some(meta.value()?.parse()?);
                } else if flag("max_value") {
                    out.max_value = Some(meta.value()?.parse()?);
                } else if flag("regex") {
                    out.regex = Some(string(&meta)?);
                } else if flag("email") {
                    out.email = true;
                } else if flag("url") {
                    out.url = true;
                } else if flag("choices") {
                    out.choices = true;
                } else if flag("validator") {
                    out.validators.push(meta.value()?.parse()?);
                } else if flag("max_digits") {
                    out.max_digits = Some(meta.value()?.parse()?);
                } else if flag("decimal_places") {
                    out.decimal_places = Some(meta.value()?.parse()?);
                } else if flag("auto_now") {
                    out.auto_now = true;
                } else if flag("auto_now_add") {
                    out.auto_now_add = true;
                } else if flag("db_default") {
                    let lit: Lit = meta.value()?.parse()?;
                    if !matches!(lit, Lit::Bool(_) | Lit::Int(_) | Lit::Str(_)) {
                        return Err(meta.error("db_default is a bool, integer or string literal"));
                    }
                    out.db_default = Some(lit);
                } else if flag("allow_null") {
                    out.allow_null = Some(meta.value()?.parse()?);
                } else if flag("regex_message") {
                    out.regex_message = Some(string(&meta)?);
                } else if flag("index") {
                    out.index = true;
                } else if flag("ordering_index") {
                    out.ordering_index = true;
                } else if flag("references") {
                    out.references = Some(meta.value()?.parse()?);
                } else if flag("on_delete") {
                    let name: Ident = meta.value()?.parse()?;
                    if !matches!(name.to_string().as_str(), "cascade" | "set_null" | "restrict") {
                        return Err(meta.error("on_delete is cascade, set_null or restrict"));
                    }
                    out.on_delete = Some(name);
                } else {
                    return Err(meta.error(
                        "unknown field attribute: expected read_only, write_only, skip, \
                         computed, set_by_server, required, default, allow_blank, unique, primary_key, \
                         min_length, max_length, min_value, max_value, regex, email, url, \
                         choices, validator, max_digits, decimal_places, auto_now, \
                         auto_now_add, db_default, allow_null, regex_message, index, ordering_index, \
                         references or on_delete",
                    ));
                }
                Ok(())
            })?;
        }
        Ok(out)
    }
}

fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse()
}
