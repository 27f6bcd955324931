//! `flags!`: a Rust type for a WIT `flags` type. A bit set in a `u32`
//! (the Component Model allows at most 32 flags), flag `i` being bit `i`
//! as in the Canonical ABI, so `bits()` is what a guest sees.

use crate::names;
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Token, Visibility};

/// The most flags one type may have.
const MAX_FLAGS: usize = 32;

/// One flags type: `#[attrs] vis Name { #[attrs] const FLAG; ... }`.
pub struct FlagsType {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    flags: Vec<Flag>,
}

struct Flag {
    /// Attributes other than `#[component(...)]` (docs, `cfg`s are not
    /// supported as the bit numbering must not change).
    attrs: Vec<Attribute>,
    ident: Ident,
    /// The WIT name.
    name: String,
}

/// Every flags type of one `flags!` invocation.
pub struct Input(pub Vec<FlagsType>);

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut types = Vec::new();
        while !input.is_empty() {
            types.push(input.parse()?);
        }
        Ok(Input(types))
    }
}

impl Parse for FlagsType {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let ident: Ident = input.parse()?;
        let body;
        syn::braced!(body in input);
        let mut flags = Vec::new();
        while !body.is_empty() {
            let mut attrs = body.call(Attribute::parse_outer)?;
            body.parse::<Token![const]>()?;
            let ident: Ident = body.parse()?;
            body.parse::<Token![;]>()?;
            let mut name = None;
            for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
                attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("name") {
                        name = Some(meta.value()?.parse::<LitStr>()?.value());
                        Ok(())
                    } else {
                        Err(meta.error("expected `name = \"...\"`"))
                    }
                })?;
            }
            attrs.retain(|a| !a.path().is_ident("component"));
            let name = name.unwrap_or_else(|| names::kebab_from_snake(&ident.to_string()));
            flags.push(Flag { attrs, ident, name });
        }
        if flags.len() > MAX_FLAGS {
            return Err(syn::Error::new(
                ident.span(),
                format!("a flags type has at most {MAX_FLAGS} flags"),
            ));
        }
        Ok(FlagsType {
            attrs,
            vis,
            ident,
            flags,
        })
    }
}

/// The type, its constants and operations, and the three traits.
pub fn expand(ty: &FlagsType) -> TokenStream {
    let FlagsType {
        attrs,
        vis,
        ident,
        flags,
    } = ty;
    let n = flags.len();
    let all: u32 = if n == 32 { u32::MAX } else { (1u32 << n) - 1 };
    let consts = flags.iter().enumerate().map(|(i, f)| {
        let (attrs, flag) = (&f.attrs, &f.ident);
        let bit = 1u32 << i;
        let doc = format!("The flag `{}`.", f.name);
        let doc = (!attrs.iter().any(|a| a.path().is_ident("doc"))).then(|| quote!(#[doc = #doc]));
        quote!(#doc #(#attrs)* pub const #flag: Self = Self { bits: #bit };)
    });
    let wit_names: Vec<&String> = flags.iter().map(|f| &f.name).collect();
    let rust_names = flags.iter().map(|f| f.ident.to_string());
    let type_doc = (!attrs.iter().any(|a| a.path().is_ident("doc"))).then(|| {
        let doc = format!(
            "A set of the flags {}.",
            wit_names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        quote!(#[doc = #doc])
    });
    let mismatch =
        format!("type mismatch: flags `{ident}` has `{{}}`, and the component's has `{{}}`");
    let ops = ops(ident);
    quote! {
        #type_doc
        #(#attrs)*
        #[derive(::std::marker::Copy, ::std::clone::Clone, ::std::cmp::PartialEq, ::std::cmp::Eq, ::std::hash::Hash, ::std::default::Default)]
        #vis struct #ident {
            bits: u32,
        }

        // A flags type is an API: not all of it is used by every crate.
        #[allow(dead_code)]
        impl #ident {
            #(#consts)*

            /// The flags' WIT names, in order: flag `i` is bit `i`.
            pub const NAMES: [&'static str; #n] = [#(#wit_names),*];

            /// The flags' Rust names, in the same order.
            const RUST_NAMES: [&'static str; #n] = [#(#rust_names),*];

            /// No flag set.
            pub const fn empty() -> Self {
                Self { bits: 0 }
            }

            /// Every flag set.
            pub const fn all() -> Self {
                Self { bits: #all }
            }

            /// The set as bits, flag `i` being bit `i`.
            pub const fn bits(&self) -> u32 {
                self.bits
            }

            /// The set of `bits`, unless a bit names no flag.
            pub const fn from_bits(bits: u32) -> ::std::option::Option<Self> {
                if bits & !#all == 0 {
                    ::std::option::Option::Some(Self { bits })
                } else {
                    ::std::option::Option::None
                }
            }

            /// The set of `bits`, bits that name no flag dropped.
            pub const fn from_bits_truncate(bits: u32) -> Self {
                Self { bits: bits & #all }
            }

            /// Whether no flag is set.
            pub const fn is_empty(&self) -> bool {
                self.bits == 0
            }

            /// Whether every flag of `other` is set.
            pub const fn contains(&self, other: Self) -> bool {
                self.bits & other.bits == other.bits
            }

            /// Sets the flags of `other`.
            pub fn insert(&mut self, other: Self) {
                self.bits |= other.bits;
            }

            /// Clears the flags of `other`.
            pub fn remove(&mut self, other: Self) {
                self.bits &= !other.bits;
            }
        }

        impl ::std::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let set: ::std::vec::Vec<&str> = Self::RUST_NAMES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.bits & (1u32 << i) != 0)
                    .map(|(_, n)| *n)
                    .collect();
                ::std::write!(f, "{}({})", ::std::stringify!(#ident), set.join(" | "))
            }
        }

        #ops

        impl ::weft_component::ComponentType for #ident {
            fn typecheck(ty: &::weft_component::Type) -> ::weft::Result<()> {
                match ty {
                    ::weft_component::Type::Flags(names) => {
                        if *names != Self::NAMES {
                            return ::std::result::Result::Err(::weft::Error::Usage(::std::format!(
                                #mismatch,
                                Self::NAMES.join(", "),
                                names.join(", "),
                            )));
                        }
                        ::std::result::Result::Ok(())
                    }
                    other => ::std::result::Result::Err(::weft_component::mismatch::<Self>(other)),
                }
            }
        }

        impl ::weft_component::Lower for #ident {
            fn lower(&self, _: &mut ::weft_component::ValCx<'_>) -> ::weft::Result<::weft_component::Val> {
                ::std::result::Result::Ok(::weft_component::Val::Flags(
                    Self::NAMES
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| self.bits & (1u32 << i) != 0)
                        .map(|(_, n)| ::std::string::String::from(*n))
                        .collect(),
                ))
            }
        }

        impl ::weft_component::Lift for #ident {
            fn lift(val: ::weft_component::Val, _: &mut ::weft_component::ValCx<'_>) -> ::weft::Result<Self> {
                let ::weft_component::Val::Flags(set) = &val else {
                    return ::std::result::Result::Err(::weft_component::bad_value::<Self>(&val));
                };
                let mut bits = 0u32;
                for name in set {
                    match Self::NAMES.iter().position(|n| n == name) {
                        ::std::option::Option::Some(i) => bits |= 1u32 << i,
                        ::std::option::Option::None => {
                            return ::std::result::Result::Err(::weft_component::bad_value::<Self>(&val));
                        }
                    }
                }
                ::std::result::Result::Ok(Self { bits })
            }
        }
    }
}

/// The bit operators: `|`, `&`, `^`, `-` (difference) and `!`
/// (complement within the defined flags), and their assigning forms.
fn ops(ident: &Ident) -> TokenStream {
    let binary = [
        (
            quote!(BitOr),
            quote!(bitor),
            quote!(BitOrAssign),
            quote!(bitor_assign),
            quote!(a | b),
        ),
        (
            quote!(BitAnd),
            quote!(bitand),
            quote!(BitAndAssign),
            quote!(bitand_assign),
            quote!(a & b),
        ),
        (
            quote!(BitXor),
            quote!(bitxor),
            quote!(BitXorAssign),
            quote!(bitxor_assign),
            quote!(a ^ b),
        ),
        (
            quote!(Sub),
            quote!(sub),
            quote!(SubAssign),
            quote!(sub_assign),
            quote!(a & !b),
        ),
    ];
    let binary = binary
        .iter()
        .map(|(op, method, op_assign, method_assign, expr)| {
            quote! {
                impl ::std::ops::#op for #ident {
                    type Output = Self;
                    fn #method(self, other: Self) -> Self {
                        let (a, b) = (self.bits, other.bits);
                        Self { bits: #expr }
                    }
                }
                impl ::std::ops::#op_assign for #ident {
                    fn #method_assign(&mut self, other: Self) {
                        *self = ::std::ops::#op::#method(*self, other);
                    }
                }
            }
        });
    quote! {
        #(#binary)*
        impl ::std::ops::Not for #ident {
            type Output = Self;
            fn not(self) -> Self {
                Self::from_bits_truncate(!self.bits)
            }
        }
    }
}
