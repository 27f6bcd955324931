//! The import side: for each imported interface (and the world's own
//! imports), the traits the host implements (`Host`, and `HostLogger` per
//! resource) and the code that defines them in a `Linker` with
//! `func_wrap` and `LinkerInstance::resource`.

use super::model::{Model, Side, Unit};
use super::types::Cx;
use crate::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use wit_parser::{Function, FunctionKind};

/// What one import unit generates.
pub struct HostCode {
    /// Its types and traits, for its module.
    pub items: TokenStream,
    /// Statements defining it on `inst` (a `LinkerInstance<T>`), calling
    /// the host through `get: fn(&mut T) -> &mut U`.
    pub define: TokenStream,
}

/// The trait method name of a resource's function.
pub fn resource_method(func: &Function) -> syn::Ident {
    match func.kind {
        FunctionKind::Constructor(_) => format_ident!("new"),
        _ => format_ident!("{}", names::snake(func.item_name())),
    }
}

/// The trait method for `func` and the `func_wrap` that calls it through
/// trait `trait_`.
fn function(
    cx: &Cx,
    func: &Function,
    method: &syn::Ident,
    trait_: &syn::Ident,
) -> syn::Result<(TokenStream, TokenStream)> {
    let sig = cx.sig(func)?;
    let (names, tys): (Vec<_>, Vec<_>) = sig.params.iter().cloned().unzip();
    let result = &sig.result;
    let doc = cx.func_doc(func, "Implements");
    // Clippy's limit is seven arguments, `self` included; WIT has none.
    let allow = (names.len() + 1 > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let decl = quote! {
        #doc
        #allow
        fn #method(&mut self, #(#names: #tys),*) -> ::weft::Result<#result>;
    };
    // Positional names in the closure, so a WIT parameter called `cx` or
    // `get` cannot shadow ours.
    let args: Vec<_> = (0..names.len()).map(|i| format_ident!("p{i}")).collect();
    let wit_name = &func.name;
    let ret = if sig.has_result {
        quote!(::std::result::Result::Ok((r,)))
    } else {
        quote!(::std::result::Result::Ok(r))
    };
    let define = quote! {
        inst.func_wrap(
            #wit_name,
            move |mut cx: ::weft::StoreContextMut<'_, T>, (#(#args,)*): (#(#tys,)*)| {
                let r = <U as #trait_>::#method(get(cx.data_mut()), #(#args),*)?;
                #ret
            },
        )?;
    };
    Ok((decl, define))
}

/// The types, traits and linker definitions of import unit `unit`, whose
/// main trait is `host_trait`.
pub fn unit(model: &Model, unit: &Unit, host_trait: &syn::Ident) -> syn::Result<HostCode> {
    let cx = Cx {
        model,
        module: &unit.module,
        side: Side::Import,
    };
    let types = unit
        .types
        .iter()
        .map(|(name, id)| cx.define(name, *id))
        .collect::<syn::Result<Vec<_>>>()?;
    let mut traits = Vec::new();
    let mut define = Vec::new();
    let mut supertraits = Vec::new();
    for r in &unit.resources {
        let marker = format_ident!("{}", names::camel(&r.name));
        let trait_ = format_ident!("Host{}", names::camel(&r.name));
        let wit = &r.name;
        define.push(quote! {
            inst.resource(
                #wit,
                ::weft_component::ResourceType::host::<#marker>(),
                move |mut cx: ::weft::StoreContextMut<'_, T>, rep: u32| {
                    <U as #trait_>::drop(get(cx.data_mut()), ::weft_component::Resource::new_own(rep))
                },
            )?;
        });
        let mut methods = Vec::new();
        for func in &r.funcs {
            let (decl, def) = function(&cx, func, &resource_method(func), &trait_)?;
            methods.push(decl);
            define.push(def);
        }
        let doc = format!(" The host's implementation of resource `{wit}`.");
        let drop_doc =
            format!(" Destroys the `{wit}` behind `rep`: its last own handle was dropped.");
        let allow = unit.module.is_empty().then(|| quote!(#[allow(dead_code)]));
        traits.push(quote! {
            #[doc = #doc]
            #allow
            pub trait #trait_ {
                #(#methods)*
                #[doc = #drop_doc]
                fn drop(&mut self, rep: ::weft_component::Resource<#marker>) -> ::weft::Result<()>;
            }
        });
        supertraits.push(trait_);
    }
    let mut funcs = Vec::new();
    for func in &unit.funcs {
        let method = format_ident!("{}", names::snake(&func.name));
        let (decl, def) = function(&cx, func, &method, host_trait)?;
        funcs.push(decl);
        define.push(def);
    }
    let bounds = (!supertraits.is_empty()).then(|| quote!(: #(#supertraits)+*));
    let doc = match &unit.name {
        Some(name) => format!(" The host's implementation of `{name}`'s functions."),
        None => format!(
            " The host's implementation of world `{}`'s own imports.",
            model.world_name
        ),
    };
    let allow = unit.module.is_empty().then(|| quote!(#[allow(dead_code)]));
    let items = quote! {
        #(#types)*
        #(#traits)*
        #[doc = #doc]
        #allow
        pub trait #host_trait #bounds {
            #(#funcs)*
        }
    };
    Ok(HostCode {
        items,
        define: quote!(#(#define)*),
    })
}

/// An imported interface's module content: its types and traits and an
/// `add_to_linker` defining it under its full name.
pub fn interface(model: &Model, u: &Unit) -> syn::Result<TokenStream> {
    let host = format_ident!("Host");
    let HostCode { items, define } = unit(model, u, &host)?;
    let name = u.name.as_deref().expect("interfaces have names");
    let doc = format!(
        " Defines `{name}` in `linker`: its functions call the `Host` that `get` finds in the store's data."
    );
    Ok(quote! {
        #items
        #[doc = #doc]
        #[allow(unused_mut, unused_variables)]
        pub fn add_to_linker<T: 'static, U: #host + 'static>(
            linker: &mut ::weft_component::Linker<T>,
            get: fn(&mut T) -> &mut U,
        ) -> ::weft::Result<()> {
            let mut inst = linker.instance(#name)?;
            #define
            ::std::result::Result::Ok(())
        }
    })
}
