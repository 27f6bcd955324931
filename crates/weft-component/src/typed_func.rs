//! [`TypedFunc`]: a component function called with Rust values, its
//! signature checked once when it is made.

use crate::func::Func;
use crate::typed::{LiftList, LowerList, ValCx};
use std::marker::PhantomData;
use weft::{AsContextMut, Result};

/// A component function with Rust parameter types `P` and result types
/// `R` (each a tuple, as `(A, B)` and `(C,)`).
pub struct TypedFunc<P, R> {
    func: Func,
    _ty: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        TypedFunc {
            func: self.func.clone(),
            _ty: PhantomData,
        }
    }
}

impl<P, R> std::fmt::Debug for TypedFunc<P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedFunc")
            .field("func", &self.func)
            .finish()
    }
}

impl<P: LowerList, R: LiftList> TypedFunc<P, R> {
    /// `func` as a typed function, if its signature is `P -> R`.
    pub fn new(func: Func) -> Result<TypedFunc<P, R>> {
        P::typecheck_list(&func.params())?;
        R::typecheck_list(&func.results())?;
        Ok(TypedFunc {
            func,
            _ty: PhantomData,
        })
    }

    /// Calls the function.
    pub fn call<T: 'static>(&self, mut store: impl AsContextMut<Data = T>, params: P) -> Result<R> {
        let mut cx = store.as_context_mut();
        let args = params.lower_list(&mut ValCx::new(&mut cx))?;
        let result = self.func.invoke(&mut cx, &args, false)?;
        R::lift_result(result, &mut ValCx::new(&mut cx))
    }

    /// Does nothing: the function's post-return ran at the end of its call.
    pub fn post_return(&self, _store: impl AsContextMut) -> Result<()> {
        Ok(())
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}
