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
    let out = quote! {
        #(const _: &str = ::std::include_str!(#sources);)*
        #world
        #modules
    };
    // To read what was generated: `WEFT_BINDGEN_OUT=FILE cargo build`.
    if let Some(path) = std::env::var_os("WEFT_BINDGEN_OUT") {
        let _ = std::fs::write(path, out.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// The error `bindgen!` reports for `input`.
    fn error(input: &str) -> String {
        let input: proc_macro2::TokenStream = input.parse().unwrap();
        match super::expand(input) {
            Ok(_) => panic!("expanded"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn what_cannot_be_generated_is_refused_with_a_reason() {
        let err =
            error(r#"{ inline: "package a:b; world w { import f: func(x: future<u32>); }" }"#);
        assert!(err.contains("`future` types are not supported"), "{err}");
        let err = error(r#"{ inline: "package a:b; world w { export f: async func(); }" }"#);
        assert!(err.contains("only synchronous functions"), "{err}");
        let err = error(r#"{ inline: "package a:b; world w {}", color: "red" }"#);
        assert!(err.contains("unknown bindgen! option `color`"), "{err}");
        let err = error(r#"{ inline: "package a:b; world w {}", world: "v" }"#);
        assert!(err.starts_with("bindgen!: "), "{err}");
        let err = error(r#"{ path: "no-such-wit" }"#);
        assert!(err.contains("no-such-wit"), "{err}");
    }

    #[test]
    fn a_with_entry_must_name_an_imported_resource() {
        let wit = r#"inline: "package a:b; interface i { resource r; } world w { import i; }""#;
        let err = error(&format!(r#"{{ {wit}, with: {{ "a:b/i/s": crate::S }} }}"#));
        assert_eq!(
            err,
            "bindgen!: `with` names no imported resource `a:b/i/s` (imported resources: `a:b/i/r`)"
        );
        let input = format!(r#"{{ {wit}, with: {{ "a:b/i/r": crate::S }} }}"#);
        let out = super::expand(input.parse().unwrap()).unwrap().to_string();
        assert!(out.contains("pub type R = crate :: S ;"), "{out}");
    }
}
