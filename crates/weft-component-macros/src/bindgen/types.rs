//! WIT types as Rust types: the Rust type of each WIT type reference, seen
//! from the module being generated, and the Rust definitions of an
//! interface's named types (records, variants, enums and flags with the
//! derives, aliases, and marker types for host resources).

use super::model::{Model, Side};
use crate::names;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use wit_parser::{Docs, Handle, Type, TypeDefKind, TypeId, TypeOwner};

/// Where code is being generated: the module, and which side's copy of a
/// type that is both imported and exported it means.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    pub model: &'a Model,
    pub module: &'a [String],
    pub side: Side,
}

/// An error about the WIT, pointing at the invocation.
pub fn unsupported(what: String) -> syn::Error {
    syn::Error::new(Span::call_site(), format!("bindgen!: {what}"))
}

/// `#[doc]` attributes: the WIT docs, else `default`.
pub fn docs(docs: &Docs, default: String) -> TokenStream {
    let text = docs.contents.clone().unwrap_or(default);
    let lines = text.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

impl Cx<'_> {
    /// What a function is, for its docs when the WIT has none: `verb`
    /// says what the generated item does with it ("Calls", "Implements").
    pub fn func_doc(&self, func: &wit_parser::Function, verb: &str) -> TokenStream {
        let resource = |id: &TypeId| {
            self.model.resolve.types[*id]
                .name
                .clone()
                .unwrap_or_default()
        };
        let what = match &func.kind {
            wit_parser::FunctionKind::Constructor(r) => {
                format!("the constructor of `{}`", resource(r))
            }
            wit_parser::FunctionKind::Method(r) => {
                format!("the method `{}` of `{}`", func.item_name(), resource(r))
            }
            wit_parser::FunctionKind::Static(r) => {
                format!(
                    "the static function `{}` of `{}`",
                    func.item_name(),
                    resource(r)
                )
            }
            _ => format!("the function `{}`", func.name),
        };
        docs(&func.docs, format!("{verb} {what}."))
    }

    /// A path from this module to item `ident` of module `target`: `self::`
    /// downwards and `super::` upwards, so that no path starts with a name
    /// a crate could also have (a package module named `weft` would).
    pub fn path_to(&self, target: &[String], ident: &syn::Ident) -> TokenStream {
        let common = self
            .module
            .iter()
            .zip(target)
            .take_while(|(a, b)| a == b)
            .count();
        let ups = self.module.len() - common;
        let down = target[common..].iter().map(|m| format_ident!("{m}"));
        let start = if ups == 0 {
            quote!(self::)
        } else {
            let supers = std::iter::repeat_n(quote!(super::), ups);
            quote!(#(#supers)*)
        };
        quote!(#start #(#down::)* #ident)
    }

    /// The Rust type of a WIT type reference.
    pub fn ty(&self, ty: &Type) -> syn::Result<TokenStream> {
        Ok(match ty {
            Type::Bool => quote!(bool),
            Type::U8 => quote!(u8),
            Type::U16 => quote!(u16),
            Type::U32 => quote!(u32),
            Type::U64 => quote!(u64),
            Type::S8 => quote!(i8),
            Type::S16 => quote!(i16),
            Type::S32 => quote!(i32),
            Type::S64 => quote!(i64),
            Type::F32 => quote!(f32),
            Type::F64 => quote!(f64),
            Type::Char => quote!(char),
            Type::String => quote!(::std::string::String),
            Type::ErrorContext => {
                return Err(unsupported("`error-context` is not supported".into()));
            }
            Type::Id(id) => self.type_id(*id)?,
        })
    }

    /// An optional type, `()` when absent (a `result` without a payload).
    fn payload(&self, ty: &Option<Type>) -> syn::Result<TokenStream> {
        match ty {
            Some(t) => self.ty(t),
            None => Ok(quote!(())),
        }
    }

    fn type_id(&self, id: TypeId) -> syn::Result<TokenStream> {
        let def = &self.model.resolve.types[id];
        match (&def.name, def.owner) {
            (Some(name), owner) if owner != TypeOwner::None => {
                if matches!(def.kind, TypeDefKind::Resource) {
                    return Err(unsupported(format!(
                        "resource `{name}` is used as a value; resources pass by handle"
                    )));
                }
                let module = self.model.type_module(owner, self.side);
                Ok(self.path_to(module, &format_ident!("{}", names::camel(name))))
            }
            _ => self.structural(&def.kind),
        }
    }

    /// The Rust type of an unnamed type, or the right side of an alias.
    fn structural(&self, kind: &TypeDefKind) -> syn::Result<TokenStream> {
        Ok(match kind {
            TypeDefKind::List(t) => {
                let t = self.ty(t)?;
                quote!(::std::vec::Vec<#t>)
            }
            TypeDefKind::Option(t) => {
                let t = self.ty(t)?;
                quote!(::std::option::Option<#t>)
            }
            TypeDefKind::Result(r) => {
                let (ok, err) = (self.payload(&r.ok)?, self.payload(&r.err)?);
                quote!(::std::result::Result<#ok, #err>)
            }
            TypeDefKind::Tuple(t) => {
                let ts = t
                    .types
                    .iter()
                    .map(|t| self.ty(t))
                    .collect::<syn::Result<Vec<_>>>()?;
                quote!((#(#ts,)*))
            }
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => self.handle(*r)?,
            TypeDefKind::Type(t) => self.ty(t)?,
            other => {
                return Err(unsupported(format!(
                    "WIT `{}` types are not supported by weft-component",
                    other.as_str()
                )));
            }
        })
    }

    /// The Rust type of an `own` or `borrow` handle to resource `r`: a
    /// typed `Resource<R>` for a host resource (the host keeps the data),
    /// a `ResourceAny` for a guest's (the host only passes it back).
    pub fn handle(&self, r: TypeId) -> syn::Result<TokenStream> {
        let real = self.model.dealias(r);
        let def = &self.model.resolve.types[real];
        if self.model.is_guest(def.owner, self.side) {
            return Ok(quote!(::weft_component::ResourceAny));
        }
        let marker = self.resource_marker(real)?;
        Ok(quote!(::weft_component::Resource<#marker>))
    }

    /// The Rust type naming host resource `real` (its marker, or the
    /// embedder's type given by `with`, which the marker aliases).
    fn resource_marker(&self, real: TypeId) -> syn::Result<TokenStream> {
        let def = &self.model.resolve.types[real];
        let name = def.name.as_deref().unwrap_or_default();
        let module = self.model.type_module(def.owner, Side::Import);
        Ok(self.path_to(module, &format_ident!("{}", names::camel(name))))
    }

    /// The Rust definition of named type `name` (`id`) of this module.
    /// At the top, where no module's `allow` covers it, it allows being
    /// unused: bindings are generated whole.
    pub fn define(&self, name: &str, id: TypeId) -> syn::Result<TokenStream> {
        let item = self.define_item(name, id)?;
        let flags = matches!(self.model.resolve.types[id].kind, TypeDefKind::Flags(_));
        Ok(match self.module.is_empty() && !item.is_empty() && !flags {
            true => quote!(#[allow(dead_code)] #item),
            false => item,
        })
    }

    fn define_item(&self, name: &str, id: TypeId) -> syn::Result<TokenStream> {
        let def = &self.model.resolve.types[id];
        let ident = format_ident!("{}", names::camel(name));
        let derives = quote! {
            ::weft_component::ComponentType, ::weft_component::Lift, ::weft_component::Lower
        };
        Ok(match &def.kind {
            TypeDefKind::Record(r) => {
                let doc = docs(&def.docs, format!("The WIT record `{name}`."));
                let fields = r.fields.iter().map(|f| {
                    let field = format_ident!("{}", names::snake(&f.name));
                    let wit = &f.name;
                    let ty = self.ty(&f.ty)?;
                    let doc = docs(&f.docs, format!("The field `{wit}`."));
                    Ok(quote!(#doc #[component(name = #wit)] pub #field: #ty))
                });
                let fields = fields.collect::<syn::Result<Vec<_>>>()?;
                quote! {
                    #doc
                    #[derive(::std::clone::Clone, ::std::fmt::Debug, ::std::cmp::PartialEq, #derives)]
                    #[component(record)]
                    pub struct #ident { #(#fields,)* }
                }
            }
            TypeDefKind::Variant(v) => {
                let doc = docs(&def.docs, format!("The WIT variant `{name}`."));
                let cases = v.cases.iter().map(|c| {
                    let case = format_ident!("{}", names::camel(&c.name));
                    let wit = &c.name;
                    let doc = docs(&c.docs, format!("The case `{wit}`."));
                    Ok(match &c.ty {
                        Some(t) => {
                            let t = self.ty(t)?;
                            quote!(#doc #[component(name = #wit)] #case(#t))
                        }
                        None => quote!(#doc #[component(name = #wit)] #case),
                    })
                });
                let cases = cases.collect::<syn::Result<Vec<_>>>()?;
                quote! {
                    #doc
                    #[derive(::std::clone::Clone, ::std::fmt::Debug, ::std::cmp::PartialEq, #derives)]
                    #[component(variant)]
                    pub enum #ident { #(#cases,)* }
                }
            }
            TypeDefKind::Enum(e) => {
                let doc = docs(&def.docs, format!("The WIT enum `{name}`."));
                let cases = e.cases.iter().map(|c| {
                    let case = format_ident!("{}", names::camel(&c.name));
                    let wit = &c.name;
                    let doc = docs(&c.docs, format!("The case `{wit}`."));
                    quote!(#doc #[component(name = #wit)] #case)
                });
                quote! {
                    #doc
                    #[derive(
                        ::std::clone::Clone, ::std::marker::Copy, ::std::fmt::Debug,
                        ::std::cmp::PartialEq, ::std::cmp::Eq, ::std::hash::Hash, #derives
                    )]
                    #[component(enum)]
                    pub enum #ident { #(#cases,)* }
                }
            }
            TypeDefKind::Flags(f) => {
                let doc = docs(&def.docs, format!("The WIT flags `{name}`."));
                let flags = f.flags.iter().map(|flag| {
                    let konst = format_ident!("{}", names::shouty(&flag.name));
                    let wit = &flag.name;
                    let doc = docs(&flag.docs, format!("The flag `{wit}`."));
                    quote!(#doc #[component(name = #wit)] const #konst;)
                });
                quote! {
                    ::weft_component::flags! { #doc #[allow(dead_code)] pub #ident { #(#flags)* } }
                }
            }
            TypeDefKind::Resource => self.define_resource(name, id, &ident)?,
            TypeDefKind::Type(Type::Id(target))
                if matches!(
                    self.model.resolve.types[self.model.dealias(*target)].kind,
                    TypeDefKind::Resource
                ) =>
            {
                // `use`d resource: alias the owner's marker, if the host
                // owns it (a guest resource has no Rust type).
                let real = self.model.dealias(*target);
                if self
                    .model
                    .is_guest(self.model.resolve.types[real].owner, self.side)
                {
                    return Ok(TokenStream::new());
                }
                let doc = docs(&def.docs, format!("The WIT resource `{name}`."));
                let marker = self.resource_marker(real)?;
                quote!(#doc pub type #ident = #marker;)
            }
            kind => {
                let doc = docs(&def.docs, format!("The WIT type `{name}`."));
                let ty = self.structural(kind)?;
                quote!(#doc pub type #ident = #ty;)
            }
        })
    }

    /// A host resource's Rust type: an uninhabited marker by default (the
    /// embedder keeps the data wherever it likes, by representation), or
    /// an alias of the embedder's type from `with`.
    fn define_resource(
        &self,
        name: &str,
        id: TypeId,
        ident: &syn::Ident,
    ) -> syn::Result<TokenStream> {
        if self.side == Side::Export {
            return Ok(TokenStream::new());
        }
        let def = &self.model.resolve.types[id];
        let with = self.model.host_resource(id).and_then(|r| r.with.as_ref());
        Ok(match with {
            Some(path) => {
                let doc = docs(
                    &def.docs,
                    format!("The WIT resource `{name}`: the embedder's type standing for it."),
                );
                quote!(#doc pub type #ident = #path;)
            }
            None => {
                let doc = docs(
                    &def.docs,
                    format!(
                        "The WIT resource `{name}`: names its handles, `Resource<{ident}>`; it has no values."
                    ),
                );
                quote!(#doc pub enum #ident {})
            }
        })
    }
}

/// The Rust parameters and result of a function.
pub struct Sig {
    /// Each parameter's Rust name and type.
    pub params: Vec<(syn::Ident, TokenStream)>,
    /// The result type, `()` for none.
    pub result: TokenStream,
    /// Whether the function has a result.
    pub has_result: bool,
}

impl Cx<'_> {
    /// `func`'s Rust signature. A parameter called `store` is renamed, as
    /// generated call methods take the store under that name.
    pub fn sig(&self, func: &wit_parser::Function) -> syn::Result<Sig> {
        let params = func
            .params
            .iter()
            .map(|p| {
                let mut name = names::snake(&p.name);
                if name == "store" {
                    name.push('_');
                }
                Ok((format_ident!("{name}"), self.ty(&p.ty)?))
            })
            .collect::<syn::Result<_>>()?;
        let (result, has_result) = match &func.result {
            Some(t) => (self.ty(t)?, true),
            None => (quote!(()), false),
        };
        Ok(Sig {
            params,
            result,
            has_result,
        })
    }
}
