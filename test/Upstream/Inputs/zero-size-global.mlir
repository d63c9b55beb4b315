// An LLVM global of an empty array whose value is an empty dense_resource,
// as memref lowering emits it for a zero-size constant (the packed values
// of a tensor<0x4xf32> weight).
module {
  llvm.mlir.global private constant @empty(dense_resource<empty_blob> : tensor<0xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<0 x f32>
  llvm.func @get() -> !llvm.ptr {
    %0 = llvm.mlir.addressof @empty : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
}

{-#
  dialect_resources: {
    builtin: {
      empty_blob: "0x04000000"
    }
  }
#-}
