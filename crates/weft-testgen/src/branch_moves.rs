//! Programs that carry several values along one control-flow edge: a
//! branch (`br`, `br_if`, `br_table`, `br_on_null`, `br_on_non_null`, to a
//! block, a loop with parameters or the function), a `return`, a block or
//! `if` falling through its end, a call or tail call passing arguments (and
//! a callee returning its parameters reordered), a thrown exception's
//! payload reaching a catch clause's label.
//!
//! The values are 1 to 4 `i32`, `i64` or `v128` values, each a local (so
//! one value may appear several times, in any order), a constant, a computed
//! operand or a `local.tee`, with other operands below them on the stack.
//! An edge that is not taken must leave the values where they were. Each
//! destination block writes a marker to the exported global `w`, so a
//! result also shows which way control went.
//!
//! The function's shape (labels from the outside in):
//!
//! ```text
//! func $f (param $c i32 ...) (result T)      ; $c: branch condition/index
//!   block $out (result T)
//!     block $b1 (result L)                   ; L = T, plus a funcref for br_on_non_null
//!       <L constants> loop $lp (param L) (result L)
//!         ;; second entry (a branch to $lp): leave with the values
//!         <junk> block $b0 (param junk?) (result L)
//!           <junk> [block $in | try_table $in (catch $tag ...)]
//!             <values> <the edge under test>
//!             <not taken: w = 2; br $out>
//! ```

use crate::{Choose, Value, one_of};
use std::fmt::Write;

/// The kinds of edge a program can exercise.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Edge {
    /// `br` to a block, the loop or the function.
    Br,
    /// `br_if`, taken or not (with fused comparisons as conditions).
    BrIf,
    /// `br_table`; not taken means its default target.
    BrTable,
    /// `br_on_null`, taken on a null reference.
    BrOnNull,
    /// `br_on_non_null`, taken on a non-null reference.
    BrOnNonNull,
    /// `return`.
    Return,
    /// The end of a block (with or without parameters) reached by falling
    /// through.
    BlockEnd,
    /// An `if`/`else` whose arms leave different values; taken means the
    /// `then` arm.
    IfElse,
    /// `call` of a function returning its parameters reordered.
    Call,
    /// `return_call` of that function.
    ReturnCall,
    /// `call_indirect` of that function.
    CallIndirect,
    /// `return_call_indirect` of that function.
    ReturnCallIndirect,
    /// `call_ref` of that function.
    CallRef,
    /// `return_call_ref` of that function.
    ReturnCallRef,
    /// `throw` of the values to a `try_table` clause's label; taken means
    /// thrown.
    Throw,
    /// A callee throwing its parameters reordered, caught by the caller.
    ThrowInCallee,
}

impl Edge {
    /// Every kind of edge.
    pub const ALL: [Edge; 16] = [
        Edge::Br,
        Edge::BrIf,
        Edge::BrTable,
        Edge::BrOnNull,
        Edge::BrOnNonNull,
        Edge::Return,
        Edge::BlockEnd,
        Edge::IfElse,
        Edge::Call,
        Edge::ReturnCall,
        Edge::CallIndirect,
        Edge::ReturnCallIndirect,
        Edge::CallRef,
        Edge::ReturnCallRef,
        Edge::Throw,
        Edge::ThrowInCallee,
    ];

    /// Whether the edge may be taken or not (else it always is).
    pub fn is_conditional(self) -> bool {
        matches!(
            self,
            Edge::BrIf
                | Edge::BrTable
                | Edge::BrOnNull
                | Edge::BrOnNonNull
                | Edge::IfElse
                | Edge::Throw
        )
    }
}

/// A generated program and what running it must give.
#[derive(Clone, Debug)]
pub struct Case {
    /// What was generated, for failure messages.
    pub edge: Edge,
    /// Whether the edge is taken.
    pub taken: bool,
    /// The module, in the text format. Its export `f` is the function under
    /// test, `w` the marker global.
    pub wat: String,
    /// The arguments of `f`.
    pub args: Vec<Value>,
    /// The results `f` must return.
    pub results: Vec<Value>,
    /// The value of `w` after the call.
    pub marker: i32,
}

/// Where a branch goes, and the marker each destination leaves in `w`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Label {
    B0,
    B1,
    Loop,
    Out,
    Func,
}

impl Label {
    /// How a branch names the label: the function's label has no name in
    /// the text format, so it is named by its depth, `func_depth`.
    fn name(self, func_depth: u32) -> String {
        match self {
            Label::B0 => "$b0".into(),
            Label::B1 => "$b1".into(),
            Label::Loop => "$lp".into(),
            Label::Out => "$out".into(),
            Label::Func => func_depth.to_string(),
        }
    }

    fn marker(self) -> i32 {
        match self {
            Label::B0 => 1000,
            Label::B1 => 1001,
            Label::Loop => 1500,
            Label::Out => 1099,
            Label::Func => FUNC_MARKER,
        }
    }
}

/// `w` after leaving the function directly (return, tail call, a branch to
/// the function's label).
const FUNC_MARKER: i32 = 99;
/// `w` after the edge was not taken.
const FALL_MARKER: i32 = 1002;

/// Value types, all a generated value can be.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Ty {
    I32,
    I64,
    V128,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::V128 => "v128",
        }
    }
}

fn random_ty(c: &mut dyn Choose) -> Ty {
    one_of(c, &[Ty::I32, Ty::I32, Ty::I64, Ty::V128])
}

fn random_value(c: &mut dyn Choose, t: Ty) -> Value {
    match t {
        Ty::I32 => Value::I32(c.bits() as u32),
        Ty::I64 => Value::I64(c.bits()),
        Ty::V128 => Value::V128(u128::from(c.bits()) << 64 | u128::from(c.bits())),
    }
}

fn const_text(v: Value) -> String {
    match v {
        Value::I32(x) => format!("i32.const {}", x as i32),
        Value::I64(x) => format!("i64.const {}", x as i64),
        Value::V128(x) => format!(
            "v128.const i64x2 {} {}",
            x as u64 as i64,
            (x >> 64) as u64 as i64
        ),
    }
}

/// The model of the generated `add` of each type.
fn add(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::I32(a), Value::I32(b)) => Value::I32(a.wrapping_add(b)),
        (Value::I64(a), Value::I64(b)) => Value::I64(a.wrapping_add(b)),
        (Value::V128(a), Value::V128(b)) => {
            let lane = |x: u128, k: u32| (x >> (64 * k)) as u64;
            let lo = lane(a, 0).wrapping_add(lane(b, 0));
            let hi = lane(a, 1).wrapping_add(lane(b, 1));
            Value::V128(u128::from(hi) << 64 | u128::from(lo))
        }
        _ => unreachable!("operands of one type"),
    }
}

fn add_text(t: Ty) -> &'static str {
    match t {
        Ty::I32 => "i32.add",
        Ty::I64 => "i64.add",
        Ty::V128 => "i64x2.add",
    }
}

fn results_text(kw: &str, types: &[&str]) -> String {
    if types.is_empty() {
        String::new()
    } else {
        format!("({kw} {})", types.join(" "))
    }
}

/// The program being written and the model's state at its current point.
struct Gen<'a> {
    c: &'a mut dyn Choose,
    /// The type of each local, parameters first (`$c` is local 0).
    locals: Vec<Ty>,
    /// Each local's value at this point of the program.
    env: Vec<Value>,
    body: String,
}

impl Gen<'_> {
    fn line(&mut self, s: &str) {
        self.body.push_str(s);
        self.body.push('\n');
    }

    /// Emits code pushing one value of type `t`, returning the value: a
    /// local, a constant, a computed operand or a `local.tee`.
    fn value(&mut self, t: Ty) -> Value {
        let same: Vec<usize> = (0..self.locals.len())
            .filter(|&j| self.locals[j] == t)
            .collect();
        let kind = self.c.below(4);
        if same.is_empty() || kind == 1 {
            let v = random_value(self.c, t);
            self.line(&const_text(v));
            return v;
        }
        let j = one_of(self.c, &same);
        match kind {
            0 => {
                self.line(&format!("local.get {j}"));
                self.env[j]
            }
            2 => {
                let k = random_value(self.c, t);
                let a = if self.c.flip() {
                    self.line(&format!("local.get {j}"));
                    self.env[j]
                } else {
                    let a = random_value(self.c, t);
                    self.line(&const_text(a));
                    a
                };
                self.line(&format!("{} {}", const_text(k), add_text(t)));
                add(a, k)
            }
            // $c (local 0) steers the edge: it is never written.
            _ if j != 0 => {
                let v = random_value(self.c, t);
                self.line(&format!("{} local.tee {j}", const_text(v)));
                self.env[j] = v;
                v
            }
            _ => {
                self.line(&format!("local.get {j}"));
                self.env[j]
            }
        }
    }

    /// Emits code pushing one value of each type.
    fn values(&mut self, types: &[Ty]) -> Vec<Value> {
        types.iter().map(|&t| self.value(t)).collect()
    }

    /// Emits 0 to 2 operands nobody will read.
    fn junk(&mut self) -> Vec<Ty> {
        let n = self.c.below(3);
        let types: Vec<Ty> = (0..n).map(|_| random_ty(self.c)).collect();
        self.values(&types);
        types
    }

    /// Emits a condition that is true exactly when `$c` is nonzero, in one
    /// of the forms the translator fuses into the branch.
    fn condition(&mut self) {
        let form = match self.c.below(4) {
            0 => "local.get 0",
            1 => "local.get 0 i32.const 0 i32.ne",
            2 => "local.get 0 i32.eqz i32.eqz",
            // $c is 0 or 1 here: $c + 1 > 1 exactly when $c is 1.
            _ => "local.get 0 i32.const 1 i32.add i32.const 1 i32.gt_u",
        };
        self.line(form);
    }

    /// The code of the not-taken path: mark it and leave with the values.
    fn fall_through(&mut self) {
        self.line("i32.const 2 global.set $w br $out");
    }
}

/// Generates a program whose edge `edge` carries `arity` (1 to 4) values
/// and is `taken` or not (ignored for unconditional edges).
pub fn generate(edge: Edge, taken: bool, arity: usize, c: &mut dyn Choose) -> Case {
    let taken = taken || !edge.is_conditional();
    let types: Vec<Ty> = (0..arity).map(|_| random_ty(c)).collect();
    let tnames: Vec<&str> = types.iter().map(|t| t.name()).collect();
    let mut lnames = tnames.clone();
    if edge == Edge::BrOnNonNull {
        lnames.push("funcref");
    }
    let with_ref = edge == Edge::BrOnNonNull;

    // $c, then 1 to 4 more parameters, then 0 to 3 locals.
    let mut locals = vec![Ty::I32];
    let num_params = 2 + c.below(4) as usize;
    let num_locals = num_params + c.below(4) as usize;
    while locals.len() < num_locals {
        locals.push(random_ty(c));
    }
    let mut g = Gen {
        env: Vec::new(),
        locals,
        c,
        body: String::new(),
    };
    let mut args: Vec<Value> = (0..num_params)
        .map(|j| random_value(g.c, g.locals[j]))
        .collect();

    // The destination, and $c to make the edge go there (or not).
    let targets: &[Label] = match edge {
        Edge::Br
        | Edge::BrIf
        | Edge::BrTable
        | Edge::BrOnNull
        | Edge::Throw
        | Edge::ThrowInCallee => &[Label::B0, Label::B1, Label::Loop, Label::Out, Label::Func],
        Edge::BrOnNonNull => &[Label::B0, Label::B1, Label::Loop],
        _ => &[],
    };
    let target = (!targets.is_empty()).then(|| one_of(g.c, targets));
    let mut table_targets = Vec::new();
    let cond = match edge {
        Edge::BrTable => {
            let n = 1 + g.c.below(4);
            for _ in 0..n {
                table_targets.push(one_of(g.c, targets));
            }
            if taken {
                g.c.below(n)
            } else {
                n + g.c.below(3)
            }
        }
        Edge::BrOnNull => u32::from(!taken),
        _ => u32::from(taken),
    };
    args[0] = Value::I32(cond);
    g.env = args.clone();
    for j in num_params..num_locals {
        let v = random_value(g.c, g.locals[j]);
        g.line(&format!("{} local.set {j}", const_text(v)));
        g.env.push(v);
    }

    // The callee returns (or throws) its parameters reordered, duplicates
    // allowed: result k is a parameter of the same type.
    let perm: Vec<usize> = (0..arity)
        .map(|k| {
            let same: Vec<usize> = (0..arity).filter(|&j| types[j] == types[k]).collect();
            one_of(g.c, &same)
        })
        .collect();
    let permute = |vals: &[Value]| perm.iter().map(|&j| vals[j]).collect::<Vec<_>>();

    let lt = results_text("result", &lnames);
    let t = results_text("result", &tnames);
    g.line("i32.const 99 global.set $w i32.const 0 global.set $looped");
    g.line(&format!("block $out {t}"));
    g.line(&format!("block $b1 {lt}"));
    for ty in &types {
        let v = random_value(g.c, *ty);
        g.line(&const_text(v));
    }
    if with_ref {
        g.line("ref.null func");
    }
    let lp = results_text("param", &lnames);
    g.line(&format!("loop $lp {lp} {lt}"));
    let drop_ref = if with_ref { "drop" } else { "" };
    g.line(&format!(
        "global.get $looped if {lp} {lt} i32.const 500 global.set $w {drop_ref} br $out end"
    ));
    g.line("i32.const 1 global.set $looped");
    for _ in 0..lnames.len() {
        g.line("drop");
    }
    let outer_junk = g.junk();
    let b0_params = if !outer_junk.is_empty() && g.c.flip() {
        results_text(
            "param",
            &outer_junk.iter().map(|t| t.name()).collect::<Vec<_>>(),
        )
    } else {
        String::new()
    };
    g.line(&format!("block $b0 {b0_params} {lt}"));
    g.junk();
    let catching = matches!(edge, Edge::Throw | Edge::ThrowInCallee);
    let wrapped = catching || g.c.flip();
    // Labels open around the edge: $out, $b1, $lp, $b0 and the wrapper.
    // A catch clause's labels are counted from outside its try_table.
    let func_depth = 4 + u32::from(wrapped);
    if catching {
        let l = target.expect("a catch target").name(4);
        g.line(&format!("try_table (catch $tag {l})"));
    } else if wrapped {
        g.line("block $in");
    }

    let results;
    let mut marker = target.map_or(FUNC_MARKER, Label::marker);
    match edge {
        Edge::Br => {
            results = g.values(&types);
            g.line(&format!(
                "br {}",
                target.expect("a target").name(func_depth)
            ));
        }
        Edge::BrIf => {
            results = g.values(&types);
            g.condition();
            g.line(&format!(
                "br_if {}",
                target.expect("a target").name(func_depth)
            ));
            if g.c.flip() {
                g.line("nop");
            }
            g.fall_through();
        }
        Edge::BrTable => {
            results = g.values(&types);
            let names: Vec<String> = table_targets.iter().map(|l| l.name(func_depth)).collect();
            let default = target.expect("a target");
            g.line(&format!(
                "local.get 0 br_table {} {}",
                names.join(" "),
                default.name(func_depth)
            ));
            marker = table_targets
                .get(cond as usize)
                .copied()
                .unwrap_or(default)
                .marker();
        }
        Edge::BrOnNull => {
            results = g.values(&types);
            g.line(&format!(
                "local.get 0 table.get $tab br_on_null {} drop",
                target.expect("a target").name(func_depth)
            ));
            g.fall_through();
        }
        Edge::BrOnNonNull => {
            results = g.values(&types);
            g.line(&format!(
                "local.get 0 table.get $tab br_on_non_null {}",
                target.expect("a target").name(func_depth)
            ));
            g.fall_through();
        }
        Edge::Return => {
            results = g.values(&types);
            g.line("return");
        }
        Edge::BlockEnd => {
            let params = g.junk();
            let pnames: Vec<&str> = params.iter().map(|t| t.name()).collect();
            g.line(&format!("block {} {t}", results_text("param", &pnames)));
            for _ in &params {
                g.line("drop");
            }
            results = g.values(&types);
            g.line("end");
            g.fall_through();
        }
        Edge::IfElse => {
            g.condition();
            g.line(&format!("if {t}"));
            let before = g.env.clone();
            let then_vals = g.values(&types);
            let then_env = std::mem::replace(&mut g.env, before);
            g.line("else");
            let else_vals = g.values(&types);
            g.line("end");
            if taken {
                g.env = then_env;
                results = then_vals;
            } else {
                results = else_vals;
            }
            g.fall_through();
        }
        Edge::Call | Edge::CallIndirect | Edge::CallRef => {
            results = permute(&g.values(&types));
            g.line(match edge {
                Edge::Call => "call $callee",
                Edge::CallIndirect => "i32.const 1 call_indirect $tab (type $ct)",
                _ => "ref.func $callee call_ref $ct",
            });
            g.fall_through();
        }
        Edge::ReturnCall | Edge::ReturnCallIndirect | Edge::ReturnCallRef => {
            results = permute(&g.values(&types));
            g.line(match edge {
                Edge::ReturnCall => "return_call $callee",
                Edge::ReturnCallIndirect => "i32.const 1 return_call_indirect $tab (type $ct)",
                _ => "ref.func $callee return_call_ref $ct",
            });
        }
        Edge::Throw => {
            results = g.values(&types);
            g.condition();
            let p = results_text("param", &tnames);
            g.line(&format!("if {p} {t} throw $tag end"));
            g.fall_through();
        }
        Edge::ThrowInCallee => {
            results = permute(&g.values(&types));
            g.line("call $thrower");
        }
    }
    // These edges lead to the code after them; so does any edge not taken
    // (except br_table's, which then goes to its default).
    let falls = matches!(
        edge,
        Edge::BlockEnd | Edge::IfElse | Edge::Call | Edge::CallIndirect | Edge::CallRef
    );
    if falls || (!taken && edge != Edge::BrTable) {
        marker = FALL_MARKER;
    }
    if wrapped {
        g.line("end unreachable");
    }
    g.line(&format!("end {drop_ref} i32.const 0 global.set $w br $out"));
    g.line("end"); // $lp
    g.line(&format!("end {drop_ref} i32.const 1 global.set $w")); // $b1
    g.line("end"); // $out
    g.line("global.get $w i32.const 1000 i32.add global.set $w");

    let param_names: Vec<&str> = g.locals[..num_params].iter().map(|t| t.name()).collect();
    let local_names: Vec<&str> = g.locals[num_params..].iter().map(|t| t.name()).collect();
    let gets: String = perm.iter().fold(String::new(), |mut s, j| {
        let _ = write!(s, "local.get {j} ");
        s
    });
    let tp = results_text("param", &tnames);
    let mut wat = String::new();
    let _ = writeln!(wat, "(module");
    let _ = writeln!(wat, "  (type $ct (func {tp} {t}))");
    let _ = writeln!(wat, "  (global $w (export \"w\") (mut i32) (i32.const 0))");
    let _ = writeln!(wat, "  (global $looped (mut i32) (i32.const 0))");
    let _ = writeln!(wat, "  (table $tab 2 funcref)");
    let _ = writeln!(wat, "  (elem (table $tab) (i32.const 1) func $callee)");
    let _ = writeln!(wat, "  (func $callee (type $ct) {gets})");
    if catching {
        let _ = writeln!(wat, "  (tag $tag {tp})");
        let _ = writeln!(wat, "  (func $thrower {tp} {gets} throw $tag)");
    }
    let _ = writeln!(
        wat,
        "  (func $f (export \"f\") {} {t} {}\n{}  )\n)",
        results_text("param", &param_names),
        results_text("local", &local_names),
        g.body
    );
    Case {
        edge,
        taken,
        wat,
        args,
        results,
        marker,
    }
}
