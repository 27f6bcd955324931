//! `bindgen!`: Rust bindings of a WIT world. [`model`] reads the WIT and
//! sorts the world into units; [`types`], [`host`], [`guest`] and
//! [`world`] generate code from that model; this module nests each unit's
//! code into its module (`weft::test::host_log`,
//! `exports::weft::test::types`) and makes the crate depend on the WIT
//! files it read.

mod guest;
mod host;
mod model;
mod options;
mod types;
mod world;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The generated modules, as a tree.
#[derive(Default)]
struct ModTree {
    /// This module's own items and its doc, if a unit lives here.
    own: Option<(String, TokenStream)>,
    children: Vec<(String, ModTree)>,
}

impl ModTree {
    fn insert(&mut self, path: &[String], doc: String, items: TokenStream) {
        match path.split_first() {
            None => self.own = Some((doc, items)),
            Some((first, rest)) => {
                let at = match self.children.iter().position(|(n, _)| n == first) {
                    Some(i) => i,
                    None => {
                        self.children.push((first.clone(), ModTree::default()));
                        self.children.len() - 1
                    }
                };
                self.children[at].1.insert(rest, doc, items);
            }
        }
    }

    fn emit(&self) -> TokenStream {
        let children = self.children.iter().map(|(name, tree)| {
            let ident = format_ident!("{name}");
            let body = tree.emit();
            let doc = match &tree.own {
                Some((doc, _)) => doc.clone(),
                None => format!(" Bindings under `{name}`."),
            };
            // Bindings are generated whole, and a crate uses what it needs.
            quote! {
                #[doc = #doc]
                #[allow(dead_code)]
                pub mod #ident {
                    #body
                }
            }
        });
        let own = self.own.as_ref().map(|(_, items)| items);
        quote!(#own #(#children)*)
    }
}

/// The module doc of a unit.
fn unit_doc(unit: &model::Unit, side: &str) -> String {
    let name = unit.name.as_deref().unwrap_or_default();
    match &unit.docs {
        Some(d) => format!(" {side} interface `{name}`: {d}"),
        None => format!(" Bindings of the {side} interface `{name}`."),
    }
}

/// Expands `bindgen!(input)`.
pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let options: options::Options = syn::parse2(input)?;
    let model = model::load(&options)?;
    let mut tree = ModTree::default();
    for unit in &model.imports {
        tree.insert(
            &unit.module,
            unit_doc(unit, "imported"),
            host::interface(&model, unit)?,
        );
    }
    for unit in &model.exports {
        tree.insert(
            &unit.module,
            unit_doc(unit, "exported"),
            guest::interface(&model, unit)?,
        );
    }
    let world = world::world(&model)?;
    let modules = tree.emit();
    // `include_str!` makes Cargo rebuild the crate when a WIT file changes.
    let sources = model.sources.iter().map(|p| p.display().to_string());
    Ok(quote! {
        #(const _: &str = ::std::include_str!(#sources);)*
        #world
        #modules
    })
}
