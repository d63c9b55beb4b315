// RUN: prune-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(nn-stack-buffers{max-buffer-bytes=64 max-function-bytes=96}))" \
// RUN:   | FileCheck %s

// An intermediate buffer moves to the stack, aligned to a cache line at
// least (a larger alignment kept); the returned one stays on the heap, and
// so does one returned through a view.
// CHECK-LABEL: func.func @intermediate(
// CHECK: %[[T:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4xf32>
// CHECK: memref.copy %{{.*}}, %[[T]]
// CHECK: %[[U:.*]] = memref.alloca() {alignment = 128 : i64} : memref<2xf32>
// CHECK: %[[R:.*]] = memref.alloc() {alignment = 16 : i64} : memref<4xf32>
// CHECK: return %[[R]]
func.func @intermediate(%a: memref<4xf32>) -> memref<4xf32> {
  %0 = memref.alloc() {alignment = 16 : i64} : memref<4xf32>
  memref.copy %a, %0 : memref<4xf32> to memref<4xf32>
  %u = memref.alloc() {alignment = 128 : i64} : memref<2xf32>
  %s = memref.subview %0[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
  memref.copy %s, %u : memref<2xf32, strided<[1]>> to memref<2xf32>
  %1 = memref.alloc() {alignment = 16 : i64} : memref<4xf32>
  memref.copy %0, %1 : memref<4xf32> to memref<4xf32>
  return %1 : memref<4xf32>
}

// -----

// CHECK-LABEL: func.func @view_returned(
// CHECK-NOT: memref.alloca
// CHECK: memref.alloc() : memref<2x2xf32>
func.func @view_returned(%a: memref<4xf32>) -> memref<4xf32> {
  %0 = memref.alloc() : memref<2x2xf32>
  %1 = memref.collapse_shape %0 [[0, 1]] : memref<2x2xf32> into memref<4xf32>
  memref.copy %a, %1 : memref<4xf32> to memref<4xf32>
  return %1 : memref<4xf32>
}

// -----

// Each buffer at most 64 bytes, all of them at most 96: the first two of
// three 48-byte buffers, not the 80-byte one; dynamic shapes stay.
// CHECK-LABEL: func.func @limits(
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<12xf32>
// CHECK: memref.alloc() : memref<20xf32>
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<12xf32>
// CHECK: memref.alloc() : memref<12xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
func.func @limits(%f: f32, %n: index) {
  %0 = memref.alloc() : memref<12xf32>
  %1 = memref.alloc() : memref<20xf32>
  %2 = memref.alloc() : memref<12xf32>
  %3 = memref.alloc() : memref<12xf32>
  %4 = memref.alloc(%n) : memref<?xf32>
  linalg.fill ins(%f : f32) outs(%0 : memref<12xf32>)
  linalg.fill ins(%f : f32) outs(%1 : memref<20xf32>)
  linalg.fill ins(%f : f32) outs(%2 : memref<12xf32>)
  linalg.fill ins(%f : f32) outs(%3 : memref<12xf32>)
  linalg.fill ins(%f : f32) outs(%4 : memref<?xf32>)
  return
}

// -----

// A buffer allocated in a loop would grow the stack on every iteration;
// one freed explicitly is not ours to move.
// CHECK-LABEL: func.func @loop_and_dealloc(
// CHECK-NOT: memref.alloca
// CHECK: return
func.func @loop_and_dealloc(%f: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %0 = memref.alloc() : memref<4xf32>
    linalg.fill ins(%f : f32) outs(%0 : memref<4xf32>)
  }
  %1 = memref.alloc() : memref<4xf32>
  linalg.fill ins(%f : f32) outs(%1 : memref<4xf32>)
  memref.dealloc %1 : memref<4xf32>
  return
}

// -----

// A call may return what it is given when it returns memrefs; a kernel
// call that returns nothing keeps no reference.
func.func private @kernel(memref<4xf32>)
func.func private @identity(memref<4xf32>) -> memref<4xf32>

// CHECK-LABEL: func.func @calls(
// CHECK: %[[K:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4xf32>
// CHECK: call @kernel(%[[K]])
// CHECK: %[[I:.*]] = memref.alloc() : memref<4xf32>
// CHECK: call @identity(%[[I]])
func.func @calls() -> memref<4xf32> {
  %0 = memref.alloc() : memref<4xf32>
  call @kernel(%0) : (memref<4xf32>) -> ()
  %1 = memref.alloc() : memref<4xf32>
  %2 = call @identity(%1) : (memref<4xf32>) -> memref<4xf32>
  return %2 : memref<4xf32>
}
