//! The export side: for each exported interface, a `Guest` struct holding
//! its functions as `TypedFunc`s (looked up once, when the world is
//! instantiated) with a `call_<name>` method each, and a `GuestCounter`
//! struct per resource with `call_constructor` and `call_<method>`.

use super::model::{Model, Side, Unit};
use super::types::Cx;
use crate::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use wit_parser::{Function, FunctionKind};

/// One exported function: the struct field holding it, its lookup and
/// its `call_` method.
pub struct Call {
    pub field: TokenStream,
    pub init: TokenStream,
    pub method: TokenStream,
}

/// The pieces for exported function `func`, found in the instance at
/// `path`, held in field `field` and called by `method`.
pub fn call(
    cx: &Cx,
    func: &Function,
    path: &str,
    field: &syn::Ident,
    method: &syn::Ident,
) -> syn::Result<Call> {
    let sig = cx.sig(func)?;
    let (names, tys): (Vec<_>, Vec<_>) = sig.params.iter().cloned().unzip();
    let result = &sig.result;
    let results = if sig.has_result {
        quote!((#result,))
    } else {
        quote!(())
    };
    let body = if sig.has_result {
        quote! {
            let (r,) = self.#field.call(store, (#(#names,)*))?;
            ::std::result::Result::Ok(r)
        }
    } else {
        quote!(self.#field.call(store, (#(#names,)*)))
    };
    let doc = cx.func_doc(func, "Calls the guest's");
    // Clippy's limit is seven arguments, `self` and `store` included.
    let allow = (names.len() + 2 > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    Ok(Call {
        field: quote!(#field: ::weft_component::TypedFunc<(#(#tys,)*), #results>),
        init: quote!(#field: instance.get_typed_func(store, #path)?),
        method: quote! {
            #doc
            #allow
            pub fn #method<T: 'static>(
                &self,
                store: impl ::weft::AsContextMut<Data = T>,
                #(#names: #tys),*
            ) -> ::weft::Result<#result> {
                #body
            }
        },
    })
}

/// A struct of exported functions, with `new` looking them up.
fn functions_struct(
    ident: &syn::Ident,
    doc: String,
    calls: &[Call],
    extra: (TokenStream, TokenStream, TokenStream),
) -> TokenStream {
    let fields = calls.iter().map(|c| &c.field);
    let inits = calls.iter().map(|c| &c.init);
    let methods = calls.iter().map(|c| &c.method);
    let (extra_fields, extra_inits, extra_methods) = extra;
    quote! {
        #[doc = #doc]
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        pub struct #ident {
            #(#fields,)*
            #extra_fields
        }

        impl #ident {
            /// Looks the functions up in `instance`, checking their types.
            #[allow(unused_variables)]
            pub fn new(
                store: impl ::weft::AsContext,
                instance: &::weft_component::Instance,
            ) -> ::weft::Result<Self> {
                let store = &store;
                ::std::result::Result::Ok(Self {
                    #(#inits,)*
                    #extra_inits
                })
            }

            #(#methods)*
            #extra_methods
        }
    }
}

/// The `call_` method name of a resource's function.
fn resource_call(func: &Function) -> syn::Ident {
    match func.kind {
        FunctionKind::Constructor(_) => format_ident!("call_constructor"),
        _ => format_ident!("call_{}", names::snake(func.item_name())),
    }
}

/// An exported interface's module content: its types, `Guest` and a
/// `Guest<Resource>` per resource.
pub fn interface(model: &Model, unit: &Unit) -> syn::Result<TokenStream> {
    let cx = Cx {
        model,
        module: &unit.module,
        side: Side::Export,
    };
    let name = unit.name.as_deref().expect("interfaces have names");
    let types = unit
        .types
        .iter()
        .map(|(n, id)| cx.define(n, *id))
        .collect::<syn::Result<Vec<_>>>()?;
    let mut resource_structs = Vec::new();
    let (mut r_fields, mut r_inits, mut r_methods) = (Vec::new(), Vec::new(), Vec::new());
    for (ri, r) in unit.resources.iter().enumerate() {
        let ident = format_ident!("Guest{}", names::camel(&r.name));
        let calls = r
            .funcs
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let path = format!("{name}#{}", f.name);
                call(&cx, f, &path, &format_ident!("f{i}"), &resource_call(f))
            })
            .collect::<syn::Result<Vec<_>>>()?;
        let doc = format!(
            " The guest's resource `{}`: its constructor, methods and static functions (handles are `ResourceAny`).",
            r.name
        );
        resource_structs.push(functions_struct(&ident, doc, &calls, Default::default()));
        let field = format_ident!("r{ri}");
        let accessor = format_ident!("{}", names::snake(&r.name));
        let doc = format!(" The functions of resource `{}`.", r.name);
        r_fields.push(quote!(#field: #ident,));
        r_inits.push(quote!(#field: #ident::new(store, instance)?,));
        r_methods.push(quote! {
            #[doc = #doc]
            pub fn #accessor(&self) -> &#ident {
                &self.#field
            }
        });
    }
    let calls = unit
        .funcs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = format!("{name}#{}", f.name);
            let method = format_ident!("call_{}", names::snake(&f.name));
            call(&cx, f, &path, &format_ident!("f{i}"), &method)
        })
        .collect::<syn::Result<Vec<_>>>()?;
    let guest = functions_struct(
        &format_ident!("Guest"),
        format!(" The guest's exported interface `{name}`."),
        &calls,
        (
            quote!(#(#r_fields)*),
            quote!(#(#r_inits)*),
            quote!(#(#r_methods)*),
        ),
    );
    Ok(quote! {
        #(#types)*
        #guest
        #(#resource_structs)*
    })
}
