//! The world itself, generated where `bindgen!` is invoked: the world's
//! own imported types and functions (trait `<World>Imports`), and the
//! world struct (`Test`), which adds every import to a linker,
//! instantiates the component and calls its exports.

use super::guest;
use super::host::{self, HostCode};
use super::model::{Model, Side};
use super::types::Cx;
use crate::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The path from the root to a unit's module.
fn module_path(module: &[String]) -> TokenStream {
    let segments = module.iter().map(|m| format_ident!("{m}"));
    quote!(self #(::#segments)*)
}

pub fn world(model: &Model) -> syn::Result<TokenStream> {
    let world = format_ident!("{}", names::camel(&model.world_name));
    let imports_trait = format_ident!("{world}Imports");
    let root = &model.root;
    let has_root_imports = !root.funcs.is_empty() || !root.resources.is_empty();
    let HostCode {
        items: mut root_items,
        define: root_define,
    } = host::unit(model, root, &imports_trait)?;
    if !has_root_imports {
        // Only the world's types: no trait to implement.
        let cx = Cx {
            model,
            module: &[],
            side: Side::Import,
        };
        root_items = root
            .types
            .iter()
            .map(|(n, id)| cx.define(n, *id))
            .collect::<syn::Result<_>>()?;
    }

    // `add_to_linker`: every imported interface's, then the world's own.
    let mut bounds = Vec::new();
    let mut adds = Vec::new();
    for unit in &model.imports {
        let path = module_path(&unit.module);
        bounds.push(quote!(#path::Host));
        adds.push(quote!(#path::add_to_linker(linker, get)?;));
    }
    if has_root_imports {
        bounds.push(quote!(#imports_trait));
        adds.push(quote! {
            let mut inst = linker.root();
            #root_define
        });
    }

    // The exports: one `Guest` per interface, one `TypedFunc` per function.
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut methods = Vec::new();
    for (i, unit) in model.exports.iter().enumerate() {
        let field = format_ident!("i{i}");
        let path = module_path(&unit.module);
        let accessor = format_ident!("{}", unit.accessor);
        let doc = format!(
            " The guest's exported interface `{}`.",
            unit.name.as_deref().unwrap_or_default()
        );
        fields.push(quote!(#field: #path::Guest));
        inits.push(quote!(#field: #path::Guest::new(store, instance)?));
        methods.push(quote! {
            #[doc = #doc]
            pub fn #accessor(&self) -> &#path::Guest {
                &self.#field
            }
        });
    }
    let cx = Cx {
        model,
        module: &[],
        side: Side::Export,
    };
    for (i, func) in model.root_exports.iter().enumerate() {
        let call = guest::call(
            &cx,
            func,
            &func.name,
            &format_ident!("f{i}"),
            &format_ident!("call_{}", names::snake(&func.name)),
        )?;
        fields.push(call.field);
        inits.push(call.init);
        methods.push(call.method);
    }

    let doc = format!(
        " World `{}`: its imports added to a linker, and an instance of a component of this world with its exports.",
        model.world_name
    );
    Ok(quote! {
        #root_items

        #[doc = #doc]
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        #[allow(dead_code)]
        pub struct #world {
            #(#fields,)*
        }

        #[allow(dead_code)]
        impl #world {
            /// Defines every import of the world in `linker`, each calling
            /// the host implementation that `get` finds in the store's data.
            #[allow(unused_mut, unused_variables)]
            pub fn add_to_linker<T: 'static, U>(
                linker: &mut ::weft_component::Linker<T>,
                get: fn(&mut T) -> &mut U,
            ) -> ::weft::Result<()>
            where
                U: #(#bounds +)* 'static,
            {
                #(#adds)*
                ::std::result::Result::Ok(())
            }

            /// Instantiates `component` with `linker` and looks up its
            /// exports.
            pub fn instantiate<T: 'static>(
                mut store: impl ::weft::AsContextMut<Data = T>,
                component: &::weft_component::Component,
                linker: &::weft_component::Linker<T>,
            ) -> ::weft::Result<Self> {
                let instance = linker.instantiate(&mut store, component)?;
                Self::new(&store, &instance)
            }

            /// Looks up the world's exports in `instance`, checking their
            /// types.
            #[allow(unused_variables)]
            pub fn new(
                store: impl ::weft::AsContext,
                instance: &::weft_component::Instance,
            ) -> ::weft::Result<Self> {
                let store = &store;
                ::std::result::Result::Ok(Self {
                    #(#inits,)*
                })
            }

            #(#methods)*
        }
    })
}
