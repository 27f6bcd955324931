//! Translation of the GC operators: structs, arrays, i31s, tests, casts
//! and branches on casts. Types are emitted as engine type ids, so the
//! executor needs no module to find a layout; operands that are a list of
//! values (`struct.new`, `array.new_fixed`) are placed in consecutive
//! cells, as a call's arguments are. Every allocation is a safepoint: its
//! stack map lists the references live in the frame, its own operands
//! included.

use super::{Operand, Translator};
use crate::exec;
use crate::gc::{self, FieldStorage, encode_heap_type};
use crate::ir::isa::{self, Count, Index, Slot};
use crate::ir::{Handler, h};
use crate::types::{CompositeType, HeapType, StorageType, TypeId, ValType};

impl Translator<'_> {
    /// The engine id of the module's type `index`.
    fn type_id(&self, index: u32) -> TypeId {
        self.module.types[index as usize]
    }

    /// The storage type of field `field` of struct type `ty`, and the
    /// number of fields.
    fn struct_field(&self, ty: TypeId, field: u32) -> (StorageType, u32) {
        let types = self.module.engine.types();
        match &types.get(ty).composite {
            CompositeType::Struct(fields) => (
                fields
                    .get(field as usize)
                    .map_or(StorageType::I8, |f| f.storage),
                fields.len() as u32,
            ),
            _ => unreachable!("validated: a struct type"),
        }
    }

    /// The storage type of array type `ty`'s elements.
    fn array_elem(&self, ty: TypeId) -> StorageType {
        match &self.module.engine.types().get(ty).composite {
            CompositeType::Array(f) => f.storage,
            _ => unreachable!("validated: an array type"),
        }
    }

    /// Places the top `n` operands in consecutive cells and pops them;
    /// returns the first cell.
    fn take_values(&mut self, n: u32) -> u32 {
        let base = self.place_args(n);
        for _ in 0..n {
            self.pop();
        }
        base
    }

    /// Emits `h` writing a value of storage type `st` (two cells for a
    /// `v128`) as the new top operand.
    fn emit_field_def<I: isa::Defines>(
        &mut self,
        h: Handler,
        st: StorageType,
        ops: impl FnOnce(Slot) -> I,
    ) {
        if st == StorageType::Val(ValType::V128) {
            self.emit_def_wide(h, ops);
        } else {
            self.emit_def(h, ops, None);
        }
    }

    pub(super) fn struct_new(&mut self, type_index: u32) {
        let live = self.live_gc_slots(0);
        let ty = self.type_id(type_index);
        let (_, count) = self.struct_field(ty, 0);
        let args = self.take_values(count);
        let ops = |dst| isa::StructNew {
            dst,
            ty: Index(ty.index()),
            args: Slot(args),
        };
        self.emit_def(h!(exec::struct_new), ops, None);
        self.add_stack_map(live);
    }

    pub(super) fn struct_new_default(&mut self, type_index: u32) {
        let live = self.live_gc_slots(0);
        let ty = self.type_id(type_index);
        let ops = |dst| isa::StructNewDefault {
            dst,
            ty: Index(ty.index()),
        };
        self.emit_def(h!(exec::struct_new_default), ops, None);
        self.add_stack_map(live);
    }

    /// Where field `field` of struct type `ty` is in the payload, its
    /// storage code, and, for a field that is a plain word, the word
    /// handlers that read and write it (`struct.get`, `struct.set`).
    fn field_place(&self, ty: TypeId, field: u32) -> (Index, Count, Option<(Handler, Handler)>) {
        let layout = gc::struct_layout(ty, &self.module.engine.types());
        let f = layout.fields[field as usize];
        let words = match f.ty {
            // Packed, `v128` and function-reference fields take the general
            // handlers (extension, two cells, a check on read).
            FieldStorage::I64 | FieldStorage::F64 => Some((
                h!(exec::struct_get_word::<exec::Word64>),
                h!(exec::struct_set_word::<exec::Word64>),
            )),
            FieldStorage::I32 | FieldStorage::F32 | FieldStorage::Ref => Some((
                h!(exec::struct_get_word::<exec::Word32>),
                h!(exec::struct_set_word::<exec::Word32>),
            )),
            _ => None,
        };
        (Index(f.offset), Count(gc::storage_code(f.ty)), words)
    }

    /// `struct.get`; `h` says how a packed field extends. A field that is a
    /// plain word takes the word handler instead.
    pub(super) fn struct_get(&mut self, type_index: u32, field: u32, h: Handler) {
        let ty = self.type_id(type_index);
        let (st, _) = self.struct_field(ty, field);
        let (offset, storage, words) = self.field_place(ty, field);
        let h = words.map_or(h, |(get, _)| get);
        let obj = self.pop_slot();
        self.emit_field_def(h, st, |dst| isa::StructGet {
            dst,
            obj: Slot(obj),
            field: Index(field),
            offset,
            storage,
        });
    }

    pub(super) fn struct_set(&mut self, type_index: u32, field: u32) {
        let ty = self.type_id(type_index);
        let (offset, storage, words) = self.field_place(ty, field);
        let value = self.pop_slot();
        let obj = self.pop_slot();
        let h = words.map_or(h!(exec::struct_set), |(_, set)| set);
        let ops = isa::StructSet {
            obj: Slot(obj),
            value: Slot(value),
            field: Index(field),
            offset,
            storage,
        };
        self.code.emit(h, ops);
    }

    pub(super) fn array_new(&mut self, type_index: u32) {
        let live = self.live_gc_slots(0);
        let ty = self.type_id(type_index);
        let len = self.pop_slot();
        let value = self.pop_slot();
        let ops = |dst| isa::ArrayNew {
            dst,
            ty: Index(ty.index()),
            value: Slot(value),
            len: Slot(len),
        };
        self.emit_def(h!(exec::array_new), ops, None);
        self.add_stack_map(live);
    }

    pub(super) fn array_new_default(&mut self, type_index: u32) {
        let live = self.live_gc_slots(0);
        let ty = self.type_id(type_index);
        let len = self.pop_slot();
        let ops = |dst| isa::ArrayNewDefault {
            dst,
            ty: Index(ty.index()),
            len: Slot(len),
        };
        self.emit_def(h!(exec::array_new_default), ops, None);
        self.add_stack_map(live);
    }

    pub(super) fn array_new_fixed(&mut self, type_index: u32, count: u32) {
        let live = self.live_gc_slots(0);
        let ty = self.type_id(type_index);
        let args = self.take_values(count);
        let ops = |dst| isa::ArrayNewFixed {
            dst,
            ty: Index(ty.index()),
            args: Slot(args),
            count: Count(count),
        };
        self.emit_def(h!(exec::array_new_fixed), ops, None);
        self.add_stack_map(live);
    }

    /// `array.new_data` or `array.new_elem`, by `h`.
    pub(super) fn array_new_segment(&mut self, type_index: u32, segment: u32, h: Handler) {
        let live = self.live_gc_slots(0);
        let ty = self.type_id(type_index);
        let len = self.pop_slot();
        let offset = self.pop_slot();
        let ops = |dst| isa::ArrayNewSegment {
            dst,
            ty: Index(ty.index()),
            segment: Index(segment),
            offset: Slot(offset),
            len: Slot(len),
        };
        self.emit_def(h, ops, None);
        self.add_stack_map(live);
    }

    /// `array.get`; `h` says how a packed element extends.
    pub(super) fn array_get(&mut self, type_index: u32, h: Handler) {
        let ty = self.type_id(type_index);
        let st = self.array_elem(ty);
        let index = self.pop_slot();
        let array = self.pop_slot();
        self.emit_field_def(h, st, |dst| isa::ArrayGet {
            dst,
            array: Slot(array),
            index: Slot(index),
            ty: Index(ty.index()),
        });
    }

    pub(super) fn array_set(&mut self, type_index: u32) {
        let ty = self.type_id(type_index);
        let value = self.pop_slot();
        let index = self.pop_slot();
        let array = self.pop_slot();
        let ops = isa::ArraySet {
            array: Slot(array),
            index: Slot(index),
            value: Slot(value),
            ty: Index(ty.index()),
        };
        self.code.emit(h!(exec::array_set), ops);
    }

    pub(super) fn array_fill(&mut self, type_index: u32) {
        let ty = self.type_id(type_index);
        let n = self.pop_slot();
        let value = self.pop_slot();
        let offset = self.pop_slot();
        let array = self.pop_slot();
        let ops = isa::ArrayFill {
            array: Slot(array),
            offset: Slot(offset),
            value: Slot(value),
            n: Slot(n),
            ty: Index(ty.index()),
        };
        self.code.emit(h!(exec::array_fill), ops);
    }

    pub(super) fn array_copy(&mut self) {
        let n = self.pop_slot();
        let src_offset = self.pop_slot();
        let src = self.pop_slot();
        let dst_offset = self.pop_slot();
        let dst = self.pop_slot();
        let ops = isa::ArrayCopy {
            dst: Slot(dst),
            dst_offset: Slot(dst_offset),
            src: Slot(src),
            src_offset: Slot(src_offset),
            n: Slot(n),
        };
        self.code.emit(h!(exec::array_copy), ops);
    }

    /// `array.init_data` or `array.init_elem`, by `h`.
    pub(super) fn array_init_segment(&mut self, type_index: u32, segment: u32, h: Handler) {
        let ty = self.type_id(type_index);
        let n = self.pop_slot();
        let src = self.pop_slot();
        let offset = self.pop_slot();
        let array = self.pop_slot();
        let ops = isa::ArrayInitSegment {
            array: Slot(array),
            offset: Slot(offset),
            src: Slot(src),
            n: Slot(n),
            ty: Index(ty.index()),
            segment: Index(segment),
        };
        self.code.emit(h, ops);
    }

    /// A one-operand GC instruction of layout `Unary` (`array.len`,
    /// `ref.i31`, `i31.get_*`).
    pub(super) fn gc_unary(&mut self, h: Handler) {
        let a = self.pop_slot();
        self.emit_def(h, |dst| isa::Unary { dst, a: Slot(a) }, None);
    }

    pub(super) fn ref_eq(&mut self) {
        let b = self.pop_slot();
        let a = self.pop_slot();
        let ops = |dst| isa::BinRR {
            dst,
            a: Slot(a),
            b: Slot(b),
        };
        self.emit_value(h!(exec::ref_eq), ops, None);
    }

    /// `ref.test` or `ref.cast` (by `h`) against `heap`.
    pub(super) fn ref_test(&mut self, heap: HeapType, h: Handler, passes_on: bool) {
        let a = self.pop_slot();
        let ops = |dst| isa::RefTest {
            dst,
            a: Slot(a),
            heap: Index(encode_heap_type(heap)),
        };
        if passes_on {
            self.emit_value(h, ops, None);
        } else {
            self.emit_def(h, ops, None);
        }
    }

    /// `br_on_cast` (`test` is the `IfTrue` test) or `br_on_cast_fail`
    /// (the `IfFalse` one): the reference stays on the stack, a test of it
    /// is pushed and `br_if` branches on that.
    pub(super) fn br_on_cast(&mut self, depth: u32, heap: HeapType, test: Handler) {
        let e = self.pop();
        let r = self.read(e);
        let op = match e.op {
            Operand::Local(i) => Operand::Local(i),
            _ => Operand::Temp,
        };
        self.push(op, false);
        let ops = |dst| isa::RefTest {
            dst,
            a: Slot(r),
            heap: Index(encode_heap_type(heap)),
        };
        self.emit_value(test, ops, None);
        self.br_if(depth);
        self.begin_basic_block();
    }
}
