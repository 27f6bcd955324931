//! `#[derive(ComponentType, Lift, Lower)]` for records (structs with named
//! fields), variants (enums whose cases carry at most one value) and enums
//! (enums of unit cases). All three derives read the same
//! `#[component(...)]` attributes, so each parses the item on its own.

use crate::names;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Ident, LitStr};

/// Which component type the item stands for, with its members.
enum Kind {
    Record(Vec<Member>),
    Variant(Vec<Member>),
    Enum(Vec<Member>),
}

/// A record field or a case.
struct Member {
    ident: Ident,
    /// The field's type or the case's payload (`None`: no payload).
    ty: Option<syn::Type>,
    /// The WIT name.
    name: String,
}

/// A parsed deriving item.
pub struct Item {
    ident: Ident,
    generics: syn::Generics,
    kind: Kind,
}

/// The trait being derived, for bounds on type parameters.
#[derive(Clone, Copy)]
pub enum Trait {
    ComponentType,
    Lift,
    Lower,
}

/// The `#[component(...)]` attributes of an item or member: its kind
/// keyword and its `name = "..."`.
fn component_attrs(attrs: &[syn::Attribute]) -> syn::Result<(Option<Ident>, Option<LitStr>)> {
    let (mut kind, mut name) = (None, None);
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?);
                return Ok(());
            }
            // Attribute paths may be keywords (`enum`), which syn keeps as
            // identifiers here.
            let word = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match word.as_str() {
                "record" | "variant" | "enum" => {
                    kind = Some(Ident::new(&word, Span::call_site()));
                    Ok(())
                }
                _ => Err(meta.error(
                    "expected `record`, `variant`, `enum` or `name = \"...\"` in #[component(...)]",
                )),
            }
        })?;
    }
    Ok((kind, name))
}

fn member_name(attrs: &[syn::Attribute], default: String) -> syn::Result<String> {
    let (kind, name) = component_attrs(attrs)?;
    if let Some(kind) = kind {
        return Err(syn::Error::new(
            kind.span(),
            "only `name = \"...\"` belongs on a field or case",
        ));
    }
    Ok(name.map_or(default, |n| n.value()))
}

/// Reads the item and its attributes, checking that its shape fits the
/// kind it claims.
pub fn parse(input: DeriveInput) -> syn::Result<Item> {
    let (kind, name) = component_attrs(&input.attrs)?;
    if let Some(name) = name {
        return Err(syn::Error::new(
            name.span(),
            "`name` belongs on fields and cases, not on the type",
        ));
    }
    let Some(kind) = kind else {
        return Err(syn::Error::new(
            input.ident.span(),
            "say which component type this is: #[component(record)], #[component(variant)] or #[component(enum)]",
        ));
    };
    let kind = match (kind.to_string().as_str(), &input.data) {
        ("record", Data::Struct(s)) => {
            let Fields::Named(fields) = &s.fields else {
                return Err(syn::Error::new(
                    input.ident.span(),
                    "a record is a struct with named fields",
                ));
            };
            let members = fields
                .named
                .iter()
                .map(|f| {
                    let ident = f.ident.clone().expect("named fields have names");
                    Ok(Member {
                        name: member_name(&f.attrs, names::kebab_from_snake(&ident.to_string()))?,
                        ident,
                        ty: Some(f.ty.clone()),
                    })
                })
                .collect::<syn::Result<_>>()?;
            Kind::Record(members)
        }
        ("variant", Data::Enum(e)) => {
            let members = e
                .variants
                .iter()
                .map(|v| {
                    let ty = match &v.fields {
                        Fields::Unit => None,
                        Fields::Unnamed(f) if f.unnamed.len() == 1 => Some(f.unnamed[0].ty.clone()),
                        _ => {
                            return Err(syn::Error::new(
                                v.ident.span(),
                                "a variant case has no payload or one unnamed field",
                            ));
                        }
                    };
                    Ok(Member {
                        name: member_name(&v.attrs, names::kebab_from_camel(&v.ident.to_string()))?,
                        ident: v.ident.clone(),
                        ty,
                    })
                })
                .collect::<syn::Result<_>>()?;
            Kind::Variant(members)
        }
        ("enum", Data::Enum(e)) => {
            let members = e
                .variants
                .iter()
                .map(|v| {
                    if !matches!(v.fields, Fields::Unit) {
                        return Err(syn::Error::new(
                            v.ident.span(),
                            "an enum's cases carry no values (use #[component(variant)] for payloads)",
                        ));
                    }
                    Ok(Member {
                        name: member_name(&v.attrs, names::kebab_from_camel(&v.ident.to_string()))?,
                        ident: v.ident.clone(),
                        ty: None,
                    })
                })
                .collect::<syn::Result<_>>()?;
            Kind::Enum(members)
        }
        ("record", _) => {
            return Err(syn::Error::new(
                kind.span(),
                "#[component(record)] belongs on a struct",
            ));
        }
        (_, _) => {
            return Err(syn::Error::new(
                kind.span(),
                "#[component(variant)] and #[component(enum)] belong on an enum",
            ));
        }
    };
    Ok(Item {
        ident: input.ident,
        generics: input.generics,
        kind,
    })
}

impl Item {
    /// `impl<...> ::weft_component::#trait_ for Ident<...> where ...`, its
    /// type parameters bound by the derived trait.
    fn impl_header(&self, which: Trait) -> TokenStream {
        let trait_ = match which {
            Trait::ComponentType => quote!(::weft_component::ComponentType),
            Trait::Lift => quote!(::weft_component::Lift),
            Trait::Lower => quote!(::weft_component::Lower),
        };
        let mut generics = self.generics.clone();
        let params: Vec<Ident> = generics.type_params().map(|p| p.ident.clone()).collect();
        let where_clause = generics.make_where_clause();
        for p in params {
            where_clause.predicates.push(syn::parse_quote!(#p: #trait_));
        }
        let (impl_g, ty_g, where_g) = generics.split_for_impl();
        let ident = &self.ident;
        quote!(impl #impl_g #trait_ for #ident #ty_g #where_g)
    }

    fn members(&self) -> &[Member] {
        match &self.kind {
            Kind::Record(m) | Kind::Variant(m) | Kind::Enum(m) => m,
        }
    }

    /// The WIT names, as a `[&str; N]` expression.
    fn name_array(&self) -> TokenStream {
        let names = self.members().iter().map(|m| &m.name);
        let n = self.members().len();
        quote!({ let names: [&str; #n] = [#(#names),*]; names })
    }

    /// The error when the component type's names differ from ours.
    fn names_mismatch(&self, what: &str, have: TokenStream) -> TokenStream {
        let message = format!(
            "type mismatch: {} `{}` has {what} `{{}}`, and the component's has `{{}}`",
            self.kind_word(),
            self.ident
        );
        let want = self.name_array();
        quote! {
            ::weft::Error::Usage(::std::format!(#message, #want.join(", "), #have.join(", ")))
        }
    }

    fn kind_word(&self) -> &'static str {
        match self.kind {
            Kind::Record(_) => "record",
            Kind::Variant(_) => "variant",
            Kind::Enum(_) => "enum",
        }
    }
}

/// `impl ComponentType`: the component type must be of the same kind,
/// with the same names in the same order, and each field or payload must
/// check against its component type.
pub fn component_type(item: &Item) -> TokenStream {
    let header = item.impl_header(Trait::ComponentType);
    let want = item.name_array();
    let context = |m: &Member| {
        let what = match item.kind {
            Kind::Record(_) => "field",
            _ => "case",
        };
        format!("{} `{}`, {what} `{}`", item.kind_word(), item.ident, m.name)
    };
    let body = match &item.kind {
        Kind::Record(members) => {
            let mismatch = item.names_mismatch("fields", quote!(have));
            let checks = members.iter().enumerate().map(|(i, m)| {
                let ty = m.ty.as_ref().expect("fields have types");
                let context = context(m);
                quote! {
                    <#ty as ::weft_component::ComponentType>::typecheck(&fields[#i].1).map_err(|e| {
                        ::weft::Error::Usage(::std::format!("{}: {}", #context, e))
                    })?;
                }
            });
            quote! {
                ::weft_component::Type::Record(fields) => {
                    let have: ::std::vec::Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                    if have != #want {
                        return ::std::result::Result::Err(#mismatch);
                    }
                    #(#checks)*
                    ::std::result::Result::Ok(())
                }
            }
        }
        Kind::Variant(members) => {
            let mismatch = item.names_mismatch("cases", quote!(have));
            let checks = members.iter().enumerate().map(|(i, m)| {
                let context = context(m);
                let (none, some) = (
                    format!("type mismatch: {context} has no payload, and the component's has one"),
                    format!("type mismatch: {context} has a payload, and the component's has none"),
                );
                match &m.ty {
                    Some(ty) => quote! {
                        match &cases[#i].1 {
                            ::std::option::Option::Some(t) => {
                                <#ty as ::weft_component::ComponentType>::typecheck(t).map_err(|e| {
                                    ::weft::Error::Usage(::std::format!("{}: {}", #context, e))
                                })?;
                            }
                            ::std::option::Option::None => {
                                return ::std::result::Result::Err(::weft::Error::Usage(#some.into()));
                            }
                        }
                    },
                    None => quote! {
                        if cases[#i].1.is_some() {
                            return ::std::result::Result::Err(::weft::Error::Usage(#none.into()));
                        }
                    },
                }
            });
            quote! {
                ::weft_component::Type::Variant(cases) => {
                    let have: ::std::vec::Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
                    if have != #want {
                        return ::std::result::Result::Err(#mismatch);
                    }
                    #(#checks)*
                    ::std::result::Result::Ok(())
                }
            }
        }
        Kind::Enum(_) => {
            let mismatch = item.names_mismatch("cases", quote!(cases));
            quote! {
                ::weft_component::Type::Enum(cases) => {
                    if *cases != #want {
                        return ::std::result::Result::Err(#mismatch);
                    }
                    ::std::result::Result::Ok(())
                }
            }
        }
    };
    quote! {
        #header {
            fn typecheck(ty: &::weft_component::Type) -> ::weft::Result<()> {
                match ty {
                    #body
                    other => ::std::result::Result::Err(::weft_component::mismatch::<Self>(other)),
                }
            }
        }
    }
}

/// `impl Lower`: the value with its WIT names.
pub fn lower(item: &Item) -> TokenStream {
    let header = item.impl_header(Trait::Lower);
    let body = match &item.kind {
        Kind::Record(members) => {
            let fields = members.iter().map(|m| {
                let (ident, name) = (&m.ident, &m.name);
                quote! {
                    (::std::string::String::from(#name), ::weft_component::Lower::lower(&self.#ident, cx)?)
                }
            });
            quote!(::weft_component::Val::Record(::std::vec![#(#fields),*]))
        }
        Kind::Variant(members) => {
            let arms = members.iter().map(|m| {
                let (ident, name) = (&m.ident, &m.name);
                match m.ty {
                    Some(_) => quote! {
                        Self::#ident(v) => ::weft_component::Val::Variant(
                            ::std::string::String::from(#name),
                            ::std::option::Option::Some(::std::boxed::Box::new(
                                ::weft_component::Lower::lower(v, cx)?,
                            )),
                        ),
                    },
                    None => quote! {
                        Self::#ident => ::weft_component::Val::Variant(
                            ::std::string::String::from(#name),
                            ::std::option::Option::None,
                        ),
                    },
                }
            });
            quote!(match self { #(#arms)* })
        }
        Kind::Enum(members) => {
            let arms = members.iter().map(|m| {
                let (ident, name) = (&m.ident, &m.name);
                quote!(Self::#ident => ::weft_component::Val::Enum(::std::string::String::from(#name)),)
            });
            quote!(match self { #(#arms)* })
        }
    };
    quote! {
        #header {
            #[allow(unused_variables)]
            fn lower(&self, cx: &mut ::weft_component::ValCx<'_>) -> ::weft::Result<::weft_component::Val> {
                ::std::result::Result::Ok(#body)
            }
        }
    }
}

/// `impl Lift`: the value from one with the same WIT names.
pub fn lift(item: &Item) -> TokenStream {
    let header = item.impl_header(Trait::Lift);
    let ident = &item.ident;
    let body = match &item.kind {
        Kind::Record(members) => {
            let n = members.len();
            let vals: Vec<Ident> = (0..n).map(|i| format_ident!("v{i}")).collect();
            let message = format!("type mismatch: a record with fields `{{}}` is not a `{ident}`");
            let want = item.name_array();
            let inits = members.iter().zip(&vals).map(|(m, v)| {
                let (field, ty) = (&m.ident, m.ty.as_ref().expect("fields have types"));
                quote!(#field: <#ty as ::weft_component::Lift>::lift(#v, cx)?)
            });
            quote! {
                ::weft_component::Val::Record(fields) => {
                    let bad = |fields: &[(::std::string::String, ::weft_component::Val)]| {
                        let have: ::std::vec::Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                        ::weft::Error::Usage(::std::format!(#message, have.join(", ")))
                    };
                    let fields: [(::std::string::String, ::weft_component::Val); #n] =
                        fields.try_into().map_err(|f: ::std::vec::Vec<_>| bad(&f))?;
                    if fields.iter().map(|(n, _)| n.as_str()).ne(#want) {
                        return ::std::result::Result::Err(bad(&fields));
                    }
                    let [#((_, #vals)),*] = fields;
                    ::std::result::Result::Ok(Self { #(#inits),* })
                }
            }
        }
        Kind::Variant(members) => {
            let arms = members.iter().map(|m| {
                let (case, name) = (&m.ident, &m.name);
                match &m.ty {
                    Some(ty) => quote! {
                        (#name, ::std::option::Option::Some(v)) => {
                            Self::#case(<#ty as ::weft_component::Lift>::lift(*v, cx)?)
                        }
                    },
                    None => quote!((#name, ::std::option::Option::None) => Self::#case,),
                }
            });
            quote! {
                ::weft_component::Val::Variant(case, payload) => {
                    ::std::result::Result::Ok(match (case.as_str(), payload) {
                        #(#arms)*
                        (_, payload) => {
                            return ::std::result::Result::Err(::weft_component::bad_value::<Self>(
                                &::weft_component::Val::Variant(case, payload),
                            ));
                        }
                    })
                }
            }
        }
        Kind::Enum(members) => {
            let arms = members.iter().map(|m| {
                let (case, name) = (&m.ident, &m.name);
                quote!(#name => Self::#case,)
            });
            quote! {
                ::weft_component::Val::Enum(case) => {
                    ::std::result::Result::Ok(match case.as_str() {
                        #(#arms)*
                        _ => {
                            return ::std::result::Result::Err(::weft_component::bad_value::<Self>(
                                &::weft_component::Val::Enum(case),
                            ));
                        }
                    })
                }
            }
        }
    };
    quote! {
        #header {
            #[allow(unused_variables)]
            fn lift(val: ::weft_component::Val, cx: &mut ::weft_component::ValCx<'_>) -> ::weft::Result<Self> {
                match val {
                    #body
                    other => ::std::result::Result::Err(::weft_component::bad_value::<Self>(&other)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn error(input: syn::DeriveInput) -> String {
        match super::parse(input) {
            Ok(_) => panic!("parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn items_of_the_wrong_shape_are_refused() {
        let err = error(syn::parse_quote!(
            struct P {
                x: u32,
            }
        ));
        assert!(err.starts_with("say which component type"), "{err}");
        let err = error(syn::parse_quote!(
            #[component(record)]
            struct P(u32);
        ));
        assert_eq!(err, "a record is a struct with named fields");
        let err = error(syn::parse_quote!(
            #[component(variant)]
            enum V {
                A(u32, u32),
            }
        ));
        assert_eq!(err, "a variant case has no payload or one unnamed field");
        let err = error(syn::parse_quote!(
            #[component(enum)]
            enum E {
                A(u32),
            }
        ));
        assert!(err.starts_with("an enum's cases carry no values"), "{err}");
        let err = error(syn::parse_quote!(
            #[component(enum)]
            struct S {}
        ));
        assert!(err.contains("belong on an enum"), "{err}");
        let err = error(syn::parse_quote!(
            #[component(tuple)]
            struct S {}
        ));
        assert!(
            err.starts_with("expected `record`, `variant`, `enum`"),
            "{err}"
        );
    }
}
