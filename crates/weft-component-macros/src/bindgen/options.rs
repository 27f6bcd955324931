//! The input of `bindgen!`: either a world's name alone
//! (`bindgen!("test")`, WIT in the crate's `wit` folder) or options in
//! braces (`bindgen!({ world: "test", path: "wit", inline: "...", with: {
//! "ns:pkg/iface/res": path::To::Type } })`).

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// What the invocation asked for.
pub struct Options {
    /// The world to generate, when the package has several.
    pub world: Option<String>,
    /// A WIT file or folder, relative to `CARGO_MANIFEST_DIR`.
    pub path: Option<String>,
    /// WIT text: the main package (with `path`, that is parsed first for
    /// the packages this one uses).
    pub inline: Option<String>,
    /// Host resources mapped to the embedder's own Rust types, by
    /// `namespace:package/interface/resource`.
    pub with: Vec<(LitStr, syn::Path)>,
    /// Where errors point.
    pub span: Span,
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Options {
            world: None,
            path: None,
            inline: None,
            with: Vec::new(),
            span: input.span(),
        };
        if input.peek(LitStr) {
            options.world = Some(input.parse::<LitStr>()?.value());
            return Ok(options);
        }
        let body;
        syn::braced!(body in input);
        while !body.is_empty() {
            let key: Ident = body.parse()?;
            body.parse::<Token![:]>()?;
            match key.to_string().as_str() {
                "world" => options.world = Some(body.parse::<LitStr>()?.value()),
                "path" => options.path = Some(body.parse::<LitStr>()?.value()),
                "inline" => options.inline = Some(body.parse::<LitStr>()?.value()),
                "with" => {
                    let map;
                    syn::braced!(map in body);
                    while !map.is_empty() {
                        let name: LitStr = map.parse()?;
                        map.parse::<Token![:]>()?;
                        let path: syn::Path = map.parse()?;
                        options.with.push((name, path));
                        if !map.is_empty() {
                            map.parse::<Token![,]>()?;
                        }
                    }
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown bindgen! option `{other}` (expected `world`, `path`, `inline` or `with`)"
                        ),
                    ));
                }
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        Ok(options)
    }
}
