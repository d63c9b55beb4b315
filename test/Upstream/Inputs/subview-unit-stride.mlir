// A rank-reducing subview with stride 17 on a dropped size-1 dimension.
func.func @f(%m: memref<5x1x6xf32>, %i: index) -> memref<1x6xf32, strided<[102, 1], offset: ?>> {
  %s = memref.subview %m[%i, 0, 0] [1, 1, 6] [17, 1, 1] : memref<5x1x6xf32> to memref<1x6xf32, strided<[102, 1], offset: ?>>
  return %s : memref<1x6xf32, strided<[102, 1], offset: ?>>
}
